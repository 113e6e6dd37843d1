package store

import (
	"context"
	"fmt"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/team"
)

var _ team.Store = (*DB)(nil)

// CreateTeam implements team.Store.
func (db *DB) CreateTeam(ctx context.Context, orgID int64, f team.Fields) (_ *team.Team, err error) {
	defer derrors.Wrap(&err, "store.CreateTeam(%d)", orgID)
	t := &team.Team{OrgID: orgID}
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		if err := t.Apply(f, tx.now); err != nil {
			return err
		}
		if err := tx.q.QueryRowContext(ctx, `INSERT INTO teams (org_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			orgID, t.Name, tx.now, tx.now).Scan(&t.ID); err != nil {
			return err
		}
		return tx.addMembers(ctx, t)
	})
	return t, err
}

// UpdateTeam implements team.Store. Given members replace the old ones.
func (db *DB) UpdateTeam(ctx context.Context, orgID, id int64, f team.Fields) (_ *team.Team, err error) {
	defer derrors.Wrap(&err, "store.UpdateTeam(%d, %d)", orgID, id)
	var t *team.Team
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		ts, err := queryTeams(ctx, tx.q, `WHERE org_id = $1 AND id = $2`+db.dialect.LockRows(), orgID, id)
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			return apperr.NotFoundf("no team with id %d", id)
		}
		t = ts[0]
		if err := t.Apply(f, tx.now); err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE teams SET name = $1, updated_at = $2 WHERE id = $3`, t.Name, t.UpdatedAt, t.ID); err != nil {
			return err
		}
		if f.Members == nil {
			return nil
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM team_members WHERE team_id = $1`, t.ID); err != nil {
			return err
		}
		return tx.addMembers(ctx, t)
	})
	return t, err
}

func (tx *Tx) addMembers(ctx context.Context, t *team.Team) error {
	for i, uid := range t.Members {
		if _, err := tx.requireUser(ctx, t.OrgID, uid, fmt.Sprintf("members[%d]", i)); err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)`, t.ID, uid); err != nil {
			return err
		}
	}
	return nil
}

// DeleteTeam implements team.Store.
func (db *DB) DeleteTeam(ctx context.Context, orgID, id int64) (err error) {
	defer derrors.Wrap(&err, "store.DeleteTeam(%d, %d)", orgID, id)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.q.ExecContext(ctx, `DELETE FROM teams WHERE id = $1 AND org_id = $2`, id, orgID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundf("no team with id %d", id)
		}
		return nil
	})
}

// ListTeams implements team.Store.
func (db *DB) ListTeams(ctx context.Context, orgID int64) (_ []*team.Team, err error) {
	defer derrors.Wrap(&err, "store.ListTeams(%d)", orgID)
	return queryTeams(ctx, db.read, `WHERE org_id = $1 ORDER BY id`, orgID)
}

// TeamsOfUser implements team.Store.
func (db *DB) TeamsOfUser(ctx context.Context, orgID, userID int64) (_ []*team.Team, err error) {
	defer derrors.Wrap(&err, "store.TeamsOfUser(%d, %d)", orgID, userID)
	if _, err := getUser(ctx, db.reads, orgID, userID, ""); err != nil {
		return nil, err
	}
	return queryTeams(ctx, db.read, `WHERE org_id = $1 AND id IN (SELECT team_id FROM team_members WHERE user_id = $2) ORDER BY id`, orgID, userID)
}

// queryTeams reads teams and then their members, ascending.
func queryTeams(ctx context.Context, q queryer, where string, args ...any) ([]*team.Team, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, org_id, name, updated_at FROM teams `+where, args...)
	if err != nil {
		return nil, err
	}
	out := []*team.Team{}
	byID := map[int64]*team.Team{}
	for rows.Next() {
		t := &team.Team{Members: []int64{}}
		if err := rows.Scan(&t.ID, &t.OrgID, &t.Name, &t.UpdatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, t)
		byID[t.ID] = t
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	rows, err = q.QueryContext(ctx, `SELECT m.team_id, m.user_id FROM team_members m JOIN teams t ON t.id = m.team_id
		WHERE t.org_id = $1 ORDER BY m.user_id`, out[0].OrgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var tid, uid int64
		if err := rows.Scan(&tid, &uid); err != nil {
			return nil, err
		}
		if t := byID[tid]; t != nil {
			t.Members = append(t.Members, uid)
		}
	}
	return out, rows.Err()
}
