package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/events"
)

func botID(t *testing.T, e *apitest.Env, orgID int64) int64 {
	t.Helper()
	b, err := e.App.DB.BotUser(context.Background(), orgID)
	if err != nil {
		t.Fatal(err)
	}
	return b.ID
}

// tick makes every transaction of e one millisecond later than the last, so
// that orders by time are not ties.
func tick(e *apitest.Env) {
	var n atomic.Int64
	base := time.Now()
	e.App.DB.SetClock(func() time.Time { return base.Add(time.Duration(n.Add(1)) * time.Millisecond) })
}

type messagesAnswer struct {
	Data struct {
		Messages []conversation.Message `json:"messages"`
	} `json:"data"`
	Pagination struct {
		More bool   `json:"more"`
		Next string `json:"next"`
	} `json:"pagination"`
}

type conversationAnswer struct {
	Data conversation.Conversation `json:"data"`
}

// visitorStart is what a new visitor's first message fires.
var visitorStart = []events.Type{events.ContactIdentified, events.NewConversation, events.NewMessage}

// startVisitor starts a conversation as a new visitor (its contact made
// from email) and returns it with the events it fired.
func startVisitor(t *testing.T, e *apitest.Env, email, body string) (conversation.Conversation, []events.Event) {
	t.Helper()
	var a conversationAnswer
	r := apitest.Scenario{Method: "POST", Path: "/driftwood/v1/simulate/conversations", Body: map[string]any{"email": email, "body": body},
		Events: visitorStart}.Run(t, e)
	r.Decode(t, &a)
	return a.Data, r.Events
}

// postAs posts a message to the conversation, which must fire evs, and
// returns it with the events.
func postAs(t *testing.T, e *apitest.Env, convID int64, body map[string]any, evs ...events.Type) (conversation.Message, []events.Event) {
	t.Helper()
	var a messagesAnswer
	r := apitest.Scenario{Method: "POST", Path: fmt.Sprintf("/conversations/%d/messages", convID), Body: body, Events: evs}.Run(t, e)
	r.Decode(t, &a)
	if len(a.Data.Messages) != 1 {
		t.Fatalf("post answered %d messages", len(a.Data.Messages))
	}
	return a.Data.Messages[0], r.Events
}

// get reads path with the env's admin token into out.
func get(t *testing.T, e *apitest.Env, path string, out any) {
	t.Helper()
	apitest.Scenario{Method: "GET", Path: path}.Run(t, e).Decode(t, out)
}

