package audit_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/audit"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

const hour = int64(3600 * 1000)

func TestVolume_Add(t *testing.T) {
	t.Parallel()
	v := &audit.Volume{MinRows: 100, Factor: 10}
	// A steady token: 50 rows an hour for two days is never unusual.
	for h := int64(0); h < 48; h++ {
		if _, _, unusual := v.Add(1, 50, h*hour); unusual {
			t.Fatalf("steady volume flagged at hour %d", h)
		}
	}
	// Then ten times its usual volume within an hour: flagged once.
	var flagged int
	for i := 0; i < 20; i++ {
		if rows, usual, unusual := v.Add(1, 50, 48*hour+int64(i)); unusual {
			flagged++
			if float64(rows) < 10*usual || usual < 25 || usual > 50 {
				t.Fatalf("flagged at %d rows, usual %.1f", rows, usual)
			}
		}
	}
	if flagged != 1 {
		t.Fatalf("flagged %d times in one hour, want once", flagged)
	}
	// A new token is measured against MinRows, and tokens do not mix.
	if _, _, unusual := v.Add(2, 99, 48*hour); unusual {
		t.Fatal("a new token under MinRows flagged")
	}
	if _, _, unusual := v.Add(2, 1, 48*hour); !unusual {
		t.Fatal("a new token at MinRows not flagged")
	}
	// After a long silence the usual volume has decayed.
	if _, usual, _ := v.Add(1, 1, 24*30*hour); usual > 1 {
		t.Fatalf("usual volume after a month of silence: %.2f", usual)
	}
}

func TestRecorder_FlushesOnStopAndFlagsAnomalies(t *testing.T) {
	t.Parallel()
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		r := audit.NewRecorder(db, slog.New(slog.DiscardHandler), &audit.Volume{MinRows: 10, Factor: 10})
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		for i := range 3 {
			r.Record(audit.Entry{OrgID: 7, TokenID: 42, Kind: audit.Use, At: int64(i), Route: "GET /contacts", Status: 200, Rows: 4})
		}
		r.Record(audit.Entry{OrgID: 8, TokenID: 43, Kind: audit.Use, At: 3, Status: 401})
		cancel()
		<-done
		// Recorded after the writer stopped: written at once.
		r.Record(audit.Entry{OrgID: 7, TokenID: 42, Kind: audit.Use, At: 4, Status: 200})

		got, err := db.ListAudit(context.Background(), 7, audit.Filter{TokenID: 42, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var uses, anomalies int
		for _, e := range got {
			switch e.Kind {
			case audit.Use:
				uses++
			case audit.Anomaly:
				anomalies++
				if e.Rows != 12 || e.Detail == "" {
					t.Fatalf("anomaly entry %+v", e)
				}
			}
		}
		if uses != 4 || anomalies != 1 {
			t.Fatalf("%d uses and %d anomalies in %+v", uses, anomalies, got)
		}
		if only, _ := db.ListAudit(context.Background(), 7, audit.Filter{Kind: audit.Anomaly, Limit: 10}); len(only) != 1 {
			t.Fatalf("kind filter: %+v", only)
		}
		if other, _ := db.ListAudit(context.Background(), 8, audit.Filter{Limit: 10}); len(other) != 1 || other[0].Status != 401 {
			t.Fatalf("org 8: %+v", other)
		}
	})
}
