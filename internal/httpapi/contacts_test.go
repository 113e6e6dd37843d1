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
		c := contactOf(t, apitest.Scenario{Method: "POST", Path: "/contacts", Body: map[string]any{"attributes": map[string]any{
			"email": "jane@acme.example", "name": "Jane", "nothing": nil, "lead_score": 12345678901234,
		}}}.Run(t, e).Object(t))
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
			got := contactOf(t, apitest.Scenario{Method: "GET", Path: p}.Run(t, e).Object(t))
			if got["id"].(json.Number).String() != id {
				t.Fatalf("GET %s answered contact %v", p, got["id"])
			}
		}

		// 409 on the same email; another externalId makes a second contact.
		apitest.Scenario{Method: "POST", Path: "/contacts", Body: map[string]any{"attributes": map[string]any{"email": "JANE@acme.example"}},
			Status: http.StatusConflict, Error: "conflict"}.Run(t, e)
		second := contactOf(t, apitest.Scenario{Method: "POST", Path: "/contacts", Body: map[string]any{"attributes": map[string]any{
			"email": "jane@acme.example", "externalId": 42,
		}}}.Run(t, e).Object(t))
		if attrs(second)["externalId"] != "42" || attrs(second)["external_id"] != "42" {
			t.Fatalf("externalId and its mirror: %v", attrs(second))
		}

		// List by email is an array (both /contacts and /contacts/).
		list := func(path string) []any {
			t.Helper()
			return apitest.Scenario{Method: "GET", Path: path}.Run(t, e).Object(t)["data"].([]any)
		}
		for _, p := range []string{"/contacts?email=jane@acme.example", "/contacts/?email=Jane@Acme.example"} {
			if l := list(p); len(l) != 2 {
				t.Fatalf("GET %s: %d contacts, want 2", p, len(l))
			}
		}
		// List by externalId, id repeatable.
		if l := list("/contacts?idType=external&id=42&id=nope"); len(l) != 1 {
			t.Fatalf("by externalId: %d contacts", len(l))
		}
		if l := list("/contacts?email=nobody@x.com"); len(l) != 0 {
			t.Fatal("unknown email found contacts")
		}

		// Update by id: keys added and overwritten, null removes.
		up := contactOf(t, apitest.Scenario{Method: "PATCH", Path: "/contacts/" + id, Body: map[string]any{"attributes": map[string]any{
			"name": "Jane Doe", "plan": "pro", "lead_score": nil,
		}}, Events: []events.Type{events.ContactUpdated}}.Run(t, e).Object(t))
		if attrs(up)["name"] != "Jane Doe" || attrs(up)["plan"] != "pro" || attrs(up)["lead_score"] != nil || attrs(up)["_END_USER_VERSION"] != json.Number("2") {
			t.Fatalf("after update: %v", attrs(up))
		}
		// Update through /contacts/normalize by externalId and by Drift id.
		n := contactOf(t, apitest.Scenario{Method: "PATCH", Path: "/contacts/normalize?idType=external&id=42",
			Body: map[string]any{"attributes": map[string]any{"tier": "gold"}}, Events: []events.Type{events.ContactUpdated}}.Run(t, e).Object(t))
		if attrs(n)["tier"] != "gold" || n["id"] != second["id"] {
			t.Fatalf("normalize by externalId: %v", n)
		}
		n = contactOf(t, apitest.Scenario{Method: "PATCH", Path: "/contacts/normalize?idType=drift&id=" + id,
			Body: map[string]any{"attributes": map[string]any{"tier": "silver"}}, Events: []events.Type{events.ContactUpdated}}.Run(t, e).Object(t))
		if attrs(n)["tier"] != "silver" {
			t.Fatalf("normalize by drift id: %v", n)
		}

		// Timeline by contactId (string or number) and by externalId (number).
		ev := apitest.Scenario{Method: "POST", Path: "/contacts/timeline", Body: map[string]any{"contactId": id, "event": "Signed Up"}}.Run(t, e).Object(t)["data"].(map[string]any)
		if ev["event"] != "signed up" || ev["contactId"].(json.Number).String() != id || ev["createdAt"] == json.Number("0") {
			t.Fatalf("timeline event %v", ev)
		}
		ev = apitest.Scenario{Method: "POST", Path: "/contacts/timeline",
			Body: map[string]any{"externalId": 42, "event": "paid", "createdAt": 1700000000000}}.Run(t, e).Object(t)["data"].(map[string]any)
		if ev["createdAt"] != json.Number("1700000000000") || ev["externalId"] != "42" {
			t.Fatalf("timeline event by externalId %v", ev)
		}

		// Attributes: everything ever set, typed.
		props := apitest.Scenario{Method: "GET", Path: "/contacts/attributes"}.Run(t, e).Object(t)["data"].(map[string]any)["properties"].([]any)
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
		unsub := apitest.Scenario{Method: "POST", Path: "/emails/unsubscribe", Body: []string{"jane@acme.example"},
			Events: []events.Type{events.UserUnsubscribed, events.UserUnsubscribed}}.Run(t, e)
		if got := unsub.Object(t); got["ok"] != true || got["result"] != "OK" {
			t.Fatalf("unsubscribe answered %v", got)
		}
		count := map[events.Type]int{}
		for _, ev := range e.Outbox(t, e.OrgID, 0) {
			count[ev.Type]++
		}
		if count[events.UserUnsubscribed] != 2 || count[events.ContactUpdated] != 3 {
			t.Fatalf("events %v, want 2 user_unsubscribed and 3 contact_updated", count)
		}

		// Delete by DELETE and by the seed's POST: 202 {"result":"OK","ok":true}.
		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Method: "DELETE", Path: "/contacts/" + id, Status: http.StatusAccepted, Contains: []string{`"ok":true`, `"result":"OK"`}},
			{Method: "GET", Path: "/contacts/" + id, Status: 404, Error: "not_found"},
			{Method: "POST", Path: "/contacts/" + second["id"].(json.Number).String(), Status: http.StatusAccepted, Contains: []string{`"ok":true`, `"result":"OK"`}},
			{Method: "DELETE", Path: "/contacts/" + id, Status: 404, Error: "not_found"},
		})
	})
}