// TestConversation_WholeStory runs a conversation as a Drift client would:
// a visitor starts it, an agent answers with buttons, a private note, a
// command, a button click, an edit, a close and a reopen; then every read
// shows it, and the outbox holds each event once with Drift's payload.
func TestConversation_WholeStory(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		ada := e.NewAgent(t, e.OrgID, "Ada", "ada@example.com")
		bot := botID(t, e, e.OrgID)

		// A visitor starts: contact_identified, new_conversation, new_message.
		c, evs := startVisitor(t, e, "Vi@Visitor.example", `<p>Hello &amp; <script>alert(1)</script>help?</p>`)
		if c.Status != conversation.Open || c.ContactID == 0 || c.OrgID != e.OrgID || len(c.Participants) != 0 {
			t.Fatalf("started conversation %+v", c)
		}
		if ct := apitest.Payload[map[string]any](t, evs[0]); ct["attributes"].(map[string]any)["email"] != "Vi@Visitor.example" {
			t.Errorf("contact_identified payload %s", evs[0].Data)
		}
		if got := apitest.Payload[conversation.Conversation](t, evs[1]); got.ID != c.ID || got.ContactID != c.ContactID {
			t.Errorf("new_conversation payload %s", evs[1].Data)
		}
		first := apitest.Payload[conversation.Message](t, evs[2])
		if first.Author != (conversation.Author{ID: c.ContactID, Type: "contact"}) || first.ConversationID != c.ID ||
			first.Body != `<p>Hello &amp; <script>alert(1)</script>help?</p>` {
			t.Errorf("new_message payload %s", evs[2].Data)
		}
		path := fmt.Sprintf("/conversations/%d/messages", c.ID)
		simulate := fmt.Sprintf("/driftwood/v1/simulate/conversations/%d/messages", c.ID)
		status := fmt.Sprintf("/driftwood/v1/conversations/%d", c.ID)

		// The agent answers with reply buttons: new_message, participant added.
		ask, evs := postAs(t, e, c.ID, map[string]any{"type": "chat", "body": "<p>Trial?</p>", "userId": ada, "orgId": e.OrgID,
			"buttons": []map[string]any{{"label": "Yes", "value": "Yes", "type": "reply"}, {"label": "No", "type": "reply"}}},
			events.NewMessage, events.ConversationParticipantAdded)
		if ask.Author != (conversation.Author{ID: ada, Type: "user"}) || len(ask.Buttons) != 2 || ask.Buttons[1].Value != "No" {
			t.Fatalf("agent message %+v", ask)
		}
		pa := apitest.Payload[conversation.ParticipantsPayload](t, evs[1])
		if pa.ConversationID != c.ID || !slices.Equal(pa.AddedParticipants, []int64{ada}) || pa.ChangedAt != ask.CreatedAt {
			t.Errorf("participant_added payload %s", evs[1].Data)
		}

		// A private note by the bot (no userId), then a command by Ada.
		note, _ := postAs(t, e, c.ID, map[string]any{"type": "private_note", "body": "vip"}, events.NewMessage, events.ConversationParticipantAdded)
		if note.Author != (conversation.Author{ID: bot, Type: "user", Bot: true}) {
			t.Fatalf("bot note author %+v", note.Author)
		}
		postAs(t, e, c.ID, map[string]any{"type": "private_note", "body": "<p>/msg hi</p>", "userId": fmt.Sprint(ada)}, events.NewMessage, events.NewCommandMessage)

		// The visitor clicks "Yes": their reply, button_clicked and button_action.
		var clicked messagesAnswer
		r := apitest.Scenario{Method: "POST", Path: simulate, Body: map[string]any{"button": map[string]any{"messageId": ask.ID, "value": "Yes"}},
			Events: []events.Type{events.NewMessage, events.ButtonClicked, events.ButtonAction}}.Run(t, e)
		r.Decode(t, &clicked)
		if m := clicked.Data.Messages[0]; m.Body != "Yes" || m.Author.Type != "contact" {
			t.Fatalf("click message %+v", m)
		}
		bp := apitest.Payload[conversation.ButtonPayload](t, r.Events[1])
		want := conversation.ButtonPayload{ConversationID: c.ID, Author: conversation.ButtonAuthor{Type: "contact", ID: c.ContactID},
			SourceMessageID: ask.ID, Button: conversation.Button{Label: "Yes", Value: "Yes", Type: "reply"}}
		if !reflect.DeepEqual(bp, want) || string(r.Events[2].Data) != string(r.Events[1].Data) {
			t.Errorf("button payloads %s / %s", r.Events[1].Data, r.Events[2].Data)
		}

		// Ada edits her question's body.
		edit, _ := postAs(t, e, c.ID, map[string]any{"type": "edit", "editedMessageId": ask.ID, "editType": "replace_body",
			"body": "<p>Free trial?</p>", "userId": ada}, events.NewMessage)
		if edit.EditedMessageID != ask.ID || edit.EditType != conversation.EditReplaceBody {
			t.Fatalf("edit message %+v", edit)
		}

		// Close, then the visitor writes again: the conversation reopens.
		var closed conversationAnswer
		r = apitest.Scenario{Method: "PATCH", Path: status, Body: map[string]any{"status": "CLOSED"},
			Events: []events.Type{events.ConversationStatusUpdated}}.Run(t, e)
		r.Decode(t, &closed)
		if closed.Data.Status != conversation.Closed {
			t.Fatalf("closed status %q", closed.Data.Status)
		}
		if sp := apitest.Payload[conversation.StatusPayload](t, r.Events[0]); sp.Status != "closed" || sp.ConversationID != c.ID || sp.ChangedAt == 0 {
			t.Errorf("closed payload %s", r.Events[0].Data)
		}
		apitest.Scenario{Name: "no change, no event", Method: "PATCH", Path: status, Body: map[string]any{"status": "closed"}}.Run(t, e)
		r = apitest.Scenario{Method: "POST", Path: simulate, Body: map[string]any{"body": "one more thing"},
			Events: []events.Type{events.NewMessage, events.ConversationStatusUpdated}}.Run(t, e)
		if sp := apitest.Payload[map[string]any](t, r.Events[1]); sp["status"] != "open" || len(sp) != 3 {
			t.Errorf("reopened payload %s", r.Events[1].Data)
		}

		// Reads: the conversation.
		var got conversationAnswer
		get(t, e, fmt.Sprintf("/conversations/%d", c.ID), &got)
		if got.Data.Status != conversation.Open || !slices.Equal(got.Data.Participants, []int64{ada, bot}) ||
			got.Data.InboxID == 0 || got.Data.UpdatedAt < got.Data.CreatedAt {
			t.Errorf("conversation %+v", got.Data)
		}
		raw := apitest.Scenario{Method: "GET", Path: fmt.Sprintf("/v1/conversations/%d", c.ID)}.Run(t, e).Object(t)["data"].(map[string]any)
		for _, k := range []string{"id", "orgId", "participants", "status", "contactId", "inboxId", "createdAt", "updatedAt", "conversationTags"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("conversation lacks %s: %v", k, raw)
			}
		}

		// The messages, oldest first, with the edit applied.
		var ms messagesAnswer
		get(t, e, path, &ms)
		if len(ms.Data.Messages) != 7 || ms.Pagination.More || ms.Pagination.Next != "" {
			t.Fatalf("messages page: %d messages, pagination %+v", len(ms.Data.Messages), ms.Pagination)
		}
		if ms.Data.Messages[1].Body != "<p>Free trial?</p>" || len(ms.Data.Messages[1].Buttons) != 2 {
			t.Errorf("edited message %+v", ms.Data.Messages[1])
		}

		// Transcripts: text strips the HTML; JSON keeps it; the edit is applied.
		tr := apitest.Scenario{Method: "GET", Path: fmt.Sprintf("/conversations/%d/transcript", c.ID), ContentType: "text/plain"}.Run(t, e)
		if tr.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("transcript headers %v", tr.Header)
		}
		lines := strings.Split(strings.TrimSuffix(string(tr.Body), "\n"), "\n")
		if len(lines) != 6 || !strings.HasSuffix(lines[0], "] Vi@Visitor.example: Hello & alert(1) help?") ||
			!strings.HasSuffix(lines[1], "] Ada: Free trial?") || !strings.Contains(lines[2], "Bot: vip") {
			t.Errorf("transcript:\n%s", tr.Body)
		}
		var jt struct {
			Data struct {
				Messages []map[string]any `json:"messages"`
			} `json:"data"`
		}
		get(t, e, fmt.Sprintf("/conversations/%d/json_transcript", c.ID), &jt)
		if ms := jt.Data.Messages; len(ms) != 6 || ms[1]["body"] != "<p>Free trial?</p>" || ms[1]["type"] != "chat" ||
			ms[1]["author"].(map[string]any)["name"] != "Ada" || ms[0]["createdAt"] == nil {
			t.Errorf("json transcript %v", ms)
		}

		// Stats.
		stats := apitest.Scenario{Method: "GET", Path: "/conversations/stats"}.Run(t, e).Object(t)
		if want := map[string]any{"conversationCount": map[string]any{"OPEN": json.Number("1"), "CLOSED": json.Number("0"), "PENDING": json.Number("0")}}; !reflect.DeepEqual(stats["data"], want) ||
			!reflect.DeepEqual(stats["conversationCount"], want["conversationCount"]) {
			t.Errorf("stats %v", stats)
		}

		// Every event exactly once over the whole story.
		counts := map[events.Type]int{}
		for _, ev := range e.Outbox(t, e.OrgID, 0) {
			counts[ev.Type]++
		}
		wantCounts := map[events.Type]int{events.ContactIdentified: 1, events.NewConversation: 1, events.NewMessage: 7,
			events.NewCommandMessage: 1, events.ConversationParticipantAdded: 2, events.ButtonClicked: 1, events.ButtonAction: 1,
			events.ConversationStatusUpdated: 2}
		if !reflect.DeepEqual(counts, wantCounts) {
			t.Errorf("outbox %v, want %v", counts, wantCounts)
		}
	})
}

