// Package browsertest starts Debian's headless Chromium for the browser
// tests of the widget and the inbox. Without a browser they skip, unless
// DRIFTWOOD_REQUIRE_BROWSER=1 (CI sets it), which makes that a failure.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// RequireEnv, set to 1, makes a missing browser a failure.
const RequireEnv = "DRIFTWOOD_REQUIRE_BROWSER"

// allocator starts browsers for every test of the binary; nil without one.
var allocator context.Context

// Main runs the package's tests (call it from TestMain) with one browser
// launcher for all of them, its windows width×height.
func Main(m *testing.M, width, height int) int {
	path, err := exec.LookPath("chromium")
	if err != nil {
		if _, err := os.Stat("/usr/bin/chromium"); err == nil {
			path = "/usr/bin/chromium"
		}
	}
	if path == "" {
		return m.Run()
	}
	// As root Chromium needs --no-sandbox; without background networking
	// off it floods a closed network with connections that are refused.
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Headless, chromedp.DisableGPU, chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.WindowSize(width, height))
	ctx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	allocator = ctx
	return m.Run()
}

// New opens a new browser for the test, with a profile of its own (no
// cookies or storage shared with other tests), closed when the test ends.
// timeout guards against a hang; a loaded machine is slow.
func New(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	if allocator == nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatal(RequireEnv + "=1 but no chromium found")
		}
		t.Skip("no chromium: browser tests skipped (" + RequireEnv + "=1 makes this a failure)")
	}
	ctx, cancel := chromedp.NewContext(allocator)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancelTimeout)
	return ctx
}

// NewTab opens another tab of ctx's browser (same profile), closed when
// the test ends.
func NewTab(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	// The first run on a context opens its tab for as long as that run's
	// context lives: run it on the tab's own, never on a step's shorter one.
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return tab
}

// stepTimeout bounds one Do, well inside New's guard, so that a step that
// hangs still leaves time to say where the page was.
const stepTimeout = time.Minute

// Do runs steps in the browser, failing the test on an error with the
// page's address and load state, which tell a hung navigation from a
// missing element.
func Do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	stepCtx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(stepCtx, steps...); err != nil {
		t.Fatalf("%v (page: %s)", err, pageState(ctx))
	}
}

// pageState describes the page for a failure message.
func pageState(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + " " + document.readyState`))
	if err != nil {
		return "unknown: " + err.Error()
	}
	return state
}

// Run runs one action and returns its value, failing the test as Do does.
func Run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	stepCtx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(stepCtx, a)
	if err != nil {
		t.Fatalf("%v (page: %s)", err, pageState(ctx))
	}
	return v
}

// Poll runs a reading action until ok accepts its value or a deadline
// passes, and returns the last value read. Each read has a short bound of
// its own: a query that waits on a node the page has since replaced would
// otherwise wait for ever, where a fresh one finds the new node.
func Poll[T any](ctx context.Context, a chromedp.Action[T], ok func(T) bool) (T, bool) {
	var v T
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		readCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
		got, err := chromedp.Run(readCtx, a)
		cancel()
		if err == nil {
			if v = got; ok(v) {
				return v, true
			}
		}
	}
	return v, false
}
