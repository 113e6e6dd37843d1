package app_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/app"
	"github.com/driftwood-chat/driftwood/internal/config"
	"github.com/driftwood-chat/driftwood/internal/secrets"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// The first start on an empty database (no bootstrap token) prints the
// demo org's widget demo page, and / links that page, then and after a
// restart; a database whose first org is not the demo has no such link.
func TestDemoWidgetPage(t *testing.T) {
	cfg := config.Config{DB: storetest.SQLiteDSN(t), Addr: "127.0.0.1:0", PublicURL: "http://driftwood.test", SecretKey: secrets.Generate().String()}
	index := func(a *app.App) string {
		t.Helper()
		rec := httptest.NewRecorder()
		a.API.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /: %d %s", rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	start := func(cfg config.Config, out io.Writer) *app.App {
		t.Helper()
		a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler), out)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		return a
	}
	var out bytes.Buffer
	a := start(cfg, &out)
	m := regexp.MustCompile(`Widget demo: +http://driftwood\.test(/widget/demo/\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("the first start printed no widget demo page:\n%s", out.String())
	}
	link := `href="` + m[1] + `"`
	if page := index(a); !strings.Contains(page, link) {
		t.Fatalf("/ does not link %s:\n%s", m[1], page)
	}
	rec := httptest.NewRecorder()
	a.API.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, m[1], nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "/include/") {
		t.Fatalf("the demo page: %d", rec.Code)
	}
	a.Close()
	if page := index(start(cfg, io.Discard)); !strings.Contains(page, link) {
		t.Fatal("after a restart / no longer links the demo page")
	}

	own := cfg
	own.DB, own.BootstrapToken = storetest.SQLiteDSN(t), secrets.RandomToken("test_")
	if page := index(start(own, io.Discard)); strings.Contains(page, "/widget/demo/") {
		t.Fatal("/ links a widget demo page of an org that is not the demo")
	}
}
