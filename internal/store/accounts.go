package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/account"
	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/derrors"
)

var _ account.Store = (*DB)(nil)

const accountColumns = `account_id, org_id, owner_id, name, domain, custom_properties, deleted, targeted, created_at, updated_at`

const conflictDomain = "an account with this domain already exists"

// CreateAccount implements account.Store.
func (db *DB) CreateAccount(ctx context.Context, orgID int64, f account.Fields) (_ *account.Account, err error) {
	defer derrors.Wrap(&err, "store.CreateAccount(%d)", orgID)
	var a *account.Account
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		if a, err = account.New(orgID, f, tx.now); err != nil {
			return err
		}
		if err := tx.checkAccountUsers(ctx, a); err != nil {
			return err
		}
		props, err := json.Marshal(a.CustomProperties)
		if err != nil {
			return err
		}
		_, err = tx.q.ExecContext(ctx, `INSERT INTO accounts (`+accountColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			a.AccountID, orgID, a.OwnerID, a.Name, a.Domain, string(props), a.Deleted, a.Targeted, a.CreateDateTime, a.UpdateDateTime)
		return db.mapErr(err, conflictDomain)
	})
	return a, err
}

func (tx *Tx) checkAccountUsers(ctx context.Context, a *account.Account) error {
	for _, ref := range a.UserRefs() {
		if _, err := tx.requireUser(ctx, a.OrgID, ref.UserID, ref.Param); err != nil {
			return err
		}
	}
	return nil
}

// GetAccount implements account.Store.
func (db *DB) GetAccount(ctx context.Context, orgID int64, accountID string) (_ *account.Account, err error) {
	defer derrors.Wrap(&err, "store.GetAccount(%d, %q)", orgID, accountID)
	return getAccount(ctx, db.read, orgID, accountID, "")
}

func getAccount(ctx context.Context, q queryer, orgID int64, accountID, lock string) (*account.Account, error) {
	as, err := queryAccounts(ctx, q, `WHERE org_id = $1 AND account_id = $2`+lock, orgID, accountID)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, apperr.NotFoundf("no account with accountId %q", accountID)
	}
	return as[0], nil
}

// ListAccounts implements account.Store.
func (db *DB) ListAccounts(ctx context.Context, orgID int64, index, size int) (_ []*account.Account, _ bool, err error) {
	defer derrors.Wrap(&err, "store.ListAccounts(%d)", orgID)
	as, err := queryAccounts(ctx, db.read, `WHERE org_id = $1 AND deleted = $2 ORDER BY id LIMIT $3 OFFSET $4`,
		orgID, false, size+1, index)
	if err != nil || len(as) <= size {
		return as, false, err
	}
	return as[:size], true, nil
}

// UpdateAccount implements account.Store.
func (db *DB) UpdateAccount(ctx context.Context, orgID int64, accountID string, f account.Fields) (_ *account.Account, err error) {
	defer derrors.Wrap(&err, "store.UpdateAccount(%d, %q)", orgID, accountID)
	var a *account.Account
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		if a, err = getAccount(ctx, tx.q, orgID, accountID, db.dialect.LockRows()); err != nil {
			return err
		}
		if err := a.Update(f, tx.now); err != nil {
			return err
		}
		if err := tx.checkAccountUsers(ctx, a); err != nil {
			return err
		}
		props, err := json.Marshal(a.CustomProperties)
		if err != nil {
			return err
		}
		_, err = tx.q.ExecContext(ctx, `UPDATE accounts SET owner_id = $1, name = $2, custom_properties = $3, targeted = $4, updated_at = $5
			WHERE org_id = $6 AND account_id = $7`, a.OwnerID, a.Name, string(props), a.Targeted, a.UpdateDateTime, orgID, accountID)
		return err
	})
	return a, err
}

// DeleteAccount implements account.Store. Deleting a deleted account is not found.
func (db *DB) DeleteAccount(ctx context.Context, orgID int64, accountID string) (err error) {
	defer derrors.Wrap(&err, "store.DeleteAccount(%d, %q)", orgID, accountID)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.q.ExecContext(ctx, `UPDATE accounts SET deleted = $1, updated_at = $2 WHERE org_id = $3 AND account_id = $4 AND deleted = $5`,
			true, tx.now, orgID, accountID, false)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundf("no account with accountId %q", accountID)
		}
		return nil
	})
}

func queryAccounts(ctx context.Context, q queryer, where string, args ...any) ([]*account.Account, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*account.Account{}
	for rows.Next() {
		a := &account.Account{}
		var props string
		if err := rows.Scan(&a.AccountID, &a.OrgID, &a.OwnerID, &a.Name, &a.Domain, &props, &a.Deleted, &a.Targeted,
			&a.CreateDateTime, &a.UpdateDateTime); err != nil {
			return nil, err
		}
		dec := json.NewDecoder(strings.NewReader(props))
		dec.UseNumber()
		if err := dec.Decode(&a.CustomProperties); err != nil {
			return nil, fmt.Errorf("store: account %s custom properties: %w", a.AccountID, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
