package store

import (
	"context"
	"database/sql"
	"sync"
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
