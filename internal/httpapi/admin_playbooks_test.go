package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/auth"
)

// qualifyDefinition is the playbook package's test playbook: every step kind.
func qualifyDefinition(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../playbook/testdata/qualify.json")
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// Playbooks as versioned data through the admin API: create, read, list,
// patch (a new version), dry run, delete; none fires an event, another
// org's id is a 404, a bad definition a 400 naming the field.
func TestAdminPlaybooks(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		otherOrg, otherToken := e.NewOrg(t, "Other")
		noScope := e.NewToken(t, e.OrgID, auth.ContactRead)
		sales := num(dataObj(t, e.Call(t, "POST", "/driftwood/v1/teams", map[string]any{"name": "Sales"}, http.StatusCreated))["id"])
		foreignAgent := e.NewAgent(t, otherOrg, "Foreign", "foreign@example.com")
		def := qualifyDefinition(t)
		routeStep := def["steps"].([]any)[9].(map[string]any)
		routeStep["route"] = map[string]any{"to": "team", "teamId": sales}

		created := apitest.Scenario{Method: "POST", Path: "/driftwood/v1/playbooks", Status: http.StatusCreated,
			Body:     map[string]any{"name": "Qualify", "definition": def},
			Contains: []string{`"version":1`, `"priority":10`, `"message":"Qualified"`}}.Run(t, e)
		pb := dataObj(t, created.Object(t))
		id := num(pb["id"])
		path := fmt.Sprintf("/driftwood/v1/playbooks/%d", id)
		goals := pb["goals"].([]any)
		if len(goals) != 1 {
			t.Fatalf("goals %v, want the goal step's", goals)
		}
		goalID := goals[0].(map[string]any)["id"].(string)

		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Name: "get", Method: "GET", Path: path, Contains: []string{`"name":"Qualify"`, `"kind":"email_capture"`, `"version":1`}},
			{Name: "list", Method: "GET", Path: "/driftwood/v1/playbooks", Contains: []string{`"name":"Qualify"`, `"more":false`}},
			{Name: "Drift's listing shows it with its goal", Method: "GET", Path: "/playbooks/list",
				Contains: []string{`"name":"Qualify"`, goalID}, NotContains: []string{`"definition"`, `"steps"`}},
			{Name: "patch bumps the version and keeps goal ids", Method: "PATCH", Path: path,
				Body: map[string]any{"name": "Qualify v2", "definition": def}, Contains: []string{`"version":2`, `"name":"Qualify v2"`, goalID}},
			{Name: "dry run", Method: "POST", Path: path + "/test",
				Body: map[string]any{"url": "https://acme.example/pricing", "attributes": map[string]any{"first_name": "<b>Ada</b>"},
					"answers": []string{"Pricing", "not-an-email", "ada@acme.example", "+44 20 7946 0000", "80", "Mon 9:00"}},
				Contains: []string{`"fires":true`, `"version":2`, `"bot":"Hi \u003cb\u003eAda\u003c/b\u003e!"`, `"valid":false`,
					`"retry":"Hmm, \u003cb\u003eAda\u003c/b\u003e, that is not an email."`, `"goals":["Qualified"]`,
					fmt.Sprintf(`"description":"round robin in team %d`, sales), `"outcome":"ended"`, `"email":"ada@acme.example"`}},
			{Name: "dry run that does not fire names the rule", Method: "POST", Path: path + "/test",
				Body:     map[string]any{"url": "https://acme.example/about"},
				Contains: []string{`"fires":false`, `"rule":"targeting.urls"`, `"path":[]`}},
			{Name: "dry run with a bad body", Method: "POST", Path: path + "/test", Body: `{"url": 5}`, Status: 400},
			{Name: "bad definition names the field", Method: "PATCH", Path: path, Status: 400, Error: "validation_error",
				Body:     map[string]any{"definition": map[string]any{"steps": []any{map[string]any{"id": "a", "kind": "message", "text": "x", "next": "gone"}}}},
				Contains: []string{`"param":"definition.steps[0].next"`}},
			{Name: "bad regexp names the field", Method: "POST", Path: "/driftwood/v1/playbooks", Status: 400, Error: "validation_error",
				Body: map[string]any{"name": "Bad", "definition": map[string]any{"targeting": map[string]any{"urls": []any{map[string]any{"match": "regex", "value": "a(b"}}},
					"steps": []any{map[string]any{"id": "a", "kind": "end"}}}},
				Contains: []string{`"param":"definition.targeting.urls[0].value"`}},
			{Name: "another org's agent is refused", Method: "PATCH", Path: path, Status: 400, Error: "validation_error",
				Body: map[string]any{"definition": map[string]any{"steps": []any{
					map[string]any{"id": "r", "kind": "route", "route": map[string]any{"to": "agent", "userId": foreignAgent}}}}},
				Contains: []string{`"param":"definition.steps[0].route.userId"`}},
			{Name: "a missing team is refused", Method: "PATCH", Path: path, Status: 400, Error: "validation_error",
				Body: map[string]any{"definition": map[string]any{"steps": []any{
					map[string]any{"id": "r", "kind": "route", "route": map[string]any{"to": "team", "teamId": sales + 1000}}}}},
				Contains: []string{`"param":"definition.steps[0].route.teamId"`}},
			{Name: "a refused patch leaves the version", Method: "GET", Path: path, Contains: []string{`"version":2`}},
			{Name: "another org's get", Method: "GET", Path: path, Token: otherToken, Status: 404, Error: "not_found"},
			{Name: "another org's test", Method: "POST", Path: path + "/test", Token: otherToken, Body: map[string]any{}, Status: 404, Error: "not_found"},
			{Name: "another org's delete", Method: "DELETE", Path: path, Token: otherToken, Status: 404, Error: "not_found"},
			{Name: "another org's list is empty", Method: "GET", Path: "/driftwood/v1/playbooks", Token: otherToken, NotContains: []string{"Qualify"}},
			{Name: "scope", Method: "GET", Path: path, Token: noScope, Status: 403, Error: "insufficient_scope"},
			{Name: "delete", Method: "DELETE", Path: path, Contains: []string{`"ok":true`}},
			{Name: "gone", Method: "GET", Path: path, Status: 404, Error: "not_found"},
			{Name: "gone from Drift's listing", Method: "GET", Path: "/playbooks/list", NotContains: []string{"Qualify"}},
		})
	})
}

