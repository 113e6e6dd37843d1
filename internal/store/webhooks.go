package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/integration"
	"github.com/driftwood-chat/driftwood/internal/webhook"
)

var (
	_ webhook.Store    = (*DB)(nil)
	_ webhook.LogStore = (*DB)(nil)
)

// subscriber is an installation that may receive events, with what its
// attempts need (for deliveries leased as they are made).
type subscriber struct {
	appID  int64
	events []events.Type
	scopes []auth.Scope
	url    string
	sealed integration.Sealed
}

// FanOut implements webhook.Store. The events taken are locked (and on
// PostgreSQL skipped by other dispatchers) until they are marked, in the
// same transaction as their deliveries.
func (db *DB) FanOut(ctx context.Context, limit int) (_ int, err error) {
	defer derrors.Wrap(&err, "store.FanOut()")
	f, err := db.fanOut(ctx, limit, webhook.Lease{})
	return f.Events, err
}

// FanOutAndClaim implements webhook.Store: FanOut, whose first deliveries
// (up to lease.Max) are made leased to lease.Owner, as ClaimDeliveries
// would lease them, and returned as jobs; the rest are left pending. It
// leases none when other deliveries are due: those a claim takes first.
func (db *DB) FanOutAndClaim(ctx context.Context, limit int, lease webhook.Lease) (_ webhook.FannedOut, err error) {
	defer derrors.Wrap(&err, "store.FanOutAndClaim(%q)", lease.Owner)
	f, err := db.fanOut(ctx, limit, lease)
	if err != nil {
		// Leases committed regardless expire, and the deliveries are claimed.
		return webhook.FannedOut{LeftDue: true}, err
	}
	return f, nil
}

// dueDeliveries is the condition of a delivery a claim takes at $1 (now).
const dueDeliveries = `status = 'pending' AND next_attempt_at <= $1 AND leased_until <= $1`