// TestConversation_New covers POST /conversations/new: the answer's two
// shapes, the first-created contact, and its events.
func TestConversation_New(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		first := apitest.Scenario{Method: "POST", Path: "/contacts", Body: map[string]any{"attributes": map[string]any{"email": "dup@x.example", "externalId": "a"}}}.Run(t, e).Object(t)
		apitest.Scenario{Method: "POST", Path: "/contacts", Body: map[string]any{"attributes": map[string]any{"email": "dup@x.example", "externalId": "b"}}}.Run(t, e)
		r := apitest.Scenario{Method: "POST", Path: "/conversations/new", Body: map[string]any{"email": "DUP@x.example",
			"message": map[string]any{"body": "From the CRM", "attributes": map[string]any{"integrationSource": "crm"}}},
			Events: []events.Type{events.NewConversation, events.NewMessage}}.Run(t, e)
		got := r.Object(t)
		inner, ok := got["data"].(map[string]any)
		if !ok || got["id"] == nil || !reflect.DeepEqual(withoutData(got), inner) {
			t.Fatalf("answer %v", got)
		}
		if inner["contactId"] != first["data"].(map[string]any)["id"] || inner["status"] != "open" {
			t.Errorf("conversation %v, want the first contact's", inner)
		}
		if m := apitest.Payload[conversation.Message](t, r.Events[1]); m.Attributes["integrationSource"] != "crm" || m.Author.Type != "contact" {
			t.Errorf("message %s", r.Events[1].Data)
		}

		// An unknown email creates the contact.
		got = apitest.Scenario{Method: "POST", Path: "/conversations/new", Body: map[string]any{"email": "new@x.example", "message": map[string]any{"body": "hi"}},
			Events: []events.Type{events.NewConversation, events.NewMessage}}.Run(t, e).Object(t)
		var cs struct {
			Data []map[string]any `json:"data"`
		}
		get(t, e, "/contacts?email=new@x.example", &cs)
		if len(cs.Data) != 1 || cs.Data[0]["id"].(float64) != mustFloat(got["contactId"]) {
			t.Errorf("contacts %v, conversation %v", cs.Data, got)
		}

		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Name: "no email", Method: "POST", Path: "/conversations/new", Body: map[string]any{"message": map[string]any{"body": "hi"}}, Status: 400, Error: "validation_error"},
			{Name: "bad email", Method: "POST", Path: "/conversations/new", Body: map[string]any{"email": "nope", "message": map[string]any{"body": "hi"}}, Status: 400, Error: "validation_error"},
			{Name: "empty body", Method: "POST", Path: "/conversations/new", Body: map[string]any{"email": "a@b.example", "message": map[string]any{"body": " "}}, Status: 400, Error: "validation_error"},
			{Name: "body type", Method: "POST", Path: "/conversations/new", Body: map[string]any{"email": "a@b.example", "message": map[string]any{"body": 5}}, Status: 400, Error: "validation_error"},
		})
	})
}