// A listing-only playbook has no definition to run; the list paginates.
func TestAdminPlaybooks_ListAndNoDefinition(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		var ids []int64
		for i := range 3 {
			p := dataObj(t, e.Call(t, "POST", "/driftwood/v1/playbooks", map[string]any{"name": fmt.Sprintf("P%d", i), "enabled": i != 1}, http.StatusCreated))
			ids = append(ids, num(p["id"]))
		}
		first := apitest.Scenario{Method: "GET", Path: "/driftwood/v1/playbooks?limit=2", Contains: []string{`"more":true`, `"P0"`, `"P1"`},
			NotContains: []string{`"P2"`}}.Run(t, e).Object(t)
		next := first["pagination"].(map[string]any)["next"].(string)
		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Name: "second page", Method: "GET", Path: "/driftwood/v1/playbooks?limit=2&next=" + next, Contains: []string{`"P2"`, `"more":false`},
				NotContains: []string{`"P0"`}},
			{Name: "bad limit", Method: "GET", Path: "/driftwood/v1/playbooks?limit=0", Status: 400, Error: "validation_error"},
			{Name: "no definition", Method: "POST", Path: fmt.Sprintf("/driftwood/v1/playbooks/%d/test", ids[0]), Body: map[string]any{},
				Status: 400, Error: "validation_error", Contains: []string{`"param":"definition"`}},
		})
		if s := string(apitest.Scenario{Method: "GET", Path: fmt.Sprintf("/driftwood/v1/playbooks/%d", ids[0])}.Run(t, e).Body); !strings.Contains(s, `"definition":null`) {
			t.Fatalf("a listing-only playbook: %s", s)
		}
	})
}
