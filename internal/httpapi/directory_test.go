package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/events"
)

// eventsOf returns the org's outbox events of type typ, decoded.
func eventsOf(t *testing.T, e *apitest.Env, orgID int64, typ events.Type) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, ev := range e.Outbox(t, orgID, 0) {
		if ev.Type != typ {
			continue
		}
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(ev.Data))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func dataList(t testing.TB, obj map[string]any) []any {
	t.Helper()
	l, ok := obj["data"].([]any)
	if !ok {
		t.Fatalf("data is not a list: %v", obj)
	}
	return l
}

func dataObj(t testing.TB, obj map[string]any) map[string]any {
	t.Helper()
	m, ok := obj["data"].(map[string]any)
	if !ok {
		t.Fatalf("data is not an object: %v", obj)
	}
	return m
}

func num(v any) int64 {
	n, _ := v.(json.Number).Int64()
	return n
}

// list reads path with the env's admin token and returns its data list.
func list(t *testing.T, e *apitest.Env, path string) []any {
	t.Helper()
	return dataList(t, apitest.Scenario{Method: "GET", Path: path}.Run(t, e).Object(t))
}

func TestUsers(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		ada := e.NewAgent(t, e.OrgID, "Ada Agent", "ada@example.com")
		bot := dataObj(t, apitest.Scenario{Method: "POST", Path: "/driftwood/v1/users", Body: map[string]any{"name": "Helper Bot", "bot": true},
			Status: http.StatusCreated}.Run(t, e).Object(t))
		if bot["bot"] != true || bot["availability"] != "AVAILABLE" || bot["role"] != "member" {
			t.Fatalf("bot user: %v", bot)
		}

		for _, path := range []string{"/users/list", "/users", "/v1/users/list"} {
			us := list(t, e, path)
			if len(us) != 3 { // the org's own bot, Ada, the helper bot
				t.Fatalf("%s: %d users: %v", path, len(us), us)
			}
			if first := us[0].(map[string]any); first["bot"] != true {
				t.Fatalf("the org's bot is not listed first: %v", first)
			}
		}
		u := dataObj(t, apitest.Scenario{Method: "GET", Path: fmt.Sprintf("/users/%d", ada)}.Run(t, e).Object(t))
		for _, k := range []string{"id", "orgId", "name", "email", "availability", "role", "verified", "bot", "createdAt", "updatedAt"} {
			if _, ok := u[k]; !ok {
				t.Fatalf("user lacks %s: %v", k, u)
			}
		}
		if _, ok := u["phone"]; ok {
			t.Fatalf("an absent field is shown: %v", u)
		}

		r := apitest.Scenario{Method: "PATCH", Path: fmt.Sprintf("/users/update?userId=%d", ada), Body: map[string]any{
			"alias": "Ace", "phone": "+1 555 0101", "locale": "fr-FR", "avatarUrl": "https://img.example/ada.png",
			"availability": "ON_CALL", "role": "agent",
		}, Events: []events.Type{events.UserAvailabilityUpdated}}.Run(t, e)
		upd := dataObj(t, r.Object(t))
		if upd["alias"] != "Ace" || upd["availability"] != "ON_CALL" || upd["locale"] != "fr-FR" || upd["role"] != "agent" {
			t.Fatalf("updated user: %v", upd)
		}
		evs := eventsOf(t, e, e.OrgID, events.UserAvailabilityUpdated)
		if len(evs) != 1 || num(evs[0]["userId"]) != ada || evs[0]["availability"] != "ON_CALL" || num(evs[0]["updatedAt"]) != num(upd["updatedAt"]) {
			t.Fatalf("availability events: %v", evs)
		}
		// Same availability again: no event.
		apitest.Scenario{Name: "same availability", Method: "PATCH", Path: fmt.Sprintf("/users/update?userId=%d", ada),
			Body: map[string]any{"availability": "ON_CALL", "name": "Ada A."}}.Run(t, e)
		if n := len(eventsOf(t, e, e.OrgID, events.UserAvailabilityUpdated)); n != 1 {
			t.Fatalf("%d availability events, want 1", n)
		}

		_, otherToken := e.NewOrg(t, "Other")
		readOnly := e.NewToken(t, e.OrgID, auth.UserRead)
		update := fmt.Sprintf("/users/update?userId=%d", ada)
		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Name: "bad availability", Method: "PATCH", Path: update, Body: map[string]any{"availability": "BUSY", "alias": "X"}, Status: 400, Error: "validation_error"},
			{Name: "role change", Method: "PATCH", Path: update, Body: map[string]any{"role": "admin"}, Status: 400, Error: "validation_error"},
			{Name: "bad email", Method: "PATCH", Path: update, Body: map[string]any{"email": "nope"}, Status: 400, Error: "validation_error"},
			{Name: "wrong type", Method: "PATCH", Path: update, Body: `{"name": 5}`, Status: 400, Error: "validation_error"},
			{Name: "malformed", Method: "PATCH", Path: update, Body: `{"name":`, Status: 400, Error: "bad_request"},
			{Name: "no userId", Method: "PATCH", Path: "/users/update", Body: map[string]any{"alias": "x"}, Status: 400, Error: "validation_error"},
			{Name: "unknown user", Method: "PATCH", Path: "/users/update?userId=999999", Body: map[string]any{"alias": "x"}, Status: 404, Error: "not_found"},
			{Name: "foreign user", Method: "PATCH", Path: update, Token: otherToken, Body: map[string]any{"alias": "x"}, Status: 404, Error: "not_found"},
			{Name: "foreign get", Method: "GET", Path: fmt.Sprintf("/users/%d", ada), Token: otherToken, Status: 404, Error: "not_found"},
			{Name: "bad id", Method: "GET", Path: "/users/abc", Status: 400, Error: "validation_error"},
			{Name: "no write scope", Method: "PATCH", Path: update, Token: readOnly, Body: map[string]any{"alias": "x"}, Status: 403, Error: "insufficient_scope"},
			{Name: "admin needs scope", Method: "POST", Path: "/driftwood/v1/users", Token: readOnly, Body: map[string]any{"name": "X"}, Status: 403, Error: "insufficient_scope"},
			{Name: "create without name", Method: "POST", Path: "/driftwood/v1/users", Body: map[string]any{"email": "x@example.com"}, Status: 400, Error: "validation_error"},
			{Name: "create bad role", Method: "POST", Path: "/driftwood/v1/users", Body: map[string]any{"name": "X", "role": "owner"}, Status: 400, Error: "validation_error"},
		})
		after := dataObj(t, apitest.Scenario{Method: "GET", Path: fmt.Sprintf("/users/%d", ada)}.Run(t, e).Object(t))
		if after["alias"] != "Ace" || after["availability"] != "ON_CALL" || after["role"] != "agent" {
			t.Fatalf("a refused update wrote: %v", after)
		}
	})
}

