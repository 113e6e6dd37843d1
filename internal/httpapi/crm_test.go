package httpapi_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/auth"
)

func TestAccounts(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		ada := e.NewAgent(t, e.OrgID, "Ada", "ada@example.com")
		bo := e.NewAgent(t, e.OrgID, "Bo", "bo@example.com")
		acme := dataObj(t, e.Call(t, "POST", "/accounts/create", map[string]any{
			"ownerId": ada, "name": "Acme", "domain": "Acme.Example", "targeted": true,
			"customProperties": []map[string]any{
				{"label": "Employees", "name": "employees", "value": 1200, "type": "NUMBER"},
				{"label": "CSM", "name": "csm", "value": bo, "type": "TEAMMEMBER"},
				{"name": "hq", "value": "48.85,2.35", "type": "LATLON"},
				{"name": "renewal", "value": "2026-03-31", "type": "DATE"},
				{"name": "products", "value": []string{"chat", "email"}, "type": "ENUMARRAY"},
			},
		}, http.StatusOK))
		wantID := fmt.Sprintf("%d_acme.example", e.OrgID)
		if acme["accountId"] != wantID || num(acme["ownerId"]) != ada || acme["deleted"] != false || acme["targeted"] != true {
			t.Fatalf("account: %v", acme)
		}
		for _, k := range []string{"name", "domain", "customProperties", "createDateTime", "updateDateTime"} {
			if _, ok := acme[k]; !ok {
				t.Fatalf("account lacks %s: %v", k, acme)
			}
		}
		// The seed listing's owner_id form.
		e.Call(t, "POST", "/accounts/create", map[string]any{"owner_id": bo, "name": "Globex", "domain": "globex.example"}, http.StatusOK)

		upd := dataObj(t, e.Call(t, "PATCH", "/accounts/update", map[string]any{"accountId": wantID, "ownerId": bo, "name": "Acme Corp",
			"domain": "acme.example", "customProperties": []map[string]any{{"name": "site", "value": "https://acme.example", "type": "URL"}}}, http.StatusOK))
		if upd["name"] != "Acme Corp" || num(upd["ownerId"]) != bo || len(upd["customProperties"].([]any)) != 1 || upd["targeted"] != true {
			t.Fatalf("updated: %v", upd)
		}
		got := dataObj(t, e.Call(t, "GET", "/accounts/"+wantID, nil, http.StatusOK))
		if got["name"] != "Acme Corp" {
			t.Fatalf("get: %v", got)
		}

		_, otherToken := e.NewOrg(t, "Other")
		readOnly := e.NewToken(t, e.OrgID, auth.AccountRead)
		prop := func(typ string, v any) map[string]any {
			return map[string]any{"ownerId": ada, "domain": "bad.example", "customProperties": []map[string]any{{"name": "p", "type": typ, "value": v}}}
		}
		for _, c := range []struct {
			name, method, path, token string
			body                      any
			status                    int
			typ                       string
		}{
			{"duplicate domain", "POST", "/accounts/create", "", map[string]any{"ownerId": ada, "domain": "ACME.example"}, 409, "conflict"},
			{"no owner", "POST", "/accounts/create", "", map[string]any{"domain": "x.example"}, 400, "validation_error"},
			{"bad owner", "POST", "/accounts/create", "", map[string]any{"ownerId": "abc", "domain": "x.example"}, 400, "validation_error"},
			{"no domain", "POST", "/accounts/create", "", map[string]any{"ownerId": ada}, 400, "validation_error"},
			{"bad domain", "POST", "/accounts/create", "", map[string]any{"ownerId": ada, "domain": "https://x.example/"}, 400, "validation_error"},
			{"number", "POST", "/accounts/create", "", prop("NUMBER", "many"), 400, "validation_error"},
			{"email", "POST", "/accounts/create", "", prop("EMAIL", "nope"), 400, "validation_error"},
			{"url", "POST", "/accounts/create", "", prop("URL", "acme"), 400, "validation_error"},
			{"lat", "POST", "/accounts/create", "", prop("LAT", 91), 400, "validation_error"},
			{"latlon", "POST", "/accounts/create", "", prop("LATLON", "1"), 400, "validation_error"},
			{"date", "POST", "/accounts/create", "", prop("DATE", "31/03/2026"), 400, "validation_error"},
			{"enumarray", "POST", "/accounts/create", "", prop("ENUMARRAY", "a"), 400, "validation_error"},
			{"teammember", "POST", "/accounts/create", "", prop("TEAMMEMBER", 999999), 400, "validation_error"},
			{"unknown type", "POST", "/accounts/create", "", prop("COLOR", "red"), 400, "validation_error"},
			{"malformed", "POST", "/accounts/create", "", `{"ownerId":`, 400, "bad_request"},
			{"wrong type", "POST", "/accounts/create", "", `{"ownerId": 1, "domain": 5}`, 400, "validation_error"},
			{"no scope", "POST", "/accounts/create", readOnly, map[string]any{"ownerId": ada, "domain": "x.example"}, 403, "insufficient_scope"},
			{"update without id", "PATCH", "/accounts/update", "", map[string]any{"name": "X"}, 400, "validation_error"},
			{"update domain", "PATCH", "/accounts/update", "", map[string]any{"accountId": wantID, "domain": "other.example"}, 400, "validation_error"},
			{"update unknown", "PATCH", "/accounts/update", "", map[string]any{"accountId": "1_nope.example", "name": "X"}, 404, "not_found"},
			{"update foreign", "PATCH", "/accounts/update", otherToken, map[string]any{"accountId": wantID, "name": "X"}, 404, "not_found"},
			{"get foreign", "GET", "/accounts/" + wantID, otherToken, nil, 404, "not_found"},
			{"delete foreign", "DELETE", "/accounts/" + wantID, otherToken, nil, 404, "not_found"},
			{"size not a number", "GET", "/accounts?size=ten", "", nil, 400, "validation_error"},
			{"negative index", "GET", "/accounts?index=-1", "", nil, 400, "validation_error"},
		} {
			tok := c.token
			if tok == "" {
				tok = e.Token
			}
			r := e.Do(t, apitest.Request{Method: c.method, Path: c.path, Token: tok, Body: c.body})
			if r.Status != c.status {
				t.Errorf("%s: status %d, want %d: %s", c.name, r.Status, c.status, r.Body)
				continue
			}
			apitest.WantError(t, r, c.status, c.typ)
		}
		if got := dataObj(t, e.Call(t, "GET", "/accounts/"+wantID, nil, http.StatusOK)); got["name"] != "Acme Corp" || num(got["ownerId"]) != bo {
			t.Fatalf("a refused write changed the account: %v", got)
		}

		r := e.Call(t, "DELETE", "/accounts/"+wantID, nil, http.StatusOK)
		if r["result"] != "OK" || r["ok"] != true {
			t.Fatalf("delete: %v", r)
		}
		if got := dataObj(t, e.Call(t, "GET", "/accounts/"+wantID, nil, http.StatusOK)); got["deleted"] != true {
			t.Fatalf("deleted account: %v", got)
		}
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "PATCH", Path: "/accounts/update", Token: e.Token, Body: map[string]any{"accountId": wantID, "name": "X"}}), 404, "not_found")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/accounts/create", Token: e.Token, Body: map[string]any{"ownerId": ada, "domain": "acme.example"}}), 409, "conflict")
	})
}

