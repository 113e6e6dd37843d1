package httpapi_test

import (
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
)

// NUL in a JSON string, or NUL and invalid UTF-8 in a path, are refused
// with a 400 on both stores (PostgreSQL cannot store or compare them: it
// answered 500), and nothing is written.
func TestText_NULAndInvalidUTF8(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		r := e.Do(t, apitest.Request{Method: "POST", Path: "/contacts", Token: e.Token,
			Body: `{"attributes":{"email":"nul@x.example","name":"a\u0000b"}}`})
		apitest.WantError(t, r, 400, "bad_request")
		r = e.Do(t, apitest.Request{Method: "GET", Path: "/contacts?email=nul@x.example", Token: e.Token})
		if got := r.Object(t)["data"].([]any); len(got) != 0 {
			t.Fatalf("the refused contact was written: %s", r.Body)
		}
		// An escaped backslash before u0000 is text, not NUL.
		e.Call(t, "POST", "/contacts", `{"attributes":{"email":"nul@x.example","name":"a\\u0000b"}}`, 200)
		for _, p := range []string{"/accounts/%00", "/accounts/%FF%FE", "/contacts?email=%00", "/driftwood/v1/meetings/%FF/cancel"} {
			method := "GET"
			if p == "/driftwood/v1/meetings/%FF/cancel" {
				method = "POST"
			}
			r := e.Do(t, apitest.Request{Method: method, Path: p, Token: e.Token})
			if r.Status != 400 {
				t.Errorf("%s: %d %s", p, r.Status, r.Body)
			}
		}
	})
}
