package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/integration"
	"github.com/driftwood-chat/driftwood/internal/secrets"
	"github.com/driftwood-chat/driftwood/internal/sse"
	"github.com/driftwood-chat/driftwood/internal/webhook"
)

const listenSummary = `listen --forward-to URL [flags]

Connects to a running Driftwood's event stream (GET /driftwood/v1/events/stream)
and forwards each of the org's events to URL as a webhook delivery carries it:
Drift's envelope with X-Verification-Token, signed with the Standard Webhooks
headers (webhook-id, webhook-timestamp, webhook-signature), like stripe listen.
It prints one line per event (time, type, event id, the forward's status and
latency), reconnects after a disconnect resuming after the last event seen, and
stops on Ctrl-C. Events are forwarded once each, in order, without retries.`

// listenConfig is what driftwood listen needs.
type listenConfig struct {
	BaseURL           string // the running Driftwood
	Token             string // an API token with driftwood_admin
	ForwardTo         string
	Types             []string // all when empty
	SigningSecret     string   // whsec_…
	VerificationToken string
	// RetryWait is the first wait before reconnecting; it doubles up to
	// ten times as much while connecting fails.
	RetryWait time.Duration
}

func runListen(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("listen", listenSummary, stderr)
	forward := fs.String("forward-to", "", "the local URL that receives the events (required)")
	types := fs.String("events", "", "comma-separated event types to forward (default: all)")
	base := serverURLFlag(fs, getenv)
	token := secretFlag(fs, "token", "DRIFTWOOD_TOKEN", "an API `token` with the driftwood_admin scope (env DRIFTWOOD_TOKEN)", getenv)
	secret := secretFlag(fs, "signing-secret", "DRIFTWOOD_SIGNING_SECRET",
		"the whsec_ `secret` to sign with (env DRIFTWOOD_SIGNING_SECRET; when neither is given: a new one, printed)", getenv)
	verification := fs.String("verification-token", "", "the X-Verification-Token and envelope token to send (default: a new one, printed)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg := listenConfig{BaseURL: strings.TrimRight(*base, "/"), Token: *token, ForwardTo: *forward,
		SigningSecret: *secret, VerificationToken: *verification, RetryWait: time.Second}
	if cfg.ForwardTo == "" {
		return usagef("listen: give --forward-to URL")
	}
	if err := integration.CheckURL(cfg.ForwardTo); err != nil {
		return usagef("listen: --forward-to %s", err.Message)
	}
	if err := integration.CheckURL(cfg.BaseURL); err != nil {
		return usagef("listen: --url %s", err.Message)
	}
	if cfg.Token == "" {
		return usagef("listen: give --token or DRIFTWOOD_TOKEN")
	}
	for _, t := range strings.Split(*types, ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if _, ok := integration.EventScope[events.Type(t)]; !ok {
			return usagef("listen: --events: %q is not a Drift webhook event", t)
		}
		cfg.Types = append(cfg.Types, t)
	}
	if cfg.SigningSecret == "" {
		cfg.SigningSecret = integration.NewSigningSecret()
	} else if _, err := webhook.Sign([]string{cfg.SigningSecret}, "", 0, nil); err != nil {
		return usagef("listen: --signing-secret must be whsec_ and base64, as Driftwood's apps have it")
	}
	if cfg.VerificationToken == "" {
		cfg.VerificationToken = secrets.RandomToken("")
	}
	return listen(ctx, cfg, stdout, stderr)
}

// listen forwards the stream's events until ctx ends (nil) or the server
// refuses the stream for good (an error).
func listen(ctx context.Context, cfg listenConfig, stdout, stderr io.Writer) error {
	fmt.Fprintf(stdout, "Forwarding events to %s\nSigning secret: %s\nVerification token: %s\n",
		cfg.ForwardTo, cfg.SigningSecret, cfg.VerificationToken)
	l := &listener{cfg: cfg, out: stdout, stream: &http.Client{}, forward: &http.Client{Timeout: 30 * time.Second}}
	wait := cfg.RetryWait
	for {
		connected, err := l.follow(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var refused *refusedError
		if errors.As(err, &refused) {
			return err
		}
		if connected {
			wait = cfg.RetryWait
		}
		fmt.Fprintf(stderr, "%s  stream lost (%v); reconnecting in %s\n", time.Now().Format(time.TimeOnly), err, wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*cfg.RetryWait)
	}
}

// refusedError is an answer that reconnecting would not change (a bad
// token, a missing scope).
type refusedError struct{ msg string }

func (e *refusedError) Error() string { return e.msg }

// listener forwards one stream's events, remembering the last one seen.
type listener struct {
	cfg             listenConfig
	out             io.Writer
	stream, forward *http.Client
	lastID          string
}

// follow connects to the stream and forwards its events until it ends. It
// reports whether the connection was made.
func (l *listener) follow(ctx context.Context) (bool, error) {
	u := l.cfg.BaseURL + "/driftwood/v1/events/stream"
	if len(l.cfg.Types) > 0 {
		u += "?types=" + url.QueryEscape(strings.Join(l.cfg.Types, ","))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+l.cfg.Token)
	req.Header.Set("Accept", "text/event-stream")
	if l.lastID != "" {
		req.Header.Set("Last-Event-ID", l.lastID)
	}
	resp, err := l.stream.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		msg := fmt.Sprintf("GET %s: %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
		if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			return false, &refusedError{msg}
		}
		return false, errors.New(msg)
	}
	if l.lastID == "" {
		fmt.Fprintf(l.out, "Connected to %s; waiting for events (Ctrl-C to stop)\n", l.cfg.BaseURL)
	} else {
		fmt.Fprintf(l.out, "Reconnected to %s; resuming after event %s\n", l.cfg.BaseURL, l.lastID)
	}
	r := sse.NewReader(resp.Body)
	for {
		m, err := r.Next()
		if err != nil {
			return true, err
		}
		l.lastID = m.ID
		l.forwardOne(ctx, m)
	}
}

// forwardOne posts one stream message to the local URL and prints its line.
func (l *listener) forwardOne(ctx context.Context, m sse.Message) {
	start := time.Now()
	result := l.post(ctx, m.Data)
	fmt.Fprintf(l.out, "%s  %-32s  event %-8s  %s  %dms\n", start.Format(time.TimeOnly), m.Event, m.ID,
		result, time.Since(start).Milliseconds())
}

// post forwards an envelope as a delivery and describes the answer.
func (l *listener) post(ctx context.Context, data string) string {
	var env webhook.Envelope
	if err := json.Unmarshal([]byte(data), &env); err != nil {
		return "[not forwarded: the stream's data is not an event envelope]"
	}
	body, err := webhook.Body(events.Event{Type: env.Type, OrgID: env.OrgID, Data: env.Data, CreatedAt: env.TimeStamp}, l.cfg.VerificationToken)
	if err != nil {
		return "[not forwarded: " + err.Error() + "]"
	}
	req, err := webhook.NewRequest(ctx, l.cfg.ForwardTo, webhook.NewWebhookID(), l.cfg.VerificationToken,
		[]string{l.cfg.SigningSecret}, body, time.Now())
	if err != nil {
		return "[not forwarded: " + err.Error() + "]"
	}
	resp, err := l.forward.Do(req)
	if err != nil {
		return "[error: " + err.Error() + "]"
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, webhook.MaxResponseBytes))
	resp.Body.Close()
	return "[" + resp.Status + "]"
}
