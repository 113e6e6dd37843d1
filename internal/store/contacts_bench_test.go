package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// BenchmarkContactCreate creates contacts (one transaction with the row and
// its attribute definitions) at 1 and 8 concurrent clients.
func BenchmarkContactCreate(b *testing.B) {
	ctx := context.Background()
	for _, be := range storetest.Backends() {
		for _, clients := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/clients=%d", be.Name, clients), func(b *testing.B) {
				db := storetest.Open(b, be)
				o, err := db.CreateOrg(ctx, "bench")
				if err != nil {
					b.Fatal(err)
				}
				var seq atomic.Int64
				runClients(b, clients, func(int) error {
					n := seq.Add(1)
					_, err := db.CreateContact(ctx, o.ID, map[string]any{
						"email": fmt.Sprintf("c%d@bench.example", n), "name": "Bench", "plan": "pro",
					})
					return err
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "contacts/s")
			})
		}
	}
}

// BenchmarkContactGet fetches contacts by id from 1000, from 8 clients.
func BenchmarkContactGet(b *testing.B) {
	ctx := context.Background()
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			db := storetest.Open(b, be)
			o, err := db.CreateOrg(ctx, "bench")
			if err != nil {
				b.Fatal(err)
			}
			ids := make([]int64, 1000)
			for i := range ids {
				c, err := db.CreateContact(ctx, o.ID, map[string]any{"email": fmt.Sprintf("c%d@bench.example", i)})
				if err != nil {
					b.Fatal(err)
				}
				ids[i] = c.ID
			}
			var seq atomic.Int64
			runClients(b, 8, func(int) error {
				_, err := db.GetContact(ctx, o.ID, ids[seq.Add(1)%int64(len(ids))])
				return err
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "gets/s")
		})
	}
}
