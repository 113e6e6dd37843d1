package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/config"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/integration"
	"github.com/driftwood-chat/driftwood/internal/store"
)

// ok answers 200.
func ok(int, http.ResponseWriter, *http.Request) {}

// newApp registers an app of e's org with webhookURL and events, installs
// it with installScopes (all of the app's when none), and returns the app.
func newApp(t *testing.T, e *apitest.Env, webhookURL string, evs []string, installScopes ...string) map[string]any {
	t.Helper()
	app := e.Call(t, "POST", "/driftwood/v1/apps", map[string]any{
		"name": "Test app", "webhookUrl": webhookURL, "events": evs,
		"scopes": []string{"all_contact_read", "conversation_read", "user_read"},
	}, 200)["data"].(map[string]any)
	body := map[string]any{}
	if len(installScopes) > 0 {
		body["scopes"] = installScopes
	}
	e.Call(t, "POST", fmt.Sprintf("/driftwood/v1/apps/%v/tokens", app["id"]), body, 200)
	return app
}

// updateContact creates a contact and changes it, firing contact_updated.
func updateContact(t *testing.T, e *apitest.Env, email string) int64 {
	t.Helper()
	c := e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": email}}, 200)
	id, _ := c["data"].(map[string]any)["id"].(json.Number).Int64()
	e.Call(t, "PATCH", fmt.Sprintf("/contacts/%d", id), map[string]any{"attributes": map[string]any{"name": "Renamed"}}, 200)
	return id
}

