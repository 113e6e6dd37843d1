package store_test

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

func appendEvent(ctx context.Context, db *store.DB, orgID int64, n int) error {
	return db.Transact(ctx, func(ctx context.Context, tx *store.Tx) error {
		return tx.AppendEvent(ctx, events.New(orgID, events.ContactUpdated, map[string]any{"n": n}))
	})
}

// A reader going by id must not pass over an event whose transaction took
// its id first but commits last: the transaction appending the org's next
// event waits for it, so until it commits no later event is listed either.
func TestEventStore_NoEventPassedOver(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		orgID := newOrg(t, db)
		inserted, release := make(chan struct{}), make(chan struct{})
		var held atomic.Bool
		db.SetBeforeCommit(func() { // the first transaction stops between its insert and its commit
			if held.CompareAndSwap(false, true) {
				close(inserted)
				<-release
			}
		})
		first, second := make(chan error, 1), make(chan error, 1)
		go func() { first <- appendEvent(ctx, db, orgID, 1) }()
		<-inserted
		go func() { second <- appendEvent(ctx, db, orgID, 2) }()
		waitForEventLockOrDone(t, db, orgID, second)

		evs, err := db.SettledOrgEvents(ctx, orgID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		last, err := db.LastEventID(ctx, orgID)
		if err != nil {
			t.Fatal(err)
		}
		close(release)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if err := <-second; err != nil {
			t.Fatal(err)
		}
		if len(evs) != 0 || last != 0 {
			t.Fatalf("while the first event's transaction was open, the stream read %d events, last id %d", len(evs), last)
		}
		evs, err = db.SettledOrgEvents(ctx, orgID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].ID >= evs[1].ID || string(evs[0].Data) != `{"n":1}` {
			t.Fatalf("after both commits: %d events %v, want both, the first one first", len(evs), evs)
		}
	})
}

// A transaction holding the org's event lock between its inserts and its
// commit holds back only the events after its own: the events committed
// before it stay readable, and another writer of the org does not wait for
// it (writers share the lock, so their commits can share a WAL flush).
func TestEventStore_HeldWriterHoldsBackOnlyLaterEvents(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		if db.Dialect().Name() != "postgres" {
			t.Skip("SQLite has one writer at a time")
		}
		ctx := context.Background()
		orgID := newOrg(t, db)
		if err := appendEvent(ctx, db, orgID, 1); err != nil {
			t.Fatal(err)
		}
		inserted, release := make(chan struct{}), make(chan struct{})
		var held atomic.Bool
		db.SetBeforeCommit(func() {
			if held.CompareAndSwap(false, true) {
				close(inserted)
				<-release
			}
		})
		second, third := make(chan error, 1), make(chan error, 1)
		go func() { second <- appendEvent(ctx, db, orgID, 2) }()
		<-inserted
		go func() { third <- appendEvent(ctx, db, orgID, 3) }()
		select {
		case err := <-third:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(time.Minute):
			close(release)
			t.Fatal("a writer of the org waited for another one's commit")
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
		if err := <-second; err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || string(evs[0].Data) != `{"n":1}` || last != evs[0].ID {
			t.Fatalf("with the second writer held, the stream read %v, last id %d; want only the first event", evs, last)
		}
		evs, err = db.SettledOrgEvents(ctx, orgID, evs[0].ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || string(evs[0].Data) != `{"n":2}` || string(evs[1].Data) != `{"n":3}` {
			t.Fatalf("after the commit the stream read %v, want the second and third events", evs)
		}
	})
}

// waitForEventLockOrDone returns once the writer reporting to done has
// finished or, on PostgreSQL, waits for the org's event lock. (On SQLite
// the second writer cannot begin while the first holds the one writer.)
func waitForEventLockOrDone(t *testing.T, db *store.DB, orgID int64, done chan error) {
	t.Helper()
	if db.Dialect().Name() != "postgres" {
		return
	}
	_, read := db.Pools()
	for give := time.Now().Add(time.Minute); time.Now().Before(give); time.Sleep(5 * time.Millisecond) {
		if len(done) > 0 {
			return
		}
		var waiting bool
		if err := read.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND classid = 'events'::regclass::oid AND objid = $1::int8::oid AND objsubid = 2)`, orgID).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			return
		}
	}
	t.Fatal("the second writer neither finished nor waited for the event lock within a minute")
}

// An open transaction that writes no events, in another database of the
// server or in this one, holds no event back (PostgreSQL's snapshot xmin,
// which an earlier design read by, is the whole server's).
func TestEventStore_OtherTransactionsHoldNothingBack(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		if db.Dialect().Name() != "postgres" {
			t.Skip("SQLite has one writer at a time")
		}
		ctx := context.Background()
		orgID, otherOrg := newOrg(t, db), newOrg(t, db)

		// A transaction in another database ("postgres", which every server has).
		u, err := url.Parse(os.Getenv(storetest.PostgresEnv))
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/postgres"
		other, err := sql.Open("pgx", u.String())
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		otherTx, err := other.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer otherTx.Rollback()
		var xid string
		if err := otherTx.QueryRow(`SELECT pg_current_xact_id()::text`).Scan(&xid); err != nil {
			t.Fatal(err)
		}
		// And one in this database that writes to another table.
		write, _ := db.Pools()
		sameTx, err := write.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer sameTx.Rollback()
		if _, err := sameTx.Exec(`UPDATE orgs SET name = 'held open' WHERE id = $1`, otherOrg); err != nil {
			t.Fatal(err)
		}

		if err := appendEvent(ctx, db, orgID, 1); err != nil {
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
		if len(evs) != 1 || last != evs[0].ID {
			t.Fatalf("with unrelated transactions open the stream read %d events, last id %d; want the committed one", len(evs), last)
		}
	})
}

// Writers appending in parallel while a reader goes on from the last id it
// read: the reader ends up with every event, each once, in id order.
func TestEventStore_InterleavedWritersPassNothingOver(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		orgID := newOrg(t, db)
		const writers, each = 8, 25
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					err := db.Transact(ctx, func(ctx context.Context, tx *store.Tx) error {
						for k := range 1 + i%3 { // one to three events per transaction
							if err := tx.AppendEvent(ctx, events.New(orgID, events.ContactUpdated, map[string]any{"w": w, "i": i, "k": k})); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		writing := make(chan struct{})
		go func() { wg.Wait(); close(writing) }()

		var seen []int64
		read := func() {
			for {
				evs, err := db.SettledOrgEvents(ctx, orgID, lastOf(seen), 7)
				if err != nil {
					t.Fatal(err)
				}
				for _, ev := range evs {
					seen = append(seen, ev.ID)
				}
				if len(evs) < 7 {
					return
				}
			}
		}
		for done := false; !done; {
			select {
			case <-writing:
				done = true
			default:
			}
			read()
		}
		read()
		all, err := db.OrgEvents(ctx, orgID, 0, 10000)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(seen) {
			t.Fatalf("the reader saw %d events of %d: passed some over", len(seen), len(all))
		}
		for i, ev := range all {
			if seen[i] != ev.ID {
				t.Fatalf("event %d: the reader saw id %d, the log holds %d", i, seen[i], ev.ID)
			}
		}
	})
}

func lastOf(ids []int64) int64 {
	if len(ids) == 0 {
		return 0
	}
	return ids[len(ids)-1]
}
