package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Compare is two kinds of request of one scenario measured side by side
// in the same load (the same machine's moods): A, the path under study,
// and B, the same path without what is studied. Diff is A−B, Ratio A÷B.
type Compare struct {
	A      string  `json:"a"`
	B      string  `json:"b"`
	ALat   Latency `json:"aLatency"`
	BLat   Latency `json:"bLatency"`
	N      [2]int  `json:"requests"` // of A and of B
	Diff   Latency `json:"diffMs"`
	Ratio  Latency `json:"ratio"`
	Header string  `json:"about"`
	// Assigned (routing) counts the conversations the bench's agents hold
	// at the end: at least the routed requests, proof that they were.
	Assigned int `json:"assigned,omitempty"`
}

// compare reads ops a and b of res into a Compare.
func compare(res *Result, about, a, b string) *Compare {
	oa, ob := res.Ops[a], res.Ops[b]
	c := &Compare{A: a, B: b, ALat: oa.Latency, BLat: ob.Latency, N: [2]int{oa.Requests, ob.Requests}, Header: about}
	c.fill()
	return c
}

func (c *Compare) fill() {
	c.Diff = Latency{P50: round(c.ALat.P50-c.BLat.P50, 2), P90: round(c.ALat.P90-c.BLat.P90, 2), P99: round(c.ALat.P99-c.BLat.P99, 2)}
	ratio := func(x, y float64) float64 {
		if y == 0 {
			return 0
		}
		return round(x/y, 2)
	}
	c.Ratio = Latency{P50: ratio(c.ALat.P50, c.BLat.P50), P90: ratio(c.ALat.P90, c.BLat.P90), P99: ratio(c.ALat.P99, c.BLat.P99)}
}

// widget is a client of the org's widget endpoints on the deployment's
// replicas, round robin.
type widget struct {
	e     *env
	embed string
	hc    *http.Client
	next  atomic.Uint64
}

func newWidget(ctx context.Context, e *env) (*widget, error) {
	var w struct {
		Data struct {
			EmbedID string `json:"embedId"`
		} `json:"data"`
	}
	if err := e.api.do(ctx, nil, "", http.MethodGet, "/driftwood/v1/widget", nil, &w); err != nil {
		return nil, err
	}
	return &widget{e: e, embed: w.Data.EmbedID, hc: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 2 * e.o.clients, DisableCompression: true}}}, nil
}

// post sends in to the widget's path as the visitor of token, with the
// header given, and decodes the answer's data into out.
func (w *widget) post(ctx context.Context, path, token string, header map[string]string, in, out any) error {
	b, _ := json.Marshal(in)
	bases := w.e.api.bases
	base := bases[(w.next.Add(1)-1)%uint64(len(bases))]
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/widget/v1/"+w.embed+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := w.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return &statusError{status: resp.StatusCode, msg: fmt.Sprintf("POST %s: %s", path, resp.Status)}
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || out == nil {
		return err
	}
	return json.Unmarshal(env.Data, out)
}

// session opens a visitor session and returns its token.
func (w *widget) session(ctx context.Context) (string, error) {
	var s struct {
		Token string `json:"token"`
	}
	err := w.post(ctx, "/sessions", "", nil, map[string]any{}, &s)
	return s.Token, err
}

// newConversation is the data of a widget answer that started one.
type newConversation struct {
	Conversation struct {
		ID int64 `json:"id"`
	} `json:"conversation"`
}

// The routing scenario's org: benchAgents agents (available, capacity
// set) in benchTeams teams, and benchRules routing rules.
const (
	benchAgents   = 100
	benchTeams    = 10
	benchRules    = 10
	benchCapacity = 1000
	// routingPhase is how long each phase (routing off, routing on) of
	// the routing scenario lasts before the other.
	routingPhase = 500 * time.Millisecond
)

// benchCountries are the visitors' countries (a header the servers trust):
// rule i holds for countries[i] (and, for a few, an account size); the
// last ones match no rule but the catch-all.
var benchCountries = []string{"DE", "FR", "GB", "ES", "IT", "NL", "SE", "PL", "AT", "US", "BR", "JP"}

