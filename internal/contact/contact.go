// Package contact is Drift's contact: a person known by email and/or
// externalId, with free-form attributes. It holds the contact's shape, the
// rules a write must follow and the events a write causes; the store applies
// them inside one transaction.
package contact

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/mail"
	"reflect"
	"slices"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/events"
)

// Contact is Drift's contact object.
type Contact struct {
	ID         int64      `json:"id"`
	CreatedAt  int64      `json:"createdAt"` // epoch ms
	Attributes Attributes `json:"attributes"`

	OrgID     int64 `json:"-"`
	UpdatedAt int64 `json:"-"`
}

// Attributes are a contact's attributes. Values are decoded with
// json.Decoder.UseNumber, so numbers keep their exact text (int64 ids).
type Attributes map[string]any

// Standard attribute names that carry rules.
const (
	AttrEmail       = "email"
	AttrExternalID  = "externalId"
	attrExternalID2 = "external_id" // Drift's mirror of externalId
	attrStartDate   = "start_date"
	attrTags        = "tags"
	attrEvents      = "events"
	attrSocial      = "socialProfiles"
)

// versionAttrs are Drift's bookkeeping counters, bumped on every write.
var versionAttrs = []string{"_END_USER_VERSION", "_end_user_version", "_calculated_version"}

// serverOwned are attributes a client cannot set: the store derives them.
var serverOwned = append([]string{attrExternalID2, attrStartDate}, versionAttrs...)

// Email returns the contact's email, or "".
func (c *Contact) Email() string { s, _ := c.Attributes[AttrEmail].(string); return s }

// ExternalID returns the contact's externalId, or "".
func (c *Contact) ExternalID() string { s, _ := c.Attributes[AttrExternalID].(string); return s }

// New builds a contact from the attributes of a create request. Email is
// required; null values are dropped; server-owned attributes are ignored.
func New(attrs map[string]any, now int64) (*Contact, error) {
	if attrs == nil {
		return nil, apperr.Invalidf("attributes", "attributes is required")
	}
	if _, ok := attrs[AttrEmail]; !ok || attrs[AttrEmail] == nil {
		return nil, apperr.Invalidf("attributes.email", "attributes.email is required")
	}
	c := &Contact{CreatedAt: now, UpdatedAt: now, Attributes: Attributes{
		AttrExternalID: nil,
		attrStartDate:  json.Number(fmt.Sprint(now)),
		attrTags:       []any{},
		attrEvents:     map[string]any{},
		attrSocial:     map[string]any{},
	}}
	if _, err := c.apply(attrs); err != nil {
		return nil, err
	}
	c.setVersion(1)
	return c, nil
}

// Change is one entry of a contact_updated event's diff.
type Change struct {
	Name     string `json:"name"` // "attributes.x" or "socialProfiles.y"
	Previous any    `json:"previous"`
	Updated  any    `json:"updated"`
}

// Update applies the attributes of an update request to c: keys are added or
// overwritten, a null value removes the key. It returns the contact_updated
// event with what changed, or no event when nothing did.
func (c *Contact) Update(patch map[string]any, now int64) ([]events.Event, error) {
	changes, err := c.update(patch, now)
	if err != nil || len(changes) == 0 {
		return nil, err
	}
	return []events.Event{events.New(c.OrgID, events.ContactUpdated, UpdatedPayload{
		EndUserID: c.ID, Timestamp: now, OrgID: c.OrgID, Diff: changes,
	})}, nil
}

func (c *Contact) update(patch map[string]any, now int64) ([]Change, error) {
	if patch == nil {
		return nil, apperr.Invalidf("attributes", "attributes is required")
	}
	changes, err := c.apply(patch)
	if err != nil || len(changes) == 0 {
		return changes, err
	}
	c.UpdatedAt = now
	v, _ := c.Attributes[versionAttrs[0]].(json.Number).Int64()
	c.setVersion(v + 1)
	return changes, nil
}

// unsubscribedAttr marks a contact that opted out of email. Drift's docs do
// not name the attribute; Driftwood's choice.
const unsubscribedAttr = "unsubscribed"

// Unsubscribe marks c as opted out of email and returns user_unsubscribed
// (even when c already was: the request is announced, not the change).
func (c *Contact) Unsubscribe(now int64) ([]events.Event, error) {
	if _, err := c.update(map[string]any{unsubscribedAttr: true}, now); err != nil {
		return nil, err
	}
	return []events.Event{events.New(c.OrgID, events.UserUnsubscribed, c)}, nil
}

