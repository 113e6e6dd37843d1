// Package org is the tenant: every object belongs to exactly one org, and no
// org's token sees another org's objects.
package org

import "context"

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
