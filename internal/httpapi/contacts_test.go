package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/events"
)

// contactOf returns data of a {"data": Contact} answer, checking the shape.
func contactOf(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	c, ok := body["data"].(map[string]any)
	if !ok {
		t.Fatalf("no data object: %v", body)
	}
	if _, ok := c["id"].(json.Number); !ok {
		t.Fatalf("contact id is not a number: %v", c)
	}
	if _, ok := c["createdAt"].(json.Number); !ok {
		t.Fatalf("contact createdAt is not epoch ms: %v", c)
	}
	if _, ok := c["attributes"].(map[string]any); !ok {
		t.Fatalf("contact without attributes: %v", c)
	}
	return c
}

func attrs(c map[string]any) map[string]any { return c["attributes"].(map[string]any) }

func TestContacts_Lifecycle(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		// Create: the reference's shape with Drift's bookkeeping attributes.
		c := contactOf(t, e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{
			"email": "jane@acme.example", "name": "Jane", "nothing": nil, "lead_score": 12345678901234,
		}}, 200))
		id := c["id"].(json.Number).String()
		a := attrs(c)
		if a["email"] != "jane@acme.example" || a["externalId"] != nil || a["_END_USER_VERSION"] != json.Number("1") {
			t.Fatalf("attributes %v", a)
		}
		if _, ok := a["nothing"]; ok {
			t.Fatal("a null attribute was stored")
		}
		if a["start_date"] != c["createdAt"] || a["lead_score"] != json.Number("12345678901234") {
			t.Fatalf("start_date or a large number changed: %v", a)
		}

		// Fetch by id, also under /v1.
		for _, p := range []string{"/contacts/" + id, "/v1/contacts/" + id} {
			got := contactOf(t, e.Call(t, "GET", p, nil, 200))
			if got["id"].(json.Number).String() != id {
				t.Fatalf("GET %s answered contact %v", p, got["id"])
			}
		}

		// 409 on the same email; another externalId makes a second contact.
		r := e.Do(t, apitest.Request{Method: "POST", Path: "/contacts", Token: e.Token,
			Body: map[string]any{"attributes": map[string]any{"email": "JANE@acme.example"}}})
		apitest.WantError(t, r, http.StatusConflict, "conflict")
		second := contactOf(t, e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{
			"email": "jane@acme.example", "externalId": 42,
		}}, 200))
		if attrs(second)["externalId"] != "42" || attrs(second)["external_id"] != "42" {
			t.Fatalf("externalId and its mirror: %v", attrs(second))
		}

		// List by email is an array (both /contacts and /contacts/).
		for _, p := range []string{"/contacts?email=jane@acme.example", "/contacts/?email=Jane@Acme.example"} {
			list := e.Call(t, "GET", p, nil, 200)["data"].([]any)
			if len(list) != 2 {
				t.Fatalf("GET %s: %d contacts, want 2", p, len(list))
			}
		}
		// List by externalId, id repeatable.
		list := e.Call(t, "GET", "/contacts?idType=external&id=42&id=nope", nil, 200)["data"].([]any)
		if len(list) != 1 {
			t.Fatalf("by externalId: %d contacts", len(list))
		}
		empty := e.Call(t, "GET", "/contacts?email=nobody@x.com", nil, 200)["data"].([]any)
		if len(empty) != 0 {
			t.Fatal("unknown email found contacts")
		}

		// Update by id: keys added and overwritten, null removes.
		up := contactOf(t, e.Call(t, "PATCH", "/contacts/"+id, map[string]any{"attributes": map[string]any{
			"name": "Jane Doe", "plan": "pro", "lead_score": nil,
		}}, 200))
		if attrs(up)["name"] != "Jane Doe" || attrs(up)["plan"] != "pro" || attrs(up)["lead_score"] != nil || attrs(up)["_END_USER_VERSION"] != json.Number("2") {
			t.Fatalf("after update: %v", attrs(up))
		}
		// Update through /contacts/normalize by externalId and by Drift id.
		n := contactOf(t, e.Call(t, "PATCH", "/contacts/normalize?idType=external&id=42", map[string]any{"attributes": map[string]any{"tier": "gold"}}, 200))
		if attrs(n)["tier"] != "gold" || n["id"] != second["id"] {
			t.Fatalf("normalize by externalId: %v", n)
		}
		n = contactOf(t, e.Call(t, "PATCH", "/contacts/normalize?idType=drift&id="+id, map[string]any{"attributes": map[string]any{"tier": "silver"}}, 200))
		if attrs(n)["tier"] != "silver" {
			t.Fatalf("normalize by drift id: %v", n)
		}

		// Timeline by contactId (string or number) and by externalId (number).
		ev := e.Call(t, "POST", "/contacts/timeline", map[string]any{"contactId": id, "event": "Signed Up"}, 200)["data"].(map[string]any)
		if ev["event"] != "signed up" || ev["contactId"].(json.Number).String() != id || ev["createdAt"] == json.Number("0") {
			t.Fatalf("timeline event %v", ev)
		}
		ev = e.Call(t, "POST", "/contacts/timeline", map[string]any{"externalId": 42, "event": "paid", "createdAt": 1700000000000}, 200)["data"].(map[string]any)
		if ev["createdAt"] != json.Number("1700000000000") || ev["externalId"] != "42" {
			t.Fatalf("timeline event by externalId %v", ev)
		}

		// Attributes: everything ever set, typed.
		props := e.Call(t, "GET", "/contacts/attributes", nil, 200)["data"].(map[string]any)["properties"].([]any)
		types := map[string]string{}
		for _, p := range props {
			p := p.(map[string]any)
			types[p["name"].(string)] = p["type"].(string)
			if p["displayName"] == "" {
				t.Fatalf("attribute without displayName: %v", p)
			}
		}
		if types["plan"] != "STRING" || types["lead_score"] != "NUMERIC" || types["email"] != "STRING" {
			t.Fatalf("attribute types %v", types)
		}

		// Unsubscribe: OK, and user_unsubscribed for each contact with the email.
		if got := e.Call(t, "POST", "/emails/unsubscribe", []string{"jane@acme.example"}, 200); got["ok"] != true || got["result"] != "OK" {
			t.Fatalf("unsubscribe answered %v", got)
		}
		evs, err := e.App.DB.OrgEvents(t.Context(), e.OrgID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		count := map[events.Type]int{}
		for _, ev := range evs {
			count[ev.Type]++
		}
		if count[events.UserUnsubscribed] != 2 || count[events.ContactUpdated] != 3 {
			t.Fatalf("events %v, want 2 user_unsubscribed and 3 contact_updated", count)
		}

		// Delete by DELETE and by the seed's POST: 202 {"result":"OK","ok":true}.
		del := e.Call(t, "DELETE", "/contacts/"+id, nil, http.StatusAccepted)
		if del["ok"] != true || del["result"] != "OK" {
			t.Fatalf("delete answered %v", del)
		}
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "GET", Path: "/contacts/" + id, Token: e.Token}), 404, "not_found")
		e.Call(t, "POST", "/contacts/"+second["id"].(json.Number).String(), nil, http.StatusAccepted)
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "DELETE", Path: "/contacts/" + id, Token: e.Token}), 404, "not_found")
	})
}

