package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/playbook"
)

// alwaysAvailable gives agent half-hour meetings around the clock, so that
// a test finds free slots whatever the time it runs.
func alwaysAvailable(t *testing.T, e *apitest.Env, agent int64) {
	t.Helper()
	var hours []any
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		hours = append(hours, map[string]any{"day": d, "start": "00:00", "end": "24:00"})
	}
	e.Call(t, "PUT", fmt.Sprintf("/driftwood/v1/users/%d/availability", agent), map[string]any{"timeZone": "UTC", "workingHours": hours,
		"meetingTypes": []any{map[string]any{"name": "Intro call", "minutes": 30}}}, 200)
}

// A playbook's meeting step offers the routed agent's free slots: the
// widget reads the offer from the bot's message, books one of its slots,
// and the bot confirms and goes on to the next step, once. Bad bookings
// (another agent, a slot not offered or past, another visitor's
// conversation) are refused with nothing written; with no free slot the
// bot says so and goes on.
func TestPlaybookRuntime_Meeting(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		ada := e.NewAgent(t, e.OrgID, "Ada Agent", "ada-meeting@x.example")
		bo := e.NewAgent(t, e.OrgID, "Bo Busy", "bo-meeting@x.example") // no availability
		alwaysAvailable(t, e, ada)
		def := func(meetingUser int64) map[string]any {
			return map[string]any{"steps": []any{
				map[string]any{"id": "route", "kind": "route", "route": map[string]any{"to": "agent", "userId": ada}, "next": "meet"},
				map[string]any{"id": "meet", "kind": "meeting", "text": "Pick a time for a call:", "userId": meetingUser, "next": "bye"},
				map[string]any{"id": "bye", "kind": "message", "text": "Anything else?"},
			}}
		}
		pb := idOf(e.Call(t, "POST", "/driftwood/v1/playbooks", map[string]any{"name": "Book", "definition": def(0)}, 201)["data"].(map[string]any)["id"])
		busy := idOf(e.Call(t, "POST", "/driftwood/v1/playbooks", map[string]any{"name": "Busy", "definition": def(bo)}, 201)["data"].(map[string]any)["id"])

		v := newVisitor(t, e, "")
		var conv int64
		apitest.Scenario{Method: "POST", Path: "/widget/v1/" + v.embed + "/playbook", Token: v.token,
			Body: map[string]any{"trigger": "interaction", "interactionId": pb, "url": "https://acme.example/"},
			// Ada is routed, then the bot speaks (and joins).
			Events: []events.Type{events.NewConversation, events.ConversationParticipantAdded, events.NewMessage, events.ConversationParticipantAdded},
			Check: func(t testing.TB, r *apitest.Result) {
				conv = idOf(r.Object(t)["data"].(map[string]any)["conversation"].(map[string]any)["id"])
			}}.Run(t, e)
		// The widget sees the offer on the bot's message.
		msgs := v.call(t, "GET", "/conversation", nil)["messages"].([]any)
		offer, _ := msgs[len(msgs)-1].(map[string]any)["meeting"].(map[string]any)
		if offer == nil || idOf(offer["agentId"]) != ada || offer["meetingType"] != "Intro call" {
			t.Fatalf("the bot's last message offers no meeting with Ada: %v", msgs)
		}
		slots := v.call(t, "GET", fmt.Sprintf("/meetings/slots?agentId=%d&timeZone=Asia/Tokyo", ada), nil)["slots"].([]any)
		if len(slots) < 2 {
			t.Fatalf("free slots: %v", slots)
		}
		first := idOf(slots[0].(map[string]any)["slotStart"])
		book := func(body map[string]any) map[string]any {
			out := map[string]any{"agentId": ada, "slotStart": first, "timeZone": "Asia/Tokyo", "conversationId": conv}
			for k, val := range body {
				out[k] = val
			}
			return out
		}
		stranger := newVisitor(t, e, "")
		strangerConv := idOf(stranger.call(t, "POST", "/messages", map[string]any{"body": "hi"})["conversation"].(map[string]any)["id"])
		bookPath := "/widget/v1/" + v.embed + "/meetings"
		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Name: "another agent than the one offered", Method: "POST", Path: bookPath, Token: v.token, Status: 400, Error: "validation_error",
				Body: book(map[string]any{"agentId": bo}), Contains: []string{`"param":"agentId"`}},
			{Name: "a slot not offered", Method: "POST", Path: bookPath, Token: v.token, Status: 409,
				Body: book(map[string]any{"slotStart": first + 60_000})},
			{Name: "a slot in the past", Method: "POST", Path: bookPath, Token: v.token, Status: 409,
				Body: book(map[string]any{"slotStart": first - 24*3600_000})},
			{Name: "another visitor's conversation", Method: "POST", Path: bookPath, Token: v.token, Status: 404, Error: "not_found",
				Body: book(map[string]any{"conversationId": strangerConv})},
		})
		if n := len(botMessages(t, e, conv)); n != 1 {
			t.Fatalf("a refused booking made the bot speak: %d messages", n)
		}

		// Booked: new_meeting, the bot's confirmation in the visitor's
		// zone, and the next step; the stranger's booking of the same slot
		// is then refused.
		apitest.Scenario{Method: "POST", Path: bookPath, Token: v.token, Body: book(nil), Status: http.StatusCreated,
			Events:   []events.Type{events.NewMeeting, events.NewMessage, events.NewMessage},
			Contains: []string{`"meetingSource":"CONVERSATION"`, fmt.Sprintf(`"conversationId":%d`, conv)}}.Run(t, e)
		bots := botMessages(t, e, conv)
		tokyo, _ := time.LoadLocation("Asia/Tokyo")
		when := time.UnixMilli(first).In(tokyo).Format("Mon 2 Jan, 15:04")
		if len(bots) != 3 || !strings.Contains(bots[1]["body"].(string), "You&#39;re booked with Ada Agent on "+when+" (Asia/Tokyo)") ||
			bots[2]["body"] != "Anything else?" {
			t.Fatalf("after booking the bot said %v", bots)
		}
		apitest.Scenario{Method: "POST", Path: "/widget/v1/" + v.embed + "/meetings", Token: stranger.token, Status: 409,
			Body: map[string]any{"agentId": ada, "slotStart": first, "conversationId": strangerConv}}.Run(t, e)
		// A second booking books, but the run has moved on: no more steps.
		second := idOf(slots[1].(map[string]any)["slotStart"])
		apitest.Scenario{Method: "POST", Path: bookPath, Token: v.token, Body: book(map[string]any{"slotStart": second}), Status: http.StatusCreated,
			Events: []events.Type{events.NewMeeting}}.Run(t, e)
		listed := e.Call(t, "GET", fmt.Sprintf("/users/meetings/org?min_start_time=%d&max_start_time=%d", first-1, second+1), nil, 200)
		if got := fmt.Sprint(listed["data"]); !strings.Contains(got, fmt.Sprint(first)) || strings.Count(got, "CONVERSATION") != 2 {
			t.Fatalf("GET /users/meetings/org: %s", got)
		}

		// Bo has no free slot: the bot says so and goes on.
		w := newVisitor(t, e, "")
		apitest.Scenario{Method: "POST", Path: "/widget/v1/" + w.embed + "/playbook", Token: w.token,
			Body: map[string]any{"trigger": "interaction", "interactionId": busy, "url": "https://acme.example/"},
			Events: []events.Type{events.NewConversation, events.ConversationParticipantAdded, events.NewMessage,
				events.ConversationParticipantAdded, events.NewMessage},
			Check: func(t testing.TB, r *apitest.Result) {
				conv = idOf(r.Object(t)["data"].(map[string]any)["conversation"].(map[string]any)["id"])
			}}.Run(t, e)
		bots = botMessages(t, e, conv)
		if len(bots) != 2 || bots[0]["body"] != strings.ReplaceAll(playbook.NoSlotsText, "'", "&#39;") || bots[1]["body"] != "Anything else?" {
			t.Fatalf("with no free slot the bot said %v", bots)
		}
	})
}
