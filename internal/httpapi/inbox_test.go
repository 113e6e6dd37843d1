package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/sse"
)

const agentPassword = "correct horse battery"

// inboxCall is a scenario of the agent's inbox API: the session cookie and
// CSRF token, no bearer token.
func inboxCall(a *apitest.Agent, method, path string, body any) apitest.Scenario {
	return apitest.Scenario{Method: method, Path: path, Token: apitest.NoToken, Header: a.Header(), Body: body}
}

// An agent invited by an admin sets a password, signs in and answers a
// visitor through the inbox: the same events fire as through the REST API,
// and the REST API sees the reply.
func TestInbox_AnswerThroughTheInbox(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		ada := e.NewAgent(t, e.OrgID, "Ada", "ada@inbox.example")
		bo := e.NewAgent(t, e.OrgID, "Bo", "bo@inbox.example")
		a := e.SignIn(t, e.OrgID, ada, "ada@inbox.example", agentPassword)
		c, _ := startVisitor(t, e, "visitor@inbox.example", "<script>alert(1)</script> hello?")
		conv := fmt.Sprintf("/inbox/api/conversations/%d", c.ID)

		list := inboxCall(a, "GET", "/inbox/api/conversations?view=unassigned&status=open", nil)
		list.Contains = []string{fmt.Sprintf(`"id":%d`, c.ID), `"awaitingReply":true`, `"contactEmail":"visitor@inbox.example"`}
		list.Run(t, e)
		view := inboxCall(a, "GET", conv, nil)
		// The body is HTML as sent; the inbox gets it as text (the script
		// element gone) and inbox.js puts that in as textContent.
		view.Contains = []string{`"text":"alert(1) hello?"`}
		view.Run(t, e)

		steps := []struct {
			sc   apitest.Scenario
			want []events.Type
		}{
			{inboxCall(a, "POST", conv+"/assign", map[string]any{"userId": ada}), []events.Type{events.ConversationParticipantAdded}},
			{inboxCall(a, "POST", conv+"/messages", map[string]any{"body": "Hi <b>there</b>\nHow can I help?"}), []events.Type{events.NewMessage}},
			{inboxCall(a, "POST", conv+"/messages", map[string]any{"body": "VIP", "type": "private_note"}), []events.Type{events.NewMessage}},
			{inboxCall(a, "POST", conv+"/assign", map[string]any{"userId": bo}), []events.Type{events.ConversationParticipantAdded, events.ConversationParticipantRem}},
			{inboxCall(a, "POST", conv+"/status", map[string]any{"status": "closed"}), []events.Type{events.ConversationStatusUpdated}},
			{inboxCall(a, "POST", conv+"/status", map[string]any{"status": "open"}), []events.Type{events.ConversationStatusUpdated}},
			{inboxCall(a, "POST", conv+"/status", map[string]any{"status": "pending"}), []events.Type{events.ConversationStatusUpdated}},
			{inboxCall(a, "POST", conv+"/status", map[string]any{"status": "pending"}), nil},
			{inboxCall(a, "POST", "/inbox/api/availability", map[string]any{"availability": "OFFLINE"}), []events.Type{events.UserAvailabilityUpdated}},
		}
		for _, s := range steps {
			s.sc.Events = s.want
			s.sc.Run(t, e)
		}
		msgs := e.Call(t, "GET", fmt.Sprintf("/conversations/%d/messages", c.ID), nil, 200)
		var found bool
		for _, m := range msgs["data"].(map[string]any)["messages"].([]any) {
			m := m.(map[string]any)
			if m["body"] == "Hi &lt;b&gt;there&lt;/b&gt;<br>How can I help?" {
				found = true
				if au := m["author"].(map[string]any); au["type"] != "user" || fmt.Sprint(au["id"]) != fmt.Sprint(ada) {
					t.Errorf("the reply's author is %v, want user %d", au, ada)
				}
			}
		}
		if !found {
			t.Errorf("the REST API does not list the inbox's reply: %v", msgs)
		}
		mine := inboxCall(a, "GET", "/inbox/api/conversations?view=mine&status=pending", nil)
		mine.NotContains = []string{fmt.Sprintf(`"id":%d`, c.ID)} // Bo's now
		mine.Run(t, e)
	})
}

