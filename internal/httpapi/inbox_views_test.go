package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/events"
)

// The counts beside the views follow who a conversation is assigned to and
// who wrote last; an agent's typing fires conversation_typing with the
// agent as author, and another org's conversation is not found.
func TestInbox_AwaitingAndTyping(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		ada := e.NewAgent(t, e.OrgID, "Ada", "ada@views.example")
		a := e.SignIn(t, e.OrgID, ada, "ada@views.example", agentPassword)
		c1, _ := startVisitor(t, e, "one@views.example", "first")
		c2, _ := startVisitor(t, e, "two@views.example", "second")
		startVisitor(t, e, "three@views.example", "third")
		counts := func(want string) {
			t.Helper()
			s := inboxCall(a, "GET", "/inbox/api/awaiting", nil)
			s.Contains = []string{want}
			s.Run(t, e)
		}
		counts(`"data":{"all":3,"mine":0,"teams":{},"unassigned":3}`)
		assign := inboxCall(a, "POST", fmt.Sprintf("/inbox/api/conversations/%d/assign", c1.ID), map[string]any{"userId": ada})
		assign.Events = []events.Type{events.ConversationParticipantAdded}
		assign.Run(t, e)
		counts(`"data":{"all":3,"mine":1,"teams":{},"unassigned":2}`)
		reply := inboxCall(a, "POST", fmt.Sprintf("/inbox/api/conversations/%d/messages", c2.ID), map[string]any{"body": "on it"})
		reply.Events = []events.Type{events.NewMessage, events.ConversationParticipantAdded}
		reply.Run(t, e)
		counts(`"data":{"all":2,"mine":1,"teams":{},"unassigned":1}`)

		// A team of Ada and Bo: its view lists what its members have.
		bo := e.NewAgent(t, e.OrgID, "Bo", "bo@views.example")
		team := e.Call(t, "POST", "/driftwood/v1/teams", map[string]any{"name": "Support", "members": []int64{ada, bo}}, 201)
		teamID := team["data"].(map[string]any)["id"]
		assign = inboxCall(a, "POST", fmt.Sprintf("/inbox/api/conversations/%d/assign", c2.ID), map[string]any{"userId": bo})
		assign.Events = []events.Type{events.ConversationParticipantAdded}
		assign.Run(t, e)
		counts(fmt.Sprintf(`"teams":{"%v":1}`, teamID))
		view := inboxCall(a, "GET", fmt.Sprintf("/inbox/api/conversations?view=team&team=%v", teamID), nil)
		view.Contains = []string{fmt.Sprintf(`"id":%d`, c1.ID), fmt.Sprintf(`"id":%d`, c2.ID)}
		view.Run(t, e)

		typing := inboxCall(a, "POST", fmt.Sprintf("/inbox/api/conversations/%d/typing", c1.ID), nil)
		typing.Events = []events.Type{conversation.Typing}
		typing.Contains = []string{`"ok":true`}
		typing.Check = func(t testing.TB, r *apitest.Result) {
			if want := fmt.Sprintf(`"author":{"type":"user","id":%d}`, ada); !strings.Contains(string(r.Events[0].Data), want) {
				t.Errorf("the typing event is %s, want author %s", r.Events[0].Data, want)
			}
		}
		typing.Run(t, e)

		_, otherToken := e.NewOrg(t, "Other")
		r := e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/simulate/conversations", Token: otherToken,
			Body: map[string]any{"email": "x@other.example", "body": "theirs"}})
		var theirs struct{ Data struct{ ID int64 } }
		r.Decode(t, &theirs)
		otherTeam := e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/teams", Token: otherToken, Body: map[string]any{"name": "Theirs"}})
		var ot struct{ Data struct{ ID int64 } }
		otherTeam.Decode(t, &ot)
		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Name: "another org's team", Method: "GET", Path: fmt.Sprintf("/inbox/api/conversations?view=team&team=%d", ot.Data.ID),
				Token: apitest.NoToken, Header: a.Header(), Status: 404, Error: "not_found"},
			{Name: "a team view without a team", Method: "GET", Path: "/inbox/api/conversations?view=team",
				Token: apitest.NoToken, Header: a.Header(), Status: 400, Error: "validation_error"},
			{Name: "another org's conversation", Method: "POST", Path: fmt.Sprintf("/inbox/api/conversations/%d/typing", theirs.Data.ID),
				Token: apitest.NoToken, Header: a.Header(), Status: 404, Error: "not_found"},
			{Name: "no conversation", Method: "POST", Path: "/inbox/api/conversations/987654/typing",
				Token: apitest.NoToken, Header: a.Header(), Status: 404, Error: "not_found"},
			{Name: "no session", Method: "GET", Path: "/inbox/api/awaiting", Token: apitest.NoToken, Status: 401, Error: "authentication_error"},
		})
	})
}
