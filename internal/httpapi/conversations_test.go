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
	"github.com/driftwood-chat/driftwood/internal/user"
)

// outbox returns the org's events after afterID.
func outbox(t *testing.T, e *apitest.Env, orgID, afterID int64) []events.Event {
	t.Helper()
	evs, err := e.App.DB.OrgEvents(context.Background(), orgID, afterID, 10000)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func lastEventID(t *testing.T, e *apitest.Env) int64 {
	t.Helper()
	evs := outbox(t, e, e.OrgID, 0)
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].ID
}

// wantEvents checks that evs hold exactly the types given, in that order.
func wantEvents(t *testing.T, evs []events.Event, want ...events.Type) {
	t.Helper()
	var got []events.Type
	for _, ev := range evs {
		got = append(got, ev.Type)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func payload[T any](t *testing.T, ev events.Event) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(ev.Data, &v); err != nil {
		t.Fatalf("%s payload %s: %v", ev.Type, ev.Data, err)
	}
	return v
}

func newAgent(t *testing.T, e *apitest.Env, orgID int64, name string) int64 {
	t.Helper()
	u := &user.User{OrgID: orgID, Name: name, Email: strings.ToLower(name) + "@example.com"}
	if err := e.App.DB.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

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
	e.App.DB.Now = func() time.Time { return base.Add(time.Duration(n.Add(1)) * time.Millisecond) }
}

// call sends a request and decodes the answer into out, failing unless the
// status is want.
func call(t *testing.T, e *apitest.Env, method, path string, body any, want int, out any) {
	t.Helper()
	r := e.Do(t, apitest.Request{Method: method, Path: path, Token: e.Token, Body: body})
	if r.Status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	if out != nil {
		r.Decode(t, out)
	}
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

func startVisitor(t *testing.T, e *apitest.Env, email, body string) conversation.Conversation {
	t.Helper()
	var a conversationAnswer
	call(t, e, "POST", "/driftwood/v1/simulate/conversations", map[string]any{"email": email, "body": body}, 200, &a)
	return a.Data
}

func postAs(t *testing.T, e *apitest.Env, convID int64, body map[string]any) conversation.Message {
	t.Helper()
	var a messagesAnswer
	call(t, e, "POST", fmt.Sprintf("/conversations/%d/messages", convID), body, 200, &a)
	if len(a.Data.Messages) != 1 {
		t.Fatalf("post answered %d messages", len(a.Data.Messages))
	}
	return a.Data.Messages[0]
}

// TestConversation_WholeStory runs a conversation as a Drift client would:
// a visitor starts it, an agent answers with buttons, a private note, a
// command, a button click, an edit, a close and a reopen; then every read
// shows it, and the outbox holds each event once with Drift's payload.
func TestConversation_WholeStory(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		ada := newAgent(t, e, e.OrgID, "Ada")
		bot := botID(t, e, e.OrgID)

		// A visitor starts: contact_identified, new_conversation, new_message.
		c := startVisitor(t, e, "Vi@Visitor.example", `<p>Hello &amp; <script>alert(1)</script>help?</p>`)
		if c.Status != conversation.Open || c.ContactID == 0 || c.OrgID != e.OrgID || len(c.Participants) != 0 {
			t.Fatalf("started conversation %+v", c)
		}
		evs := outbox(t, e, e.OrgID, 0)
		wantEvents(t, evs, events.ContactIdentified, events.NewConversation, events.NewMessage)
		if ct := payload[map[string]any](t, evs[0]); ct["attributes"].(map[string]any)["email"] != "Vi@Visitor.example" {
			t.Errorf("contact_identified payload %s", evs[0].Data)
		}
		if got := payload[conversation.Conversation](t, evs[1]); got.ID != c.ID || got.ContactID != c.ContactID {
			t.Errorf("new_conversation payload %s", evs[1].Data)
		}
		first := payload[conversation.Message](t, evs[2])
		if first.Author != (conversation.Author{ID: c.ContactID, Type: "contact"}) || first.ConversationID != c.ID ||
			first.Body != `<p>Hello &amp; <script>alert(1)</script>help?</p>` {
			t.Errorf("new_message payload %s", evs[2].Data)
		}
		mark := evs[len(evs)-1].ID
		path := fmt.Sprintf("/conversations/%d/messages", c.ID)

		// The agent answers with reply buttons: new_message, participant added.
		ask := postAs(t, e, c.ID, map[string]any{"type": "chat", "body": "<p>Trial?</p>", "userId": ada, "orgId": e.OrgID,
			"buttons": []map[string]any{{"label": "Yes", "value": "Yes", "type": "reply"}, {"label": "No", "type": "reply"}}})
		if ask.Author != (conversation.Author{ID: ada, Type: "user"}) || len(ask.Buttons) != 2 || ask.Buttons[1].Value != "No" {
			t.Fatalf("agent message %+v", ask)
		}
		evs = outbox(t, e, e.OrgID, mark)
		wantEvents(t, evs, events.NewMessage, events.ConversationParticipantAdded)
		pa := payload[conversation.ParticipantsPayload](t, evs[1])
		if pa.ConversationID != c.ID || !slices.Equal(pa.AddedParticipants, []int64{ada}) || pa.ChangedAt != ask.CreatedAt {
			t.Errorf("participant_added payload %s", evs[1].Data)
		}
		mark = evs[len(evs)-1].ID

		// A private note by the bot (no userId), then a command by Ada.
		note := postAs(t, e, c.ID, map[string]any{"type": "private_note", "body": "vip"})
		if note.Author != (conversation.Author{ID: bot, Type: "user", Bot: true}) {
			t.Fatalf("bot note author %+v", note.Author)
		}
		postAs(t, e, c.ID, map[string]any{"type": "private_note", "body": "<p>/msg hi</p>", "userId": fmt.Sprint(ada)})
		evs = outbox(t, e, e.OrgID, mark)
		wantEvents(t, evs, events.NewMessage, events.ConversationParticipantAdded, events.NewMessage, events.NewCommandMessage)
		mark = evs[len(evs)-1].ID

		// The visitor clicks "Yes": their reply, button_clicked and button_action.
		var clicked messagesAnswer
		call(t, e, "POST", fmt.Sprintf("/driftwood/v1/simulate/conversations/%d/messages", c.ID),
			map[string]any{"button": map[string]any{"messageId": ask.ID, "value": "Yes"}}, 200, &clicked)
		if m := clicked.Data.Messages[0]; m.Body != "Yes" || m.Author.Type != "contact" {
			t.Fatalf("click message %+v", m)
		}
		evs = outbox(t, e, e.OrgID, mark)
		wantEvents(t, evs, events.NewMessage, events.ButtonClicked, events.ButtonAction)
		bp := payload[conversation.ButtonPayload](t, evs[1])
		want := conversation.ButtonPayload{ConversationID: c.ID, Author: conversation.ButtonAuthor{Type: "contact", ID: c.ContactID},
			SourceMessageID: ask.ID, Button: conversation.Button{Label: "Yes", Value: "Yes", Type: "reply"}}
		if !reflect.DeepEqual(bp, want) || string(evs[2].Data) != string(evs[1].Data) {
			t.Errorf("button payloads %s / %s", evs[1].Data, evs[2].Data)
		}
		mark = evs[len(evs)-1].ID

		// Ada edits her question's body.
		edit := postAs(t, e, c.ID, map[string]any{"type": "edit", "editedMessageId": ask.ID, "editType": "replace_body",
			"body": "<p>Free trial?</p>", "userId": ada})
		if edit.EditedMessageID != ask.ID || edit.EditType != conversation.EditReplaceBody {
			t.Fatalf("edit message %+v", edit)
		}

		// Close, then the visitor writes again: the conversation reopens.
		var closed conversationAnswer
		call(t, e, "PATCH", fmt.Sprintf("/driftwood/v1/conversations/%d", c.ID), map[string]any{"status": "CLOSED"}, 200, &closed)
		if closed.Data.Status != conversation.Closed {
			t.Fatalf("closed status %q", closed.Data.Status)
		}
		call(t, e, "PATCH", fmt.Sprintf("/driftwood/v1/conversations/%d", c.ID), map[string]any{"status": "closed"}, 200, nil) // no change, no event
		call(t, e, "POST", fmt.Sprintf("/driftwood/v1/simulate/conversations/%d/messages", c.ID), map[string]any{"body": "one more thing"}, 200, nil)
		evs = outbox(t, e, e.OrgID, mark)
		wantEvents(t, evs, events.NewMessage, events.ConversationStatusUpdated, events.NewMessage, events.ConversationStatusUpdated)
		if sp := payload[conversation.StatusPayload](t, evs[1]); sp.Status != "closed" || sp.ConversationID != c.ID || sp.ChangedAt == 0 {
			t.Errorf("closed payload %s", evs[1].Data)
		}
		if sp := payload[map[string]any](t, evs[3]); sp["status"] != "open" || len(sp) != 3 {
			t.Errorf("reopened payload %s", evs[3].Data)
		}

		// Reads: the conversation.
		var got conversationAnswer
		call(t, e, "GET", fmt.Sprintf("/conversations/%d", c.ID), nil, 200, &got)
		if got.Data.Status != conversation.Open || !slices.Equal(got.Data.Participants, []int64{ada, bot}) ||
			got.Data.InboxID == 0 || got.Data.UpdatedAt < got.Data.CreatedAt {
			t.Errorf("conversation %+v", got.Data)
		}
		raw := e.Call(t, "GET", fmt.Sprintf("/v1/conversations/%d", c.ID), nil, 200)["data"].(map[string]any)
		for _, k := range []string{"id", "orgId", "participants", "status", "contactId", "inboxId", "createdAt", "updatedAt", "conversationTags"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("conversation lacks %s: %v", k, raw)
			}
		}

		// The messages, oldest first, with the edit applied.
		var ms messagesAnswer
		call(t, e, "GET", path, nil, 200, &ms)
		if len(ms.Data.Messages) != 7 || ms.Pagination.More || ms.Pagination.Next != "" {
			t.Fatalf("messages page: %d messages, pagination %+v", len(ms.Data.Messages), ms.Pagination)
		}
		if ms.Data.Messages[1].Body != "<p>Free trial?</p>" || len(ms.Data.Messages[1].Buttons) != 2 {
			t.Errorf("edited message %+v", ms.Data.Messages[1])
		}

		// Transcripts: text strips the HTML; JSON keeps it; the edit is applied.
		r := e.Do(t, apitest.Request{Method: "GET", Path: fmt.Sprintf("/conversations/%d/transcript", c.ID), Token: e.Token})
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") || r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("transcript %d %v", r.Status, r.Header)
		}
		lines := strings.Split(strings.TrimSuffix(string(r.Body), "\n"), "\n")
		if len(lines) != 6 || !strings.HasSuffix(lines[0], "] Vi@Visitor.example: Hello & alert(1) help?") ||
			!strings.HasSuffix(lines[1], "] Ada: Free trial?") || !strings.Contains(lines[2], "Bot: vip") {
			t.Errorf("transcript:\n%s", r.Body)
		}
		var jt struct {
			Data struct {
				Messages []map[string]any `json:"messages"`
			} `json:"data"`
		}
		call(t, e, "GET", fmt.Sprintf("/conversations/%d/json_transcript", c.ID), nil, 200, &jt)
		if ms := jt.Data.Messages; len(ms) != 6 || ms[1]["body"] != "<p>Free trial?</p>" || ms[1]["type"] != "chat" ||
			ms[1]["author"].(map[string]any)["name"] != "Ada" || ms[0]["createdAt"] == nil {
			t.Errorf("json transcript %v", ms)
		}

		// Stats.
		stats := e.Call(t, "GET", "/conversations/stats", nil, 200)
		if want := map[string]any{"conversationCount": map[string]any{"OPEN": json.Number("1"), "CLOSED": json.Number("0"), "PENDING": json.Number("0")}}; !reflect.DeepEqual(stats["data"], want) ||
			!reflect.DeepEqual(stats["conversationCount"], want["conversationCount"]) {
			t.Errorf("stats %v", stats)
		}

		// Every event exactly once over the whole story.
		counts := map[events.Type]int{}
		for _, ev := range outbox(t, e, e.OrgID, 0) {
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
		first := e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": "dup@x.example", "externalId": "a"}}, 200)
		e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": "dup@x.example", "externalId": "b"}}, 200)
		mark := lastEventID(t, e)
		got := e.Call(t, "POST", "/conversations/new", map[string]any{"email": "DUP@x.example",
			"message": map[string]any{"body": "From the CRM", "attributes": map[string]any{"integrationSource": "crm"}}}, 200)
		inner, ok := got["data"].(map[string]any)
		if !ok || got["id"] == nil || !reflect.DeepEqual(withoutData(got), inner) {
			t.Fatalf("answer %v", got)
		}
		if inner["contactId"] != first["data"].(map[string]any)["id"] || inner["status"] != "open" {
			t.Errorf("conversation %v, want the first contact's", inner)
		}
		evs := outbox(t, e, e.OrgID, mark)
		wantEvents(t, evs, events.NewConversation, events.NewMessage)
		if m := payload[conversation.Message](t, evs[1]); m.Attributes["integrationSource"] != "crm" || m.Author.Type != "contact" {
			t.Errorf("message %s", evs[1].Data)
		}

		// An unknown email creates the contact.
		got = e.Call(t, "POST", "/conversations/new", map[string]any{"email": "new@x.example", "message": map[string]any{"body": "hi"}}, 200)
		var cs struct {
			Data []map[string]any `json:"data"`
		}
		call(t, e, "GET", "/contacts?email=new@x.example", nil, 200, &cs)
		if len(cs.Data) != 1 || cs.Data[0]["id"].(float64) != mustFloat(got["contactId"]) {
			t.Errorf("contacts %v, conversation %v", cs.Data, got)
		}

		for name, body := range map[string]any{
			"no email":   map[string]any{"message": map[string]any{"body": "hi"}},
			"bad email":  map[string]any{"email": "nope", "message": map[string]any{"body": "hi"}},
			"empty body": map[string]any{"email": "a@b.example", "message": map[string]any{"body": " "}},
			"body type":  map[string]any{"email": "a@b.example", "message": map[string]any{"body": 5}},
		} {
			r := e.Do(t, apitest.Request{Method: "POST", Path: "/conversations/new", Token: e.Token, Body: body})
			if r.Status != 400 {
				t.Errorf("%s: status %d: %s", name, r.Status, r.Body)
			}
		}
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
			c := startVisitor(t, e, fmt.Sprintf("v%d@x.example", i), "hi")
			ids = append([]int64{c.ID}, ids...)
		}
		// Touching the oldest makes it the most recently updated.
		postAs(t, e, ids[6], map[string]any{"body": "bump"})
		ids = append([]int64{ids[6]}, ids[:6]...)
		call(t, e, "PATCH", fmt.Sprintf("/driftwood/v1/conversations/%d", ids[1]), map[string]any{"status": "closed"}, 200, nil)
		call(t, e, "PATCH", fmt.Sprintf("/driftwood/v1/conversations/%d", ids[2]), map[string]any{"status": "pending"}, 200, nil)
		// The status changes moved ids[1] and ids[2] to the front.
		ids = append([]int64{ids[2], ids[1], ids[0]}, ids[3:]...)

		// links.next, followed as an absolute URL.
		var seen []int64
		next := "/conversations/list?limit=3"
		for next != "" {
			var a listAnswer
			call(t, e, "GET", strings.TrimPrefix(next, e.URL), nil, 200, &a)
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
			call(t, e, "GET", "/conversations?limit=2&next="+url.QueryEscape(cursor), nil, 200, &a)
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
			call(t, e, "GET", "/conversations/list?"+query, nil, 200, &a)
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
		call(t, e, "GET", "/conversations/list?limit=1", nil, 200, &a)
		tok := a.Pagination.Next
		_, otherToken := e.NewOrg(t, "Other")
		for name, req := range map[string]apitest.Request{
			"limit 0":       {Path: "/conversations/list?limit=0"},
			"limit 10000":   {Path: "/conversations/list?limit=10000"},
			"limit abc":     {Path: "/conversations/list?limit=abc"},
			"status bogus":  {Path: "/conversations/list?statusId=4"},
			"forged":        {Path: "/conversations/list?page_token=eyJlIjo5OTk5OTk5OTk5LCJwIjp7InUiOjAsImkiOjF9fQ.AAAA"},
			"garbage next":  {Path: "/conversations/list?next=abc"},
			"other filter":  {Path: "/conversations/list?statusId=1&page_token=" + url.QueryEscape(tok)},
			"other org":     {Path: "/conversations/list?page_token=" + url.QueryEscape(tok), Token: otherToken},
			"messages list": {Path: fmt.Sprintf("/conversations/%d/messages?next=%s", ids[0], url.QueryEscape(tok))},
		} {
			req.Method = "GET"
			if req.Token == "" {
				req.Token = e.Token
			}
			apitest.WantError(t, e.Do(t, req), 400, "validation_error")
			_ = name
		}
		// Another org sees none of these conversations.
		var other listAnswer
		if r := e.Do(t, apitest.Request{Method: "GET", Path: "/conversations/list", Token: otherToken}); r.Status != 200 {
			t.Fatalf("other org list %d", r.Status)
		} else if r.Decode(t, &other); len(other.Data) != 0 {
			t.Errorf("other org sees %d conversations", len(other.Data))
		}
	})
}