// What the inbox refuses: no or a forged session, a missing or wrong CSRF
// token, a cross-site request, another org's conversation (a 404 exactly
// like a missing one), bad input. Nothing is written.
func TestInbox_Refusals(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		ada := e.NewAgent(t, e.OrgID, "Ada", "ada@refuse.example")
		a := e.SignIn(t, e.OrgID, ada, "ada@refuse.example", agentPassword)
		c, _ := startVisitor(t, e, "v@refuse.example", "hi")
		other, otherToken := e.NewOrg(t, "Other")
		var foreign struct{ Data struct{ ID int64 } }
		apitest.Scenario{Method: "POST", Path: "/driftwood/v1/simulate/conversations", Token: otherToken, EventsOrg: other,
			Body:   map[string]any{"email": "x@other.example", "body": "theirs"},
			Events: visitorStart}.Run(t, e).Decode(t, &foreign)

		post := fmt.Sprintf("/inbox/api/conversations/%d/messages", c.ID)
		msg := map[string]any{"body": "hello"}
		with := func(h map[string]string, k, v string) map[string]string {
			out := map[string]string{}
			for kk, vv := range h {
				out[kk] = vv
			}
			out[k] = v
			return out
		}
		scenarios := []apitest.Scenario{
			{Name: "no session", Method: "POST", Path: post, Token: apitest.NoToken, Body: msg, Status: 401, Error: "authentication_error"},
			{Name: "forged session", Method: "POST", Path: post, Token: apitest.NoToken, Body: msg,
				Header: with(a.Header(), "Cookie", "dw_session=dws_forged"+a.Cookie[8:]), Status: 401, Error: "authentication_error"},
			{Name: "a bearer token is no session", Method: "GET", Path: "/inbox/api/conversations", Status: 401, Error: "authentication_error"},
			{Name: "no CSRF token", Method: "POST", Path: post, Token: apitest.NoToken, Body: msg,
				Header: with(a.Header(), "X-CSRF-Token", ""), Status: 403, Error: "insufficient_scope"},
			{Name: "wrong CSRF token", Method: "POST", Path: post, Token: apitest.NoToken, Body: msg,
				Header: with(a.Header(), "X-CSRF-Token", strings.Repeat("0", 64)), Status: 403, Error: "insufficient_scope"},
			{Name: "cross-site", Method: "POST", Path: post, Token: apitest.NoToken, Body: msg,
				Header: with(with(a.Header(), "Sec-Fetch-Site", "cross-site"), "Origin", "https://evil.example"), Status: 403, Error: "insufficient_scope"},
			{Name: "cross-site sign-in", Method: "POST", Path: "/login", Token: apitest.NoToken,
				Header: with(apitest.FormHeader, "Origin", "https://evil.example"), Body: "email=ada%40refuse.example&password=x",
				Status: 403, Contains: []string{`class="error"`, "Cross-site"}},
			{Name: "another org's conversation", Method: "GET", Path: fmt.Sprintf("/inbox/api/conversations/%d", foreign.Data.ID),
				Token: apitest.NoToken, Header: a.Header(), Status: 404, Error: "not_found"},
			{Name: "post to another org's conversation", Method: "POST", Path: fmt.Sprintf("/inbox/api/conversations/%d/messages", foreign.Data.ID),
				Token: apitest.NoToken, Header: a.Header(), Body: msg, Status: 404, Error: "not_found"},
			{Name: "assign to another org's conversation", Method: "POST", Path: fmt.Sprintf("/inbox/api/conversations/%d/assign", foreign.Data.ID),
				Token: apitest.NoToken, Header: a.Header(), Body: map[string]any{"userId": ada}, Status: 404, Error: "not_found"},
			{Name: "assign to another org's user", Method: "POST", Path: fmt.Sprintf("/inbox/api/conversations/%d/assign", c.ID),
				Token: apitest.NoToken, Header: a.Header(), Body: map[string]any{"userId": 987654}, Status: 400, Error: "validation_error"},
			{Name: "empty message", Method: "POST", Path: post, Token: apitest.NoToken, Header: a.Header(), Body: map[string]any{"body": "  "},
				Status: 400, Error: "validation_error"},
			{Name: "bad status", Method: "POST", Path: fmt.Sprintf("/inbox/api/conversations/%d/status", c.ID), Token: apitest.NoToken,
				Header: a.Header(), Body: map[string]any{"status": "gone"}, Status: 400, Error: "validation_error"},
			{Name: "bad view", Method: "GET", Path: "/inbox/api/conversations?view=theirs", Token: apitest.NoToken, Header: a.Header(),
				Status: 400, Error: "validation_error"},
			{Name: "invite another org's user", Method: "POST", Path: fmt.Sprintf("/driftwood/v1/users/%d/invite", ada), Token: otherToken,
				Status: 404, Error: "not_found"},
			{Name: "inbox page without a session", Method: "GET", Path: "/inbox", Token: apitest.NoToken, KeepRedirect: true, Status: 303},
		}
		for _, sc := range scenarios {
			sc.Run(t, e)
		}
		missing := inboxCall(a, "GET", "/inbox/api/conversations/987654321", nil)
		missing.Status, missing.Error = 404, "not_found"
		mr := missing.Run(t, e)
		fsc := inboxCall(a, "GET", fmt.Sprintf("/inbox/api/conversations/%d", foreign.Data.ID), nil)
		fsc.Status = 404
		fr := fsc.Run(t, e)
		if got, want := strings.ReplaceAll(string(fr.Body), fmt.Sprint(foreign.Data.ID), "987654321"), string(mr.Body); got != want {
			t.Errorf("another org's conversation answers\n%s\nbut a missing one\n%s", fr.Body, mr.Body)
		}
	})
}

