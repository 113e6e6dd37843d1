// Package app is the Driftwood program as a value: it opens the store, loads
// the secret key, seeds a new database, and serves the API until its context
// ends. cmd/driftwood wires flags into it; tests start it on :0.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/driftwood-chat/driftwood/api"
	"github.com/driftwood-chat/driftwood/internal/agent"
	"github.com/driftwood-chat/driftwood/internal/audit"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/config"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/gdpr"
	"github.com/driftwood-chat/driftwood/internal/geo"
	"github.com/driftwood-chat/driftwood/internal/httpapi"
	"github.com/driftwood-chat/driftwood/internal/integration"
	"github.com/driftwood-chat/driftwood/internal/logkey"
	"github.com/driftwood-chat/driftwood/internal/oauth"
	"github.com/driftwood-chat/driftwood/internal/offlinemail"
	"github.com/driftwood-chat/driftwood/internal/pagetoken"
	"github.com/driftwood-chat/driftwood/internal/pgwake"
	"github.com/driftwood-chat/driftwood/internal/playbook"
	"github.com/driftwood-chat/driftwood/internal/secrets"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/postgres"
	"github.com/driftwood-chat/driftwood/internal/store/sqlite"
	"github.com/driftwood-chat/driftwood/internal/webhook"
)

// App is a running Driftwood: its store, keys, HTTP handler and background
// workers.
type App struct {
	Config     config.Config
	DB         *store.DB
	Key        *secrets.Key
	Tokens     *auth.Tokens
	Apps       *integration.Apps
	API        *httpapi.Server
	Dispatcher *webhook.Dispatcher
	// dispatchDB is the dispatcher's own pool on PostgreSQL (DB on SQLite,
	// whose one writer every writer shares anyway).
	dispatchDB *store.DB
	// GDPR completes GDPR requests that were not completed when accepted.
	GDPR *gdpr.Worker
	// Audit writes the audit log in batches.
	Audit *audit.Recorder
	// Sweeper announces conversations gone quiet (conversation_inactive).
	Sweeper *conversation.Sweeper
	// Timer moves playbook runs on after their delay steps.
	Timer *playbook.Timer
	// Wake tells the other replicas on PostgreSQL that events committed
	// (nil on SQLite, whose one process is told in memory).
	Wake *pgwake.Waker
	// TokenCache keeps verified tokens; RevokeWake tells it of the other
	// replicas' revocations at once (nil on SQLite, where it reads the
	// revocation log every poll interval).
	TokenCache *auth.Cache
	RevokeWake *pgwake.Waker
	Log        *slog.Logger
	// Geo finds visitors' countries (--trusted-country-header, --geoip-db).
	Geo *geo.Locator
	// Mailer sends offline email (nil without --smtp-url).
	Mailer *offlinemail.Mailer
	// HTTP bounds what Serve grants each connection; New sets DefaultHTTP.
	HTTP HTTPLimits

	workers sync.WaitGroup
}

// HTTPLimits are the server's limits on slow, idle and oversized clients:
// each connection holds a goroutine and a file descriptor, so one that
// trickles its request, or idles, is cut off.
type HTTPLimits struct {
	ReadHeaderTimeout time.Duration // to read a request's headers
	ReadTimeout       time.Duration // to read a whole request
	WriteTimeout      time.Duration // to write the answer
	IdleTimeout       time.Duration // a kept-alive connection between requests
	MaxHeaderBytes    int
}

// DefaultHTTP are the limits of driftwood serve.
var DefaultHTTP = HTTPLimits{
	ReadHeaderTimeout: 10 * time.Second,
	ReadTimeout:       60 * time.Second,
	WriteTimeout:      60 * time.Second,
	IdleTimeout:       120 * time.Second,
	MaxHeaderBytes:    64 << 10,
}

