package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/search"
)

// inboxHit is one result of the inbox's search.
type inboxHit struct {
	ContactID      int64  `json:"contactId"`
	ContactName    string `json:"contactName"`
	ContactEmail   string `json:"contactEmail"`
	ConversationID int64  `json:"conversationId"` // for a contact, its latest (0: none)
	MessageID      int64  `json:"messageId,omitempty"`
	Type           string `json:"type,omitempty"` // the message's: chat, private_note …
	Status         string `json:"status,omitempty"`
	Text           string `json:"text,omitempty"` // the message's text around the first word found
	CreatedAt      int64  `json:"createdAt"`
}

const inboxSearchPage = 20

// inboxSearch serves GET /inbox/api/search?q=&kind=messages|contacts
// &cursor=: a page of the org's messages (by their text) or contacts (by
// name and email) holding every word of q as a prefix, newest first.
func (s *Server) inboxSearch(w http.ResponseWriter, r *http.Request) error {
	words, err := search.ParseQuery(r.URL.Query().Get("q"))
	if err != nil {
		return err
	}
	q := search.Query{Words: words, Kind: search.Kind(r.URL.Query().Get("kind")), Limit: inboxSearchPage}
	if q.Kind == "" {
		q.Kind = search.Messages
	}
	if q.Kind != search.Messages && q.Kind != search.Contacts {
		return apperr.Invalidf("kind", "kind must be messages or contacts; got %q", q.Kind)
	}
	if c := r.URL.Query().Get("cursor"); c != "" {
		if q.After, err = strconv.ParseInt(c, 10, 64); err != nil || q.After <= 0 {
			return apperr.Invalidf("cursor", "cursor is not one this search gave")
		}
	}
	hits, err := s.cfg.Store.Search(r.Context(), orgID(r), q)
	if err != nil {
		return err
	}
	next := ""
	if len(hits) > q.Limit {
		hits = hits[:q.Limit]
		last := hits[len(hits)-1]
		next = strconv.FormatInt(last.ContactID, 10)
		if q.Kind == search.Messages {
			next = strconv.FormatInt(last.MessageID, 10)
		}
	}
	out := make([]inboxHit, 0, len(hits))
	for _, h := range hits {
		name, email := contactNames(h.Contact)
		hit := inboxHit{ContactID: h.ContactID, ContactName: name, ContactEmail: email, ConversationID: h.ConversationID,
			MessageID: h.MessageID, Type: h.Type, Status: h.Status, CreatedAt: h.CreatedAt}
		if h.MessageID != 0 {
			hit.Text = snippet(conversation.DisplayText(h.Body), words[0], 160)
		}
		out = append(out, hit)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"data": out, "next": next})
}

// snippet is text on one line, at most n runes, cut so that the first
// word starting with prefix shows.
func snippet(text, prefix string, n int) string {
	rs := []rune(strings.Join(strings.Fields(text), " "))
	at := 0
	for i := range rs {
		if (i == 0 || !isWordRune(rs[i-1])) && hasPrefixFold(rs[i:], prefix) {
			at = i
			break
		}
	}
	start := max(0, at-n/3)
	if len(rs)-start < n {
		start = max(0, len(rs)-n)
	}
	out := string(rs[start:min(len(rs), start+n)])
	if start > 0 {
		out = "…" + out
	}
	if start+n < len(rs) {
		out += "…"
	}
	return out
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func hasPrefixFold(rs []rune, prefix string) bool {
	i := 0
	for _, p := range prefix {
		if i >= len(rs) || unicode.ToLower(rs[i]) != p {
			return false
		}
		i++
	}
	return true
}
