package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/playbook"
)

var _ playbook.Store = (*DB)(nil)

const playbookColumns = `id, org_id, name, meta, goals, report_type, interaction_id, enabled, landing_page,
	created_author_id, updated_author_id, created_at, updated_at, definition, version`

// CreatePlaybook implements playbook.Store.
func (db *DB) CreatePlaybook(ctx context.Context, orgID int64, f playbook.Fields) (_ *playbook.Playbook, err error) {
	defer derrors.Wrap(&err, "store.CreatePlaybook(%d)", orgID)
	p := &playbook.Playbook{OrgID: orgID, Enabled: true}
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		author, err := tx.playbookAuthor(ctx, orgID, f.AuthorID)
		if err != nil {
			return err
		}
		if err := p.Apply(f, author, tx.now); err != nil {
			return err
		}
		if err := tx.checkPlaybookReferences(ctx, orgID, f.Definition); err != nil {
			return err
		}
		meta, goals, def, err := playbookJSON(p)
		if err != nil {
			return err
		}
		if err := tx.q.QueryRowContext(ctx, `INSERT INTO playbooks (org_id, name, meta, goals, report_type, interaction_id, enabled,
			landing_page, created_author_id, updated_author_id, created_at, updated_at, definition, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			orgID, p.Name, meta, goals, p.ReportType, p.InteractionID, p.Enabled, p.LandingPage,
			p.CreatedAuthorID, p.UpdatedAuthorID, p.CreatedAt, p.UpdatedAt, def, p.Version).Scan(&p.ID); err != nil {
			return err
		}
		return tx.insertPlaybookVersion(ctx, p, def)
	})
	return p, err
}

// UpdatePlaybook implements playbook.Store.
func (db *DB) UpdatePlaybook(ctx context.Context, orgID, id int64, f playbook.Fields) (_ *playbook.Playbook, err error) {
	defer derrors.Wrap(&err, "store.UpdatePlaybook(%d, %d)", orgID, id)
	var p *playbook.Playbook
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		ps, err := queryPlaybooks(ctx, tx.q, `WHERE org_id = $1 AND id = $2`+db.dialect.LockRows(), orgID, id)
		if err != nil {
			return err
		}
		if len(ps) == 0 {
			return apperr.NotFoundf("no playbook with id %d", id)
		}
		p = ps[0]
		author, err := tx.playbookAuthor(ctx, orgID, f.AuthorID)
		if err != nil {
			return err
		}
		if err := p.Apply(f, author, tx.now); err != nil {
			return err
		}
		if err := tx.checkPlaybookReferences(ctx, orgID, f.Definition); err != nil {
			return err
		}
		meta, goals, def, err := playbookJSON(p)
		if err != nil {
			return err
		}
		if _, err = tx.q.ExecContext(ctx, `UPDATE playbooks SET name = $1, meta = $2, goals = $3, report_type = $4, interaction_id = $5,
			enabled = $6, landing_page = $7, updated_author_id = $8, updated_at = $9, definition = $10, version = $11 WHERE id = $12`,
			p.Name, meta, goals, p.ReportType, p.InteractionID, p.Enabled, p.LandingPage, p.UpdatedAuthorID, p.UpdatedAt,
			def, p.Version, p.ID); err != nil {
			return err
		}
		return tx.insertPlaybookVersion(ctx, p, def)
	})
	return p, err
}

// checkPlaybookReferences refuses a new definition that names a user or
// team the org does not have (another org's reads as missing).
func (tx *Tx) checkPlaybookReferences(ctx context.Context, orgID int64, d *playbook.Definition) error {
	if d == nil {
		return nil
	}
	for _, ref := range d.References() {
		if ref.UserID != 0 {
			if _, err := tx.requireUser(ctx, orgID, ref.UserID, ref.Field); err != nil {
				return err
			}
			continue
		}
		ts, err := queryTeams(ctx, tx.q, `WHERE org_id = $1 AND id = $2`, orgID, ref.TeamID)
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			return apperr.Invalidf(ref.Field, "%s %d is not a team of this org", ref.Field, ref.TeamID)
		}
	}
	return nil
}

// playbookAuthor checks a given author, or picks the org's bot.
func (tx *Tx) playbookAuthor(ctx context.Context, orgID int64, authorID *int64) (int64, error) {
	if authorID != nil {
		u, err := tx.requireUser(ctx, orgID, *authorID, "authorId")
		if err != nil {
			return 0, err
		}
		return u.ID, nil
	}
	us, err := queryUsers(ctx, tx.q, `WHERE org_id = $1 AND bot = $2 ORDER BY id LIMIT 1`, orgID, true)
	if err != nil || len(us) == 0 {
		return 0, err
	}
	return us[0].ID, nil
}

// insertPlaybookVersion keeps version p.Version of p's definition.
func (tx *Tx) insertPlaybookVersion(ctx context.Context, p *playbook.Playbook, def string) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO playbook_versions (playbook_id, version, org_id, definition, author_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, p.ID, p.Version, p.OrgID, def, p.UpdatedAuthorID, p.UpdatedAt)
	return err
}

// playbookJSON encodes p's JSON columns; a playbook without a definition
// stores "".
func playbookJSON(p *playbook.Playbook) (meta, goals, def string, err error) {
	m, err := json.Marshal(p.Meta)
	if err != nil {
		return "", "", "", err
	}
	g, err := json.Marshal(p.Goals)
	if err != nil || p.Definition == nil {
		return string(m), string(g), "", err
	}
	d, err := json.Marshal(p.Definition)
	return string(m), string(g), string(d), err
}

// GetPlaybook implements playbook.Store.
func (db *DB) GetPlaybook(ctx context.Context, orgID, id int64) (_ *playbook.Playbook, err error) {
	defer derrors.Wrap(&err, "store.GetPlaybook(%d, %d)", orgID, id)
	ps, err := queryPlaybooks(ctx, db.read, `WHERE org_id = $1 AND id = $2`, orgID, id)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, apperr.NotFoundf("no playbook with id %d", id)
	}
	return ps[0], nil
}

// PlaybooksPage implements playbook.Store.
func (db *DB) PlaybooksPage(ctx context.Context, orgID, afterID int64, limit int) (_ []*playbook.Playbook, err error) {
	defer derrors.Wrap(&err, "store.PlaybooksPage(%d, %d)", orgID, afterID)
	return queryPlaybooks(ctx, db.read, `WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3`, orgID, afterID, limit)
}

// DeletePlaybook implements playbook.Store.
func (db *DB) DeletePlaybook(ctx context.Context, orgID, id int64) (err error) {
	defer derrors.Wrap(&err, "store.DeletePlaybook(%d, %d)", orgID, id)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.q.ExecContext(ctx, `DELETE FROM playbooks WHERE id = $1 AND org_id = $2`, id, orgID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundf("no playbook with id %d", id)
		}
		return nil
	})
}

// ListPlaybooks implements playbook.Store.
func (db *DB) ListPlaybooks(ctx context.Context, orgID int64, onlyLandingPages bool) (_ []*playbook.Playbook, err error) {
	defer derrors.Wrap(&err, "store.ListPlaybooks(%d)", orgID)
	if onlyLandingPages {
		return queryPlaybooks(ctx, db.read, `WHERE org_id = $1 AND enabled = $2 AND landing_page = $2 ORDER BY id`, orgID, true)
	}
	return queryPlaybooks(ctx, db.read, `WHERE org_id = $1 AND enabled = $2 ORDER BY id`, orgID, true)
}

func queryPlaybooks(ctx context.Context, q queryer, where string, args ...any) ([]*playbook.Playbook, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+playbookColumns+` FROM playbooks `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*playbook.Playbook{}
	for rows.Next() {
		p := &playbook.Playbook{}
		var meta, goals, def string
		if err := rows.Scan(&p.ID, &p.OrgID, &p.Name, &meta, &goals, &p.ReportType, &p.InteractionID, &p.Enabled, &p.LandingPage,
			&p.CreatedAuthorID, &p.UpdatedAuthorID, &p.CreatedAt, &p.UpdatedAt, &def, &p.Version); err != nil {
			return nil, err
		}
		if def != "" {
			if err := json.Unmarshal([]byte(def), &p.Definition); err != nil {
				return nil, fmt.Errorf("store: playbook %d definition: %w", p.ID, err)
			}
		}
		if p.Meta, err = decodeJSONObject(meta); err != nil {
			return nil, fmt.Errorf("store: playbook %d meta: %w", p.ID, err)
		}
		if err := json.NewDecoder(strings.NewReader(goals)).Decode(&p.Goals); err != nil {
			return nil, fmt.Errorf("store: playbook %d goals: %w", p.ID, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
