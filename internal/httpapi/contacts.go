package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/contact"
)

// attributesBody is the body of contact create and update requests.
type attributesBody struct {
	Attributes map[string]any `json:"attributes"`
}

func (b *attributesBody) decode(r *http.Request) error {
	if err := decodeJSON(r, b); err != nil {
		return err
	}
	if b.Attributes == nil {
		return apperr.Invalidf("attributes", "attributes is required and must be an object")
	}
	return nil
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request) error {
	var body attributesBody
	if err := body.decode(r); err != nil {
		return err
	}
	c, err := s.cfg.Store.CreateContact(r.Context(), orgID(r), body.Attributes)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(c))
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.cfg.Store.GetContact(r.Context(), orgID(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(c))
}

// listContacts serves GET /contacts?email= and GET /contacts?idType=external&id=…
// Both answer a list: an email is not unique among contacts. With neither,
// it lists the org's contacts (see listAllContacts).
func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var cs []*contact.Contact
	var err error
	switch {
	case !q.Has("email") && !q.Has("idType") && !q.Has("id"):
		return s.listAllContacts(w, r)
	case q.Has("email"):
		limit, lerr := queryInt(r, "limit", 100, 1, 1000)
		if lerr != nil {
			return lerr
		}
		email := strings.TrimSpace(q.Get("email"))
		if email == "" {
			return apperr.Invalidf("email", "email must not be empty")
		}
		cs, err = s.cfg.Store.ContactsByEmail(r.Context(), orgID(r), email, limit)
	case q.Has("idType") || q.Has("id"):
		if t := q.Get("idType"); t != string(contact.IDTypeExternal) {
			return apperr.Invalidf("idType", "idType must be %q to list contacts by externalId, got %q", contact.IDTypeExternal, t)
		}
		ids := nonEmpty(q["id"])
		if len(ids) == 0 {
			return apperr.Invalidf("id", "give at least one externalId as id")
		}
		if len(ids) > 100 {
			return apperr.Invalidf("id", "at most 100 ids at once, got %d", len(ids))
		}
		cs, err = s.cfg.Store.ContactsByExternalID(r.Context(), orgID(r), ids)
	}
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []*contact.Contact{}
	}
	return writeJSON(w, http.StatusOK, data(cs))
}

// Page sizes of the contact list.
const (
	contactsDefault = 25
	contactsMax     = 100
)

// contactsCursor is the position of a contact list page: below this id.
type contactsCursor struct {
	Before int64 `json:"b"`
}

// listAllContacts serves GET /contacts without email or idType: the org's
// contacts, newest first, limit a page (default 25; over 100 is capped),
// in the same data array, with pagination.next (a signed cursor, taken back
// as next or page_token) and links.next, as the conversation list pages.
func (s *Server) listAllContacts(w http.ResponseWriter, r *http.Request) error {
	limit, err := cappedQueryInt(r, "limit", contactsDefault, contactsMax)
	if err != nil {
		return err
	}
	purpose := fmt.Sprintf("contacts/%d", orgID(r))
	cur, err := pageCursor[contactsCursor](s.cfg.Pages, purpose, r)
	if err != nil {
		return err
	}
	var before int64
	if cur != nil {
		before = cur.Before
	}
	cs, err := s.cfg.Store.ListContacts(r.Context(), orgID(r), before, limit+1)
	if err != nil {
		return err
	}
	pagination := map[string]any{"more": len(cs) > limit}
	links := map[string]string{"self": s.cfg.PublicURL + r.URL.RequestURI()}
	if len(cs) > limit {
		cs = cs[:limit]
		tok, err := s.cfg.Pages.Encode(purpose, contactsCursor{Before: cs[limit-1].ID})
		if err != nil {
			return err
		}
		next := r.URL.Query()
		next.Del("page_token")
		next.Set("next", tok)
		pagination["next"] = tok
		links["next"] = s.cfg.PublicURL + r.URL.Path + "?" + next.Encode()
	}
	if cs == nil {
		cs = []*contact.Contact{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"data": cs, "pagination": pagination, "links": links})
}

func nonEmpty(vs []string) []string {
	var out []string
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (s *Server) updateContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.updateContactByID(w, r, id)
}

