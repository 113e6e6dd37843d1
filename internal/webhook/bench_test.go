package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// benchEnv starts Driftwood on backend with an app whose webhook is a local
// receiver that announces each arrival on the returned channel.
func benchEnv(b *testing.B, backend storetest.Backend) (*apitest.Env, chan time.Time) {
	b.Helper()
	arrived := make(chan time.Time, 1<<16)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { arrived <- time.Now() }))
	b.Cleanup(rc.Close)
	e := apitest.Start(b, backend)
	r := e.Do(b, apitest.Request{Method: "POST", Path: "/driftwood/v1/apps", Token: e.Token, Body: map[string]any{
		"name": "bench", "webhookUrl": rc.URL, "events": []string{"contact_updated"}, "scopes": []string{"all_contact_read"}}})
	app := r.Object(b)["data"].(map[string]any)
	e.Do(b, apitest.Request{Method: "POST", Path: fmt.Sprintf("/driftwood/v1/apps/%v/tokens", app["id"]), Token: e.Token})
	return e, arrived
}

// BenchmarkDelivery_Throughput reports deliveries per second from a full
// outbox to a local receiver.
func BenchmarkDelivery_Throughput(b *testing.B) {
	for _, backend := range storetest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			e, arrived := benchEnv(b, backend)
			b.ResetTimer()
			err := e.App.DB.Transact(context.Background(), func(ctx context.Context, tx *store.Tx) error {
				for range b.N {
					if err := tx.AppendEvent(context.Background(), events.New(e.OrgID, events.ContactUpdated, map[string]any{})); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			for range b.N {
				<-arrived
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
		})
	}
}

// BenchmarkDelivery_Latency reports the time from an API write (a contact
// update) to its webhook arriving at a local receiver.
func BenchmarkDelivery_Latency(b *testing.B) {
	for _, backend := range storetest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			e, arrived := benchEnv(b, backend)
			c := e.Do(b, apitest.Request{Method: "POST", Path: "/contacts", Token: e.Token,
				Body: map[string]any{"attributes": map[string]any{"email": "bench@example.com"}}}).Object(b)
			path := fmt.Sprintf("/contacts/%v", c["data"].(map[string]any)["id"])
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				start := time.Now()
				e.Do(b, apitest.Request{Method: "PATCH", Path: path, Token: e.Token,
					Body: map[string]any{"attributes": map[string]any{"n": i}}})
				lat = append(lat, (<-arrived).Sub(start))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
