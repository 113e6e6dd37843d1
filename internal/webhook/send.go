package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/driftwood-chat/driftwood/internal/integration"
)

// MaxResponseBytes is how much of a receiver's answer is read and kept.
const MaxResponseBytes = 4 << 10

// newClient returns the HTTP client of deliveries: no proxy from the
// environment (it would hide the address actually dialed), no redirects, and
// unless allowPrivate every dial is checked against refusedPrefixes after DNS
// resolution, so a hostname cannot smuggle a request into the private network.
func newClient(allowPrivate bool, conns int) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = refusePrivate
	}
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         dialer.DialContext,
			TLSHandshakeTimeout: 10 * time.Second,
			MaxIdleConns:        4 * conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     90 * time.Second,
			ForceAttemptHTTP2:   true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// refusedPrefixes are special-purpose networks a webhook may not reach
// beyond what netip's IsLoopback, IsPrivate and IsLinkLocal* cover.
var refusedPrefixes = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a \"this network\""},
	{netip.MustParsePrefix("100.64.0.0/10"), "a shared (carrier-grade NAT, cloud metadata)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved"},
	{netip.MustParsePrefix("64:ff9b::/96"), "a NAT64"},
}

// RefusedError is a dial refused because of the address it resolved to.
type RefusedError struct {
	IP   netip.Addr
	What string // "a loopback", …
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused: the webhook URL resolves to %s, %s address (start Driftwood with --webhook-allow-private to allow it)", e.IP, e.What)
}

// refusePrivate is a net.Dialer Control func: it runs on the resolved address
// of every connection, just before it is made.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refused: cannot check address %q: %w", address, err)
	}
	ip := ap.Addr().Unmap()
	what := ""
	switch {
	case ip.IsLoopback():
		what = "a loopback"
	case ip.IsPrivate():
		what = "a private"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		what = "a link-local (cloud metadata)"
	case ip.IsUnspecified():
		what = "an unspecified"
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		what = "a multicast"
	}
	for _, p := range refusedPrefixes {
		if what == "" && p.prefix.Contains(ip) {
			what = p.what
		}
	}
	if what != "" {
		return &RefusedError{IP: ip, What: what}
	}
	return nil
}

// attempt is the result of one POST before the retry rules judge it.
type attempt struct {
	status     int
	latency    time.Duration
	response   string
	err        string
	retryAfter time.Duration
}

// post makes one attempt: it signs body and posts it to rawURL with Drift's
// and Standard Webhooks' headers, reading at most MaxResponseBytes of the
// answer, all within timeout.
func post(ctx context.Context, client *http.Client, timeout time.Duration, rawURL, webhookID, token, secret string, body []byte) attempt {
	if err := integration.CheckURL(rawURL); err != nil {
		return attempt{err: fmt.Sprintf("webhook URL %q %s", rawURL, err.Message)}
	}
	now := time.Now()
	sig, err := Sign(secret, webhookID, now.Unix(), body)
	if err != nil {
		return attempt{err: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return attempt{err: "webhook URL: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Driftwood-Webhooks/1")
	req.Header.Set("X-Verification-Token", token)
	req.Header.Set("webhook-id", webhookID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := client.Do(req)
	if err != nil {
		return attempt{latency: time.Since(now), err: describe(err, timeout)}
	}
	defer resp.Body.Close()
	head, rerr := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
	a := attempt{status: resp.StatusCode, latency: time.Since(now), response: clean(string(head))}
	if rerr != nil {
		a.err = "reading the answer: " + describe(rerr, timeout)
	}
	a.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	return a
}

// describe turns a client error into a line for the delivery log.
func describe(err error, timeout time.Duration) string {
	var refused *RefusedError
	switch {
	case errors.As(err, &refused):
		return refused.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("timeout: no complete answer within %s", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return clean(err.Error())
}

// clean makes text safe for a TEXT column: valid UTF-8 without NUL bytes.
func clean(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// parseRetryAfter reads Retry-After as seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// judge applies the retry rules: 2xx succeeds; 410 disables the endpoint;
// timeouts, connection faults (refused addresses and bad URLs included, as
// the URL or DNS may be fixed), 408, 429 and 5xx are retried while the
// schedule lasts; any other answer fails for good.
func judge(a attempt, schedule []time.Duration, step int, now time.Time) Result {
	r := Result{Attempt: Attempt{
		AttemptedAt: now.UnixMilli(), StatusCode: a.status, LatencyMs: a.latency.Milliseconds(),
		Response: a.response, Error: a.err,
	}}
	switch {
	case a.status >= 200 && a.status < 300: // even if the rest of the answer trickled past the timeout
		r.Outcome = OutcomeSucceeded
		return r
	case a.status == http.StatusGone:
		r.Outcome = OutcomeDisabled
		return r
	case a.status != 0 && a.status != http.StatusRequestTimeout && a.status != http.StatusTooManyRequests && a.status < 500:
		r.Outcome = OutcomeFailed
		return r
	}
	delay, ok := NextDelay(schedule, step, a.retryAfter)
	if !ok {
		r.Outcome = OutcomeFailed
		return r
	}
	r.Outcome, r.NextAttemptAt = OutcomeRetry, now.Add(delay).UnixMilli()
	return r
}