// setupRouting: an org with 100 agents in 10 teams and 10 routing rules;
// each step starts a new visitor conversation through the widget (a fresh
// session, then its first message, timed), from a random country. A
// coordinator turns the org's routing of new conversations off and on every
// 500 ms, so that the same request is timed with routing ("routed": the
// decision and the assignment are in the request's transaction) and without
// ("unrouted") in the same load. A request is counted only if it began and
// ended within one phase.
func setupRouting(ctx context.Context, e *env) (stepFunc, func(context.Context, *Result), error) {
	w, err := newWidget(ctx, e)
	if err != nil {
		return nil, nil, err
	}
	agents := make([]int64, benchAgents)
	if err := parallel(ctx, benchAgents, 8, func(i int) error {
		var u idAnswer
		err := e.api.do(ctx, nil, "", http.MethodPost, "/driftwood/v1/users",
			map[string]any{"name": fmt.Sprintf("Agent %d", i), "email": e.email("agent"), "role": "agent", "availability": "AVAILABLE"}, &u)
		agents[i] = u.id()
		return err
	}); err != nil {
		return nil, nil, err
	}
	teams := make([]int64, benchTeams)
	for i := range teams {
		var t idAnswer
		members := agents[i*benchAgents/benchTeams : (i+1)*benchAgents/benchTeams]
		if err := e.api.do(ctx, nil, "", http.MethodPost, "/driftwood/v1/teams",
			map[string]any{"name": fmt.Sprintf("Team %d %s", i, e.run), "members": members}, &t); err != nil {
			return nil, nil, err
		}
		teams[i] = t.id()
	}
	capacities := map[string]int{}
	for _, id := range agents {
		capacities[fmt.Sprint(id)] = benchCapacity
	}
	// Nine rules of two conditions (a country, and a contact or account
	// attribute that may be absent), then a catch-all: most visitors are
	// weighed against several rules before one holds.
	rules := make([]any, 0, benchRules)
	for i := range benchRules - 1 {
		rules = append(rules, map[string]any{"name": fmt.Sprintf("Rule %d", i), "teamId": teams[i], "conditions": []any{
			map[string]any{"source": "country", "op": "in", "value": benchCountries[i] + ",XX"},
			map[string]any{"source": "account", "attribute": "employees", "op": "not_equals", "value": "0"},
		}})
	}
	rules = append(rules, map[string]any{"name": "Everyone else", "teamId": teams[benchTeams-1]})
	if err := e.api.do(ctx, nil, "", http.MethodPatch, "/driftwood/v1/routing",
		map[string]any{"routeNewConversations": false, "capacities": capacities, "rules": rules}, nil); err != nil {
		return nil, nil, err
	}

	// phase counts the switches: even is stable (phase/2 even: off, odd:
	// on), odd is a switch under way.
	var phase atomic.Int64
	var once sync.Once
	coordinate := func(ctx context.Context) {
		t := time.NewTicker(routingPhase)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			on := (phase.Add(1)/2)%2 == 0 // entering the next phase
			err := e.api.do(context.WithoutCancel(ctx), nil, "", http.MethodPatch, "/driftwood/v1/routing", map[string]any{"routeNewConversations": on}, nil)
			phase.Add(1)
			if err != nil {
				return
			}
		}
	}
	step := func(ctx context.Context, _ int, rec *recorder) error {
		once.Do(func() { go coordinate(ctx) })
		token, err := w.session(ctx)
		if err != nil {
			if ctx.Err() == nil {
				rec.record("session", 0, err)
			}
			return err
		}
		country := benchCountries[rand.IntN(len(benchCountries))]
		before := phase.Load()
		start := time.Now()
		var c newConversation
		err = w.post(ctx, "/messages", token, map[string]string{benchCountryHeader: country}, map[string]any{"body": "Hello, who can help me?"}, &c)
		took := time.Since(start)
		if ctx.Err() != nil {
			return nil
		}
		if after := phase.Load(); err == nil && (after != before || before%2 != 0) {
			return nil // the phase changed under it: neither
		}
		op := "unrouted"
		if (before/2)%2 == 1 {
			op = "routed"
		}
		rec.record(op, took, err)
		return err
	}
	finish := func(ctx context.Context, res *Result) {
		res.Compare = compare(res, "a new visitor conversation, routed (100 agents, 10 rules) vs not", "routed", "unrouted")
		var st struct {
			Data struct {
				Agents []struct {
					UserID int64 `json:"userId"`
					Open   int   `json:"open"`
				} `json:"agents"`
			} `json:"data"`
		}
		if err := e.api.do(ctx, nil, "", http.MethodGet, "/driftwood/v1/routing", nil, &st); err == nil {
			ours := map[int64]bool{}
			for _, id := range agents {
				ours[id] = true
			}
			for _, a := range st.Data.Agents {
				if ours[a.UserID] {
					res.Compare.Assigned += a.Open
				}
			}
		}
	}
	return step, finish, nil
}