// appendEvent writes an event to the outbox as a handler would, for event
// types whose source (conversations) is not part of this test.
func appendEvent(t *testing.T, e *apitest.Env, typ events.Type, payload any) {
	t.Helper()
	err := e.App.DB.Transact(context.Background(), func(ctx context.Context, tx *store.Tx) error {
		return tx.AppendEvent(context.Background(), events.New(e.OrgID, typ, payload))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// verify checks the Standard Webhooks signature the way a receiver would,
// written from the specification rather than from Driftwood's code.
func verify(t *testing.T, secret string, got apitest.Received) {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatalf("signing secret %q: %v", secret, err)
	}
	id, ts := got.Header.Get("webhook-id"), got.Header.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		t.Fatalf("webhook-timestamp %q is not a recent unix time", ts)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(got.Body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !slices.Contains(strings.Fields(got.Header.Get("webhook-signature")), want) {
		t.Fatalf("webhook-signature %q, want %q", got.Header.Get("webhook-signature"), want)
	}
}

// envelope decodes a delivery body, failing unless it has exactly Drift's keys.
func envelope(t *testing.T, got apitest.Received) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(got.Body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("body is not JSON: %s", got.Body)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
	if !slices.Equal(keys, []string{"data", "orgId", "timeStamp", "token", "type"}) {
		t.Fatalf("envelope keys %v, want data, orgId, timeStamp, token, type: %s", keys, got.Body)
	}
	if ts, err := m["timeStamp"].(json.Number).Int64(); err != nil || ts < 1e12 {
		t.Fatalf("timeStamp %v is not epoch milliseconds: %s", m["timeStamp"], got.Body)
	}
	return m
}

// deliveries reads the delivery log with query q.
func deliveries(t *testing.T, e *apitest.Env, q string) []any {
	t.Helper()
	return e.Call(t, "GET", "/driftwood/v1/deliveries"+q, nil, 200)["data"].([]any)
}

// waitDelivery polls the delivery log until delivery id satisfies cond.
func waitDelivery(t *testing.T, e *apitest.Env, id any, cond func(d map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		d := e.Call(t, "GET", fmt.Sprintf("/driftwood/v1/deliveries/%v", id), nil, 200)["data"].(map[string]any)
		if cond(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %v never reached the wanted state: %v", id, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func settled(d map[string]any) bool { return d["status"] != "pending" }

// onlyDelivery returns the one delivery of the org's log.
func onlyDelivery(t *testing.T, e *apitest.Env) map[string]any {
	t.Helper()
	ds := deliveries(t, e, "")
	if len(ds) != 1 {
		t.Fatalf("%d deliveries, want 1: %v", len(ds), ds)
	}
	return ds[0].(map[string]any)
}

func attempts(d map[string]any) []map[string]any {
	var out []map[string]any
	for _, a := range d["attempts"].([]any) {
		out = append(out, a.(map[string]any))
	}
	return out
}

func outcomes(d map[string]any) []string {
	var out []string
	for _, a := range attempts(d) {
		out = append(out, a["outcome"].(string))
	}
	return out
}

func TestDelivery_DriftShapeAndSignature(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		rc := apitest.NewReceiver(t, ok)
		app := newApp(t, e, rc.URL, []string{"new_message", "contact_updated"})
		contactID := updateContact(t, e, "shape@example.com")

		got := rc.Next(t)
		env := envelope(t, got)
		if env["type"] != "contact_updated" || env["orgId"] != json.Number(strconv.FormatInt(e.OrgID, 10)) || env["token"] != app["verificationToken"] {
			t.Fatalf("envelope %v", env)
		}
		if got.Header.Get("X-Verification-Token") != app["verificationToken"] {
			t.Fatalf("X-Verification-Token %q", got.Header.Get("X-Verification-Token"))
		}
		if ct := got.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
		verify(t, app["signingSecret"].(string), got)
		data := env["data"].(map[string]any)
		if data["endUserId"] != json.Number(strconv.FormatInt(contactID, 10)) || data["orgId"] != env["orgId"] || data["timestamp"] == nil {
			t.Fatalf("contact_updated data %v", data)
		}
		diff := data["diff"].([]any)
		if len(diff) == 0 {
			t.Fatalf("empty diff: %v", data)
		}
		change := diff[0].(map[string]any)
		if change["name"] != "attributes.name" || change["updated"] != "Renamed" {
			t.Fatalf("diff %v", diff)
		}

		message := map[string]any{"id": 77, "orgId": e.OrgID, "conversationId": 5, "body": "<p>Hi</p>",
			"author": map[string]any{"id": 9, "type": "contact", "bot": false}, "type": "chat", "createdAt": 1700000000000}
		appendEvent(t, e, events.NewMessage, message)
		got = rc.Next(t)
		env = envelope(t, got)
		verify(t, app["signingSecret"].(string), got)
		want, _ := json.Marshal(message)
		gotData, _ := json.Marshal(env["data"])
		if env["type"] != "new_message" || !jsonEqual(t, want, gotData) {
			t.Fatalf("new_message envelope %s", got.Body)
		}
	})
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

func TestDelivery_InstallationScopesFilterEvents(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		rc := apitest.NewReceiver(t, ok)
		// Installed without all_contact_read: contact_updated must not go out.
		newApp(t, e, rc.URL, []string{"new_message", "contact_updated"}, "conversation_read")
		updateContact(t, e, "scoped@example.com")
		appendEvent(t, e, events.NewMessage, map[string]any{"id": 1})
		if got := envelope(t, rc.Next(t)); got["type"] != "new_message" {
			t.Fatalf("first delivery %v, want new_message", got["type"])
		}
		// Events fan out in order, so contact_updated was judged before.
		if ds := deliveries(t, e, "?event=contact_updated"); len(ds) != 0 {
			t.Fatalf("contact_updated delivered without its scope: %v", ds)
		}
	})
}

func TestDelivery_RetriesKeepWebhookID(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		rc := apitest.NewReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if n <= 2 {
				http.Error(w, "down for maintenance", http.StatusInternalServerError)
			}
		})
		app := newApp(t, e, rc.URL, []string{"contact_updated"})
		updateContact(t, e, "retry@example.com")
		first, second, third := rc.Next(t), rc.Next(t), rc.Next(t)
		id := first.Header.Get("webhook-id")
		if !strings.HasPrefix(id, "msg_") || second.Header.Get("webhook-id") != id || third.Header.Get("webhook-id") != id {
			t.Fatalf("webhook-ids %q %q %q differ", id, second.Header.Get("webhook-id"), third.Header.Get("webhook-id"))
		}
		for _, got := range []apitest.Received{first, second, third} {
			verify(t, app["signingSecret"].(string), got)
		}
		d := waitDelivery(t, e, onlyDelivery(t, e)["id"], settled)
		if d["status"] != "succeeded" || !slices.Equal(outcomes(d), []string{"retry", "retry", "succeeded"}) {
			t.Fatalf("delivery %v", d)
		}
		a := attempts(d)[0]
		if a["statusCode"] != json.Number("500") || !strings.Contains(a["response"].(string), "down for maintenance") {
			t.Fatalf("first attempt %v", a)
		}
		if d["webhookId"] != id || d["attemptCount"] != json.Number("3") {
			t.Fatalf("delivery %v", d)
		}
	})
}