// TestMessages_Pages reads 120 messages in pages of 50 with the next cursor.
func TestMessages_Pages(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		c := startVisitor(t, e, "p@x.example", "m0")
		for i := 1; i < 120; i++ {
			postAs(t, e, c.ID, map[string]any{"body": fmt.Sprintf("m%d", i)})
		}
		var bodies []string
		var sizes []int
		cursor := ""
		for {
			var a messagesAnswer
			call(t, e, "GET", fmt.Sprintf("/conversations/%d/messages?next=%s", c.ID, url.QueryEscape(cursor)), nil, 200, &a)
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
		c := startVisitor(t, e, "b@x.example", "hi")
		other := startVisitor(t, e, "o@x.example", "elsewhere")
		var oms messagesAnswer
		call(t, e, "GET", fmt.Sprintf("/conversations/%d/messages", other.ID), nil, 200, &oms)
		otherMsg := oms.Data.Messages[0].ID
		foreignOrg, foreignToken := e.NewOrg(t, "Foreign")
		foreignBot := botID(t, e, foreignOrg)
		r := e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/simulate/conversations", Token: foreignToken,
			Body: map[string]any{"email": "f@x.example", "body": "hi"}})
		var foreign conversationAnswer
		r.Decode(t, &foreign)
		readOnly := e.NewToken(t, e.OrgID, auth.ConversationRead)
		mark := lastEventID(t, e)

		msgs := fmt.Sprintf("/conversations/%d/messages", c.ID)
		sim := fmt.Sprintf("/driftwood/v1/simulate/conversations/%d/messages", c.ID)
		for name, tc := range map[string]struct {
			path   string
			body   any
			token  string
			status int
			typ    string
		}{
			"unknown conversation":  {"/conversations/987654321/messages", map[string]any{"body": "x"}, "", 404, "not_found"},
			"foreign conversation":  {fmt.Sprintf("/conversations/%d/messages", foreign.Data.ID), map[string]any{"body": "x"}, "", 404, "not_found"},
			"bad id":                {"/conversations/abc/messages", map[string]any{"body": "x"}, "", 400, "validation_error"},
			"unknown type":          {msgs, map[string]any{"type": "shout", "body": "x"}, "", 400, "validation_error"},
			"edit elsewhere":        {msgs, map[string]any{"type": "edit", "editedMessageId": otherMsg, "editType": "delete"}, "", 400, "validation_error"},
			"edit no type":          {msgs, map[string]any{"type": "edit", "editedMessageId": otherMsg}, "", 400, "validation_error"},
			"edit fields on chat":   {msgs, map[string]any{"body": "x", "editedMessageId": otherMsg}, "", 400, "validation_error"},
			"foreign userId":        {msgs, map[string]any{"body": "x", "userId": foreignBot}, "", 400, "validation_error"},
			"userId not a number":   {msgs, map[string]any{"body": "x", "userId": "abc"}, "", 400, "validation_error"},
			"buttons string":        {msgs, map[string]any{"body": "x", "buttons": "yes"}, "", 400, "validation_error"},
			"buttons numbers":       {msgs, map[string]any{"body": "x", "buttons": []int{1}}, "", 400, "validation_error"},
			"button no label":       {msgs, map[string]any{"body": "x", "buttons": []map[string]any{{"value": "a"}}}, "", 400, "validation_error"},
			"reply style too long":  {msgs, map[string]any{"body": "x", "buttons": []map[string]any{{"label": "a", "value": "b", "style": strings.Repeat("s", 65)}}}, "", 400, "validation_error"},
			"action in chat":        {msgs, map[string]any{"body": "x", "buttons": []map[string]any{{"label": "a", "value": "b", "type": "action"}}}, "", 400, "validation_error"},
			"style a number":        {msgs, map[string]any{"body": "x", "buttons": []map[string]any{{"label": "a", "style": 5}}}, "", 400, "validation_error"},
			"bad style on a prompt": {msgs, map[string]any{"type": "private_prompt", "body": "x", "buttons": []map[string]any{{"label": "a", "type": "action", "style": "loud"}}}, "", 400, "validation_error"},
			"buttons on a note":     {msgs, map[string]any{"type": "private_note", "body": "x", "buttons": []map[string]any{{"label": "a"}}}, "", 400, "validation_error"},
			"empty body":            {msgs, map[string]any{"body": ""}, "", 400, "validation_error"},
			"blank body":            {msgs, map[string]any{"type": "private_note", "body": "  "}, "", 400, "validation_error"},
			"body a number":         {msgs, map[string]any{"body": 5}, "", 400, "validation_error"},
			"malformed JSON":        {msgs, `{"body": "x"`, "", 400, "bad_request"},
			"missing scope":         {msgs, map[string]any{"body": "x"}, readOnly, 403, "insufficient_scope"},
			"click unknown value":   {sim, map[string]any{"button": map[string]any{"messageId": otherMsg, "value": "Yes"}}, "", 400, "validation_error"},
			"click no value":        {sim, map[string]any{"button": map[string]any{"messageId": 1}}, "", 400, "validation_error"},
			"visitor empty":         {sim, map[string]any{}, "", 400, "validation_error"},
			"simulate no scope":     {sim, map[string]any{"body": "x"}, readOnly, 403, "insufficient_scope"},
		} {
			if tc.token == "" {
				tc.token = e.Token
			}
			r := e.Do(t, apitest.Request{Method: "POST", Path: tc.path, Token: tc.token, Body: tc.body})
			if r.Status != tc.status {
				t.Errorf("%s: status %d, want %d: %s", name, r.Status, tc.status, r.Body)
				continue
			}
			apitest.WantError(t, r, tc.status, tc.typ)
		}
		if evs := outbox(t, e, e.OrgID, mark); len(evs) != 0 {
			t.Errorf("bad posts wrote %d events", len(evs))
		}
		var ms messagesAnswer
		call(t, e, "GET", msgs, nil, 200, &ms)
		if len(ms.Data.Messages) != 1 {
			t.Errorf("bad posts wrote messages: %d", len(ms.Data.Messages))
		}

		// Reads of unknown and foreign conversations are 404 alike.
		for _, path := range []string{"/conversations/987654321", fmt.Sprintf("/conversations/%d", foreign.Data.ID),
			fmt.Sprintf("/conversations/%d/messages", foreign.Data.ID), fmt.Sprintf("/conversations/%d/transcript", foreign.Data.ID),
			fmt.Sprintf("/conversations/%d/json_transcript", foreign.Data.ID), "/attachments/987654321/data"} {
			apitest.WantError(t, e.Do(t, apitest.Request{Method: "GET", Path: path, Token: e.Token}), 404, "not_found")
		}
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "PATCH", Path: fmt.Sprintf("/driftwood/v1/conversations/%d", c.ID),
			Token: e.Token, Body: map[string]any{"status": "archived"}}), 400, "validation_error")
	})
}

