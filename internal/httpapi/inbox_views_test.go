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
		counts(`"data":{"mine":0,"unassigned":3,"all":3}`)
		assign := inboxCall(a, "POST", fmt.Sprintf("/inbox/api/conversations/%d/assign", c1.ID), map[string]any{"userId": ada})
		assign.Events = []events.Type{events.ConversationParticipantAdded}
		assign.Run(t, e)
		counts(`"data":{"mine":1,"unassigned":2,"all":3}`)
		reply := inboxCall(a, "POST", fmt.Sprintf("/inbox/api/conversations/%d/messages", c2.ID), map[string]any{"body": "on it"})
		reply.Events = []events.Type{events.NewMessage, events.ConversationParticipantAdded}
		reply.Run(t, e)
		counts(`"data":{"mine":1,"unassigned":1,"all":2}`)

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
		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Name: "another org's conversation", Method: "POST", Path: fmt.Sprintf("/inbox/api/conversations/%d/typing", theirs.Data.ID),
				Token: apitest.NoToken, Header: a.Header(), Status: 404, Error: "not_found"},
			{Name: "no conversation", Method: "POST", Path: "/inbox/api/conversations/987654/typing",
				Token: apitest.NoToken, Header: a.Header(), Status: 404, Error: "not_found"},
			{Name: "no session", Method: "GET", Path: "/inbox/api/awaiting", Token: apitest.NoToken, Status: 401, Error: "authentication_error"},
		})
	})
}
