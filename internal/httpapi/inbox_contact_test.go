package httpapi_test

import (
	"fmt"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/events"
)

// The sidebar shows a contact's conversations, the account of its email's
// domain and its timeline; an agent's edit is the REST API's update, with
// contact_updated; another org's contact is not found.
func TestInbox_ContactSidebar(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		ada := e.NewAgent(t, e.OrgID, "Ada", "ada@side.example")
		a := e.SignIn(t, e.OrgID, ada, "ada@side.example", agentPassword)
		c1, _ := startVisitor(t, e, "grace@navy.example", "first visit")
		c2, _ := startVisitor(t, e, "grace@navy.example", "second visit")
		e.Call(t, "POST", "/accounts/create", map[string]any{"ownerId": ada, "name": "US Navy", "domain": "navy.example"}, 200)
		e.Call(t, "POST", "/contacts/timeline", map[string]any{"contactId": c1.ContactID, "event": "Booked a demo"}, 200)
		path := fmt.Sprintf("/inbox/api/contacts/%d", c1.ContactID)

		side := inboxCall(a, "GET", path, nil)
		side.Contains = []string{fmt.Sprintf(`"id":%d`, c1.ID), fmt.Sprintf(`"id":%d`, c2.ID), `"name":"US Navy"`,
			`"domain":"navy.example"`, `"event":"booked a demo"`, `"email":"grace@navy.example"`}
		side.Run(t, e)

		edit := inboxCall(a, "PATCH", path, map[string]any{"attributes": map[string]any{"name": "<b>Grace</b> Hopper", "plan": "pro"}})
		edit.Events = []events.Type{events.ContactUpdated}
		edit.Contains = []string{`"name":"\u003cb\u003eGrace\u003c/b\u003e Hopper"`, `"plan":"pro"`}
		edit.Run(t, e)

		_, otherToken := e.NewOrg(t, "Other")
		r := e.Do(t, apitest.Request{Method: "POST", Path: "/contacts", Token: otherToken,
			Body: map[string]any{"attributes": map[string]any{"email": "theirs@other.example"}}})
		var theirs struct{ Data struct{ ID int64 } }
		r.Decode(t, &theirs)
		other := fmt.Sprintf("/inbox/api/contacts/%d", theirs.Data.ID)
		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Name: "another org's contact", Method: "GET", Path: other, Token: apitest.NoToken, Header: a.Header(), Status: 404, Error: "not_found"},
			{Name: "editing another org's contact", Method: "PATCH", Path: other, Token: apitest.NoToken, Header: a.Header(),
				Body: map[string]any{"attributes": map[string]any{"name": "x"}}, Status: 404, Error: "not_found"},
			{Name: "attributes not an object", Method: "PATCH", Path: path, Token: apitest.NoToken, Header: a.Header(),
				Body: map[string]any{"attributes": "x"}, Status: 400, Error: "validation_error"},
			{Name: "no session", Method: "GET", Path: path, Token: apitest.NoToken, Status: 401, Error: "authentication_error"},
		})
	})
}
