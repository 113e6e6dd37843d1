package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/audit"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// Batches of every size around the INSERT's chunk of rows are written
// whole, each entry with its own fields, in order.
func TestAuditStore_AppendBatches(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		orgID := newOrg(t, db)
		sizes := []int{1, 15, 16, 17, 33, 1000}
		for token, n := range sizes {
			batch := make([]audit.Entry, n)
			for i := range batch {
				batch[i] = audit.Entry{OrgID: orgID, TokenID: int64(token + 1), Kind: audit.Use, At: int64(i),
					ClientIP: "10.0.0.1", Method: "GET", Route: fmt.Sprintf("GET /r%d", i), Status: 200 + i%3,
					Rows: int64(i), Detail: fmt.Sprint(i)}
			}
			if err := db.AppendAudit(ctx, batch); err != nil {
				t.Fatalf("batch of %d: %v", n, err)
			}
			got, err := db.ListAudit(ctx, orgID, audit.Filter{TokenID: int64(token + 1), Limit: 2000})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != n {
				t.Fatalf("batch of %d: %d entries read back", n, len(got))
			}
			for i, e := range got { // newest first
				want := batch[n-1-i]
				want.ID = e.ID
				if e != want {
					t.Fatalf("batch of %d, entry %d: got %+v, want %+v", n, n-1-i, e, want)
				}
			}
		}
	})
}
