package httpapi_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/gdpr"
)

func TestGDPR_RetrieveAndDelete(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		const email = "jane_doe@acme.example"
		c := e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": "Jane_Doe@Acme.example", "name": "Jane"}}, 200)
		cid := c["data"].(map[string]any)["id"]
		e.Call(t, "PATCH", fmt.Sprintf("/contacts/%v", cid), map[string]any{"attributes": map[string]any{"name": "Jane Doe", "email": email}}, 200)
		e.Call(t, "POST", "/contacts/timeline", map[string]any{"contactId": cid, "event": "Signed up"}, 200)
		// A contact that mentions her under another email, and one that does not.
		e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": "crm@acme.example", "externalId": "x1", "assistant_of": email}}, 200)
		e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": "raj@globex.example"}}, 200)
		apitest.Scenario{Method: "POST", Path: "/scim/Users", Body: scimUser(email, "Jane", "Doe"), Header: scimJSON, Status: 201, ContentType: scimMedia}.Run(t, e)
		// Her conversation, whose message carries her email too.
		conv := e.Call(t, "POST", "/conversations/new", map[string]any{"email": email, "message": map[string]any{"body": "<p>write to " + email + "</p>"}}, 200)
		e.Call(t, "POST", fmt.Sprintf("/conversations/%v/messages", conv["id"]), map[string]any{"type": "chat", "body": "Noted, " + email}, 200)
		// An agent has read it: the read marker is hers too.
		agent := e.NewAgent(t, e.OrgID, "Ada", "ada@gdpr.example")
		convID, _ := strconv.ParseInt(fmt.Sprint(conv["id"]), 10, 64)
		if _, err := e.App.DB.MarkRead(context.Background(), e.OrgID, agent, convID, 0); err != nil {
			t.Fatal(err)
		}
		// Another org's data is not hers to take.
		_, other := e.NewOrg(t, "Other")
		r := e.Do(t, apitest.Request{Method: "POST", Path: "/contacts", Token: other, Body: map[string]any{"attributes": map[string]any{"email": email}}})
		if r.Status != 200 {
			t.Fatalf("other org contact: %d %s", r.Status, r.Body)
		}

		got := e.Call(t, "POST", "/gdpr/retrieve", map[string]any{"email": "JANE_DOE@acme.example"}, 200)
		d := got["data"].(map[string]any)
		if d["message"] != "Your retrieval is processing" {
			t.Fatalf("retrieve: %v", got)
		}
		req := e.Call(t, "GET", fmt.Sprintf("/driftwood/v1/gdpr/requests/%v", d["requestId"]), nil, 200)["data"].(map[string]any)
		export, _ := req["export"].(map[string]any)
		if req["status"] != "done" || export == nil {
			t.Fatalf("retrieve request: %v", req)
		}
		for table, n := range map[string]int{"contacts": 2, "users": 1, "timeline_events": 1, "conversations": 1, "messages": 2, "conversation_reads": 1} {
			if rows, _ := export[table].([]any); len(rows) != n {
				t.Errorf("export has %d %s, want %d: %v", len(rows), table, n, export[table])
			}
		}
		attrs := export["contacts"].([]any)[0].(map[string]any)["attributes"].(map[string]any)
		if attrs["name"] != "Jane Doe" {
			t.Errorf("exported contact: %v", attrs)
		}

		got = e.Call(t, "POST", "/gdpr/delete", map[string]any{"email": email}, 200)
		if got["data"].(map[string]any)["message"] != "Your delete is processing" {
			t.Fatalf("delete: %v", got)
		}
		// No row of any table still holds the email, but the other org's contact.
		left := e.RowsContaining(t, email)
		if len(left) != 1 || !strings.HasPrefix(left[0], "contacts: ") {
			t.Fatalf("rows still holding %s: %v", email, left)
		}
		if rows := e.RowsContaining(t, "raj@globex.example"); len(rows) == 0 {
			t.Fatal("an unrelated contact was deleted")
		}
		list := e.Call(t, "GET", "/driftwood/v1/gdpr/requests", nil, 200)["data"].([]any)
		if len(list) != 2 || list[0].(map[string]any)["status"] != "done" {
			t.Fatalf("requests: %v", list)
		}
	})
}

