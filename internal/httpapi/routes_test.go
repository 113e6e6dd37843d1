package httpapi_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/api"
	"github.com/driftwood-chat/driftwood/internal/apitest"
)

// Every path and method of Drift's seed listing, and the documented forms
// clients send instead (reference §3.8), is routed: no answer is the
// router's own 404 or 405. Handlers may still answer 4xx for the made-up
// ids and bodies. (TestOpenAPI_DescribesEveryRoute checks /openapi.yaml
// against the routes.)
func TestRoutes_CoverListing(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetestSQLite())
	ops := api.Operations(api.DriftListing)
	documented := []api.Operation{
		{Method: "DELETE", Path: "/contacts/{id}"},
		{Method: "GET", Path: "/contacts"},
		{Method: "GET", Path: "/conversations"},
		{Method: "GET", Path: "/users"},
		{Method: "PUT", Path: "/scim/Users/{id}"},
		{Method: "PATCH", Path: "/scim/Users/{id}"},
		{Method: "DELETE", Path: "/scim/Users/{id}"},
		{Method: "GET", Path: "/scim/v2/Users"},
		{Method: "GET", Path: "/v1/contacts/{id}"},
	}
	for _, op := range append(ops, documented...) {
		if op.Path == "/driftwood/v1/events/stream" {
			continue // an endless stream; TestEventStream covers it
		}
		path := pathParam.ReplaceAllString(op.Path, "1")
		r := e.Do(t, apitest.Request{Method: op.Method, Path: path, Token: e.Token, Body: map[string]any{}})
		body := string(r.Body)
		if r.Status == 405 || strings.Contains(body, "no route for") {
			t.Errorf("%s %s is not routed: %d %s", op.Method, op.Path, r.Status, body)
		}
		if r.Status >= 500 {
			t.Errorf("%s %s: %d %s", op.Method, op.Path, r.Status, body)
		}
	}
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)