func TestContacts_BadInput(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		c := contactOf(t, e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": "a@x.com", "externalId": "ext"}}, 200))
		id := c["id"].(json.Number).String()
		otherOrg, otherToken := e.NewOrg(t, "Other")
		_ = otherOrg
		foreign := contactOf(t, e.Do(t, apitest.Request{Method: "POST", Path: "/contacts", Token: otherToken,
			Body: map[string]any{"attributes": map[string]any{"email": "b@x.com"}}}).Object(t))
		foreignID := foreign["id"].(json.Number).String()

		cases := []struct {
			name, method, path string
			body               any
			header             map[string]string
			status             int
			typ                string
		}{
			{"malformed JSON", "POST", "/contacts", `{"attributes": {"email": `, nil, 400, "bad_request"},
			{"syntax error", "POST", "/contacts", `{"attributes": {email}}`, nil, 400, "bad_request"},
			{"trailing data", "POST", "/contacts", `{"attributes": {"email": "q@x.com"}} {}`, nil, 400, "bad_request"},
			{"empty body", "POST", "/contacts", ``, nil, 400, "bad_request"},
			{"attributes a string", "POST", "/contacts", `{"attributes": "x"}`, nil, 400, "validation_error"},
			{"email a number", "POST", "/contacts", `{"attributes": {"email": 5}}`, nil, 400, "validation_error"},
			{"email not an email", "POST", "/contacts", `{"attributes": {"email": "nope"}}`, nil, 400, "validation_error"},
			{"missing email", "POST", "/contacts", `{"attributes": {"name": "x"}}`, nil, 400, "validation_error"},
			{"missing attributes", "POST", "/contacts", `{}`, nil, 400, "validation_error"},
			{"externalId an object", "POST", "/contacts", `{"attributes": {"email": "q@x.com", "externalId": {}}}`, nil, 400, "validation_error"},
			{"body an array", "POST", "/contacts", `[]`, nil, 400, "validation_error"},
			{"wrong content type", "POST", "/contacts", `{"attributes": {"email": "q@x.com"}}`, map[string]string{"Content-Type": "text/plain"}, 415, "unsupported_media_type"},
			{"form content type", "POST", "/contacts", `attributes=x`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
			{"too large", "POST", "/contacts", `{"attributes": {"email": "q@x.com", "big": "` + strings.Repeat("a", 1<<20) + `"}}`, nil, 413, "payload_too_large"},
			{"non-numeric id", "GET", "/contacts/abc", nil, nil, 400, "validation_error"},
			{"overflowing id", "GET", "/contacts/99999999999999999999", nil, nil, 400, "validation_error"},
			{"negative id", "GET", "/contacts/-1", nil, nil, 400, "validation_error"},
			{"unknown id", "GET", "/contacts/987654321", nil, nil, 404, "not_found"},
			{"foreign id", "GET", "/contacts/" + foreignID, nil, nil, 404, "not_found"},
			{"foreign update", "PATCH", "/contacts/" + foreignID, `{"attributes": {"name": "x"}}`, nil, 404, "not_found"},
			{"foreign delete", "DELETE", "/contacts/" + foreignID, nil, nil, 404, "not_found"},
			{"foreign seed delete", "POST", "/contacts/" + foreignID, nil, nil, 404, "not_found"},
			{"foreign timeline", "POST", "/contacts/timeline", `{"contactId": ` + foreignID + `, "event": "x"}`, nil, 404, "not_found"},
			{"update without attributes", "PATCH", "/contacts/" + id, `{"name": "x"}`, nil, 400, "validation_error"},
			{"update email a bool", "PATCH", "/contacts/" + id, `{"attributes": {"email": true}}`, nil, 400, "validation_error"},
			{"list without a filter", "GET", "/contacts", nil, nil, 400, "validation_error"},
			{"list with a bad limit", "GET", "/contacts?email=a@x.com&limit=abc", nil, nil, 400, "validation_error"},
			{"list with a zero limit", "GET", "/contacts?email=a@x.com&limit=0", nil, nil, 400, "validation_error"},
			{"list by an unknown idType", "GET", "/contacts?idType=fancy&id=1", nil, nil, 400, "validation_error"},
			{"normalize without idType", "PATCH", "/contacts/normalize?id=1", `{"attributes": {}}`, nil, 400, "validation_error"},
			{"normalize unknown external", "PATCH", "/contacts/normalize?idType=external&id=zzz", `{"attributes": {"a": 1}}`, nil, 404, "not_found"},
			{"timeline without event", "POST", "/contacts/timeline", `{"contactId": ` + id + `}`, nil, 400, "validation_error"},
			{"timeline event a number", "POST", "/contacts/timeline", `{"contactId": ` + id + `, "event": 5}`, nil, 400, "validation_error"},
			{"timeline without contact", "POST", "/contacts/timeline", `{"event": "x"}`, nil, 400, "validation_error"},
			{"timeline bad createdAt", "POST", "/contacts/timeline", `{"contactId": ` + id + `, "event": "x", "createdAt": "yesterday"}`, nil, 400, "validation_error"},
			{"unsubscribe not an array", "POST", "/emails/unsubscribe", `{"email": "a@x.com"}`, nil, 400, "validation_error"},
			{"unsubscribe numbers", "POST", "/emails/unsubscribe", `[1, 2]`, nil, 400, "validation_error"},
			{"unknown route", "GET", "/nope", nil, nil, 404, "not_found"},
			{"wrong method", "PUT", "/contacts/" + id, nil, nil, 405, "method_not_allowed"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := e.Do(t, apitest.Request{Method: tc.method, Path: tc.path, Token: e.Token, Body: tc.body, Header: tc.header})
				apitest.WantError(t, r, tc.status, tc.typ)
				if tc.typ == "validation_error" {
					errs, _ := r.Object(t)["errors"].([]any)
					if len(errs) != 1 || errs[0].(map[string]any)["param"] == "" {
						t.Fatalf("validation error without errors[].param: %s", r.Body)
					}
				}
			})
		}

		// None of it wrote anything: the contact is unchanged and no event was recorded.
		got := contactOf(t, e.Call(t, "GET", "/contacts/"+id, nil, 200))
		if attrs(got)["_END_USER_VERSION"] != json.Number("1") || attrs(got)["name"] != nil {
			t.Fatalf("a refused request changed the contact: %v", attrs(got))
		}
		if list := e.Call(t, "GET", "/contacts?email=q@x.com", nil, 200)["data"].([]any); len(list) != 0 {
			t.Fatal("a refused create wrote a contact")
		}
		if evs, _ := e.App.DB.OrgEvents(t.Context(), e.OrgID, 0, 10); len(evs) != 0 {
			t.Fatalf("refused requests recorded %d events", len(evs))
		}
		if got := contactOf(t, e.Do(t, apitest.Request{Method: "GET", Path: "/contacts/" + foreignID, Token: otherToken}).Object(t)); attrs(got)["name"] != nil {
			t.Fatal("the other org's contact changed")
		}
	})
}