func TestDelivery_RetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		rc := apitest.NewReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
			}
		})
		newApp(t, e, rc.URL, []string{"contact_updated"})
		updateContact(t, e, "later@example.com")
		first, second := rc.Next(t), rc.Next(t)
		if gap := second.At.Sub(first.At); gap < time.Second {
			t.Fatalf("retried after %s despite Retry-After: 1", gap)
		}
	})
}

// TestDelivery_Faults gives each kind of bad receiver or URL its recorded
// outcome, within the attempt timeout.
func TestDelivery_Faults(t *testing.T) {
	t.Parallel()
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	cases := []struct {
		name     string
		respond  func(n int, w http.ResponseWriter, r *http.Request)
		url      string // instead of the receiver's
		private  bool   // refuse private addresses
		outcome  string // of the first attempt
		status   string // of the delivery once settled, "" while it retries
		errorHas string
		check    func(t *testing.T, e *apitest.Env, app, d map[string]any)
	}{
		{name: "hangs", outcome: "retry", errorHas: "timeout",
			respond: func(n int, w http.ResponseWriter, r *http.Request) {
				select {
				case <-hang:
				case <-r.Context().Done():
				}
			}},
		{name: "answers 500", outcome: "retry", respond: func(n int, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
		}},
		{name: "resets the connection", outcome: "retry", errorHas: "EOF",
			respond: func(n int, w http.ResponseWriter, r *http.Request) {
				conn, _, _ := w.(http.Hijacker).Hijack()
				conn.Close()
			}},
		{name: "trickles its answer", outcome: "retry", errorHas: "timeout",
			respond: func(n int, w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
				for range 100 {
					if _, err := w.Write([]byte("x")); err != nil {
						return
					}
					w.(http.Flusher).Flush()
					time.Sleep(100 * time.Millisecond)
				}
			}},
		{name: "sends a huge body", outcome: "succeeded", status: "succeeded",
			respond: func(n int, w http.ResponseWriter, r *http.Request) {
				chunk := bytes.Repeat([]byte("y"), 64<<10)
				for range 1024 { // 64 MiB unless the sender hangs up
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			},
			check: func(t *testing.T, e *apitest.Env, app, d map[string]any) {
				if n := len(attempts(d)[0]["response"].(string)); n != 4096 {
					t.Fatalf("kept %d bytes of the answer, want 4096", n)
				}
			}},
		{name: "answers 400", outcome: "failed", status: "failed", respond: func(n int, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
		}},
		{name: "answers 410", outcome: "disabled", status: "failed",
			respond: func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) },
			check: func(t *testing.T, e *apitest.Env, app, d map[string]any) {
				got := e.Call(t, "GET", fmt.Sprintf("/driftwood/v1/apps/%v", app["id"]), nil, 200)["data"].(map[string]any)
				if got["webhookDisabledAt"] == nil {
					t.Fatalf("app not disabled after 410: %v", got)
				}
				// A second app's delivery shows the next event was fanned out,
				// and none of it went to the disabled endpoint.
				other := apitest.NewReceiver(t, ok)
				newApp(t, e, other.URL, []string{"contact_updated"})
				updateContact(t, e, "after410@example.com")
				other.Next(t)
				if ds := deliveries(t, e, fmt.Sprintf("?app=%v", app["id"])); len(ds) != 1 {
					t.Fatalf("%d deliveries to an endpoint disabled after the first", len(ds))
				}
			}},
		{name: "redirects", outcome: "failed", status: "failed",
			respond: func(n int, w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
			}},
		{name: "private address refused", private: true, outcome: "retry", errorHas: "loopback",
			respond: func(n int, w http.ResponseWriter, r *http.Request) { t.Error("a refused address was reached") }},
		{name: "URL is not http", url: "ftp://example.com/hook", outcome: "retry", errorHas: "http"},
		{name: "URL is malformed", url: "http://[::1", outcome: "retry", errorHas: "URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := []apitest.Option{apitest.WithConfig(func(c *config.Config) {
				c.WebhookTimeout = 500 * time.Millisecond
				c.WebhookRetry = []time.Duration{time.Hour} // the second attempt is not part of the test
				c.WebhookAllowPrivate = !tc.private
			})}
			apitest.Each(t, func(t *testing.T, e *apitest.Env) {
				rc := apitest.NewReceiver(t, tc.respond)
				app := newApp(t, e, rc.URL, []string{"contact_updated"})
				if tc.url != "" { // a URL the API refuses, as if stored before a rule existed
					_, err := e.App.DB.UpdateApp(context.Background(), e.OrgID, jsonID(app["id"]), func(a *integration.App) error {
						a.WebhookURL = tc.url
						return nil
					})
					if err != nil {
						t.Fatal(err)
					}
				}
				updateContact(t, e, "fault@example.com")
				d := waitDelivery(t, e, waitFirstDelivery(t, e), func(d map[string]any) bool {
					return len(d["attempts"].([]any)) > 0
				})
				a := attempts(d)[0]
				if a["outcome"] != tc.outcome || !strings.Contains(fmt.Sprint(a["error"]), tc.errorHas) {
					t.Fatalf("attempt %v, want outcome %s and an error with %q", a, tc.outcome, tc.errorHas)
				}
				want := tc.status
				if want == "" {
					want = "pending"
				}
				if d["status"] != want {
					t.Fatalf("delivery status %v, want %s", d["status"], want)
				}
				if tc.check != nil {
					tc.check(t, e, app, d)
				}
			}, opts...)
		})
	}
}

