// Package audit is the append-only record of every token use and every
// refused OAuth attempt, and the warning raised when a token reads far more
// than it usually does (the pattern of the 2025 Drift token theft).
//
// Recording is on the hot path of every request, so entries are written
// asynchronously, in batches, by Recorder.Run: a crash can lose the last
// second or so of entries (those not yet flushed); a clean shutdown loses
// none. While the database takes no writes, entries are kept (up to
// maxBacklog) and written once it takes them again; any that must be
// dropped are logged and counted (driftwood_audit_entries_dropped_total).
package audit

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/driftwood-chat/driftwood/internal/logkey"
	"github.com/prometheus/client_golang/prometheus"
)

// Kind is what an entry records.
type Kind string

// Kinds of entries.
const (
	Use     Kind = "use"     // a request made with a token (refused or not)
	Refused Kind = "refused" // an OAuth request refused (bad client, code, verifier…)
	Anomaly Kind = "anomaly" // a token read far more than its usual volume
)

// Entry is one audit record.
type Entry struct {
	ID       int64  `json:"id"`
	OrgID    int64  `json:"orgId"`
	TokenID  int64  `json:"tokenId,omitempty"`
	AppID    int64  `json:"appId,omitempty"`
	Kind     Kind   `json:"kind"`
	At       int64  `json:"at"` // epoch ms
	ClientIP string `json:"clientIp,omitempty"`
	Method   string `json:"method,omitempty"`
	Route    string `json:"route,omitempty"` // the route pattern, never the raw path
	Status   int    `json:"status,omitempty"`
	Rows     int64  `json:"rows"` // rows the answer carried
	Detail   string `json:"detail,omitempty"`
}

// Filter selects entries of an org, newest first.
type Filter struct {
	TokenID int64
	Kind    Kind
	Before  int64 // entries with a smaller id (a page cursor); 0: from the newest
	Limit   int
}

// ValidKind reports whether k names a kind.
func ValidKind(k Kind) bool { return k == Use || k == Refused || k == Anomaly }

// Store persists entries. It has no way to change or delete one.
type Store interface {
	AppendAudit(ctx context.Context, entries []Entry) error
	ListAudit(ctx context.Context, orgID int64, f Filter) ([]Entry, error)
}

// Recorder buffers entries and writes them in batches.
type Recorder struct {
	store  Store
	log    *slog.Logger
	volume *Volume
	ch     chan Entry

	mu      sync.RWMutex
	stopped bool // Run has returned: entries are written at once

	// backlog holds, oldest first, the entries Run could not write yet.
	backlog []Entry
	pending atomic.Int64 // len(backlog), for Pending
	dropped atomic.Int64
}

const (
	bufferSize    = 8192
	maxBatch      = 1000
	flushInterval = time.Second
	// maxBacklog bounds the entries kept while the database takes no
	// writes (some 30 MB): beyond it the oldest are dropped.
	maxBacklog = 100_000
)

// NewRecorder returns a recorder writing to store, warning through log when
// volume finds a token reading far more than usual.
func NewRecorder(store Store, log *slog.Logger, volume *Volume) *Recorder {
	return &Recorder{store: store, log: log, volume: volume, ch: make(chan Entry, bufferSize)}
}

// Record queues e, and an anomaly entry when e makes its token's volume
// unusual. It never blocks on the database unless the buffer is full (or
// Run has stopped), in which case it writes e itself: entries are never
// dropped.
func (r *Recorder) Record(e Entry) {
	r.enqueue(e)
	if e.TokenID == 0 || e.Rows == 0 {
		return
	}
	if rows, usual, unusual := r.volume.Add(e.TokenID, e.Rows, e.At); unusual {
		r.log.Warn("token read far more than its usual volume", logkey.TokenID, e.TokenID, logkey.OrgID, e.OrgID,
			logkey.RowsThisHour, rows, logkey.UsualRowsPerHour, int64(usual))
		r.enqueue(Entry{OrgID: e.OrgID, TokenID: e.TokenID, AppID: e.AppID, Kind: Anomaly, At: e.At,
			ClientIP: e.ClientIP, Rows: rows, Detail: anomalyDetail(rows, usual)})
	}
}

func (r *Recorder) enqueue(e Entry) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if !r.stopped {
		select {
		case r.ch <- e:
			return
		default:
		}
	}
	r.write([]Entry{e})
}

// Run flushes queued entries every second (or every maxBatch entries) until
// ctx ends, then flushes what is left; entries recorded later are written
// one by one.
func (r *Recorder) Run(ctx context.Context) {
	tick := time.NewTicker(flushInterval)
	defer tick.Stop()
	var batch []Entry
	flush := func() {
		r.backlog = append(r.backlog, batch...)
		batch = nil
		r.writeBacklog()
	}
	for {
		select {
		case e := <-r.ch:
			if batch = append(batch, e); len(batch) >= maxBatch {
				flush()
			}
		case <-tick.C:
			flush()
		case <-ctx.Done():
			r.mu.Lock()
			r.stopped = true
			r.mu.Unlock()
			for {
				select {
				case e := <-r.ch:
					batch = append(batch, e)
				default:
					flush()
					r.drop(len(r.backlog), "the database took no writes until shutdown")
					r.backlog = nil
					r.pending.Store(0)
					return
				}
			}
		}
	}
}

// writeBacklog writes the backlog, maxBatch entries at a time, until it is
// empty or a write fails; what is left waits for the next flush, but for
// the oldest entries beyond maxBacklog, which are dropped.
func (r *Recorder) writeBacklog() {
	for len(r.backlog) > 0 {
		n := min(len(r.backlog), maxBatch)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := r.store.AppendAudit(ctx, r.backlog[:n])
		cancel()
		if err != nil {
			r.log.Warn("audit entries not written yet; kept to retry", logkey.Count, len(r.backlog), logkey.Err, err)
			break
		}
		r.backlog = r.backlog[n:]
	}
	if len(r.backlog) == 0 {
		r.backlog = nil // let a large backlog's array go
	}
	if over := len(r.backlog) - maxBacklog; over > 0 {
		r.drop(over, "more entries than the backlog keeps while the database takes no writes")
		r.backlog = append([]Entry(nil), r.backlog[over:]...)
	}
	r.pending.Store(int64(len(r.backlog)))
}

// write writes entries at once; any it cannot are dropped.
func (r *Recorder) write(entries []Entry) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.store.AppendAudit(ctx, entries); err != nil {
		r.drop(len(entries), err.Error())
	}
}

func (r *Recorder) drop(n int, reason string) {
	if n == 0 {
		return
	}
	total := r.dropped.Add(int64(n))
	r.log.Error("audit entries dropped", logkey.Count, n, "dropped_total", total, "reason", reason)
}

// Dropped is how many entries were dropped unwritten since the start.
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

// Pending is how many entries a failed write left waiting for the next.
func (r *Recorder) Pending() int64 { return r.pending.Load() }

// Collectors are the recorder's metrics, for /metrics.
func (r *Recorder) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "driftwood_audit_entries_dropped_total",
			Help: "Audit log entries dropped unwritten (the database took no writes for too long).",
		}, func() float64 { return float64(r.dropped.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "driftwood_audit_entries_pending",
			Help: "Audit log entries kept to write once the database takes writes again.",
		}, func() float64 { return float64(r.pending.Load()) }),
	}
}
