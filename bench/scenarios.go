package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// env is what a scenario's setup gets: the API of the deployment under test
// and the run's options.
type env struct {
	api *api
	o   *options
	// run makes this run's emails unique, so that runs against the same
	// --target never clash.
	run string
	seq atomic.Int64
	// servers are the started replicas (none against a --target).
	servers []*server
}

func (e *env) email(prefix string) string {
	return fmt.Sprintf("%s-%s-%d@bench.example", prefix, e.run, e.seq.Add(1))
}

// scenario prepares its data (untimed) and returns the step every client
// repeats; finish, when not nil, adds what only the scenario knows to the
// result after the load (the webhooks' arrival times).
type scenario struct {
	name  string
	setup func(ctx context.Context, e *env) (step stepFunc, finish func(context.Context, *Result), err error)
	// clients, when not 0, is the scenario's own number of clients instead
	// of --clients (one, for a latency that is close to the server's time).
	clients int
}

var scenarios = []scenario{
	{"contacts", setupContacts, 0},
	{"messages", setupMessages, 0},
	{"mixed", setupMixed, 0},
	{"webhooks", setupWebhooks, 0},
	{"visitors", setupVisitors, 0},
	{"inbox", setupInbox, 0},
	{"inbox-first-load", setupInboxFirstLoad, 1},
	{"routing", setupRouting, 0},
	{"playbook", setupPlaybook, 0},
}

// idAnswer is every answer this tool reads an id from: {"data": {"id"}}
// and, for a new conversation, the id at the top level too.
type idAnswer struct {
	ID   int64 `json:"id"`
	Data struct {
		ID       int64 `json:"id"`
		Messages []struct {
			ID int64 `json:"id"`
		} `json:"messages"`
	} `json:"data"`
}

// id is the object's id: data.id, or data.messages[0].id for a message post.
func (a *idAnswer) id() int64 {
	switch {
	case a.Data.ID != 0:
		return a.Data.ID
	case len(a.Data.Messages) > 0:
		return a.Data.Messages[0].ID
	}
	return a.ID
}

func contactBody(email, name string) map[string]any {
	attrs := map[string]any{"name": name}
	if email != "" {
		attrs["email"] = email
	}
	return map[string]any{"attributes": attrs}
}

// setupContacts: create a contact, fetch it, update it.
func setupContacts(ctx context.Context, e *env) (stepFunc, func(context.Context, *Result), error) {
	step := func(ctx context.Context, _ int, rec *recorder) error {
		var c idAnswer
		if err := e.api.do(ctx, rec, "create", http.MethodPost, "/contacts", contactBody(e.email("c"), "Bench"), &c); err != nil {
			return err
		}
		path := fmt.Sprintf("/contacts/%d", c.id())
		if err := e.api.do(ctx, rec, "get", http.MethodGet, path, nil, nil); err != nil {
			return err
		}
		return e.api.do(ctx, rec, "update", http.MethodPatch, path, contactBody("", "Bench Updated"), nil)
	}
	return step, nil, nil
}

// startConversations starts n conversations, each with a first message
// from its contact, and returns their ids.
func startConversations(ctx context.Context, e *env, n int) ([]int64, error) {
	ids := make([]int64, n)
	for i := range ids {
		var c idAnswer
		body := map[string]any{"email": e.email("v"), "message": map[string]any{"body": "Hello, I have a question"}}
		if err := e.api.do(ctx, nil, "", http.MethodPost, "/conversations/new", body, &c); err != nil {
			return nil, err
		}
		ids[i] = c.id()
	}
	return ids, nil
}

var messageBody = map[string]any{"type": "chat", "body": "Thanks for reaching out, how can I help?"}

// setupMessages: post a message to one of N conversations, then read the
// conversation's messages.
func setupMessages(ctx context.Context, e *env) (stepFunc, func(context.Context, *Result), error) {
	convs, err := startConversations(ctx, e, e.o.conversations)
	if err != nil {
		return nil, nil, err
	}
	step := func(ctx context.Context, _ int, rec *recorder) error {
		path := fmt.Sprintf("/conversations/%d/messages", convs[rand.IntN(len(convs))])
		if err := e.api.do(ctx, rec, "post", http.MethodPost, path, messageBody, nil); err != nil {
			return err
		}
		return e.api.do(ctx, rec, "read", http.MethodGet, path, nil, nil)
	}
	return step, nil, nil
}

// mixedContacts is how many contacts the mixed scenario looks up.
const mixedContacts = 200