func (db *DB) fanOut(ctx context.Context, limit int, lease webhook.Lease) (webhook.FannedOut, error) {
	// A read first: an empty outbox costs no write transaction (on SQLite,
	// no turn of the single writer).
	if empty, err := db.noRows(ctx, `SELECT 1 FROM events WHERE NOT fanned_out LIMIT 1`); err != nil || empty {
		return webhook.FannedOut{}, err
	}
	var f webhook.FannedOut
	err := db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		f = webhook.FannedOut{}
		// Marked and read in one statement (a round trip fewer); the
		// deliveries below commit with the mark or not at all.
		rows, err := tx.q.QueryContext(ctx, `UPDATE events SET fanned_out = TRUE WHERE id IN (
			SELECT id FROM events WHERE NOT fanned_out ORDER BY id LIMIT $1`+db.dialect.SkipLocked()+`)
			RETURNING id, org_id, type, data, created_at`, limit)
		if err != nil {
			return err
		}
		var evs []events.Event
		for rows.Next() {
			var ev events.Event
			var typ, data string
			if err := rows.Scan(&ev.ID, &ev.OrgID, &typ, &data, &ev.CreatedAt); err != nil {
				rows.Close()
				return err
			}
			ev.Type, ev.Data = events.Type(typ), []byte(data)
			evs = append(evs, ev)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		f.Events = len(evs)
		if f.Events == 0 {
			return nil
		}
		toLease := lease.Max
		if toLease > 0 {
			// A claim takes the oldest due first: the fresh deliveries
			// are the ones it would take only when no other is due.
			var one int
			err := tx.q.QueryRowContext(ctx, `SELECT 1 FROM deliveries WHERE `+dueDeliveries+` LIMIT 1`, tx.now).Scan(&one)
			if err == nil {
				toLease, f.LeftDue = 0, true
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		// RETURNING keeps no order: deliveries are made in the events' order.
		slices.SortFunc(evs, func(a, b events.Event) int { return cmp.Compare(a.ID, b.ID) })
		subs := map[int64][]subscriber{} // by org
		var leased, pending []any
		made := map[[2]int64]webhook.Job{} // the leased ones, by event and app
		for _, ev := range evs {
			list, ok := subs[ev.OrgID]
			if !ok {
				if list, err = tx.subscribers(ctx, ev.OrgID); err != nil {
					return err
				}
				subs[ev.OrgID] = list
			}
			for _, s := range list {
				name, ok := integration.DeliveredAs(s.events, s.scopes, ev.Type)
				if !ok {
					continue
				}
				id := webhook.NewWebhookID()
				if len(made) < toLease {
					leased = append(leased, s.appID, ev.OrgID, ev.ID, string(name), id, string(webhook.Pending), tx.now,
						tx.now, tx.now, lease.Until, lease.Owner)
					job := webhook.Job{AppID: s.appID, WebhookID: id, Event: ev, URL: s.url, Sealed: s.sealed,
						LeaseOwner: lease.Owner}
					job.Event.Type = name // the delivery's type: the name the app subscribed to
					made[[2]int64{ev.ID, s.appID}] = job
					continue
				}
				pending = append(pending, s.appID, ev.OrgID, ev.ID, string(name), id, string(webhook.Pending), tx.now,
					tx.now, tx.now)
			}
		}
		if f.Jobs, err = tx.insertLeased(ctx, leased, made); err != nil {
			return err
		}
		f.LeftDue = f.LeftDue || len(pending) > 0
		return tx.execRows(ctx, untyped(9), pending, func(values string) string {
			return `INSERT INTO deliveries (app_id, org_id, event_id, event_type, webhook_id, status, next_attempt_at,
				created_at, updated_at) VALUES ` + values + ` ON CONFLICT (event_id, app_id) DO NOTHING`
		})
	})
	return f, err
}

// insertLeased inserts deliveries made leased (rows of 11 values) and
// returns their jobs, made, with the ids they got, in the order of their
// rows.
func (tx *Tx) insertLeased(ctx context.Context, rows []any, made map[[2]int64]webhook.Job) ([]webhook.Job, error) {
	const cols = 11
	if len(rows) == 0 {
		return nil, nil
	}
	err := tx.queryRows(ctx, untyped(cols), rows, func(values string) string {
		return `INSERT INTO deliveries (app_id, org_id, event_id, event_type, webhook_id, status, next_attempt_at,
			created_at, updated_at, leased_until, lease_owner) VALUES ` + values + `
			ON CONFLICT (event_id, app_id) DO NOTHING RETURNING id, event_id, app_id`
	}, func(rs *sql.Rows) error {
		var id, eventID, appID int64
		if err := rs.Scan(&id, &eventID, &appID); err != nil {
			return err
		}
		job := made[[2]int64{eventID, appID}]
		job.DeliveryID = id
		made[[2]int64{eventID, appID}] = job
		return nil
	})
	if err != nil {
		return nil, err
	}
	jobs := make([]webhook.Job, 0, len(made))
	for i := 0; i < len(rows); i += cols {
		// A row ON CONFLICT skipped got no id: that delivery exists already.
		if job := made[[2]int64{rows[i+2].(int64), rows[i].(int64)}]; job.DeliveryID != 0 {
			jobs = append(jobs, job)
		}
	}
	return jobs, nil
}

// noRows reports whether query, run on the read pool, returns no row.
func (db *DB) noRows(ctx context.Context, query string, args ...any) (bool, error) {
	var one int
	err := db.read.QueryRowContext(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	return false, err
}

// subscribers lists the org's installations of apps with a live webhook.
func (tx *Tx) subscribers(ctx context.Context, orgID int64) ([]subscriber, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT a.id, a.events, i.scopes, a.webhook_url, a.verification_token,
		a.signing_secret, a.previous_signing_secret, a.signing_rotated_at FROM installations i
		JOIN apps a ON a.id = i.app_id
		WHERE i.org_id = $1 AND i.uninstalled_at = 0 AND a.webhook_url <> '' AND a.webhook_disabled_at = 0`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []subscriber
	for rows.Next() {
		var s subscriber
		var evs, scopes string
		if err := rows.Scan(&s.appID, &evs, &scopes, &s.url, &s.sealed.VerificationToken, &s.sealed.SigningSecret,
			&s.sealed.PreviousSigningSecret, &s.sealed.SigningRotatedAt); err != nil {
			return nil, err
		}
		s.events, s.scopes = splitEvents(evs), splitScopes(scopes)
		out = append(out, s)
	}
	return out, rows.Err()
}

// ClaimDeliveries implements webhook.Store.
func (db *DB) ClaimDeliveries(ctx context.Context, owner string, limit int, leaseUntil int64) (_ []webhook.Job, err error) {
	defer derrors.Wrap(&err, "store.ClaimDeliveries(%q)", owner)
	if none, err := db.noRows(ctx, `SELECT 1 FROM deliveries WHERE `+dueDeliveries+` LIMIT 1`, db.Now().UnixMilli()); err != nil || none {
		return nil, err
	}
	var jobs []webhook.Job
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		jobs = nil
		rows, err := tx.q.QueryContext(ctx, `SELECT id FROM deliveries WHERE `+dueDeliveries+`
			ORDER BY next_attempt_at, id LIMIT $2`+db.dialect.SkipLocked(), tx.now, limit)
		if err != nil {
			return err
		}
		ids, err := scanIDs(rows)
		if err != nil || len(ids) == 0 {
			return err
		}
		args := []any{leaseUntil, owner}
		for _, id := range ids {
			args = append(args, id)
		}
		if _, err := tx.tx.ExecContext(ctx, `UPDATE deliveries SET leased_until = $1, lease_owner = $2
			WHERE id IN (`+placeholders(3, len(ids))+`)`, args...); err != nil {
			return err
		}
		rows, err = tx.tx.QueryContext(ctx, `SELECT d.id, d.app_id, d.webhook_id, d.step,
			e.id, e.org_id, d.event_type, e.data, e.created_at, a.webhook_url, a.verification_token, a.signing_secret,
			a.previous_signing_secret, a.signing_rotated_at
			FROM deliveries d JOIN events e ON e.id = d.event_id JOIN apps a ON a.id = d.app_id
			WHERE d.id IN (`+placeholders(1, len(ids))+`) ORDER BY d.next_attempt_at, d.id`, args[2:]...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j := webhook.Job{LeaseOwner: owner}
			var typ, data string
			if err := rows.Scan(&j.DeliveryID, &j.AppID, &j.WebhookID, &j.Step, &j.Event.ID, &j.Event.OrgID, &typ, &data,
				&j.Event.CreatedAt, &j.URL, &j.Sealed.VerificationToken, &j.Sealed.SigningSecret,
				&j.Sealed.PreviousSigningSecret, &j.Sealed.SigningRotatedAt); err != nil {
				return err
			}
			// The delivery's type: the name the app subscribed to.
			j.Event.Type, j.Event.Data = events.Type(typ), []byte(data)
			jobs = append(jobs, j)
		}
		return rows.Err()
	})
	return jobs, err
}

// RecordAttempts implements webhook.Store: the attempts in one multi-row
// INSERT and their deliveries' new states in one multi-row UPDATE, so that
// recording a batch costs a few round trips, not two per attempt. An
// attempt that disables its app's webhook (410) is recorded on its own
// after them, with what else that changes.
func (db *DB) RecordAttempts(ctx context.Context, rs []webhook.Recorded) (err error) {
	defer derrors.Wrap(&err, "store.RecordAttempts(%d results)", len(rs))
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		var attempts, states []any
		var disabled []webhook.Recorded
		for _, r := range rs {
			if r.Result.Outcome == webhook.OutcomeDisabled {
				disabled = append(disabled, r)
				continue
			}
			res := r.Result
			attempts = append(attempts, r.Job.DeliveryID, res.AttemptedAt, res.StatusCode, res.LatencyMs, res.Response,
				res.Error, string(res.Outcome))
			status, step, next, delivered := r.Job.After(res)
			states = append(states, r.Job.DeliveryID, r.Job.LeaseOwner, string(status), step, next, res.StatusCode,
				res.Error, delivered, tx.now)
		}
		if err := tx.execRows(ctx, untyped(7), attempts, insertAttempts); err != nil {
			return err
		}
		// Only where the lease is still this dispatcher's: a delivery whose
		// lease passed to another keeps just the attempt.
		if err := tx.execRows(ctx, deliveryStateTypes, states, func(values string) string {
			return `UPDATE deliveries SET status = v.column3, attempts = attempts + 1, step = v.column4,
				next_attempt_at = v.column5, leased_until = 0, lease_owner = '', last_status = v.column6,
				last_error = v.column7, delivered_at = CASE WHEN v.column8 > 0 THEN v.column8 ELSE delivered_at END,
				updated_at = v.column9
				FROM (VALUES ` + values + `) AS v
				WHERE deliveries.id = v.column1 AND deliveries.lease_owner = v.column2`
		}); err != nil {
			return err
		}
		for _, r := range disabled {
			if err := tx.recordDisabled(ctx, r.Job, r.Result); err != nil {
				return err
			}
		}
		return nil
	})
}

// deliveryStateTypes are the columns of a delivery's new state in
// RecordAttempts: id, lease owner, status, step, next attempt, last status,
// last error, delivered at, updated at.
var deliveryStateTypes = []string{"BIGINT", "TEXT", "TEXT", "INTEGER", "BIGINT", "INTEGER", "TEXT", "BIGINT", "BIGINT"}

func insertAttempts(values string) string {
	return `INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code, latency_ms, response, error,
		outcome) VALUES ` + values
}

// recordDisabled records an attempt answered 410 Gone: the delivery fails,
// and if the lease was still this dispatcher's, the app's webhook is
// disabled and its other pending deliveries fail with it.
func (tx *Tx) recordDisabled(ctx context.Context, job webhook.Job, r webhook.Result) error {
	if err := tx.execRows(ctx, untyped(7), []any{job.DeliveryID, r.AttemptedAt, r.StatusCode, r.LatencyMs, r.Response,
		r.Error, string(r.Outcome)}, insertAttempts); err != nil {
		return err
	}
	res, err := tx.q.ExecContext(ctx, `UPDATE deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = 0,
			leased_until = 0, lease_owner = '', last_status = $2, last_error = $3, updated_at = $4
			WHERE id = $5 AND lease_owner = $6`,
		string(webhook.Failed), r.StatusCode, r.Error, tx.now, job.DeliveryID, job.LeaseOwner)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	if _, err := tx.q.ExecContext(ctx, `UPDATE apps SET webhook_disabled_at = $1 WHERE id = $2`, tx.now, job.AppID); err != nil {
		return err
	}
	_, err = tx.q.ExecContext(ctx, `UPDATE deliveries SET status = 'failed', next_attempt_at = 0,
			last_error = 'the endpoint answered 410 Gone and was disabled', updated_at = $1
			WHERE app_id = $2 AND status = 'pending' AND leased_until <= $1`, tx.now, job.AppID)
	return err
}

// OldestPending implements webhook.Store.
func (db *DB) OldestPending(ctx context.Context) (_ int64, err error) {
	defer derrors.Wrap(&err, "store.OldestPending()")
	var created sql.NullInt64
	err = db.read.QueryRowContext(ctx, `SELECT MIN(created_at) FROM deliveries WHERE status = 'pending'`).Scan(&created)
	return created.Int64, err
}

const deliveryColumns = `d.id, d.app_id, d.org_id, d.event_id, d.event_type, d.webhook_id, d.status, d.attempts,
	d.next_attempt_at, d.last_status, d.last_error, d.delivered_at, d.created_at, d.updated_at`

// ListDeliveries implements webhook.LogStore.
func (db *DB) ListDeliveries(ctx context.Context, ownerOrgID int64, f webhook.Filter) (_ []*webhook.Delivery, err error) {
	defer derrors.Wrap(&err, "store.ListDeliveries(%d)", ownerOrgID)
	where := []string{"a.org_id = $1"}
	args := []any{ownerOrgID}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.AppID != 0 {
		add("d.app_id = $%d", f.AppID)
	}
	if f.EventType != "" {
		add("d.event_type = $%d", string(f.EventType))
	}
	if f.Status != "" {
		add("d.status = $%d", string(f.Status))
	}
	if f.Before != 0 {
		add("d.id < $%d", f.Before)
	}
	args = append(args, f.Limit)
	return queryDeliveries(ctx, db.read, `WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY d.id DESC LIMIT $%d`, len(args)), args...)
}

// GetDelivery implements webhook.LogStore.
func (db *DB) GetDelivery(ctx context.Context, ownerOrgID, id int64) (_ *webhook.Delivery, err error) {
	defer derrors.Wrap(&err, "store.GetDelivery(%d, %d)", ownerOrgID, id)
	var d *webhook.Delivery
	// One snapshot, so the status and the attempts agree.
	err = db.readSnapshot(ctx, func(q queryer) error {
		var err error
		if d, err = getDelivery(ctx, q, ownerOrgID, id); err != nil {
			return err
		}
		rows, err := q.QueryContext(ctx, `SELECT id, attempted_at, status_code, latency_ms, response, error, outcome
			FROM delivery_attempts WHERE delivery_id = $1 ORDER BY id`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		d.Attempts = []webhook.Attempt{}
		for rows.Next() {
			var a webhook.Attempt
			var outcome string
			if err := rows.Scan(&a.ID, &a.AttemptedAt, &a.StatusCode, &a.LatencyMs, &a.Response, &a.Error, &outcome); err != nil {
				return err
			}
			a.Outcome = webhook.Outcome(outcome)
			d.Attempts = append(d.Attempts, a)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// RetryDelivery implements webhook.LogStore.
func (db *DB) RetryDelivery(ctx context.Context, ownerOrgID, id int64) (_ *webhook.Delivery, err error) {
	defer derrors.Wrap(&err, "store.RetryDelivery(%d, %d)", ownerOrgID, id)
	var d *webhook.Delivery
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		var leasedUntil int64
		err := tx.q.QueryRowContext(ctx, `SELECT d.leased_until FROM deliveries d JOIN apps a ON a.id = d.app_id
			WHERE d.id = $1 AND a.org_id = $2`+db.dialect.LockRows(), id, ownerOrgID).Scan(&leasedUntil)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("no delivery with id %d", id)
		}
		if err != nil {
			return err
		}
		if err := webhook.CheckRetry(id, leasedUntil, tx.now); err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE deliveries SET status = 'pending', step = 0, next_attempt_at = $1,
			updated_at = $1 WHERE id = $2`, tx.now, id); err != nil {
			return err
		}
		d, err = getDelivery(ctx, tx.q, ownerOrgID, id)
		return err
	})
	return d, err
}

func getDelivery(ctx context.Context, q queryer, ownerOrgID, id int64) (*webhook.Delivery, error) {
	ds, err := queryDeliveries(ctx, q, `WHERE d.id = $1 AND a.org_id = $2`, id, ownerOrgID)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, apperr.NotFoundf("no delivery with id %d", id)
	}
	return ds[0], nil
}

func queryDeliveries(ctx context.Context, q queryer, where string, args ...any) ([]*webhook.Delivery, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries d JOIN apps a ON a.id = d.app_id `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*webhook.Delivery{}
	for rows.Next() {
		d := &webhook.Delivery{}
		var typ, status string
		if err := rows.Scan(&d.ID, &d.AppID, &d.OrgID, &d.EventID, &typ, &d.WebhookID, &status, &d.AttemptCount,
			&d.NextAttemptAt, &d.LastStatus, &d.LastError, &d.DeliveredAt, &d.CreatedAt, &d.UpdatedAt); err != nil {
			return nil, err
		}
		d.EventType, d.Status = events.Type(typ), webhook.Status(status)
		out = append(out, d)
	}
	return out, rows.Err()
}
