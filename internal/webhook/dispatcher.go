package webhook

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwood-chat/driftwood/internal/logkey"
	"github.com/driftwood-chat/driftwood/internal/secrets"
)

// Config tunes a Dispatcher.
type Config struct {
	// Schedule is the delays between attempts (--webhook-retry-schedule).
	Schedule []time.Duration
	// Timeout bounds each attempt, answer included (default 15 s). A lease
	// lasts twice as long, so it outlives any attempt made under it.
	Timeout time.Duration
	// AllowPrivate lets webhooks reach loopback, private and link-local
	// addresses (--webhook-allow-private).
	AllowPrivate bool
	// Concurrency is how many attempts run at once (default 128). Claims
	// take up to this many deliveries per transaction, and on SQLite each
	// transaction waits for a turn of the one writer behind the API's, so
	// this is what lets the dispatcher keep up with busy writers.
	Concurrency int
	// PollInterval is how often the database is checked for work that no
	// Wake announced: retries falling due, events written by other
	// replicas (default 500 ms).
	PollInterval time.Duration
	Logger       *slog.Logger
}

// Dispatcher fans out the outbox into deliveries and makes their attempts.
// Several dispatchers (replicas) may share one PostgreSQL database: each
// attempt is made under a lease committed before the POST, so only one of
// them makes it; a lease that outlives its owner (kill -9) expires and the
// delivery is taken over.
//
// It batches its writes, which on SQLite queue for the one writer with the
// API's: it fans out only when events may be waiting (Wake or the poll),
// claims when half of its slots are free (or none is busy, or at the poll),
// and a recorder stores the results that finish while it writes in one
// transaction.
type Dispatcher struct {
	store   Store
	key     *secrets.Key
	cfg     Config
	log     *slog.Logger
	client  *http.Client
	metrics *metrics
	wake    chan struct{} // events may be waiting
	freed   chan struct{} // an attempt ended: slots may be free

	mu       sync.Mutex
	inflight int
	// claimFirst: deliveries may be due that a claim takes (left by a
	// fan-out, retries, expired leases); until a claim takes fewer than it
	// asked for, the fan-out reserves no slots, which would starve the
	// claim loop, and leases nothing.
	claimFirst atomic.Bool
}

// New returns a dispatcher whose metrics are registered on reg.
func New(store Store, key *secrets.Key, cfg Config, reg prometheus.Registerer) *Dispatcher {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 128
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 500 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{
		store:   store,
		key:     key,
		cfg:     cfg,
		log:     cfg.Logger.With(logkey.Subsystem, "webhook"),
		client:  newClient(cfg.AllowPrivate, cfg.Concurrency),
		metrics: newMetrics(reg, store),
		wake:    make(chan struct{}, 1),
		freed:   make(chan struct{}, 1),
	}
}

// Wake tells the dispatcher that there may be work: events committed or a
// retry due. It never blocks.
func (d *Dispatcher) Wake() { signal(d.wake) }

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// fanOutBatch is how many events one fan-out transaction takes.
const fanOutBatch = 200

// Run dispatches until ctx ends. Then it stops claiming and waits for the
// attempts in flight, which finish (within Timeout) and are recorded; nothing
// it claimed is left leased.
//
// Fanning out, claiming and recording are three loops, each a transaction
// at a time: in one loop, on a busy PostgreSQL, the fan-out and the claim
// transactions alone took the whole of the time (bench/README.md).
func (d *Dispatcher) Run(ctx context.Context) {
	var attempts sync.WaitGroup
	results := make(chan Recorded, d.cfg.Concurrency)
	w := &workers{owner: secrets.RandomToken("")[:16], attempts: &attempts, results: results}
	d.claimFirst.Store(true) // until the first claim has looked
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		d.record(results)
	}()
	fannedOut := make(chan struct{}, 1)
	var fanning sync.WaitGroup
	fanning.Go(func() { d.fanOutLoop(ctx, w, fannedOut) })
	defer func() {
		fanning.Wait()
		attempts.Wait()
		close(results)
		<-recorded
	}()
	poll := time.NewTimer(0)
	defer poll.Stop()
	for {
		var polled bool
		select {
		case <-ctx.Done():
			return
		case <-fannedOut:
		case <-poll.C:
			polled = true
			poll.Reset(d.cfg.PollInterval)
		case <-d.freed:
		}
		d.claim(ctx, w, polled)
	}
}

