package conversation

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/events"
)

func TestParseStatus(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Status{"1": Open, "2": Closed, "3": Pending, "OPEN": Open, "closed": Closed, " Pending ": Pending,
		"0": "", "4": "", "abc": "", "": "", "bulk_sent": ""} {
		got, ok := ParseStatus(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseStatus(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestPlainText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"<p>Hello &amp; <b>you</b></p>":         "Hello & you",
		"a < b and c<d":                         "a < b and c<d",
		"<script>alert(1)</script>":             "alert(1)",
		"&lt;script&gt;x":                       "x", // entities spelling a tag are no way around the stripping
		"&lt;3 &lt; 4":                          "<3 < 4",
		"line<br/>break\n\n  spaced":            "line break spaced",
		"/msg <i>now</i>":                       "/msg now",
		"<a href=\"x\">link</a> unterminated <": "link unterminated <",
	} {
		if got := PlainText(in); got != want {
			t.Errorf("PlainText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPost_Validate(t *testing.T) {
	t.Parallel()
	p := Post{Body: "x", Buttons: []Button{{Label: "Yes"}}}
	if err := p.Validate(); err != nil || p.Type != Chat || p.Buttons[0] != (Button{Label: "Yes", Value: "Yes", Type: ButtonReply}) {
		t.Fatalf("defaults: %v %+v", err, p)
	}
	styled := Post{Body: "x", Buttons: []Button{{Label: "Yes please", Value: "yes", Style: "primary"}}}
	if err := styled.Validate(); err != nil || styled.Buttons[0] != (Button{Label: "Yes please", Value: "yes", Type: ButtonReply, Style: "primary"}) {
		t.Fatalf("a reply button with its own value and a style: %v %+v", err, styled.Buttons)
	}
	prompt := Post{Type: PrivatePrompt, Buttons: []Button{{Label: "Go", Value: "go", Type: ButtonAction, Style: "danger",
		Reaction: &Reaction{Type: "delete"}}}}
	if err := prompt.Validate(); err != nil {
		t.Fatalf("buttons-only prompt: %v", err)
	}
	for name, p := range map[string]Post{
		"visitor note":        {Type: PrivateNote, Body: "x", FromContact: true},
		"visitor buttons":     {Body: "x", FromContact: true, Buttons: []Button{{Label: "a"}}},
		"bad style":           {Type: PrivatePrompt, Body: "x", Buttons: []Button{{Label: "a", Type: ButtonAction, Style: "loud"}}},
		"long reply style":    {Body: "x", Buttons: []Button{{Label: "a", Style: strings.Repeat("s", MaxButtonStyle+1)}}},
		"bad reaction":        {Type: PrivatePrompt, Body: "x", Buttons: []Button{{Label: "a", Type: ButtonAction, Reaction: &Reaction{Type: "x"}}}},
		"edit without body":   {Type: Edit, EditedMessageID: 1, EditType: EditReplace},
		"edit with files":     {Type: Edit, EditedMessageID: 1, EditType: EditDelete, Attachments: []NewAttachment{{Data: []byte("x")}}},
		"too many files":      {Body: "x", Attachments: make([]NewAttachment, MaxAttachments+1)},
		"agent click":         {Click: &Click{MessageID: 1, Value: "a"}},
		"click without value": {FromContact: true, Click: &Click{MessageID: 1}},
	} {
		if err := p.Validate(); !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("%s: %v, want a validation error", name, err)
		}
	}
	big := Post{Body: "x", Attachments: []NewAttachment{{Data: make([]byte, MaxAttachmentBytes/2+1)}, {Data: make([]byte, MaxAttachmentBytes/2)}}}
	if err := big.Validate(); apperr.CodeOf(err) != apperr.TooLarge {
		t.Errorf("too large: %v", err)
	}
}

func TestPost_ApplyEdit(t *testing.T) {
	t.Parallel()
	orig := func() *Message {
		return &Message{ID: 7, Type: Chat, Body: "old", Buttons: []Button{{Label: "a", Value: "a", Type: ButtonReply}},
			Attachments: []Attachment{{ID: 1, FileName: "f"}}}
	}
	newButtons := []Button{{Label: "b"}}
	for typ, want := range map[EditType]Message{
		EditDelete:         {ID: 7, Type: Chat},
		EditReplace:        {ID: 7, Type: Chat, Body: "new", Buttons: []Button{{Label: "b", Value: "b", Type: ButtonReply}}, Attachments: orig().Attachments},
		EditReplaceBody:    {ID: 7, Type: Chat, Body: "new", Buttons: orig().Buttons, Attachments: orig().Attachments},
		EditReplaceButtons: {ID: 7, Type: Chat, Body: "old", Buttons: []Button{{Label: "b", Value: "b", Type: ButtonReply}}, Attachments: orig().Attachments},
	} {
		p := Post{Type: Edit, EditedMessageID: 7, EditType: typ, Body: "new", Buttons: slices.Clone(newButtons)}
		m := orig()
		if err := p.ApplyEdit(m); err != nil || !reflect.DeepEqual(*m, want) {
			t.Errorf("%s: %v %+v, want %+v", typ, err, *m, want)
		}
	}
	action := Post{Type: Edit, EditedMessageID: 7, EditType: EditReplaceButtons, Buttons: []Button{{Label: "x", Type: ButtonAction}}}
	if err := action.ApplyEdit(orig()); err == nil {
		t.Error("action buttons on a chat message were accepted")
	}
	if err := (&Post{Type: Edit, EditType: EditDelete}).ApplyEdit(&Message{Type: Edit}); err == nil {
		t.Error("an edit of an edit was accepted")
	}
}

func TestConversation_Add(t *testing.T) {
	t.Parallel()
	c := New(1, 9, 100)
	c.ID = 5
	c.Status = Closed
	types := func(evs []events.Event) []events.Type {
		var out []events.Type
		for _, ev := range evs {
			out = append(out, ev.Type)
		}
		return out
	}
	agent := &Message{Author: Author{ID: 3, Type: AuthorUser}, Body: "/cmd", Type: PrivateNote, CreatedAt: 200}
	if got := types(c.Add(agent, nil)); !slices.Equal(got, []events.Type{events.NewMessage, events.NewCommandMessage, events.ConversationParticipantAdded}) {
		t.Errorf("agent post events %v", got)
	}
	if c.Status != Closed || c.UpdatedAt != 200 || !slices.Equal(c.Participants, []int64{3}) {
		t.Errorf("after agent post %+v", c)
	}
	if got := types(c.Add(&Message{Author: Author{ID: 3, Type: AuthorUser}, Body: "again", CreatedAt: 300}, nil)); len(got) != 1 {
		t.Errorf("second agent post events %v", got)
	}
	visitor := &Message{Author: Author{ID: 9, Type: AuthorContact}, Body: "hi", Type: Chat, CreatedAt: 400}
	if got := types(c.Add(visitor, nil)); !slices.Equal(got, []events.Type{events.NewMessage, events.ConversationStatusUpdated}) || c.Status != Open {
		t.Errorf("visitor reopen events %v, status %s", got, c.Status)
	}
}

func TestTranscript(t *testing.T) {
	t.Parallel()
	msgs := []*Message{
		{Author: Author{ID: 9, Type: AuthorContact}, Body: "<p>Hi &amp; bye</p>", Type: Chat, CreatedAt: 0},
		{Author: Author{ID: 3, Type: AuthorUser}, Body: "", Type: Chat, CreatedAt: 1000}, // deleted
		{Author: Author{ID: 3, Type: AuthorUser}, Body: "x", Type: Edit, CreatedAt: 2000},
		{Author: Author{ID: 3, Type: AuthorUser}, Body: "note", Type: PrivateNote, CreatedAt: 3000},
	}
	tr := NewTranscript(msgs, func(a Author) string {
		if a.Type == AuthorContact {
			return "Jane\nDoe"
		}
		return "Ada"
	})
	want := "[1970-01-01 00:00:00 UTC] Jane Doe: Hi & bye\n[1970-01-01 00:00:03 UTC] Ada: note\n"
	if got := tr.Text(); got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
}