func (c *Contact) setVersion(v int64) {
	for _, k := range versionAttrs {
		c.Attributes[k] = json.Number(fmt.Sprint(v))
	}
}

// apply validates and merges attrs into c, returning the changes.
func (c *Contact) apply(attrs map[string]any) ([]Change, error) {
	attrs = maps.Clone(attrs)
	if err := normalize(attrs); err != nil {
		return nil, err
	}
	var changes []Change
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		if slices.Contains(serverOwned, k) {
			continue
		}
		v := attrs[k]
		if k == attrSocial {
			changes = append(changes, c.applySocial(v)...)
			continue
		}
		old, had := c.Attributes[k]
		if v == nil && !had {
			continue
		}
		if had && reflect.DeepEqual(old, v) {
			continue
		}
		changes = append(changes, Change{Name: "attributes." + k, Previous: old, Updated: v})
		if v == nil && k != AttrExternalID {
			delete(c.Attributes, k)
		} else {
			c.Attributes[k] = v
		}
	}
	if ext, ok := c.Attributes[AttrExternalID].(string); ok {
		c.Attributes[attrExternalID2] = ext
	} else {
		delete(c.Attributes, attrExternalID2)
	}
	return changes, nil
}

// applySocial merges social profiles key by key, as Drift reports them.
func (c *Contact) applySocial(v any) []Change {
	cur, _ := c.Attributes[attrSocial].(map[string]any)
	if cur == nil {
		cur = map[string]any{}
	}
	patch, _ := v.(map[string]any) // normalize checked the type
	var changes []Change
	for _, k := range slices.Sorted(maps.Keys(patch)) {
		old, had := cur[k]
		nv := patch[k]
		if (!had && nv == nil) || (had && reflect.DeepEqual(old, nv)) {
			continue
		}
		changes = append(changes, Change{Name: "socialProfiles." + k, Previous: old, Updated: nv})
		if nv == nil {
			delete(cur, k)
		} else {
			cur[k] = nv
		}
	}
	c.Attributes[attrSocial] = cur
	return changes
}

// normalize checks the types of the attributes with rules and brings them to
// their stored form: emails trimmed, externalId a string.
func normalize(attrs map[string]any) error {
	if v, ok := attrs[AttrEmail]; ok && v != nil {
		s, isStr := v.(string)
		if !isStr {
			return apperr.Invalidf("attributes.email", "attributes.email must be a string, got %s", kind(v))
		}
		s = strings.TrimSpace(s)
		if len(s) > maxEmailBytes {
			return apperr.Invalidf("attributes.email", "attributes.email must be at most %d bytes", maxEmailBytes)
		}
		if _, err := mail.ParseAddress(s); err != nil || strings.ContainsAny(s, "<> ") {
			return apperr.Invalidf("attributes.email", "attributes.email %q is not an email address", s)
		}
		attrs[AttrEmail] = s
	}
	for _, k := range []string{AttrExternalID, attrExternalID2} {
		v, ok := attrs[k]
		if !ok || v == nil {
			continue
		}
		s, err := ExternalIDString(v)
		if err != nil {
			return apperr.Invalidf("attributes."+k, "attributes.%s %s", k, err)
		}
		if len(s) > maxKeyBytes {
			return apperr.Invalidf("attributes."+k, "attributes.%s must be at most %d bytes", k, maxKeyBytes)
		}
		// A client that sends only the snake_case mirror means externalId.
		attrs[AttrExternalID] = s
	}
	if v, ok := attrs[attrSocial]; ok && v != nil {
		if _, isObj := v.(map[string]any); !isObj {
			return apperr.Invalidf("attributes.socialProfiles", "attributes.socialProfiles must be an object, got %s", kind(v))
		}
	}
	return nil
}

// maxKeyBytes bounds an externalId, a unique key: PostgreSQL cannot index
// a key much longer (2704 bytes).
const maxKeyBytes = 1000

// maxEmailBytes is the longest address SMTP carries (RFC 5321).
const maxEmailBytes = 254

// ExternalIDString accepts an externalId as a JSON string or number (the seed
// listing's examples send numbers) and returns its string form.
func ExternalIDString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) == "" {
			return "", fmt.Errorf("must not be empty")
		}
		return x, nil
	case json.Number:
		return x.String(), nil
	}
	return "", fmt.Errorf("must be a string or a number, got %s", kind(v))
}

// kind names a decoded JSON value's type for error messages.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// UpdatedPayload is the data of a contact_updated event.
type UpdatedPayload struct {
	EndUserID int64    `json:"endUserId"`
	Timestamp int64    `json:"timestamp"`
	OrgID     int64    `json:"orgId"`
	Diff      []Change `json:"diff"`
}

