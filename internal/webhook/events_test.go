package webhook_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
)

// TestDelivery_TimeStampAndEndUserID: a real new_message carries the
// envelope's timeStamp (epoch ms of the event) and the conversation's
// contact as data.endUserId, beside the message's documented fields.
func TestDelivery_TimeStampAndEndUserID(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		rc := apitest.NewReceiver(t, ok)
		newApp(t, e, rc.URL, []string{"new_message"})
		before := time.Now().UnixMilli()
		conv := e.Call(t, "POST", "/conversations/new", map[string]any{"email": "stamp@example.com",
			"message": map[string]any{"body": "Hello"}}, 200)
		after := time.Now().UnixMilli()
		env := envelope(t, rc.Next(t))
		ts, _ := env["timeStamp"].(json.Number).Int64()
		if env["type"] != "new_message" || ts < before || ts > after {
			t.Fatalf("timeStamp %d outside [%d, %d]: %v", ts, before, after, env)
		}
		data := env["data"].(map[string]any)
		if data["endUserId"] != conv["contactId"] || data["conversationId"] != conv["id"] || data["body"] != "Hello" ||
			data["author"].(map[string]any)["type"] != "contact" {
			t.Fatalf("new_message data %v, conversation %v", data, conv)
		}
	})
}

// TestDelivery_OlderEventName: an app subscribed to user_unsubscribe
// (Drift's older name) receives user_unsubscribed events under that name;
// one subscribed to both receives each event once, under the current name.
func TestDelivery_OlderEventName(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		older, both := apitest.NewReceiver(t, ok), apitest.NewReceiver(t, ok)
		app := newApp(t, e, older.URL, []string{"user_unsubscribe"})
		if evs := app["events"].([]any); len(evs) != 1 || evs[0] != "user_unsubscribe" {
			t.Fatalf("app events %v", evs)
		}
		newApp(t, e, both.URL, []string{"user_unsubscribe", "user_unsubscribed"})
		c := e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": "old@example.com"}}, 200)
		e.Call(t, "POST", "/emails/unsubscribe", []string{"old@example.com"}, 200)
		env := envelope(t, older.Next(t))
		if env["type"] != "user_unsubscribe" || env["data"].(map[string]any)["id"] != c["data"].(map[string]any)["id"] {
			t.Fatalf("envelope %v", env)
		}
		if env := envelope(t, both.Next(t)); env["type"] != "user_unsubscribed" {
			t.Fatalf("envelope %v", env)
		}
		for _, d := range deliveries(t, e, "") {
			waitDelivery(t, e, d.(map[string]any)["id"], settled)
		}
		if n := len(deliveries(t, e, "?event=user_unsubscribe")); n != 1 {
			t.Fatalf("%d deliveries as user_unsubscribe, want 1", n)
		}
		if n := len(deliveries(t, e, "")); n != 2 {
			t.Fatalf("%d deliveries, want 2 (one per app)", n)
		}
		// The older name needs the same scope as the current one.
		r := e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/apps", Token: e.Token, Body: map[string]any{
			"name": "No scope", "webhookUrl": older.URL, "events": []string{"user_unsubscribe"}, "scopes": []string{"contact_read"}}})
		apitest.WantError(t, r, 400, "validation_error")
	})
}
