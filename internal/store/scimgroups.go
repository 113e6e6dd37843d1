package store

import (
	"context"
	"fmt"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/scim"
)

var _ scim.GroupStore = (*DB)(nil)

// SCIMGroups implements scim.GroupStore.
func (db *DB) SCIMGroups(ctx context.Context, orgID int64) (_ []*scim.GroupRecord, err error) {
	defer derrors.Wrap(&err, "store.SCIMGroups(%d)", orgID)
	var out []*scim.GroupRecord
	err = db.readSnapshot(ctx, func(q queryer) error {
		var err error
		out, err = queryGroups(ctx, q, orgID, `WHERE org_id = $1 ORDER BY id`, orgID)
		return err
	})
	return out, err
}

// SCIMGroup implements scim.GroupStore.
func (db *DB) SCIMGroup(ctx context.Context, orgID, id int64) (_ *scim.GroupRecord, err error) {
	defer derrors.Wrap(&err, "store.SCIMGroup(%d, %d)", orgID, id)
	var g *scim.GroupRecord
	err = db.readSnapshot(ctx, func(q queryer) error {
		var err error
		g, err = getGroup(ctx, q, orgID, id, "")
		return err
	})
	return g, err
}

func getGroup(ctx context.Context, q queryer, orgID, id int64, lock string) (*scim.GroupRecord, error) {
	gs, err := queryGroups(ctx, q, orgID, `WHERE id = $1 AND org_id = $2`+lock, id, orgID)
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, apperr.NotFoundf("no group with id %d", id)
	}
	return gs[0], nil
}

// queryGroups reads teams as groups, then the members of the org's teams
// with their users' names.
func queryGroups(ctx context.Context, q queryer, orgID int64, where string, args ...any) ([]*scim.GroupRecord, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, org_id, name, external_id, created_at, updated_at FROM teams `+where, args...)
	if err != nil {
		return nil, err
	}
	var out []*scim.GroupRecord
	byID := map[int64]*scim.GroupRecord{}
	for rows.Next() {
		g := &scim.GroupRecord{}
		if err := rows.Scan(&g.ID, &g.OrgID, &g.DisplayName, &g.ExternalID, &g.CreatedAt, &g.UpdatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, g)
		byID[g.ID] = g
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	memberWhere, memberArgs := `t.org_id = $1`, []any{orgID}
	if len(out) == 1 {
		memberWhere, memberArgs = `t.org_id = $1 AND t.id = $2`, []any{orgID, out[0].ID}
	}
	rows, err = q.QueryContext(ctx, `SELECT m.team_id, m.user_id, m.display, u.name FROM team_members m
		JOIN teams t ON t.id = m.team_id JOIN users u ON u.id = m.user_id
		WHERE `+memberWhere+` ORDER BY m.user_id`, memberArgs...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var tid int64
		var m scim.GroupMember
		if err := rows.Scan(&tid, &m.UserID, &m.Display, &m.Name); err != nil {
			return nil, err
		}
		if g := byID[tid]; g != nil {
			g.Members = append(g.Members, m)
		}
	}
	return out, rows.Err()
}

// CreateSCIMGroup implements scim.GroupStore.
func (db *DB) CreateSCIMGroup(ctx context.Context, g *scim.GroupRecord) (err error) {
	defer derrors.Wrap(&err, "store.CreateSCIMGroup()")
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		g.CreatedAt, g.UpdatedAt = tx.now, tx.now
		if err := tx.q.QueryRowContext(ctx, `INSERT INTO teams (org_id, name, external_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, g.OrgID, g.DisplayName, g.ExternalID, g.CreatedAt, g.UpdatedAt).Scan(&g.ID); err != nil {
			return err
		}
		return tx.saveGroupMembers(ctx, g)
	})
}

// UpdateSCIMGroup implements scim.GroupStore.
func (db *DB) UpdateSCIMGroup(ctx context.Context, orgID, id int64, change func(*scim.GroupRecord) error) (_ *scim.GroupRecord, err error) {
	defer derrors.Wrap(&err, "store.UpdateSCIMGroup(%d, %d)", orgID, id)
	var g *scim.GroupRecord
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		if g, err = getGroup(ctx, tx.q, orgID, id, db.dialect.LockRows()); err != nil {
			return err
		}
		if err := change(g); err != nil {
			return err
		}
		g.UpdatedAt = tx.now
		if _, err := tx.q.ExecContext(ctx, `UPDATE teams SET name = $1, external_id = $2, updated_at = $3 WHERE id = $4 AND org_id = $5`,
			g.DisplayName, g.ExternalID, g.UpdatedAt, g.ID, orgID); err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM team_members WHERE team_id = $1`, g.ID); err != nil {
			return err
		}
		return tx.saveGroupMembers(ctx, g)
	})
	return g, err
}

// saveGroupMembers inserts g's members, each a user of its org, and reads
// their names.
func (tx *Tx) saveGroupMembers(ctx context.Context, g *scim.GroupRecord) error {
	for i := range g.Members {
		m := &g.Members[i]
		u, err := tx.requireUser(ctx, g.OrgID, m.UserID, fmt.Sprintf("members[%d].value", i))
		if err != nil {
			return err
		}
		m.Name = u.Name
		if _, err := tx.q.ExecContext(ctx, `INSERT INTO team_members (team_id, user_id, display) VALUES ($1, $2, $3)`,
			g.ID, m.UserID, m.Display); err != nil {
			return err
		}
	}
	return nil
}

// DeleteSCIMGroup implements scim.GroupStore.
func (db *DB) DeleteSCIMGroup(ctx context.Context, orgID, id int64) (err error) {
	defer derrors.Wrap(&err, "store.DeleteSCIMGroup(%d, %d)", orgID, id)
	return db.DeleteTeam(ctx, orgID, id)
}
