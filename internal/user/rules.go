package user

import (
	"net/mail"
	"slices"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/events"
)

// Availabilities lists the availability values Drift knows.
var Availabilities = []string{Available, Offline, OnCall}

// Roles lists the roles a user can have.
var Roles = []string{RoleMember, RoleAdmin, RoleAgent}

// Patch is a PATCH /users/update body: nil fields are left alone. Role is
// not here: Drift does not let the REST API change it.
type Patch struct {
	Name         *string `json:"name"`
	Alias        *string `json:"alias"`
	Email        *string `json:"email"`
	Phone        *string `json:"phone"`
	Locale       *string `json:"locale"`
	AvatarURL    *string `json:"avatarUrl"`
	Availability *string `json:"availability"`
}

// AvailabilityPayload is the data of a user_availability_updated event.
type AvailabilityPayload struct {
	UserID       int64  `json:"userId"`
	UpdatedAt    int64  `json:"updatedAt"`
	Availability string `json:"availability"`
}

// Apply validates p and applies it to u. It reports whether anything
// changed, and returns user_availability_updated when the availability did
// (which Drift announces).
func (u *User) Apply(p Patch, now int64) (changed bool, evs []events.Event, err error) {
	next := *u
	for _, f := range []struct {
		dst *string
		src *string
	}{
		{&next.Name, p.Name}, {&next.Alias, p.Alias}, {&next.Email, p.Email}, {&next.Phone, p.Phone},
		{&next.Locale, p.Locale}, {&next.AvatarURL, p.AvatarURL}, {&next.Availability, p.Availability},
	} {
		if f.src != nil {
			*f.dst = strings.TrimSpace(*f.src)
		}
	}
	if err := next.Validate(); err != nil {
		return false, nil, err
	}
	if next == *u {
		return false, nil, nil
	}
	availabilityChanged := next.Availability != u.Availability
	next.UpdatedAt = now
	*u = next
	if availabilityChanged {
		evs = append(evs, events.New(u.OrgID, events.UserAvailabilityUpdated,
			AvailabilityPayload{UserID: u.ID, UpdatedAt: u.UpdatedAt, Availability: u.Availability}))
	}
	return true, evs, nil
}

// Validate checks the fields a client may set: a name, a well-formed email
// when there is one, a known availability and role.
func (u *User) Validate() error {
	if u.Name == "" {
		return apperr.Invalidf("name", "name must not be empty")
	}
	if u.Email != "" {
		if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email {
			return apperr.Invalidf("email", "email %q is not an email address", u.Email)
		}
	}
	if !slices.Contains(Availabilities, u.Availability) {
		return apperr.Invalidf("availability", "availability must be one of %s; got %q", strings.Join(Availabilities, ", "), u.Availability)
	}
	if !slices.Contains(Roles, u.Role) {
		return apperr.Invalidf("role", "role must be one of %s; got %q", strings.Join(Roles, ", "), u.Role)
	}
	return nil
}

// SetDefaults gives a new user Drift's defaults: available, a member.
func (u *User) SetDefaults() {
	if u.Availability == "" {
		u.Availability = Available
	}
	if u.Role == "" {
		u.Role = RoleMember
	}
}

// NewBot is the bot user every org gets with it (org.Store.CreateOrg): it
// authors the messages an API call posts without a userId.
func NewBot(orgID int64, orgName string) *User {
	return &User{OrgID: orgID, Name: orgName + " Bot", Alias: "Bot", Availability: Available,
		Role: RoleAgent, Bot: true, Verified: true}
}