func withoutData(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k != "data" {
			out[k] = v
		}
	}
	return out
}

func mustFloat(v any) float64 {
	n, _ := v.(json.Number).Float64()
	return n
}

type listAnswer struct {
	Data  []conversation.Conversation `json:"data"`
	Links struct {
		Self string `json:"self"`
		Next string `json:"next"`
	} `json:"links"`
	Pagination struct {
		More bool   `json:"more"`
		Next string `json:"next"`
	} `json:"pagination"`
}

// TestConversations_List pages with both styles, filters by status, and
// refuses bad limits and tokens.
func TestConversations_List(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		tick(e)
		var ids []int64 // newest first
		for i := range 7 {
			c, _ := startVisitor(t, e, fmt.Sprintf("v%d@x.example", i), "hi")
			ids = append([]int64{c.ID}, ids...)
		}
		// Touching the oldest makes it the most recently updated.
		postAs(t, e, ids[6], map[string]any{"body": "bump"}, events.NewMessage, events.ConversationParticipantAdded)
		ids = append([]int64{ids[6]}, ids[:6]...)
		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Method: "PATCH", Path: fmt.Sprintf("/driftwood/v1/conversations/%d", ids[1]), Body: map[string]any{"status": "closed"}, Events: []events.Type{events.ConversationStatusUpdated}},
			{Method: "PATCH", Path: fmt.Sprintf("/driftwood/v1/conversations/%d", ids[2]), Body: map[string]any{"status": "pending"}, Events: []events.Type{events.ConversationStatusUpdated}},
		})
		// The status changes moved ids[1] and ids[2] to the front.
		ids = append([]int64{ids[2], ids[1], ids[0]}, ids[3:]...)

		// links.next, followed as an absolute URL.
		var seen []int64
		next := "/conversations/list?limit=3"
		for next != "" {
			var a listAnswer
			get(t, e, strings.TrimPrefix(next, e.URL), &a)
			for _, c := range a.Data {
				seen = append(seen, c.ID)
			}
			if a.Links.Self == "" || (a.Links.Next != "" && !strings.HasPrefix(a.Links.Next, e.URL+"/conversations/list?")) || a.Pagination.More != (a.Links.Next != "") {
				t.Fatalf("page links %+v pagination %+v", a.Links, a.Pagination)
			}
			next = a.Links.Next
		}
		if !slices.Equal(seen, ids) {
			t.Fatalf("links paging %v, want %v", seen, ids)
		}

		// pagination.next passed back as next, on the alias.
		seen = nil
		cursor := ""
		for {
			var a listAnswer
			get(t, e, "/conversations?limit=2&next="+url.QueryEscape(cursor), &a)
			for _, c := range a.Data {
				seen = append(seen, c.ID)
			}
			if !a.Pagination.More {
				break
			}
			cursor = a.Pagination.Next
		}
		if !slices.Equal(seen, ids) {
			t.Fatalf("next paging %v, want %v", seen, ids)
		}

		// Status filters: numbers or names, any case, repeatable.
		for query, want := range map[string][]int64{
			"statusId=2":                    {ids[1]},
			"statusId=closed":               {ids[1]},
			"statusId=PENDING&statusId=2":   {ids[0], ids[1]},
			"statusId=1":                    ids[2:],
			"statusId=Open,3&statusId=OPEN": append([]int64{ids[0]}, ids[2:]...),
		} {
			var a listAnswer
			get(t, e, "/conversations/list?"+query, &a)
			var got []int64
			for _, c := range a.Data {
				got = append(got, c.ID)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", query, got, want)
			}
		}

		// A token is bound to its list and org, and cannot be forged.
		var a listAnswer
		get(t, e, "/conversations/list?limit=1", &a)
		tok := a.Pagination.Next
		_, otherToken := e.NewOrg(t, "Other")
		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Name: "limit 0", Method: "GET", Path: "/conversations/list?limit=0", Status: 400, Error: "validation_error"},
			{Name: "limit 10000", Method: "GET", Path: "/conversations/list?limit=10000", Status: 400, Error: "validation_error"},
			{Name: "limit abc", Method: "GET", Path: "/conversations/list?limit=abc", Status: 400, Error: "validation_error"},
			{Name: "status bogus", Method: "GET", Path: "/conversations/list?statusId=4", Status: 400, Error: "validation_error"},
			{Name: "forged", Method: "GET", Path: "/conversations/list?page_token=eyJlIjo5OTk5OTk5OTk5LCJwIjp7InUiOjAsImkiOjF9fQ.AAAA", Status: 400, Error: "validation_error"},
			{Name: "garbage next", Method: "GET", Path: "/conversations/list?next=abc", Status: 400, Error: "validation_error"},
			{Name: "other filter", Method: "GET", Path: "/conversations/list?statusId=1&page_token=" + url.QueryEscape(tok), Status: 400, Error: "validation_error"},
			{Name: "other org", Method: "GET", Path: "/conversations/list?page_token=" + url.QueryEscape(tok), Token: otherToken, Status: 400, Error: "validation_error"},
			{Name: "messages list", Method: "GET", Path: fmt.Sprintf("/conversations/%d/messages?next=%s", ids[0], url.QueryEscape(tok)), Status: 400, Error: "validation_error"},
		})
		// Another org sees none of these conversations.
		var other listAnswer
		apitest.Scenario{Method: "GET", Path: "/conversations/list", Token: otherToken}.Run(t, e).Decode(t, &other)
		if len(other.Data) != 0 {
			t.Errorf("other org sees %d conversations", len(other.Data))
		}
	})
}

