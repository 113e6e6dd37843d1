package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/widget"
)

var _ widget.Store = (*DB)(nil)

// WidgetSettings implements widget.Store.
func (db *DB) WidgetSettings(ctx context.Context, orgID int64) (_ *widget.Settings, _ string, err error) {
	defer derrors.Wrap(&err, "store.WidgetSettings(%d)", orgID)
	var data, secret string
	var updated int64
	err = db.reads.QueryRowContext(ctx, `SELECT settings, secret, updated_at FROM widgets WHERE org_id = $1`, orgID).Scan(&data, &secret, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		s := widget.Defaults()
		return &s, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	s := widget.Defaults()
	if err := json.Unmarshal([]byte(data), &s); err != nil {
		return nil, "", fmt.Errorf("store: widget settings of org %d: %w", orgID, err)
	}
	s.UpdatedAt = updated
	s.IdentitySecretSet = secret != ""
	return &s, secret, nil
}

// SaveWidgetSettings implements widget.Store.
func (db *DB) SaveWidgetSettings(ctx context.Context, orgID int64, s *widget.Settings, sealedSecret string) (err error) {
	defer derrors.Wrap(&err, "store.SaveWidgetSettings(%d)", orgID)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		s.UpdatedAt = tx.now
		data, err := json.Marshal(s)
		if err != nil {
			return err
		}
		_, err = tx.q.ExecContext(ctx, `INSERT INTO widgets (org_id, settings, secret, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (org_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at,
			secret = CASE WHEN excluded.secret = '' THEN widgets.secret ELSE excluded.secret END`,
			orgID, string(data), sealedSecret, tx.now)
		return err
	})
}