// New opens the database named by cfg.DB, applies migrations, loads the
// secret key and, on an empty database, creates the first org. What a first
// start must tell the operator (the demo token) is written to out.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, out io.Writer) (*App, error) {
	key, err := LoadKey(cfg, log)
	if err != nil {
		return nil, err
	}
	db, err := OpenStore(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, DB: db, Key: key, Log: log, HTTP: DefaultHTTP}
	a.TokenCache = auth.NewCache(db, tokenCacheSize, revocationPoll, log.With(logkey.Subsystem, "tokens"))
	a.Tokens = &auth.Tokens{Store: db, Key: key, Now: time.Now, IdleTimeout: cfg.TokenIdleTimeout, Cache: a.TokenCache}
	if err := a.bootstrap(ctx, out); err != nil {
		db.Close()
		return nil, err
	}
	notifier := &events.Notifier{}
	db.OnEvents(notifier.Notify)
	a.Apps = &integration.Apps{Store: db, Key: key, Tokens: a.Tokens, Now: func() int64 { return time.Now().UnixMilli() }}
	a.Audit = audit.NewRecorder(db, log.With(logkey.Subsystem, "audit"), audit.NewVolume())
	// Made on its first request: parsing and merging the description's
	// 200 KB of YAML was 80 ms of a 120 ms start.
	openAPI := sync.OnceValues(func() ([]byte, error) { return api.Document(cfg.PublicURL) })
	if a.Geo, err = geo.Open(cfg.TrustedCountryHeader, cfg.GeoIPDB); err != nil {
		db.Close()
		return nil, err
	}
	a.API = httpapi.New(httpapi.Config{
		Store:  db,
		Tokens: a.Tokens,
		Apps:   a.Apps,
		OAuth: &oauth.Server{Store: db, Key: key, Now: time.Now, AccessTTL: oauth.DefaultAccessTTL,
			CodeTTL: oauth.DefaultCodeTTL, RefreshTTL: cfg.TokenIdleTimeout},
		Audit:        a.Audit,
		Logger:       log,
		PublicURL:    cfg.PublicURL,
		RateLimit:    cfg.RateLimit,
		RateBurst:    cfg.RateBurst,
		OpenAPI:      openAPI,
		Pages:        pagetoken.New([]byte(key.Hash("driftwood page tokens"))),
		Events:       notifier,
		Agents:       &agent.Accounts{Store: db, Key: key, Now: time.Now},
		Geo:          a.Geo,
		OfflineEmail: cfg.SMTPURL != "",
		// Issue 17: widget visitor sessions expire when idle.
		VisitorSessionTTL: cfg.VisitorSessionTTL,
	}, nil)
	if cfg.SMTPURL != "" {
		a.Mailer = newMailer(cfg, db, key, log)
	}
	a.API.Metrics().Registry.MustRegister(a.Audit.Collectors()...)
	// Issue 17: / links the demo org's widget demo page.
	demoEmbed, err := a.demoEmbedID(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	a.API.SetDemoEmbedID(demoEmbed)
	a.GDPR = &gdpr.Worker{Store: db, Log: log.With(logkey.Subsystem, "gdpr"), Interval: 10 * time.Second}
	a.Sweeper = &conversation.Sweeper{Store: db, After: cfg.ConversationInactiveAfter, Log: log.With(logkey.Subsystem, "sweeper")}
	a.Timer = &playbook.Timer{Store: db, Log: log.With(logkey.Subsystem, "playbooks")}
	a.dispatchDB = db
	if db.Dialect().Name() == "postgres" {
		// Its own few connections: on the API's pool each of its
		// transactions queued behind every client's (bench/README.md).
		if a.dispatchDB, err = postgres.OpenPool(ctx, cfg.DB, dispatcherConns); err != nil {
			db.Close()
			return nil, err
		}
	}
	a.Dispatcher = webhook.New(a.dispatchDB, key, webhook.Config{
		Schedule:     cfg.WebhookRetry,
		Timeout:      cfg.WebhookTimeout,
		AllowPrivate: cfg.WebhookAllowPrivate,
		Logger:       log,
	}, a.API.Metrics().Registry)
	db.OnEvents(a.Dispatcher.Wake)
	if db.Dialect().Name() == "postgres" {
		// Streams and the dispatcher of every replica hear of this one's
		// commits within milliseconds, not at their next poll.
		// (ConnDSN: a pool_max_conns left in would fail every connection.)
		wakeDSN, err := postgres.ConnDSN(cfg.DB)
		if err != nil {
			a.dispatchDB.Close()
			db.Close()
			return nil, err
		}
		a.Wake = pgwake.New(wakeDSN, "driftwood_events", func() { notifier.Notify(); a.Dispatcher.Wake() }, log)
		db.OnEvents(a.Wake.Notify)
		a.RevokeWake = pgwake.New(wakeDSN, pgwake.Revocations, a.TokenCache.Wake, log)
	}
	// This replica drops what it revoked before the answer goes out; the
	// others on the wake-up, or at their next poll of the log.
	db.OnRevocations(func(revs []auth.Revocation) {
		a.TokenCache.Drop(revs...)
		if a.RevokeWake != nil {
			a.RevokeWake.Notify()
		}
	})
	return a, nil
}

// tokenCacheSize bounds the tokens each replica keeps verified; revocationPoll
// is how often it reads the revocation log without a wake-up, and so how
// long another replica may accept a revoked token when wake-ups are lost.
const (
	tokenCacheSize = 10000
	revocationPoll = time.Second
)

