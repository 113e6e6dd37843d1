package conversation

import (
	"html"
	"regexp"
	"strings"
)

var (
	// blockTag matches the tags that break a line: paragraphs, breaks,
	// list items, headings, divisions.
	blockTag = regexp.MustCompile(`(?i)<\s*/?\s*(p|br|div|li|ul|ol|h[1-6]|tr|blockquote|pre)\b[^>]*>`)
	// anyTag matches any other tag, dropped with no space (inline markup).
	anyTag     = regexp.MustCompile(`<[a-zA-Z/!?][^>]*>`)
	blankLines = regexp.MustCompile(`\n{3,}`)
)

// DisplayText is a message body as a chat window shows it, as text: block
// tags become line breaks, other tags go, entities are decoded once (so a
// visitor who typed "<b>" sees "<b>", never bold).
func DisplayText(body string) string {
	s := blockTag.ReplaceAllString(body, "\n")
	s = anyTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(blankLines.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}
