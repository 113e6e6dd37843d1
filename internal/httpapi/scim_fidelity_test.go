package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
)

func patchOps(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops}
}

// TestSCIM_PatchKeepsOnlyWhatWasSent (issue 16, items 21 and 24): a PATCH
// writes back no name Driftwood derived for display, removals of
// name.givenName and name stick, operations on attributes Driftwood does
// not keep are ignored while the rest applies, every email is kept, and
// removing the work email clears it.
func TestSCIM_PatchKeepsOnlyWhatWasSent(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		// Only a displayName: no name parts are made up, before or after a PATCH.
		u := scimCall(t, e, "POST", "/scim/Users", map[string]any{"userName": "dee@example.com", "displayName": "Dee Dee Ramone"}, 201)
		path := "/scim/Users/" + u["id"].(string)
		if u["name"] != nil {
			t.Fatalf("name derived for a SCIM user: %v", u)
		}
		got := scimCall(t, e, "PATCH", path, patchOps(map[string]any{"op": "replace", "path": "active", "value": false}), 200)
		if got["name"] != nil || scimCall(t, e, "GET", path, nil, 200)["name"] != nil {
			t.Fatalf("name written back: %v", got)
		}

		// remove name.givenName, then name, stick.
		u = scimCall(t, e, "POST", "/scim/Users", scimUser("gus@example.com", "Gus", "Grant"), 201)
		path = "/scim/Users/" + u["id"].(string)
		scimCall(t, e, "PATCH", path, patchOps(map[string]any{"op": "remove", "path": "name.givenName"}), 200)
		got = scimCall(t, e, "GET", path, nil, 200)
		if n := got["name"].(map[string]any); n["givenName"] != nil || n["familyName"] != "Grant" {
			t.Fatalf("after remove name.givenName: %v", got)
		}
		scimCall(t, e, "PATCH", path, patchOps(map[string]any{"op": "remove", "path": "name"}), 200)
		if got = scimCall(t, e, "GET", path, nil, 200); got["name"] != nil || got["displayName"] != "Gus Grant" {
			t.Fatalf("after remove name: %v", got)
		}

		// Attributes not kept are ignored; the rest of the PATCH applies.
		got = scimCall(t, e, "PATCH", path, patchOps(
			map[string]any{"op": "replace", "path": "title", "value": "Engineer"},
			map[string]any{"op": "add", "path": "addresses", "value": []any{map[string]any{"country": "Germany"}}},
			map[string]any{"op": "replace", "path": "preferredLanguage", "value": "de"},
			map[string]any{"op": "replace", "path": "password", "value": "s3cret!"},
			map[string]any{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "R&D"},
			map[string]any{"op": "replace", "value": map[string]any{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"manager": map[string]any{"value": "1"}}}},
			map[string]any{"op": "replace", "path": "displayName", "value": "Gus G"},
			map[string]any{"op": "add", "path": "emails", "value": []any{map[string]any{"value": "gus@home.example", "type": "home"}}},
		), 200)
		if got["displayName"] != "Gus G" || got["title"] != nil || got["addresses"] != nil || got["password"] != nil {
			t.Fatalf("patch with unkept attributes: %v", got)
		}
		if emails := emailValues(got); !slices.Equal(emails, []string{"gus@example.com", "gus@home.example"}) {
			t.Fatalf("emails %v", emails)
		}
		rows := e.RowsContaining(t, "s3cret!")
		if len(rows) != 0 {
			t.Fatalf("the password was stored: %v", rows)
		}
		// Removing the work email clears it; the Drift email follows the primary.
		got = scimCall(t, e, "PATCH", path, patchOps(map[string]any{"op": "remove", "path": `emails[type eq "work"]`}), 200)
		if emails := emailValues(got); !slices.Equal(emails, []string{"gus@home.example"}) {
			t.Fatalf("emails after removing the work email %v", emails)
		}
		var id int64
		fmt.Sscan(u["id"].(string), &id)
		if du, err := e.App.DB.GetUser(t.Context(), e.OrgID, id); err != nil || du.Email != "gus@home.example" {
			t.Fatalf("Drift user %+v, %v", du, err)
		}
		scimCall(t, e, "PATCH", path, patchOps(map[string]any{"op": "remove", "path": "emails"}), 200)
		if got = scimCall(t, e, "GET", path, nil, 200); got["emails"] != nil {
			t.Fatalf("emails after removing all: %v", got)
		}
		// Still a 400 for an attribute no schema has, and nothing applied.
		r := e.Do(t, apitest.Request{Method: "PATCH", Path: path, Token: e.Token, Body: patchOps(
			map[string]any{"op": "replace", "path": "displayName", "value": "Changed"},
			map[string]any{"op": "replace", "path": "favouriteColour", "value": "blue"})})
		wantSCIMError(t, r, http.StatusBadRequest, "invalidPath")
		if got = scimCall(t, e, "GET", path, nil, 200); got["displayName"] != "Gus G" {
			t.Fatalf("partial write: %v", got)
		}
		r = e.Do(t, apitest.Request{Method: "POST", Path: "/scim/Users", Token: e.Token, Body: map[string]any{
			"userName": "many@example.com", "emails": slices.Repeat([]any{map[string]any{"value": "x@example.com"}}, 21)}})
		wantSCIMError(t, r, http.StatusBadRequest, "invalidValue")
		r = e.Do(t, apitest.Request{Method: "POST", Path: "/scim/Users", Token: e.Token, Body: map[string]any{
			"userName": "many@example.com", "emails": []any{map[string]any{"value": 5}}}})
		wantSCIMError(t, r, http.StatusBadRequest, "invalidValue")
	})
}

