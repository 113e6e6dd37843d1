package httpapi_test

import (
	"bytes"
	"context"
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
	evs, err := e.App.DB.OrgEvents(context.Background(), orgID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, ev := range evs {
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

func dataList(t *testing.T, obj map[string]any) []any {
	t.Helper()
	l, ok := obj["data"].([]any)
	if !ok {
		t.Fatalf("data is not a list: %v", obj)
	}
	return l
}

func dataObj(t *testing.T, obj map[string]any) map[string]any {
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

// createAgent creates a user through the admin API and returns its id.
func createAgent(t *testing.T, e *apitest.Env, name, email string) int64 {
	t.Helper()
	u := dataObj(t, e.Call(t, "POST", "/driftwood/v1/users", map[string]any{"name": name, "email": email, "role": "agent"}, http.StatusCreated))
	return num(u["id"])
}

func TestUsers(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		ada := createAgent(t, e, "Ada Agent", "ada@example.com")
		bot := dataObj(t, e.Call(t, "POST", "/driftwood/v1/users", map[string]any{"name": "Helper Bot", "bot": true}, http.StatusCreated))
		if bot["bot"] != true || bot["availability"] != "AVAILABLE" || bot["role"] != "member" {
			t.Fatalf("bot user: %v", bot)
		}

		for _, path := range []string{"/users/list", "/users", "/v1/users/list"} {
			us := dataList(t, e.Call(t, "GET", path, nil, http.StatusOK))
			if len(us) != 3 { // the org's own bot, Ada, the helper bot
				t.Fatalf("%s: %d users: %v", path, len(us), us)
			}
			if first := us[0].(map[string]any); first["bot"] != true {
				t.Fatalf("the org's bot is not listed first: %v", first)
			}
		}
		u := dataObj(t, e.Call(t, "GET", fmt.Sprintf("/users/%d", ada), nil, http.StatusOK))
		for _, k := range []string{"id", "orgId", "name", "email", "availability", "role", "verified", "bot", "createdAt", "updatedAt"} {
			if _, ok := u[k]; !ok {
				t.Fatalf("user lacks %s: %v", k, u)
			}
		}
		if _, ok := u["phone"]; ok {
			t.Fatalf("an absent field is shown: %v", u)
		}

		upd := dataObj(t, e.Call(t, "PATCH", fmt.Sprintf("/users/update?userId=%d", ada), map[string]any{
			"alias": "Ace", "phone": "+1 555 0101", "locale": "fr-FR", "avatarUrl": "https://img.example/ada.png",
			"availability": "ON_CALL", "role": "agent",
		}, http.StatusOK))
		if upd["alias"] != "Ace" || upd["availability"] != "ON_CALL" || upd["locale"] != "fr-FR" || upd["role"] != "agent" {
			t.Fatalf("updated user: %v", upd)
		}
		evs := eventsOf(t, e, e.OrgID, events.UserAvailabilityUpdated)
		if len(evs) != 1 || num(evs[0]["userId"]) != ada || evs[0]["availability"] != "ON_CALL" || num(evs[0]["updatedAt"]) != num(upd["updatedAt"]) {
			t.Fatalf("availability events: %v", evs)
		}
		// Same availability again: no event.
		e.Call(t, "PATCH", fmt.Sprintf("/users/update?userId=%d", ada), map[string]any{"availability": "ON_CALL", "name": "Ada A."}, http.StatusOK)
		if n := len(eventsOf(t, e, e.OrgID, events.UserAvailabilityUpdated)); n != 1 {
			t.Fatalf("%d availability events, want 1", n)
		}

		otherOrg, otherToken := e.NewOrg(t, "Other")
		_ = otherOrg
		readOnly := e.NewToken(t, e.OrgID, auth.UserRead)
		bad := []struct {
			name, method, path, token string
			body                      any
			status                    int
			typ                       string
		}{
			{"bad availability", "PATCH", fmt.Sprintf("/users/update?userId=%d", ada), "", map[string]any{"availability": "BUSY", "alias": "X"}, 400, "validation_error"},
			{"role change", "PATCH", fmt.Sprintf("/users/update?userId=%d", ada), "", map[string]any{"role": "admin"}, 400, "validation_error"},
			{"bad email", "PATCH", fmt.Sprintf("/users/update?userId=%d", ada), "", map[string]any{"email": "nope"}, 400, "validation_error"},
			{"wrong type", "PATCH", fmt.Sprintf("/users/update?userId=%d", ada), "", `{"name": 5}`, 400, "validation_error"},
			{"malformed", "PATCH", fmt.Sprintf("/users/update?userId=%d", ada), "", `{"name":`, 400, "bad_request"},
			{"no userId", "PATCH", "/users/update", "", map[string]any{"alias": "x"}, 400, "validation_error"},
			{"unknown user", "PATCH", "/users/update?userId=999999", "", map[string]any{"alias": "x"}, 404, "not_found"},
			{"foreign user", "PATCH", fmt.Sprintf("/users/update?userId=%d", ada), otherToken, map[string]any{"alias": "x"}, 404, "not_found"},
			{"foreign get", "GET", fmt.Sprintf("/users/%d", ada), otherToken, nil, 404, "not_found"},
			{"bad id", "GET", "/users/abc", "", nil, 400, "validation_error"},
			{"no write scope", "PATCH", fmt.Sprintf("/users/update?userId=%d", ada), readOnly, map[string]any{"alias": "x"}, 403, "insufficient_scope"},
			{"admin needs scope", "POST", "/driftwood/v1/users", readOnly, map[string]any{"name": "X"}, 403, "insufficient_scope"},
			{"create without name", "POST", "/driftwood/v1/users", "", map[string]any{"email": "x@example.com"}, 400, "validation_error"},
			{"create bad role", "POST", "/driftwood/v1/users", "", map[string]any{"name": "X", "role": "owner"}, 400, "validation_error"},
		}
		for _, c := range bad {
			tok := c.token
			if tok == "" {
				tok = e.Token
			}
			r := e.Do(t, apitest.Request{Method: c.method, Path: c.path, Token: tok, Body: c.body})
			apitest.WantError(t, r, c.status, c.typ)
		}
		after := dataObj(t, e.Call(t, "GET", fmt.Sprintf("/users/%d", ada), nil, http.StatusOK))
		if after["alias"] != "Ace" || after["availability"] != "ON_CALL" || after["role"] != "agent" {
			t.Fatalf("a refused update wrote: %v", after)
		}
	})
}

func TestTeams(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		ada := createAgent(t, e, "Ada", "ada@example.com")
		bo := createAgent(t, e, "Bo", "bo@example.com")
		sales := dataObj(t, e.Call(t, "POST", "/driftwood/v1/teams", map[string]any{"name": "Sales", "members": []int64{bo, ada, bo}}, http.StatusCreated))
		e.Call(t, "POST", "/driftwood/v1/teams", map[string]any{"name": "Support", "members": []int64{bo}}, http.StatusCreated)

		teams := dataList(t, e.Call(t, "GET", "/teams/org", nil, http.StatusOK))
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
		if l := dataList(t, e.Call(t, "GET", fmt.Sprintf("/teams/users/%d", bo), nil, http.StatusOK)); len(l) != 2 {
			t.Fatalf("Bo's teams: %v", l)
		}
		if l := dataList(t, e.Call(t, "GET", fmt.Sprintf("/teams/users/%d", ada), nil, http.StatusOK)); len(l) != 1 {
			t.Fatalf("Ada's teams: %v", l)
		}
		upd := dataObj(t, e.Call(t, "PATCH", fmt.Sprintf("/driftwood/v1/teams/%d", num(sales["id"])), map[string]any{"members": []int64{bo}}, http.StatusOK))
		if len(upd["members"].([]any)) != 1 {
			t.Fatalf("members not replaced: %v", upd)
		}
		if l := dataList(t, e.Call(t, "GET", fmt.Sprintf("/teams/users/%d", ada), nil, http.StatusOK)); len(l) != 0 {
			t.Fatalf("Ada still in a team: %v", l)
		}

		otherOrg, otherToken := e.NewOrg(t, "Other")
		_ = otherOrg
		otherUser := dataObj(t, e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/users", Token: otherToken, Body: map[string]any{"name": "Eve"}}).Object(t))
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "GET", Path: fmt.Sprintf("/teams/users/%d", num(otherUser["id"])), Token: e.Token}), 404, "not_found")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/teams", Token: e.Token,
			Body: map[string]any{"name": "Mixed", "members": []int64{ada, num(otherUser["id"])}}}), 400, "validation_error")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/teams", Token: e.Token, Body: map[string]any{"name": " "}}), 400, "validation_error")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "PATCH", Path: fmt.Sprintf("/driftwood/v1/teams/%d", num(sales["id"])), Token: otherToken, Body: map[string]any{"name": "X"}}), 404, "not_found")
		if l := dataList(t, e.Call(t, "GET", "/teams/org", nil, http.StatusOK)); len(l) != 2 {
			t.Fatalf("a refused team was written: %v", l)
		}
		e.Call(t, "DELETE", fmt.Sprintf("/driftwood/v1/teams/%d", num(sales["id"])), nil, http.StatusOK)
		if l := dataList(t, e.Call(t, "GET", "/teams/org", nil, http.StatusOK)); len(l) != 1 {
			t.Fatalf("team not deleted: %v", l)
		}
	})
}