// benchCountryHeader is the visitor's country as a trusted proxy would
// set it (the servers are started with --trusted-country-header).
const benchCountryHeader = "X-Bench-Country"

// benchPlaybookVisitors is how many visitors of each kind the playbook
// scenario talks as.
const benchPlaybookVisitors = 50

// setupPlaybook: visitors whose conversation a playbook runs (a question
// that every message answers, a branch on the answer, the question asked
// again by the bot) and visitors whose conversation none runs; each step
// posts a message as one of each, through the widget ("playbook-post" and
// "plain-post"): the cost of evaluating a playbook on every visitor
// message, as a ratio of the plain message path measured beside it.
func setupPlaybook(ctx context.Context, e *env) (stepFunc, func(context.Context, *Result), error) {
	w, err := newWidget(ctx, e)
	if err != nil {
		return nil, nil, err
	}
	var p idAnswer
	def := map[string]any{"steps": []any{
		map[string]any{"id": "ask", "kind": "question", "text": "What brings you here, {{name|friend}}?", "attribute": "bench_topic", "next": "check"},
		map[string]any{"id": "check", "kind": "branch", "cases": []any{
			map[string]any{"when": map[string]any{"answer": "ask", "op": "contains", "value": "goodbye"}, "next": "bye"}}, "next": "ask"},
		map[string]any{"id": "bye", "kind": "end"},
	}}
	if err := e.api.do(ctx, nil, "", http.MethodPost, "/driftwood/v1/playbooks", map[string]any{"name": "Bench " + e.run, "definition": def}, &p); err != nil {
		return nil, nil, err
	}
	type talker struct {
		token string
		conv  int64
	}
	bot, plain := make([]talker, benchPlaybookVisitors), make([]talker, benchPlaybookVisitors)
	if err := parallel(ctx, benchPlaybookVisitors, 8, func(i int) error {
		var c newConversation
		token, err := w.session(ctx)
		if err == nil {
			err = w.post(ctx, "/playbook", token, nil, map[string]any{"trigger": "interaction", "interactionId": p.id()}, &c)
		}
		bot[i] = talker{token, c.Conversation.ID}
		if err != nil {
			return err
		}
		if token, err = w.session(ctx); err == nil {
			err = w.post(ctx, "/messages", token, nil, map[string]any{"body": "Hello"}, &c)
		}
		plain[i] = talker{token, c.Conversation.ID}
		return err
	}); err != nil {
		return nil, nil, err
	}
	say := func(ctx context.Context, rec *recorder, op string, t talker) error {
		start := time.Now()
		err := w.post(ctx, "/messages", t.token, nil, map[string]any{"conversationId": t.conv, "body": "Pricing for a team of 40"}, nil)
		if ctx.Err() != nil {
			return nil
		}
		rec.record(op, time.Since(start), err)
		return err
	}
	step := func(ctx context.Context, _ int, rec *recorder) error {
		if err := say(ctx, rec, "playbook-post", bot[rand.IntN(len(bot))]); err != nil {
			return err
		}
		return say(ctx, rec, "plain-post", plain[rand.IntN(len(plain))])
	}
	finish := func(_ context.Context, res *Result) {
		res.Compare = compare(res, "a visitor message a playbook evaluates vs a plain one", "playbook-post", "plain-post")
	}
	return step, finish, nil
}
