package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

const healthcheckSummary = `healthcheck [--url URL]

Asks a running Driftwood's /readyz and exits 0 when it answers 200 (the
database answers), 1 otherwise. It is the container health check: a minimal
image has no curl. By default it asks the address driftwood serve listens
on (--addr, env DRIFTWOOD_ADDR), through loopback when that is 0.0.0.0 or ::.`

func runHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("healthcheck", healthcheckSummary, stderr)
	addr := envDefault(getenv, "DRIFTWOOD_ADDR", "127.0.0.1:7070")
	base := fs.String("url", "", "the Driftwood to ask (default: http:// and the serve address, env DRIFTWOOD_ADDR)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("healthcheck takes no arguments, got %q", fs.Args())
	}
	if *base == "" {
		u, err := loopbackURL(addr)
		if err != nil {
			return usagef("healthcheck: DRIFTWOOD_ADDR: %v", err)
		}
		*base = u
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	u := strings.TrimRight(*base, "/") + "/readyz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return usagef("healthcheck: --url: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: GET %s: %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprintf(stdout, "ready: GET %s: %s\n", u, resp.Status)
	return nil
}

// loopbackURL is the URL that reaches a server listening on addr from the
// same host: an unspecified host (0.0.0.0, ::, "") is reached on loopback.
func loopbackURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}
