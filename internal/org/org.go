// Package org is the tenant: every object belongs to exactly one org, and no
// org's token sees another org's objects.
package org

import (
	"context"
	"fmt"
	"strconv"
)

// Org is a Drift organization (a workspace).
type Org struct {
	ID        int64  `json:"orgId"`
	Name      string `json:"name"`
	CreatedAt int64  `json:"createdAt"`
}

// Store is the persistence of orgs.
type Store interface {
	// CreateOrg creates an org with its bot user, which authors the messages
	// an API call posts without a userId.
	CreateOrg(ctx context.Context, name string) (*Org, error)
	GetOrg(ctx context.Context, id int64) (*Org, error)
	CountOrgs(ctx context.Context) (int, error)
}

// EmbedID is the org's public widget id, the embedId of Drift's snippet and
// of the full-page chat (GET /chat/{embedId}): the org id as 12 lowercase hex
// digits, the length and alphabet of Drift's own. It is public by nature (it
// stands in every page that loads the widget) and stable across replicas.
func EmbedID(orgID int64) string { return fmt.Sprintf("%012x", orgID) }

// ParseEmbedID returns the org id an embedId names, false when it names none.
func ParseEmbedID(embedID string) (int64, bool) {
	if len(embedID) != 12 {
		return 0, false
	}
	id, err := strconv.ParseInt(embedID, 16, 64)
	return id, err == nil && id > 0 && EmbedID(id) == embedID
}
