// Package playbook is Drift's playbook: a bot flow with goals
// (docs/drift-reference.md §3.5, §4). Drift's REST API only lists them; Driftwood's
// admin API creates them, and marks which are conversational landing pages.
package playbook

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
)

// Playbook is Drift's playbook object. Enabled and LandingPage are
// Driftwood's bookkeeping: Drift lists only enabled playbooks and does not
// show the flags.
type Playbook struct {
	ID              int64          `json:"id"`
	Name            string         `json:"name"`
	OrgID           int64          `json:"orgId"`
	Meta            map[string]any `json:"meta"`
	CreatedAt       int64          `json:"createdAt"`
	UpdatedAt       int64          `json:"updatedAt"`
	CreatedAuthorID int64          `json:"createdAuthorId"`
	UpdatedAuthorID int64          `json:"updatedAuthorId"`
	InteractionID   int64          `json:"interactionId"`
	ReportType      string         `json:"reportType"`
	Goals           []Goal         `json:"goals"`

	Enabled     bool `json:"-"`
	LandingPage bool `json:"-"`
	// Definition is what the playbook does, nil for a listing-only
	// playbook; Version counts its changes (1 when created).
	Definition *Definition `json:"-"`
	Version    int64       `json:"-"`
}

// Goal is a playbook goal, identified by a UUID string.
type Goal struct {
	ID      string `json:"id"`
	Message string `json:"message"`
}

// Fields are what Driftwood's admin API sets; nil is left alone. Goals
// without an id get a new random UUID; AuthorID defaults to the org's bot.
type Fields struct {
	Name          *string         `json:"name"`
	Goals         *[]Goal         `json:"goals"`
	Enabled       *bool           `json:"enabled"`
	LandingPage   *bool           `json:"landingPage"`
	ReportType    *string         `json:"reportType"`
	InteractionID *int64          `json:"interactionId"`
	Meta          *map[string]any `json:"meta"`
	AuthorID      *int64          `json:"authorId"`
	Definition    *Definition     `json:"definition"`
}

// Apply validates f and applies it to p, authored by authorID.
func (p *Playbook) Apply(f Fields, authorID, now int64) error {
	if f.Name != nil {
		p.Name = strings.TrimSpace(*f.Name)
	}
	if p.Name == "" {
		return apperr.Invalidf("name", "name must not be empty")
	}
	if f.Goals != nil {
		goals := make([]Goal, len(*f.Goals))
		for i, g := range *f.Goals {
			g.Message = strings.TrimSpace(g.Message)
			if g.Message == "" {
				return apperr.Invalidf(fmt.Sprintf("goals[%d].message", i), "goals[%d].message must not be empty", i)
			}
			if g.ID == "" {
				g.ID = NewUUID()
			} else if g.ID = strings.ToLower(g.ID); !uuidRE.MatchString(g.ID) {
				return apperr.Invalidf(fmt.Sprintf("goals[%d].id", i), "goals[%d].id must be a UUID, got %q", i, g.ID)
			}
			goals[i] = g
		}
		p.Goals = goals
	}
	if f.Enabled != nil {
		p.Enabled = *f.Enabled
	}
	if f.LandingPage != nil {
		p.LandingPage = *f.LandingPage
	}
	if f.ReportType != nil {
		p.ReportType = strings.TrimSpace(*f.ReportType)
	}
	if f.InteractionID != nil {
		if *f.InteractionID < 0 {
			return apperr.Invalidf("interactionId", "interactionId must not be negative")
		}
		p.InteractionID = *f.InteractionID
	}
	if f.Meta != nil {
		p.Meta = *f.Meta
	}
	if f.Definition != nil {
		if err := f.Definition.Validate(); err != nil {
			return underDefinition(err)
		}
		p.Definition = f.Definition
	}
	if p.Definition != nil {
		p.addGoals(p.Definition.GoalNames())
	}
	if p.Goals == nil {
		p.Goals = []Goal{}
	}
	if p.Meta == nil {
		p.Meta = map[string]any{}
	}
	if p.CreatedAt == 0 {
		p.CreatedAt, p.CreatedAuthorID = now, authorID
	}
	p.UpdatedAt, p.UpdatedAuthorID = now, authorID
	p.Version++
	return nil
}

// underDefinition names a definition's invalid field as the request body
// does: definition.steps[3].next.
func underDefinition(err error) error {
	var e *apperr.Error
	if errors.As(err, &e) && e.Code == apperr.Invalid {
		return apperr.Invalidf("definition."+e.Param, "definition.%s", e.Message)
	}
	return err
}

// addGoals gives each goal step's name a goal of the playbook (matched by
// message), so that Drift's listing shows them and goal events carry a goal id.
func (p *Playbook) addGoals(names []string) {
	for _, name := range names {
		if !slices.ContainsFunc(p.Goals, func(g Goal) bool { return g.Message == name }) {
			p.Goals = append(p.Goals, Goal{ID: NewUUID(), Message: name})
		}
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// NewUUID returns a random (version 4) UUID.
func NewUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Store is the persistence of playbooks. An AuthorID must be a user of the org.
type Store interface {
	CreatePlaybook(ctx context.Context, orgID int64, f Fields) (*Playbook, error)
	UpdatePlaybook(ctx context.Context, orgID, id int64, f Fields) (*Playbook, error)
	// ListPlaybooks lists the org's enabled playbooks by id, landing pages
	// included, or only the landing pages when onlyLandingPages is set.
	ListPlaybooks(ctx context.Context, orgID int64, onlyLandingPages bool) ([]*Playbook, error)
	// GetPlaybook returns one playbook; another org's reads as not found.
	GetPlaybook(ctx context.Context, orgID, id int64) (*Playbook, error)
	// PlaybooksPage lists up to limit of the org's playbooks, disabled ones
	// included, by id after afterID.
	PlaybooksPage(ctx context.Context, orgID, afterID int64, limit int) ([]*Playbook, error)
	// DeletePlaybook deletes a playbook and its versions.
	DeletePlaybook(ctx context.Context, orgID, id int64) error
}

// LandingPage is a conversational landing page as GET /playbooks/clp lists
// it: the playbook, named again as its clients read it, and the absolute URL
// where the page is served.
type LandingPage struct {
	*Playbook
	PlaybookID     int64  `json:"playbookId"`
	PlaybookName   string `json:"playbookName"`
	LandingPageURL string `json:"landingPageUrl"`
}

// NewLandingPage describes p, a landing page of the org whose widget embedId
// is embedID, on Driftwood's public address publicURL: the full-page chat
// GET /chat/{embedId}, opened on the playbook (playbookId).
func NewLandingPage(p *Playbook, publicURL, embedID string) LandingPage {
	return LandingPage{Playbook: p, PlaybookID: p.ID, PlaybookName: p.Name,
		LandingPageURL: fmt.Sprintf("%s/chat/%s?playbookId=%d", publicURL, embedID, p.ID)}
}
