package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

func TestTrigger(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetest.Backends()[0])
	types := make(chan string, 10)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var env struct{ Type string }
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &env)
		types <- env.Type
	}))
	defer rc.Close()
	app := e.Call(t, "POST", "/driftwood/v1/apps", map[string]any{"name": "t", "webhookUrl": rc.URL,
		"events": []string{"contact_updated", "user_unsubscribed"}, "scopes": []string{"all_contact_read", "user_read"}}, 200)
	e.Call(t, "POST", fmt.Sprintf("/driftwood/v1/apps/%v/tokens", app["data"].(map[string]any)["id"]), nil, 200)

	getenv := func(k string) string { return map[string]string{"DRIFTWOOD_URL": e.URL, "DRIFTWOOD_TOKEN": e.Token}[k] }
	for _, typ := range []string{"contact_updated", "user_unsubscribed"} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"trigger", typ}, getenv, &out, io.Discard); err != nil {
			t.Fatalf("trigger %s: %v", typ, err)
		}
		if !strings.Contains(out.String(), typ+" triggered") {
			t.Fatalf("output %q", out.String())
		}
		select {
		case got := <-types:
			if got != typ {
				t.Fatalf("webhook %s, want %s", got, typ)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no %s webhook", typ)
		}
	}
	err := run(context.Background(), []string{"trigger", "new_message"}, getenv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not in this Driftwood yet") {
		t.Fatalf("new_message: %v", err)
	}
	if err := run(context.Background(), []string{"trigger", "bogus"}, getenv, io.Discard, io.Discard); err == nil {
		t.Fatal("an unknown event was accepted")
	}
}