func TestAccounts_Paging(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		owner := e.NewAgent(t, e.OrgID, "Ada", "ada@example.com")
		const n = 200
		for i := range n {
			e.Call(t, "POST", "/accounts/create", map[string]any{"ownerId": owner, "name": fmt.Sprint("Company ", i), "domain": fmt.Sprintf("c%03d.example", i)}, http.StatusOK)
		}
		e.Call(t, "DELETE", fmt.Sprintf("/accounts/%d_c000.example", e.OrgID), nil, http.StatusOK)

		seen := map[string]bool{}
		pages := 0
		path := "/accounts?size=65"
		for path != "" {
			page := dataObj(t, e.Call(t, "GET", path, nil, http.StatusOK))
			pages++
			for _, a := range page["accounts"].([]any) {
				id := a.(map[string]any)["accountId"].(string)
				if seen[id] {
					t.Fatalf("account %s on two pages", id)
				}
				seen[id] = true
			}
			path = ""
			if next, ok := page["next"].(string); ok {
				if !strings.HasPrefix(next, "/accounts?") || !regexp.MustCompile(`index=\d+`).MatchString(next) || !strings.Contains(next, "size=65") {
					t.Fatalf("next is not a relative path with index and size: %s", next)
				}
				path = next
			}
		}
		if len(seen) != n-1 || pages != 4 || seen[fmt.Sprintf("%d_c000.example", e.OrgID)] {
			t.Fatalf("%d accounts on %d pages", len(seen), pages)
		}
		def := dataObj(t, e.Call(t, "GET", "/accounts", nil, http.StatusOK))
		if len(def["accounts"].([]any)) != 10 || def["next"] == nil {
			t.Fatalf("default page: %v", def)
		}
		last := dataObj(t, e.Call(t, "GET", "/accounts?index=190&size=10", nil, http.StatusOK))
		if _, ok := last["next"]; ok || len(last["accounts"].([]any)) != 9 {
			t.Fatalf("last page: %v", last)
		}
	})
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestPlaybooks(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		demo := dataObj(t, e.Call(t, "POST", "/driftwood/v1/playbooks", map[string]any{"name": "Book a demo", "reportType": "BOOK_MORE_MEETINGS",
			"goals": []map[string]any{{"message": "Meeting booked"}, {"message": "Email captured"}}}, http.StatusCreated))
		if demo["enabled"] != true || demo["landingPage"] != false {
			t.Fatalf("admin playbook: %v", demo)
		}
		e.Call(t, "POST", "/driftwood/v1/playbooks", map[string]any{"name": "Webinar", "landingPage": true,
			"goals": []map[string]any{{"id": "5D1F3C3E-8F6B-4A2E-9C1D-3B7A2E6F0A04", "message": "Registered"}}}, http.StatusCreated)
		off := dataObj(t, e.Call(t, "POST", "/driftwood/v1/playbooks", map[string]any{"name": "Old", "enabled": false}, http.StatusCreated))

		r := e.Do(t, apitest.Request{Method: "GET", Path: "/playbooks/list", Token: e.Token})
		list, ok := r.JSON(t).([]any)
		if r.Status != 200 || !ok || len(list) != 2 {
			t.Fatalf("playbooks list is not a bare array of the 2 enabled: %s", r.Body)
		}
		p := list[0].(map[string]any)
		for _, k := range []string{"id", "name", "orgId", "meta", "createdAt", "updatedAt", "createdAuthorId", "updatedAuthorId", "interactionId", "reportType", "goals"} {
			if _, ok := p[k]; !ok {
				t.Fatalf("playbook lacks %s: %v", k, p)
			}
		}
		if _, ok := p["enabled"]; ok {
			t.Fatalf("Drift's shape shows Driftwood's flags: %v", p)
		}
		goals := p["goals"].([]any)
		if len(goals) != 2 || !uuidRE.MatchString(goals[0].(map[string]any)["id"].(string)) || goals[1].(map[string]any)["message"] != "Email captured" {
			t.Fatalf("goals: %v", goals)
		}
		r = e.Do(t, apitest.Request{Method: "GET", Path: "/playbooks/clp", Token: e.Token})
		clp, ok := r.JSON(t).([]any)
		if !ok || len(clp) != 1 || clp[0].(map[string]any)["name"] != "Webinar" ||
			clp[0].(map[string]any)["goals"].([]any)[0].(map[string]any)["id"] != "5d1f3c3e-8f6b-4a2e-9c1d-3b7a2e6f0a04" {
			t.Fatalf("clp: %s", r.Body)
		}

		e.Call(t, "PATCH", fmt.Sprintf("/driftwood/v1/playbooks/%d", num(off["id"])), map[string]any{"enabled": true}, http.StatusOK)
		if l := e.Do(t, apitest.Request{Method: "GET", Path: "/playbooks/list", Token: e.Token}).JSON(t).([]any); len(l) != 3 {
			t.Fatalf("enabled playbook not listed: %v", l)
		}

		_, otherToken := e.NewOrg(t, "Other")
		noScope := e.NewToken(t, e.OrgID, auth.ContactRead)
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "GET", Path: "/playbooks/list", Token: noScope}), 403, "insufficient_scope")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "PATCH", Path: fmt.Sprintf("/driftwood/v1/playbooks/%d", num(off["id"])), Token: otherToken, Body: map[string]any{"name": "X"}}), 404, "not_found")
		for _, body := range []any{
			map[string]any{"name": ""},
			map[string]any{"name": "X", "goals": []map[string]any{{"message": ""}}},
			map[string]any{"name": "X", "goals": []map[string]any{{"id": "not-a-uuid", "message": "m"}}},
			map[string]any{"name": "X", "authorId": 999999},
			`{"name": "X", "enabled": "yes"}`,
		} {
			apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/playbooks", Token: e.Token, Body: body}), 400, "validation_error")
		}
		if l := e.Do(t, apitest.Request{Method: "GET", Path: "/playbooks/list", Token: e.Token}).JSON(t).([]any); len(l) != 3 {
			t.Fatalf("a refused playbook was written: %v", l)
		}
	})
}

