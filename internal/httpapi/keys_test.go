package httpapi_test

import (
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
)

// Unique keys longer than PostgreSQL can index (an externalId, an email, a
// SCIM userName) are a 400 on both stores, never a 500 (found by the fire
// suite's long form).
func TestLongUniqueKeys(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		long := strings.Repeat("k", 5000)
		for _, attrs := range []map[string]any{
			{"email": "long@x.example", "externalId": long},
			{"email": long + "@x.example"},
		} {
			r := e.Do(t, apitest.Request{Method: "POST", Path: "/contacts", Token: e.Token, Body: map[string]any{"attributes": attrs}})
			apitest.WantError(t, r, 400, "validation_error")
		}
		r := e.Do(t, apitest.Request{Method: "POST", Path: "/scim/v2/Users", Token: e.Token,
			Body: map[string]any{"userName": long, "active": true}})
		if r.Status != 400 || !strings.Contains(string(r.Body), "invalidValue") {
			t.Fatalf("SCIM userName of 5000 bytes: %d %.200s", r.Status, r.Body)
		}
	})
}
