package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/gdpr"
)

var _ gdpr.Store = (*DB)(nil)

// subject is the person a GDPR request is about: the email, and the ids of
// her rows that other tables point to, found once per request.
type subject struct {
	orgID      int64
	email      string // lower-cased
	contactIDs []int64
}

// gdprTable says which rows of one table are tied to a subject: where
// returns a condition on the table, adding its parameters to a.
type gdprTable struct {
	name  string
	where func(s *subject, a *args) string
}

// gdprOrder is the export's order of the tables whose key is not id.
var gdprOrder = map[string]string{"conversation_reads": "conversation_id, user_id"}

// gdprTables are the tables a GDPR request covers, each parent before the
// tables that point to it: a retrieve exports them in this order and a
// delete removes them in the reverse one, so a child's condition may
// select through its parent (messages: conversation_id IN (SELECT id FROM
// conversations WHERE contact_id IN …)).
//
// A table that holds personal data adds its entry here; the GDPR test then
// proves no row of any table still holds the email after a delete.
var gdprTables = []gdprTable{
	{"contacts", func(s *subject, a *args) string {
		return "org_id = " + a.add(s.orgID) + " AND id IN " + a.in(s.contactIDs)
	}},
	{"timeline_events", func(s *subject, a *args) string {
		return "org_id = " + a.add(s.orgID) + " AND contact_id IN " + a.in(s.contactIDs)
	}},
	{"conversations", func(s *subject, a *args) string {
		return "org_id = " + a.add(s.orgID) + " AND contact_id IN " + a.in(s.contactIDs)
	}},
	{"messages", func(s *subject, a *args) string {
		return "org_id = " + a.add(s.orgID) + " AND conversation_id IN (SELECT id FROM conversations WHERE contact_id IN " + a.in(s.contactIDs) + ")"
	}},
	// The agents' read markers of the contacts' conversations.
	{"conversation_reads", func(s *subject, a *args) string {
		return "org_id = " + a.add(s.orgID) + " AND conversation_id IN (SELECT id FROM conversations WHERE contact_id IN " + a.in(s.contactIDs) + ")"
	}},
	{"attachments", func(s *subject, a *args) string {
		return "org_id = " + a.add(s.orgID) + " AND message_id IN (SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.contact_id IN " + a.in(s.contactIDs) + ")"
	}},
	{"meetings", func(s *subject, a *args) string {
		return "org_id = " + a.add(s.orgID) + " AND scheduler_id IN " + a.in(s.contactIDs)
	}},
	// The search index: the contacts' entries and their messages'.
	{"search_entries", func(s *subject, a *args) string {
		return "org_id = " + a.add(s.orgID) + " AND contact_id IN " + a.in(s.contactIDs)
	}},
	{"users", func(s *subject, a *args) string {
		e := a.add(s.email)
		return "org_id = " + a.add(s.orgID) + " AND bot = " + a.add(false) +
			" AND (lower(email) = " + e + " OR lower(user_name) = " + e + ")"
	}},
	// The outbox: event payloads that carry the email (contact diffs).
	{"events", func(s *subject, a *args) string {
		return "org_id = " + a.add(s.orgID) + " AND lower(data) LIKE " + a.add(likePattern(s.email)) + ` ESCAPE '\'`
	}},
}

// args collects the parameters of a query as its conditions are built.
type args []any

// add appends v and returns its placeholder.
func (a *args) add(v any) string {
	*a = append(*a, v)
	return fmt.Sprintf("$%d", len(*a))
}

// in renders ids as a parenthesized list; an empty one matches nothing.
func (a *args) in(ids []int64) string {
	if len(ids) == 0 {
		return "(NULL)"
	}
	marks := make([]string, len(ids))
	for i, id := range ids {
		marks[i] = a.add(id)
	}
	return "(" + strings.Join(marks, ", ") + ")"
}