// TimelineEvent is an event posted to a contact's timeline.
type TimelineEvent struct {
	ID         int64          `json:"-"`
	ContactID  int64          `json:"contactId"`
	ExternalID string         `json:"externalId,omitempty"`
	Event      string         `json:"event"`
	CreatedAt  int64          `json:"createdAt"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// TimelineRef says which contact a timeline event is for: by Drift id or by
// externalId.
type TimelineRef struct {
	ContactID  int64
	ExternalID string
}

// IDType selects how /contacts/normalize finds its contact.
type IDType string

// The idType values of /contacts/normalize. "internal" is Drift's own id,
// the same as "drift" here.
const (
	IDTypeDrift    IDType = "drift"
	IDTypeExternal IDType = "external"
	IDTypeInternal IDType = "internal"
)

// Store is the persistence of contacts. Every write runs in one transaction
// with the events it causes. An id of another org reads as not found.
type Store interface {
	CreateContact(ctx context.Context, orgID int64, attrs map[string]any) (*Contact, error)
	GetContact(ctx context.Context, orgID, id int64) (*Contact, error)
	// ContactsByEmail lists the contacts with that email (case-insensitive),
	// oldest first, at most limit of them.
	ContactsByEmail(ctx context.Context, orgID int64, email string, limit int) ([]*Contact, error)
	ContactsByExternalID(ctx context.Context, orgID int64, externalIDs []string) ([]*Contact, error)
	// ListContacts lists the org's contacts newest first: up to limit of
	// them with an id below beforeID (0: from the newest).
	ListContacts(ctx context.Context, orgID, beforeID int64, limit int) ([]*Contact, error)
	// UpdateContact merges attrs and records contact_updated when anything changed.
	UpdateContact(ctx context.Context, orgID, id int64, attrs map[string]any) (*Contact, error)
	// UpdateContactWith is UpdateContact with the attributes computed from the
	// contact as it is inside the transaction (read-modify-write without races).
	UpdateContactWith(ctx context.Context, orgID, id int64, patch func(*Contact) (map[string]any, error)) (*Contact, error)
	DeleteContact(ctx context.Context, orgID, id int64) error
	AddTimelineEvent(ctx context.Context, orgID int64, ref TimelineRef, ev TimelineEvent) (*TimelineEvent, error)
	ListContactAttributes(ctx context.Context, orgID int64) ([]AttributeDef, error)
	// Unsubscribe marks every contact with one of the emails as unsubscribed
	// from email and records user_unsubscribed for each.
	Unsubscribe(ctx context.Context, orgID int64, emails []string) (int, error)
}

// Tag is a legacy contact tag (drift-python's add_tags and remove_tag); Drift
// keeps them in the "tags" attribute.
type Tag struct {
	Name  string `json:"name"`
	Color string `json:"color,omitempty"`
}

// Tags returns the contact's tags.
func (c *Contact) Tags() []Tag {
	list, _ := c.Attributes[attrTags].([]any)
	var out []Tag
	for _, v := range list {
		m, _ := v.(map[string]any)
		name, _ := m["name"].(string)
		color, _ := m["color"].(string)
		if name != "" {
			out = append(out, Tag{Name: name, Color: color})
		}
	}
	return out
}

// TagsAttribute returns the attributes patch that sets the contact's tags
// to its current ones plus add (replacing same-named tags) minus remove;
// names compare case-insensitively.
func (c *Contact) TagsAttribute(add []Tag, remove []string) (map[string]any, error) {
	drop := func(name string) bool {
		return slices.ContainsFunc(remove, func(r string) bool { return strings.EqualFold(r, name) }) ||
			slices.ContainsFunc(add, func(t Tag) bool { return strings.EqualFold(t.Name, name) })
	}
	list := []any{}
	for _, t := range c.Tags() {
		if !drop(t.Name) {
			list = append(list, tagValue(t))
		}
	}
	for _, t := range add {
		if strings.TrimSpace(t.Name) == "" {
			return nil, apperr.Invalidf("name", "every tag needs a name")
		}
		list = append(list, tagValue(t))
	}
	return map[string]any{attrTags: list}, nil
}

func tagValue(t Tag) map[string]any {
	m := map[string]any{"name": t.Name}
	if t.Color != "" {
		m["color"] = t.Color
	}
	return m
}

// Identified is the contact_identified event of c, newly tied to an email
// (in chat, or by a visitor's first conversation).
func (c *Contact) Identified() events.Event {
	return events.New(c.OrgID, events.ContactIdentified, c)
}