func TestMeetings(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		ada := createAgent(t, e, "Ada Agent", "ada@example.com")
		jane := num(dataObj(t, e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": "jane@acme.example"}}, http.StatusOK))["id"])
		day := (24 * time.Hour).Milliseconds()
		base := time.Date(2025, 6, 1, 15, 0, 0, 0, time.UTC).UnixMilli()
		m := dataObj(t, e.Call(t, "POST", "/driftwood/v1/meetings", map[string]any{
			"agentId": ada, "schedulerId": jane, "slotStart": base, "slotEnd": base + 30*60000,
			"conversationId": 77, "endUserTimeZone": "America/New_York", "meetingNotes": "pricing",
		}, http.StatusCreated))
		if m["status"] != "ACTIVE" || m["slug"] != "ada-agent" || m["meetingType"] != "30 Minute Meeting" ||
			m["meetingSource"] != "CONVERSATION" || num(m["bookedBy"]) != ada || m["eventId"] == "" {
			t.Fatalf("meeting: %v", m)
		}
		e.Call(t, "POST", "/driftwood/v1/meetings", map[string]any{"agentId": ada, "schedulerId": jane, "slotStart": base + 10*day,
			"slotEnd": base + 10*day + 60000, "eventId": "later"}, http.StatusCreated)
		if evs := eventsOf(t, e, e.OrgID, events.NewMeeting); len(evs) != 2 || evs[0]["eventId"] != m["eventId"] {
			t.Fatalf("new_meeting events: %v", evs)
		}

		list := func(min, max int64) []any {
			return dataList(t, e.Call(t, "GET", fmt.Sprintf("/users/meetings/org?min_start_time=%d&max_start_time=%d", min, max), nil, http.StatusOK))
		}
		if l := list(base-day, base+day); len(l) != 1 {
			t.Fatalf("one-day window: %v", l)
		}
		if l := list(base, base+30*day); len(l) != 2 {
			t.Fatalf("30-day window: %v", l)
		}
		got := list(base, base)[0].(map[string]any)
		for _, k := range []string{"agentId", "orgId", "status", "meetingSource", "schedulerId", "eventId", "slug", "slotStart",
			"slotEnd", "updatedAt", "scheduledAt", "meetingType", "conversationId", "endUserTimeZone", "meetingNotes", "bookedBy"} {
			if _, ok := got[k]; !ok {
				t.Fatalf("meeting lacks %s: %v", k, got)
			}
		}

		eid := m["eventId"].(string)
		r := dataObj(t, e.Call(t, "POST", "/driftwood/v1/meetings/"+eid+"/reschedule", map[string]any{"slotStart": base + day, "slotEnd": base + day + 60000}, http.StatusOK))
		if num(r["slotStart"]) != base+day {
			t.Fatalf("rescheduled: %v", r)
		}
		e.Call(t, "POST", "/driftwood/v1/meetings/"+eid+"/cancel", nil, http.StatusOK)
		upd := eventsOf(t, e, e.OrgID, events.MeetingUpdated)
		if len(upd) != 2 || upd[0]["eventType"] != "rescheduled" || upd[1]["eventType"] != "canceled" || upd[1]["status"] != "CANCELED" {
			t.Fatalf("meeting_updated events: %v", upd)
		}

		_, otherToken := e.NewOrg(t, "Other")
		w := func(q string) *apitest.Response {
			return e.Do(t, apitest.Request{Method: "GET", Path: "/users/meetings/org" + q, Token: e.Token})
		}
		for _, q := range []string{
			"", fmt.Sprintf("?min_start_time=%d", base), fmt.Sprintf("?max_start_time=%d", base),
			fmt.Sprintf("?min_start_time=%d&max_start_time=%d", base, base-1),
			fmt.Sprintf("?min_start_time=%d&max_start_time=%d", base, base+30*day+1),
			"?min_start_time=abc&max_start_time=1", "?min_start_time=-5&max_start_time=1",
		} {
			apitest.WantError(t, w(q), 400, "validation_error")
		}
		for _, c := range []struct {
			path   string
			token  string
			body   any
			status int
			typ    string
		}{
			{"/driftwood/v1/meetings", "", map[string]any{"agentId": ada, "schedulerId": jane, "slotStart": base, "slotEnd": base}, 400, "validation_error"},
			{"/driftwood/v1/meetings", "", map[string]any{"agentId": ada, "schedulerId": 999999, "slotStart": base, "slotEnd": base + 1}, 400, "validation_error"},
			{"/driftwood/v1/meetings", "", map[string]any{"agentId": 999999, "schedulerId": jane, "slotStart": base, "slotEnd": base + 1}, 400, "validation_error"},
			{"/driftwood/v1/meetings", "", map[string]any{"agentId": "ada", "schedulerId": jane}, 400, "validation_error"},
			{"/driftwood/v1/meetings", "", map[string]any{"agentId": ada, "schedulerId": jane, "slotStart": base, "slotEnd": base + 1, "eventId": "later"}, 409, "conflict"},
			{"/driftwood/v1/meetings/" + eid + "/cancel", "", nil, 400, "bad_request"},
			{"/driftwood/v1/meetings/later/cancel", otherToken, nil, 404, "not_found"},
			{"/driftwood/v1/meetings/nope/reschedule", "", map[string]any{"slotStart": base, "slotEnd": base + 1}, 404, "not_found"},
		} {
			tok := c.token
			if tok == "" {
				tok = e.Token
			}
			apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: c.path, Token: tok, Body: c.body}), c.status, c.typ)
		}
		if n := len(eventsOf(t, e, e.OrgID, events.NewMeeting)) + len(eventsOf(t, e, e.OrgID, events.MeetingUpdated)); n != 4 {
			t.Fatalf("refused writes fired events: %d", n)
		}
	})
}
