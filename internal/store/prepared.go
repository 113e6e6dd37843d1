package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// preparedReads is the read pool through prepared statements, cached by
// query text: on SQLite, parsing a small query costs more than running it
// (bench/README.md, "Profile"). Use it only for queries whose text is fixed,
// since every distinct text stays prepared until Close; database/sql
// prepares each statement again on every connection that runs it.
type preparedReads struct {
	pool  *sql.DB
	stmts sync.Map // query text -> *sql.Stmt
}

func (p *preparedReads) prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := p.stmts.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := p.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := p.stmts.LoadOrStore(query, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	return s, nil
}

// ExecContext implements queryer.
func (p *preparedReads) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := p.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// QueryContext implements queryer.
func (p *preparedReads) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := p.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// QueryRowContext implements queryer. A query that does not prepare runs
// unprepared, so that its *sql.Row carries the error.
func (p *preparedReads) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := p.prepare(ctx, query)
	if err != nil {
		return p.pool.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// close closes the cached statements.
func (p *preparedReads) close() {
	p.stmts.Range(func(_, s any) bool {
		s.(*sql.Stmt).Close()
		return true
	})
}

// writeStatements caches the prepared statements of write transactions,
// for dialects whose driver parses every call (SQLite): there the parse
// would otherwise run inside the one writer that every write queues for.
//
// A statement cannot be prepared on the write pool while a transaction
// holds its only connection (DB.PrepareContext would wait for it), so a
// transaction runs a new statement unprepared and names it; the statement
// is prepared once that transaction has ended, and later transactions run
// it through Tx.StmtContext, which reuses it on the same connection.
type writeStatements struct {
	pool  *sql.DB
	stmts sync.Map // query text -> *sql.Stmt
	count atomic.Int64
}

// maxWriteStatements bounds the cache: most write statements have a fixed
// text, the few built per call (IN lists of varying length) stop being
// cached once it is full.
const maxWriteStatements = 512

// stmt returns query prepared for tx, or nil when it is not cached yet, in
// which case tx notes it for prepareAfter.
func (w *writeStatements) stmt(ctx context.Context, tx *Tx, query string) *sql.Stmt {
	if s, ok := w.stmts.Load(query); ok {
		return tx.tx.StmtContext(ctx, s.(*sql.Stmt))
	}
	if w.count.Load() < maxWriteStatements {
		tx.unprepared = append(tx.unprepared, query)
	}
	return nil
}

// prepareAfter prepares the statements a finished transaction ran
// unprepared. Failures only leave a statement unprepared.
func (w *writeStatements) prepareAfter(ctx context.Context, queries []string) {
	for _, q := range queries {
		if _, ok := w.stmts.Load(q); ok || w.count.Load() >= maxWriteStatements {
			continue
		}
		s, err := w.pool.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		if _, loaded := w.stmts.LoadOrStore(q, s); loaded {
			s.Close()
			continue
		}
		w.count.Add(1)
	}
}

func (w *writeStatements) close() {
	w.stmts.Range(func(_, s any) bool {
		s.(*sql.Stmt).Close()
		return true
	})
}

// txQueryer is the queryer of a write transaction: through the statement
// cache where the dialect asks for one.
type txQueryer struct{ tx *Tx }

// ExecContext implements queryer.
func (q txQueryer) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := q.cached(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return q.tx.tx.ExecContext(ctx, query, args...)
}

// QueryContext implements queryer.
func (q txQueryer) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := q.cached(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return q.tx.tx.QueryContext(ctx, query, args...)
}

// QueryRowContext implements queryer.
func (q txQueryer) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := q.cached(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return q.tx.tx.QueryRowContext(ctx, query, args...)
}

func (q txQueryer) cached(ctx context.Context, query string) *sql.Stmt {
	if q.tx.db.writes == nil {
		return nil
	}
	return q.tx.db.writes.stmt(ctx, q.tx, query)
}
