//go:build unix

package firetest_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// The hostile-input suite once more, and every route's good examples, on a
// database that takes no writes (SQLite: every file write of the process
// fails, as on a full disk; PostgreSQL: a replica on read-only sessions, as
// on a standby): each answer is a 2xx, a 4xx, or a 503 with Retry-After in
// the route's error shape - never another 5xx. Not parallel: SQLite's file
// size limit is the whole process's.
func TestHostileInput_ReadOnlyDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		api := w.e.App.API
		if w.pg {
			api = w.e.ReadOnlyReplica(t).App.API
		} else {
			apitest.FailFileWrites(t)
		}
		total, unavailable := 0, 0
		for _, rt := range ordered(api.Routes()) {
			reqs := hostileRequests(t, w, rt)
			for _, ex := range examplesOf(t, rt) { // good requests reach the writes
				reqs = append(reqs, hostile{what: "good example", method: rt.Method, path: render(ex.path, w.a.ids),
					body: []byte(render(ex.body, w.a.ids)), header: ex.header(), token: ex.bearer(w.a)})
			}
			for _, h := range reqs {
				var body io.Reader = bytes.NewReader(h.body)
				if h.chunk {
					body = io.MultiReader(bytes.NewReader(h.body))
				}
				token := h.token
				if h.noAuth {
					token = ""
				}
				rec := serve(api, h.method, h.path, token, body, h.header)
				total++
				desc := fmt.Sprintf("%s %s (%s: %s %.80q)", rt.Method, rt.Path, h.what, h.method, h.path)
				switch {
				case rec.Code == http.StatusServiceUnavailable:
					unavailable++
					if problem := errorShape(rt, rec); problem != "" && rt.Path != "/readyz" { // its own {"status"}
						t.Errorf("%s: 503 answer %s: %.200q", desc, problem, rec.Body)
					}
					if rec.Header().Get("Retry-After") == "" {
						t.Errorf("%s: 503 without Retry-After", desc)
					}
				case rec.Code >= 500:
					t.Errorf("%s: %d %.300s", desc, rec.Code, rec.Body)
				case rec.Code >= 400:
					if problem := errorShape(rt, rec); problem != "" {
						t.Errorf("%s: %d answer %s: %.200q", desc, rec.Code, problem, rec.Body)
					}
				}
			}
		}
		t.Logf("%d requests, %d answered 503", total, unavailable)
		if unavailable == 0 {
			t.Error("no request answered 503: none reached a write, or the database took it")
		}
		if rec := serve(api, "GET", "/readyz", "", nil, nil); rec.Code != http.StatusServiceUnavailable {
			t.Errorf("/readyz: %d %s", rec.Code, rec.Body)
		}
	})
}
