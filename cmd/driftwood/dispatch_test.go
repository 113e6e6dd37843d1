package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/secrets"
	"github.com/driftwood-chat/driftwood/internal/store/postgres"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// dispatchFlags make retries and leases short enough for a test, and lift
// the per-token rate limit, which the test's load (600 requests as fast as
// the server answers) would otherwise meet on a fast machine.
var dispatchFlags = []string{"--webhook-timeout", "2s", "--webhook-retry-schedule", "200ms,500ms,1s,2s", "--rate-limit", "0"}

func call(t *testing.T, s *server, token, method, path string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.url+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	var m map[string]any
	json.Unmarshal(raw, &m)
	return m
}

// TestDispatch_TwoProcessesKill9 runs two driftwood serve processes on one
// PostgreSQL database, kills one with SIGKILL in the middle of a load, and
// checks that every event reached the receiver and that nothing was sent
// twice except what the killed process had in flight: an attempt whose 200
// it never got to record (at-least-once cannot do better than that).
func TestDispatch_TwoProcessesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the server under load: runs without -short")
	}
	dsn := storetest.PostgresDSN(t)

	var mu sync.Mutex
	got := map[string]int{} // webhook-id → requests
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(10 * time.Millisecond) // keep attempts in flight
		mu.Lock()
		got[r.Header.Get("webhook-id")]++
		mu.Unlock()
	}))
	defer rc.Close()

	token := secrets.RandomToken("test_")
	env := []string{"DRIFTWOOD_DB=" + dsn, "DRIFTWOOD_SECRET_KEY=" + secrets.Generate().String(),
		"DRIFTWOOD_BOOTSTRAP_TOKEN=" + token, "DRIFTWOOD_LOG_LEVEL=warn"}
	a := startServer(t, env, dispatchFlags...)
	b := startServer(t, env, dispatchFlags...)

	app := call(t, a, token, "POST", "/driftwood/v1/apps", map[string]any{
		"name": "load", "webhookUrl": rc.URL, "events": []string{"contact_updated"}, "scopes": []string{"all_contact_read"},
	})["data"].(map[string]any)
	call(t, a, token, "POST", fmt.Sprintf("/driftwood/v1/apps/%v/tokens", app["id"]), nil)

	const n = 300
	for i := range n {
		s := []*server{a, b}[i%2]
		if i >= n/2 {
			s = b
		}
		if i == n/2 {
			a.cmd.Process.Signal(syscall.SIGKILL)
			a.cmd.Wait()
		}
		c := call(t, s, token, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": fmt.Sprintf("c%d@example.com", i)}})
		id := c["data"].(map[string]any)["id"]
		call(t, s, token, "PATCH", fmt.Sprintf("/contacts/%v", id), map[string]any{"attributes": map[string]any{"name": "n"}})
	}

	conn, err := postgres.ConnDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", conn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var pending, succeeded int
		err := db.QueryRow(`SELECT COUNT(*) FILTER (WHERE status = 'pending'), COUNT(*) FILTER (WHERE status = 'succeeded')
			FROM deliveries`).Scan(&pending, &succeeded)
		if err != nil {
			t.Fatal(err)
		}
		if pending == 0 && succeeded == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s: %d pending, %d succeeded of %d\n%s", pending, succeeded, n, b.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}

	rows, err := db.Query(`SELECT d.webhook_id, COUNT(a.id) FROM deliveries d
		LEFT JOIN delivery_attempts a ON a.delivery_id = d.id GROUP BY d.webhook_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	mu.Lock()
	defer mu.Unlock()
	unrecorded := 0
	for rows.Next() {
		var id string
		var recorded int
		if err := rows.Scan(&id, &recorded); err != nil {
			t.Fatal(err)
		}
		switch extra := got[id] - recorded; {
		case got[id] == 0:
			t.Errorf("%s was never received", id)
		case recorded != 1:
			t.Errorf("%s: %d attempts recorded against a receiver that always answers 200", id, recorded)
		case extra == 1:
			unrecorded++ // the killed process sent it and died before recording
		case extra != 0:
			t.Errorf("%s received %d times, %d attempts recorded", id, got[id], recorded)
		}
	}
	if len(got) != n {
		t.Errorf("the receiver got %d distinct webhooks, want %d", len(got), n)
	}
	if unrecorded > 16 { // the killed dispatcher's concurrency
		t.Errorf("%d deliveries sent twice, more than the killed process can have had in flight", unrecorded)
	}
	t.Logf("%d deliveries; %d resent after the kill", n, unrecorded)

	b.cmd.Process.Signal(syscall.SIGTERM)
	if err := b.cmd.Wait(); err != nil {
		t.Errorf("graceful shutdown: %v\n%s", err, b.stderr)
	}
}
