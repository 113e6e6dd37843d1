package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/events"
)

// Meetings in chat: an agent's availability, the free slots a visitor is
// offered in their time zone, booking one (new_meeting, listed by GET
// /users/meetings/org, the slot gone), rescheduling and cancelling
// (meeting_updated, the slot back), and no double booking under
// concurrency.
func TestMeetingsInChat(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		agent := e.NewAgent(t, e.OrgID, "Ada Agent", "ada@acme.example")
		otherOrg, _ := e.NewOrg(t, "Other")
		foreign := e.NewAgent(t, otherOrg, "Foreign", "foreign@other.example")
		avail := fmt.Sprintf("/driftwood/v1/users/%d/availability", agent)
		berlin, _ := time.LoadLocation("Europe/Berlin")
		at := func(h, m int) int64 { return time.Date(2030, 3, 4, h, m, 0, 0, berlin).UnixMilli() } // a Monday
		dayFrom, dayTo := at(0, 0), at(23, 59)

		v := newVisitor(t, e, "")
		first := v.call(t, "POST", "/messages", map[string]any{"body": "I'd like a demo"})
		conv := idOf(first["conversation"].(map[string]any)["id"])
		stranger := newVisitor(t, e, "")
		stranger.call(t, "POST", "/messages", map[string]any{"body": "hello"})
		slotsPath := fmt.Sprintf("/widget/v1/%s/meetings/slots?agentId=%d&meetingType=demo&timeZone=America/New_York&from=%d&to=%d",
			v.embed, agent, dayFrom, dayTo)
		bookPath := "/widget/v1/" + v.embed + "/meetings"
		slotCount := func(t *testing.T) int {
			t.Helper()
			r := v.do(t, "GET", strings.TrimPrefix(slotsPath, "/widget/v1/"+v.embed), nil)
			if r.Status != 200 {
				t.Fatalf("slots: %d %s", r.Status, r.Body)
			}
			return len(r.Object(t)["data"].(map[string]any)["slots"].([]any))
		}
		var eventID string
		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Name: "no availability yet", Method: "GET", Path: avail, Contains: []string{`"timeZone":"UTC"`, `"meetingTypes":[]`}},
			{Name: "set availability", Method: "PUT", Path: avail,
				Body: map[string]any{"timeZone": "Europe/Berlin", "workingHours": []any{map[string]any{"day": "Monday", "start": "09:00", "end": "11:00"}},
					"meetingTypes": []any{map[string]any{"name": "Demo", "minutes": 30, "bufferMinutes": 0, "minimumNoticeMinutes": 60}}},
				Contains: []string{`"day":"monday"`, `"name":"Demo"`}},
			{Name: "read back", Method: "GET", Path: avail, Contains: []string{`"timeZone":"Europe/Berlin"`, `"minutes":30`}},
			{Name: "bad time zone names the field", Method: "PUT", Path: avail, Status: 400, Error: "validation_error",
				Body: map[string]any{"timeZone": "Mars/Base"}, Contains: []string{`"param":"timeZone"`}},
			{Name: "overlapping hours name the field", Method: "PUT", Path: avail, Status: 400, Error: "validation_error",
				Body: map[string]any{"timeZone": "UTC", "workingHours": []any{map[string]any{"day": "monday", "start": "09:00", "end": "12:00"},
					map[string]any{"day": "monday", "start": "11:00", "end": "13:00"}}}, Contains: []string{`"param":"workingHours[1]"`}},
			{Name: "another org's user is a 404", Method: "PUT", Path: fmt.Sprintf("/driftwood/v1/users/%d/availability", foreign), Status: 404,
				Error: "not_found", Body: map[string]any{"timeZone": "UTC"}},
			{Name: "slots in the visitor's time zone", Method: "GET", Path: slotsPath, Token: v.token,
				Contains:    []string{`"label":"Mon 4 Mar, 03:00"`, `"label":"Mon 4 Mar, 04:30"`, fmt.Sprintf(`"slotStart":%d`, at(9, 30))},
				NotContains: []string{fmt.Sprintf(`"slotStart":%d`, at(11, 0))}},
			{Name: "no meeting type named: the agent's first", Method: "GET", Path: strings.Replace(slotsPath, "&meetingType=demo", "", 1), Token: v.token,
				Contains: []string{`"name":"Demo"`, fmt.Sprintf(`"slotStart":%d`, at(9, 30))}},
			{Name: "slots need a visitor session", Method: "GET", Path: slotsPath, Token: apitest.NoToken, Status: 401},
			{Name: "an API token is no visitor session", Method: "GET", Path: slotsPath, Status: 401},
			{Name: "unknown meeting type", Method: "GET", Path: strings.Replace(slotsPath, "demo", "lunch", 1), Token: v.token, Status: 400,
				Error: "validation_error", Contains: []string{`"param":"meetingType"`}},
			{Name: "bad visitor time zone", Method: "GET", Path: strings.Replace(slotsPath, "America/New_York", "Nowhere", 1), Token: v.token,
				Status: 400, Error: "validation_error"},
			{Name: "window over 31 days", Method: "GET", Path: strings.Replace(slotsPath, fmt.Sprint(dayTo), fmt.Sprint(dayFrom+40*24*3600*1000), 1),
				Token: v.token, Status: 400, Error: "validation_error"},
			{Name: "another org's agent is a 404", Method: "GET", Path: strings.Replace(slotsPath, fmt.Sprintf("agentId=%d", agent), fmt.Sprintf("agentId=%d", foreign), 1),
				Token: v.token, Status: 404, Error: "not_found"},
			{Name: "book a slot", Method: "POST", Path: bookPath, Token: v.token, Status: http.StatusCreated,
				Body:     map[string]any{"agentId": agent, "meetingType": "Demo", "slotStart": at(9, 30), "timeZone": "America/New_York", "conversationId": conv},
				Contains: []string{fmt.Sprintf(`"slotEnd":%d`, at(10, 0)), `"meetingSource":"CONVERSATION"`, `"meetingType":"Demo"`, `"endUserTimeZone":"America/New_York"`},
				Events:   []events.Type{events.NewMeeting},
				Check: func(t testing.TB, r *apitest.Result) {
					eventID = r.Object(t)["data"].(map[string]any)["eventId"].(string)
				}},
			{Name: "the same slot again is a conflict", Method: "POST", Path: bookPath, Token: v.token, Status: 409, Error: "conflict",
				Body: map[string]any{"agentId": agent, "meetingType": "Demo", "slotStart": at(9, 30)}},
			{Name: "off the grid is a conflict", Method: "POST", Path: bookPath, Token: v.token, Status: 409, Error: "conflict",
				Body: map[string]any{"agentId": agent, "meetingType": "Demo", "slotStart": at(9, 45)}},
			{Name: "outside working hours is a conflict", Method: "POST", Path: bookPath, Token: v.token, Status: 409, Error: "conflict",
				Body: map[string]any{"agentId": agent, "meetingType": "Demo", "slotStart": at(11, 0)}},
			{Name: "another visitor's conversation is a 404", Method: "POST", Path: bookPath, Token: stranger.token, Status: 404, Error: "not_found",
				Body: map[string]any{"agentId": agent, "meetingType": "Demo", "slotStart": at(10, 0), "conversationId": conv}},
			{Name: "bad slotStart", Method: "POST", Path: bookPath, Token: v.token, Status: 400, Error: "validation_error",
				Body: map[string]any{"agentId": agent, "meetingType": "Demo", "slotStart": -1}},
		})
		if n := slotCount(t); n != 3 {
			t.Fatalf("%d slots after booking one of 4", n)
		}
		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Name: "listed by GET /users/meetings/org", Method: "GET", Path: fmt.Sprintf("/users/meetings/org?min_start_time=%d&max_start_time=%d", dayFrom, dayTo),
				Contains: []string{eventID, fmt.Sprintf(`"conversationId":%d`, conv), fmt.Sprintf(`"agentId":%d`, agent)}},
			{Name: "reschedule", Method: "POST", Path: "/driftwood/v1/meetings/" + eventID + "/reschedule",
				Body: map[string]any{"slotStart": at(10, 30), "slotEnd": at(11, 0)}, Events: []events.Type{events.MeetingUpdated},
				Contains: []string{fmt.Sprintf(`"slotStart":%d`, at(10, 30))}},
			{Name: "cancel", Method: "POST", Path: "/driftwood/v1/meetings/" + eventID + "/cancel", Events: []events.Type{events.MeetingUpdated}},
		})
		if n := slotCount(t); n != 4 {
			t.Fatalf("%d slots after cancelling, want all 4 back", n)
		}
		// A visitor without a contact yet cannot book.
		apitest.WantError(t, newVisitor(t, e, "").do(t, "POST", "/meetings", map[string]any{"agentId": agent, "meetingType": "Demo", "slotStart": at(10, 0)}),
			400, "validation_error")

		// Eight visitors race for the 10:00 slot: exactly one gets it.
		var wg sync.WaitGroup
		statuses := make(chan int, 8)
		for range 8 {
			racer := newVisitor(t, e, "")
			racer.call(t, "POST", "/messages", map[string]any{"body": "me first"})
			wg.Go(func() {
				statuses <- racer.do(t, "POST", "/meetings", map[string]any{"agentId": agent, "meetingType": "Demo", "slotStart": at(10, 0)}).Status
			})
		}
		wg.Wait()
		close(statuses)
		won := 0
		for s := range statuses {
			switch s {
			case http.StatusCreated:
				won++
			case http.StatusConflict:
			default:
				t.Errorf("a racer got %d", s)
			}
		}
		if won != 1 {
			t.Fatalf("%d visitors booked the same slot", won)
		}
	})
}
