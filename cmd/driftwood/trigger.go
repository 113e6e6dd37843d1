package main

import (
	"context"
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
	"github.com/driftwood-chat/driftwood/sdk/drift"
)

// trigger causes one event through the API, printing each call it makes.
type trigger func(ctx context.Context, c *triggerClient) error

// triggers are the events trigger can cause, each by the API calls that
// cause it in earnest, so that everything it creates is consistent. Each
// call may cause other events too (a visitor's conversation also fires
// contact_identified and new_message); the other Drift events have no
// source in Driftwood yet.
var triggers = map[events.Type]trigger{
	events.ContactUpdated: func(ctx context.Context, c *triggerClient) error {
		id, err := c.newContact(ctx)
		if err != nil {
			return err
		}
		_, err = c.api.UpdateContact(ctx, id, drift.Attributes{"name": "Triggered Contact"})
		return c.did("PATCH", fmt.Sprintf("/contacts/%d", id), err)
	},
	events.UserUnsubscribed:  unsubscribe,
	events.UserUnsubscribe:   unsubscribe,
	events.NewConversation:   startOnly,
	events.NewMessage:        startOnly,
	events.ContactIdentified: startOnly,
	events.NewCommandMessage: func(ctx context.Context, c *triggerClient) error {
		conv, agent, err := c.conversationWithAgent(ctx)
		if err != nil {
			return err
		}
		_, err = c.reply(ctx, conv, drift.NewMessage{Type: "private_note", Body: "/remind me tomorrow", UserID: agent})
		return err
	},
	events.ConversationStatusUpdated: func(ctx context.Context, c *triggerClient) error {
		conv, err := c.startConversation(ctx)
		if err != nil {
			return err
		}
		_, err = c.api.Driftwood().SetConversationStatus(ctx, conv, "closed")
		return c.did("PATCH", fmt.Sprintf("/driftwood/v1/conversations/%d", conv), err)
	},
	events.ConversationParticipantAdded: func(ctx context.Context, c *triggerClient) error {
		conv, agent, err := c.conversationWithAgent(ctx)
		if err != nil {
			return err
		}
		_, err = c.reply(ctx, conv, drift.NewMessage{Type: "chat", Body: "Hi, how can I help?", UserID: agent})
		return err
	},
	events.ConversationParticipantRem: func(ctx context.Context, c *triggerClient) error {
		conv, err := c.startConversation(ctx)
		if err != nil {
			return err
		}
		agent, err := c.api.CreateSCIMUser(ctx, drift.SCIMUser{UserName: strings.Replace(c.email, "trigger+", "scim+", 1),
			DisplayName: "Triggered SCIM Agent"})
		if err := c.did("POST", "/scim/v2/Users", err); err != nil {
			return err
		}
		id, err := strconv.ParseInt(agent.ID, 10, 64)
		if err != nil {
			return fmt.Errorf("SCIM user id %q: %w", agent.ID, err)
		}
		if _, err := c.reply(ctx, conv, drift.NewMessage{Type: "chat", Body: "Hi, how can I help?", UserID: id}); err != nil {
			return err
		}
		return c.did("DELETE", "/scim/v2/Users/"+agent.ID, c.api.DeleteSCIMUser(ctx, agent.ID))
	},
	events.ConversationPush: func(ctx context.Context, c *triggerClient) error {
		conv, err := c.startConversation(ctx)
		if err != nil {
			return err
		}
		path := fmt.Sprintf("/driftwood/v1/conversations/%d/push", conv)
		return c.did("POST", path, c.api.Do(ctx, "POST", path, nil, nil))
	},
	events.ButtonClicked: clickButton,
	events.ButtonAction:  clickButton,
	events.UserAvailabilityUpdated: func(ctx context.Context, c *triggerClient) error {
		agent, err := c.newAgent(ctx)
		if err != nil {
			return err
		}
		_, err = c.api.UpdateUser(ctx, agent, drift.UserUpdate{Availability: "OFFLINE"})
		return c.did("PATCH", fmt.Sprintf("/users/update?userId=%d", agent), err)
	},
	events.NewMeeting: func(ctx context.Context, c *triggerClient) error {
		_, err := c.bookMeeting(ctx)
		return err
	},
	events.MeetingUpdated: func(ctx context.Context, c *triggerClient) error {
		eventID, err := c.bookMeeting(ctx)
		if err != nil {
			return err
		}
		start := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
		path := "/driftwood/v1/meetings/" + url.PathEscape(eventID) + "/reschedule"
		return c.did("POST", path, c.api.Do(ctx, "POST", path,
			map[string]any{"slotStart": start.UnixMilli(), "slotEnd": start.Add(30 * time.Minute).UnixMilli()}, nil))
	},
}

// unsubscribe unsubscribes a new contact's email: user_unsubscribed, also
// delivered as user_unsubscribe to apps subscribed to the older name.
func unsubscribe(ctx context.Context, c *triggerClient) error {
	if _, err := c.newContact(ctx); err != nil {
		return err
	}
	return c.did("POST", "/emails/unsubscribe", c.api.Unsubscribe(ctx, c.email))
}

// startOnly starts a visitor's conversation: contact_identified,
// new_conversation and new_message.
func startOnly(ctx context.Context, c *triggerClient) error {
	_, err := c.startConversation(ctx)
	return err
}