// TestMessages_Pages reads 120 messages in pages of 50 with the next cursor.
func TestMessages_Pages(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		c, _ := startVisitor(t, e, "p@x.example", "m0")
		postAs(t, e, c.ID, map[string]any{"body": "m1"}, events.NewMessage, events.ConversationParticipantAdded)
		for i := 2; i < 120; i++ {
			postAs(t, e, c.ID, map[string]any{"body": fmt.Sprintf("m%d", i)}, events.NewMessage)
		}
		var bodies []string
		var sizes []int
		cursor := ""
		for {
			var a messagesAnswer
			get(t, e, fmt.Sprintf("/conversations/%d/messages?next=%s", c.ID, url.QueryEscape(cursor)), &a)
			sizes = append(sizes, len(a.Data.Messages))
			for _, m := range a.Data.Messages {
				bodies = append(bodies, m.Body)
			}
			if !a.Pagination.More {
				break
			}
			cursor = a.Pagination.Next
		}
		if !slices.Equal(sizes, []int{50, 50, 20}) || bodies[0] != "m0" || bodies[119] != "m119" {
			t.Fatalf("pages %v, first %q last %q", sizes, bodies[0], bodies[len(bodies)-1])
		}
	})
}

// TestMessages_BadInput: every bad post is a clear 4xx and writes nothing.
func TestMessages_BadInput(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		c, _ := startVisitor(t, e, "b@x.example", "hi")
		other, _ := startVisitor(t, e, "o@x.example", "elsewhere")
		var oms messagesAnswer
		get(t, e, fmt.Sprintf("/conversations/%d/messages", other.ID), &oms)
		otherMsg := oms.Data.Messages[0].ID
		foreignOrg, foreignToken := e.NewOrg(t, "Foreign")
		foreignBot := botID(t, e, foreignOrg)
		var foreign conversationAnswer
		apitest.Scenario{Method: "POST", Path: "/driftwood/v1/simulate/conversations", Token: foreignToken,
			Body: map[string]any{"email": "f@x.example", "body": "hi"}, EventsOrg: foreignOrg, Events: visitorStart}.Run(t, e).Decode(t, &foreign)
		readOnly := e.NewToken(t, e.OrgID, auth.ConversationRead)
		mark := e.LastEventID(t, e.OrgID)

		msgs := fmt.Sprintf("/conversations/%d/messages", c.ID)
		sim := fmt.Sprintf("/driftwood/v1/simulate/conversations/%d/messages", c.ID)
		bad := func(name, path string, body any, status int, typ string) apitest.Scenario {
			return apitest.Scenario{Name: name, Method: "POST", Path: path, Body: body, Status: status, Error: typ}
		}
		scopeless := func(sc apitest.Scenario) apitest.Scenario { sc.Token = readOnly; return sc }
		apitest.RunScenarios(t, e, []apitest.Scenario{
			bad("unknown conversation", "/conversations/987654321/messages", map[string]any{"body": "x"}, 404, "not_found"),
			bad("foreign conversation", fmt.Sprintf("/conversations/%d/messages", foreign.Data.ID), map[string]any{"body": "x"}, 404, "not_found"),
			bad("bad id", "/conversations/abc/messages", map[string]any{"body": "x"}, 400, "validation_error"),
			bad("unknown type", msgs, map[string]any{"type": "shout", "body": "x"}, 400, "validation_error"),
			bad("edit elsewhere", msgs, map[string]any{"type": "edit", "editedMessageId": otherMsg, "editType": "delete"}, 400, "validation_error"),
			bad("edit no type", msgs, map[string]any{"type": "edit", "editedMessageId": otherMsg}, 400, "validation_error"),
			bad("edit fields on chat", msgs, map[string]any{"body": "x", "editedMessageId": otherMsg}, 400, "validation_error"),
			bad("foreign userId", msgs, map[string]any{"body": "x", "userId": foreignBot}, 400, "validation_error"),
			bad("userId not a number", msgs, map[string]any{"body": "x", "userId": "abc"}, 400, "validation_error"),
			bad("buttons string", msgs, map[string]any{"body": "x", "buttons": "yes"}, 400, "validation_error"),
			bad("buttons numbers", msgs, map[string]any{"body": "x", "buttons": []int{1}}, 400, "validation_error"),
			bad("button no label", msgs, map[string]any{"body": "x", "buttons": []map[string]any{{"value": "a"}}}, 400, "validation_error"),
			bad("reply style too long", msgs, map[string]any{"body": "x", "buttons": []map[string]any{{"label": "a", "value": "b", "style": strings.Repeat("s", 65)}}}, 400, "validation_error"),
			bad("action in chat", msgs, map[string]any{"body": "x", "buttons": []map[string]any{{"label": "a", "value": "b", "type": "action"}}}, 400, "validation_error"),
			bad("style a number", msgs, map[string]any{"body": "x", "buttons": []map[string]any{{"label": "a", "style": 5}}}, 400, "validation_error"),
			bad("bad style on a prompt", msgs, map[string]any{"type": "private_prompt", "body": "x", "buttons": []map[string]any{{"label": "a", "type": "action", "style": "loud"}}}, 400, "validation_error"),
			bad("buttons on a note", msgs, map[string]any{"type": "private_note", "body": "x", "buttons": []map[string]any{{"label": "a"}}}, 400, "validation_error"),
			bad("empty body", msgs, map[string]any{"body": ""}, 400, "validation_error"),
			bad("blank body", msgs, map[string]any{"type": "private_note", "body": "  "}, 400, "validation_error"),
			bad("body a number", msgs, map[string]any{"body": 5}, 400, "validation_error"),
			bad("malformed JSON", msgs, `{"body": "x"`, 400, "bad_request"),
			scopeless(bad("missing scope", msgs, map[string]any{"body": "x"}, 403, "insufficient_scope")),
			bad("click unknown value", sim, map[string]any{"button": map[string]any{"messageId": otherMsg, "value": "Yes"}}, 400, "validation_error"),
			bad("click no value", sim, map[string]any{"button": map[string]any{"messageId": 1}}, 400, "validation_error"),
			bad("visitor empty", sim, map[string]any{}, 400, "validation_error"),
			scopeless(bad("simulate no scope", sim, map[string]any{"body": "x"}, 403, "insufficient_scope")),
		})
		if evs := e.Outbox(t, e.OrgID, mark); len(evs) != 0 {
			t.Errorf("bad posts wrote %d events", len(evs))
		}
		var ms messagesAnswer
		get(t, e, msgs, &ms)
		if len(ms.Data.Messages) != 1 {
			t.Errorf("bad posts wrote messages: %d", len(ms.Data.Messages))
		}

		// Reads of unknown and foreign conversations are 404 alike.
		var reads []apitest.Scenario
		for _, path := range []string{"/conversations/987654321", fmt.Sprintf("/conversations/%d", foreign.Data.ID),
			fmt.Sprintf("/conversations/%d/messages", foreign.Data.ID), fmt.Sprintf("/conversations/%d/transcript", foreign.Data.ID),
			fmt.Sprintf("/conversations/%d/json_transcript", foreign.Data.ID), "/attachments/987654321/data"} {
			reads = append(reads, apitest.Scenario{Method: "GET", Path: path, Status: 404, Error: "not_found"})
		}
		reads = append(reads, apitest.Scenario{Method: "PATCH", Path: fmt.Sprintf("/driftwood/v1/conversations/%d", c.ID),
			Body: map[string]any{"status": "archived"}, Status: 400, Error: "validation_error"})
		apitest.RunScenarios(t, e, reads)
	})
}

