// Package user is Drift's user: an agent, an admin, or the org's bot.
package user

import "context"

// Availability values of a user.
const (
	Available = "AVAILABLE"
	Offline   = "OFFLINE"
	OnCall    = "ON_CALL"
)

// Roles of a user.
const (
	RoleMember = "member"
	RoleAdmin  = "admin"
	RoleAgent  = "agent"
)

// User is Drift's user object. Absent fields are omitted rather than null.
type User struct {
	ID           int64  `json:"id"`
	OrgID        int64  `json:"orgId"`
	Name         string `json:"name,omitempty"`
	Alias        string `json:"alias,omitempty"`
	Email        string `json:"email,omitempty"`
	Phone        string `json:"phone,omitempty"`
	Locale       string `json:"locale,omitempty"`
	Availability string `json:"availability,omitempty"`
	Role         string `json:"role,omitempty"`
	TimeZone     string `json:"timeZone,omitempty"`
	AvatarURL    string `json:"avatarUrl,omitempty"`
	Verified     bool   `json:"verified"`
	Bot          bool   `json:"bot"`
	CreatedAt    int64  `json:"createdAt"`
	UpdatedAt    int64  `json:"updatedAt"`
}

// Store is the persistence of users.
type Store interface {
	// CreateUser inserts u (its ID and timestamps are set).
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, orgID, id int64) (*User, error)
	// ListUsers lists the org's users, bots included, by id.
	ListUsers(ctx context.Context, orgID int64) ([]*User, error)
	// BotUser returns the org's bot user.
	BotUser(ctx context.Context, orgID int64) (*User, error)
	// UpdateUser applies p and, when the availability changed, records
	// user_availability_updated in the same transaction.
	UpdateUser(ctx context.Context, orgID, id int64, p Patch) (*User, error)
}