func TestAuth_TokensAndScopes(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		readOnly := e.NewToken(t, e.OrgID, auth.ContactRead)
		elevated := e.NewToken(t, e.OrgID, auth.AllContactRead)
		get := func(token, path string, header map[string]string) *apitest.Response {
			return e.Do(t, apitest.Request{Method: "GET", Path: path, Token: token, Header: header})
		}
		apitest.WantError(t, get("", "/contacts?email=a@x.com", nil), 401, "authentication_error")
		apitest.WantError(t, get("dwat_unknown", "/contacts?email=a@x.com", nil), 401, "authentication_error")
		apitest.WantError(t, get("", "/contacts?email=a@x.com", map[string]string{"Authorization": "Basic " + e.Token}), 401, "authentication_error")
		if r := get("", "/contacts?email=a@x.com", map[string]string{"Authorization": "bEaReR " + readOnly}); r.Status != 200 {
			t.Fatalf("lower-case bearer: %d %s", r.Status, r.Body)
		}
		r := e.Do(t, apitest.Request{Method: "POST", Path: "/contacts", Token: readOnly, Body: map[string]any{"attributes": map[string]any{"email": "s@x.com"}}})
		apitest.WantError(t, r, 403, "insufficient_scope")
		if !strings.Contains(string(r.Body), "contact_write") {
			t.Fatalf("403 does not name the scope: %s", r.Body)
		}
		apitest.WantError(t, get(readOnly, "/contacts/attributes", nil), 403, "insufficient_scope")
		if r := get(elevated, "/contacts/attributes", nil); r.Status != 200 {
			t.Fatalf("all_contact_read on attributes: %d", r.Status)
		}
		if r := get(elevated, "/contacts?email=a@x.com", nil); r.Status != 200 {
			t.Fatalf("all_contact_read includes contact_read: %d", r.Status)
		}
		// A revoked token stops working at once.
		toks, _ := e.App.DB.ListTokens(t.Context(), e.OrgID)
		for _, tok := range toks {
			if len(tok.Scopes) == 1 && tok.Scopes[0] == auth.ContactRead {
				if err := e.App.DB.RevokeToken(t.Context(), e.OrgID, tok.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		apitest.WantError(t, get(readOnly, "/contacts?email=a@x.com", nil), 401, "authentication_error")
		// No raw token is stored.
		for _, tok := range toks {
			if strings.Contains(tok.Hint, readOnly[len(auth.AccessTokenPrefix)+4:]) {
				t.Fatal("the hint reveals the token")
			}
		}
	})
}

func TestHTTP_Middleware(t *testing.T) {
	t.Parallel()
	b := storetestSQLite()
	e := apitest.Start(t, b, apitest.WithConfig(func(c *cfgT) { c.RateLimit, c.RateBurst = 1, 3 }))
	// Request ids: kept when sane, made up otherwise.
	r := e.Do(t, apitest.Request{Method: "GET", Path: "/healthz", Header: map[string]string{"X-Request-Id": "abc-123"}})
	if r.Status != 200 || r.Header.Get("X-Request-Id") != "abc-123" || r.Object(t)["status"] != "ok" {
		t.Fatalf("healthz: %d %v %s", r.Status, r.Header, r.Body)
	}
	r = e.Do(t, apitest.Request{Method: "GET", Path: "/readyz", Header: map[string]string{"X-Request-Id": "bad id with spaces"}})
	if r.Status != 200 || len(r.Header.Get("X-Request-Id")) != 24 {
		t.Fatalf("readyz: %d, id %q", r.Status, r.Header.Get("X-Request-Id"))
	}
	// The per-token rate limit: burst 3, then 429 with Retry-After.
	var last *apitest.Response
	for i := 0; i < 4; i++ {
		last = e.Do(t, apitest.Request{Method: "GET", Path: "/contacts?email=a@x.com", Token: e.Token})
		if i < 3 && (last.Status != 200 || last.Header.Get("X-RateLimit-Limit") != "3") {
			t.Fatalf("request %d: %d %v", i, last.Status, last.Header)
		}
	}
	apitest.WantError(t, last, 429, "rate_limited")
	if last.Header.Get("Retry-After") == "" || last.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("429 headers: %v", last.Header)
	}
	// Another token has its own bucket.
	if r := e.Do(t, apitest.Request{Method: "GET", Path: "/contacts?email=a@x.com", Token: e.NewToken(t, e.OrgID)}); r.Status != 200 {
		t.Fatalf("a second token was limited: %d", r.Status)
	}
	// Metrics count requests by route pattern and status.
	r = e.Do(t, apitest.Request{Method: "GET", Path: "/metrics"})
	want := `driftwood_http_requests_total{method="GET",route="GET /contacts",status="429"} 1`
	if r.Status != 200 || !strings.Contains(string(r.Body), want) {
		t.Fatalf("metrics lack %s:\n%.2000s", want, r.Body)
	}
	// The listing is served.
	r = e.Do(t, apitest.Request{Method: "GET", Path: "/openapi.yaml"})
	if r.Status != 200 || !strings.Contains(string(r.Body), "/contacts/timeline:") {
		t.Fatalf("openapi.yaml: %d", r.Status)
	}
}