// TestGDPR_Durable shows a request accepted before a crash completes after
// the restart: the worker picks up pending requests when it starts.
func TestGDPR_Durable(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": "gone@example.com"}}, 200)
		ctx := context.Background()
		req, err := gdpr.NewRequest(e.OrgID, gdpr.Delete, "gone@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.App.DB.CreateGDPRRequest(ctx, req); err != nil { // accepted, then the process died
			t.Fatal(err)
		}
		if got, _ := e.App.DB.GDPRRequest(ctx, e.OrgID, req.ID); got.Status != gdpr.Pending {
			t.Fatalf("status %s", got.Status)
		}
		e.App.GDPR.RunPending(ctx) // what the worker does first on start
		got, err := e.App.DB.GDPRRequest(ctx, e.OrgID, req.ID)
		if err != nil || got.Status != gdpr.Done {
			t.Fatalf("after restart: %+v, %v", got, err)
		}
		if left := e.RowsContaining(t, "gone@example.com"); len(left) != 0 {
			t.Fatalf("rows left: %v", left)
		}
		e.App.GDPR.RunPending(ctx) // done requests are not run again
	})
}

func TestGDPR_Refused(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		thirdParty, _, err := e.App.Tokens.Issue(context.Background(), auth.Token{OrgID: e.OrgID, AppID: 4242,
			Scopes: []auth.Scope{auth.GDPRRead, auth.GDPRWrite}})
		if err != nil {
			t.Fatal(err)
		}
		readOnly := e.NewToken(t, e.OrgID, auth.GDPRRead)
		_, otherOrg := e.NewOrg(t, "Other")
		ok := e.Call(t, "POST", "/gdpr/retrieve", map[string]any{"email": "a@example.com"}, 200)
		id := ok["data"].(map[string]any)["requestId"]
		tests := []struct {
			name   string
			req    apitest.Request
			status int
			typ    string
		}{
			{"third-party app retrieve", apitest.Request{Method: "POST", Path: "/gdpr/retrieve", Token: thirdParty, Body: map[string]any{"email": "a@example.com"}}, 403, "insufficient_scope"},
			{"third-party app delete", apitest.Request{Method: "POST", Path: "/gdpr/delete", Token: thirdParty, Body: map[string]any{"email": "a@example.com"}}, 403, "insufficient_scope"},
			{"no gdpr_write", apitest.Request{Method: "POST", Path: "/gdpr/delete", Token: readOnly, Body: map[string]any{"email": "a@example.com"}}, 403, "insufficient_scope"},
			{"no email", apitest.Request{Method: "POST", Path: "/gdpr/delete", Body: map[string]any{}}, 400, "validation_error"},
			{"bad email", apitest.Request{Method: "POST", Path: "/gdpr/delete", Body: map[string]any{"email": "not an email"}}, 400, "validation_error"},
			{"email not a string", apitest.Request{Method: "POST", Path: "/gdpr/delete", Body: map[string]any{"email": 5}}, 400, "validation_error"},
			{"malformed JSON", apitest.Request{Method: "POST", Path: "/gdpr/retrieve", Body: `{"email":`}, 400, "bad_request"},
			{"unknown request", apitest.Request{Method: "GET", Path: "/driftwood/v1/gdpr/requests/999999"}, 404, "not_found"},
			{"another org's request", apitest.Request{Method: "GET", Path: fmt.Sprintf("/driftwood/v1/gdpr/requests/%v", id), Token: otherOrg}, 404, "not_found"},
			{"download needs admin", apitest.Request{Method: "GET", Path: fmt.Sprintf("/driftwood/v1/gdpr/requests/%v", id), Token: readOnly}, 403, "insufficient_scope"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				req := tt.req
				if req.Token == "" {
					req.Token = e.Token
				}
				apitest.WantError(t, e.Do(t, req), tt.status, tt.typ)
			})
		}
		// The org's own app may: its installation token is first-party.
		own := e.Call(t, "POST", "/driftwood/v1/apps", map[string]any{"name": "Privacy desk", "scopes": []string{"gdpr_read", "gdpr_write"}}, 200)["data"].(map[string]any)
		ownToken := e.Call(t, "POST", fmt.Sprintf("/driftwood/v1/apps/%v/tokens", own["id"]), map[string]any{"scopes": []string{"gdpr_read"}}, 200)["data"].(map[string]any)["accessToken"]
		if r := e.Do(t, apitest.Request{Method: "POST", Path: "/gdpr/retrieve", Token: ownToken.(string), Body: map[string]any{"email": "b@example.com"}}); r.Status != 200 {
			t.Fatalf("first-party app token: %d %s", r.Status, r.Body)
		}
		if list := e.Call(t, "GET", "/driftwood/v1/gdpr/requests", nil, 200)["data"].([]any); len(list) != 2 {
			t.Fatalf("refused requests were recorded: %v", list)
		}
	})
}
