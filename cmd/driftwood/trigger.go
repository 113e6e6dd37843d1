package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/integration"
	"github.com/driftwood-chat/driftwood/internal/secrets"
)

// triggers are the events trigger can cause, each by the API calls that
// cause it in earnest. The other Drift events have no source in Driftwood yet.
var triggers = map[events.Type]func(ctx context.Context, c *apiClient, w io.Writer) error{
	events.ContactUpdated: func(ctx context.Context, c *apiClient, w io.Writer) error {
		id, err := c.newContact(ctx, w)
		if err != nil {
			return err
		}
		if err := c.do(ctx, "PATCH", fmt.Sprintf("/contacts/%d", id), map[string]any{"attributes": map[string]any{"name": "Triggered Contact"}}, nil); err != nil {
			return err
		}
		fmt.Fprintf(w, "updated contact %d: PATCH /contacts/%d\n", id, id)
		return nil
	},
	events.UserUnsubscribed: func(ctx context.Context, c *apiClient, w io.Writer) error {
		id, err := c.newContact(ctx, w)
		if err != nil {
			return err
		}
		if err := c.do(ctx, "POST", "/emails/unsubscribe", []string{c.email}, nil); err != nil {
			return err
		}
		fmt.Fprintf(w, "unsubscribed contact %d: POST /emails/unsubscribe\n", id)
		return nil
	},
}

const triggerHelp = `Usage: driftwood trigger EVENT [--api-url URL] [--token TOKEN]

Creates, through the API of a running Driftwood, the objects that cause EVENT,
so that the apps subscribed to it receive a real webhook (like stripe trigger).
Events: contact_updated, user_unsubscribed.`

func runTrigger(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("trigger", "trigger EVENT [flags]", stderr)
	apiURL := fs.String("api-url", envDefault(getenv, "DRIFTWOOD_URL", "http://127.0.0.1:7070"), "the running Driftwood (env DRIFTWOOD_URL)")
	token := fs.String("token", getenv("DRIFTWOOD_TOKEN"), "an API token with contact_write (env DRIFTWOOD_TOKEN)")
	if len(args) == 0 {
		return usagef("%s", triggerHelp)
	}
	typ, args := events.Type(args[0]), args[1:]
	if typ == "-h" || typ == "--help" || typ == "help" {
		fmt.Fprintln(stdout, triggerHelp)
		return nil
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	fire, ok := triggers[typ]
	switch {
	case ok:
	case integration.EventScope[typ] != "":
		return fmt.Errorf("trigger: %s is a Drift event, but what causes it (conversations, users, meetings) is not in this Driftwood yet; try contact_updated or user_unsubscribed", typ)
	default:
		return usagef("trigger: %q is not a Drift webhook event", typ)
	}
	if *token == "" {
		return usagef("trigger: give --token or DRIFTWOOD_TOKEN")
	}
	c := &apiClient{base: strings.TrimRight(*apiURL, "/"), token: *token,
		email: "trigger+" + secrets.RandomToken("")[:8] + "@example.com", http: &http.Client{Timeout: 30 * time.Second}}
	if err := fire(ctx, c, stdout); err != nil {
		return fmt.Errorf("trigger %s: %w", typ, err)
	}
	fmt.Fprintf(stdout, "%s triggered\n", typ)
	return nil
}

func envDefault(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// apiClient calls a running Driftwood's API.
type apiClient struct {
	base, token, email string
	http               *http.Client
}

func (c *apiClient) newContact(ctx context.Context, w io.Writer) (int64, error) {
	var out struct {
		Data struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}
	if err := c.do(ctx, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": c.email}}, &out); err != nil {
		return 0, err
	}
	fmt.Fprintf(w, "created contact %d (%s): POST /contacts\n", out.Data.ID, c.email)
	return out.Data.ID, nil
}

// do sends body as JSON and decodes a 2xx answer into out (when not nil).
func (c *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(raw))
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}
