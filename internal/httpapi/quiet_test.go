package httpapi_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/events"
)

// quietEventsOf returns the org's events of type typ, oldest first, decoded.
func quietEventsOf(t *testing.T, e *apitest.Env, orgID int64, typ events.Type) []map[string]any {
	t.Helper()
	evs, err := e.App.DB.OrgEvents(t.Context(), orgID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, ev := range evs {
		if ev.Type == typ {
			var m map[string]any
			if err := json.Unmarshal(ev.Data, &m); err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
	}
	return out
}

// startWithAgent starts a conversation and has a SCIM-provisioned agent
// answer it, making the agent a participant.
func startWithAgent(t *testing.T, e *apitest.Env, email string) (conv, agent string) {
	t.Helper()
	c := e.Call(t, "POST", "/conversations/new", map[string]any{"email": email, "message": map[string]any{"body": "Hello"}}, 200)
	conv = fmt.Sprint(c["id"])
	agent = scimCall(t, e, "POST", "/scim/Users", scimUser("agent-"+email, "Agent", "A"), 201)["id"].(string)
	e.Call(t, "POST", "/conversations/"+conv+"/messages", map[string]any{"type": "chat", "body": "Hi, I can help", "userId": json.Number(agent)}, 200)
	return conv, agent
}

// TestConversationParticipantRemoved (issue 16, item 19): deprovisioning
// an agent through SCIM, by deactivation or deletion, takes it out of its
// conversations' participants with conversation_participant_removed.
func TestConversationParticipantRemoved(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		conv1, agent1 := startWithAgent(t, e, "one@example.com")
		conv2, agent2 := startWithAgent(t, e, "two@example.com")
		if p := fmt.Sprint(e.Call(t, "GET", "/conversations/"+conv1, nil, 200)["data"].(map[string]any)["participants"]); p != "["+agent1+"]" {
			t.Fatalf("participants %s, want [%s]", p, agent1)
		}
		before := e.Call(t, "GET", "/conversations/"+conv1, nil, 200)["data"].(map[string]any)["updatedAt"]

		scimCall(t, e, "PATCH", "/scim/Users/"+agent1, patchOps(map[string]any{"op": "replace", "path": "active", "value": false}), 200)
		scimCall(t, e, "PATCH", "/scim/Users/"+agent1, patchOps(map[string]any{"op": "replace", "path": "displayName", "value": "Still inactive"}), 200)
		scimCall(t, e, "DELETE", "/scim/Users/"+agent2, nil, 204)

		removed := quietEventsOf(t, e, e.OrgID, events.ConversationParticipantRem)
		if len(removed) != 2 {
			t.Fatalf("%d conversation_participant_removed, want 2: %v", len(removed), removed)
		}
		for i, want := range [][2]string{{conv1, agent1}, {conv2, agent2}} {
			ev := removed[i]
			if fmt.Sprint(ev["conversationId"]) != want[0] || fmt.Sprint(ev["removedParticipants"]) != "["+want[1]+"]" || ev["changedAt"] == nil {
				t.Fatalf("event %d: %v, want conversation %s without %s", i, ev, want[0], want[1])
			}
		}
		c1 := e.Call(t, "GET", "/conversations/"+conv1, nil, 200)["data"].(map[string]any)
		if fmt.Sprint(c1["participants"]) != "[]" || c1["updatedAt"] != before {
			t.Fatalf("conversation after removal %v (updatedAt was %v)", c1, before)
		}
		c2 := e.Call(t, "GET", "/conversations/"+conv2, nil, 200)["data"].(map[string]any)
		if fmt.Sprint(c2["participants"]) != "[]" {
			t.Fatalf("conversation 2 after the agent's deletion %v", c2)
		}
	})
}

