// Package scim is SCIM 2.0 user provisioning (RFC 7643, RFC 7644) over
// Drift's users: the User resource and its mapping onto a Drift user, the
// filter and PATCH path languages, the discovery documents and SCIM's
// error vocabulary. It imports no SQL and no HTTP.
package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/user"
)

// URNs of the schemas and messages Driftwood speaks.
const (
	UserSchema     = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupSchema    = "urn:ietf:params:scim:schemas:core:2.0:Group"
	OldCoreSchema  = "urn:scim:schemas:core:2.0" // Drift's docs and seed still send it
	ListResponse   = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	PatchOpSchema  = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	ErrorSchema    = "urn:ietf:params:scim:api:messages:2.0:Error"
	SPConfigSchema = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	ResourceSchema = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaSchema   = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// Type is a SCIM error's scimType (RFC 7644 §3.12). It rides as the cause
// of an *apperr.Error, so the HTTP layer can put it in SCIM's error body.
type Type string

// The scimType values Driftwood answers with.
const (
	InvalidFilter Type = "invalidFilter"
	InvalidPath   Type = "invalidPath"
	InvalidSyntax Type = "invalidSyntax"
	InvalidValue  Type = "invalidValue"
	NoTarget      Type = "noTarget"
	Mutability    Type = "mutability"
	Uniqueness    Type = "uniqueness"
	TooMany       Type = "tooMany"
)

func (t Type) Error() string { return "scim: " + string(t) }

// errorf is a 400 of the given scimType.
func errorf(t Type, format string, args ...any) error {
	e := apperr.New(apperr.Invalid, format, args...)
	e.Err = t
	return e
}

// Record is a Drift user with the SCIM attributes Drift's user object lacks.
type Record struct {
	user.User
	Active     bool
	UserName   string // "" for users made outside SCIM: the email stands in
	GivenName  string
	FamilyName string
	Formatted  string
	ExternalID string
	// Emails are the user's SCIM emails as last written; nil for a user
	// whose emails SCIM never wrote, whose one email is its Drift email.
	Emails []MultiValue
}

// UserNameKey is the form of a userName that uniqueness compares: Unicode
// case-folded after NFC normalization (RFC 7643 §4.1.1: userName is
// case-insensitive), computed here rather than by the database, whose
// lower() folds ASCII only (SQLite) or by locale (PostgreSQL).
func UserNameKey(userName string) string {
	return cases.Fold().String(norm.NFC.String(userName))
}

// Store is the persistence of SCIM-managed users: every user of the org but
// its bot. Another org's user, and the bot, read as not found; a userName
// already taken in the org (compared case-insensitively) is a conflict.
type Store interface {
	// SCIMUsers lists the org's users but the bot, by id.
	SCIMUsers(ctx context.Context, orgID int64) ([]*Record, error)
	SCIMUser(ctx context.Context, orgID, id int64) (*Record, error)
	// CreateSCIMUser inserts r, setting its ID and timestamps.
	CreateSCIMUser(ctx context.Context, r *Record) error
	// UpdateSCIMUser applies change to the user inside one transaction and
	// saves it. change may run more than once and must have no other effect.
	UpdateSCIMUser(ctx context.Context, orgID, id int64, change func(*Record) error) (*Record, error)
	DeleteSCIMUser(ctx context.Context, orgID, id int64) error
}

// User is the SCIM User resource as Driftwood reads and writes it.
type User struct {
	Schemas      []string     `json:"schemas,omitempty"`
	ID           string       `json:"id,omitempty"`
	ExternalID   string       `json:"externalId,omitempty"`
	UserName     string       `json:"userName"`
	Name         *Name        `json:"name,omitempty"`
	DisplayName  string       `json:"displayName,omitempty"`
	Active       *Bool        `json:"active,omitempty"` // absent in a request means true
	Emails       []MultiValue `json:"emails,omitempty"`
	PhoneNumbers []MultiValue `json:"phoneNumbers,omitempty"`
	Photos       []MultiValue `json:"photos,omitempty"`
	Roles        []MultiValue `json:"roles,omitempty"`
	Locale       string       `json:"locale,omitempty"`
	Timezone     string       `json:"timezone,omitempty"`
	Meta         *Meta        `json:"meta,omitempty"`
}

// Bool is a SCIM boolean. It also reads the strings "True" and "False",
// which Microsoft Entra sends.
type Bool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *Bool) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case bool:
		*b = Bool(v)
		return nil
	case string:
		if p, err := strconv.ParseBool(v); err == nil {
			*b = Bool(p)
			return nil
		}
	}
	return errorf(InvalidValue, "active must be a boolean, got %s", data)
}

