package conversation

import (
	"encoding/json"
	"strings"
	"testing"
)

// hasMarkup reports a "<" that opens a tag and is closed later: what a
// browser could read as an element.
func hasMarkup(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '<' && isTagStart(s[i+1]) && strings.IndexByte(s[i:], '>') >= 0 {
			return true
		}
	}
	return false
}

// Neither transcript ever carries markup a browser would run: the text
// form has none, whatever the entities, and the JSON form escapes <, > and &.
func FuzzTranscript(f *testing.F) {
	for _, s := range []string{"<p>hi</p>", "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;",
		"&amp;lt;b&amp;gt;", "a < b > c", "<<script>script>", "<img src=x onerror=alert(1)>", "&#60;svg onload=x&#62;",
		"<!-- c -->", "<scr<b>ipt>"} {
		f.Add(s, "Ann")
	}
	f.Fuzz(func(t *testing.T, body, name string) {
		tr := NewTranscript([]*Message{{Type: Chat, Body: body, CreatedAt: 1}}, func(Author) string { return name })
		if text := PlainText(body); hasMarkup(text) {
			t.Fatalf("markup in the text of %q: %q", body, text)
		}
		b, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(string(b), "<>") {
			t.Fatalf("unescaped markup in the JSON transcript: %s", b)
		}
	})
}
