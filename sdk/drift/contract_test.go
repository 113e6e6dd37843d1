package drift_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/api"
	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/sdk/drift"
)

// The contract suite: every path and method of Drift's listing (api.DriftListing)
// is exercised through the SDK against a live Driftwood on both stores, and
// the answers are checked against the shapes of docs/drift-reference.md §3-§10.

// exercise drives one operation of the listing.
type exercise struct {
	run func(x *fx)
}

// listingOperations returns "METHOD /path" for every operation of the
// listing.
func listingOperations() []string {
	var ops []string
	for _, op := range api.Operations(api.DriftListing) {
		ops = append(ops, op.Method+" "+op.Path)
	}
	return ops
}

func TestContract(t *testing.T) {
	ops := listingOperations()
	for _, op := range ops {
		if _, ok := contract[op]; !ok {
			t.Errorf("the listing has %s but the contract suite has no exercise for it", op)
		}
	}
	for op := range contract {
		if !slices.Contains(ops, op) {
			t.Errorf("the contract suite exercises %s, which the listing does not have", op)
		}
	}
	if t.Failed() {
		return
	}
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		for _, op := range ops {
			ex := contract[op]
			t.Run(op, func(t *testing.T) {
				x := newFx(t, e)
				ex.run(x)
			})
		}
	})
}