func jsonID(v any) int64 {
	n, _ := v.(json.Number).Int64()
	return n
}

// waitFirstDelivery waits until the org's first delivery exists.
func waitFirstDelivery(t *testing.T, e *apitest.Env) any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if ds := deliveries(t, e, ""); len(ds) > 0 {
			return ds[len(ds)-1].(map[string]any)["id"]
		}
		if time.Now().After(deadline) {
			t.Fatal("no delivery was created")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDeliveryLog_FilterPageRetry(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		rc := apitest.NewReceiver(t, ok)
		app := newApp(t, e, rc.URL, []string{"contact_updated", "user_unsubscribed"})
		updateContact(t, e, "log1@example.com")
		updateContact(t, e, "log2@example.com")
		e.Call(t, "POST", "/emails/unsubscribe", []string{"log1@example.com"}, 200)
		for range 3 {
			rc.Next(t)
		}
		all := deliveries(t, e, "")
		if len(all) != 3 || all[0].(map[string]any)["eventType"] != "user_unsubscribed" {
			t.Fatalf("log %v", all)
		}
		for _, d := range all {
			waitDelivery(t, e, d.(map[string]any)["id"], settled)
		}
		if ds := deliveries(t, e, "?event=contact_updated&status=succeeded"); len(ds) != 2 {
			t.Fatalf("filtered %v", ds)
		}
		if ds := deliveries(t, e, fmt.Sprintf("?app=%v&status=failed", app["id"])); len(ds) != 0 {
			t.Fatalf("filtered %v", ds)
		}
		page := e.Call(t, "GET", "/driftwood/v1/deliveries?limit=2", nil, 200)
		p := page["pagination"].(map[string]any)
		if len(page["data"].([]any)) != 2 || p["more"] != true {
			t.Fatalf("page 1 %v", page)
		}
		page = e.Call(t, "GET", "/driftwood/v1/deliveries?limit=2&next="+p["next"].(string), nil, 200)
		if d := page["data"].([]any); len(d) != 1 || d[0].(map[string]any)["id"] != all[2].(map[string]any)["id"] ||
			page["pagination"].(map[string]any)["more"] != false {
			t.Fatalf("page 2 %v", page)
		}

		// A replay keeps the webhook-id and adds an attempt.
		first := all[2].(map[string]any)
		e.Call(t, "POST", fmt.Sprintf("/driftwood/v1/deliveries/%v/retry", first["id"]), nil, 200)
		if got := rc.Next(t); got.Header.Get("webhook-id") != first["webhookId"] {
			t.Fatalf("replayed with webhook-id %q, want %v", got.Header.Get("webhook-id"), first["webhookId"])
		}
		d := waitDelivery(t, e, first["id"], func(d map[string]any) bool { return len(attempts(d)) == 2 && settled(d) })
		if !slices.Equal(outcomes(d), []string{"succeeded", "succeeded"}) {
			t.Fatalf("replayed delivery %v", d)
		}

		_, other := e.NewOrg(t, "Other")
		for _, req := range []apitest.Request{
			{Method: "GET", Path: fmt.Sprintf("/driftwood/v1/deliveries/%v", first["id"])},
			{Method: "POST", Path: fmt.Sprintf("/driftwood/v1/deliveries/%v/retry", first["id"])},
			{Method: "GET", Path: "/driftwood/v1/deliveries/424242"},
		} {
			req.Token = other
			apitest.WantError(t, e.Do(t, req), 404, "not_found")
		}
		r := e.Do(t, apitest.Request{Method: "GET", Path: "/driftwood/v1/deliveries", Token: other})
		if len(r.Object(t)["data"].([]any)) != 0 {
			t.Fatalf("another org sees the log: %s", r.Body)
		}
		for _, q := range []string{"?status=lost", "?event=email_captured", "?app=x", "?limit=0", "?limit=101", "?next=-1"} {
			apitest.WantError(t, e.Do(t, apitest.Request{Method: "GET", Path: "/driftwood/v1/deliveries" + q, Token: e.Token}),
				400, "validation_error")
		}
	})
}