// upload posts a multipart message with files to path, which must answer
// status and fire evs.
func upload(t *testing.T, e *apitest.Env, path, message string, files map[string][]byte, status int, evs ...events.Type) *apitest.Result {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if message != "" {
		mw.WriteField("message", message)
	}
	for name, b := range files {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(b)
	}
	mw.Close()
	return apitest.Scenario{Method: "POST", Path: path, Body: buf.Bytes(),
		Header: map[string]string{"Content-Type": mw.FormDataContentType()}, Status: status, Events: evs}.Run(t, e)
}

// TestAttachments uploads files with a message and reads them back.
func TestAttachments(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		c, _ := startVisitor(t, e, "a@x.example", "hi")
		path := fmt.Sprintf("/conversations/%d/messages", c.ID)
		png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
		r := upload(t, e, path, `{"type": "chat", "body": "see attached"}`, map[string][]byte{
			"shot.png": png, "evil.html": []byte("<html><script>alert(1)</script></html>")}, 200,
			events.NewMessage, events.ConversationParticipantAdded)
		var a messagesAnswer
		r.Decode(t, &a)
		atts := a.Data.Messages[0].Attachments
		if len(atts) != 2 {
			t.Fatalf("attachments %+v", atts)
		}
		byName := map[string]conversation.Attachment{}
		for _, at := range atts {
			byName[at.FileName] = at
		}
		if byName["shot.png"].MimeType != "image/png" || !strings.HasPrefix(byName["evil.html"].MimeType, "text/html") ||
			!strings.HasPrefix(byName["shot.png"].URL, e.URL+"/attachments/") {
			t.Fatalf("attachments %+v", atts)
		}
		// The event carries the same list.
		if m := apitest.Payload[conversation.Message](t, r.Events[0]); !reflect.DeepEqual(m.Attachments, atts) {
			t.Errorf("event attachments %+v, want %+v", m.Attachments, atts)
		}
		// The bytes come back as a sandboxed download.
		for name, want := range map[string][]byte{"shot.png": png, "evil.html": []byte("<html><script>alert(1)</script></html>")} {
			r := apitest.Scenario{Method: "GET", Path: strings.TrimPrefix(byName[name].URL, e.URL)}.Run(t, e)
			if !bytes.Equal(r.Body, want) || r.Header.Get("Content-Type") != byName[name].MimeType ||
				r.Header.Get("Content-Disposition") != "attachment; filename="+name || r.Header.Get("X-Content-Type-Options") != "nosniff" ||
				!strings.Contains(r.Header.Get("Content-Security-Policy"), "sandbox") {
				t.Errorf("%s: %d %v", name, r.Status, r.Header)
			}
		}
		// Listed on the message; a file alone needs no body.
		var ms messagesAnswer
		get(t, e, path, &ms)
		if got := ms.Data.Messages[1].Attachments; !reflect.DeepEqual(got, atts) {
			t.Errorf("listed attachments %+v", got)
		}
		upload(t, e, path, "", map[string][]byte{"a.txt": []byte("plain")}, 200, events.NewMessage)
		// Too large, and another org's attachment.
		r = upload(t, e, path, `{"body": "big"}`, map[string][]byte{"big.bin": make([]byte, conversation.MaxAttachmentBytes+1)}, 413)
		apitest.WantError(t, r.Response, 413, "payload_too_large")
		_, otherToken := e.NewOrg(t, "Other")
		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Name: "another org's attachment", Method: "GET", Path: strings.TrimPrefix(byName["shot.png"].URL, e.URL), Token: otherToken, Status: 404, Error: "not_found"},
			// Plain JSON bodies keep the 1 MiB limit.
			{Name: "JSON over 1 MiB", Method: "POST", Path: path, Body: map[string]any{"body": strings.Repeat("x", 1<<20)}, Status: http.StatusRequestEntityTooLarge, Error: "payload_too_large"},
		})
	})
}