func TestContacts_Tags(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		c := contactOf(t, e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": "t@x.com"}}, 200))
		base := "/contacts/" + c["id"].(json.Number).String() + "/tags"
		names := func(body map[string]any) []string {
			var out []string
			for _, tg := range body["data"].([]any) {
				out = append(out, tg.(map[string]any)["name"].(string))
			}
			return out
		}
		got := names(e.Call(t, "POST", base, []map[string]any{{"name": "VIP", "color": "#ff0000"}, {"name": "trial"}, {"name": "beta"}}, 200))
		if strings.Join(got, ",") != "VIP,trial,beta" {
			t.Fatalf("after add: %v", got)
		}
		got = names(e.Call(t, "DELETE", base+"/vip", nil, 200))
		if strings.Join(got, ",") != "trial,beta" {
			t.Fatalf("after remove: %v", got)
		}
		got = names(e.Call(t, "POST", base+"/delete/_bulk", []any{"trial", map[string]any{"name": "beta"}}, 200))
		if len(got) != 0 {
			t.Fatalf("after bulk remove: %v", got)
		}
		if got := names(e.Call(t, "GET", base, nil, 200)); len(got) != 0 {
			t.Fatalf("listed: %v", got)
		}
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: base, Token: e.Token, Body: `[{"color": "red"}]`}), 400, "validation_error")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: base, Token: e.Token, Body: `{"name": "x"}`}), 400, "validation_error")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "GET", Path: "/contacts/99999999/tags", Token: e.Token}), 404, "not_found")
	})
}