// Invitation links work once and expire; sign-in refuses wrong passwords
// and is throttled per account; logout, a new password and deactivation
// end sessions at once.
func TestInbox_Sessions(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		ada := e.NewAgent(t, e.OrgID, "Ada", "ada@sessions.example")
		link := e.Invite(t, e.OrgID, ada)
		short := e.Do(t, apitest.Request{Method: "POST", Path: link, Header: apitest.FormHeader, Body: "password=short&confirm=short"})
		if short.Status != 400 || !strings.Contains(string(short.Body), "at least 10") {
			t.Errorf("a short password: %d %s", short.Status, short.Body)
		}
		e.SetPassword(t, link, agentPassword)
		again := e.Do(t, apitest.Request{Method: "POST", Path: link, Header: apitest.FormHeader,
			Body: url.Values{"password": {"another password!"}, "confirm": {"another password!"}}.Encode()})
		if again.Status != 404 || !strings.Contains(string(again.Body), `class="error"`) {
			t.Errorf("a used invitation: %d %s", again.Status, again.Body)
		}
		if r := e.Login(t, "ada@sessions.example", "another password!"); r.Status != 401 {
			t.Errorf("the used invitation's password signs in: %d", r.Status)
		}
		a := e.SignIn(t, e.OrgID, ada, "ada@sessions.example", agentPassword)
		b := e.SignIn(t, e.OrgID, ada, "ada@sessions.example", "a second password") // the new password ends a's session
		ok := inboxCall(b, "GET", "/inbox/api/conversations", nil)
		ok.Run(t, e)
		gone := inboxCall(a, "GET", "/inbox/api/conversations", nil)
		gone.Status, gone.Error = 401, "authentication_error"
		gone.Run(t, e)

		// Logout ends the session.
		out := inboxCall(b, "POST", "/logout", "csrf="+b.CSRF)
		out.Header["Content-Type"], out.KeepRedirect, out.Status = "application/x-www-form-urlencoded", true, 303
		out.Run(t, e)
		gone = inboxCall(b, "GET", "/inbox/api/conversations", nil)
		gone.Status, gone.Error = 401, "authentication_error"
		gone.Run(t, e)

		// Deactivation through SCIM ends every session at once.
		c := e.SignIn(t, e.OrgID, ada, "ada@sessions.example", "a third password")
		apitest.Scenario{Method: "PATCH", Path: fmt.Sprintf("/scim/v2/Users/%d", ada),
			Body: map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
				"Operations": []map[string]any{{"op": "replace", "path": "active", "value": false}}}}.Run(t, e)
		gone = inboxCall(c, "GET", "/inbox/api/conversations", nil)
		gone.Status, gone.Error = 401, "authentication_error"
		gone.Run(t, e)
		if r := e.Login(t, "ada@sessions.example", "a third password"); r.Status != 401 {
			t.Errorf("a deactivated user signs in: %d", r.Status)
		}
	})
}

