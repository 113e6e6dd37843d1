package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
)

// groupMembers lists a group's member ids.
func groupMembers(g map[string]any) []string {
	var out []string
	list, _ := g["members"].([]any)
	for _, m := range list {
		out = append(out, m.(map[string]any)["value"].(string))
	}
	return out
}

// teamOf reads a team of GET /teams/org by id, or nil.
func teamOf(t *testing.T, e *apitest.Env, id string) map[string]any {
	t.Helper()
	for _, tm := range e.Call(t, "GET", "/teams/org", nil, 200)["data"].([]any) {
		if fmt.Sprint(tm.(map[string]any)["id"]) == id {
			return tm.(map[string]any)
		}
	}
	return nil
}

// TestSCIM_GroupsAreTeams (issue 16, item 25): SCIM Groups are Drift
// teams: created, listed with filters, read, replaced, patched in Entra's
// and Okta's forms and deleted through /scim/Groups, and seen through the
// team API.
func TestSCIM_GroupsAreTeams(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		var ids []string
		for _, n := range []string{"ann", "bo", "cy"} {
			ids = append(ids, scimCall(t, e, "POST", "/scim/Users", scimUser(n+"@example.com", n, "X"), 201)["id"].(string))
		}
		ann, bo, cy := ids[0], ids[1], ids[2]

		g := scimCall(t, e, "POST", "/scim/v2/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
			"displayName": "Support", "externalId": "entra-1", "members": []any{map[string]any{"value": bo}, map[string]any{"value": ann, "display": "Ann (lead)"}}}, 201)
		gid := g["id"].(string)
		if g["displayName"] != "Support" || g["externalId"] != "entra-1" || !slices.Equal(groupMembers(g), []string{ann, bo}) {
			t.Fatalf("created %v", g)
		}
		if m := g["members"].([]any); m[0].(map[string]any)["display"] != "Ann (lead)" || m[1].(map[string]any)["display"] != "bo X" {
			t.Fatalf("member display %v", m)
		}
		scimCall(t, e, "POST", "/scim/Groups", map[string]any{"displayName": "Sales"}, 201)
		// The same team through Drift's API.
		tm := teamOf(t, e, gid)
		if tm == nil || tm["name"] != "Support" || fmt.Sprint(tm["members"]) != fmt.Sprintf("[%s %s]", ann, bo) {
			t.Fatalf("team %v", tm)
		}
		teams := e.Call(t, "GET", "/teams/users/"+bo, nil, 200)["data"].([]any)
		if len(teams) != 1 || fmt.Sprint(teams[0].(map[string]any)["id"]) != gid {
			t.Fatalf("teams of bo %v", teams)
		}

		// Filters and projection.
		list := scimCall(t, e, "GET", "/scim/Groups?filter=displayName%20eq%20%22support%22&excludedAttributes=members", nil, 200)
		if list["totalResults"] != jsonNum(1) {
			t.Fatalf("filtered %v", list)
		}
		if res := list["Resources"].([]any)[0].(map[string]any); res["id"] != gid || res["members"] != nil {
			t.Fatalf("filtered %v", res)
		}
		if list = scimCall(t, e, "GET", "/scim/Groups?filter=externalId%20eq%20%22entra-1%22", nil, 200); list["totalResults"] != jsonNum(1) {
			t.Fatalf("by externalId %v", list)
		}
		if list = scimCall(t, e, "GET", "/scim/Groups?startIndex=2&count=1", nil, 200); list["totalResults"] != jsonNum(2) || len(list["Resources"].([]any)) != 1 {
			t.Fatalf("page %v", list)
		}

		path := "/scim/Groups/" + gid
		patch := func(ops ...map[string]any) {
			t.Helper()
			scimCall(t, e, "PATCH", path, patchOps(ops...), 204)
		}
		// Entra: add a list, remove by filter.
		patch(map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"value": cy}}})
		patch(map[string]any{"op": "Remove", "path": fmt.Sprintf(`members[value eq "%s"]`, ann)})
		if got := groupMembers(scimCall(t, e, "GET", path, nil, 200)); !slices.Equal(got, []string{bo, cy}) {
			t.Fatalf("after Entra's add and remove: %v", got)
		}
		// Okta: remove with values, replace the list, rename without a path.
		patch(map[string]any{"op": "remove", "path": "members", "value": []any{map[string]any{"value": bo}}})
		patch(map[string]any{"op": "replace", "path": "members", "value": []any{map[string]any{"value": ann}, map[string]any{"value": bo}}},
			map[string]any{"op": "replace", "value": map[string]any{"id": gid, "displayName": "Support EU"}})
		got := scimCall(t, e, "GET", path, nil, 200)
		if !slices.Equal(groupMembers(got), []string{ann, bo}) || got["displayName"] != "Support EU" {
			t.Fatalf("after Okta's patches: %v", got)
		}
		// attributes asks for the group back.
		got = scimCall(t, e, "PATCH", path+"?attributes=displayName", patchOps(map[string]any{"op": "replace", "path": "displayName", "value": "Support"}), 200)
		if got["displayName"] != "Support" || got["members"] != nil {
			t.Fatalf("patch with attributes: %v", got)
		}
		patch(map[string]any{"op": "remove", "path": "members"})
		if tm := teamOf(t, e, gid); fmt.Sprint(tm["members"]) != "[]" {
			t.Fatalf("after removing all members: %v", tm)
		}

		// PUT replaces.
		got = scimCall(t, e, "PUT", path, map[string]any{"displayName": "Billing", "members": []any{map[string]any{"value": cy}}}, 200)
		if got["displayName"] != "Billing" || got["externalId"] != nil || !slices.Equal(groupMembers(got), []string{cy}) {
			t.Fatalf("put %v", got)
		}
		// Deleting a user takes it out of its teams.
		scimCall(t, e, "DELETE", "/scim/Users/"+cy, nil, 204)
		if got := groupMembers(scimCall(t, e, "GET", path, nil, 200)); len(got) != 0 {
			t.Fatalf("members after the user's deletion: %v", got)
		}
		scimCall(t, e, "DELETE", path, nil, 204)
		wantSCIMError(t, e.Do(t, apitest.Request{Method: "GET", Path: path, Token: e.Token}), 404, "")
		if teamOf(t, e, gid) != nil {
			t.Fatal("the team outlived its group")
		}
	})
}