// setupMixed: mostly reads (contact lookups by id and by email, a
// conversation's messages, the conversation list, a conversation), and one
// request in ten a message post.
func setupMixed(ctx context.Context, e *env) (stepFunc, func(context.Context, *Result), error) {
	convs, err := startConversations(ctx, e, e.o.conversations)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]int64, mixedContacts)
	emails := make([]string, mixedContacts)
	for i := range ids {
		var c idAnswer
		emails[i] = e.email("m")
		if err := e.api.do(ctx, nil, "", http.MethodPost, "/contacts", contactBody(emails[i], "Mixed"), &c); err != nil {
			return nil, nil, err
		}
		ids[i] = c.id()
	}
	step := func(ctx context.Context, _ int, rec *recorder) error {
		conv := convs[rand.IntN(len(convs))]
		switch n := rand.IntN(100); {
		case n < 30:
			return e.api.do(ctx, rec, "contact", http.MethodGet, fmt.Sprintf("/contacts/%d", ids[rand.IntN(len(ids))]), nil, nil)
		case n < 40:
			return e.api.do(ctx, rec, "contact-by-email", http.MethodGet, "/contacts?email="+emails[rand.IntN(len(emails))], nil, nil)
		case n < 60:
			return e.api.do(ctx, rec, "messages", http.MethodGet, fmt.Sprintf("/conversations/%d/messages", conv), nil, nil)
		case n < 80:
			return e.api.do(ctx, rec, "list", http.MethodGet, "/conversations/list?limit=25", nil, nil)
		case n < 90:
			return e.api.do(ctx, rec, "conversation", http.MethodGet, fmt.Sprintf("/conversations/%d", conv), nil, nil)
		default:
			return e.api.do(ctx, rec, "post", http.MethodPost, fmt.Sprintf("/conversations/%d/messages", conv), messageBody, nil)
		}
	}
	return step, nil, nil
}

// receiver is a local webhook endpoint: it notes when each new_message
// webhook arrives, by message id.
type receiver struct {
	srv     *http.Server
	url     string
	mu      sync.Mutex
	arrived map[int64]time.Time
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{url: "http://" + ln.Addr().String() + "/hook", arrived: map[int64]time.Time{}}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve)}
	go r.srv.Serve(ln)
	return r, nil
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	b, _ := io.ReadAll(req.Body)
	var env struct {
		Type string `json:"type"`
		Data struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}
	if json.Unmarshal(b, &env) == nil && env.Type == "new_message" && req.Header.Get("webhook-id") != "" {
		r.mu.Lock()
		if _, dup := r.arrived[env.Data.ID]; !dup {
			r.arrived[env.Data.ID] = at
		}
		r.mu.Unlock()
	}
	w.WriteHeader(http.StatusOK)
}

// WebhookStats is the time from the API's answer to a message post to the
// arrival of its new_message webhook.
type WebhookStats struct {
	Posted    int `json:"posted"`
	Delivered int `json:"delivered"`
	// Missing posts had no webhook by the end of the drain.
	Missing int `json:"missing"`
	Latency
}

// webhookDrain is how long the webhooks scenario waits after the load for
// the webhooks still on their way.
const webhookDrain = 10 * time.Second

// setupWebhooks: an app of the org subscribed to new_message with a local
// receiver, installed in the org; then message posts as in messages,
// without the reads.
func setupWebhooks(ctx context.Context, e *env) (stepFunc, func(context.Context, *Result), error) {
	r, err := startReceiver()
	if err != nil {
		return nil, nil, err
	}
	var app idAnswer
	err = e.api.do(ctx, nil, "", http.MethodPost, "/driftwood/v1/apps", map[string]any{
		"name": "bench " + e.run, "webhookUrl": r.url, "events": []string{"new_message"}, "scopes": []string{"conversation_read"},
	}, &app)
	if se := (*statusError)(nil); errors.As(err, &se) && se.status == http.StatusNotFound {
		err = errUnavailable // a build without apps has no such route
	}
	if err == nil {
		err = e.api.do(ctx, nil, "", http.MethodPost, fmt.Sprintf("/driftwood/v1/apps/%d/tokens", app.id()),
			map[string]any{"scopes": []string{"conversation_read"}}, nil)
	}
	var convs []int64
	if err == nil {
		convs, err = startConversations(ctx, e, e.o.conversations)
	}
	if err != nil {
		r.srv.Close()
		return nil, nil, err
	}
	var mu sync.Mutex
	answered := map[int64]time.Time{}
	step := func(ctx context.Context, _ int, rec *recorder) error {
		var m idAnswer
		path := fmt.Sprintf("/conversations/%d/messages", convs[rand.IntN(len(convs))])
		if err := e.api.do(ctx, rec, "post", http.MethodPost, path, messageBody, &m); err != nil {
			return err
		}
		at := time.Now()
		mu.Lock()
		answered[m.id()] = at
		mu.Unlock()
		return nil
	}
	finish := func(ctx context.Context, res *Result) {
		defer r.srv.Close()
		deadline := time.Now().Add(webhookDrain)
		for time.Now().Before(deadline) && ctx.Err() == nil && r.missing(answered) > 0 {
			time.Sleep(20 * time.Millisecond)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		var lat []time.Duration
		for id, ans := range answered {
			if got, ok := r.arrived[id]; ok {
				lat = append(lat, max(0, got.Sub(ans))) // a webhook may beat the answer
			}
		}
		res.Webhooks = &WebhookStats{Posted: len(answered), Delivered: len(lat), Missing: len(answered) - len(lat), Latency: latencyOf(lat)}
	}
	return step, finish, nil
}

// missing counts the answered posts whose webhook has not arrived.
func (r *receiver) missing(answered map[int64]time.Time) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for id := range answered {
		if _, ok := r.arrived[id]; !ok {
			n++
		}
	}
	return n
}
