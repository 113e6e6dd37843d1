package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/sse"
)

// openStream opens the event stream with token and returns its messages;
// the channel closes when the stream ends.
func openStream(t *testing.T, e *apitest.Env, token, query, lastID string) <-chan sse.Message {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + token}}
	if lastID != "" {
		h.Set("Last-Event-ID", lastID)
	}
	return e.Stream(t, t.Context(), "/driftwood/v1/events/stream"+query, h)
}

// envelope decodes a stream message's data, checking its id and type.
func envelope(t *testing.T, m sse.Message, wantType string) map[string]any {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal([]byte(m.Data), &env); err != nil {
		t.Fatalf("data %q: %v", m.Data, err)
	}
	if m.Event != wantType || env["type"] != wantType {
		t.Fatalf("event %s (type %v), want %s", m.Event, env["type"], wantType)
	}
	if _, err := strconv.ParseInt(m.ID, 10, 64); err != nil {
		t.Fatalf("id %q", m.ID)
	}
	if _, ok := env["token"]; ok {
		t.Fatalf("the stream's envelope carries a token: %s", m.Data)
	}
	return env
}

func newContact(t *testing.T, e *apitest.Env, token, email string) int64 {
	t.Helper()
	r := e.Do(t, apitest.Request{Method: "POST", Path: "/contacts", Token: token,
		Body: map[string]any{"attributes": map[string]any{"email": email}}})
	if r.Status != 200 {
		t.Fatalf("create contact: %d %s", r.Status, r.Body)
	}
	var out struct{ Data struct{ ID int64 } }
	r.Decode(t, &out)
	return out.Data.ID
}

func patchContact(t *testing.T, e *apitest.Env, token string, id int64, name string) {
	t.Helper()
	r := e.Do(t, apitest.Request{Method: "PATCH", Path: fmt.Sprintf("/contacts/%d", id), Token: token,
		Body: map[string]any{"attributes": map[string]any{"name": name}}})
	if r.Status != 200 {
		t.Fatalf("patch contact: %d %s", r.Status, r.Body)
	}
}

func TestEventStream(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		live := openStream(t, e, e.Token, "?types=contact_updated,user_unsubscribed", "")
		id := newContact(t, e, e.Token, "stream@example.com")
		patchContact(t, e, e.Token, id, "Streamed")
		e.Call(t, "POST", "/emails/unsubscribe", []string{"stream@example.com"}, 200)

		m := apitest.NextMessage(t, live)
		env := envelope(t, m, "contact_updated")
		if env["orgId"] != float64(e.OrgID) || env["data"].(map[string]any)["endUserId"] != float64(id) {
			t.Fatalf("envelope %s", m.Data)
		}
		if want := strconv.FormatInt(e.LastEventID(t, e.OrgID)-1, 10); m.ID != want {
			t.Fatalf("id %s, want the outbox id %s", m.ID, want)
		}
		unsub := apitest.NextMessage(t, live)
		envelope(t, unsub, "user_unsubscribed")

		// Resuming after the contact_updated event, filtered.
		resumed := openStream(t, e, e.Token, "?types=user_unsubscribed", "0")
		if got := apitest.NextMessage(t, resumed); got.ID != unsub.ID {
			t.Fatalf("resumed at %s, want %s", got.ID, unsub.ID)
		}
		again := openStream(t, e, e.Token, "", m.ID)
		if got := apitest.NextMessage(t, again); got.ID != unsub.ID {
			t.Fatalf("after Last-Event-ID %s came %s, want %s", m.ID, got.ID, unsub.ID)
		}

		// Another org's stream shows only its own events.
		_, other := e.NewOrg(t, "other")
		theirs := openStream(t, e, other, "", "0")
		patchContact(t, e, other, newContact(t, e, other, "theirs@example.com"), "Theirs")
		if env := envelope(t, apitest.NextMessage(t, theirs), "contact_updated"); env["orgId"] == float64(e.OrgID) {
			t.Fatalf("another org's stream shows %s", env)
		}

		// The server ending streams (shutdown) ends them cleanly.
		e.App.API.EndStreams()
		for range live {
		}
	})
}

func TestEventStream_BadInput(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		_, reader := e.NewOrg(t, "reader", auth.ContactRead)
		for _, c := range []struct {
			name, query, lastID, token string
			status                     int
			typ                        string
		}{
			{"unknown type", "?types=new_message,bogus", "", e.Token, 400, "validation_error"},
			{"bad Last-Event-ID", "", "abc", e.Token, 400, "validation_error"},
			{"negative Last-Event-ID", "", "-1", e.Token, 400, "validation_error"},
			{"no token", "", "", "", 401, "authentication_error"},
			{"no admin scope", "", "", reader, 403, "insufficient_scope"},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := e.Do(t, apitest.Request{Method: "GET", Path: "/driftwood/v1/events/stream" + c.query, Token: c.token,
					Header: map[string]string{"Last-Event-ID": c.lastID}})
				apitest.WantError(t, r, c.status, c.typ)
			})
		}
	})
}

// TestEventStream_ClientGone checks that the handler returns when the
// client goes away, holding no goroutine.
func TestEventStream_ClientGone(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetestSQLite())
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequestWithContext(ctx, "GET", "/driftwood/v1/events/stream", nil)
	req.Header.Set("Authorization", "Bearer "+e.Token)
	rec := &startedRecorder{httptest.NewRecorder(), make(chan struct{})}
	done := make(chan struct{})
	go func() {
		e.App.API.ServeHTTP(rec, req)
		close(done)
	}()
	select { // the stream is open before the client leaves
	case <-rec.started:
	case <-done:
	}
	patchContact(t, e, e.Token, newContact(t, e, e.Token, "gone@example.com"), "Gone")
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the stream handler did not return after the client left")
	}
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/event-stream" {
		t.Fatalf("answer %d %s %s", rec.Code, rec.Header(), rec.Body)
	}
}

// startedRecorder is a ResponseRecorder that says when the answer's
// headers have been flushed.
type startedRecorder struct {
	*httptest.ResponseRecorder
	started chan struct{}
}

func (r *startedRecorder) Flush() {
	select {
	case <-r.started:
	default:
		close(r.started)
	}
	r.ResponseRecorder.Flush()
}

// TestEventStream_OutlivesServerTimeouts checks that a stream keeps going
// past the server's ReadTimeout and WriteTimeout.
func TestEventStream_OutlivesServerTimeouts(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetestSQLite())
	srv := httptest.NewUnstartedServer(e.App.API)
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = 100*time.Millisecond, 100*time.Millisecond
	srv.Start()
	defer srv.Close()
	defer e.App.API.EndStreams()
	short := *e
	short.URL, short.Server = srv.URL, srv
	ch := openStream(t, &short, e.Token, "", "")
	time.Sleep(300 * time.Millisecond) // past both timeouts
	patchContact(t, e, e.Token, newContact(t, e, e.Token, "late@example.com"), "Late")
	envelope(t, apitest.NextMessage(t, ch), "contact_updated")
}