// TestConversationInactiveAndPush (item 19): a conversation quiet for the
// period fires conversation_inactive and conversation_push once per quiet
// period, however many sweeps run at once; POST
// /driftwood/v1/conversations/{id}/push fires conversation_push.
func TestConversationInactiveAndPush(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		const period = 10 * time.Minute
		at := func(d time.Duration) *conversation.Sweeper {
			return &conversation.Sweeper{Store: e.App.DB, After: period, Now: func() time.Time { return time.Now().Add(d) }}
		}
		var convs []string
		for i := range 30 {
			c := e.Call(t, "POST", "/conversations/new", map[string]any{"email": fmt.Sprintf("q%d@example.com", i), "message": map[string]any{"body": "Hi"}}, 200)
			convs = append(convs, fmt.Sprint(c["id"]))
		}
		// Not quiet yet.
		at(0).Sweep(t.Context())
		if n := len(quietEventsOf(t, e, e.OrgID, events.ConversationInactive)); n != 0 {
			t.Fatalf("%d conversation_inactive before the period", n)
		}
		// Four replicas sweep at once, twice each: each conversation once.
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				at(period + time.Minute).Sweep(t.Context())
				at(period + time.Minute).Sweep(t.Context())
			})
		}
		wg.Wait()
		inactive := quietEventsOf(t, e, e.OrgID, events.ConversationInactive)
		pushes := quietEventsOf(t, e, e.OrgID, events.ConversationPush)
		if len(inactive) != len(convs) || len(pushes) != len(convs) {
			t.Fatalf("%d conversation_inactive and %d conversation_push for %d conversations", len(inactive), len(pushes), len(convs))
		}
		seen := map[string]bool{}
		for _, ev := range inactive {
			seen[fmt.Sprint(ev["conversationId"])] = true
			if ev["lastUpdated"] == nil {
				t.Fatalf("conversation_inactive %v", ev)
			}
		}
		if len(seen) != len(convs) {
			t.Fatalf("conversations announced: %v", seen)
		}
		if pushes[0]["trigger"] != "inactive" || pushes[0]["contactId"] == nil {
			t.Fatalf("conversation_push %v", pushes[0])
		}

		// A new message starts a new quiet period: announced once more.
		e.Call(t, "POST", "/conversations/"+convs[0]+"/messages", map[string]any{"type": "chat", "body": "Anyone?"}, 200)
		at(period + time.Minute).Sweep(t.Context())
		at(2 * period).Sweep(t.Context())
		if n := len(quietEventsOf(t, e, e.OrgID, events.ConversationInactive)); n != len(convs)+1 {
			t.Fatalf("%d conversation_inactive after a new message, want %d", n, len(convs)+1)
		}

		// Manual push.
		got := e.Call(t, "POST", "/driftwood/v1/conversations/"+convs[1]+"/push", nil, 200)
		if fmt.Sprint(got["data"].(map[string]any)["id"]) != convs[1] {
			t.Fatalf("push answered %v", got)
		}
		pushes = quietEventsOf(t, e, e.OrgID, events.ConversationPush)
		if last := pushes[len(pushes)-1]; fmt.Sprint(last["conversationId"]) != convs[1] || last["trigger"] != "manual" {
			t.Fatalf("manual conversation_push %v", last)
		}
		otherOrg, other := e.NewOrg(t, "Other")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/conversations/" + convs[1] + "/push", Token: other}), 404, "not_found")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/conversations/987654/push", Token: e.Token}), 404, "not_found")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/conversations/abc/push", Token: e.Token}), 400, "validation_error")
		noAdmin := e.NewToken(t, e.OrgID, auth.ConversationRead, auth.ConversationWrite)
		r := e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/conversations/" + convs[1] + "/push", Token: noAdmin})
		if r.Status != 403 {
			t.Fatalf("without driftwood_admin: %d %s", r.Status, r.Body)
		}
		if n := len(quietEventsOf(t, e, otherOrg, events.ConversationPush)); n != 0 {
			t.Fatalf("another org got %d pushes", n)
		}
	})
}
