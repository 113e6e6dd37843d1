package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/derrors"
)

// AppOrg returns the org that owns app id, whichever org that is: the
// operator's commands (driftwood token revoke --app) name an app by id alone.
func (db *DB) AppOrg(ctx context.Context, id int64) (_ int64, err error) {
	defer derrors.Wrap(&err, "store.AppOrg(%d)", id)
	var orgID int64
	err = db.read.QueryRowContext(ctx, `SELECT org_id FROM apps WHERE id = $1`, id).Scan(&orgID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, apperr.NotFoundf("no app with id %d", id)
	}
	return orgID, err
}
