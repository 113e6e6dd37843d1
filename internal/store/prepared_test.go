package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// On SQLite, write transactions keep their fixed statements prepared after
// their first run, and concurrent writers through the cache neither
// deadlock nor lose a write. pgx caches per connection itself.
func TestWriteStatements_Cached(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		orgID := newOrg(t, db)
		mustCreate(t, db, orgID, map[string]any{"email": "first@example.com"})
		cached := db.CachedWriteStatements()
		if db.Dialect().Name() == "sqlite" && cached == 0 {
			t.Fatal("no statement cached after a write transaction on SQLite")
		}
		if db.Dialect().Name() == "postgres" && cached != 0 {
			t.Fatalf("%d statements cached on PostgreSQL", cached)
		}
		var wg sync.WaitGroup
		ids := make(chan int64, 200)
		for w := range 8 {
			wg.Go(func() {
				for i := range 25 {
					c, err := db.CreateContact(ctx, orgID, map[string]any{"email": fmt.Sprintf("c%d-%d@example.com", w, i)})
					if err != nil {
						t.Error(err)
						return
					}
					ids <- c.ID
				}
			})
		}
		wg.Wait()
		if got := db.CachedWriteStatements(); got != cached {
			t.Fatalf("the same writes cached %d more statements", got-cached)
		}
		close(ids)
		n := 0
		for id := range ids {
			if _, err := db.GetContact(ctx, orgID, id); err != nil {
				t.Fatalf("contact %d: %v", id, err)
			}
			n++
		}
		if n != 200 {
			t.Fatalf("%d contacts written, want 200", n)
		}
	})
}
