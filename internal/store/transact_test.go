package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// claimed reports whether name was claimed by a committed transaction:
// claiming it again then fails.
func claimed(t *testing.T, db *store.DB, name string) bool {
	t.Helper()
	var first bool
	err := db.Transact(context.Background(), func(ctx context.Context, tx *store.Tx) (err error) {
		if first, err = tx.ClaimOnce(ctx, name); err != nil {
			return err
		}
		return errors.New("roll back") // only asking
	})
	if err == nil || err.Error() != "roll back" {
		t.Fatalf("Transact: %v", err)
	}
	return !first
}

func TestTransact_ErrorRollsBack(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		refused := errors.New("refused")
		err := db.Transact(context.Background(), func(ctx context.Context, tx *store.Tx) error {
			if _, err := tx.ClaimOnce(ctx, "e"); err != nil {
				return err
			}
			return refused
		})
		if !errors.Is(err, refused) {
			t.Fatalf("Transact = %v, want fn's error", err)
		}
		if claimed(t, db, "e") {
			t.Fatal("the write of a transaction whose fn failed was committed")
		}
	})
}

func TestTransact_PanicRollsBackAndGoesOn(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		func() {
			defer func() {
				if p := recover(); p != "boom" {
					t.Fatalf("recovered %v, want fn's panic", p)
				}
			}()
			db.Transact(context.Background(), func(ctx context.Context, tx *store.Tx) error {
				if _, err := tx.ClaimOnce(ctx, "p"); err != nil {
					return err
				}
				panic("boom")
			})
			t.Fatal("Transact returned after fn panicked")
		}()
		// The writer is free again (on SQLite a connection left inside the
		// transaction would block this forever) and nothing was committed.
		if claimed(t, db, "p") {
			t.Fatal("the write of a transaction whose fn panicked was committed")
		}
	})
}

func TestTransact_RefusesNesting(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		// A deadline only so that a regression fails instead of hanging.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var nested, nestedWrite error
		err := db.Transact(ctx, func(ctx context.Context, tx *store.Tx) error {
			nested = db.Transact(ctx, func(context.Context, *store.Tx) error { return nil })
			_, nestedWrite = db.CreateOrg(ctx, "Nested")
			_, err := tx.ClaimOnce(ctx, "outer")
			return err
		})
		if err != nil {
			t.Fatalf("outer Transact: %v", err)
		}
		if !errors.Is(nested, store.ErrNestedTransaction) || !errors.Is(nestedWrite, store.ErrNestedTransaction) {
			t.Fatalf("nested Transact = %v, nested write = %v; want ErrNestedTransaction", nested, nestedWrite)
		}
		if !claimed(t, db, "outer") {
			t.Fatal("the outer transaction did not commit")
		}
		if n, err := db.CountOrgs(context.Background()); err != nil || n != 0 {
			t.Fatalf("orgs = %d, %v; the refused nested write wrote", n, err)
		}
	})
}