func emailValues(res map[string]any) []string {
	var out []string
	list, _ := res["emails"].([]any)
	for _, v := range list {
		out = append(out, v.(map[string]any)["value"].(string))
	}
	return out
}

// TestSCIM_UserNameUnicodeCase (item 22): userName uniqueness folds case
// over all of Unicode, on both stores, and against the email of a user
// made outside SCIM.
func TestSCIM_UserNameUnicodeCase(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		scimCall(t, e, "POST", "/scim/Users", map[string]any{"userName": "ÅSA.ÖBERG@example.com"}, 201)
		scimCall(t, e, "POST", "/scim/Users", map[string]any{"userName": "ΣΊΣΥΦΟΣ"}, 201)
		for _, name := range []string{"åsa.öberg@EXAMPLE.com", "A\u030asa.\u00f6berg@example.com", "σίσυφος", "ΣΊΣΥΦΟΣ"} {
			r := e.Do(t, apitest.Request{Method: "POST", Path: "/scim/Users", Token: e.Token, Body: map[string]any{"userName": name}})
			wantSCIMError(t, r, http.StatusConflict, "uniqueness")
		}
		other := scimCall(t, e, "POST", "/scim/Users", map[string]any{"userName": "åsa@example.com"}, 201)
		r := e.Do(t, apitest.Request{Method: "PATCH", Path: "/scim/Users/" + other["id"].(string), Token: e.Token,
			Body: patchOps(map[string]any{"op": "replace", "path": "userName", "value": "Åsa.Öberg@example.com"})})
		wantSCIMError(t, r, http.StatusConflict, "uniqueness")
		// A user made outside SCIM goes by its email.
		e.Call(t, "POST", "/driftwood/v1/users", map[string]any{"name": "Élodie", "email": "ÉLODIE@example.com"}, 201)
		r = e.Do(t, apitest.Request{Method: "POST", Path: "/scim/Users", Token: e.Token, Body: map[string]any{"userName": "élodie@example.com"}})
		wantSCIMError(t, r, http.StatusConflict, "uniqueness")
		// Another org may use the same name.
		_, otherToken := e.NewOrg(t, "Other")
		r = e.Do(t, apitest.Request{Method: "POST", Path: "/scim/Users", Token: otherToken, Body: map[string]any{"userName": "åsa.öberg@example.com"}})
		if r.Status != http.StatusCreated {
			t.Fatalf("another org: %d %s", r.Status, r.Body)
		}
	})
}

// TestSCIM_Projection (item 23 and 24's paths): attributes=name.givenName
// returns only that sub-attribute; excludedAttributes=name.familyName
// drops only that one; resource paths match in any case.
func TestSCIM_Projection(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		u := scimCall(t, e, "POST", "/scim/users", scimUser("pat@example.com", "Pat", "Pike"), 201)
		id := u["id"].(string)
		got := scimCall(t, e, "GET", "/scim/Users/"+id+"?attributes=name.givenName", nil, 200)
		if fmt.Sprint(got["name"]) != "map[givenName:Pat]" || got["userName"] != nil || got["id"] != id {
			t.Fatalf("attributes=name.givenName: %v", got)
		}
		list := scimCall(t, e, "GET", "/scim/v2/users?attributes=name.givenName,userName", nil, 200)
		res := list["Resources"].([]any)[0].(map[string]any)
		if fmt.Sprint(res["name"]) != "map[givenName:Pat]" || res["userName"] != "pat@example.com" || res["emails"] != nil {
			t.Fatalf("list attributes: %v", res)
		}
		got = scimCall(t, e, "GET", "/SCIM/V2/USERS/"+id+"?excludedAttributes=name.familyName,emails.type", nil, 200)
		if n := got["name"].(map[string]any); n["familyName"] != nil || n["givenName"] != "Pat" {
			t.Fatalf("excludedAttributes: %v", got)
		}
		if em := got["emails"].([]any)[0].(map[string]any); em["type"] != nil || em["value"] != "pat@example.com" {
			t.Fatalf("excludedAttributes emails.type: %v", got)
		}
		scimCall(t, e, "GET", "/scim/serviceproviderconfig", nil, 200)
		scimCall(t, e, "DELETE", "/scim/uSeRs/"+id, nil, 204)
		wantSCIMError(t, e.Do(t, apitest.Request{Method: "GET", Path: "/scim/users/" + id, Token: e.Token}), 404, "")
	})
}
