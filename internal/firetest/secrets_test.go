package firetest_test

import (
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// secretPattern finds the secrets Driftwood hands out in an answer: access
// and refresh tokens, client secrets, authorization codes, signing secrets,
// verification tokens, visitor session tokens, widget identity secrets.
var secretPattern = regexp.MustCompile(`\b(?:dwat|dwrt|dwcs|dwac|whsec|dwvs|dwws|dwi|dws)_[A-Za-z0-9_-]{16,}|"verificationToken":"[^"]+"`)

// A realistic session (the bootstrap token, issued tokens, apps with their
// client secrets, signing secrets and verification tokens, OAuth grants,
// refreshes, rotations, uninstalls: every route's good example, then every
// token seen used as a bearer once more, revoked or not) leaves none of the
// raw secrets it handed out in any column of any table, nor in the logs
// (debug level).
func TestSecretsAtRestAndInLogs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		logs := &apitest.Logs{}
		w := newWorld(t, b, apitest.CaptureLogs(logs))
		secrets := map[string]string{w.e.App.Config.SecretKey: "secret key", w.e.Token: "bootstrap token"} // raw value -> what it is
		harvest := func(what string, r interface {
			Header() http.Header
		}, body string) {
			for _, s := range secretPattern.FindAllString(body+" "+r.Header().Get("Location"), -1) {
				if v, ok := strings.CutPrefix(s, `"verificationToken":"`); ok {
					s = strings.TrimSuffix(v, `"`)
				}
				secrets[s] = what
			}
		}
		orgs := []*org{w.a, w.b}
		for _, rt := range ordered(w.e.App.API.Routes()) {
			for _, ex := range examplesOf(t, rt) {
				o := w.a
				if destructive(rt) {
					o = w.newOrg(t)
					orgs = append(orgs, o)
				}
				r := w.do(rt.Method, render(ex.path, o.ids), ex.bearer(o), []byte(render(ex.body, o.ids)), ex.header())
				harvest(rt.Method+" "+rt.Path, r, r.Body.String())
			}
		}
		for _, o := range orgs {
			for _, k := range []string{"clientsecret", "apptoken", "access", "refresh", "code"} {
				secrets[o.ids[k]] = k
			}
			secrets[o.token] = "an org's token"
			r := w.do("GET", "/driftwood/v1/apps", o.token, nil, nil)
			harvest("an app", r, r.Body.String())
		}
		for s := range secrets {
			if strings.HasPrefix(s, "dwat_") || strings.HasPrefix(s, "test_") {
				w.do("GET", "/contacts?email=jane@acme.example", s, nil, nil)
			}
		}
		w.awaitAudit(t)
		if len(secrets) < 60 {
			t.Fatalf("only %d secrets seen: the session is not realistic", len(secrets))
		}
		text := logs.String()
		if !strings.Contains(text, "level=") {
			t.Fatal("no logs captured")
		}
		raws := slices.Collect(maps.Keys(secrets))
		for _, s := range raws {
			if s == "" {
				t.Fatalf("%s is empty", secrets[s])
			}
			if strings.Contains(text, s) {
				t.Errorf("the raw %s (%.12s…) is in the logs", secrets[s], s)
			}
		}
		for _, row := range w.e.RowsContaining(t, raws...) {
			for _, s := range raws {
				if strings.Contains(strings.ToLower(row), strings.ToLower(s)) {
					t.Errorf("the raw %s (%.12s…) is stored: %.300s", secrets[s], s, row)
				}
			}
		}
		t.Logf("%d secrets checked against every table and %d bytes of logs", len(secrets), len(text))
	})
}

// awaitAudit waits until the audit recorder, which writes a second or so
// later, has written the entry of a request made now.
func (w *world) awaitAudit(t *testing.T) {
	t.Helper()
	w.do("GET", "/contacts/987654321987", w.a.token, nil, nil)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		r := w.do("GET", "/driftwood/v1/audit?limit=20", w.a.token, nil, nil)
		if strings.Contains(r.Body.String(), `"route":"GET /contacts/{id}","status":404`) {
			return
		}
	}
	t.Fatal("the audit log was not written within 20s")
}
