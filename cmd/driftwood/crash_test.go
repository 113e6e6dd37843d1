package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// A write load runs through the API with a webhook subscriber while the
// server is killed (SIGKILL) three times and restarted on the same
// database: every write the client saw acknowledged is there afterwards and
// every event it caused reached the subscriber at least once. Then a
// SIGTERM with requests in flight fails none of them, and the server exits
// cleanly.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the server under load: runs without -short")
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		env := []string{"DRIFTWOOD_DB=" + b.DSN(t), "DRIFTWOOD_BOOTSTRAP_TOKEN=crash-token", "DRIFTWOOD_RATE_LIMIT=0",
			"DRIFTWOOD_WEBHOOK_TIMEOUT=1s", "DRIFTWOOD_WEBHOOK_RETRY_SCHEDULE=200ms,500ms,1s,1s,1s,1s,1s,1s,1s,1s"}
		if b.Name == "postgres" {
			env = append(env, "DRIFTWOOD_SECRET_KEY="+strings.Repeat("C", 43)+"=")
		}
		hooks := &firstRefused{tried: map[string]bool{}, seen: map[string]bool{}}
		rcv := apitest.NewReceiver(t, hooks.respond)

		s := startServer(t, env)
		var base atomic.Pointer[string]
		base.Store(&s.url)
		app := call(t, s, "crash-token", "POST", "/driftwood/v1/apps", map[string]any{"name": "Crash", "webhookUrl": rcv.URL,
			"events": []string{"new_conversation"}, "scopes": []string{"conversation_read"}})["data"].(map[string]any)
		call(t, s, "crash-token", "POST", fmt.Sprintf("/driftwood/v1/apps/%v/tokens", app["id"]), map[string]any{"scopes": []string{"conversation_read"}})

		// The load: new conversations, each acknowledged with its id.
		var mu sync.Mutex
		var acked []string
		ack := func(id string) {
			mu.Lock()
			acked = append(acked, id)
			mu.Unlock()
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		client := &http.Client{Timeout: 10 * time.Second}
		for w := range 4 {
			wg.Go(func() {
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					body := fmt.Sprintf(`{"email":"w%d-%d@crash.example","body":"write %d"}`, w, n, n)
					if id, err := postConversation(client, *base.Load(), body); err == nil {
						ack(id)
					}
					time.Sleep(20 * time.Millisecond) // a steady load, not a flood
				}
			})
		}
		for range 3 {
			apitest.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(acked) > 0 })
			time.Sleep(time.Second) // let writes and deliveries be in flight
			s.cmd.Process.Kill()
			s.cmd.Wait()
			s = startServer(t, env)
			base.Store(&s.url)
		}

		// SIGTERM under load, with 16 requests the server is reading.
		inflight := make([]*pending, 16)
		for i := range inflight {
			inflight[i] = startRequest(t, s.url, fmt.Sprintf(`{"email":"inflight-%d@crash.example","body":"in flight"}`, i))
		}
		s.cmd.Process.Signal(syscall.SIGTERM)
		for i, p := range inflight {
			id, err := p.finish()
			if err != nil {
				t.Errorf("in-flight request %d failed on SIGTERM: %v", i, err)
				continue
			}
			ack(id)
		}
		if err := s.cmd.Wait(); err != nil {
			t.Errorf("serve exited with %v after SIGTERM; stderr:\n%s", err, s.stderr)
		}
		close(stop)
		wg.Wait()

		// Every acknowledged write is there, and its event was delivered.
		s = startServer(t, env)
		for _, id := range acked {
			if code := get(t, s.url+"/conversations/"+id, "crash-token"); code != 200 {
				t.Errorf("acknowledged conversation %s: %d", id, code)
			}
		}
		var missing []string
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			missing = hooks.missing(acked)
			if len(missing) == 0 || time.Now().After(deadline) {
				break
			}
		}
		if len(missing) > 0 {
			t.Errorf("%d of %d acknowledged writes never reached the webhook, e.g. conversation %s", len(missing), len(acked), missing[0])
		}
		t.Logf("%d acknowledged writes through 3 kills and a SIGTERM; %d webhook attempts received", len(acked), len(rcv.Received()))
	})
}

// firstRefused answers the webhooks of a Receiver: it records the
// conversation ids of new_conversation webhooks. It takes 50 ms over each,
// so that deliveries are in flight when the server is killed, and refuses
// the first attempt of each, so that every delivery needs the retry a
// killed server must not lose.
type firstRefused struct {
	mu    sync.Mutex
	tried map[string]bool
	seen  map[string]bool
}

func (rc *firstRefused) respond(_ int, w http.ResponseWriter, r *http.Request) {
	var p struct {
		Type string `json:"type"`
		Data struct {
			ID json.Number `json:"id"`
		} `json:"data"`
	}
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil || p.Type != "new_conversation" {
		http.Error(w, "unexpected payload", http.StatusBadRequest)
		return
	}
	time.Sleep(50 * time.Millisecond)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if id := p.Data.ID.String(); !rc.tried[id] {
		rc.tried[id] = true
		http.Error(w, "try again", http.StatusServiceUnavailable)
	} else {
		rc.seen[id] = true
	}
}

func (rc *firstRefused) missing(ids []string) []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []string
	for _, id := range ids {
		if !rc.seen[id] {
			out = append(out, id)
		}
	}
	return out
}

// postConversation starts a conversation as a visitor; a nil error is the
// server's acknowledgement, with the conversation's id.
func postConversation(c *http.Client, base, body string) (string, error) {
	req, _ := http.NewRequest("POST", base+"/driftwood/v1/simulate/conversations", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer crash-token")
	req.Header.Set("Content-Type", "application/json")
	r, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer r.Body.Close()
	return conversationID(r)
}

func conversationID(r *http.Response) (string, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return "", err
	}
	var v struct {
		Data struct {
			ID json.Number `json:"id"`
		} `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if r.StatusCode != 200 || dec.Decode(&v) != nil || v.Data.ID == "" {
		return "", fmt.Errorf("%d %s", r.StatusCode, b)
	}
	return v.Data.ID.String(), nil
}

// pending is a request whose handler is waiting for its body.
type pending struct {
	c    net.Conn
	r    *bufio.Reader
	body string
}

// startRequest sends the headers of a conversation-starting request with
// "Expect: 100-continue" and returns once the handler asks for the body:
// the request is then in flight.
func startRequest(t *testing.T, base, body string) *pending {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "POST /driftwood/v1/simulate/conversations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer crash-token\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", len(body))
	p := &pending{c: c, r: bufio.NewReader(c), body: body}
	status, err := p.r.ReadString('\n')
	if err != nil || !strings.Contains(status, " 100 ") {
		t.Fatalf("waiting for 100 Continue: %q %v", status, err)
	}
	if blank, err := p.r.ReadString('\n'); err != nil || blank != "\r\n" {
		t.Fatalf("after 100 Continue: %q %v", blank, err)
	}
	return p
}

// finish sends the body and reads the answer.
func (p *pending) finish() (string, error) {
	if _, err := io.WriteString(p.c, p.body); err != nil {
		return "", err
	}
	r, err := http.ReadResponse(p.r, nil)
	if err != nil {
		return "", err
	}
	defer r.Body.Close()
	return conversationID(r)
}
