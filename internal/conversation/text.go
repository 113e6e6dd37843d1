package conversation

import (
	"html"
	"strings"
)

// DisplayText is a message body as a chat window shows it, as text: tags
// dropped, entities decoded once (so a visitor who typed "<b>" sees "<b>",
// never bold), line breaks kept.
func DisplayText(body string) string {
	return strings.TrimSpace(html.UnescapeString(stripTags(body)))
}