func TestContacts_BadInput(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		c := contactOf(t, apitest.Scenario{Method: "POST", Path: "/contacts", Body: map[string]any{"attributes": map[string]any{"email": "a@x.com", "externalId": "ext"}}}.Run(t, e).Object(t))
		id := c["id"].(json.Number).String()
		otherOrg, otherToken := e.NewOrg(t, "Other")
		foreign := contactOf(t, apitest.Scenario{Method: "POST", Path: "/contacts", Token: otherToken, EventsOrg: otherOrg,
			Body: map[string]any{"attributes": map[string]any{"email": "b@x.com"}}}.Run(t, e).Object(t))
		foreignID := foreign["id"].(json.Number).String()

		// Every refusal is Drift's error of its type, and no event fires in either org.
		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Name: "malformed JSON", Method: "POST", Path: "/contacts", Body: `{"attributes": {"email": `, Status: 400, Error: "bad_request"},
			{Name: "syntax error", Method: "POST", Path: "/contacts", Body: `{"attributes": {email}}`, Status: 400, Error: "bad_request"},
			{Name: "trailing data", Method: "POST", Path: "/contacts", Body: `{"attributes": {"email": "q@x.com"}} {}`, Status: 400, Error: "bad_request"},
			{Name: "empty body", Method: "POST", Path: "/contacts", Body: ``, Status: 400, Error: "bad_request"},
			{Name: "attributes a string", Method: "POST", Path: "/contacts", Body: `{"attributes": "x"}`, Status: 400, Error: "validation_error"},
			{Name: "email a number", Method: "POST", Path: "/contacts", Body: `{"attributes": {"email": 5}}`, Status: 400, Error: "validation_error"},
			{Name: "email not an email", Method: "POST", Path: "/contacts", Body: `{"attributes": {"email": "nope"}}`, Status: 400, Error: "validation_error"},
			{Name: "missing email", Method: "POST", Path: "/contacts", Body: `{"attributes": {"name": "x"}}`, Status: 400, Error: "validation_error"},
			{Name: "missing attributes", Method: "POST", Path: "/contacts", Body: `{}`, Status: 400, Error: "validation_error"},
			{Name: "externalId an object", Method: "POST", Path: "/contacts", Body: `{"attributes": {"email": "q@x.com", "externalId": {}}}`, Status: 400, Error: "validation_error"},
			{Name: "body an array", Method: "POST", Path: "/contacts", Body: `[]`, Status: 400, Error: "validation_error"},
			{Name: "wrong content type", Method: "POST", Path: "/contacts", Body: `{"attributes": {"email": "q@x.com"}}`, Header: map[string]string{"Content-Type": "text/plain"}, Status: 415, Error: "unsupported_media_type"},
			{Name: "form content type", Method: "POST", Path: "/contacts", Body: `attributes=x`, Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, Status: 415, Error: "unsupported_media_type"},
			{Name: "too large", Method: "POST", Path: "/contacts", Body: `{"attributes": {"email": "q@x.com", "big": "` + strings.Repeat("a", 1<<20) + `"}}`, Status: 413, Error: "payload_too_large"},
			{Name: "non-numeric id", Method: "GET", Path: "/contacts/abc", Status: 400, Error: "validation_error"},
			{Name: "overflowing id", Method: "GET", Path: "/contacts/99999999999999999999", Status: 400, Error: "validation_error"},
			{Name: "negative id", Method: "GET", Path: "/contacts/-1", Status: 400, Error: "validation_error"},
			{Name: "unknown id", Method: "GET", Path: "/contacts/987654321", Status: 404, Error: "not_found"},
			{Name: "foreign id", Method: "GET", Path: "/contacts/" + foreignID, Status: 404, Error: "not_found"},
			{Name: "foreign update", Method: "PATCH", Path: "/contacts/" + foreignID, Body: `{"attributes": {"name": "x"}}`, Status: 404, Error: "not_found"},
			{Name: "foreign delete", Method: "DELETE", Path: "/contacts/" + foreignID, Status: 404, Error: "not_found"},
			{Name: "foreign seed delete", Method: "POST", Path: "/contacts/" + foreignID, Status: 404, Error: "not_found"},
			{Name: "foreign timeline", Method: "POST", Path: "/contacts/timeline", Body: `{"contactId": ` + foreignID + `, "event": "x"}`, Status: 404, Error: "not_found"},
			{Name: "update without attributes", Method: "PATCH", Path: "/contacts/" + id, Body: `{"name": "x"}`, Status: 400, Error: "validation_error"},
			{Name: "update email a bool", Method: "PATCH", Path: "/contacts/" + id, Body: `{"attributes": {"email": true}}`, Status: 400, Error: "validation_error"},
			{Name: "list all with a bad limit", Method: "GET", Path: "/contacts?limit=abc", Status: 400, Error: "validation_error"},
			{Name: "list with a bad limit", Method: "GET", Path: "/contacts?email=a@x.com&limit=abc", Status: 400, Error: "validation_error"},
			{Name: "list with a zero limit", Method: "GET", Path: "/contacts?email=a@x.com&limit=0", Status: 400, Error: "validation_error"},
			{Name: "list by an unknown idType", Method: "GET", Path: "/contacts?idType=fancy&id=1", Status: 400, Error: "validation_error"},
			{Name: "normalize without idType", Method: "PATCH", Path: "/contacts/normalize?id=1", Body: `{"attributes": {}}`, Status: 400, Error: "validation_error"},
			{Name: "normalize unknown external", Method: "PATCH", Path: "/contacts/normalize?idType=external&id=zzz", Body: `{"attributes": {"a": 1}}`, Status: 404, Error: "not_found"},
			{Name: "timeline without event", Method: "POST", Path: "/contacts/timeline", Body: `{"contactId": ` + id + `}`, Status: 400, Error: "validation_error"},
			{Name: "timeline event a number", Method: "POST", Path: "/contacts/timeline", Body: `{"contactId": ` + id + `, "event": 5}`, Status: 400, Error: "validation_error"},
			{Name: "timeline without contact", Method: "POST", Path: "/contacts/timeline", Body: `{"event": "x"}`, Status: 400, Error: "validation_error"},
			{Name: "timeline bad createdAt", Method: "POST", Path: "/contacts/timeline", Body: `{"contactId": ` + id + `, "event": "x", "createdAt": "yesterday"}`, Status: 400, Error: "validation_error"},
			{Name: "unsubscribe not an array", Method: "POST", Path: "/emails/unsubscribe", Body: `{"email": "a@x.com"}`, Status: 400, Error: "validation_error"},
			{Name: "unsubscribe numbers", Method: "POST", Path: "/emails/unsubscribe", Body: `[1, 2]`, Status: 400, Error: "validation_error"},
			{Name: "unknown route", Method: "GET", Path: "/nope", Status: 404, Error: "not_found"},
			{Name: "wrong method", Method: "PUT", Path: "/contacts/" + id, Status: 405, Error: "method_not_allowed"},
		})

		// None of it wrote anything: the contact is unchanged and no event was recorded.
		got := contactOf(t, apitest.Scenario{Method: "GET", Path: "/contacts/" + id}.Run(t, e).Object(t))
		if attrs(got)["_END_USER_VERSION"] != json.Number("1") || attrs(got)["name"] != nil {
			t.Fatalf("a refused request changed the contact: %v", attrs(got))
		}
		if list := (apitest.Scenario{Method: "GET", Path: "/contacts?email=q@x.com"}).Run(t, e).Object(t)["data"].([]any); len(list) != 0 {
			t.Fatal("a refused create wrote a contact")
		}
		if evs := e.Outbox(t, e.OrgID, 0); len(evs) != 0 {
			t.Fatalf("refused requests recorded %d events", len(evs))
		}
		if got := contactOf(t, apitest.Scenario{Method: "GET", Path: "/contacts/" + foreignID, Token: otherToken}.Run(t, e).Object(t)); attrs(got)["name"] != nil {
			t.Fatal("the other org's contact changed")
		}
	})
}

