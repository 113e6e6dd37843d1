package apitest

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/app"
)

// ReadOnlyReplica starts a second Driftwood on e's PostgreSQL database
// whose sessions are all read-only (default_transaction_read_only=on in its
// connection options, as on a standby), leaving e's own sessions and every
// other test's as they are. It answers with e's org and token.
func (e *Env) ReadOnlyReplica(t testing.TB) *Env {
	t.Helper()
	cfg := e.App.Config
	u, err := url.Parse(cfg.DB)
	if err != nil || u.Scheme != "postgres" {
		t.Fatalf("ReadOnlyReplica needs a PostgreSQL database, not %q", cfg.DB)
	}
	q := u.Query()
	q.Set("options", "-c default_transaction_read_only=on")
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // pgx reads no + as a space
	cfg.DB = u.String()
	a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatalf("starting a read-only replica: %v", err)
	}
	srv := httptest.NewServer(a.API)
	ctx, cancel := context.WithCancel(context.Background())
	a.Start(ctx)
	t.Cleanup(func() {
		a.API.EndStreams()
		srv.Close()
		cancel()
		a.Close()
	})
	return &Env{URL: srv.URL, App: a, Server: srv, OrgID: e.OrgID, Token: e.Token}
}
