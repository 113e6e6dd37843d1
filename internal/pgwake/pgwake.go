// Package pgwake wakes every process on one PostgreSQL database after a
// commit: a payload-free NOTIFY on a channel, LISTENed to by each. The
// notification carries nothing: whoever is woken reads the truth from its
// tables (the events outbox, the tokens table …) and also polls, so a lost
// or coalesced wake-up costs only latency, never data. Event streams of
// the widget and the inbox use it for the outbox; other broadcasts (token
// revocation) can run their own Waker on their own channel.
package pgwake

import (
	"context"
	"log/slog"
	"time"

	"github.com/driftwood-chat/driftwood/internal/logkey"
	"github.com/jackc/pgx/v5"
)

// Revocations is the channel of the revocation log: a token revoked on one
// replica is dropped from every replica's token cache (auth.Cache).
const Revocations = "driftwood_revocations"

// Send sends one wake-up on channel from its own connection, for a process
// that runs no Waker (the command line).
func Send(ctx context.Context, dsn, channel string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, "SELECT pg_notify($1, '')", channel)
	return err
}

// Waker sends and receives wake-ups on one channel.
type Waker struct {
	dsn     string
	channel string
	onWake  func()
	log     *slog.Logger
	pending chan struct{} // a wake-up to send, coalesced
}

// New returns a Waker for the database dsn and the channel; onWake runs
// (and must not block) on every wake-up received, this process's own
// included, and after every reconnection, since one may have been missed.
func New(dsn, channel string, onWake func(), log *slog.Logger) *Waker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Waker{dsn: dsn, channel: channel, onWake: onWake, log: log.With("subsystem", "pgwake", "channel", channel),
		pending: make(chan struct{}, 1)}
}

// Notify asks for a wake-up to be sent. Call it after the commit that it
// announces. It never blocks; wake-ups asked for while one is pending are
// sent as one.
func (w *Waker) Notify() {
	select {
	case w.pending <- struct{}{}:
	default:
	}
}

// Run listens and sends until ctx ends, each on its own connection,
// reconnecting after any failure.
func (w *Waker) Run(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.keep(ctx, "listen", w.listen)
	}()
	w.keep(ctx, "notify", w.send)
	<-done
}

// keep runs fn on a fresh connection until ctx ends, backing off after
// failures.
func (w *Waker) keep(ctx context.Context, what string, fn func(context.Context, *pgx.Conn) error) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		conn, err := pgx.Connect(ctx, w.dsn)
		if err == nil {
			err = fn(ctx, conn)
			conn.Close(context.Background())
			if ctx.Err() != nil {
				return
			}
			backoff = 100 * time.Millisecond
		}
		w.log.Warn("wake-up connection lost; reconnecting", "role", what, logkey.Err, err, "after", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (w *Waker) listen(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{w.channel}.Sanitize()); err != nil {
		return err
	}
	w.onWake() // what was sent while this connection was down
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		w.onWake()
	}
}

func (w *Waker) send(ctx context.Context, conn *pgx.Conn) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.pending:
		}
		if _, err := conn.Exec(ctx, "SELECT pg_notify($1, '')", w.channel); err != nil {
			w.Notify() // send it on the next connection
			return err
		}
	}
}