// contract maps every operation of the listing to its exercise.
var contract = map[string]exercise{
	// Contacts (reference §3.1, §4 Contact).
	"POST /contacts": {run: func(x *fx) {
		ct, err := x.c.CreateContact(x.ctx, drift.Attributes{"email": "create@example.com", "name": "Ann Lee"})
		x.ok(err)
		x.shape(contactShape("data."))
		if ct.ID <= 0 || ct.Email() != "create@example.com" || ct.CreatedAt <= 0 || ct.Attributes["name"] != "Ann Lee" {
			x.t.Fatalf("created %+v", ct)
		}
		_, err = x.c.CreateContact(x.ctx, drift.Attributes{"email": "create@example.com"})
		x.wantErr(err, http.StatusConflict, "conflict")
		_, err = x.c.CreateContact(x.ctx, drift.Attributes{"name": "no email"})
		if de := x.wantErr(err, http.StatusBadRequest, "validation_error"); de.Param != "attributes.email" {
			x.t.Errorf("param %q, want attributes.email", de.Param)
		}
		// The same email with distinct externalIds is allowed.
		x.newContact("shared@example.com", drift.Attributes{"externalId": "s-1"})
		x.newContact("shared@example.com", drift.Attributes{"externalId": "s-2"})
	}},
	"GET /contacts": {run: func(x *fx) {
		a := x.newContact("ext1@example.com", drift.Attributes{"externalId": "crm-1"})
		b := x.newContact("ext2@example.com", drift.Attributes{"externalId": "crm-2"})
		cs, err := x.c.FindContactsByExternalID(x.ctx, "crm-1", "crm-2")
		x.ok(err)
		x.shape(contactShape("data[]."))
		x.shape(map[string]string{"data[].attributes.externalId": "string"})
		if ids := contactIDs(cs); !slices.Contains(ids, a.ID) || !slices.Contains(ids, b.ID) || len(ids) != 2 {
			x.t.Fatalf("found %v, want %d and %d", ids, a.ID, b.ID)
		}
	}},
	"GET /contacts/": {run: func(x *fx) {
		a := x.newContact("byemail@example.com", nil)
		cs, err := x.c.FindContactsByEmail(x.ctx, "byemail@example.com", 0)
		x.ok(err)
		x.shape(contactShape("data[]."))
		if len(cs) != 1 || cs[0].ID != a.ID {
			x.t.Fatalf("found %+v, want contact %d", cs, a.ID)
		}
		// The seed's form, with the trailing slash.
		var seed struct{ Data []drift.Contact }
		x.ok(x.c.Do(x.ctx, http.MethodGet, "/contacts/?email=byemail%40example.com", nil, &seed))
		x.shape(contactShape("data[]."))
		if len(seed.Data) != 1 || seed.Data[0].ID != a.ID {
			x.t.Fatalf("seed form found %+v", seed.Data)
		}
		none, err := x.c.FindContactsByEmail(x.ctx, "nobody@example.com", 0)
		x.ok(err)
		x.shape(map[string]string{"data": "array"})
		if len(none) != 0 {
			x.t.Fatalf("found %+v for an unknown email", none)
		}
	}},
	"GET /contacts/{id}": {run: func(x *fx) {
		a := x.newContact("get@example.com", nil)
		ct, err := x.c.GetContact(x.ctx, a.ID)
		x.ok(err)
		x.shape(contactShape("data."))
		if ct.ID != a.ID || ct.Email() != "get@example.com" {
			x.t.Fatalf("got %+v", ct)
		}
		_, err = x.c.GetContact(x.ctx, a.ID+1_000_000)
		x.wantErr(err, http.StatusNotFound, "not_found")
		if !errors.Is(err, drift.ErrNotFound) {
			x.t.Errorf("errors.Is(%v, ErrNotFound) is false", err)
		}
	}},
	"PATCH /contacts/{id}": {run: func(x *fx) {
		a := x.newContact("patch@example.com", nil)
		ct, err := x.c.UpdateContact(x.ctx, a.ID, drift.Attributes{"favorite_color": "teal", "name": "Pat"})
		x.ok(err)
		x.shape(contactShape("data."))
		if ct.Attributes["favorite_color"] != "teal" || ct.Attributes["name"] != "Pat" || ct.Email() != "patch@example.com" {
			x.t.Fatalf("updated %+v", ct)
		}
	}},
	"POST /contacts/{id}": {run: func(x *fx) {
		// The seed's form of delete, then the documented DELETE.
		for _, email := range []string{"seeddelete@example.com", "delete@example.com"} {
			a := x.newContact(email, nil)
			if email == "seeddelete@example.com" {
				var res struct {
					Result string
					OK     bool
				}
				x.ok(x.c.Do(x.ctx, http.MethodPost, fmt.Sprintf("/contacts/%d", a.ID), nil, &res))
				x.shape(okShape)
			} else {
				x.ok(x.c.DeleteContact(x.ctx, a.ID))
				x.shape(okShape)
			}
			_, err := x.c.GetContact(x.ctx, a.ID)
			x.wantErr(err, http.StatusNotFound, "not_found")
		}
	}},
	"PATCH /contacts/normalize": {run: func(x *fx) {
		a := x.newContact("normalize@example.com", drift.Attributes{"externalId": "norm-1"})
		ct, err := x.c.UpdateContactBy(x.ctx, drift.IDTypeExternal, "norm-1", drift.Attributes{"plan": "pro"})
		x.ok(err)
		x.shape(contactShape("data."))
		if ct.ID != a.ID || ct.Attributes["plan"] != "pro" {
			x.t.Fatalf("updated %+v", ct)
		}
		ct, err = x.c.UpdateContactBy(x.ctx, drift.IDTypeDrift, fmt.Sprint(a.ID), drift.Attributes{"plan": "team"})
		x.ok(err)
		if ct.Attributes["plan"] != "team" {
			x.t.Fatalf("updated by drift id: %+v", ct)
		}
		_, err = x.c.UpdateContactBy(x.ctx, drift.IDTypeExternal, "norm-missing", drift.Attributes{"plan": "x"})
		x.wantErr(err, http.StatusNotFound, "not_found")
	}},
	"POST /emails/unsubscribe": {run: func(x *fx) {
		x.newContact("unsub@example.com", nil)
		x.ok(x.c.Unsubscribe(x.ctx, "unsub@example.com"))
		x.shape(okShape)
		err := x.c.Unsubscribe(x.ctx)
		x.wantErr(err, http.StatusBadRequest, "validation_error")
	}},
	"POST /contacts/timeline": {run: func(x *fx) {
		a := x.newContact("timeline@example.com", drift.Attributes{"externalId": "tl-1"})
		ev, err := x.c.PostTimelineEvent(x.ctx, drift.TimelineEvent{ContactID: a.ID, Event: "Signed Up"})
		x.ok(err)
		x.shape(map[string]string{"data.contactId": "number", "data.event": "string", "data.createdAt": "number"})
		if ev.ContactID != a.ID || ev.Event != "signed up" || ev.CreatedAt <= 0 {
			x.t.Fatalf("posted %+v", ev)
		}
		at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		ev, err = x.c.PostTimelineEvent(x.ctx, drift.TimelineEvent{ExternalID: "tl-1", Event: "upgraded", CreatedAt: drift.Millis(at)})
		x.ok(err)
		if ev.ContactID != a.ID || !drift.Time(ev.CreatedAt).Equal(at) {
			x.t.Fatalf("posted by externalId %+v", ev)
		}
	}},
	"GET /contacts/attributes": {run: func(x *fx) {
		x.newContact("attrs@example.com", drift.Attributes{"favorite_number": 7})
		defs, err := x.c.ListContactAttributes(x.ctx)
		x.ok(err)
		x.shape(map[string]string{"data.properties[].name": "string", "data.properties[].displayName": "string", "data.properties[].type": "string"})
		types := map[string]string{}
		for _, d := range defs {
			types[d.Name] = d.Type
		}
		if types["email"] != "STRING" || types["favorite_number"] != "NUMERIC" {
			x.t.Fatalf("definitions %+v", defs)
		}
	}},

	// Users, meetings, teams (reference §3.2).
	"GET /users/list": {run: func(x *fx) {
		id := x.newUser("List Agent")
		us, err := x.c.ListUsers(x.ctx)
		x.ok(err)
		x.shape(userShape("data[]."))
		var bot, agent bool
		for _, u := range us {
			bot = bot || u.Bot
			agent = agent || u.ID == id
		}
		if !bot || !agent {
			x.t.Fatalf("users %+v: want the bot and user %d", us, id)
		}
	}},
	"GET /users/{id}": {run: func(x *fx) {
		id := x.newUser("Get Agent")
		u, err := x.c.GetUser(x.ctx, id)
		x.ok(err)
		x.shape(userShape("data."))
		if u.ID != id || u.Name != "Get Agent" || u.OrgID != x.e.OrgID {
			x.t.Fatalf("got %+v", u)
		}
		_, err = x.c.GetUser(x.ctx, id+1_000_000)
		x.wantErr(err, http.StatusNotFound, "not_found")
	}},
	"PATCH /users/update": {run: func(x *fx) {
		id := x.newUser("Update Agent")
		u, err := x.c.UpdateUser(x.ctx, id, drift.UserUpdate{Alias: "Upd", Availability: drift.Offline})
		x.ok(err)
		x.shape(userShape("data."))
		if u.Alias != "Upd" || u.Availability != drift.Offline || u.Name != "Update Agent" {
			x.t.Fatalf("updated %+v", u)
		}
		_, err = x.c.UpdateUser(x.ctx, id, drift.UserUpdate{Availability: "SLEEPING"})
		x.wantErr(err, http.StatusBadRequest, "validation_error")
	}},
	"GET /users/meetings/org": {run: func(x *fx) {
		agent := x.newUser("Meeting Agent")
		ct := x.newContact("meeting@example.com", nil)
		start := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
		x.e.Call(x.t, http.MethodPost, "/driftwood/v1/meetings", map[string]any{"agentId": agent, "schedulerId": ct.ID,
			"slotStart": drift.Millis(start), "slotEnd": drift.Millis(start.Add(30 * time.Minute)), "eventId": "evt-contract"}, http.StatusCreated)
		ms, err := x.c.ListMeetings(x.ctx, start.Add(-24*time.Hour), start.Add(24*time.Hour))
		x.ok(err)
		x.shape(map[string]string{"data[].agentId": "number", "data[].orgId": "number", "data[].status": "string",
			"data[].schedulerId": "number", "data[].eventId": "string", "data[].slotStart": "number", "data[].slotEnd": "number",
			"data[].scheduledAt": "number", "data[].bookedBy": "number"})
		i := slices.IndexFunc(ms, func(m drift.Meeting) bool { return m.EventID == "evt-contract" })
		if i < 0 || ms[i].AgentID != agent || ms[i].SchedulerID != ct.ID || !drift.Time(ms[i].SlotStart).Equal(start) {
			x.t.Fatalf("meetings %+v", ms)
		}
	}},
	"GET /teams/org": {run: func(x *fx) {
		u := x.newUser("Team Member")
		tid := x.admin("/driftwood/v1/teams", map[string]any{"name": "Sales", "members": []int64{u}})
		ts, err := x.c.ListTeams(x.ctx)
		x.ok(err)
		x.shape(teamShape)
		i := slices.IndexFunc(ts, func(t drift.Team) bool { return t.ID == tid })
		if i < 0 || ts[i].Name != "Sales" || !slices.Equal(ts[i].Members, []int64{u}) {
			x.t.Fatalf("teams %+v", ts)
		}
	}},
	"GET /teams/users/{id}": {run: func(x *fx) {
		u := x.newUser("Team Player")
		tid := x.admin("/driftwood/v1/teams", map[string]any{"name": "Support", "members": []int64{u}})
		x.admin("/driftwood/v1/teams", map[string]any{"name": "Other", "members": []int64{}})
		ts, err := x.c.ListUserTeams(x.ctx, u)
		x.ok(err)
		x.shape(teamShape)
		if len(ts) != 1 || ts[0].ID != tid {
			x.t.Fatalf("teams of %d: %+v", u, ts)
		}
	}},

	// Conversations and messages (reference §3.3, §4 Conversation, Message).
	"POST /conversations/new": {run: func(x *fx) {
		conv, err := x.c.CreateConversation(x.ctx, drift.NewConversation{Email: "newconv@example.com",
			Message: drift.NewConversationMsg{Body: "<p>Hello from the API</p>", Attributes: map[string]any{"integrationSource": "contract"}}})
		x.ok(err)
		x.shape(map[string]string{"id": "number", "status": "string", "participants": "array", "contactId": "number",
			"createdAt": "number", "inboxId": "number", "data.id": "number"})
		if conv.ID <= 0 || conv.ContactID <= 0 || conv.Status != drift.StatusOpen {
			x.t.Fatalf("created %+v", conv)
		}
		cs, err := x.c.FindContactsByEmail(x.ctx, "newconv@example.com", 0)
		x.ok(err)
		if len(cs) != 1 || cs[0].ID != conv.ContactID {
			x.t.Fatalf("contact of the conversation: %+v", cs)
		}
	}},
	"GET /conversations/{id}": {run: func(x *fx) {
		conv := x.newConversation("getconv@example.com", "Hi")
		got, err := x.c.GetConversation(x.ctx, conv.ID)
		x.ok(err)
		x.shape(conversationShape("data."))
		if got.ID != conv.ID || got.OrgID != x.e.OrgID || got.ContactID != conv.ContactID || got.Status != drift.StatusOpen {
			x.t.Fatalf("got %+v, created %+v", got, conv)
		}
		_, err = x.c.GetConversation(x.ctx, conv.ID+1_000_000)
		x.wantErr(err, http.StatusNotFound, "not_found")
	}},
	"GET /conversations/list": {run: func(x *fx) {
		var made []int64
		for i := range 3 {
			made = append(made, x.newConversation(fmt.Sprintf("list%d@example.com", i), "Hi").ID)
		}
		first, err := x.c.ListConversations(x.ctx, drift.ConversationListOptions{Limit: 2})
		x.ok(err)
		x.shape(conversationShape("data[]."))
		x.shape(map[string]string{"links.self": "string", "links.next": "string", "pagination.more": "bool", "pagination.next": "string"})
		if len(first.Data) != 2 || !first.Pagination.More || first.NextPageToken() == "" {
			x.t.Fatalf("first page %+v", first)
		}
		// Both paging styles lead to the same second page.
		byToken, err := x.c.ListConversations(x.ctx, drift.ConversationListOptions{Limit: 2, PageToken: first.NextPageToken()})
		x.ok(err)
		byCursor, err := x.c.ListConversations(x.ctx, drift.ConversationListOptions{Limit: 2, Next: first.Pagination.Next})
		x.ok(err)
		if len(byToken.Data) == 0 || len(byCursor.Data) == 0 || byToken.Data[0].ID != byCursor.Data[0].ID {
			x.t.Fatalf("second pages differ: %+v / %+v", byToken.Data, byCursor.Data)
		}
		var seen []int64
		for c, err := range x.c.Conversations(x.ctx, drift.ConversationListOptions{Limit: 2, Statuses: []drift.StatusID{drift.StatusIDOpen}}) {
			x.ok(err)
			if slices.Contains(seen, c.ID) || c.Status != drift.StatusOpen {
				x.t.Fatalf("iterator repeated or mismatched %+v", c)
			}
			seen = append(seen, c.ID)
		}
		for _, id := range made {
			if !slices.Contains(seen, id) {
				x.t.Fatalf("iterator missed %d: %v", id, seen)
			}
		}
		closed, err := x.c.ListConversations(x.ctx, drift.ConversationListOptions{Statuses: []drift.StatusID{drift.StatusIDClosed}})
		x.ok(err)
		for _, c := range closed.Data {
			if c.Status != drift.StatusClosed {
				x.t.Fatalf("closed filter gave %+v", c)
			}
		}
	}},
	"GET /conversations/stats": {run: func(x *fx) {
		x.newConversation("stats@example.com", "Hi")
		st, err := x.c.GetConversationStats(x.ctx)
		x.ok(err)
		x.shape(map[string]string{"data.conversationCount.OPEN": "number", "data.conversationCount.CLOSED": "number", "data.conversationCount.PENDING": "number",
			"conversationCount.OPEN": "number", "conversationCount.CLOSED": "number", "conversationCount.PENDING": "number"})
		if st.ConversationCount["OPEN"] < 1 {
			x.t.Fatalf("stats %+v", st)
		}
	}},
	"POST /conversations/{id}/messages": {run: func(x *fx) {
		conv := x.newConversation("post@example.com", "Hi")
		agent := x.newUser("Posting Agent")
		m, err := x.c.PostMessage(x.ctx, conv.ID, drift.NewMessage{Type: drift.MessageChat, Body: "<p>Pick one</p>",
			Buttons: []drift.Button{{Label: "Yes", Value: "Yes", Type: drift.ButtonReply}, {Label: "No", Value: "No", Type: drift.ButtonReply}}})
		x.ok(err)
		x.shape(messageShape("data.messages[]."))
		if m.ConversationID != conv.ID || m.Type != drift.MessageChat || m.Author.Type != drift.AuthorUser || !m.Author.Bot || len(m.Buttons) != 2 {
			x.t.Fatalf("bot's chat %+v", m)
		}
		note, err := x.c.PostMessage(x.ctx, conv.ID, drift.NewMessage{Type: drift.MessagePrivateNote, Body: "internal", UserID: agent})
		x.ok(err)
		if note.Type != drift.MessagePrivateNote || note.Author.ID != agent || note.Author.Bot {
			x.t.Fatalf("agent's note %+v", note)
		}
		prompt, err := x.c.PostMessage(x.ctx, conv.ID, drift.NewMessage{Type: drift.MessagePrivatePrompt, Body: "Take it?", UserID: agent,
			Buttons: []drift.Button{{Label: "Take", Value: "take", Type: drift.ButtonAction, Style: "primary",
				Reaction: &drift.Reaction{Type: "replace", Message: "Taken"}}}})
		x.ok(err)
		if prompt.Type != drift.MessagePrivatePrompt || len(prompt.Buttons) != 1 || prompt.Buttons[0].Reaction == nil {
			x.t.Fatalf("prompt %+v", prompt)
		}
		edit, err := x.c.PostMessage(x.ctx, conv.ID, drift.NewMessage{Type: drift.MessageEdit, Body: "<p>Pick one, please</p>",
			EditedMessageID: m.ID, EditType: drift.EditReplaceBody})
		x.ok(err)
		if edit.Type != drift.MessageEdit || edit.EditedMessageID != m.ID || edit.EditType != drift.EditReplaceBody {
			x.t.Fatalf("edit %+v", edit)
		}
		_, err = x.c.PostMessage(x.ctx, conv.ID, drift.NewMessage{Type: "shout", Body: "x"})
		x.wantErr(err, http.StatusBadRequest, "validation_error")
		_, err = x.c.PostMessage(x.ctx, conv.ID+1_000_000, drift.NewMessage{Type: drift.MessageChat, Body: "x"})
		x.wantErr(err, http.StatusNotFound, "not_found")
	}},
	"GET /conversations/{id}/messages": {run: func(x *fx) {
		conv := x.newConversation("messages@example.com", "first")
		for i := range 54 {
			_, err := x.c.PostMessage(x.ctx, conv.ID, drift.NewMessage{Type: drift.MessageChat, Body: fmt.Sprintf("reply %d", i)})
			x.ok(err)
		}
		reply, err := x.c.Driftwood().SimulateMessage(x.ctx, conv.ID, "the visitor again")
		x.ok(err)
		if reply.Author.Type != drift.AuthorContact || reply.Author.ID != conv.ContactID || reply.Context == nil ||
			reply.Context.IP != "127.0.0.1" || reply.Context.UserAgent == "" {
			x.t.Fatalf("visitor's message %+v", reply)
		}
		page, err := x.c.ListMessages(x.ctx, conv.ID, "")
		x.ok(err)
		x.shape(messageShape("data.messages[]."))
		x.shape(map[string]string{"pagination.more": "bool", "pagination.next": "string"})
		if len(page.Messages) != 50 || !page.Pagination.More {
			x.t.Fatalf("first page: %d messages, more %v", len(page.Messages), page.Pagination.More)
		}
		var all []drift.Message
		for m, err := range x.c.Messages(x.ctx, conv.ID) {
			x.ok(err)
			all = append(all, m)
		}
		if len(all) != 56 || all[0].Body != "first" || all[55].ID != reply.ID {
			x.t.Fatalf("iterated %d messages", len(all))
		}
		for i := 1; i < len(all); i++ {
			if all[i].ID <= all[i-1].ID || all[i].CreatedAt < all[i-1].CreatedAt {
				x.t.Fatalf("messages out of order at %d", i)
			}
		}
	}},
	"GET /conversations/{id}/transcript": {run: func(x *fx) {
		conv := x.newConversation("transcript@example.com", "Where is my order?")
		_, err := x.c.PostMessage(x.ctx, conv.ID, drift.NewMessage{Type: drift.MessageChat, Body: "<b>On its way</b>"})
		x.ok(err)
		text, err := x.c.Transcript(x.ctx, conv.ID)
		x.ok(err)
		if !strings.Contains(text, "Where is my order?") || !strings.Contains(text, "On its way") || strings.Contains(text, "<b>") {
			x.t.Fatalf("transcript %q", text)
		}
	}},
	"GET /conversations/{id}/json_transcript": {run: func(x *fx) {
		conv := x.newConversation("jsontranscript@example.com", "Hello there")
		_, err := x.c.PostMessage(x.ctx, conv.ID, drift.NewMessage{Type: drift.MessageChat, Body: "Hi!"})
		x.ok(err)
		entries, err := x.c.JSONTranscript(x.ctx, conv.ID)
		x.ok(err)
		x.shape(map[string]string{"data.messages[].author": "object", "data.messages[].author.type": "string", "data.messages[].body": "string",
			"data.messages[].createdAt": "number", "data.messages[].type": "string"})
		if len(entries) != 2 || entries[0].Author.Type != drift.AuthorContact || entries[1].Body != "Hi!" {
			x.t.Fatalf("entries %+v", entries)
		}
	}},
	"GET /attachments/{id}/data": {run: func(x *fx) {
		conv := x.newConversation("attach@example.com", "Hi")
		m, err := x.c.PostMessage(x.ctx, conv.ID, drift.NewMessage{Type: drift.MessageChat, Body: "See attached",
			Files: []drift.File{{Name: "notes.txt", Data: []byte("hello attachment\n")}}})
		x.ok(err)
		x.shape(map[string]string{"data.messages[].attachments[].fileName": "string", "data.messages[].attachments[].mimeType": "string",
			"data.messages[].attachments[].url": "string", "data.messages[].attachments[].id": "number", "data.messages[].context": "object"})
		if len(m.Attachments) != 1 || m.Attachments[0].ID == 0 || !strings.HasSuffix(m.Attachments[0].URL, fmt.Sprintf("/attachments/%d/data", m.Attachments[0].ID)) ||
			m.Context == nil || *m.Context != (drift.MessageContext{}) {
			x.t.Fatalf("attachments %+v, context %+v", m.Attachments, m.Context)
		}
		a, err := x.c.GetAttachment(x.ctx, m.Attachments[0].DocumentID())
		x.ok(err)
		if string(a.Data) != "hello attachment\n" || a.FileName != "notes.txt" || !strings.HasPrefix(a.ContentType, "text/plain") {
			x.t.Fatalf("attachment %+v", a)
		}
		_, err = x.c.GetAttachment(x.ctx, m.Attachments[0].DocumentID()+1_000_000)
		x.wantErr(err, http.StatusNotFound, "not_found")
	}},

	// Accounts (reference §3.4, §4 Account).
	"POST /accounts/create": {run: func(x *fx) {
		owner := x.newUser("Account Owner")
		a, err := x.c.CreateAccount(x.ctx, drift.Account{OwnerID: owner, Name: "Acme", Domain: "acme.example", Targeted: true,
			CustomProperties: []drift.Property{{Label: "Employees", Name: "employees", Value: 250, Type: "NUMBER"}}})
		x.ok(err)
		x.shape(accountShape("data."))
		if a.AccountID != fmt.Sprintf("%d_acme.example", x.e.OrgID) || a.OwnerID != owner || !a.Targeted || len(a.CustomProperties) != 1 {
			x.t.Fatalf("created %+v", a)
		}
		_, err = x.c.CreateAccount(x.ctx, drift.Account{OwnerID: owner, Name: "Acme again", Domain: "acme.example"})
		x.wantErr(err, http.StatusConflict, "conflict")
	}},
	"GET /accounts/{id}": {run: func(x *fx) {
		a := x.newAccount("get.example")
		got, err := x.c.GetAccount(x.ctx, a.AccountID)
		x.ok(err)
		x.shape(accountShape("data."))
		if got.AccountID != a.AccountID || got.Domain != "get.example" {
			x.t.Fatalf("got %+v", got)
		}
		_, err = x.c.GetAccount(x.ctx, "0_missing.example")
		x.wantErr(err, http.StatusNotFound, "not_found")
	}},
	"PATCH /accounts/update": {run: func(x *fx) {
		a := x.newAccount("update.example")
		a.Name = "Renamed"
		a.Targeted = true
		got, err := x.c.UpdateAccount(x.ctx, *a)
		x.ok(err)
		x.shape(accountShape("data."))
		if got.Name != "Renamed" || !got.Targeted || got.UpdateDateTime < a.CreateDateTime {
			x.t.Fatalf("updated %+v", got)
		}
	}},
	"DELETE /accounts/{id}": {run: func(x *fx) {
		a := x.newAccount("delete.example")
		x.ok(x.c.DeleteAccount(x.ctx, a.AccountID))
		x.shape(okShape)
		got, err := x.c.GetAccount(x.ctx, a.AccountID)
		x.ok(err)
		if !got.Deleted {
			x.t.Fatalf("deleted account reads %+v", got)
		}
	}},
	"GET /accounts": {run: func(x *fx) {
		var made []string
		for i := range 7 {
			made = append(made, x.newAccount(fmt.Sprintf("page%d.example", i)).AccountID)
		}
		p, err := x.c.ListAccounts(x.ctx, 0, 3)
		x.ok(err)
		x.shape(accountShape("data.accounts[]."))
		x.shape(map[string]string{"data.next": "string"})
		if len(p.Accounts) != 3 || p.Next == "" {
			x.t.Fatalf("first page %+v", p)
		}
		var seen []string
		for a, err := range x.c.Accounts(x.ctx, 3) {
			x.ok(err)
			if slices.Contains(seen, a.AccountID) {
				x.t.Fatalf("iterator repeated %s", a.AccountID)
			}
			seen = append(seen, a.AccountID)
		}
		for _, id := range made {
			if !slices.Contains(seen, id) {
				x.t.Fatalf("iterator missed %s: %v", id, seen)
			}
		}
	}},

	// Playbooks (reference §3.5): bare arrays.
	"GET /playbooks/list": {run: func(x *fx) {
		id := x.admin("/driftwood/v1/playbooks", map[string]any{"name": "Qualify", "goals": []map[string]any{{"message": "Booked"}}})
		ps, err := x.c.ListPlaybooks(x.ctx)
		x.ok(err)
		x.shape(playbookShape)
		i := slices.IndexFunc(ps, func(p drift.Playbook) bool { return p.ID == id })
		if i < 0 || ps[i].Name != "Qualify" || len(ps[i].Goals) != 1 || ps[i].Goals[0].ID == "" {
			x.t.Fatalf("playbooks %+v", ps)
		}
	}},
	"GET /playbooks/clp": {run: func(x *fx) {
		id := x.admin("/driftwood/v1/playbooks", map[string]any{"name": "Landing", "landingPage": true})
		ps, err := x.c.ListLandingPages(x.ctx)
		x.ok(err)
		x.shape(playbookShape)
		x.shape(map[string]string{"[].playbookId": "number", "[].playbookName": "string", "[].landingPageUrl": "string"})
		i := slices.IndexFunc(ps, func(p drift.LandingPage) bool { return p.ID == id })
		if i < 0 || ps[i].PlaybookID != id || ps[i].PlaybookName != "Landing" ||
			!strings.HasPrefix(ps[i].LandingPageURL, x.e.URL+"/chat/") || !strings.HasSuffix(ps[i].LandingPageURL, fmt.Sprintf("?playbookId=%d", id)) {
			x.t.Fatalf("landing pages %+v", ps)
		}
	}},

	// App admin (reference §8).
	"POST /app/token_info": {run: func(x *fx) {
		ti, err := x.client(nil).TokenInfo(x.ctx, x.e.Token)
		x.ok(err)
		x.shape(map[string]string{"access_token": "string", "authenticated_userid": "string", "credential_id": "string",
			"token_type": "string", "expires_in": "number", "created_at": "number", "scope": "string", "id": "string"})
		if ti.OrgID() != x.e.OrgID || !slices.Contains(ti.Scopes(), "contact_read") || ti.ExpiresIn != 0 {
			x.t.Fatalf("token info %+v", ti)
		}
		_, err = x.client(nil).TokenInfo(x.ctx, "not-a-token")
		if !errors.Is(err, drift.ErrUnauthorized) && !errors.Is(err, drift.ErrNotFound) && !errors.Is(err, drift.ErrBadRequest) {
			x.t.Fatalf("token info of a bad token: %v", err)
		}
	}},
	"POST /app/uninstall": {run: func(x *fx) {
		app, tok := x.installPublicApp("uninstall")
		c := x.client(drift.StaticToken(tok.AccessToken))
		_, err := c.ListUsers(x.ctx)
		x.ok(err)
		x.ok(c.UninstallApp(x.ctx, app.ClientID, app.ClientSecret))
		x.shape(okShape)
		_, err = c.ListUsers(x.ctx)
		x.wantErr(err, http.StatusUnauthorized, "authentication_error")
	}},

	// GDPR (reference §9).
	"POST /gdpr/retrieve": {run: func(x *fx) {
		x.newContact("gdprget@example.com", nil)
		r, err := x.c.GDPRRetrieve(x.ctx, "gdprget@example.com")
		x.ok(err)
		x.shape(map[string]string{"data.message": "string"})
		if r.Message == "" {
			x.t.Fatalf("retrieve %+v", r)
		}
	}},
	"POST /gdpr/delete": {run: func(x *fx) {
		x.newContact("gdprdel@example.com", nil)
		r, err := x.c.GDPRDelete(x.ctx, "gdprdel@example.com")
		x.ok(err)
		x.shape(map[string]string{"data.message": "string"})
		if r.Message != "Your delete is processing" {
			x.t.Fatalf("delete %+v", r)
		}
		_, err = x.c.GDPRDelete(x.ctx, "not an email")
		x.wantErr(err, http.StatusBadRequest, "validation_error")
	}},

	// SCIM (reference §10): SCIM's own shapes and errors.
	"POST /scim/Users": {run: func(x *fx) {
		u := x.newSCIMUser("scim.create@example.com")
		x.shape(scimUserShape(""))
		if u.ID == "" || u.UserName != "scim.create@example.com" || u.Active == nil || !*u.Active || u.Meta == nil {
			x.t.Fatalf("created %+v", u)
		}
		_, err := x.c.CreateSCIMUser(x.ctx, drift.SCIMUser{UserName: "scim.create@example.com", DisplayName: "Again"})
		if de := x.wantErr(err, http.StatusConflict, "uniqueness"); !errors.Is(err, drift.ErrConflict) {
			x.t.Fatalf("duplicate: %+v", de)
		}
	}},
	"GET /scim/Users": {run: func(x *fx) {
		u := x.newSCIMUser("scim.list@example.com")
		l, err := x.c.ListSCIMUsers(x.ctx, drift.SCIMListOptions{Filter: `userName eq "scim.list@example.com"`})
		x.ok(err)
		x.shape(map[string]string{"schemas": "array", "totalResults": "number", "Resources": "array", "startIndex": "number", "itemsPerPage": "number"})
		x.shape(scimUserShape("Resources[]."))
		if l.TotalResults != 1 || len(l.Resources) != 1 || l.Resources[0].ID != u.ID {
			x.t.Fatalf("filtered list %+v", l)
		}
		all, err := x.c.ListSCIMUsers(x.ctx, drift.SCIMListOptions{Count: 1})
		x.ok(err)
		if len(all.Resources) != 1 || all.TotalResults < 1 {
			x.t.Fatalf("paged list %+v", all)
		}
		_, err = x.c.ListSCIMUsers(x.ctx, drift.SCIMListOptions{Filter: `userName eq`})
		x.wantErr(err, http.StatusBadRequest, "invalidFilter")
	}},
	"GET /scim/Users/{id}": {run: func(x *fx) {
		u := x.newSCIMUser("scim.get@example.com")
		got, err := x.c.GetSCIMUser(x.ctx, u.ID)
		x.ok(err)
		x.shape(scimUserShape(""))
		if got.ID != u.ID || got.DisplayName != u.DisplayName {
			x.t.Fatalf("got %+v", got)
		}
		_, err = x.c.GetSCIMUser(x.ctx, "999999999")
		var de *drift.Error
		if !errors.As(err, &de) || de.Status != http.StatusNotFound || de.Message == "" {
			x.t.Fatalf("missing user: %v", err)
		}
	}},
	"PUT /scim/Users": {run: func(x *fx) {
		u := x.newSCIMUser("scim.put@example.com")
		// The seed's form names the user by userName in the body.
		got, err := x.c.ReplaceSCIMUser(x.ctx, "", drift.SCIMUser{UserName: u.UserName, DisplayName: "Put By Name"})
		x.ok(err)
		x.shape(scimUserShape(""))
		if got.ID != u.ID || got.DisplayName != "Put By Name" {
			x.t.Fatalf("replaced by name %+v", got)
		}
		got, err = x.c.ReplaceSCIMUser(x.ctx, u.ID, drift.SCIMUser{UserName: u.UserName, DisplayName: "Put By Id"})
		x.ok(err)
		if got.DisplayName != "Put By Id" {
			x.t.Fatalf("replaced by id %+v", got)
		}
		got, err = x.c.PatchSCIMUser(x.ctx, u.ID, drift.SCIMPatchOp{Op: "replace", Path: "active", Value: false})
		x.ok(err)
		if got.Active == nil || *got.Active {
			x.t.Fatalf("patched %+v", got)
		}
	}},
	"DELETE /scim/Users": {run: func(x *fx) {
		a := x.newSCIMUser("scim.del1@example.com")
		b := x.newSCIMUser("scim.del2@example.com")
		x.ok(x.c.DeleteSCIMUserByName(x.ctx, a.UserName)) // the seed's form
		x.ok(x.c.DeleteSCIMUser(x.ctx, b.ID))
		for _, id := range []string{a.ID, b.ID} {
			_, err := x.c.GetSCIMUser(x.ctx, id)
			if !errors.Is(err, drift.ErrNotFound) {
				x.t.Fatalf("deleted user %s: %v", id, err)
			}
		}
	}},
}