// RevocationSettle is how long after a revocation's commit every replica's
// token cache has dropped the tokens (or answers nothing): what a process
// that revokes without a cache of its own (the command line) waits for.
const RevocationSettle = auth.StaleAfter * revocationPoll

// dispatcherConns is the webhook dispatcher's pool on PostgreSQL: its fan-out,
// claim and record transactions, two or three at a time.
const dispatcherConns = 4

// Start starts the background workers: the webhook dispatcher, the GDPR
// worker and the audit log's writer. They stop when ctx ends; Close waits
// for them. The first two keep their work in the database, so whatever a
// stop interrupts resumes at the next start; the audit writer flushes what
// it holds when ctx ends and then writes entries as they come.
func (a *App) Start(ctx context.Context) {
	a.workers.Go(func() { a.Dispatcher.Run(ctx) })
	a.workers.Go(func() { a.GDPR.Run(ctx) })
	a.workers.Go(func() { a.Audit.Run(ctx) })
	a.workers.Go(func() { a.Sweeper.Run(ctx) })
	if a.Mailer != nil {
		a.workers.Go(func() { a.Mailer.Run(ctx) })
	}
	a.workers.Go(func() { a.Timer.Run(ctx) })
	if a.Wake != nil {
		a.workers.Go(func() { a.Wake.Run(ctx) })
	}
	a.workers.Go(func() { a.TokenCache.Run(ctx) })
	if a.RevokeWake != nil {
		a.workers.Go(func() { a.RevokeWake.Run(ctx) })
	}
}

// OpenStore opens and migrates the database: sqlite:PATH or postgres://….
func OpenStore(ctx context.Context, dsn string) (*store.DB, error) {
	kind, err := dbKind(dsn)
	if err != nil {
		return nil, err
	}
	var db *store.DB
	if kind == "sqlite" {
		db, err = sqlite.Open(strings.TrimPrefix(dsn, "sqlite:"))
	} else {
		db, err = postgres.Open(ctx, dsn)
	}
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// dbKind tells "sqlite" from "postgres" by the --db value's scheme.
func dbKind(dsn string) (string, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return "sqlite", nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return "postgres", nil
	}
	return "", fmt.Errorf("--db %q: want sqlite:PATH or postgres://…", redact(dsn))
}

// redact hides a password in a database URL before it is shown.
func redact(dsn string) string {
	if i := strings.Index(dsn, "@"); i >= 0 {
		if j := strings.Index(dsn, "://"); j >= 0 && j < i {
			return dsn[:j+3] + "…" + dsn[i:]
		}
	}
	return dsn
}

// LoadKey finds the secret key: DRIFTWOOD_SECRET_KEY, else --secret-key-file,
// else (SQLite only) PATH.key beside the database, created on first start.
// PostgreSQL replicas must share a key, so there it is required.
func LoadKey(cfg config.Config, log *slog.Logger) (*secrets.Key, error) {
	switch {
	case cfg.SecretKey != "":
		return secrets.Parse(cfg.SecretKey)
	case cfg.SecretKeyFile != "":
		k, _, err := secrets.LoadOrCreateFile(cfg.SecretKeyFile)
		return k, err
	}
	kind, err := dbKind(cfg.DB)
	if err != nil {
		return nil, err
	}
	if kind == "sqlite" {
		path := strings.TrimPrefix(cfg.DB, "sqlite:") + ".key"
		k, created, err := secrets.LoadOrCreateFile(path)
		if created {
			log.Info("created secret key", logkey.File, filepath.Clean(path))
		}
		return k, err
	}
	return nil, errors.New("PostgreSQL needs a secret key shared by every replica: set DRIFTWOOD_SECRET_KEY " +
		"(32 random bytes, base64: `head -c32 /dev/urandom | base64`) or --secret-key-file")
}

// Close waits for the background workers, whose context must have ended,
// and releases the database.
func (a *App) Close() error {
	a.workers.Wait()
	err := errors.Join(a.DB.Close(), a.Geo.Close())
	if a.dispatchDB != a.DB {
		err = errors.Join(err, a.dispatchDB.Close())
	}
	return err
}

// Serve serves the API on ln until ctx ends, then shuts down gracefully: it
// stops accepting, lets in-flight requests finish (up to 30 s) and returns.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.API,
		ReadHeaderTimeout: a.HTTP.ReadHeaderTimeout,
		ReadTimeout:       a.HTTP.ReadTimeout,
		WriteTimeout:      a.HTTP.WriteTimeout,
		IdleTimeout:       a.HTTP.IdleTimeout,
		MaxHeaderBytes:    a.HTTP.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(a.API.EndStreams)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
