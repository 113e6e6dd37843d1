// Package apitest starts the real Driftwood (the same wiring as driftwood
// serve) on a real database behind httptest, and gives tests a small client
// for it. Tests assert on decoded JSON and on the store's state.
package apitest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/app"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/config"
	"github.com/driftwood-chat/driftwood/internal/secrets"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/postgres"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// Env is a running Driftwood with one org and its admin token.
type Env struct {
	URL    string // base URL, no trailing slash
	App    *app.App
	Server *httptest.Server
	OrgID  int64
	Token  string // the org's token with every scope

	seen *seen // shared by copies of the Env
}

// seen is what the Env's scenarios keep track of.
type seen struct {
	mu        sync.Mutex
	otherOrgs []int64         // made by NewOrg
	lastEvent map[int64]int64 // by org, the newest event id seen (see LastEventID)
}

// Option adjusts the server before it starts.
type Option func(*setup)

type setup struct {
	cfg  config.Config
	logs io.Writer
}

// WithConfig adjusts the configuration.
func WithConfig(fn func(*config.Config)) Option { return func(s *setup) { fn(&s.cfg) } }

// CaptureLogs writes every log record of the server, debug ones included,
// to logs.
func CaptureLogs(logs *Logs) Option { return func(s *setup) { s.logs = logs } }

// Logs is a log captured by CaptureLogs, safe to write and read at once.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Start runs Driftwood on a new database of backend b until the test ends.
func Start(t testing.TB, b storetest.Backend, opts ...Option) *Env {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	st := setup{cfg: config.Config{
		DB:             b.DSN(t),
		Addr:           srv.Listener.Addr().String(),
		PublicURL:      "http://" + srv.Listener.Addr().String(),
		SecretKey:      secrets.Generate().String(),
		BootstrapToken: secrets.RandomToken("test_"),
		LogFormat:      "text",
		LogLevel:       "info",
		WebhookTimeout: 15 * time.Second,
		// Tests' webhook receivers listen on loopback, as --addr does here.
		WebhookAllowPrivate: true,
	}}
	st.cfg.WebhookRetry, _ = config.ParseSchedule("100ms,200ms,400ms")
	for _, o := range opts {
		o(&st)
	}
	cfg := st.cfg
	log := slog.New(slog.DiscardHandler)
	switch {
	case st.logs != nil:
		log = slog.New(slog.NewTextHandler(st.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	case os.Getenv("DRIFTWOOD_TEST_LOG") == "1":
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	a, err := app.New(context.Background(), cfg, log, io.Discard)
	if err != nil {
		t.Fatalf("starting driftwood: %v", err)
	}
	srv.Config.Handler = validateResponses(t, a.API)
	srv.Start()
	ctx, cancel := context.WithCancel(context.Background())
	a.Start(ctx)
	t.Cleanup(func() {
		a.API.EndStreams()
		srv.Close()
		cancel()
		a.Close()
	})
	e := &Env{URL: srv.URL, App: a, Server: srv, Token: cfg.BootstrapToken, seen: &seen{lastEvent: map[int64]int64{}}}
	orgs, err := a.Tokens.Authenticate(context.Background(), cfg.BootstrapToken, netip.Addr{})
	if err != nil {
		t.Fatalf("bootstrap token: %v", err)
	}
	e.OrgID = orgs.OrgID
	return e
}

// Each starts a Driftwood per backend and runs fn against it as a subtest.
func Each(t *testing.T, fn func(t *testing.T, e *Env), opts ...Option) {
	t.Helper()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) { fn(t, Start(t, b, opts...)) })
}

// NewOrg creates another org and returns its id and a token with scopes
// (every scope when none are given).
func (e *Env) NewOrg(t testing.TB, name string, scopes ...auth.Scope) (int64, string) {
	t.Helper()
	o, err := e.App.DB.CreateOrg(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	e.seen.mu.Lock()
	e.seen.otherOrgs = append(e.seen.otherOrgs, o.ID)
	e.seen.mu.Unlock()
	return o.ID, e.NewToken(t, o.ID, scopes...)
}

// NewToken issues a token of org with scopes (every scope when none given).
func (e *Env) NewToken(t testing.TB, orgID int64, scopes ...auth.Scope) string {
	t.Helper()
	if len(scopes) == 0 {
		scopes = auth.AllScopes
	}
	raw, _, err := e.App.Tokens.Issue(context.Background(), auth.Token{OrgID: orgID, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Response is an HTTP answer, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value, numbers as json.Number.
func (r *Response) JSON(t testing.TB) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, r.Body)
	}
	return v
}

// Object decodes the body as a JSON object.
func (r *Response) Object(t testing.TB) map[string]any {
	t.Helper()
	m, ok := r.JSON(t).(map[string]any)
	if !ok {
		t.Fatalf("response is not a JSON object: %s", r.Body)
	}
	return m
}

// Decode decodes the body into v.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.Body, err)
	}
}

