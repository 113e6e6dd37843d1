package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/auth"
)

var appBody = map[string]any{
	"name":         "CRM sync",
	"redirectUris": []string{"https://crm.example/callback"},
	"scopes":       []string{"contact_read", "all_contact_read", "conversation_read"},
	"webhookUrl":   "https://crm.example/drift",
	"events":       []string{"contact_updated", "new_message"},
}

func TestApps_CRUD(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		created := e.Call(t, "POST", "/driftwood/v1/apps", appBody, 200)["data"].(map[string]any)
		for _, k := range []string{"clientId", "clientSecret", "verificationToken", "signingSecret"} {
			if s, _ := created[k].(string); len(s) < 16 {
				t.Fatalf("%s = %v", k, created[k])
			}
		}
		if !strings.HasPrefix(created["signingSecret"].(string), "whsec_") {
			t.Fatalf("signingSecret %v", created["signingSecret"])
		}
		if created["name"] != "CRM sync" || created["webhookUrl"] != "https://crm.example/drift" || created["public"] != false ||
			fmt.Sprint(created["events"]) != "[contact_updated new_message]" || created["orgId"] != json.Number(fmt.Sprint(e.OrgID)) {
			t.Fatalf("created %v", created)
		}
		path := fmt.Sprintf("/driftwood/v1/apps/%v", created["id"])

		got := e.Call(t, "GET", path, nil, 200)["data"].(map[string]any)
		if _, shown := got["clientSecret"]; shown {
			t.Fatal("the client secret is shown again")
		}
		if got["signingSecret"] != created["signingSecret"] || got["verificationToken"] != created["verificationToken"] {
			t.Fatalf("secrets do not read back: %v", got)
		}

		patched := e.Call(t, "PATCH", path, map[string]any{"name": "Renamed", "events": []string{"new_message"}}, 200)["data"].(map[string]any)
		if patched["name"] != "Renamed" || fmt.Sprint(patched["events"]) != "[new_message]" || patched["webhookUrl"] != "https://crm.example/drift" {
			t.Fatalf("patched %v", patched)
		}
		list := e.Call(t, "GET", "/driftwood/v1/apps", nil, 200)["data"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["name"] != "Renamed" {
			t.Fatalf("list %v", list)
		}

		rotated := e.Call(t, "POST", path+"/rotate", map[string]any{"signingSecret": true}, 200)["data"].(map[string]any)
		if rotated["signingSecret"] == created["signingSecret"] || rotated["verificationToken"] != created["verificationToken"] {
			t.Fatalf("rotating the signing secret: %v", rotated)
		}
		rotated2 := e.Call(t, "POST", path+"/rotate", nil, 200)["data"].(map[string]any)
		if rotated2["signingSecret"] == rotated["signingSecret"] || rotated2["verificationToken"] == rotated["verificationToken"] {
			t.Fatalf("rotating both: %v", rotated2)
		}

		install := e.Call(t, "POST", path+"/tokens", map[string]any{"scopes": []string{"contact_read"}}, 200)["data"].(map[string]any)
		token := install["accessToken"].(string)
		if install["scope"] != "contact_read" || install["expiresIn"] != json.Number("0") {
			t.Fatalf("install %v", install)
		}
		if r := e.Do(t, apitest.Request{Method: "GET", Path: "/contacts?email=x@example.com", Token: token}); r.Status != 200 {
			t.Fatalf("the app's token does not work: %d %s", r.Status, r.Body)
		}
		r := e.Do(t, apitest.Request{Method: "GET", Path: "/driftwood/v1/apps", Token: token})
		apitest.WantError(t, r, http.StatusForbidden, "insufficient_scope")

		e.Call(t, "DELETE", path, nil, 200)
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "GET", Path: path, Token: e.Token}), 404, "not_found")
		r = e.Do(t, apitest.Request{Method: "GET", Path: "/contacts?email=x@example.com", Token: token})
		apitest.WantError(t, r, http.StatusUnauthorized, "authentication_error")
	})
}

