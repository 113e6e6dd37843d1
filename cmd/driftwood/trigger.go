package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/integration"
	"github.com/driftwood-chat/driftwood/internal/secrets"
)

// trigger causes one event through the API, printing each call it makes.
type trigger func(ctx context.Context, c *apiClient, w io.Writer) error

// triggers are the events trigger can cause, each by the API calls that
// cause it in earnest, so that everything it creates is consistent. Each
// call may cause other events too (a visitor's conversation also fires
// contact_identified and new_message); the other Drift events have no
// source in Driftwood yet.
var triggers = map[events.Type]trigger{
	events.ContactUpdated: func(ctx context.Context, c *apiClient, w io.Writer) error {
		id, err := c.newContact(ctx, w)
		if err != nil {
			return err
		}
		return c.step(ctx, w, "PATCH", fmt.Sprintf("/contacts/%d", id), map[string]any{"attributes": map[string]any{"name": "Triggered Contact"}}, nil)
	},
	events.UserUnsubscribed:  unsubscribe,
	events.UserUnsubscribe:   unsubscribe,
	events.NewConversation:   startOnly,
	events.NewMessage:        startOnly,
	events.ContactIdentified: startOnly,
	events.NewCommandMessage: func(ctx context.Context, c *apiClient, w io.Writer) error {
		conv, agent, err := c.conversationWithAgent(ctx, w)
		if err != nil {
			return err
		}
		_, err = c.reply(ctx, w, conv, map[string]any{"type": "private_note", "body": "/remind me tomorrow", "userId": agent})
		return err
	},
	events.ConversationStatusUpdated: func(ctx context.Context, c *apiClient, w io.Writer) error {
		conv, err := c.startConversation(ctx, w)
		if err != nil {
			return err
		}
		return c.step(ctx, w, "PATCH", fmt.Sprintf("/driftwood/v1/conversations/%d", conv), map[string]any{"status": "closed"}, nil)
	},
	events.ConversationParticipantAdded: func(ctx context.Context, c *apiClient, w io.Writer) error {
		conv, agent, err := c.conversationWithAgent(ctx, w)
		if err != nil {
			return err
		}
		_, err = c.reply(ctx, w, conv, map[string]any{"type": "chat", "body": "Hi, how can I help?", "userId": agent})
		return err
	},
	events.ConversationParticipantRem: func(ctx context.Context, c *apiClient, w io.Writer) error {
		conv, err := c.startConversation(ctx, w)
		if err != nil {
			return err
		}
		var agent struct {
			ID string `json:"id"`
		}
		if err := c.step(ctx, w, "POST", "/scim/v2/Users", map[string]any{"userName": strings.Replace(c.email, "trigger+", "scim+", 1),
			"displayName": "Triggered SCIM Agent"}, &agent); err != nil {
			return err
		}
		id, err := strconv.ParseInt(agent.ID, 10, 64)
		if err != nil {
			return fmt.Errorf("SCIM user id %q: %w", agent.ID, err)
		}
		if _, err := c.reply(ctx, w, conv, map[string]any{"type": "chat", "body": "Hi, how can I help?", "userId": id}); err != nil {
			return err
		}
		return c.step(ctx, w, "DELETE", "/scim/v2/Users/"+agent.ID, nil, nil)
	},
	events.ConversationPush: func(ctx context.Context, c *apiClient, w io.Writer) error {
		conv, err := c.startConversation(ctx, w)
		if err != nil {
			return err
		}
		return c.step(ctx, w, "POST", fmt.Sprintf("/driftwood/v1/conversations/%d/push", conv), nil, nil)
	},
	events.ButtonClicked: clickButton,
	events.ButtonAction:  clickButton,
	events.UserAvailabilityUpdated: func(ctx context.Context, c *apiClient, w io.Writer) error {
		agent, err := c.newAgent(ctx, w)
		if err != nil {
			return err
		}
		return c.step(ctx, w, "PATCH", fmt.Sprintf("/users/update?userId=%d", agent), map[string]any{"availability": "OFFLINE"}, nil)
	},
	events.NewMeeting: func(ctx context.Context, c *apiClient, w io.Writer) error {
		_, err := c.bookMeeting(ctx, w)
		return err
	},
	events.MeetingUpdated: func(ctx context.Context, c *apiClient, w io.Writer) error {
		eventID, err := c.bookMeeting(ctx, w)
		if err != nil {
			return err
		}
		start := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
		return c.step(ctx, w, "POST", "/driftwood/v1/meetings/"+url.PathEscape(eventID)+"/reschedule",
			map[string]any{"slotStart": start.UnixMilli(), "slotEnd": start.Add(30 * time.Minute).UnixMilli()}, nil)
	},
}

// unsubscribe unsubscribes a new contact's email: user_unsubscribed, also
// delivered as user_unsubscribe to apps subscribed to the older name.
func unsubscribe(ctx context.Context, c *apiClient, w io.Writer) error {
	if _, err := c.newContact(ctx, w); err != nil {
		return err
	}
	return c.step(ctx, w, "POST", "/emails/unsubscribe", []string{c.email}, nil)
}

// startOnly starts a visitor's conversation: contact_identified,
// new_conversation and new_message.
func startOnly(ctx context.Context, c *apiClient, w io.Writer) error {
	_, err := c.startConversation(ctx, w)
	return err
}

