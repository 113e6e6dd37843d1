package httpapi_test

import (
	"fmt"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/events"
)

// Read state: a visitor's message is unread to every agent until each
// opens the conversation (POST …/read, no event); the list shows each
// row's unread messages beside awaitingReply, /inbox/api/unread the
// conversations with some per view; an agent's own messages are never
// unread to her, a colleague's are; another org's conversation is a 404.
func TestInbox_ReadState(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		ada := e.NewAgent(t, e.OrgID, "Ada", "ada@reads.example")
		bo := e.NewAgent(t, e.OrgID, "Bo", "bo@reads.example")
		a := e.SignIn(t, e.OrgID, ada, "ada@reads.example", agentPassword)
		b := e.SignIn(t, e.OrgID, bo, "bo@reads.example", agentPassword)
		c1, _ := startVisitor(t, e, "one@reads.example", "first")
		c2, _ := startVisitor(t, e, "two@reads.example", "second")
		list := func(ag *apitest.Agent, want ...string) {
			t.Helper()
			s := inboxCall(ag, "GET", "/inbox/api/conversations?view=all&status=open", nil)
			s.Contains = want
			s.Run(t, e)
		}
		counts := func(ag *apitest.Agent, want string) {
			t.Helper()
			s := inboxCall(ag, "GET", "/inbox/api/unread", nil)
			s.Contains = []string{want}
			s.Run(t, e)
		}
		read := func(ag *apitest.Agent, c int64, body map[string]any, want string) {
			t.Helper()
			s := inboxCall(ag, "POST", fmt.Sprintf("/inbox/api/conversations/%d/read", c), body)
			s.Contains = []string{want}
			s.Run(t, e) // no event: Events nil
		}
		list(a, `"awaitingReply":true,"unread":1`)
		counts(a, `"data":{"all":2,"mine":0,"teams":{},"unassigned":2}`)

		// Ada opens c1 and answers it: read for her, and no longer
		// awaiting a reply; Bo has two unread messages there now.
		read(a, c1.ID, map[string]any{}, fmt.Sprintf(`"conversationId":%d`, c1.ID))
		counts(a, `"data":{"all":1,"mine":0,"teams":{},"unassigned":1}`)
		reply := inboxCall(a, "POST", fmt.Sprintf("/inbox/api/conversations/%d/messages", c1.ID), map[string]any{"body": "on it"})
		reply.Events = []events.Type{events.NewMessage, events.ConversationParticipantAdded}
		reply.Run(t, e)
		counts(a, `"data":{"all":1,"mine":0,"teams":{},"unassigned":1}`)
		list(b, `"awaitingReply":false,"unread":2`, `"awaitingReply":true,"unread":1`)
		counts(b, `"all":2`)

		// The visitor writes again: unread to Ada; she reads up to an
		// earlier message id first (nothing changes), then all of it.
		var m messagesAnswer
		apitest.Scenario{Method: "POST", Path: fmt.Sprintf("/driftwood/v1/simulate/conversations/%d/messages", c1.ID),
			Body: map[string]any{"body": "thanks"}, Events: []events.Type{events.NewMessage}}.Run(t, e).Decode(t, &m)
		last := m.Data.Messages[0].ID
		counts(a, `"all":2`)
		read(a, c1.ID, map[string]any{"messageId": 1}, `"lastReadMessageId":`)
		counts(a, `"all":2`)
		read(a, c1.ID, map[string]any{"messageId": last}, fmt.Sprintf(`"lastReadMessageId":%d`, last))
		counts(a, `"all":1`)
		read(a, c2.ID, map[string]any{"messageId": nil}, `"conversationId"`)
		counts(a, `"data":{"all":0,"mine":0,"teams":{},"unassigned":0}`)
		list(a, `"awaitingReply":true,"unread":0`)

		_, otherToken := e.NewOrg(t, "Other")
		var theirs struct{ Data struct{ ID int64 } }
		e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/simulate/conversations", Token: otherToken,
			Body: map[string]any{"email": "x@other.example", "body": "theirs"}}).Decode(t, &theirs)
		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Name: "another org's conversation", Method: "POST", Path: fmt.Sprintf("/inbox/api/conversations/%d/read", theirs.Data.ID),
				Token: apitest.NoToken, Header: a.Header(), Body: map[string]any{}, Status: 404, Error: "not_found"},
			{Name: "no conversation", Method: "POST", Path: "/inbox/api/conversations/987654/read",
				Token: apitest.NoToken, Header: a.Header(), Body: map[string]any{}, Status: 404, Error: "not_found"},
			{Name: "a bad message id", Method: "POST", Path: fmt.Sprintf("/inbox/api/conversations/%d/read", c1.ID),
				Token: apitest.NoToken, Header: a.Header(), Body: map[string]any{"messageId": "x"}, Status: 400, Error: "validation_error"},
			{Name: "no CSRF token", Method: "POST", Path: fmt.Sprintf("/inbox/api/conversations/%d/read", c1.ID),
				Token: apitest.NoToken, Header: map[string]string{"Cookie": a.Header()["Cookie"]}, Body: map[string]any{}, Status: 403},
			{Name: "no session", Method: "GET", Path: "/inbox/api/unread", Token: apitest.NoToken, Status: 401, Error: "authentication_error"},
		})
	})
}
