package firetest_test

import (
	"net/http"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// The examples are good requests, so that the mutations of them reach past
// the decoder into the handlers' own checks and the store.
func TestExamples_Good(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Backends()[0])
	for _, rt := range ordered(w.e.App.API.Routes()) {
		for _, ex := range examplesOf(t, rt) {
			o := w.a
			if destructive(rt) {
				o = w.newOrg(t) // what it deletes is there
			}
			r := w.do(rt.Method, render(ex.path, o.ids), ex.bearer(o), []byte(render(ex.body, o.ids)), ex.header())
			switch {
			case ex.want != 0 && r.Code == ex.want, r.Code == http.StatusConflict: // the same object under /scim and /scim/v2
			case r.Code >= 400:
				t.Errorf("%s %s: example answered %d: %.300s", rt.Method, ex.path, r.Code, r.Body)
			}
		}
	}
}
