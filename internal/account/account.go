// Package account is Drift's ABM account: a company known by its domain,
// owned by a user, with typed custom properties (docs/drift-reference.md §3.4, §4).
package account

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
)

// Account is Drift's account object.
type Account struct {
	AccountID        string     `json:"accountId"`
	OwnerID          int64      `json:"ownerId"`
	Name             string     `json:"name"`
	Domain           string     `json:"domain"`
	CustomProperties []Property `json:"customProperties"`
	Deleted          bool       `json:"deleted"`
	Targeted         bool       `json:"targeted"`
	CreateDateTime   int64      `json:"createDateTime"`
	UpdateDateTime   int64      `json:"updateDateTime"`

	OrgID int64 `json:"-"`
}

// Property is a custom property. Value is a decoded JSON value (numbers as
// json.Number) that must match Type.
type Property struct {
	Label string `json:"label"`
	Name  string `json:"name"`
	Value any    `json:"value"`
	Type  string `json:"type"`
}

// Property types Drift documents.
const (
	TypeString     = "STRING"
	TypeEmail      = "EMAIL"
	TypeNumber     = "NUMBER"
	TypeTeamMember = "TEAMMEMBER"
	TypeEnum       = "ENUM"
	TypeDate       = "DATE"
	TypeDateTime   = "DATETIME"
	TypeLatLon     = "LATLON"
	TypeLat        = "LAT"
	TypeLon        = "LON"
	TypePhone      = "PHONE"
	TypeURL        = "URL"
	TypeEnumArray  = "ENUMARRAY"
)

// Types lists the property types.
var Types = []string{TypeString, TypeEmail, TypeNumber, TypeTeamMember, TypeEnum, TypeDate, TypeDateTime,
	TypeLatLon, TypeLat, TypeLon, TypePhone, TypeURL, TypeEnumArray}

// Fields are the client-settable fields of a create or update request; nil
// is "not given". CustomProperties, when given, replaces the whole list, as
// Drift's update takes the full account.
type Fields struct {
	OwnerID          *int64
	Name             *string
	Domain           *string
	CustomProperties *[]Property
	Targeted         *bool
}

// ID is the accountId of an org's domain: "<orgId>_<domain>" (docs/design.md).
func ID(orgID int64, domain string) string { return fmt.Sprintf("%d_%s", orgID, domain) }

// New validates a create request and builds the account. The owner and the
// TEAMMEMBER values are checked against the org's users by the store.
func New(orgID int64, f Fields, now int64) (*Account, error) {
	if f.OwnerID == nil {
		return nil, apperr.Invalidf("ownerId", "ownerId is required")
	}
	if f.Domain == nil {
		return nil, apperr.Invalidf("domain", "domain is required")
	}
	a := &Account{OrgID: orgID, CustomProperties: []Property{}, CreateDateTime: now}
	if err := a.apply(f, now); err != nil {
		return nil, err
	}
	a.AccountID = ID(orgID, a.Domain)
	return a, nil
}

// Update applies an update request. The domain cannot change, since the
// accountId is made of it; a deleted account cannot be updated.
func (a *Account) Update(f Fields, now int64) error {
	if a.Deleted {
		return apperr.NotFoundf("account %s is deleted", a.AccountID)
	}
	if f.Domain != nil && NormalizeDomain(*f.Domain) != a.Domain {
		return apperr.Invalidf("domain", "domain cannot change: the accountId %s is made of it", a.AccountID)
	}
	return a.apply(f, now)
}

func (a *Account) apply(f Fields, now int64) error {
	if f.OwnerID != nil {
		if *f.OwnerID <= 0 {
			return apperr.Invalidf("ownerId", "ownerId must be a positive user id")
		}
		a.OwnerID = *f.OwnerID
	}
	if f.Name != nil {
		a.Name = strings.TrimSpace(*f.Name)
	}
	if f.Domain != nil {
		d := NormalizeDomain(*f.Domain)
		if !validDomain(d) {
			return apperr.Invalidf("domain", "domain %q is not a domain name such as example.com", *f.Domain)
		}
		a.Domain = d
	}
	if f.Targeted != nil {
		a.Targeted = *f.Targeted
	}
	if f.CustomProperties != nil {
		props := slices.Clone(*f.CustomProperties)
		if err := checkProperties(props); err != nil {
			return err
		}
		a.CustomProperties = props
	}
	a.UpdateDateTime = now
	return nil
}

// NormalizeDomain lower-cases and trims a domain: domains are unique
// regardless of case.
func NormalizeDomain(d string) string { return strings.ToLower(strings.TrimSpace(d)) }

func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// checkProperties validates names, types and values; it fills a missing label
// with the name. Names, labels and values are kept exactly as sent.
func checkProperties(props []Property) error {
	seen := map[string]bool{}
	for i := range props {
		p := &props[i]
		param := fmt.Sprintf("customProperties[%d]", i)
		if strings.TrimSpace(p.Name) == "" {
			return apperr.Invalidf(param+".name", "%s.name is required", param)
		}
		if seen[p.Name] {
			return apperr.Invalidf(param+".name", "custom property %q is given twice", p.Name)
		}
		seen[p.Name] = true
		if p.Label == "" {
			p.Label = p.Name
		}
		p.Type = strings.ToUpper(strings.TrimSpace(p.Type))
		if !slices.Contains(Types, p.Type) {
			return apperr.Invalidf(param+".type", "%s.type must be one of %s; got %q", param, strings.Join(Types, ", "), p.Type)
		}
		if p.Value == nil {
			continue
		}
		if err := checkValue(p.Type, p.Value); err != nil {
			return apperr.Invalidf(param+".value", "%s.value (%s, type %s) %s", param, p.Name, p.Type, err)
		}
	}
	return nil
}

