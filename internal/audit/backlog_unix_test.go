//go:build unix

package audit_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/audit"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// Entries the database cannot take are kept and written once it takes
// writes again; those still kept when Run stops are dropped, logged with
// their count and counted in the metric. Not parallel: the file size limit
// (apitest.FailFileWrites) is the whole process's.
func TestRecorder_KeepsEntriesWhileWritesFail(t *testing.T) {
	db := storetest.Open(t, storetest.Backends()[0])
	var logs apitest.Logs
	r := audit.NewRecorder(db, slog.New(slog.NewTextHandler(&logs, nil)), audit.NewVolume())
	reg := prometheus.NewRegistry()
	reg.MustRegister(r.Collectors()...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	entry := func(at int64) audit.Entry {
		return audit.Entry{OrgID: 7, TokenID: 1, Kind: audit.Use, At: at, Route: "GET /contacts", Status: 200}
	}
	written := func() int {
		es, err := db.ListAudit(context.Background(), 7, audit.Filter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}

	restore := apitest.FailFileWrites(t)
	r.Record(entry(1))
	waitUntil(t, "the entry kept after a failed write", func() bool { return r.Pending() == 1 })
	restore()
	waitUntil(t, "the kept entry written", func() bool { return r.Pending() == 0 })
	if n := written(); n != 1 {
		t.Fatalf("%d entries written, want the one kept", n)
	}

	restore = apitest.FailFileWrites(t)
	r.Record(entry(2))
	r.Record(entry(3))
	waitUntil(t, "both entries kept", func() bool { return r.Pending() == 2 })
	cancel()
	<-done
	restore()
	if n := r.Dropped(); n != 2 {
		t.Fatalf("%d entries counted as dropped, want the 2 kept at the stop", n)
	}
	if !strings.Contains(logs.String(), "audit entries dropped") || !strings.Contains(logs.String(), "count=2") {
		t.Fatalf("the drop is not logged with its count:\n%s", logs.String())
	}
	if v := metric(t, reg, "driftwood_audit_entries_dropped_total"); v != 2 {
		t.Fatalf("driftwood_audit_entries_dropped_total = %v, want 2", v)
	}
	if n := written(); n != 1 {
		t.Fatalf("%d entries written, want 1", n)
	}
}

func metric(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// waitUntil polls cond; the minute guards against a hang, it measures nothing.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for give := time.Now().Add(time.Minute); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(give) {
			t.Fatalf("%s: not after a minute", what)
		}
	}
}
