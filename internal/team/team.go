// Package team is a group of an org's users. Drift documents no team model;
// the shape is Driftwood's (docs/design.md): {id, orgId, name, members, updatedAt}.
package team

import (
	"context"
	"slices"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
)

// Team is a named group of users.
type Team struct {
	ID        int64   `json:"id"`
	OrgID     int64   `json:"orgId"`
	Name      string  `json:"name"`
	Members   []int64 `json:"members"` // user ids, ascending
	UpdatedAt int64   `json:"updatedAt"`
}

// Fields are what Driftwood's admin API sets on a team; nil is left alone.
type Fields struct {
	Name    *string  `json:"name"`
	Members *[]int64 `json:"members"`
}

// Apply validates f and applies it to t: a team has a name, and its members
// are listed once each, ascending.
func (t *Team) Apply(f Fields, now int64) error {
	if f.Name != nil {
		t.Name = strings.TrimSpace(*f.Name)
	}
	if t.Name == "" {
		return apperr.Invalidf("name", "name must not be empty")
	}
	if f.Members != nil {
		t.Members = slices.Compact(slices.Sorted(slices.Values(*f.Members)))
	}
	if t.Members == nil {
		t.Members = []int64{}
	}
	t.UpdatedAt = now
	return nil
}

// Store is the persistence of teams. Member ids must be users of the org.
type Store interface {
	CreateTeam(ctx context.Context, orgID int64, f Fields) (*Team, error)
	UpdateTeam(ctx context.Context, orgID, id int64, f Fields) (*Team, error)
	DeleteTeam(ctx context.Context, orgID, id int64) error
	// ListTeams lists the org's teams by id.
	ListTeams(ctx context.Context, orgID int64) ([]*Team, error)
	// TeamsOfUser lists the teams userID belongs to; an unknown user is not found.
	TeamsOfUser(ctx context.Context, orgID, userID int64) ([]*Team, error)
}
