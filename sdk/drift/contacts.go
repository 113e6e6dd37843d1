package drift

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// Contact is a person known by email and/or externalId (Drift's contact
// model). Attribute values decode with numbers as json.Number.
type Contact struct {
	ID         int64      `json:"id"`
	CreatedAt  int64      `json:"createdAt"` // epoch ms
	Attributes Attributes `json:"attributes"`
}

// Attributes are a contact's attributes: standard ones (email, name,
// phone, externalId, tags, socialProfiles, start_date, …) and custom ones,
// snake_case by convention.
type Attributes map[string]any

// Email returns the contact's email attribute, or "".
func (c *Contact) Email() string { s, _ := c.Attributes["email"].(string); return s }

// ExternalID returns the contact's externalId attribute, or "".
func (c *Contact) ExternalID() string { s, _ := c.Attributes["externalId"].(string); return s }

// CreateContact creates a contact; attrs must hold "email". An email
// already in use is an error unless attrs also hold an "externalId": then
// externalId is what must be unique.
func (c *Client) CreateContact(ctx context.Context, attrs Attributes) (*Contact, error) {
	return doData[*Contact](ctx, c, http.MethodPost, "/contacts", map[string]any{"attributes": attrs})
}

// GetContact returns the contact with Drift id id.
func (c *Client) GetContact(ctx context.Context, id int64) (*Contact, error) {
	return getData[*Contact](ctx, c, "/contacts/"+pathID(id), nil)
}

// FindContactsByEmail returns the contacts with that email: an email is not
// unique among contacts (contacts with different externalIds may share one).
// limit 0 means the server's default.
func (c *Client) FindContactsByEmail(ctx context.Context, email string, limit int) ([]Contact, error) {
	q := url.Values{"email": {email}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return getData[[]Contact](ctx, c, "/contacts", q)
}

// ContactPage is one page of the org's contacts, newest first.
type ContactPage struct {
	Data       []Contact  `json:"data"`
	Links      Links      `json:"links"`
	Pagination Pagination `json:"pagination"`
}

// ListContacts lists the org's contacts newest first, limit a page (0: the
// server's default, 25; at most 100), from the page the cursor next names
// ("" for the first: pass the previous page's Pagination.Next).
func (c *Client) ListContacts(ctx context.Context, limit int, next string) (*ContactPage, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if next != "" {
		q.Set("next", next)
	}
	var p ContactPage
	if err := c.get(ctx, "/contacts", q, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Contacts iterates over every contact of the org, newest first, limit a
// page (0: the server's default).
func (c *Client) Contacts(ctx context.Context, limit int) iter.Seq2[Contact, error] {
	return paginate(func(cursor string) ([]Contact, string, error) {
		p, err := c.ListContacts(ctx, limit, cursor)
		if err != nil {
			return nil, "", err
		}
		return p.Data, p.Pagination.Next, nil
	})
}

// FindContactsByExternalID returns the contacts with those externalIds.
func (c *Client) FindContactsByExternalID(ctx context.Context, externalIDs ...string) ([]Contact, error) {
	return getData[[]Contact](ctx, c, "/contacts", url.Values{"idType": {string(IDTypeExternal)}, "id": externalIDs})
}

// UpdateContact adds or overwrites the given attributes of contact id; new
// keys become custom attributes.
func (c *Client) UpdateContact(ctx context.Context, id int64, attrs Attributes) (*Contact, error) {
	return doData[*Contact](ctx, c, http.MethodPatch, "/contacts/"+pathID(id), map[string]any{"attributes": attrs})
}

// IDType says what kind of id UpdateContactBy names a contact by.
type IDType string

// The id types of PATCH /contacts/normalize.
const (
	IDTypeDrift    IDType = "drift"
	IDTypeExternal IDType = "external"
	IDTypeInternal IDType = "internal"
)

// UpdateContactBy updates the contact named by an id of the given type,
// such as its externalId (PATCH /contacts/normalize).
func (c *Client) UpdateContactBy(ctx context.Context, idType IDType, id string, attrs Attributes) (*Contact, error) {
	path := withQuery("/contacts/normalize", url.Values{"idType": {string(idType)}, "id": {id}})
	return doData[*Contact](ctx, c, http.MethodPatch, path, map[string]any{"attributes": attrs})
}

// DeleteContact deletes contact id.
func (c *Client) DeleteContact(ctx context.Context, id int64) error {
	return c.doOK(ctx, http.MethodDelete, "/contacts/"+pathID(id), nil)
}

// TimelineEvent is an event on a contact's timeline. Name the contact by
// ContactID or by ExternalID.
type TimelineEvent struct {
	ContactID  int64          `json:"contactId,omitempty"`
	ExternalID string         `json:"externalId,omitempty"`
	Event      string         `json:"event"`
	CreatedAt  int64          `json:"createdAt,omitempty"` // epoch ms; 0: now
	Attributes map[string]any `json:"attributes,omitempty"`
}

// PostTimelineEvent records ev on its contact's timeline and returns it as
// stored (the event name lower-cased, createdAt set).
func (c *Client) PostTimelineEvent(ctx context.Context, ev TimelineEvent) (*TimelineEvent, error) {
	return doData[*TimelineEvent](ctx, c, http.MethodPost, "/contacts/timeline", ev)
}

// AttributeDefinition describes a contact attribute.
type AttributeDefinition struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Type        string `json:"type"` // STRING, NUMERIC, BOOLEAN, DATETIME or DATE
}

// ListContactAttributes lists the org's contact attributes (scope
// all_contact_read).
func (c *Client) ListContactAttributes(ctx context.Context) ([]AttributeDefinition, error) {
	d, err := getData[struct {
		Properties []AttributeDefinition `json:"properties"`
	}](ctx, c, "/contacts/attributes", nil)
	return d.Properties, err
}

// Unsubscribe opts the contacts with these emails out of email.
func (c *Client) Unsubscribe(ctx context.Context, emails ...string) error {
	if emails == nil {
		emails = []string{}
	}
	return c.doOK(ctx, http.MethodPost, "/emails/unsubscribe", emails)
}

// FlexibleID is an id Drift sends as a number in some places and as a
// string in others; it holds the id's text ("" for null).
type FlexibleID string

// UnmarshalJSON implements json.Unmarshaler.
func (f *FlexibleID) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		*f = ""
	case string:
		*f = FlexibleID(x)
	default:
		*f = FlexibleID(b)
	}
	return nil
}

// ContactTags lists contact id's tags (legacy: Drift keeps them in the
// contact's "tags" attribute).
func (c *Client) ContactTags(ctx context.Context, id int64) ([]Tag, error) {
	return getData[[]Tag](ctx, c, "/contacts/"+pathID(id)+"/tags", nil)
}

// AddContactTags adds tags to contact id (a tag of the same name is
// replaced) and returns its tags.
func (c *Client) AddContactTags(ctx context.Context, id int64, tags ...Tag) ([]Tag, error) {
	return doData[[]Tag](ctx, c, http.MethodPost, "/contacts/"+pathID(id)+"/tags", tags)
}

// RemoveContactTags removes the named tags from contact id and returns its
// tags.
func (c *Client) RemoveContactTags(ctx context.Context, id int64, names ...string) ([]Tag, error) {
	if len(names) == 1 {
		return doData[[]Tag](ctx, c, http.MethodDelete, "/contacts/"+pathID(id)+"/tags/"+url.PathEscape(names[0]), nil)
	}
	return doData[[]Tag](ctx, c, http.MethodPost, "/contacts/"+pathID(id)+"/tags/delete/_bulk", names)
}
