package store

import (
	"context"
	"math"

	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/events"
)

// OrgEvents lists the org's committed outbox events with an id above
// afterID, oldest first, at most limit of them.
func (db *DB) OrgEvents(ctx context.Context, orgID, afterID int64, limit int) (_ []events.Event, err error) {
	defer derrors.Wrap(&err, "store.OrgEvents(%d, %d)", orgID, afterID)
	return db.orgEvents(ctx, orgID, afterID, math.MaxInt64, limit)
}

func (db *DB) orgEvents(ctx context.Context, orgID, afterID, upTo int64, limit int) ([]events.Event, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, org_id, type, data, created_at FROM events
		WHERE org_id = $1 AND id > $2 AND id <= $3 ORDER BY id LIMIT $4`, orgID, afterID, upTo, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []events.Event
	for rows.Next() {
		var ev events.Event
		var typ, data string
		if err := rows.Scan(&ev.ID, &ev.OrgID, &typ, &data, &ev.CreatedAt); err != nil {
			return nil, err
		}
		ev.Type, ev.Data = events.Type(typ), []byte(data)
		out = append(out, ev)
	}
	return out, rows.Err()
}

// SettledOrgEvents is OrgEvents for a reader that goes on from the last id
// it read, as an event stream does: it lists only settled events, those no
// transaction still running can precede in id order
// (Dialect.SettledEventID), so that such a reader passes none over.
func (db *DB) SettledOrgEvents(ctx context.Context, orgID, afterID int64, limit int) (_ []events.Event, err error) {
	defer derrors.Wrap(&err, "store.SettledOrgEvents(%d, %d)", orgID, afterID)
	settled, err := db.dialect.SettledEventID(ctx, db.read, orgID)
	if err != nil || settled <= afterID {
		return nil, err
	}
	return db.orgEvents(ctx, orgID, afterID, settled, limit)
}

// LastEventID returns the id of the org's newest settled outbox event, or 0.
func (db *DB) LastEventID(ctx context.Context, orgID int64) (_ int64, err error) {
	defer derrors.Wrap(&err, "store.LastEventID(%d)", orgID)
	settled, err := db.dialect.SettledEventID(ctx, db.read, orgID)
	if err != nil {
		return 0, err
	}
	var id int64
	err = db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM events WHERE org_id = $1 AND id <= $2`, orgID, settled).Scan(&id)
	return id, err
}
