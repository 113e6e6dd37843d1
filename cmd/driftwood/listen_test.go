package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/integration"
	"github.com/driftwood-chat/driftwood/internal/sse"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// verifySignature checks a Standard Webhooks signature as a receiver would,
// from the specification rather than from Driftwood's code.
func verifySignature(t *testing.T, secret string, f apitest.Received) {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", f.Header.Get("webhook-id"), f.Header.Get("webhook-timestamp"), f.Body)
	if want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)); f.Header.Get("webhook-signature") != want {
		t.Fatalf("webhook-signature %q, want %q", f.Header.Get("webhook-signature"), want)
	}
}

// lines returns the lines written to the returned writer.
func lines(t *testing.T) (io.Writer, <-chan string) {
	t.Helper()
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	ch := make(chan string, 100)
	go func() {
		s := bufio.NewScanner(pr)
		for s.Scan() {
			ch <- s.Text()
		}
		close(ch)
	}()
	return pw, ch
}

// waitLine waits for a line containing all of want.
func waitLine(t *testing.T, ch <-chan string, want ...string) string {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l := <-ch:
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(l, w)
			}
			if ok {
				return l
			}
		case <-timeout:
			t.Fatalf("no output line with %q", want)
		}
	}
}

func TestListen(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		rc := apitest.NewReceiver(t, nil)
		secret := integration.NewSigningSecret()
		cfg := listenConfig{BaseURL: e.URL, Token: e.Token, ForwardTo: rc.URL, SigningSecret: secret,
			VerificationToken: "verify-me", Types: []string{"contact_updated", "user_unsubscribed"}, RetryWait: 50 * time.Millisecond}
		out, outLines := lines(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- listen(ctx, cfg, out, io.Discard) }()
		waitLine(t, outLines, "Connected")

		c := e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": "listen@example.com"}}, 200)
		id := c["data"].(map[string]any)["id"]
		e.Call(t, "PATCH", fmt.Sprintf("/contacts/%v", id), map[string]any{"attributes": map[string]any{"name": "L"}}, 200)
		e.Call(t, "POST", "/emails/unsubscribe", []string{"listen@example.com"}, 200)
		receive := func(want string) {
			t.Helper()
			f := rc.Next(t)
			verifySignature(t, secret, f)
			var env struct {
				Type  string `json:"type"`
				OrgID int64  `json:"orgId"`
				Token string `json:"token"`
			}
			if err := json.Unmarshal(f.Body, &env); err != nil {
				t.Fatal(err)
			}
			if env.Type != want || env.OrgID != e.OrgID || env.Token != "verify-me" || f.Header.Get("X-Verification-Token") != "verify-me" {
				t.Fatalf("forwarded %s with %v", f.Body, f.Header)
			}
			waitLine(t, outLines, want, "[200 OK]")
		}
		receive("contact_updated")
		receive("user_unsubscribed")

		// A dropped connection is resumed after the last event seen.
		e.Server.CloseClientConnections()
		waitLine(t, outLines, "Reconnected")
		e.Call(t, "PATCH", fmt.Sprintf("/contacts/%v", id), map[string]any{"attributes": map[string]any{"name": "M"}}, 200)
		receive("contact_updated")

		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("listen: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("listen did not stop when its context ended")
		}
		if got := rc.Received(); len(got) != 3 {
			t.Fatalf("%d events forwarded, want 3: one was forwarded twice or unasked", len(got))
		}
	})
}

func TestListen_Refused(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetest.Backends()[0])
	getenv := func(k string) string { return map[string]string{"DRIFTWOOD_URL": e.URL}[k] }
	err := run(context.Background(), []string{"listen", "--forward-to", "http://127.0.0.1:1/", "--token", "wrong"}, getenv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("a bad token: %v", err)
	}
	for _, args := range [][]string{
		{"listen", "--token", "t"},
		{"listen", "--forward-to", "not a url", "--token", "t"},
		{"listen", "--forward-to", "http://x/", "--token", "t", "--events", "bogus"},
		{"listen", "--forward-to", "http://x/", "--token", "t", "--signing-secret", "plain"},
		{"listen", "--forward-to", "http://x/"},
	} {
		if err := run(context.Background(), args, getenv, io.Discard, io.Discard); !isUsage(err) {
			t.Fatalf("%v: %v, want a usage error", args, err)
		}
	}
}

func isUsage(err error) bool { _, ok := err.(usageError); return ok }

// TestCLI_ShutdownEndsStreams checks that serve's graceful shutdown ends
// open event streams rather than waiting for them.
func TestCLI_ShutdownEndsStreams(t *testing.T) {
	s := startServer(t, []string{"DRIFTWOOD_DB=" + storetest.SQLiteDSN(t), "DRIFTWOOD_BOOTSTRAP_TOKEN=tok"})
	req, _ := http.NewRequest("GET", s.url+"/driftwood/v1/events/stream", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream: %v %v", resp, err)
	}
	defer resp.Body.Close()
	start := time.Now()
	s.cmd.Process.Signal(syscall.SIGTERM)
	if _, err := sse.NewReader(resp.Body).Next(); err != io.EOF {
		t.Fatalf("the stream did not end cleanly: %v", err)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("serve exited with %v after %s; stderr:\n%s", err, time.Since(start), s.stderr)
	}
}