func TestSCIM_GroupsBadInput(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		ann := scimCall(t, e, "POST", "/scim/Users", scimUser("ann@example.com", "Ann", "A"), 201)["id"].(string)
		g := scimCall(t, e, "POST", "/scim/Groups", map[string]any{"displayName": "Support", "members": []any{map[string]any{"value": ann}}}, 201)
		path := "/scim/Groups/" + g["id"].(string)
		_, otherToken := e.NewOrg(t, "Other")
		otherUser := e.Do(t, apitest.Request{Method: "POST", Path: "/scim/Users", Token: otherToken, Body: scimUser("zed@example.com", "Zed", "Z")}).Object(t)["id"].(string)
		op := func(ops ...map[string]any) map[string]any { return patchOps(ops...) }
		tests := []struct {
			name     string
			req      apitest.Request
			status   int
			scimType string
		}{
			{"no displayName", apitest.Request{Method: "POST", Path: "/scim/Groups", Body: map[string]any{"members": []any{}}}, 400, "invalidValue"},
			{"long displayName", apitest.Request{Method: "POST", Path: "/scim/Groups", Body: map[string]any{"displayName": strings.Repeat("x", 201)}}, 400, "invalidValue"},
			{"displayName not a string", apitest.Request{Method: "POST", Path: "/scim/Groups", Body: `{"displayName": 5}`}, 400, "invalidValue"},
			{"wrong schema", apitest.Request{Method: "POST", Path: "/scim/Groups", Body: map[string]any{"schemas": []string{"urn:x"}, "displayName": "x"}}, 400, "invalidValue"},
			{"member not an id", apitest.Request{Method: "POST", Path: "/scim/Groups", Body: map[string]any{"displayName": "x", "members": []any{map[string]any{"value": "string id 1"}}}}, 400, "invalidValue"},
			{"unknown member", apitest.Request{Method: "POST", Path: "/scim/Groups", Body: map[string]any{"displayName": "x", "members": []any{map[string]any{"value": "987654"}}}}, 400, "invalidValue"},
			{"another org's member", apitest.Request{Method: "PUT", Path: path, Body: map[string]any{"displayName": "x", "members": []any{map[string]any{"value": otherUser}}}}, 400, "invalidValue"},
			{"patch add a string", apitest.Request{Method: "PATCH", Path: path, Body: op(map[string]any{"op": "add", "path": "members", "value": "string id 1"})}, 400, "invalidValue"},
			{"patch another org's member", apitest.Request{Method: "PATCH", Path: path, Body: op(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": otherUser}}})}, 400, "invalidValue"},
			{"patch unknown path", apitest.Request{Method: "PATCH", Path: path, Body: op(map[string]any{"op": "replace", "path": "owner", "value": "x"})}, 400, "invalidPath"},
			{"patch remove displayName", apitest.Request{Method: "PATCH", Path: path, Body: op(map[string]any{"op": "remove", "path": "displayName"})}, 400, "mutability"},
			{"patch bad filter", apitest.Request{Method: "PATCH", Path: path, Body: op(map[string]any{"op": "remove", "path": "members[value eq]"})}, 400, "invalidPath"},
			{"patch no operations", apitest.Request{Method: "PATCH", Path: path, Body: op()}, 400, "invalidSyntax"},
			{"bad filter", apitest.Request{Method: "GET", Path: "/scim/Groups?filter=displayName%20eq"}, 400, "invalidFilter"},
			{"bad count", apitest.Request{Method: "GET", Path: "/scim/Groups?count=x"}, 400, "invalidValue"},
			{"unknown group", apitest.Request{Method: "GET", Path: "/scim/Groups/987654"}, 404, ""},
			{"not an id", apitest.Request{Method: "DELETE", Path: "/scim/Groups/abc"}, 404, ""},
			{"another org's group", apitest.Request{Method: "GET", Path: path, Token: otherToken}, 404, ""},
			{"another org's group patch", apitest.Request{Method: "PATCH", Path: path, Token: otherToken, Body: op(map[string]any{"op": "remove", "path": "members"})}, 404, ""},
			{"another org's group put", apitest.Request{Method: "PUT", Path: path, Token: otherToken, Body: map[string]any{"displayName": "x"}}, 404, ""},
			{"another org's group delete", apitest.Request{Method: "DELETE", Path: path, Token: otherToken}, 404, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				req := tt.req
				if req.Token == "" {
					req.Token = e.Token
				}
				wantSCIMError(t, e.Do(t, req), tt.status, tt.scimType)
			})
		}
		// Nothing was written by the refused requests.
		got := scimCall(t, e, "GET", path, nil, 200)
		if got["displayName"] != "Support" || !slices.Equal(groupMembers(got), []string{ann}) {
			t.Fatalf("group after bad input: %v", got)
		}
		if list := scimCall(t, e, "GET", "/scim/Groups", nil, 200); list["totalResults"] != jsonNum(1) {
			t.Fatalf("groups after bad input: %v", list)
		}
		r := e.Do(t, apitest.Request{Method: "GET", Path: "/scim/Groups", Token: otherToken})
		if r.Status != http.StatusOK || r.Object(t)["totalResults"] != jsonNum(0) {
			t.Fatalf("another org lists %s", r.Body)
		}
	})
}
