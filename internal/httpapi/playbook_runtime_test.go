package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/playbook"
)

// runtimeDefinition greets visitors of /pricing, asks a question with
// buttons, captures an email and a phone, meets a goal and routes to agent.
func runtimeDefinition(agent int64) map[string]any {
	return map[string]any{"targeting": map[string]any{"urls": []any{map[string]any{"match": "contains", "value": "/pricing"}}},
		"steps": []any{
			map[string]any{"id": "hi", "kind": "message", "text": "Hi {{name|there}}!", "next": "size"},
			map[string]any{"id": "size", "kind": "question", "text": "How big is your team?", "attribute": "team_size",
				"buttons": []any{map[string]any{"label": "1-10"}, map[string]any{"label": "11+"}}, "next": "email"},
			map[string]any{"id": "email", "kind": "email_capture", "text": "Your email?", "next": "phone"},
			map[string]any{"id": "phone", "kind": "phone_capture", "text": "Your phone?", "retry": "Digits, please.", "next": "won"},
			map[string]any{"id": "won", "kind": "goal", "goal": "Qualified", "next": "route"},
			map[string]any{"id": "route", "kind": "route", "route": map[string]any{"to": "agent", "userId": agent}},
		}}
}

// botMessages lists the bot's messages of a conversation through the REST API.
func botMessages(t *testing.T, e *apitest.Env, conv int64) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range e.Call(t, "GET", fmt.Sprintf("/conversations/%d/messages", conv), nil, 200)["data"].(map[string]any)["messages"].([]any) {
		m := m.(map[string]any)
		if a := m["author"].(map[string]any); a["bot"] == true {
			out = append(out, m)
		}
	}
	return out
}

// A proactive playbook greets a visitor on a targeted page and not on
// another; the bot speaks as the org's bot user, each answer moves it one
// step in the answer's transaction, invalid captures get the retry prompt,
// and Drift's events fire; the goal's route assigns the agent.
func TestPlaybookRuntime(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		agent := e.NewAgent(t, e.OrgID, "Ada Agent", "ada-runtime@x.example")
		pb := e.Call(t, "POST", "/driftwood/v1/playbooks", map[string]any{"name": "Qualify", "definition": runtimeDefinition(agent)}, 201)
		pbID := idOf(pb["data"].(map[string]any)["id"])

		elsewhere := newVisitor(t, e, "")
		if got := elsewhere.call(t, "POST", "/playbook", map[string]any{"trigger": "page", "url": "https://acme.example/blog"}); got["started"] != false {
			t.Fatalf("fired on an untargeted page: %v", got)
		}
		v := newVisitor(t, e, "")
		var conv int64
		apitest.Scenario{Method: "POST", Path: "/widget/v1/" + v.embed + "/playbook", Token: v.token,
			Body:   map[string]any{"trigger": "page", "url": "https://acme.example/pricing?x=1"},
			Events: []events.Type{events.NewConversation, events.NewMessage, events.ConversationParticipantAdded, events.NewMessage},
			Check: func(t testing.TB, r *apitest.Result) {
				d := r.Object(t)["data"].(map[string]any)
				if d["started"] != true || idOf(d["playbookId"]) != pbID {
					t.Fatalf("not started: %v", d)
				}
				conv = idOf(d["conversation"].(map[string]any)["id"])
			}}.Run(t, e)
		bots := botMessages(t, e, conv)
		if len(bots) != 2 || bots[0]["body"] != "Hi there!" || len(bots[1]["buttons"].([]any)) != 2 {
			t.Fatalf("the bot's greeting: %v", bots)
		}
		if again := v.call(t, "POST", "/playbook", map[string]any{"trigger": "page", "url": "https://acme.example/pricing"}); again["started"] != false {
			t.Fatalf("greeted twice: %v", again)
		}
		post := func(body map[string]any, want ...events.Type) *apitest.Result {
			t.Helper()
			body["conversationId"] = conv
			return apitest.Scenario{Method: "POST", Path: "/widget/v1/" + v.embed + "/messages", Token: v.token, Body: body, Events: want}.Run(t, e)
		}
		post(map[string]any{"button": map[string]any{"messageId": idOf(bots[1]["id"]), "value": "11+"}},
			events.NewMessage, events.ButtonClicked, events.ButtonAction, events.ContactUpdated, events.NewMessage)
		post(map[string]any{"body": "ada@"}, events.NewMessage, events.NewMessage) // the retry prompt
		post(map[string]any{"body": "Ada@Acme.example"},
			events.NewMessage, events.ContactUpdated, events.ContactIdentified, events.NewMessage)
		post(map[string]any{"body": "call me"}, events.NewMessage, events.NewMessage)
		r := post(map[string]any{"body": "+1 (555) 010-9999"}, events.NewMessage, events.ContactUpdated, events.PhoneCaptured,
			events.PlaybookGoalMet, events.ConversationParticipantAdded)
		phone := apitest.Payload[playbook.PhoneCapturedPayload](t, r.Events[2])
		goal := apitest.Payload[playbook.GoalMetPayload](t, r.Events[3])
		if phone.PhoneNumber != "+15550109999" || phone.ConversationID != conv || phone.AuthorType != "contact" {
			t.Fatalf("phone_captured: %+v", phone)
		}
		if goal.PlaybookID != pbID || goal.GoalName != "Qualified" || goal.GoalID == "" || goal.ContactEmail != "ada@acme.example" {
			t.Fatalf("playbook_goal_met: %+v", goal)
		}
		if part := apitest.Payload[struct{ AddedParticipants []int64 }](t, r.Events[4]); fmt.Sprint(part.AddedParticipants) != fmt.Sprint([]int64{agent}) {
			t.Fatalf("routed to %v, want agent %d", part.AddedParticipants, agent)
		}
		for _, a := range e.Call(t, "GET", "/driftwood/v1/routing", nil, 200)["data"].(map[string]any)["agents"].([]any) {
			a := a.(map[string]any)
			if idOf(a["userId"]) == agent && idOf(a["open"]) != 1 {
				t.Fatalf("the agent's load: %v", a)
			}
		}
		bots = botMessages(t, e, conv)
		texts := []string{}
		for _, b := range bots {
			texts = append(texts, b["body"].(string))
		}
		want := []string{"Hi there!", "How big is your team?", "Your email?",
			"That doesn&#39;t look like an email address. Could you check it?", "Your phone?", "Digits, please."}
		if fmt.Sprint(texts) != fmt.Sprint(want) {
			t.Fatalf("the bot said %q, want %q", texts, want)
		}
		// Once routed and done, the bot says nothing more.
		post(map[string]any{"body": "thanks"}, events.NewMessage)
	})
}