func TestApps_OtherOrgReadsAsMissing(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		created := e.Call(t, "POST", "/driftwood/v1/apps", appBody, 200)["data"].(map[string]any)
		_, other := e.NewOrg(t, "Other")
		for _, req := range []apitest.Request{
			{Method: "GET", Path: fmt.Sprintf("/driftwood/v1/apps/%v", created["id"])},
			{Method: "PATCH", Path: fmt.Sprintf("/driftwood/v1/apps/%v", created["id"]), Body: map[string]any{"name": "x"}},
			{Method: "DELETE", Path: fmt.Sprintf("/driftwood/v1/apps/%v", created["id"])},
			{Method: "POST", Path: fmt.Sprintf("/driftwood/v1/apps/%v/tokens", created["id"])},
			{Method: "POST", Path: fmt.Sprintf("/driftwood/v1/apps/%v/rotate", created["id"])},
			{Method: "GET", Path: "/driftwood/v1/apps/99999"},
		} {
			req.Token = other
			apitest.WantError(t, e.Do(t, req), 404, "not_found")
		}
		if list := e.Call(t, "GET", "/driftwood/v1/apps", nil, 200)["data"].([]any); len(list) != 1 {
			t.Fatalf("list %v", list)
		}
	})
}

func TestApps_BadInput(t *testing.T) {
	t.Parallel()
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for key, val := range appBody {
			m[key] = val
		}
		m[k] = v
		return m
	}
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		for _, tc := range []struct {
			name   string
			body   any
			status int
			typ    string
			param  string
		}{
			{"malformed JSON", `{"name": `, 400, "bad_request", ""},
			{"not an object", `[1]`, 400, "validation_error", "body"},
			{"no name", with("name", ""), 400, "validation_error", "name"},
			{"name not a string", with("name", 5), 400, "validation_error", "name"},
			{"scopes not an array", with("scopes", "contact_read"), 400, "validation_error", "scopes"},
			{"unknown scope", with("scopes", []string{"root"}), 400, "validation_error", "scopes"},
			{"admin scope", with("scopes", []string{"driftwood_admin"}), 400, "validation_error", "scopes"},
			{"unknown event", with("events", []string{"email_captured"}), 400, "validation_error", "events"},
			{"event without its scope", with("scopes", []string{"contact_read"}), 400, "validation_error", "events"},
			{"webhook URL not http", with("webhookUrl", "ftp://crm.example/x"), 400, "validation_error", "webhookUrl"},
			{"webhook URL malformed", with("webhookUrl", "http://[::1"), 400, "validation_error", "webhookUrl"},
			{"webhook URL relative", with("webhookUrl", "/hooks"), 400, "validation_error", "webhookUrl"},
			{"redirect URI bad", with("redirectUris", []string{"javascript:alert(1)"}), 400, "validation_error", "redirectUris"},
		} {
			r := e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/apps", Token: e.Token, Body: tc.body})
			apitest.WantError(t, r, tc.status, tc.typ)
			if tc.param != "" {
				errs, _ := r.Object(t)["errors"].([]any)
				if len(errs) != 1 || errs[0].(map[string]any)["param"] != tc.param {
					t.Errorf("%s: errors %s, want param %s", tc.name, r.Body, tc.param)
				}
			}
		}
		if list := e.Call(t, "GET", "/driftwood/v1/apps", nil, 200)["data"].([]any); len(list) != 0 {
			t.Fatalf("bad requests wrote apps: %v", list)
		}
		created := e.Call(t, "POST", "/driftwood/v1/apps", appBody, 200)["data"].(map[string]any)
		path := fmt.Sprintf("/driftwood/v1/apps/%v", created["id"])
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "PATCH", Path: path, Token: e.Token,
			Body: map[string]any{"scopes": []string{"user_read"}}}), 400, "validation_error")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: path + "/tokens", Token: e.Token,
			Body: map[string]any{"scopes": []string{"user_write"}}}), 400, "validation_error")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "GET", Path: "/driftwood/v1/apps/abc", Token: e.Token}), 400, "validation_error")
		got := e.Call(t, "GET", path, nil, 200)["data"].(map[string]any)
		if !slices.Equal(strings.Fields(fmt.Sprint(got["scopes"])), []string{"[contact_read", "all_contact_read", "conversation_read]"}) {
			t.Fatalf("a refused PATCH changed the app: %v", got)
		}
		noAdmin := e.NewToken(t, e.OrgID, auth.ContactRead)
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/apps", Token: noAdmin, Body: appBody}),
			403, "insufficient_scope")
	})
}
