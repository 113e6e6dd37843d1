package drift

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// SCIM URNs.
const (
	SCIMUserSchema    = "urn:ietf:params:scim:schemas:core:2.0:User"
	SCIMPatchOpSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// SCIMUser is a SCIM 2.0 User (RFC 7643) over a Drift user. ID is the Drift
// user id as a string; UserName is the email.
type SCIMUser struct {
	Schemas      []string    `json:"schemas,omitempty"`
	ID           string      `json:"id,omitempty"`
	ExternalID   string      `json:"externalId,omitempty"`
	UserName     string      `json:"userName"`
	Name         *SCIMName   `json:"name,omitempty"`
	DisplayName  string      `json:"displayName,omitempty"`
	Active       *bool       `json:"active,omitempty"` // nil in a request: true
	Emails       []SCIMValue `json:"emails,omitempty"`
	PhoneNumbers []SCIMValue `json:"phoneNumbers,omitempty"`
	Photos       []SCIMValue `json:"photos,omitempty"`
	// Roles' first value is OWNER, ADMIN or MEMBER (or Drift's Enterprise
	// form "role-ids=[208]").
	Roles    []SCIMValue `json:"roles,omitempty"`
	Locale   string      `json:"locale,omitempty"`
	Timezone string      `json:"timezone,omitempty"`
	Meta     *SCIMMeta   `json:"meta,omitempty"`
}

// SCIMName is a user's name components.
type SCIMName struct {
	Formatted  string `json:"formatted,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
	GivenName  string `json:"givenName,omitempty"`
}

// SCIMValue is one value of a multi-valued attribute.
type SCIMValue struct {
	Value   string `json:"value,omitempty"`
	Display string `json:"display,omitempty"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// SCIMMeta is a resource's metadata.
type SCIMMeta struct {
	ResourceType string `json:"resourceType"`
	Created      string `json:"created,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	Location     string `json:"location,omitempty"`
	Version      string `json:"version,omitempty"`
}

// SCIMListOptions filters and pages ListSCIMUsers (RFC 7644 §3.4.2).
type SCIMListOptions struct {
	Filter     string // e.g. `userName eq "ann@example.com"`
	StartIndex int    // 1-based; 0: 1
	Count      int    // 0: the server's default
}

// SCIMList is a SCIM ListResponse of users.
type SCIMList struct {
	Schemas      []string   `json:"schemas"`
	TotalResults int        `json:"totalResults"`
	Resources    []SCIMUser `json:"Resources"`
	StartIndex   int        `json:"startIndex"`
	ItemsPerPage int        `json:"itemsPerPage"`
}

// SCIMPatchOp is one operation of a SCIM PATCH (RFC 7644 §3.5.2).
type SCIMPatchOp struct {
	Op    string `json:"op"` // add, replace or remove
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

// scim sends a SCIM request and decodes the answer into out.
func (c *Client) scim(ctx context.Context, method, path string, in, out any) error {
	req := request{method: method, path: "/scim" + path}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("drift: encoding the request: %w", err)
		}
		req.body, req.contentType = b, "application/scim+json"
	}
	resp, err := c.send(ctx, req)
	if err != nil {
		return err
	}
	return decode(resp, out)
}

// ListSCIMUsers lists the org's users as SCIM resources.
func (c *Client) ListSCIMUsers(ctx context.Context, opts SCIMListOptions) (*SCIMList, error) {
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
	var l SCIMList
	return &l, c.scim(ctx, http.MethodGet, withQuery("/Users", q), nil, &l)
}

// GetSCIMUser returns user id.
func (c *Client) GetSCIMUser(ctx context.Context, id string) (*SCIMUser, error) {
	var u SCIMUser
	return &u, c.scim(ctx, http.MethodGet, "/Users/"+url.PathEscape(id), nil, &u)
}

// CreateSCIMUser provisions a user; userName and displayName are required.
func (c *Client) CreateSCIMUser(ctx context.Context, u SCIMUser) (*SCIMUser, error) {
	if len(u.Schemas) == 0 {
		u.Schemas = []string{SCIMUserSchema}
	}
	var out SCIMUser
	return &out, c.scim(ctx, http.MethodPost, "/Users", u, &out)
}

// ReplaceSCIMUser replaces user id with u. With id "", it uses the seed
// listing's form PUT /scim/Users, which names the user by u.ID or u.UserName.
func (c *Client) ReplaceSCIMUser(ctx context.Context, id string, u SCIMUser) (*SCIMUser, error) {
	if len(u.Schemas) == 0 {
		u.Schemas = []string{SCIMUserSchema}
	}
	path := "/Users"
	if id != "" {
		path += "/" + url.PathEscape(id)
	}
	var out SCIMUser
	return &out, c.scim(ctx, http.MethodPut, path, u, &out)
}

// PatchSCIMUser applies ops to user id; replacing active with false
// deprovisions the user.
func (c *Client) PatchSCIMUser(ctx context.Context, id string, ops ...SCIMPatchOp) (*SCIMUser, error) {
	body := map[string]any{"schemas": []string{SCIMPatchOpSchema}, "Operations": ops}
	var out SCIMUser
	return &out, c.scim(ctx, http.MethodPatch, "/Users/"+url.PathEscape(id), body, &out)
}

// DeleteSCIMUser deletes user id for good.
func (c *Client) DeleteSCIMUser(ctx context.Context, id string) error {
	return c.scim(ctx, http.MethodDelete, "/Users/"+url.PathEscape(id), nil, nil)
}

// DeleteSCIMUserByName deletes the user with userName, in the seed
// listing's form DELETE /scim/Users with the user named in the body.
func (c *Client) DeleteSCIMUserByName(ctx context.Context, userName string) error {
	return c.scim(ctx, http.MethodDelete, "/Users", map[string]string{"userName": userName}, nil)
}
