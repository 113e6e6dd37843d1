package httpapi_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/httpapi"
)

const scimErrorSchema = `"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"]`

// The refusals of the middleware, which come before any handler, answer in
// the shape of the route's family: SCIM's under /scim, Drift's elsewhere
// (the OAuth token endpoints included: only their handlers' refusals are
// RFC 6749's).
func TestErrors_MiddlewareShapeByFamily(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetestSQLite(), apitest.WithConfig(func(c *cfgT) { c.RateLimit, c.RateBurst = 1, 1 }))
	tooLarge := strings.Repeat("a", httpapi.MaxBodyBytes+1)
	apitest.RunScenarios(t, e, []apitest.Scenario{
		{Name: "SCIM 413", Method: "POST", Path: "/scim/v2/Users", Body: tooLarge, Header: scimJSON, Status: 413,
			ContentType: scimMedia, Contains: []string{scimErrorSchema, `"status":"413"`}},
		{Name: "SCIM 401", Method: "GET", Path: "/v1/scim/Users", Token: apitest.NoToken, Status: 401,
			ContentType: scimMedia, Contains: []string{scimErrorSchema, `"status":"401"`}},
		{Name: "SCIM 405", Method: "DELETE", Path: "/scim/Schemas", Status: 405,
			ContentType: scimMedia, Contains: []string{scimErrorSchema, `"status":"405"`}},
		{Name: "SCIM 200", Method: "GET", Path: "/scim/Users"},
		{Name: "SCIM 429", Method: "GET", Path: "/scim/Users", Status: 429,
			ContentType: scimMedia, Contains: []string{scimErrorSchema, `"status":"429"`}, Check: func(t testing.TB, r *apitest.Result) {
				if r.Header.Get("Retry-After") == "" {
					t.Fatalf("429 without Retry-After: %v", r.Header)
				}
			}},
		{Name: "Drift 413", Method: "POST", Path: "/contacts", Body: tooLarge, Status: 413, Error: "payload_too_large"},
		{Name: "Drift 404", Method: "GET", Path: "/scimx/Users", Status: 404, Error: "not_found"},
		{Name: "token 413", Method: "POST", Path: "/oauth2/token", Body: tooLarge, Token: apitest.NoToken, Status: 413, Error: "payload_too_large"},
		{Name: "token 405", Method: "GET", Path: "/oauth2/token", Token: apitest.NoToken, Status: 405, Error: "method_not_allowed"},
		{Name: "token refusal", Method: "POST", Path: "/oauth2/token", Token: apitest.NoToken,
			Body: "grant_type=authorization_code&client_id=nobody&client_secret=x", Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			Status: 401, ContentType: "application/json", Contains: []string{`"error":"invalid_client"`, `"error_description":`},
			Check: func(t testing.TB, r *apitest.Result) {
				if r.Header.Get("Cache-Control") != "no-store" {
					t.Fatalf("an OAuth refusal without Cache-Control: no-store: %v", r.Header)
				}
			}},
	})
}

// A request whose client has left is answered 499 (nginx's status for it,
// for the access log), not logged as a server fault, however far it got:
// refused by the token check's read of the database, or by a handler's.
func TestErrors_ClientGone(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetestSQLite())
	for _, path := range []string{"/contacts/1", "/conversations?limit=5"} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		req := httptest.NewRequestWithContext(ctx, "GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+e.Token)
		rec := httptest.NewRecorder()
		e.App.API.ServeHTTP(rec, req)
		if rec.Code != 499 || rec.Body.Len() != 0 {
			t.Errorf("GET %s after the client left: %d %s", path, rec.Code, rec.Body)
		}
	}
}
