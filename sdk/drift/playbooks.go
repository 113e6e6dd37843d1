package drift

import "context"

// Playbook is a bot playbook (Drift's playbook model).
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
	ReportType      string         `json:"reportType"` // e.g. BOOK_MORE_MEETINGS
	Goals           []Goal         `json:"goals"`
}

// Goal is a playbook goal.
type Goal struct {
	ID      string `json:"id"` // a UUID
	Message string `json:"message"`
}

// ListPlaybooks lists the org's enabled playbooks. Drift answers a bare
// array, and may cache it.
func (c *Client) ListPlaybooks(ctx context.Context) ([]Playbook, error) {
	var ps []Playbook
	return ps, c.get(ctx, "/playbooks/list", nil, &ps)
}

// LandingPage is a conversational landing page (CLP): its playbook, named
// again, and the page's URL.
type LandingPage struct {
	Playbook
	PlaybookID     int64  `json:"playbookId"`
	PlaybookName   string `json:"playbookName"`
	LandingPageURL string `json:"landingPageUrl"` // absolute
}

// ListLandingPages lists the org's conversational landing pages (CLP).
func (c *Client) ListLandingPages(ctx context.Context) ([]LandingPage, error) {
	var ps []LandingPage
	return ps, c.get(ctx, "/playbooks/clp", nil, &ps)
}