func TestResetAndSeed(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		count := func(path string) int {
			r := e.Do(t, apitest.Request{Method: "GET", Path: path, Token: e.Token})
			switch v := r.JSON(t).(type) {
			case []any:
				return len(v)
			case map[string]any:
				if l, ok := v["data"].([]any); ok {
					return len(l)
				}
				return len(v["data"].(map[string]any)["accounts"].([]any))
			}
			t.Fatalf("%s: %s", path, r.Body)
			return 0
		}
		window := func() string {
			now := e.App.DB.Now().UnixMilli()
			return fmt.Sprintf("/users/meetings/org?min_start_time=%d&max_start_time=%d", now-7*86400000, now+7*86400000)
		}
		e.Call(t, "POST", "/driftwood/v1/seed", nil, http.StatusOK)
		want := map[string]int{"/users": 5, "/teams/org": 2, "/accounts": 4, "/playbooks/list": 3, "/playbooks/clp": 1}
		for path, n := range want {
			if got := count(path); got != n {
				t.Fatalf("after demo seed %s has %d, want %d", path, got, n)
			}
		}
		if got := count(window()); got != 4 {
			t.Fatalf("after demo seed %d meetings, want 4", got)
		}
		// Seeding twice is refused before anything is written.
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/seed", Token: e.Token}), 409, "conflict")
		if got := count("/users"); got != 5 {
			t.Fatalf("refused seed wrote users: %d", got)
		}

		e.Call(t, "POST", "/driftwood/v1/reset", nil, http.StatusOK)
		for path, n := range map[string]int{"/users": 1, "/teams/org": 0, "/accounts": 0, "/playbooks/list": 0, "/playbooks/clp": 0} {
			if got := count(path); got != n {
				t.Fatalf("after reset %s has %d, want %d", path, got, n)
			}
		}
		if got := count(window()); got != 0 {
			t.Fatalf("after reset %d meetings", got)
		}
		if got := count("/contacts?email=jane@acme.example"); got != 0 {
			t.Fatalf("after reset %d contacts", got)
		}

		// A suite's own fixtures: references by email, fixed times.
		fixtures := `{
		  "users": [{"name": "Tess Tester", "email": "tess@example.com", "role": "agent"}],
		  "contacts": [{"email": "pat@client.example", "name": "Pat"}],
		  "teams": [{"name": "QA", "members": ["tess@example.com"]}],
		  "accounts": [{"owner": "tess@example.com", "name": "Client", "domain": "client.example",
		    "customProperties": [{"name": "csm", "type": "TEAMMEMBER", "value": "tess@example.com"}]}],
		  "playbooks": [{"name": "Hello", "goals": [{"id": "11111111-2222-4333-8444-555555555555", "message": "Said hi"}]}],
		  "meetings": [{"agent": "tess@example.com", "contact": "pat@client.example", "start": 1748790000000, "eventId": "fixed-1"}]
		}`
		bad := strings.Replace(fixtures, `"contact": "pat@client.example"`, `"contact": "nobody@client.example"`, 1)
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/seed", Token: e.Token, Body: bad}), 400, "validation_error")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/seed", Token: e.Token, Body: `{"agents": []}`}), 400, "bad_request")
		if got := count("/users"); got != 1 {
			t.Fatalf("refused fixtures wrote users: %d", got)
		}
		e.Call(t, "POST", "/driftwood/v1/seed", fixtures, http.StatusOK)
		acc := dataObj(t, e.Call(t, "GET", fmt.Sprintf("/accounts/%d_client.example", e.OrgID), nil, http.StatusOK))
		users := dataList(t, e.Call(t, "GET", "/users", nil, http.StatusOK))
		tess := users[1].(map[string]any)
		csm := acc["customProperties"].([]any)[0].(map[string]any)
		if num(acc["ownerId"]) != num(tess["id"]) || fmt.Sprint(csm["value"]) != fmt.Sprint(tess["id"]) {
			t.Fatalf("emails not resolved to user ids: %v, %v", acc, tess)
		}
		ms := dataList(t, e.Call(t, "GET", "/users/meetings/org?min_start_time=1748790000000&max_start_time=1748790000000", nil, http.StatusOK))
		if len(ms) != 1 || ms[0].(map[string]any)["eventId"] != "fixed-1" || num(ms[0].(map[string]any)["slotEnd"]) != 1748790000000+30*60000 {
			t.Fatalf("fixture meeting: %v", ms)
		}
		noAdmin := e.NewToken(t, e.OrgID, auth.UserRead)
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/reset", Token: noAdmin}), 403, "insufficient_scope")
	})
}
