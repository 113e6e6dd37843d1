package firetest_test

import (
	"bytes"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/httpapi"
	"github.com/driftwood-chat/driftwood/internal/scim"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// Every id a route takes (path, query, body, SCIM filter) is probed with
// the other org's id and with a missing one: the answers are identical but
// for the id, a path id is a 404, and the other org's rows do not change.
func TestIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		w := newWorld(t, b)
		probes := 0
		for _, rt := range ordered(w.e.App.API.Routes()) {
			for _, ex := range examplesOf(t, rt) {
				for _, kind := range ex.kinds() {
					before := w.snapshot(t, w.b.id)
					foreign, absent := w.b.ids[kind], missing[kind]
					fs, fb := w.probe(rt, ex, kind, foreign)
					as, ab := w.probe(rt, ex, kind, absent)
					probes++
					desc := rt.Method + " " + rt.Path + " with the other org's " + kind
					inPath := strings.Contains(strings.SplitN(ex.path, "?", 2)[0], "{"+kind+"}")
					switch {
					case inPath && fs != http.StatusNotFound:
						t.Errorf("%s: %d, want 404: %.300s", desc, fs, fb)
					case fs != as:
						t.Errorf("%s: %d, but %d for a missing id:\n%.300s\n%.300s", desc, fs, as, fb, ab)
					case (fs >= 400 || rt.Method == "GET") && !bytes.Equal(replaceID(fb, foreign, absent), ab):
						t.Errorf("%s: the answer differs from a missing id's:\n%.300s\n%.300s", desc, fb, ab)
					}
					if d := before.diff(w.snapshot(t, w.b.id)); len(d) > 0 {
						t.Errorf("%s changed the other org's rows: %v", desc, d)
					}
				}
			}
		}
		t.Logf("%d isolation probes", probes)
	})
}

// replaceID replaces id in b where it stands alone (not inside a longer
// number or word).
func replaceID(b []byte, id, with string) []byte {
	re := regexp.MustCompile(`(^|[^\w.@-])` + regexp.QuoteMeta(id) + `($|[^\w.@-])`)
	return re.ReplaceAll(b, []byte("${1}"+with+"${2}"))
}

// probe sends ex as org A with the id of one kind replaced by value.
func (w *world) probe(rt httpapi.Route, ex example, kind, value string) (int, []byte) {
	ids := map[string]string{}
	for k, v := range w.a.ids {
		ids[k] = v
	}
	ids[kind] = value
	r := w.do(rt.Method, render(ex.path, ids), ex.bearer(w.a), []byte(render(ex.body, ids)), ex.header())
	return r.Code, r.Body.Bytes()
}

// Every route with a scope refuses a token that has every scope but that
// one, with 403 insufficient_scope (SCIM in its own error schema), and
// writes nothing.
func TestScopes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		w := newWorld(t, b)
		w.countWrites(t)
		for _, rt := range w.e.App.API.Routes() {
			if rt.Scope == "" {
				continue
			}
			scopes := slices.DeleteFunc(slices.Clone(auth.AllScopes), func(s auth.Scope) bool {
				return s == rt.Scope || (rt.Scope == auth.ContactRead && s == auth.AllContactRead)
			})
			token := w.e.NewToken(t, w.a.id, scopes...)
			for _, ex := range examplesOf(t, rt) {
				before := w.writes(t)
				r := w.do(rt.Method, render(ex.path, w.a.ids), token, []byte(render(ex.body, w.a.ids)), nil)
				desc := rt.Method + " " + rt.Path + " without " + string(rt.Scope)
				body := decode(t, r.Body.Bytes())
				switch {
				case r.Code != http.StatusForbidden:
					t.Errorf("%s: %d, want 403: %.200s", desc, r.Code, r.Body)
				case strings.HasPrefix(rt.Path, "/scim/"):
					if find(body, "status") != "403" || !strings.Contains(r.Body.String(), scim.ErrorSchema) {
						t.Errorf("%s: not a SCIM error: %s", desc, r.Body)
					}
				case find(body, "type") != "insufficient_scope":
					t.Errorf("%s: %s, want insufficient_scope", desc, r.Body)
				}
				if w.writes(t) != before {
					t.Errorf("%s wrote", desc)
				}
			}
		}
	})
}