func contactIDs(cs []drift.Contact) []int64 {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

func prefixed(prefix string, spec map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range spec {
		out[prefix+k] = v
	}
	return out
}

var okShape = map[string]string{"result": "string", "ok": "bool"}

func contactShape(prefix string) map[string]string {
	return prefixed(prefix, map[string]string{"id": "number", "createdAt": "number", "attributes": "object", "attributes.email": "string"})
}

func userShape(prefix string) map[string]string {
	return prefixed(prefix, map[string]string{"id": "number", "orgId": "number", "name": "string", "verified": "bool",
		"bot": "bool", "createdAt": "number", "updatedAt": "number"})
}

var teamShape = map[string]string{"data[].id": "number", "data[].orgId": "number", "data[].name": "string", "data[].members": "array"}

func conversationShape(prefix string) map[string]string {
	return prefixed(prefix, map[string]string{"id": "number", "orgId": "number", "participants": "array", "status": "string",
		"contactId": "number", "inboxId": "number", "createdAt": "number", "updatedAt": "number"})
}

func messageShape(prefix string) map[string]string {
	return prefixed(prefix, map[string]string{"id": "number", "orgId": "number", "conversationId": "number", "body": "string",
		"author.id": "number", "author.type": "string", "author.bot": "bool", "type": "string", "createdAt": "number", "context": "object"})
}

func accountShape(prefix string) map[string]string {
	return prefixed(prefix, map[string]string{"accountId": "string", "ownerId": "number", "name": "string", "domain": "string",
		"customProperties": "array", "deleted": "bool", "targeted": "bool", "createDateTime": "number", "updateDateTime": "number"})
}

var playbookShape = map[string]string{"": "array", "[].id": "number", "[].name": "string", "[].orgId": "number", "[].meta": "object",
	"[].createdAt": "number", "[].updatedAt": "number", "[].goals": "array"}

func scimUserShape(prefix string) map[string]string {
	return prefixed(prefix, map[string]string{"schemas": "array", "id": "string", "userName": "string", "displayName": "string",
		"active": "bool", "emails[].value": "string", "meta.resourceType": "string", "meta.location": "string"})
}

// newConversation starts a conversation as the org, through the SDK.
func (x *fx) newConversation(email, body string) *drift.Conversation {
	x.t.Helper()
	conv, err := x.c.CreateConversation(x.ctx, drift.NewConversation{Email: email, Message: drift.NewConversationMsg{Body: body}})
	x.ok(err)
	return conv
}

func (x *fx) newAccount(domain string) *drift.Account {
	x.t.Helper()
	a, err := x.c.CreateAccount(x.ctx, drift.Account{OwnerID: x.newUser("Owner of " + domain), Name: domain, Domain: domain})
	x.ok(err)
	return a
}

func (x *fx) newSCIMUser(userName string) *drift.SCIMUser {
	x.t.Helper()
	u, err := x.c.CreateSCIMUser(x.ctx, drift.SCIMUser{UserName: userName, DisplayName: "SCIM " + userName,
		Name:  &drift.SCIMName{GivenName: "Sam", FamilyName: "Cim"},
		Roles: []drift.SCIMValue{{Value: "MEMBER", Primary: true}}})
	x.ok(err)
	return u
}

// installPublicApp registers a public app and installs it in the org
// through OAuth (the consent answered by script), returning the app and
// its tokens.
func (x *fx) installPublicApp(name string) (*drift.App, *drift.OAuthToken) {
	x.t.Helper()
	const redirect = "https://app.example/callback"
	app, err := x.c.Driftwood().CreateApp(x.ctx, drift.AppSpec{Name: name, Public: true, RedirectURIs: []string{redirect},
		Scopes: []string{"user_read", "contact_read"}})
	x.ok(err)
	pkce := drift.NewPKCE()
	code, err := x.c.Driftwood().Authorize(x.ctx, app.ClientID, redirect, "st4te", &pkce, "user_read", "contact_read")
	x.ok(err)
	conf := &drift.OAuthConfig{ClientID: app.ClientID, ClientSecret: app.ClientSecret, BaseURL: x.e.URL}
	tok, err := conf.ExchangePKCE(x.ctx, code, redirect, pkce.Verifier)
	x.ok(err)
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.OrgID != x.e.OrgID {
		x.t.Fatalf("exchanged %+v", tok)
	}
	return app, tok
}