func TestTeams(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		ada := e.NewAgent(t, e.OrgID, "Ada", "ada@example.com")
		bo := e.NewAgent(t, e.OrgID, "Bo", "bo@example.com")
		sales := dataObj(t, apitest.Scenario{Method: "POST", Path: "/driftwood/v1/teams", Body: map[string]any{"name": "Sales", "members": []int64{bo, ada, bo}},
			Status: http.StatusCreated}.Run(t, e).Object(t))
		apitest.Scenario{Method: "POST", Path: "/driftwood/v1/teams", Body: map[string]any{"name": "Support", "members": []int64{bo}}, Status: http.StatusCreated}.Run(t, e)

		teams := list(t, e, "/teams/org")
		if len(teams) != 2 {
			t.Fatalf("teams: %v", teams)
		}
		first := teams[0].(map[string]any)
		if first["name"] != "Sales" || num(first["orgId"]) != e.OrgID || fmt.Sprint(first["members"]) != fmt.Sprint([]any{json.Number(fmt.Sprint(ada)), json.Number(fmt.Sprint(bo))}) {
			t.Fatalf("team shape: %v", first)
		}
		if _, ok := first["updatedAt"]; !ok {
			t.Fatalf("team lacks updatedAt: %v", first)
		}
		if l := list(t, e, fmt.Sprintf("/teams/users/%d", bo)); len(l) != 2 {
			t.Fatalf("Bo's teams: %v", l)
		}
		if l := list(t, e, fmt.Sprintf("/teams/users/%d", ada)); len(l) != 1 {
			t.Fatalf("Ada's teams: %v", l)
		}
		salesPath := fmt.Sprintf("/driftwood/v1/teams/%d", num(sales["id"]))
		upd := dataObj(t, apitest.Scenario{Method: "PATCH", Path: salesPath, Body: map[string]any{"members": []int64{bo}}}.Run(t, e).Object(t))
		if len(upd["members"].([]any)) != 1 {
			t.Fatalf("members not replaced: %v", upd)
		}
		if l := list(t, e, fmt.Sprintf("/teams/users/%d", ada)); len(l) != 0 {
			t.Fatalf("Ada still in a team: %v", l)
		}

		otherOrg, otherToken := e.NewOrg(t, "Other")
		otherUser := dataObj(t, apitest.Scenario{Method: "POST", Path: "/driftwood/v1/users", Token: otherToken, EventsOrg: otherOrg,
			Body: map[string]any{"name": "Eve"}, Status: http.StatusCreated}.Run(t, e).Object(t))
		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Name: "another org's user", Method: "GET", Path: fmt.Sprintf("/teams/users/%d", num(otherUser["id"])), Status: 404, Error: "not_found"},
			{Name: "another org's member", Method: "POST", Path: "/driftwood/v1/teams", Body: map[string]any{"name": "Mixed", "members": []int64{ada, num(otherUser["id"])}},
				Status: 400, Error: "validation_error"},
			{Name: "blank name", Method: "POST", Path: "/driftwood/v1/teams", Body: map[string]any{"name": " "}, Status: 400, Error: "validation_error"},
			{Name: "another org's team", Method: "PATCH", Path: salesPath, Token: otherToken, Body: map[string]any{"name": "X"}, Status: 404, Error: "not_found"},
		})
		if l := list(t, e, "/teams/org"); len(l) != 2 {
			t.Fatalf("a refused team was written: %v", l)
		}
		apitest.Scenario{Method: "DELETE", Path: salesPath}.Run(t, e)
		if l := list(t, e, "/teams/org"); len(l) != 1 {
			t.Fatalf("team not deleted: %v", l)
		}
	})
}

