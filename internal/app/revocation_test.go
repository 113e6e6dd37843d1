package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/app"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/config"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

var postgres = storetest.Backend{Name: "postgres", DSN: storetest.PostgresDSN}

// replica starts a second Driftwood on e's database and key, as another
// replica behind the same load balancer would run. adjust runs before its
// workers start.
func replica(t *testing.T, e *apitest.Env, adjust func(a *app.App)) *apitest.Env {
	t.Helper()
	return replicaWith(t, e, e.App.Config, adjust)
}

// replicaWith is replica with its own configuration.
func replicaWith(t *testing.T, e *apitest.Env, cfg config.Config, adjust func(a *app.App)) *apitest.Env {
	t.Helper()
	a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatalf("starting a replica: %v", err)
	}
	adjust(a)
	srv := httptest.NewServer(a.API)
	ctx, cancel := context.WithCancel(context.Background())
	a.Start(ctx)
	t.Cleanup(func() {
		a.API.EndStreams()
		srv.Close()
		cancel()
		a.Close()
	})
	return &apitest.Env{URL: srv.URL, App: a, Server: srv, OrgID: e.OrgID, Token: e.Token}
}

// issue makes a token of e's org and returns its raw value and id.
func issue(t *testing.T, e *apitest.Env) (string, int64) {
	t.Helper()
	raw, tok, err := e.App.Tokens.Issue(context.Background(), auth.Token{OrgID: e.OrgID, Scopes: []auth.Scope{auth.ContactRead}})
	if err != nil {
		t.Fatal(err)
	}
	return raw, tok.ID
}

func status(t *testing.T, e *apitest.Env, token string) int {
	t.Helper()
	return e.Do(t, apitest.Request{Method: "GET", Path: "/contacts?email=nobody@example.com", Token: token}).Status
}

// cached uses token on e until e's token cache holds it, so that what
// follows is answered from the cache, not the database.
func cached(t *testing.T, e *apitest.Env, token string, id int64) {
	t.Helper()
	apitest.Eventually(t, func() bool {
		if status(t, e, token) != 200 {
			t.Fatal("a live token was refused")
		}
		return e.App.TokenCache.Holds(id)
	})
}

// refusedWithin waits for e to refuse token and returns how long it took;
// the limit only guards against a hang.
func refusedWithin(t *testing.T, e *apitest.Env, token string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for status(t, e, token) != 401 {
		if time.Since(start) > limit {
			t.Fatalf("the revoked token was still accepted after %v", limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// A token revoked on one replica is refused at once there, and by the
// other as soon as the wake-up arrives: the other's poll interval is set
// to an hour, so only the NOTIFY can have dropped it from its cache.
func TestRevocation_BroadcastToReplicas(t *testing.T) {
	t.Parallel()
	a := apitest.Start(t, postgres)
	b := replica(t, a, func(r *app.App) { r.TokenCache.Poll = time.Hour })
	token, id := issue(t, a)
	cached(t, a, token, id)
	cached(t, b, token, id)
	if err := a.App.DB.RevokeToken(context.Background(), a.OrgID, id); err != nil {
		t.Fatal(err)
	}
	if status(t, a, token) != 401 {
		t.Fatal("the replica that revoked the token accepted it after the revocation")
	}
	took := refusedWithin(t, b, token, 20*time.Second)
	t.Logf("refused by the other replica %v after the revocation (target: 250ms)", took)
	if status(t, a, a.Token) != 200 || status(t, b, b.Token) != 200 {
		t.Fatal("another token of the org was refused")
	}
}

// A database URL that sets the pool size (pool_max_conns, which only the
// pool understands) still gets wake-ups: they once failed to connect with
// it, and every replica fell back to polling.
func TestRevocation_BroadcastWithPoolSizeInURL(t *testing.T) {
	t.Parallel()
	a := apitest.Start(t, postgres)
	cfg := a.App.Config
	cfg.DB += map[bool]string{true: "&", false: "?"}[strings.Contains(cfg.DB, "?")] + "pool_max_conns=8"
	b := replicaWith(t, a, cfg, func(r *app.App) { r.TokenCache.Poll = time.Hour })
	token, id := issue(t, a)
	cached(t, b, token, id)
	if err := a.App.DB.RevokeToken(context.Background(), a.OrgID, id); err != nil {
		t.Fatal(err)
	}
	took := refusedWithin(t, b, token, 20*time.Second)
	t.Logf("refused by the other replica %v after the revocation (target: 250ms)", took)
}

// Without wake-ups (a replica whose notification connection is gone), the
// revocation log is still read every poll interval.
func TestRevocation_PollingWithoutWakeUps(t *testing.T) {
	t.Parallel()
	a := apitest.Start(t, postgres)
	b := replica(t, a, func(r *app.App) {
		r.RevokeWake = nil // no notification connection at all
		r.TokenCache.Poll = 200 * time.Millisecond
	})
	token, id := issue(t, a)
	cached(t, b, token, id)
	if _, err := a.App.DB.RevokeAll(context.Background(), 0, a.OrgID); err != nil {
		t.Fatal(err)
	}
	took := refusedWithin(t, b, token, 20*time.Second)
	t.Logf("refused %v after the revocation by polling every 200ms", took)
}

// A notification connection that is dropped (its backend terminated) is
// reconnected, and what was revoked meanwhile is read on reconnection.
func TestRevocation_NotificationConnectionDropped(t *testing.T) {
	t.Parallel()
	a := apitest.Start(t, postgres)
	b := replica(t, a, func(r *app.App) { r.TokenCache.Poll = time.Hour })
	token, id := issue(t, a)
	cached(t, b, token, id)
	raw := a.RawDB(t)
	// Every listener of the channel in this test database, both replicas'
	// included (others reconnect as these do).
	apitest.Eventually(t, func() bool {
		var n int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND query LIKE 'LISTEN "driftwood_revocations"%') ended`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n >= 2
	})
	if err := a.App.DB.RevokeToken(context.Background(), a.OrgID, id); err != nil {
		t.Fatal(err)
	}
	took := refusedWithin(t, b, token, 20*time.Second)
	t.Logf("refused %v after the revocation, across a reconnection", took)
}

// On SQLite, the one process drops what it revoked before answering: an
// uninstalled app's token is refused on the next request.
func TestRevocation_SQLiteAtOnce(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetest.Backend{Name: "sqlite", DSN: storetest.SQLiteDSN})
	for _, revoke := range []func(id int64) error{
		func(id int64) error { return e.App.DB.RevokeToken(context.Background(), e.OrgID, id) },
		func(int64) error { _, err := e.App.DB.RevokeAll(context.Background(), 0, e.OrgID); return err },
	} {
		token, id := issue(t, e)
		cached(t, e, token, id)
		if err := revoke(id); err != nil {
			t.Fatal(err)
		}
		if status(t, e, token) != 401 {
			t.Fatal("a revoked token was accepted after the revocation")
		}
		if e.App.TokenCache.Holds(id) {
			t.Fatal("the revoked token is still cached")
		}
	}
}
