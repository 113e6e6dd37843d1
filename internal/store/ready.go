package store

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
)

// writeHealth is what the store last learnt about whether the database
// takes writes: from the writes themselves, and from the probe Ready runs
// when they have not told it lately.
type writeHealth struct {
	mu sync.Mutex
	// failure is the apperr.ErrUnavailable of the last write that failed
	// for want of writes; only a probe that writes clears it, since a
	// transaction that happened to write nothing commits on a read-only
	// database too.
	failure error
	at      time.Time // when the store last learnt either way
	probing sync.Mutex
	dropped time.Time // when a connection was last dropped (DB.dropIfUnavailable)
}

// mayDrop reports whether a connection may be dropped now, and if so notes
// that one is.
func (h *writeHealth) mayDrop() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if time.Since(h.dropped) < time.Second {
		return false
	}
	h.dropped = time.Now()
	return true
}

// How long what Ready learnt holds before it probes again: while writes
// fail, a database made writable again is ready within a second; while they
// succeed, one that stopped taking them with no write to tell is found out
// within ten.
const (
	probeWhileFailing = time.Second
	probeWhileWriting = 10 * time.Second
)

// errUnavailable is the answer to a write the database cannot take now.
func errUnavailable(cause error) error {
	return &apperr.Error{Code: apperr.Unavailable, Message: "the database takes no writes at the moment; retry later", Err: cause}
}

// errUnreachable is the answer to a request whose reads the database could
// not serve now.
func errUnreachable(cause error) error {
	return &apperr.Error{Code: apperr.Unavailable, Message: "the database cannot be reached at the moment; retry later", Err: cause}
}

// MapUnavailable returns err as apperr.ErrUnavailable when the database
// could not serve the request now but may later, with no change to
// Driftwood (Dialect.IsUnavailable: unreachable, out of connections,
// shutting down, starting, read-only, full), and otherwise err unchanged.
// Writes are mapped so in Transact; reads return the driver's errors as
// they are, from a hundred queries, so the API asks this once for every
// error it would otherwise answer as a server fault.
func (db *DB) MapUnavailable(err error) error {
	if err == nil || errors.Is(err, apperr.ErrUnavailable) || !db.dialect.IsUnavailable(err) {
		return err
	}
	return errUnreachable(err)
}

// noteWrite records the outcome of a write and returns err, as
// apperr.ErrUnavailable when the database takes no writes now (read-only,
// full: Dialect.IsUnavailable).
func (db *DB) noteWrite(err error) error {
	h := &db.health
	if err == nil {
		h.mu.Lock()
		if h.failure == nil {
			h.at = time.Now()
		}
		h.mu.Unlock()
		return nil
	}
	if !errors.Is(err, apperr.ErrUnavailable) {
		if !db.dialect.IsUnavailable(err) {
			return err // says nothing about writes
		}
		err = errUnavailable(err)
	}
	h.mu.Lock()
	h.failure, h.at = err, time.Now()
	h.mu.Unlock()
	return err
}

// Ready reports whether the database answers and takes writes, for /readyz:
// nil, or why not (apperr.ErrUnavailable when it takes no writes). It asks
// the dialect (PostgreSQL: SHOW transaction_read_only) and remembers the
// last write that failed for want of writes; it writes itself only to
// probe, one small row, when the writes have not told it lately (see
// probeWhileFailing, probeWhileWriting).
func (db *DB) Ready(ctx context.Context) error {
	if err := db.read.PingContext(ctx); err != nil {
		return err
	}
	if ro, err := db.dialect.ReadOnly(ctx, db.write); err != nil {
		return db.noteWrite(err)
	} else if ro {
		return errUnavailable(errors.New("the database is read-only"))
	}
	h := &db.health
	h.mu.Lock()
	failure, at := h.failure, h.at
	h.mu.Unlock()
	due := probeWhileWriting
	if failure != nil {
		due = probeWhileFailing
	}
	if time.Since(at) < due || !h.probing.TryLock() { // known lately, or being probed now
		return failure
	}
	defer h.probing.Unlock()
	err := db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.q.ExecContext(ctx, `INSERT INTO write_probe (id, probed_at) VALUES (1, $1)
			ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at`, tx.now)
		return err
	})
	if err == nil {
		h.mu.Lock()
		h.failure, h.at = nil, time.Now()
		h.mu.Unlock()
	}
	return err
}