// clickButton has an agent offer reply buttons and the visitor click one:
// button_clicked and its older name button_action.
func clickButton(ctx context.Context, c *triggerClient) error {
	conv, agent, err := c.conversationWithAgent(ctx)
	if err != nil {
		return err
	}
	msg, err := c.reply(ctx, conv, drift.NewMessage{Type: "chat", Body: "Would you like a demo?", UserID: agent,
		Buttons: []drift.Button{{Label: "Yes", Value: "Yes", Type: "reply"}, {Label: "No", Value: "No", Type: "reply"}}})
	if err != nil {
		return err
	}
	path := fmt.Sprintf("/driftwood/v1/simulate/conversations/%d/messages", conv)
	return c.did("POST", path, c.api.Do(ctx, "POST", path, map[string]any{"button": map[string]any{"messageId": msg, "value": "Yes"}}, nil))
}

const triggerHelp = `Usage: driftwood trigger EVENT [--url URL] [--token TOKEN]

Creates, through the API of a running Driftwood, the objects that cause EVENT
(contacts, a visitor's conversation, an agent, a meeting), so that the apps
subscribed to it receive a real webhook (like stripe trigger). The calls may
cause other events too. The token needs the driftwood_admin scope.

Flags:
  --url URL      the running Driftwood (env DRIFTWOOD_URL; default http://127.0.0.1:7070;
                 --api-url is its old name)
  --token TOKEN  an API token with driftwood_admin (env DRIFTWOOD_TOKEN)

Events: %s.`

func runTrigger(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("trigger", "trigger EVENT [flags]", stderr)
	apiURL := serverURLFlag(fs, getenv)
	token := secretFlag(fs, "token", "DRIFTWOOD_TOKEN", "an API `token` with driftwood_admin (env DRIFTWOOD_TOKEN)", getenv)
	if len(args) == 0 {
		return usagef(triggerHelp, strings.Join(triggerNames(), ", "))
	}
	typ, args := events.Type(args[0]), args[1:]
	if isHelp(string(typ)) {
		fmt.Fprintf(stdout, triggerHelp+"\n", strings.Join(triggerNames(), ", "))
		return nil
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("trigger: one event at a time; got %q after %s", fs.Args(), typ)
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
	if err := integration.CheckURL(*apiURL); err != nil {
		return usagef("trigger: --url %s", err.Message)
	}
	c := &triggerClient{
		api: drift.NewClient(*apiURL, drift.StaticToken(*token),
			drift.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}), drift.WithUserAgent("driftwood-trigger")),
		email: "trigger+" + secrets.RandomToken("")[:8] + "@example.com",
		out:   stdout,
	}
	if err := fire(ctx, c); err != nil {
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

// triggerClient makes trigger's calls through the SDK, with a contact email
// of its own, and prints each call that succeeded.
type triggerClient struct {
	api   *drift.Client
	email string
	out   io.Writer
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

// did prints a call that succeeded, or names the call that failed.
func (c *triggerClient) did(method, path string, err error) error {
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	fmt.Fprintf(c.out, "%s %s\n", method, path)
	return nil
}

func (c *triggerClient) newContact(ctx context.Context) (int64, error) {
	ct, err := c.api.CreateContact(ctx, drift.Attributes{"email": c.email})
	if err := c.did("POST", "/contacts", err); err != nil {
		return 0, err
	}
	return ct.ID, nil
}

// startConversation starts a conversation as a website visitor who gives
// c.email, and returns its id.
func (c *triggerClient) startConversation(ctx context.Context) (int64, error) {
	conv, err := c.api.Driftwood().SimulateConversation(ctx, c.email, "Hello, I have a question about pricing.")
	if err := c.did("POST", "/driftwood/v1/simulate/conversations", err); err != nil {
		return 0, err
	}
	return conv.ID, nil
}

// newAgent creates an agent and returns their user id.
func (c *triggerClient) newAgent(ctx context.Context) (int64, error) {
	var out struct {
		Data struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}
	err := c.api.Do(ctx, "POST", "/driftwood/v1/users", map[string]any{"name": "Triggered Agent",
		"email": strings.Replace(c.email, "trigger+", "agent+", 1), "role": "agent"}, &out)
	return out.Data.ID, c.did("POST", "/driftwood/v1/users", err)
}

// conversationWithAgent starts a visitor's conversation and creates an
// agent to answer it.
func (c *triggerClient) conversationWithAgent(ctx context.Context) (conv, agent int64, err error) {
	if conv, err = c.startConversation(ctx); err != nil {
		return 0, 0, err
	}
	agent, err = c.newAgent(ctx)
	return conv, agent, err
}

// reply posts msg in conversation conv and returns the message's id.
func (c *triggerClient) reply(ctx context.Context, conv int64, msg drift.NewMessage) (int64, error) {
	m, err := c.api.PostMessage(ctx, conv, msg)
	if err := c.did("POST", fmt.Sprintf("/conversations/%d/messages", conv), err); err != nil {
		return 0, err
	}
	return m.ID, nil
}

// bookMeeting books a meeting of a new agent with a new contact tomorrow,
// and returns its eventId.
func (c *triggerClient) bookMeeting(ctx context.Context) (string, error) {
	contactID, err := c.newContact(ctx)
	if err != nil {
		return "", err
	}
	agent, err := c.newAgent(ctx)
	if err != nil {
		return "", err
	}
	start := time.Now().Add(24 * time.Hour).Truncate(time.Hour)
	var out struct {
		Data struct {
			EventID string `json:"eventId"`
		} `json:"data"`
	}
	err = c.api.Do(ctx, "POST", "/driftwood/v1/meetings", map[string]any{"agentId": agent, "schedulerId": contactID,
		"slotStart": start.UnixMilli(), "slotEnd": start.Add(30 * time.Minute).UnixMilli()}, &out)
	return out.Data.EventID, c.did("POST", "/driftwood/v1/meetings", err)
}