// Sign-in is throttled per account: after the burst of wrong passwords,
// even the right one is refused with 429 for a while.
func TestInbox_LoginThrottle(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		ada := e.NewAgent(t, e.OrgID, "Ada", "ada@throttle.example")
		e.SetPassword(t, e.Invite(t, e.OrgID, ada), agentPassword)
		var codes []int
		for range 6 {
			codes = append(codes, e.Login(t, "ada@throttle.example", "wrong password").Status)
		}
		if fmt.Sprint(codes) != "[401 401 401 401 401 429]" {
			t.Errorf("wrong passwords answered %v, want 5 × 401 then 429", codes)
		}
		r := e.Login(t, "ada@throttle.example", agentPassword)
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(string(r.Body), "Too many") {
			t.Errorf("the right password while throttled: %d %s", r.Status, r.Body)
		}
	})
}

// openInboxStream opens the inbox's event stream as the agent, at path
// (with its query), sending lastID as Last-Event-ID when set.
func openInboxStream(t *testing.T, e *apitest.Env, a *apitest.Agent, path, lastID string) <-chan sse.Message {
	t.Helper()
	h := http.Header{"Cookie": {"dw_session=" + a.Cookie}}
	if lastID != "" {
		h.Set("Last-Event-ID", lastID)
	}
	return e.Stream(t, t.Context(), path, h)
}

// The inbox follows the org's events with the session cookie, and an
// inbox that lost its connection catches up from the last event id it saw
// (the Last-Event-ID header, or ?lastEventId= for a new EventSource): a
// colleague's reply written meanwhile is not missed.
func TestInbox_EventsResume(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		ada := e.NewAgent(t, e.OrgID, "Ada", "ada@stream.example")
		bo := e.NewAgent(t, e.OrgID, "Bo", "bo@stream.example")
		a := e.SignIn(t, e.OrgID, ada, "ada@stream.example", agentPassword)
		b := e.SignIn(t, e.OrgID, bo, "bo@stream.example", agentPassword)
		seen := fmt.Sprint(e.LastEventID(t, e.OrgID))
		// While Ada's inbox is away, a visitor writes and Bo answers.
		c, _ := startVisitor(t, e, "v@stream.example", "anyone there?")
		reply := inboxCall(b, "POST", fmt.Sprintf("/inbox/api/conversations/%d/messages", c.ID), map[string]any{"body": "Bo here"})
		reply.Events = []events.Type{events.NewMessage, events.ConversationParticipantAdded}
		reply.Run(t, e)
		want := []string{"contact_identified", "new_conversation", "new_message", "new_message", "conversation_participant_added"}
		for _, open := range []func() <-chan sse.Message{
			func() <-chan sse.Message { return openInboxStream(t, e, a, "/inbox/api/events", seen) },
			func() <-chan sse.Message { return openInboxStream(t, e, a, "/inbox/api/events?lastEventId="+seen, "") },
		} {
			ch := open()
			var got []string
			for range want {
				got = append(got, apitest.NextMessage(t, ch).Event)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("caught up with %v, want %v", got, want)
			}
		}
		// Live from here: a reply arrives on an open stream.
		ch := openInboxStream(t, e, a, "/inbox/api/events", "")
		again := inboxCall(b, "POST", fmt.Sprintf("/inbox/api/conversations/%d/messages", c.ID), map[string]any{"body": "still here"})
		again.Events = []events.Type{events.NewMessage}
		again.Run(t, e)
		if m := apitest.NextMessage(t, ch); m.Event != "new_message" || !strings.Contains(m.Data, "still here") {
			t.Errorf("live: %s %s", m.Event, m.Data)
		}
		noSession := apitest.Scenario{Method: "GET", Path: "/inbox/api/events", Token: apitest.NoToken, Status: 401, Error: "authentication_error"}
		noSession.Run(t, e)
	})
}