// An agent who writes takes over: the bot answers no more. A route to a
// team deleted since falls back to the queue, and the bot tells the
// visitor their place.
func TestPlaybookRuntime_TakeoverAndDeletedTeam(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		agent := e.NewAgent(t, e.OrgID, "Bo Agent", "bo-runtime@x.example")
		team := idOf(e.Call(t, "POST", "/driftwood/v1/teams", map[string]any{"name": "Night", "members": []int64{agent}}, 201)["data"].(map[string]any)["id"])
		e.Call(t, "POST", "/driftwood/v1/playbooks", map[string]any{"name": "Triage", "definition": map[string]any{"steps": []any{
			map[string]any{"id": "need", "kind": "question", "text": "What do you need?", "next": "route"},
			map[string]any{"id": "route", "kind": "route", "route": map[string]any{"to": "team", "teamId": team}},
		}}}, 201)

		taken := newVisitor(t, e, "")
		conv := idOf(taken.call(t, "POST", "/playbook", map[string]any{"trigger": "open", "url": "https://acme.example/"})["conversation"].(map[string]any)["id"])
		e.Call(t, "POST", fmt.Sprintf("/conversations/%d/messages", conv), map[string]any{"type": "chat", "userId": agent, "body": "Hi, Bo here."}, 200)
		apitest.Scenario{Method: "POST", Path: "/widget/v1/" + taken.embed + "/messages", Token: taken.token,
			Body: map[string]any{"conversationId": conv, "body": "a refund"}, Events: []events.Type{events.NewMessage}}.Run(t, e)

		e.Call(t, "DELETE", fmt.Sprintf("/driftwood/v1/teams/%d", team), nil, 200)
		v := newVisitor(t, e, "")
		conv = idOf(v.call(t, "POST", "/playbook", map[string]any{"trigger": "open", "url": "https://acme.example/"})["conversation"].(map[string]any)["id"])
		v.call(t, "POST", "/messages", map[string]any{"conversationId": conv, "body": "a refund"})
		bots := botMessages(t, e, conv)
		if last := bots[len(bots)-1]["body"].(string); !strings.Contains(last, "number 1 in the queue") {
			t.Fatalf("the bot's last word: %q", last)
		}
		q := e.Call(t, "GET", "/driftwood/v1/routing", nil, 200)["data"].(map[string]any)["queue"].([]any)
		if len(q) != 1 || idOf(q[0].(map[string]any)["conversationId"]) != conv {
			t.Fatalf("the queue: %v", q)
		}
	})
}
