// Package search is the inbox's full-text search: which words a message or
// a contact is found by, what a query asks for, and what a hit is. The
// store keeps one entry of words per message and per contact, written in
// the transaction that writes the message or the contact, and matches
// them with SQLite's FTS5 or PostgreSQL's full-text search.
//
// Words are lower-cased runs of letters and digits, so that both engines
// split them alike ("grace@example.org" is grace, example, org); a query's
// words match as prefixes, all of them.
package search

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/driftwood-chat/driftwood/internal/apperr"
)

// Limits of an entry: PostgreSQL indexes no word over 2047 bytes and no
// tsvector over 1 MB, and nobody searches for a 100-letter word.
const (
	maxWordLen  = 100
	maxTextSize = 32 << 10
)

// Limits of a query.
const (
	MaxQueryLen   = 200
	MaxQueryWords = 8
)

// Words splits text into the words it is found by: lower-cased runs of
// letters and digits, each at most maxWordLen runes.
func Words(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if utf8.RuneCountInString(w) <= maxWordLen {
			out = append(out, w)
		}
	}
	return out
}

// Text is the words of parts as an entry stores them: space-separated, at
// most maxTextSize bytes (a longer message is found by its beginning).
func Text(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		for _, w := range Words(p) {
			if b.Len()+len(w)+1 > maxTextSize {
				return b.String()
			}
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(w)
		}
	}
	return b.String()
}

// Kind is what a search finds.
type Kind string

const (
	Messages Kind = "messages" // conversations, by their messages' text
	Contacts Kind = "contacts" // contacts, by name and email
)

// Query is one page of a search.
type Query struct {
	Words []string // all must match, each as a prefix
	Kind  Kind
	After int64 // the message or contact id the last page ended with; 0: the first page
	Limit int
}

// ParseQuery reads what an agent typed into the words of a query.
func ParseQuery(text string) ([]string, error) {
	if utf8.RuneCountInString(text) > MaxQueryLen {
		return nil, apperr.Invalidf("q", "the search is longer than %d characters", MaxQueryLen)
	}
	words := Words(text)
	if len(words) == 0 {
		return nil, apperr.Invalidf("q", "the search has no words: type letters or digits")
	}
	if len(words) > MaxQueryWords {
		return nil, apperr.Invalidf("q", "the search has %d words; at most %d", len(words), MaxQueryWords)
	}
	return words, nil
}

// Hit is a message or a contact a search found, newest first.
type Hit struct {
	ContactID      int64
	Contact        map[string]any // the contact's attributes; nil if it was deleted
	ConversationID int64          // the message's; for a contact, its latest conversation (0: none)
	MessageID      int64          // 0 for a contact
	Body           string         // the message's body, as sent
	Type           string         // the message's type
	CreatedAt      int64          // the message's (or the contact's) creation
	Status         string         // the conversation's status
}

// Store runs searches.
type Store interface {
	// Search returns up to q.Limit+1 hits of the org, so that the caller
	// can tell whether there is a next page; never another org's.
	Search(ctx context.Context, orgID int64, q Query) ([]Hit, error)
}