// Name is a user's name components.
type Name struct {
	Formatted  string `json:"formatted,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
	GivenName  string `json:"givenName,omitempty"`
}

// MultiValue is one value of a multi-valued attribute (emails, roles, …).
type MultiValue struct {
	Value   string `json:"value,omitempty"`
	Display string `json:"display,omitempty"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// Meta is a resource's metadata.
type Meta struct {
	ResourceType string `json:"resourceType"`
	Created      string `json:"created,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	Location     string `json:"location,omitempty"`
	Version      string `json:"version,omitempty"`
}

// Time renders epoch milliseconds as SCIM's dateTime.
func Time(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z") }

// Resource renders r as a SCIM User; base is the SCIM base URL for
// meta.location. A user made outside SCIM, which has only a display name,
// shows name parts derived from it.
func Resource(r *Record, base string) *User {
	return render(r, base, r.UserName == "")
}

// render renders r; with deriveNames, name parts absent from the record are
// derived from its display name. What is written back (PATCH) is rendered
// without, so derived parts never become data (RFC 7644 §3.5.2.2: a removed
// attribute stays removed).
func render(r *Record, base string, deriveNames bool) *User {
	id := strconv.FormatInt(r.ID, 10)
	active := Bool(r.Active)
	u := &User{
		Schemas:     []string{UserSchema},
		ID:          id,
		ExternalID:  r.ExternalID,
		UserName:    cmpOr(r.UserName, r.Email),
		DisplayName: r.Name,
		Active:      &active,
		Locale:      r.Locale,
		Timezone:    r.TimeZone,
		Meta: &Meta{ResourceType: "User", Created: Time(r.CreatedAt), LastModified: Time(r.UpdatedAt),
			Location: base + "/Users/" + id, Version: fmt.Sprintf(`W/"%d"`, r.UpdatedAt)},
	}
	given, family, formatted := r.GivenName, r.FamilyName, r.Formatted
	if deriveNames {
		if given == "" && family == "" {
			given, family, _ = strings.Cut(r.Name, " ")
		}
		formatted = cmpOr(formatted, strings.TrimSpace(given+" "+family))
	}
	if n := (Name{Formatted: formatted, FamilyName: family, GivenName: given}); n != (Name{}) {
		u.Name = &n
	}
	switch {
	case r.Emails != nil:
		u.Emails = slices.Clone(r.Emails)
	case r.Email != "":
		u.Emails = []MultiValue{{Value: r.Email, Type: "work", Primary: true}}
	}
	if r.Phone != "" {
		u.PhoneNumbers = []MultiValue{{Value: r.Phone, Type: "work", Primary: true}}
	}
	if r.AvatarURL != "" {
		u.Photos = []MultiValue{{Value: r.AvatarURL, Type: "photo", Primary: true}}
	}
	if r.Role != "" {
		role := strings.ToUpper(r.Role)
		u.Roles = []MultiValue{{Value: role, Display: strings.ToUpper(role[:1]) + r.Role[1:], Primary: true}}
	}
	return u
}

// cmpOr returns a if it is not empty, else b.
func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// maxEmails bounds how many emails a user keeps.
const maxEmails = 20

// maxUserNameBytes bounds a userName, a unique key: PostgreSQL cannot index
// a key much longer (2704 bytes).
const maxUserNameBytes = 1000

// Apply writes the attributes of u, a whole resource from a create or a
// replace, onto r. Attributes u leaves out are cleared, except the Drift
// role, which SCIM may set but never remove.
func (u *User) Apply(r *Record) error {
	if len(u.Schemas) > 0 && !slices.ContainsFunc(u.Schemas, isUserSchema) {
		return errorf(InvalidValue, "schemas must include %s", UserSchema)
	}
	userName := strings.TrimSpace(u.UserName)
	if userName == "" {
		return errorf(InvalidValue, "userName is required")
	}
	if len(userName) > maxUserNameBytes {
		return errorf(InvalidValue, "userName must be at most %d bytes", maxUserNameBytes)
	}
	r.UserName = userName
	r.ExternalID = u.ExternalID
	r.Active = u.Active == nil || bool(*u.Active)
	r.GivenName, r.FamilyName, r.Formatted = "", "", ""
	if u.Name != nil {
		r.GivenName, r.FamilyName, r.Formatted = u.Name.GivenName, u.Name.FamilyName, u.Name.Formatted
	}
	r.Name = cmpOr(u.DisplayName, cmpOr(r.Formatted, cmpOr(strings.TrimSpace(r.GivenName+" "+r.FamilyName), userName)))
	if len(u.Emails) > maxEmails {
		return errorf(InvalidValue, "at most %d emails", maxEmails)
	}
	for _, e := range u.Emails {
		if len(e.Value) > maxUserNameBytes || len(e.Type) > maxUserNameBytes || len(e.Display) > maxUserNameBytes {
			return errorf(InvalidValue, "an email's value, type and display are at most %d bytes", maxUserNameBytes)
		}
	}
	r.Emails = nil
	if u.Emails != nil {
		r.Emails = slices.Clone(u.Emails) // kept as sent, every one (multi-valued)
	}
	r.Email = primary(u.Emails)
	if u.Emails == nil && strings.Contains(userName, "@") {
		r.Email = userName // Drift's userName is the user's email
	}
	r.Phone = primary(u.PhoneNumbers)
	r.AvatarURL = primary(u.Photos)
	r.Locale, r.TimeZone = u.Locale, u.Timezone
	if role, ok := driftRole(primary(u.Roles)); ok {
		r.Role = role
	}
	return nil
}

func isUserSchema(s string) bool {
	return strings.EqualFold(s, UserSchema) || strings.EqualFold(s, OldCoreSchema) || strings.EqualFold(s, OldCoreSchema+":User")
}

// primary returns the value marked primary, else the first one.
func primary(vs []MultiValue) string {
	for _, v := range vs {
		if v.Primary {
			return v.Value
		}
	}
	if len(vs) > 0 {
		return vs[0].Value
	}
	return ""
}

// driftRole maps a SCIM role value (Drift documents OWNER, ADMIN, MEMBER)
// onto Drift's user roles. Enterprise RBAC values ("role-ids=[208]") have
// no Drift equivalent and leave the role as it is.
func driftRole(v string) (string, bool) {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "OWNER", "ADMIN":
		return user.RoleAdmin, true
	case "MEMBER":
		return user.RoleMember, true
	case "AGENT":
		return user.RoleAgent, true
	}
	return "", false
}

// DecodeUser decodes a resource from generic JSON (as a PATCH leaves it).
func DecodeUser(m map[string]any) (*User, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	u := &User{}
	if err := json.Unmarshal(b, u); err != nil {
		return nil, errorf(InvalidValue, "the patched user is not valid: %v", err)
	}
	return u, nil
}

// Generic renders u as generic JSON, the form filters and PATCH work on.
func (u *User) Generic() map[string]any {
	b, _ := json.Marshal(u) // a User always encodes
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}