// likePattern matches text containing s, escaping LIKE's wildcards
// (underscores are common in email addresses).
func likePattern(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

const gdprColumns = `id, org_id, kind, email, status, export, created_at, updated_at`

// CreateGDPRRequest implements gdpr.Store.
func (db *DB) CreateGDPRRequest(ctx context.Context, r *gdpr.Request) (err error) {
	defer derrors.Wrap(&err, "store.CreateGDPRRequest(%d)", r.OrgID)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		r.CreatedAt, r.UpdatedAt = tx.now, tx.now
		return tx.q.QueryRowContext(ctx, `INSERT INTO gdpr_requests (org_id, kind, email, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			r.OrgID, string(r.Kind), r.Email, r.Status, r.CreatedAt, r.UpdatedAt).Scan(&r.ID)
	})
}

// GDPRRequest implements gdpr.Store.
func (db *DB) GDPRRequest(ctx context.Context, orgID, id int64) (_ *gdpr.Request, err error) {
	defer derrors.Wrap(&err, "store.GDPRRequest(%d, %d)", orgID, id)
	rs, err := queryGDPR(ctx, db.read, `WHERE id = $1 AND org_id = $2`, id, orgID)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, apperr.NotFoundf("no gdpr request with id %d", id)
	}
	return rs[0], nil
}

// GDPRRequests implements gdpr.Store.
func (db *DB) GDPRRequests(ctx context.Context, orgID int64) (_ []*gdpr.Request, err error) {
	defer derrors.Wrap(&err, "store.GDPRRequests(%d)", orgID)
	rs, err := queryGDPR(ctx, db.read, `WHERE org_id = $1 ORDER BY id DESC`, orgID)
	for _, r := range rs {
		r.Export = nil
	}
	return rs, err
}

// PendingGDPRRequests implements gdpr.Store.
func (db *DB) PendingGDPRRequests(ctx context.Context) (_ []int64, err error) {
	defer derrors.Wrap(&err, "store.PendingGDPRRequests()")
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM gdpr_requests WHERE status = $1 ORDER BY id`, gdpr.Pending)
	if err != nil {
		return nil, err
	}
	return scanIDs(rows)
}

func queryGDPR(ctx context.Context, q queryer, where string, args ...any) ([]*gdpr.Request, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+gdprColumns+` FROM gdpr_requests `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*gdpr.Request
	for rows.Next() {
		r := &gdpr.Request{}
		var export sql.NullString
		if err := rows.Scan(&r.ID, &r.OrgID, &r.Kind, &r.Email, &r.Status, &export, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return nil, err
		}
		if export.Valid {
			r.Export = json.RawMessage(export.String)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ProcessGDPRRequest implements gdpr.Store.
func (db *DB) ProcessGDPRRequest(ctx context.Context, id int64) (err error) {
	defer derrors.Wrap(&err, "store.ProcessGDPRRequest(%d)", id)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		rs, err := queryGDPR(ctx, tx.q, `WHERE id = $1 AND status = $2`+db.dialect.SkipLocked(), id, gdpr.Pending)
		if err != nil || len(rs) == 0 {
			return err
		}
		r := rs[0]
		s, err := tx.subject(ctx, r.OrgID, r.Email)
		if err != nil {
			return err
		}
		var export any
		switch r.Kind {
		case gdpr.Retrieve:
			if export, err = tx.exportSubject(ctx, s); err != nil {
				return err
			}
		case gdpr.Delete:
			if err := tx.eraseSubject(ctx, s); err != nil {
				return err
			}
		default:
			return fmt.Errorf("store: gdpr request %d has unknown kind %q", r.ID, r.Kind)
		}
		var data sql.NullString
		if export != nil {
			b, err := json.Marshal(export)
			if err != nil {
				return err
			}
			data = sql.NullString{String: string(b), Valid: true}
		}
		_, err = tx.q.ExecContext(ctx, `UPDATE gdpr_requests SET status = $1, export = $2, updated_at = $3 WHERE id = $4`,
			gdpr.Done, data, tx.now, r.ID)
		return err
	})
}

// subject finds the contacts tied to email: by their email, or by any
// attribute that holds it.
func (tx *Tx) subject(ctx context.Context, orgID int64, email string) (*subject, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT id FROM contacts WHERE org_id = $1
		AND (email_norm = $2 OR lower(attributes) LIKE $3 ESCAPE '\') ORDER BY id`, orgID, email, likePattern(email))
	if err != nil {
		return nil, err
	}
	ids, err := scanIDs(rows)
	return &subject{orgID: orgID, email: email, contactIDs: ids}, err
}

// exportSubject reads every row tied to s, one key per table.
func (tx *Tx) exportSubject(ctx context.Context, s *subject) (map[string]any, error) {
	out := map[string]any{"email": s.email, "exportedAt": tx.now}
	for _, t := range gdprTables {
		var a args
		order := gdprOrder[t.name]
		if order == "" {
			order = "id"
		}
		rows, err := tx.tx.QueryContext(ctx, `SELECT * FROM `+t.name+` WHERE `+t.where(s, &a)+` ORDER BY `+order, a...)
		if err != nil {
			return nil, fmt.Errorf("store: gdpr export of %s: %w", t.name, err)
		}
		if out[t.name], err = scanGeneric(rows); err != nil {
			return nil, fmt.Errorf("store: gdpr export of %s: %w", t.name, err)
		}
	}
	return out, nil
}

// eraseSubject deletes every row tied to s, children first, and clears the
// email from the org's GDPR requests (earlier exports included).
func (tx *Tx) eraseSubject(ctx context.Context, s *subject) error {
	for i := len(gdprTables) - 1; i >= 0; i-- {
		t := gdprTables[i]
		var a args
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM `+t.name+` WHERE `+t.where(s, &a), a...); err != nil {
			return fmt.Errorf("store: gdpr delete from %s: %w", t.name, err)
		}
	}
	_, err := tx.q.ExecContext(ctx, `UPDATE gdpr_requests SET email = '', export = NULL, updated_at = $1
		WHERE org_id = $2 AND email = $3`, tx.now, s.orgID, s.email)
	return err
}

// scanGeneric reads rows as column-to-value objects; text columns that
// hold JSON objects or arrays are embedded as JSON.
func scanGeneric(rows *sql.Rows) ([]map[string]any, error) {
	out := []map[string]any{}
	err := EachRow(rows, func(cols []string, vals []any) error {
		row := map[string]any{}
		for i, c := range cols {
			v := vals[i]
			if s, ok := v.(string); ok && (strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[")) && json.Valid([]byte(s)) {
				v = json.RawMessage(s)
			}
			row[c] = v
		}
		out = append(out, row)
		return nil
	})
	return out, err
}
