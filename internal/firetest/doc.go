// Package firetest puts the whole server under fire: hostile input on every
// route, isolation between orgs, scopes, slow clients, the rate limiter
// under concurrency, secrets at rest and in logs, and crashes. Its tests
// start the real server (in process, or the built binary) on SQLite and on
// PostgreSQL; the long forms are documented in README.md ("Proof under fire").
// Under -short (the inner loop) the suites that take minutes are skipped.
package firetest