// workers is where attempts are started: under the dispatcher's lease
// owner, counted in attempts, their results sent to the recorder.
type workers struct {
	owner    string
	attempts *sync.WaitGroup
	results  chan<- Recorded
}

// fanOutLoop fans out events whenever woken (events committed, a retry due)
// or polled, batch after batch while full ones come, and then tells the
// claim loop, which also picks up retries that came due. Unless other
// deliveries are due (which a claim takes first), it leases the deliveries
// it makes, up to the free slots, and starts their attempts: on a busy
// PostgreSQL the claim's own transaction, after the fan-out's, was most of
// a webhook's delay (bench/README.md).
func (d *Dispatcher) fanOutLoop(ctx context.Context, w *workers, fannedOut chan struct{}) {
	poll := time.NewTimer(0)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-poll.C:
		}
		for {
			n, err := d.fanOut(ctx, w)
			if err != nil && ctx.Err() == nil {
				d.log.Error("fanning out events", logkey.Err, err)
			}
			signal(fannedOut)
			if err != nil || n < fanOutBatch {
				break
			}
		}
		poll.Reset(d.cfg.PollInterval)
	}
}

// fanOut fans out a batch of events, leasing what it makes to the free
// slots, which it reserves meanwhile, and starts their attempts.
func (d *Dispatcher) fanOut(ctx context.Context, w *workers) (int, error) {
	reserved := 0
	if !d.claimFirst.Load() {
		d.mu.Lock()
		reserved = d.cfg.Concurrency - d.inflight
		d.inflight += reserved
		d.mu.Unlock()
	}
	lease := Lease{Owner: w.owner, Max: reserved, Until: time.Now().Add(2 * d.cfg.Timeout).UnixMilli()}
	f, err := d.store.FanOutAndClaim(ctx, fanOutBatch, lease)
	if f.LeftDue {
		d.claimFirst.Store(true)
	}
	d.start(ctx, w, f.Jobs, reserved)
	return f.Events, err
}

// claim leases due deliveries for the free slots, when enough of them are
// free to be worth a transaction, and starts their attempts.
func (d *Dispatcher) claim(ctx context.Context, w *workers, polled bool) {
	d.mu.Lock()
	free, busy := d.cfg.Concurrency-d.inflight, d.inflight > 0
	if free == 0 || busy && !polled && free < (d.cfg.Concurrency+1)/2 {
		d.mu.Unlock()
		return
	}
	d.inflight += free // reserved, so that the fan-out leases no more than is left
	d.mu.Unlock()
	lease := time.Now().Add(2 * d.cfg.Timeout).UnixMilli()
	jobs, err := d.store.ClaimDeliveries(ctx, w.owner, free, lease)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("claiming deliveries", logkey.Err, err)
		}
		jobs = nil
	} else if len(jobs) < free {
		d.claimFirst.Store(false) // none left due
	}
	d.start(ctx, w, jobs, free)
}

// start starts the attempts of jobs, which took slots of the reserved
// ones, and frees the rest. (Whoever reserved them signals the claim loop
// if need be: the fan-out loop does after each batch.)
func (d *Dispatcher) start(ctx context.Context, w *workers, jobs []Job, reserved int) {
	if unused := reserved - len(jobs); unused > 0 {
		d.mu.Lock()
		d.inflight -= unused
		d.mu.Unlock()
	}
	for _, job := range jobs {
		w.attempts.Go(func() {
			// The attempt outlives ctx: shutdown lets it finish and be recorded.
			w.results <- Recorded{Job: job, Result: d.attempt(context.WithoutCancel(ctx), job)}
			d.mu.Lock()
			d.inflight--
			d.mu.Unlock()
			signal(d.freed)
		})
	}
}

