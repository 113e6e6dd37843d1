package webhook

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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
	// Concurrency is how many attempts run at once (default 16).
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
type Dispatcher struct {
	store   Store
	key     *secrets.Key
	cfg     Config
	log     *slog.Logger
	client  *http.Client
	metrics *metrics
	wake    chan struct{}

	mu       sync.Mutex
	inflight int
}

// New returns a dispatcher whose metrics are registered on reg.
func New(store Store, key *secrets.Key, cfg Config, reg prometheus.Registerer) *Dispatcher {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
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
		log:     cfg.Logger.With("subsystem", "webhook"),
		client:  newClient(cfg.AllowPrivate, cfg.Concurrency),
		metrics: newMetrics(reg, store),
		wake:    make(chan struct{}, 1),
	}
}

// Wake tells the dispatcher that there may be work: events committed or an
// attempt finished. It never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// fanOutBatch is how many events one fan-out transaction takes.
const fanOutBatch = 200

// Run dispatches until ctx ends. Then it stops claiming and waits for the
// attempts in flight, which finish (within Timeout) and are recorded; nothing
// it claimed is left leased.
func (d *Dispatcher) Run(ctx context.Context) {
	owner := secrets.RandomToken("")[:16]
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-timer.C:
		}
		more := d.cycle(ctx, owner, &wg)
		if more {
			d.Wake()
		}
		timer.Reset(d.cfg.PollInterval)
	}
}

// cycle fans out a batch of events and claims what free slots can take. It
// reports whether there is probably more to do right away.
func (d *Dispatcher) cycle(ctx context.Context, owner string, wg *sync.WaitGroup) bool {
	n, err := d.store.FanOut(ctx, fanOutBatch)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("fanning out events", "err", err)
		}
		return false
	}
	d.mu.Lock()
	free := d.cfg.Concurrency - d.inflight
	d.mu.Unlock()
	if free == 0 {
		return n == fanOutBatch
	}
	lease := time.Now().Add(2 * d.cfg.Timeout).UnixMilli()
	jobs, err := d.store.ClaimDeliveries(ctx, owner, free, lease)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("claiming deliveries", "err", err)
		}
		return false
	}
	d.mu.Lock()
	d.inflight += len(jobs)
	d.mu.Unlock()
	for _, job := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The attempt outlives ctx: shutdown lets it finish and be recorded.
			d.deliver(context.WithoutCancel(ctx), job)
			d.mu.Lock()
			d.inflight--
			d.mu.Unlock()
			d.Wake()
		}()
	}
	return n == fanOutBatch || len(jobs) == free
}

// deliver makes one attempt of job and records it.
func (d *Dispatcher) deliver(ctx context.Context, job Job) {
	var a attempt
	token, err := d.key.Open(job.Sealed.VerificationToken)
	secret, err2 := d.key.Open(job.Sealed.SigningSecret)
	body, err3 := Body(job.Event, token)
	if err != nil || err2 != nil || err3 != nil {
		a.err = "cannot prepare the delivery: the app's secrets do not open with this server's key"
	} else {
		a = post(ctx, d.client, d.cfg.Timeout, job.URL, job.WebhookID, token, secret, body)
	}
	r := judge(a, d.cfg.Schedule, job.Step, time.Now())
	d.metrics.observe(r)
	if err := d.store.RecordAttempt(ctx, job, r); err != nil {
		// The lease will expire and the delivery be attempted again.
		d.log.Error("recording a webhook attempt", "delivery", job.DeliveryID, "err", err)
		return
	}
	if wait := time.Until(time.UnixMilli(r.NextAttemptAt)); r.Outcome == OutcomeRetry && wait < d.cfg.PollInterval {
		time.AfterFunc(wait, d.Wake) // a retry due before the next poll
	}
	d.log.Debug("webhook attempt", "delivery", job.DeliveryID, "app", job.AppID, "event", job.Event.Type,
		"status", r.StatusCode, "outcome", r.Outcome, "ms", r.LatencyMs)
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
