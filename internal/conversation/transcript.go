package conversation

import (
	"html"
	"strings"
	"time"
)

// PlainText renders an HTML message body as text: tags become spaces,
// entities are decoded and whitespace is collapsed. A "<" that does not open
// a tag is kept. Tags that entities spell (&lt;script&gt;) are dropped too,
// so that the text never carries markup.
func PlainText(body string) string {
	text := stripTags(html.UnescapeString(stripTags(body)))
	return strings.Join(strings.Fields(text), " ")
}

// stripTags replaces every tag with a space.
func stripTags(body string) string {
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		if body[i] == '<' && i+1 < len(body) && isTagStart(body[i+1]) {
			if end := strings.IndexByte(body[i:], '>'); end >= 0 {
				b.WriteByte(' ')
				i += end
				continue
			}
		}
		b.WriteByte(body[i])
	}
	return b.String()
}

func isTagStart(c byte) bool {
	return c == '/' || c == '!' || c == '?' || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

// TranscriptEntry is one message of the JSON transcript (docs/design.md).
type TranscriptEntry struct {
	Author    TranscriptAuthor `json:"author"`
	Body      string           `json:"body"`
	CreatedAt int64            `json:"createdAt"`
	Type      Type             `json:"type"`
}

// TranscriptAuthor is a message's author with the name a reader knows them by.
type TranscriptAuthor struct {
	Author
	Name string `json:"name"`
}

// Transcript is a conversation's messages as a reader sees them: edits are
// already applied to the messages they edit, and deleted messages are gone.
type Transcript []TranscriptEntry

// NewTranscript builds the transcript of msgs, naming authors with name.
func NewTranscript(msgs []*Message, name func(Author) string) Transcript {
	t := Transcript{}
	for _, m := range msgs {
		if m.Type == Edit || (m.Body == "" && len(m.Attachments) == 0 && len(m.Buttons) == 0) {
			continue
		}
		t = append(t, TranscriptEntry{Author: TranscriptAuthor{Author: m.Author, Name: name(m.Author)},
			Body: m.Body, CreatedAt: m.CreatedAt, Type: m.Type})
	}
	return t
}

// Text renders the transcript as plain text, one line per message: the UTC
// time, the author's name and the body as text.
func (t Transcript) Text() string {
	var b strings.Builder
	for _, e := range t {
		at := time.UnixMilli(e.CreatedAt).UTC().Format("2006-01-02 15:04:05 UTC")
		name := strings.Join(strings.Fields(e.Author.Name), " ") // a name cannot forge a line
		b.WriteString("[" + at + "] " + name + ": " + PlainText(e.Body) + "\n")
	}
	return b.String()
}