// upload posts a multipart message with files to path.
func upload(t *testing.T, e *apitest.Env, path, message string, files map[string][]byte) *apitest.Response {
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
	return e.Do(t, apitest.Request{Method: "POST", Path: path, Token: e.Token, Body: buf.Bytes(),
		Header: map[string]string{"Content-Type": mw.FormDataContentType()}})
}

// TestAttachments uploads files with a message and reads them back.
func TestAttachments(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		c := startVisitor(t, e, "a@x.example", "hi")
		path := fmt.Sprintf("/conversations/%d/messages", c.ID)
		png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
		r := upload(t, e, path, `{"type": "chat", "body": "see attached"}`, map[string][]byte{
			"shot.png": png, "evil.html": []byte("<html><script>alert(1)</script></html>")})
		if r.Status != 200 {
			t.Fatalf("upload: %d %s", r.Status, r.Body)
		}
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
		evs := outbox(t, e, e.OrgID, 0)
		wantEvents(t, evs[3:], events.NewMessage, events.ConversationParticipantAdded)
		if m := payload[conversation.Message](t, evs[3]); !reflect.DeepEqual(m.Attachments, atts) {
			t.Errorf("event attachments %+v, want %+v", m.Attachments, atts)
		}
		// The bytes come back as a sandboxed download.
		for name, want := range map[string][]byte{"shot.png": png, "evil.html": []byte("<html><script>alert(1)</script></html>")} {
			r := e.Do(t, apitest.Request{Method: "GET", Path: strings.TrimPrefix(byName[name].URL, e.URL), Token: e.Token})
			if r.Status != 200 || !bytes.Equal(r.Body, want) || r.Header.Get("Content-Type") != byName[name].MimeType ||
				r.Header.Get("Content-Disposition") != "attachment; filename="+name || r.Header.Get("X-Content-Type-Options") != "nosniff" ||
				!strings.Contains(r.Header.Get("Content-Security-Policy"), "sandbox") {
				t.Errorf("%s: %d %v", name, r.Status, r.Header)
			}
		}
		// Listed on the message; a file alone needs no body.
		var ms messagesAnswer
		call(t, e, "GET", path, nil, 200, &ms)
		if got := ms.Data.Messages[1].Attachments; !reflect.DeepEqual(got, atts) {
			t.Errorf("listed attachments %+v", got)
		}
		if r := upload(t, e, path, "", map[string][]byte{"a.txt": []byte("plain")}); r.Status != 200 {
			t.Errorf("file-only message: %d %s", r.Status, r.Body)
		}
		// Too large, and another org's attachment.
		r = upload(t, e, path, `{"body": "big"}`, map[string][]byte{"big.bin": make([]byte, conversation.MaxAttachmentBytes+1)})
		apitest.WantError(t, r, 413, "payload_too_large")
		_, otherToken := e.NewOrg(t, "Other")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "GET", Path: strings.TrimPrefix(byName["shot.png"].URL, e.URL), Token: otherToken}), 404, "not_found")
		// Plain JSON bodies keep the 1 MiB limit.
		r = e.Do(t, apitest.Request{Method: "POST", Path: path, Token: e.Token, Body: map[string]any{"body": strings.Repeat("x", 1<<20)}})
		apitest.WantError(t, r, http.StatusRequestEntityTooLarge, "payload_too_large")
	})
}