// Canned replies: admins manage them (the API with an admin token, or the
// inbox as an admin user); agents read them; another org's is a 404.
func TestCannedReplies(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		ada := e.NewAgent(t, e.OrgID, "Ada", "ada@canned.example")
		a := e.SignIn(t, e.OrgID, ada, "ada@canned.example", agentPassword)
		_, otherToken := e.NewOrg(t, "Other")
		var made struct{ Data struct{ ID int64 } }
		apitest.Scenario{Method: "POST", Path: "/driftwood/v1/canned-replies", Body: map[string]any{"shortcut": "/Trial", "body": "Our trial lasts 14 days."},
			Status: 201, Contains: []string{`"shortcut":"trial"`}, Check: func(t testing.TB, r *apitest.Result) { r.Decode(t, &made) }}.Run(t, e)
		one := fmt.Sprintf("/driftwood/v1/canned-replies/%d", made.Data.ID)
		agentCreate := inboxCall(a, "POST", "/inbox/api/canned-replies", map[string]any{"shortcut": "x", "body": "y"})
		agentCreate.Status, agentCreate.Error = 403, "insufficient_scope"
		agentList := inboxCall(a, "GET", "/inbox/api/canned-replies", nil)
		agentList.Contains = []string{"Our trial lasts 14 days, no card needed."}
		for _, sc := range []apitest.Scenario{
			{Method: "POST", Path: "/driftwood/v1/canned-replies", Body: map[string]any{"shortcut": "trial", "body": "again"}, Status: 409, Error: "conflict"},
			{Method: "POST", Path: "/driftwood/v1/canned-replies", Body: map[string]any{"shortcut": "has space", "body": "x"}, Status: 400, Error: "validation_error"},
			{Method: "POST", Path: "/driftwood/v1/canned-replies", Body: map[string]any{"shortcut": "empty", "body": " "}, Status: 400, Error: "validation_error"},
			{Method: "PATCH", Path: one, Body: map[string]any{"body": "Our trial lasts 14 days, no card needed."}, Contains: []string{"no card needed"}},
			{Method: "PATCH", Path: one, Token: otherToken, Body: map[string]any{"body": "theirs"}, Status: 404, Error: "not_found"},
			{Method: "DELETE", Path: one, Token: otherToken, Status: 404, Error: "not_found"},
			{Method: "GET", Path: "/driftwood/v1/canned-replies", Token: otherToken, NotContains: []string{"trial"}},
			agentCreate, agentList,
			{Method: "DELETE", Path: one, Status: 204},
			{Method: "DELETE", Path: one, Status: 404, Error: "not_found"},
		} {
			sc.Run(t, e)
		}
	})
}
