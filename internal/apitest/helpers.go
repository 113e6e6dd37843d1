package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/events"
)

// Eventually polls cond until it holds, for work the server finishes after
// answering (audit batches, webhook deliveries). The 20 s limit only guards
// against a hang; it is no assertion on speed.
func Eventually(t testing.TB, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 20s")
		}
	}
}

// Payload decodes the data of ev.
func Payload[T any](t testing.TB, ev events.Event) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(ev.Data, &v); err != nil {
		t.Fatalf("%s payload %s: %v", ev.Type, ev.Data, err)
	}
	return v
}

// NewAgent creates an agent of orgID through the admin API (POST
// /driftwood/v1/users), checking that it fires no event, and returns its id.
func (e *Env) NewAgent(t testing.TB, orgID int64, name, email string) int64 {
	t.Helper()
	token := e.Token
	if orgID != e.OrgID {
		token = e.NewToken(t, orgID, auth.Admin)
	}
	r := Scenario{Method: "POST", Path: "/driftwood/v1/users", Token: token, EventsOrg: orgID,
		Body: map[string]any{"name": name, "email": email, "role": "agent"}, Status: http.StatusCreated}.Run(t, e)
	var u struct {
		Data struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}
	r.Decode(t, &u)
	if u.Data.ID == 0 {
		t.Fatalf("new agent without an id: %s", r.Body)
	}
	return u.Data.ID
}

// Received is one request a Receiver got.
type Received struct {
	Header http.Header
	Body   []byte
	At     time.Time
}

// Receiver is a webhook receiver: a real HTTP server on loopback that
// records every request and answers it with its respond function.
type Receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []Received
	ch      chan Received
	respond func(n int, w http.ResponseWriter, r *http.Request)
}

// NewReceiver starts a receiver until the test ends. respond answers the
// nth request (n counts from 1); nil answers 200 to all.
func NewReceiver(t testing.TB, respond func(n int, w http.ResponseWriter, r *http.Request)) *Receiver {
	t.Helper()
	rc := &Receiver{ch: make(chan Received, 1000), respond: respond}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got := Received{Header: r.Header.Clone(), Body: body, At: time.Now()}
		rc.mu.Lock()
		rc.got = append(rc.got, got)
		n := len(rc.got)
		rc.mu.Unlock()
		select {
		case rc.ch <- got:
		default: // nobody reads Next: Received still has it
		}
		if rc.respond != nil {
			r.Body = io.NopCloser(bytes.NewReader(body)) // for respond to read again
			rc.respond(n, w, r)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

// Next waits for the next request; the deadline only guards against a hang.
func (rc *Receiver) Next(t testing.TB) Received {
	t.Helper()
	select {
	case got := <-rc.ch:
		return got
	case <-time.After(20 * time.Second):
		t.Fatal("no webhook arrived")
	}
	return Received{}
}

// Received returns every request so far, in order.
func (rc *Receiver) Received() []Received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Received(nil), rc.got...)
}