// Request is one call. Body may be nil, a string or []byte (sent as is), or
// any other value (sent as JSON).
type Request struct {
	Method string
	Path   string
	Token  string // "" sends no Authorization header
	Body   any
	Header map[string]string
	// KeepRedirect answers a redirect as it is instead of following it.
	KeepRedirect bool
}

// Do sends req and reads the answer.
func (e *Env) Do(t testing.TB, req Request) *Response {
	t.Helper()
	var body io.Reader
	switch b := req.Body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	hr, err := http.NewRequest(req.Method, e.URL+req.Path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if req.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+req.Token)
	}
	for k, v := range req.Header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	c := e.Server.Client()
	if req.KeepRedirect {
		keep := *c
		keep.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		c = &keep
	}
	resp, err := c.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Call sends a request with the env's admin token and fails the test unless
// the status is want. It returns the decoded JSON object.
func (e *Env) Call(t testing.TB, method, path string, body any, want int) map[string]any {
	t.Helper()
	r := e.Do(t, Request{Method: method, Path: path, Token: e.Token, Body: body})
	if r.Status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	return r.Object(t)
}

// WantError checks that r is a Drift error of the status and type.
func WantError(t testing.TB, r *Response, status int, typ string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	obj := r.Object(t)
	e, ok := obj["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %s", r.Body)
	}
	if e["type"] != typ {
		t.Fatalf("error type %v, want %s: %s", e["type"], typ, r.Body)
	}
	if m, _ := e["message"].(string); m == "" {
		t.Fatalf("error without a message: %s", r.Body)
	}
}

// RawDB opens the env's database directly, closed when the test ends.
func (e *Env) RawDB(t testing.TB) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", e.App.Config.DB
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		driver, dsn = "sqlite", path+"?_pragma=busy_timeout(10000)"
	} else {
		var err error
		if dsn, err = postgres.ConnDSN(dsn); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// RowsContaining reads every row of every table of the env's database and
// returns "table: row" for each row with a column that contains one of
// needles, in any case.
func (e *Env) RowsContaining(t testing.TB, needles ...string) []string {
	t.Helper()
	db := e.RawDB(t)
	listTables := `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	if strings.HasPrefix(e.App.Config.DB, "sqlite:") {
		listTables = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	}
	tables, err := db.Query(listTables)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		tables.Scan(&n)
		names = append(names, n)
	}
	tables.Close()
	if len(names) < 8 {
		t.Fatalf("only %d tables found: %v", len(names), names)
	}
	var found []string
	for _, name := range names {
		rows, err := db.Query(`SELECT * FROM ` + name)
		if err != nil {
			t.Fatal(err)
		}
		err = store.EachRow(rows, func(_ []string, vals []any) error {
			for _, v := range vals {
				text := strings.ToLower(fmt.Sprint(v))
				if slices.ContainsFunc(needles, func(n string) bool { return strings.Contains(text, strings.ToLower(n)) }) {
					found = append(found, fmt.Sprintf("%s: %v", name, vals))
					break
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return found
}
