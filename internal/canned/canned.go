// Package canned is an org's canned replies: saved answers an agent
// inserts in the inbox's composer by typing / and the reply's shortcut.
package canned

import (
	"context"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/driftwood-chat/driftwood/internal/apperr"
)

// Reply is a canned reply.
type Reply struct {
	ID        int64  `json:"id"`
	OrgID     int64  `json:"orgId"`
	Shortcut  string `json:"shortcut"` // typed after / in the composer
	Body      string `json:"body"`     // text, as the agent sends it
	CreatedAt int64  `json:"createdAt"`
	UpdatedAt int64  `json:"updatedAt"`
}

// Patch is a change to a reply: nil fields are left alone.
type Patch struct {
	Shortcut *string `json:"shortcut"`
	Body     *string `json:"body"`
}

// MaxBody bounds a reply's text.
const MaxBody = 4000

var shortcutPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// Apply validates p and applies it to r.
func (r *Reply) Apply(p Patch, now int64) error {
	next := *r
	if p.Shortcut != nil {
		next.Shortcut = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(*p.Shortcut), "/"))
	}
	if p.Body != nil {
		next.Body = strings.TrimSpace(*p.Body)
	}
	if !shortcutPattern.MatchString(next.Shortcut) {
		return apperr.Invalidf("shortcut", "shortcut must be 1 to 40 lowercase letters, digits, - or _, starting with a letter or digit; got %q", next.Shortcut)
	}
	if next.Body == "" {
		return apperr.Invalidf("body", "body must not be empty")
	}
	if utf8.RuneCountInString(next.Body) > MaxBody {
		return apperr.Invalidf("body", "body must have at most %d characters", MaxBody)
	}
	next.UpdatedAt = now
	if next.CreatedAt == 0 {
		next.CreatedAt = now
	}
	*r = next
	return nil
}

// Store is the persistence of canned replies. Another org's reply reads as
// not found; a shortcut the org already uses is a conflict.
type Store interface {
	ListCannedReplies(ctx context.Context, orgID int64) ([]*Reply, error)
	CreateCannedReply(ctx context.Context, orgID int64, p Patch) (*Reply, error)
	UpdateCannedReply(ctx context.Context, orgID, id int64, p Patch) (*Reply, error)
	DeleteCannedReply(ctx context.Context, orgID, id int64) error
}