// checkValue reports why v is not a value of type typ. Numbers may come as
// JSON numbers or numeric strings; dates as epoch ms or ISO 8601 text.
func checkValue(typ string, v any) error {
	s, isString := v.(string)
	switch typ {
	case TypeString, TypeEnum:
		if !isString {
			return fmt.Errorf("must be a string")
		}
	case TypeEmail:
		if a, err := mail.ParseAddress(s); !isString || err != nil || a.Address != s {
			return fmt.Errorf("must be an email address")
		}
	case TypePhone:
		if !isString || !validPhone(s) {
			return fmt.Errorf("must be a phone number")
		}
	case TypeURL:
		u, err := url.Parse(s)
		if !isString || err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return fmt.Errorf("must be an http or https URL")
		}
	case TypeNumber:
		if _, ok := number(v); !ok {
			return fmt.Errorf("must be a number")
		}
	case TypeTeamMember:
		if _, ok := TeamMember(v); !ok {
			return fmt.Errorf("must be a user id")
		}
	case TypeLat, TypeLon:
		limit := 90.0
		if typ == TypeLon {
			limit = 180
		}
		if n, ok := number(v); !ok || math.Abs(n) > limit {
			return fmt.Errorf("must be a number from -%g to %g", limit, limit)
		}
	case TypeLatLon:
		lat, lon, ok := strings.Cut(s, ",")
		la, okLat := number(strings.TrimSpace(lat))
		lo, okLon := number(strings.TrimSpace(lon))
		if !isString || !ok || !okLat || !okLon || math.Abs(la) > 90 || math.Abs(lo) > 180 {
			return fmt.Errorf(`must be "latitude,longitude"`)
		}
	case TypeDate:
		if _, err := time.Parse(time.DateOnly, s); err != nil && !isEpochMs(v) {
			return fmt.Errorf("must be a date (YYYY-MM-DD) or epoch milliseconds")
		}
	case TypeDateTime:
		if _, err := time.Parse(time.RFC3339, s); err != nil && !isEpochMs(v) {
			return fmt.Errorf("must be epoch milliseconds or an RFC 3339 time")
		}
	case TypeEnumArray:
		arr, ok := v.([]any)
		if !ok {
			return fmt.Errorf("must be an array of strings")
		}
		for _, e := range arr {
			if _, ok := e.(string); !ok {
				return fmt.Errorf("must be an array of strings")
			}
		}
	}
	return nil
}

// number reads a JSON number or a numeric string.
func number(v any) (float64, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	case float64:
		return x, true
	default:
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil && !math.IsInf(n, 0) && !math.IsNaN(n)
}

func isEpochMs(v any) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	ms, err := n.Int64()
	return err == nil && ms >= 0
}

func validPhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-(). ", r):
		default:
			return false
		}
	}
	return digits >= 3
}

// TeamMember reads a TEAMMEMBER value: a user id as a number or a string.
func TeamMember(v any) (int64, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	default:
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// UserRef is a user id an account refers to, with the request field naming it.
type UserRef struct {
	Param  string
	UserID int64
}

// UserRefs lists the user ids a (validated) account refers to: every
// TEAMMEMBER value. The owner is not among them: Drift takes any positive
// ownerId (a CRM's owner need not be a Drift user), and the store never
// reads it as a user, so another org's user id is just an unknown id.
func (a *Account) UserRefs() []UserRef {
	var refs []UserRef
	for i, p := range a.CustomProperties {
		if id, ok := TeamMember(p.Value); ok && p.Type == TypeTeamMember {
			refs = append(refs, UserRef{fmt.Sprintf("customProperties[%d].value", i), id})
		}
	}
	return refs
}

// Store is the persistence of accounts, addressed by accountId. Unknown
// and foreign accountIds read as not found; a domain in use is a conflict.
type Store interface {
	CreateAccount(ctx context.Context, orgID int64, f Fields) (*Account, error)
	// GetAccount answers deleted accounts too, with Deleted set.
	GetAccount(ctx context.Context, orgID int64, accountID string) (*Account, error)
	// ListAccounts lists live accounts by creation, size of them from the
	// index-th, and reports whether more follow.
	ListAccounts(ctx context.Context, orgID int64, index, size int) (accounts []*Account, more bool, err error)
	UpdateAccount(ctx context.Context, orgID int64, accountID string, f Fields) (*Account, error)
	// DeleteAccount marks the account deleted.
	DeleteAccount(ctx context.Context, orgID int64, accountID string) error
}

// Attributes are what routing rules' account conditions read, as text: the
// custom properties by name, then name, domain, ownerId and accountId
// (which a custom property of the same name does not hide).
func (a *Account) Attributes() map[string]string {
	out := map[string]string{}
	for _, p := range a.CustomProperties {
		switch v := p.Value.(type) {
		case nil:
		case string:
			out[p.Name] = v
		default:
			if b, err := json.Marshal(v); err == nil {
				out[p.Name] = strings.Trim(string(b), `"`)
			}
		}
	}
	out["name"], out["domain"], out["accountId"] = a.Name, a.Domain, a.AccountID
	out["ownerId"] = strconv.FormatInt(a.OwnerID, 10)
	return out
}