func (s *Server) updateContactByID(w http.ResponseWriter, r *http.Request, id int64) error {
	var body attributesBody
	if err := body.decode(r); err != nil {
		return err
	}
	c, err := s.cfg.Store.UpdateContact(r.Context(), orgID(r), id, body.Attributes)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(c))
}

// normalizeContact serves PATCH /contacts/normalize?idType=…&id=…: an update
// of the contact found by Drift id or by externalId.
func (s *Server) normalizeContact(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	raw := strings.TrimSpace(q.Get("id"))
	if raw == "" {
		return apperr.Invalidf("id", "id is required")
	}
	switch contact.IDType(q.Get("idType")) {
	case contact.IDTypeDrift, contact.IDTypeInternal:
		id, err := parseID("id", raw)
		if err != nil {
			return err
		}
		return s.updateContactByID(w, r, id)
	case contact.IDTypeExternal:
		cs, err := s.cfg.Store.ContactsByExternalID(r.Context(), orgID(r), []string{raw})
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return apperr.NotFoundf("no contact with externalId %q", raw)
		}
		return s.updateContactByID(w, r, cs[0].ID)
	}
	return apperr.Invalidf("idType", "idType must be one of drift, external, internal; got %q", q.Get("idType"))
}

func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.cfg.Store.DeleteContact(r.Context(), orgID(r), id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, okBody)
}

// timelineBody is POST /contacts/timeline. contactId and externalId arrive as
// numbers or strings (the seed's example sends externalId: 0).
type timelineBody struct {
	ContactID  any            `json:"contactId"`
	ExternalID any            `json:"externalId"`
	Event      any            `json:"event"`
	CreatedAt  any            `json:"createdAt"`
	Attributes map[string]any `json:"attributes"`
}

func (s *Server) postTimelineEvent(w http.ResponseWriter, r *http.Request) error {
	var body timelineBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	var ref contact.TimelineRef
	// contactId 0 (or null) beside an externalId means "by externalId", as
	// clients that fill every field send it.
	byExternal := body.ExternalID != nil && (body.ContactID == nil || scalarString(body.ContactID) == "0")
	switch {
	case body.ContactID != nil && !byExternal:
		id, err := parseID("contactId", scalarString(body.ContactID))
		if err != nil {
			return err
		}
		ref.ContactID = id
	case body.ExternalID != nil:
		ext, err := contact.ExternalIDString(body.ExternalID)
		if err != nil {
			return apperr.Invalidf("externalId", "externalId %s", err)
		}
		ref.ExternalID = ext
	default:
		return apperr.Invalidf("contactId", "give contactId or externalId")
	}
	event, ok := body.Event.(string)
	if !ok || strings.TrimSpace(event) == "" {
		return apperr.Invalidf("event", "event is required and must be a non-empty string")
	}
	ev := contact.TimelineEvent{Event: strings.ToLower(strings.TrimSpace(event)), Attributes: body.Attributes}
	if body.CreatedAt != nil {
		n, ok := body.CreatedAt.(json.Number)
		ms, err := n.Int64()
		if !ok || err != nil || ms < 0 {
			return apperr.Invalidf("createdAt", "createdAt must be epoch milliseconds")
		}
		ev.CreatedAt = ms // 0 means now
	}
	out, err := s.cfg.Store.AddTimelineEvent(r.Context(), orgID(r), ref, ev)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(out))
}

// scalarString renders a JSON string or number as its text; other values
// render as "" so that the id parser rejects them.
func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

func (s *Server) listContactAttributes(w http.ResponseWriter, r *http.Request) error {
	defs, err := s.cfg.Store.ListContactAttributes(r.Context(), orgID(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(map[string]any{"properties": defs}))
}

// unsubscribe serves POST /emails/unsubscribe, whose body is an array of emails.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	var emails []string
	if err := decodeJSON(r, &emails); err != nil {
		return err
	}
	if len(emails) == 0 {
		return apperr.Invalidf("body", "give a JSON array of at least one email")
	}
	if len(emails) > 1000 {
		return apperr.Invalidf("body", "at most 1000 emails at once, got %d", len(emails))
	}
	if _, err := s.cfg.Store.Unsubscribe(r.Context(), orgID(r), emails); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, okBody)
}