func TestAuth_TokensAndScopes(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		readOnly := e.NewToken(t, e.OrgID, auth.ContactRead)
		elevated := e.NewToken(t, e.OrgID, auth.AllContactRead)
		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Name: "no token", Method: "GET", Path: "/contacts?email=a@x.com", Token: apitest.NoToken, Status: 401, Error: "authentication_error"},
			{Name: "unknown token", Method: "GET", Path: "/contacts?email=a@x.com", Token: "dwat_unknown", Status: 401, Error: "authentication_error"},
			{Name: "basic scheme", Method: "GET", Path: "/contacts?email=a@x.com", Token: apitest.NoToken,
				Header: map[string]string{"Authorization": "Basic " + e.Token}, Status: 401, Error: "authentication_error"},
			{Name: "lower-case bearer", Method: "GET", Path: "/contacts?email=a@x.com", Token: apitest.NoToken,
				Header: map[string]string{"Authorization": "bEaReR " + readOnly}},
			{Name: "403 names the scope", Method: "POST", Path: "/contacts", Token: readOnly, Body: map[string]any{"attributes": map[string]any{"email": "s@x.com"}},
				Status: 403, Error: "insufficient_scope", Contains: []string{"contact_write"}},
			{Name: "attributes need all_contact_read", Method: "GET", Path: "/contacts/attributes", Token: readOnly, Status: 403, Error: "insufficient_scope"},
			{Name: "all_contact_read on attributes", Method: "GET", Path: "/contacts/attributes", Token: elevated},
			{Name: "all_contact_read includes contact_read", Method: "GET", Path: "/contacts?email=a@x.com", Token: elevated},
		})
		// A revoked token stops working at once.
		toks, _ := e.App.DB.ListTokens(t.Context(), e.OrgID)
		for _, tok := range toks {
			if len(tok.Scopes) == 1 && tok.Scopes[0] == auth.ContactRead {
				if err := e.App.DB.RevokeToken(t.Context(), e.OrgID, tok.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		apitest.Scenario{Name: "revoked", Method: "GET", Path: "/contacts?email=a@x.com", Token: readOnly, Status: 401, Error: "authentication_error"}.Run(t, e)
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
	apitest.Scenario{Method: "GET", Path: "/healthz", Token: apitest.NoToken, Header: map[string]string{"X-Request-Id": "abc-123"},
		Contains: []string{`"status":"ok"`}, Check: func(t testing.TB, r *apitest.Result) {
			if r.Header.Get("X-Request-Id") != "abc-123" || r.Object(t)["status"] != "ok" {
				t.Fatalf("healthz: %v %s", r.Header, r.Body)
			}
		}}.Run(t, e)
	apitest.Scenario{Method: "GET", Path: "/readyz", Token: apitest.NoToken, Header: map[string]string{"X-Request-Id": "bad id with spaces"},
		Check: func(t testing.TB, r *apitest.Result) {
			if len(r.Header.Get("X-Request-Id")) != 24 {
				t.Fatalf("readyz: id %q", r.Header.Get("X-Request-Id"))
			}
		}}.Run(t, e)
	// The per-token rate limit: burst 3, then 429 with Retry-After.
	for i := 0; i < 3; i++ {
		r := apitest.Scenario{Method: "GET", Path: "/contacts?email=a@x.com"}.Run(t, e)
		if r.Header.Get("X-RateLimit-Limit") != "3" {
			t.Fatalf("request %d: %v", i, r.Header)
		}
	}
	last := apitest.Scenario{Method: "GET", Path: "/contacts?email=a@x.com", Status: 429, Error: "rate_limited"}.Run(t, e)
	if last.Header.Get("Retry-After") == "" || last.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("429 headers: %v", last.Header)
	}
	// Another token has its own bucket.
	apitest.Scenario{Name: "a second token", Method: "GET", Path: "/contacts?email=a@x.com", Token: e.NewToken(t, e.OrgID)}.Run(t, e)
	// Metrics count requests by route pattern and status.
	want := `driftwood_http_requests_total{method="GET",route="GET /contacts",status="429"} 1`
	apitest.Scenario{Method: "GET", Path: "/metrics", Token: apitest.NoToken, Contains: []string{want}}.Run(t, e)
	// The listing is served.
	apitest.Scenario{Method: "GET", Path: "/openapi.yaml", Token: apitest.NoToken, Contains: []string{"/contacts/timeline:"}}.Run(t, e)
}

func TestContacts_Tags(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		c := contactOf(t, apitest.Scenario{Method: "POST", Path: "/contacts", Body: map[string]any{"attributes": map[string]any{"email": "t@x.com"}}}.Run(t, e).Object(t))
		base := "/contacts/" + c["id"].(json.Number).String() + "/tags"
		names := func(sc apitest.Scenario) string {
			t.Helper()
			var out []string
			for _, tg := range sc.Run(t, e).Object(t)["data"].([]any) {
				out = append(out, tg.(map[string]any)["name"].(string))
			}
			return strings.Join(out, ",")
		}
		if got := names(apitest.Scenario{Method: "POST", Path: base, Body: []map[string]any{{"name": "VIP", "color": "#ff0000"}, {"name": "trial"}, {"name": "beta"}},
			Events: []events.Type{events.ContactUpdated}}); got != "VIP,trial,beta" {
			t.Fatalf("after add: %v", got)
		}
		if got := names(apitest.Scenario{Method: "DELETE", Path: base + "/vip", Events: []events.Type{events.ContactUpdated}}); got != "trial,beta" {
			t.Fatalf("after remove: %v", got)
		}
		if got := names(apitest.Scenario{Method: "POST", Path: base + "/delete/_bulk", Body: []any{"trial", map[string]any{"name": "beta"}},
			Events: []events.Type{events.ContactUpdated}}); got != "" {
			t.Fatalf("after bulk remove: %v", got)
		}
		if got := names(apitest.Scenario{Method: "GET", Path: base}); got != "" {
			t.Fatalf("listed: %v", got)
		}
		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Name: "tag without a name", Method: "POST", Path: base, Body: `[{"color": "red"}]`, Status: 400, Error: "validation_error"},
			{Name: "tags not a list", Method: "POST", Path: base, Body: `{"name": "x"}`, Status: 400, Error: "validation_error"},
			{Name: "unknown contact", Method: "GET", Path: "/contacts/99999999/tags", Status: 404, Error: "not_found"},
		})
	})
}
