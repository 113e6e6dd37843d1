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
