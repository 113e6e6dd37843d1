package httpapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/conversation"
)

// What the contact sidebar lists.
const (
	sidebarConversations = 10
	sidebarTimeline      = 20
)

// inboxAccount is the account a contact belongs to, as the sidebar shows it.
type inboxAccount struct {
	AccountID string `json:"accountId"`
	Name      string `json:"name"`
	Domain    string `json:"domain"`
	OwnerID   int64  `json:"ownerId"`
}

// inboxContact serves GET /inbox/api/contacts/{id}: what the sidebar shows
// of a contact: its attributes, its latest conversations, the account of
// its email's domain (null: none) and its latest timeline events. Edits go
// to PATCH /inbox/api/contacts/{id}, the REST API's update (contact_updated).
func (s *Server) inboxContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ct, err := s.cfg.Store.GetContact(r.Context(), orgID(r), id)
	if err != nil {
		return err
	}
	convs, err := s.cfg.Store.InboxConversations(r.Context(), orgID(r), conversation.InboxQuery{
		View: conversation.ViewAll, ContactID: id, Limit: sidebarConversations})
	if err != nil {
		return err
	}
	if len(convs) > sidebarConversations {
		convs = convs[:sidebarConversations]
	}
	var acct *inboxAccount
	if _, domain, ok := strings.Cut(ct.Email(), "@"); ok && domain != "" {
		a, err := s.cfg.Store.AccountForDomain(r.Context(), orgID(r), domain)
		switch {
		case err == nil:
			acct = &inboxAccount{AccountID: a.AccountID, Name: a.Name, Domain: a.Domain, OwnerID: a.OwnerID}
		case !errors.Is(err, apperr.ErrNotFound):
			return err
		}
	}
	timeline, err := s.cfg.Store.ContactTimeline(r.Context(), orgID(r), id, sidebarTimeline)
	if err != nil {
		return err
	}
	unread, err := s.unreadOf(r, convs)
	if err != nil {
		return err
	}
	name, email := contactNames(ct.Attributes)
	return writeJSON(w, http.StatusOK, data(map[string]any{
		"id": ct.ID, "name": name, "email": email, "attributes": ct.Attributes,
		"conversations": toInboxSummaries(convs, unread), "account": acct, "timeline": timeline,
	}))
}