// attempt makes one attempt of job.
func (d *Dispatcher) attempt(ctx context.Context, job Job) Result {
	var a attempt
	token, err := d.key.Open(job.Sealed.VerificationToken)
	var signing []string
	for _, sealed := range job.Sealed.SigningSecrets(time.Now().UnixMilli()) {
		secret, err2 := d.key.Open(sealed)
		err = errors.Join(err, err2)
		signing = append(signing, secret)
	}
	body, err3 := Body(job.Event, token)
	if err != nil || err3 != nil {
		a.err = "cannot prepare the delivery: the app's secrets do not open with this server's key"
	} else {
		a = post(ctx, d.client, d.cfg.Timeout, job.URL, job.WebhookID, token, signing, body)
	}
	r := judge(a, d.cfg.Schedule, job.Step, time.Now())
	d.metrics.observe(r)
	return r
}

// maxRecordBatch bounds the attempts one transaction records.
const maxRecordBatch = 256

// record stores results until the channel closes: the first that arrives
// and all that queued behind it meanwhile, in one transaction. It finishes
// what it received, so a graceful stop loses no result; after a crash the
// leases expire and the deliveries are attempted again.
func (d *Dispatcher) record(results <-chan Recorded) {
	for r := range results {
		batch := []Recorded{r}
	drain:
		for len(batch) < maxRecordBatch {
			select {
			case r, ok := <-results:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		d.recordBatch(batch)
	}
}

func (d *Dispatcher) recordBatch(batch []Recorded) {
	if err := d.store.RecordAttempts(context.Background(), batch); err != nil {
		// The leases will expire and the deliveries be attempted again.
		d.log.Error("recording webhook attempts", logkey.Attempts, len(batch), logkey.Err, err)
		return
	}
	for _, rec := range batch {
		job, r := rec.Job, rec.Result
		if wait := time.Until(time.UnixMilli(r.NextAttemptAt)); r.Outcome == OutcomeRetry && wait < d.cfg.PollInterval {
			time.AfterFunc(wait, d.Wake) // a retry due before the next poll
		}
		d.log.Debug("webhook attempt", logkey.DeliveryID, job.DeliveryID, logkey.AppID, job.AppID, logkey.Event, job.Event.Type,
			logkey.Status, r.StatusCode, logkey.Outcome, r.Outcome, logkey.Ms, r.LatencyMs)
	}
}

// metrics are the dispatcher's Prometheus metrics.
type metrics struct {
	outcomes *prometheus.CounterVec
	latency  prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, store Store) *metrics {
	m := &metrics{
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "driftwood_webhook_deliveries_total",
			Help: "Webhook delivery attempts by outcome: succeeded, retry, failed, disabled.",
		}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "driftwood_webhook_attempt_duration_seconds",
			Help:    "Time from sending a webhook to the end of its answer.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10),
		}),
	}
	oldest := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "driftwood_webhook_oldest_pending_seconds",
		Help: "Age of the oldest webhook delivery not yet succeeded or failed (0 when none).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		created, err := store.OldestPending(ctx)
		if err != nil || created == 0 {
			return 0
		}
		return max(0, time.Since(time.UnixMilli(created)).Seconds())
	})
	for _, o := range []Outcome{OutcomeSucceeded, OutcomeRetry, OutcomeFailed, OutcomeDisabled} {
		m.outcomes.WithLabelValues(string(o)) // show every outcome from the start
	}
	reg.MustRegister(m.outcomes, m.latency, oldest)
	return m
}

func (m *metrics) observe(r Result) {
	m.outcomes.WithLabelValues(string(r.Outcome)).Inc()
	m.latency.Observe(float64(r.LatencyMs) / 1000)
}