func TestMeetings(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		ada := e.NewAgent(t, e.OrgID, "Ada Agent", "ada@example.com")
		jane := num(dataObj(t, apitest.Scenario{Method: "POST", Path: "/contacts", Body: map[string]any{"attributes": map[string]any{"email": "jane@acme.example"}}}.Run(t, e).Object(t))["id"])
		day := (24 * time.Hour).Milliseconds()
		base := time.Date(2025, 6, 1, 15, 0, 0, 0, time.UTC).UnixMilli()
		r := apitest.Scenario{Method: "POST", Path: "/driftwood/v1/meetings", Body: map[string]any{
			"agentId": ada, "schedulerId": jane, "slotStart": base, "slotEnd": base + 30*60000,
			"conversationId": 77, "endUserTimeZone": "America/New_York", "meetingNotes": "pricing",
		}, Status: http.StatusCreated, Events: []events.Type{events.NewMeeting}}.Run(t, e)
		m := dataObj(t, r.Object(t))
		if m["status"] != "ACTIVE" || m["slug"] != "ada-agent" || m["meetingType"] != "30 Minute Meeting" ||
			m["meetingSource"] != "CONVERSATION" || num(m["bookedBy"]) != ada || m["eventId"] == "" {
			t.Fatalf("meeting: %v", m)
		}
		apitest.Scenario{Method: "POST", Path: "/driftwood/v1/meetings", Body: map[string]any{"agentId": ada, "schedulerId": jane, "slotStart": base + 10*day,
			"slotEnd": base + 10*day + 60000, "eventId": "later"}, Status: http.StatusCreated, Events: []events.Type{events.NewMeeting}}.Run(t, e)
		if evs := eventsOf(t, e, e.OrgID, events.NewMeeting); len(evs) != 2 || evs[0]["eventId"] != m["eventId"] {
			t.Fatalf("new_meeting events: %v", evs)
		}

		window := func(min, max int64) []any {
			return list(t, e, fmt.Sprintf("/users/meetings/org?min_start_time=%d&max_start_time=%d", min, max))
		}
		if l := window(base-day, base+day); len(l) != 1 {
			t.Fatalf("one-day window: %v", l)
		}
		if l := window(base, base+30*day); len(l) != 2 {
			t.Fatalf("30-day window: %v", l)
		}
		got := window(base, base)[0].(map[string]any)
		for _, k := range []string{"agentId", "orgId", "status", "meetingSource", "schedulerId", "eventId", "slug", "slotStart",
			"slotEnd", "updatedAt", "scheduledAt", "meetingType", "conversationId", "endUserTimeZone", "meetingNotes", "bookedBy"} {
			if _, ok := got[k]; !ok {
				t.Fatalf("meeting lacks %s: %v", k, got)
			}
		}

		eid := m["eventId"].(string)
		rs := dataObj(t, apitest.Scenario{Method: "POST", Path: "/driftwood/v1/meetings/" + eid + "/reschedule", Body: map[string]any{"slotStart": base + day, "slotEnd": base + day + 60000},
			Events: []events.Type{events.MeetingUpdated}}.Run(t, e).Object(t))
		if num(rs["slotStart"]) != base+day {
			t.Fatalf("rescheduled: %v", rs)
		}
		apitest.Scenario{Method: "POST", Path: "/driftwood/v1/meetings/" + eid + "/cancel", Events: []events.Type{events.MeetingUpdated}}.Run(t, e)
		upd := eventsOf(t, e, e.OrgID, events.MeetingUpdated)
		if len(upd) != 2 || upd[0]["eventType"] != "rescheduled" || upd[1]["eventType"] != "canceled" || upd[1]["status"] != "CANCELED" {
			t.Fatalf("meeting_updated events: %v", upd)
		}

		_, otherToken := e.NewOrg(t, "Other")
		var refused []apitest.Scenario
		for _, q := range []string{
			"", fmt.Sprintf("?min_start_time=%d", base), fmt.Sprintf("?max_start_time=%d", base),
			fmt.Sprintf("?min_start_time=%d&max_start_time=%d", base, base-1),
			fmt.Sprintf("?min_start_time=%d&max_start_time=%d", base, base+30*day+1),
			"?min_start_time=abc&max_start_time=1", "?min_start_time=-5&max_start_time=1",
		} {
			refused = append(refused, apitest.Scenario{Method: "GET", Path: "/users/meetings/org" + q, Status: 400, Error: "validation_error"})
		}
		book := func(name string, body map[string]any, status int, typ string) apitest.Scenario {
			return apitest.Scenario{Name: name, Method: "POST", Path: "/driftwood/v1/meetings", Body: body, Status: status, Error: typ}
		}
		refused = append(refused,
			book("empty slot", map[string]any{"agentId": ada, "schedulerId": jane, "slotStart": base, "slotEnd": base}, 400, "validation_error"),
			book("unknown scheduler", map[string]any{"agentId": ada, "schedulerId": 999999, "slotStart": base, "slotEnd": base + 1}, 400, "validation_error"),
			book("unknown agent", map[string]any{"agentId": 999999, "schedulerId": jane, "slotStart": base, "slotEnd": base + 1}, 400, "validation_error"),
			book("agent a string", map[string]any{"agentId": "ada", "schedulerId": jane}, 400, "validation_error"),
			book("taken eventId", map[string]any{"agentId": ada, "schedulerId": jane, "slotStart": base, "slotEnd": base + 1, "eventId": "later"}, 409, "conflict"),
			apitest.Scenario{Name: "cancel twice", Method: "POST", Path: "/driftwood/v1/meetings/" + eid + "/cancel", Status: 400, Error: "bad_request"},
			apitest.Scenario{Name: "another org's meeting", Method: "POST", Path: "/driftwood/v1/meetings/later/cancel", Token: otherToken, Status: 404, Error: "not_found"},
			apitest.Scenario{Name: "unknown meeting", Method: "POST", Path: "/driftwood/v1/meetings/nope/reschedule", Body: map[string]any{"slotStart": base, "slotEnd": base + 1},
				Status: 404, Error: "not_found"},
		)
		apitest.RunScenarios(t, e, refused)
		if n := len(eventsOf(t, e, e.OrgID, events.NewMeeting)) + len(eventsOf(t, e, e.OrgID, events.MeetingUpdated)); n != 4 {
			t.Fatalf("refused writes fired events: %d", n)
		}
	})
}
