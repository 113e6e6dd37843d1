package conversation

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/events"
)

func eventTypes(evs []events.Event) []events.Type {
	var out []events.Type
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

// Post decides a whole post from what the store loaded; the events come
// after the store gave the message its id.
func TestConversation_Post(t *testing.T) {
	t.Parallel()
	c := New(1, 9, 100)
	c.ID = 5
	src := &Message{ID: 3, ConversationID: 5, Type: Chat, Buttons: []Button{{Label: "Yes", Value: "Yes", Type: ButtonReply}}}
	click := &Post{Type: Chat, FromContact: true, Click: &Click{MessageID: 3, Value: "Yes"}}
	x, err := c.Post(click, Refs{Author: Author{ID: 9, Type: AuthorContact}, Source: src}, 200)
	if err != nil {
		t.Fatal(err)
	}
	if x.Message.Body != "Yes" || x.Edited != nil || c.UpdatedAt != 200 {
		t.Fatalf("click post: message %+v, edited %v, conversation %+v", x.Message, x.Edited, c)
	}
	x.Message.ID = 11 // as the store's insert does
	evs := x.Events()
	if got := eventTypes(evs); !slices.Equal(got, []events.Type{events.NewMessage, events.ButtonClicked, events.ButtonAction}) {
		t.Fatalf("click post events %v", got)
	}
	var m Message
	if err := json.Unmarshal(evs[0].Data, &m); err != nil || m.ID != 11 {
		t.Fatalf("new_message carries %+v (%v), want the inserted id", m, err)
	}
	if _, err := c.Post(&Post{Type: Chat, FromContact: true, Click: &Click{MessageID: 3, Value: "No"}},
		Refs{Author: Author{ID: 9, Type: AuthorContact}, Source: src}, 250); err == nil {
		t.Fatal("a click on a button the message does not have was accepted")
	}

	target := &Message{ID: 4, ConversationID: 5, Type: Chat, Body: "old"}
	edit := &Post{Type: Edit, EditedMessageID: 4, EditType: EditReplaceBody, Body: "new"}
	x, err = c.Post(edit, Refs{Author: Author{ID: 2, Type: AuthorUser}, Target: target}, 300)
	if err != nil {
		t.Fatal(err)
	}
	if x.Edited != target || target.Body != "new" || !slices.Equal(c.Participants, []int64{2}) {
		t.Fatalf("edit: edited %v, target %+v, participants %v", x.Edited, target, c.Participants)
	}
	if got := eventTypes(x.Events()); !slices.Equal(got, []events.Type{events.NewMessage, events.ConversationParticipantAdded}) {
		t.Fatalf("edit events %v", got)
	}
}

func TestConversation_SetStatus(t *testing.T) {
	t.Parallel()
	c := New(1, 9, 100)
	evs, err := c.SetStatus(Closed, 200)
	if err != nil || !slices.Equal(eventTypes(evs), []events.Type{events.ConversationStatusUpdated}) || c.UpdatedAt != 200 {
		t.Fatalf("close: %v, %v, %+v", eventTypes(evs), err, c)
	}
	if evs, err := c.SetStatus(Closed, 300); err != nil || len(evs) != 0 || c.UpdatedAt != 200 {
		t.Fatalf("close again: %v, %v, %+v", eventTypes(evs), err, c)
	}
	if _, err := c.SetStatus("archived", 400); err == nil {
		t.Fatal("an unknown status was accepted")
	}
}
