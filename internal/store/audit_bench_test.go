package store_test

import (
	"context"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/audit"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// BenchmarkAppendAudit writes batches of 1000 entries, the recorder's
// largest flush: on SQLite the single writer is held for the whole batch.
func BenchmarkAppendAudit(b *testing.B) {
	ctx := context.Background()
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			db := storetest.Open(b, be)
			o, err := db.CreateOrg(ctx, "bench")
			if err != nil {
				b.Fatal(err)
			}
			batch := make([]audit.Entry, 1000)
			for i := range batch {
				batch[i] = audit.Entry{OrgID: o.ID, TokenID: 7, Kind: audit.Use, At: int64(i), ClientIP: "127.0.0.1",
					Method: "GET", Route: "GET /contacts/{id}", Status: 200, Rows: 1}
			}
			b.ResetTimer()
			for range b.N {
				if err := db.AppendAudit(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
