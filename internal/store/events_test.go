package store_test

import (
	"context"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// A reader going by id must not pass over an event whose transaction took
// its id first but commits last: until it commits, the later event is not
// listed either.
func TestEventStore_NoEventPassedOver(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		if db.Dialect().Name() == "sqlite" {
			t.Skip("SQLite's one writer commits in id order")
		}
		ctx := context.Background()
		orgID := newOrg(t, db)
		appended, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
		go func() { // the slow transaction: first id, last commit
			done <- db.Transact(ctx, func(ctx context.Context, tx *store.Tx) error {
				if err := tx.AppendEvent(ctx, events.New(orgID, events.ContactUpdated, map[string]any{"n": 1})); err != nil {
					return err
				}
				close(appended)
				<-release
				return nil
			})
		}()
		<-appended
		if err := db.Transact(ctx, func(ctx context.Context, tx *store.Tx) error {
			return tx.AppendEvent(ctx, events.New(orgID, events.ContactUpdated, map[string]any{"n": 2}))
		}); err != nil {
			t.Fatal(err)
		}
		evs, err := db.SettledOrgEvents(ctx, orgID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		last, err := db.LastEventID(ctx, orgID)
		if err != nil {
			t.Fatal(err)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if len(evs) != 0 || last != 0 {
			t.Fatalf("while the first event's transaction was open, the stream read %d events, last id %d", len(evs), last)
		}
		evs, err = db.SettledOrgEvents(ctx, orgID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].ID >= evs[1].ID {
			t.Fatalf("after both commits: %d events %v, want both in id order", len(evs), evs)
		}
	})
}
