package drift

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// SCIMGroupSchema is the URN of SCIM's Group.
const SCIMGroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group"

// SCIMGroup is a SCIM 2.0 Group (RFC 7643 §4.2) over a Drift team: ID is
// the team id as a string, Members its users.
type SCIMGroup struct {
	Schemas     []string     `json:"schemas,omitempty"`
	ID          string       `json:"id,omitempty"`
	ExternalID  string       `json:"externalId,omitempty"`
	DisplayName string       `json:"displayName"`
	Members     []SCIMMember `json:"members,omitempty"`
	Meta        *SCIMMeta    `json:"meta,omitempty"`
}

// SCIMMember is one member of a group: Value is a SCIM user id.
type SCIMMember struct {
	Value   string `json:"value"`
	Ref     string `json:"$ref,omitempty"`
	Type    string `json:"type,omitempty"`
	Display string `json:"display,omitempty"`
}

// SCIMGroupList is a SCIM ListResponse of groups.
type SCIMGroupList struct {
	Schemas      []string    `json:"schemas"`
	TotalResults int         `json:"totalResults"`
	Resources    []SCIMGroup `json:"Resources"`
	StartIndex   int         `json:"startIndex"`
	ItemsPerPage int         `json:"itemsPerPage"`
}

// ListSCIMGroups lists the org's teams as SCIM groups; opts.Filter may be
// e.g. `displayName eq "Support"`.
func (c *Client) ListSCIMGroups(ctx context.Context, opts SCIMListOptions) (*SCIMGroupList, error) {
	q := url.Values{}
	if opts.Filter != "" {
		q.Set("filter", opts.Filter)
	}
	if opts.StartIndex > 0 {
		q.Set("startIndex", strconv.Itoa(opts.StartIndex))
	}
	if opts.Count > 0 {
		q.Set("count", strconv.Itoa(opts.Count))
	}
	var l SCIMGroupList
	return &l, c.scim(ctx, http.MethodGet, withQuery("/Groups", q), nil, &l)
}

// GetSCIMGroup returns group id.
func (c *Client) GetSCIMGroup(ctx context.Context, id string) (*SCIMGroup, error) {
	var g SCIMGroup
	return &g, c.scim(ctx, http.MethodGet, "/Groups/"+url.PathEscape(id), nil, &g)
}

// CreateSCIMGroup creates a team; displayName is required.
func (c *Client) CreateSCIMGroup(ctx context.Context, g SCIMGroup) (*SCIMGroup, error) {
	if len(g.Schemas) == 0 {
		g.Schemas = []string{SCIMGroupSchema}
	}
	var out SCIMGroup
	return &out, c.scim(ctx, http.MethodPost, "/Groups", g, &out)
}

// ReplaceSCIMGroup replaces group id with g, members included.
func (c *Client) ReplaceSCIMGroup(ctx context.Context, id string, g SCIMGroup) (*SCIMGroup, error) {
	if len(g.Schemas) == 0 {
		g.Schemas = []string{SCIMGroupSchema}
	}
	var out SCIMGroup
	return &out, c.scim(ctx, http.MethodPut, "/Groups/"+url.PathEscape(id), g, &out)
}

// PatchSCIMGroup applies ops to group id, e.g. {Op: "add", Path: "members",
// Value: []SCIMMember{{Value: userID}}} or {Op: "remove", Path:
// `members[value eq "7"]`}. The server answers 204 without the group.
func (c *Client) PatchSCIMGroup(ctx context.Context, id string, ops ...SCIMPatchOp) error {
	body := map[string]any{"schemas": []string{SCIMPatchOpSchema}, "Operations": ops}
	return c.scim(ctx, http.MethodPatch, "/Groups/"+url.PathEscape(id), body, nil)
}

// DeleteSCIMGroup deletes group id (the team; its users stay).
func (c *Client) DeleteSCIMGroup(ctx context.Context, id string) error {
	return c.scim(ctx, http.MethodDelete, "/Groups/"+url.PathEscape(id), nil, nil)
}