func TestDelivery_RotationTakesEffect(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		rc := apitest.NewReceiver(t, ok)
		app := newApp(t, e, rc.URL, []string{"contact_updated"})
		rotated := e.Call(t, "POST", fmt.Sprintf("/driftwood/v1/apps/%v/rotate", app["id"]), nil, 200)["data"].(map[string]any)
		updateContact(t, e, "rotated@example.com")
		got := rc.Next(t)
		verify(t, rotated["signingSecret"].(string), got)
		if env := envelope(t, got); env["token"] != rotated["verificationToken"] || env["token"] == app["verificationToken"] {
			t.Fatalf("token %v after rotation", env["token"])
		}
	})
}

func TestMetrics_Deliveries(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		rc := apitest.NewReceiver(t, ok)
		newApp(t, e, rc.URL, []string{"contact_updated"})
		updateContact(t, e, "metrics@example.com")
		waitDelivery(t, e, waitFirstDelivery(t, e), settled)
		body := string(e.Do(t, apitest.Request{Method: "GET", Path: "/metrics"}).Body)
		for _, want := range []string{`driftwood_webhook_deliveries_total{outcome="succeeded"} 1`,
			"driftwood_webhook_oldest_pending_seconds 0", "driftwood_webhook_attempt_duration_seconds_count 1"} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
	})
}

// TestDelivery_SigningRotationGrace checks that for a day after a rotation
// deliveries carry signatures with the new and the previous secret, and
// then with the new one only.
func TestDelivery_SigningRotationGrace(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		rc := apitest.NewReceiver(t, ok)
		app := newApp(t, e, rc.URL, []string{"contact_updated"})
		path := fmt.Sprintf("/driftwood/v1/apps/%v", app["id"])
		rotated := e.Call(t, "POST", path+"/rotate", map[string]any{"signingSecret": true}, 200)["data"].(map[string]any)

		updateContact(t, e, "grace@example.com")
		got := rc.Next(t)
		if n := len(strings.Fields(got.Header.Get("webhook-signature"))); n != 2 {
			t.Fatalf("%d signatures during the grace period, want 2: %q", n, got.Header.Get("webhook-signature"))
		}
		verify(t, rotated["signingSecret"].(string), got)
		verify(t, app["signingSecret"].(string), got)

		id, _ := app["id"].(json.Number).Int64()
		if _, err := e.App.DB.UpdateApp(context.Background(), e.OrgID, id, func(a *integration.App) error {
			a.Sealed.SigningRotatedAt -= integration.SigningGrace.Milliseconds()
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		updateContact(t, e, "after@example.com")
		got = rc.Next(t)
		if sigs := strings.Fields(got.Header.Get("webhook-signature")); len(sigs) != 1 {
			t.Fatalf("signatures after the grace period: %q", sigs)
		}
		verify(t, rotated["signingSecret"].(string), got)
	})
}