// clickButton has an agent offer reply buttons and the visitor click one:
// button_clicked and its older name button_action.
func clickButton(ctx context.Context, c *apiClient, w io.Writer) error {
	conv, agent, err := c.conversationWithAgent(ctx, w)
	if err != nil {
		return err
	}
	msg, err := c.reply(ctx, w, conv, map[string]any{"type": "chat", "body": "Would you like a demo?", "userId": agent,
		"buttons": []map[string]any{{"label": "Yes", "value": "Yes", "type": "reply"}, {"label": "No", "value": "No", "type": "reply"}}})
	if err != nil {
		return err
	}
	return c.step(ctx, w, "POST", fmt.Sprintf("/driftwood/v1/simulate/conversations/%d/messages", conv),
		map[string]any{"button": map[string]any{"messageId": msg, "value": "Yes"}}, nil)
}

const triggerHelp = `Usage: driftwood trigger EVENT [--api-url URL] [--token TOKEN]

Creates, through the API of a running Driftwood, the objects that cause EVENT
(contacts, a visitor's conversation, an agent, a meeting), so that the apps
subscribed to it receive a real webhook (like stripe trigger). The calls may
cause other events too. The token needs the driftwood_admin scope.
Events: %s.`

func runTrigger(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("trigger", "trigger EVENT [flags]", stderr)
	apiURL := fs.String("api-url", envDefault(getenv, "DRIFTWOOD_URL", "http://127.0.0.1:7070"), "the running Driftwood (env DRIFTWOOD_URL)")
	token := fs.String("token", getenv("DRIFTWOOD_TOKEN"), "an API token with driftwood_admin (env DRIFTWOOD_TOKEN)")
	if len(args) == 0 {
		return usagef(triggerHelp, strings.Join(triggerNames(), ", "))
	}
	typ, args := events.Type(args[0]), args[1:]
	if typ == "-h" || typ == "--help" || typ == "help" {
		fmt.Fprintf(stdout, triggerHelp+"\n", strings.Join(triggerNames(), ", "))
		return nil
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	fire, ok := triggers[typ]
	switch {
	case ok:
	case typ == events.ConversationInactive:
		return fmt.Errorf("trigger: %s comes after a conversation is quiet for --conversation-inactive-after; try conversation_push, which comes with it", typ)
	case integration.EventScope[typ] != "":
		return fmt.Errorf("trigger: %s is a Drift event, but nothing in this Driftwood causes it yet; try one of %s", typ, strings.Join(triggerNames(), ", "))
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

// triggerNames lists the events trigger can cause, sorted.
func triggerNames() []string {
	var out []string
	for t := range triggers {
		out = append(out, string(t))
	}
	slices.Sort(out)
	return out
}

// idAnswer is an answer carrying the created object's id under data.
type idAnswer struct {
	Data struct {
		ID int64 `json:"id"`
	} `json:"data"`
}

func (c *apiClient) newContact(ctx context.Context, w io.Writer) (int64, error) {
	var out idAnswer
	err := c.step(ctx, w, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": c.email}}, &out)
	return out.Data.ID, err
}

// startConversation starts a conversation as a website visitor who gives
// c.email, and returns its id.
func (c *apiClient) startConversation(ctx context.Context, w io.Writer) (int64, error) {
	var out idAnswer
	err := c.step(ctx, w, "POST", "/driftwood/v1/simulate/conversations",
		map[string]any{"email": c.email, "body": "Hello, I have a question about pricing."}, &out)
	return out.Data.ID, err
}

// newAgent creates an agent and returns their user id.
func (c *apiClient) newAgent(ctx context.Context, w io.Writer) (int64, error) {
	var out idAnswer
	err := c.step(ctx, w, "POST", "/driftwood/v1/users", map[string]any{"name": "Triggered Agent",
		"email": strings.Replace(c.email, "trigger+", "agent+", 1), "role": "agent"}, &out)
	return out.Data.ID, err
}

// conversationWithAgent starts a visitor's conversation and creates an
// agent to answer it.
func (c *apiClient) conversationWithAgent(ctx context.Context, w io.Writer) (conv, agent int64, err error) {
	if conv, err = c.startConversation(ctx, w); err != nil {
		return 0, 0, err
	}
	agent, err = c.newAgent(ctx, w)
	return conv, agent, err
}

// reply posts msg in conversation conv and returns the message's id.
func (c *apiClient) reply(ctx context.Context, w io.Writer, conv int64, msg map[string]any) (int64, error) {
	var out struct {
		Data struct {
			Messages []struct {
				ID int64 `json:"id"`
			} `json:"messages"`
		} `json:"data"`
	}
	if err := c.step(ctx, w, "POST", fmt.Sprintf("/conversations/%d/messages", conv), msg, &out); err != nil {
		return 0, err
	}
	if len(out.Data.Messages) != 1 {
		return 0, fmt.Errorf("POST /conversations/%d/messages answered %d messages", conv, len(out.Data.Messages))
	}
	return out.Data.Messages[0].ID, nil
}

// bookMeeting books a meeting of a new agent with a new contact tomorrow,
// and returns its eventId.
func (c *apiClient) bookMeeting(ctx context.Context, w io.Writer) (string, error) {
	contactID, err := c.newContact(ctx, w)
	if err != nil {
		return "", err
	}
	agent, err := c.newAgent(ctx, w)
	if err != nil {
		return "", err
	}
	start := time.Now().Add(24 * time.Hour).Truncate(time.Hour)
	var out struct {
		Data struct {
			EventID string `json:"eventId"`
		} `json:"data"`
	}
	err = c.step(ctx, w, "POST", "/driftwood/v1/meetings", map[string]any{"agentId": agent, "schedulerId": contactID,
		"slotStart": start.UnixMilli(), "slotEnd": start.Add(30 * time.Minute).UnixMilli()}, &out)
	return out.Data.EventID, err
}

// step makes one call and prints it.
func (c *apiClient) step(ctx context.Context, w io.Writer, method, path string, body, out any) error {
	if err := c.do(ctx, method, path, body, out); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s %s\n", method, path)
	return nil
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
