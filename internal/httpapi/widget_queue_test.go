package httpapi_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/routing"
	"github.com/driftwood-chat/driftwood/internal/sse"
)

// queuePlaces reads a "queue" event's places, by conversation.
func queuePlaces(t *testing.T, m sse.Message) map[int64]int {
	t.Helper()
	var ps []struct {
		ConversationID int64 `json:"conversationId"`
		Position       int   `json:"position"`
	}
	if err := json.Unmarshal([]byte(m.Data), &ps); err != nil {
		t.Fatalf("queue event %+v: %v", m, err)
	}
	out := map[int64]int{}
	for _, p := range ps {
		out[p.ConversationID] = p.Position
	}
	return out
}

// nextQueue waits for the stream's next "queue" event, past messages.
func nextQueue(t *testing.T, ch <-chan sse.Message) map[int64]int {
	t.Helper()
	for {
		if m := nextSSE(t, ch); m.Event == "queue" {
			return queuePlaces(t, m)
		}
	}
}

// A visitor whose conversation waits in the routing queue sees their
// place in the conversation's state and then, on their stream, each time
// it moves as the queue drains (a close frees the one agent's capacity),
// until an agent takes it, or as one before it closes; a reconnected
// stream starts with the place now. A stream names only its visitor's
// conversations.
func TestWidgetQueuePosition(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		agent := e.NewAgent(t, e.OrgID, "Quinn Queue", "quinn-queue@x.example")
		// Only Quinn takes chats, one at a time.
		for _, a := range e.Call(t, "GET", "/driftwood/v1/routing", nil, 200)["data"].(map[string]any)["agents"].([]any) {
			if id := idOf(a.(map[string]any)["userId"]); id != agent {
				e.Call(t, "PATCH", fmt.Sprintf("/users/update?userId=%d", id), map[string]any{"availability": "OFFLINE"}, 200)
			}
		}
		e.Call(t, "PATCH", "/driftwood/v1/routing", map[string]any{"routeNewConversations": true,
			"capacities": map[string]int{fmt.Sprint(agent): 1}}, 200)

		start := func(v *visitorOf) int64 {
			t.Helper()
			return idOf(v.call(t, "POST", "/messages", map[string]any{"body": "hello"})["conversation"].(map[string]any)["id"])
		}
		place := func(v *visitorOf) any {
			t.Helper()
			return v.call(t, "GET", "/conversation", nil)["conversation"].(map[string]any)["queuePosition"]
		}
		first, second, third, fourth := newVisitor(t, e, ""), newVisitor(t, e, ""), newVisitor(t, e, ""), newVisitor(t, e, "")
		served := start(first)
		waiting2, waiting3 := start(second), start(third)
		if p := place(first); p != nil {
			t.Fatalf("the served visitor's place: %v", p)
		}
		if p2, p3 := place(second), place(third); idOf(p2) != 1 || idOf(p3) != 2 {
			t.Fatalf("places %v and %v, want 1 and 2", p2, p3)
		}
		st := third.call(t, "GET", "/conversation", nil)
		ch3, cancel3 := third.stream(t, st["lastEventId"].(string))
		defer cancel3()
		ch2, cancel2 := second.stream(t, st["lastEventId"].(string))
		defer cancel2()
		if got := nextQueue(t, ch3); fmt.Sprint(got) != fmt.Sprint(map[int64]int{waiting3: 2}) {
			t.Fatalf("third's place when its stream starts: %v", got)
		}
		if got := nextQueue(t, ch2); fmt.Sprint(got) != fmt.Sprint(map[int64]int{waiting2: 1}) {
			t.Fatalf("second's place when its stream starts: %v", got)
		}

		// The first conversation closes: Quinn takes the second, the third
		// moves up.
		apitest.Scenario{Method: "PATCH", Path: fmt.Sprintf("/driftwood/v1/conversations/%d", served), Body: map[string]any{"status": "closed"},
			Events: []events.Type{events.ConversationStatusUpdated, events.ConversationParticipantAdded, routing.QueueMoved}}.Run(t, e)
		if got := nextQueue(t, ch3); fmt.Sprint(got) != fmt.Sprint(map[int64]int{waiting3: 1}) {
			t.Fatalf("third's place after a close: %v", got)
		}
		if got := nextQueue(t, ch2); fmt.Sprint(got) != fmt.Sprint(map[int64]int{waiting2: 0}) {
			t.Fatalf("second's place once taken: %v", got)
		}
		// A newcomer queues behind: the third's place does not move, and
		// its stream never names the newcomer's conversation.
		waiting4 := start(fourth)
		if p := place(fourth); idOf(p) != 2 {
			t.Fatalf("the newcomer's place: %v", p)
		}
		// A reconnected stream starts with the place now.
		cancel3()
		ch3, cancel3 = third.stream(t, st["lastEventId"].(string))
		defer cancel3()
		if got := nextQueue(t, ch3); fmt.Sprint(got) != fmt.Sprint(map[int64]int{waiting3: 1}) {
			t.Fatalf("third's place when its stream starts again: %v", got)
		}
		e.Call(t, "PATCH", fmt.Sprintf("/driftwood/v1/conversations/%d", waiting2), map[string]any{"status": "closed"}, 200)
		if got := nextQueue(t, ch3); fmt.Sprint(got) != fmt.Sprint(map[int64]int{waiting3: 0}) {
			t.Fatalf("third's place once taken: %v (the newcomer's conversation is %d)", got, waiting4)
		}
		if p := place(third); p != nil {
			t.Fatalf("the taken visitor's place: %v", p)
		}
		if p := place(fourth); idOf(p) != 1 {
			t.Fatalf("the newcomer's place after the drain: %v", p)
		}
		// A waiting conversation closed leaves the queue too: the one
		// behind it moves up.
		fifth := newVisitor(t, e, "")
		waiting5 := start(fifth)
		st = fifth.call(t, "GET", "/conversation", nil)
		ch5, cancel5 := fifth.stream(t, st["lastEventId"].(string))
		defer cancel5()
		if got := nextQueue(t, ch5); fmt.Sprint(got) != fmt.Sprint(map[int64]int{waiting5: 2}) {
			t.Fatalf("fifth's place when its stream starts: %v", got)
		}
		apitest.Scenario{Method: "PATCH", Path: fmt.Sprintf("/driftwood/v1/conversations/%d", waiting4), Body: map[string]any{"status": "closed"},
			Events: []events.Type{events.ConversationStatusUpdated, routing.QueueMoved}}.Run(t, e)
		if got := nextQueue(t, ch5); fmt.Sprint(got) != fmt.Sprint(map[int64]int{waiting5: 1}) {
			t.Fatalf("fifth's place after the one before it closed: %v", got)
		}
	})
}
