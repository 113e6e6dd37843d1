package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The agent inbox (issue 18): the inbox scenario times a visitor's message
// until it reaches every signed-in agent's event stream while the mixed
// load runs; inbox-first-load times the requests of the inbox's first open
// in an org with many conversations.

// agentSession is an agent signed in to the inbox through its pages, as a
// person is: the replica it uses, its session cookie and its CSRF token.
type agentSession struct {
	base   string
	cookie string
	csrf   string
}

// agentPassword is every bench agent's password.
const agentPassword = "bench-agent-password"

// newAgentClient is an HTTP client of the inbox's pages: redirects are
// answers to read (a sign-in answers 303 with the cookie), not to follow.
func newAgentClient() *http.Client {
	return &http.Client{
		Transport:     &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

// signInAgents creates n agents and signs each in (agent i on replica i mod
// replicas), four at a time: password hashing is meant to be slow.
func signInAgents(ctx context.Context, e *env, hc *http.Client, n int) ([]agentSession, error) {
	out := make([]agentSession, n)
	err := parallel(ctx, n, 4, func(i int) error {
		var err error
		out[i], err = signInAgent(ctx, e, hc, e.api.bases[i%len(e.api.bases)])
		return err
	})
	return out, err
}

// csrfInPage finds the CSRF token in the inbox page's boot JSON.
var csrfInPage = regexp.MustCompile(`"csrf":"([^"]+)"`)

// signInAgent takes the server's own path: the admin API creates the user
// and an invitation link, the link's form sets the password, the sign-in
// form starts the session, the inbox page gives the CSRF token, and the
// agent marks itself available with it (a write, so the token is checked).
func signInAgent(ctx context.Context, e *env, hc *http.Client, base string) (agentSession, error) {
	a := agentSession{base: base}
	email := e.email("agent")
	var u idAnswer
	if err := e.api.do(ctx, nil, "", http.MethodPost, "/driftwood/v1/users", map[string]any{"name": "Bench Agent", "email": email}, &u); err != nil {
		return a, err
	}
	var inv struct {
		Data struct {
			URL string `json:"url"`
		} `json:"data"`
	}
	if err := e.api.do(ctx, nil, "", http.MethodPost, fmt.Sprintf("/driftwood/v1/users/%d/invite", u.id()), nil, &inv); err != nil {
		return a, err
	}
	_, token, ok := strings.Cut(inv.Data.URL, "/invite/")
	if !ok {
		return a, fmt.Errorf("invitation without a link: %q", inv.Data.URL)
	}
	form := func(path string, v url.Values) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(v.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			return nil, fmt.Errorf("POST %s: %s, want 303", path, resp.Status)
		}
		return resp, nil
	}
	if _, err := form("/invite/"+token, url.Values{"password": {agentPassword}, "confirm": {agentPassword}}); err != nil {
		return a, err
	}
	resp, err := form("/login", url.Values{"email": {email}, "password": {agentPassword}})
	if err != nil {
		return a, err
	}
	for _, c := range resp.Cookies() {
		if c.Name == "dw_session" {
			a.cookie = c.Value
		}
	}
	if a.cookie == "" {
		return a, errors.New("sign-in answered without a session cookie")
	}
	page, err := a.get(ctx, hc, "/inbox", "")
	if err != nil {
		return a, err
	}
	m := csrfInPage.FindSubmatch(page)
	if m == nil {
		return a, errors.New("the inbox page has no CSRF token")
	}
	a.csrf = string(m[1])
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/inbox/api/availability", strings.NewReader(`{"availability":"AVAILABLE"}`))
	if err != nil {
		return a, err
	}
	a.authorize(req)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", a.csrf)
	if _, err := readOK(hc.Do(req)); err != nil {
		return a, err
	}
	return a, nil
}

func (a *agentSession) authorize(req *http.Request) {
	req.AddCookie(&http.Cookie{Name: "dw_session", Value: a.cookie})
}

// get reads an inbox path as the agent, with X-Request-Id requestID when
// not "", and returns the body of a 200.
func (a *agentSession) get(ctx context.Context, hc *http.Client, path, requestID string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+path, nil)
	if err != nil {
		return nil, err
	}
	a.authorize(req)
	if requestID != "" {
		req.Header.Set("X-Request-Id", requestID)
	}
	return readOK(hc.Do(req))
}

// readOK reads an answer's body and makes anything but a 200 an error.
func readOK(resp *http.Response, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %s %s", resp.Request.Method, resp.Request.URL.Path, resp.Status, truncate(string(b), 200))
	}
	return b, nil
}

// InboxStats is what the inbox scenario measures beyond the load: a
// visitor's message, from the start of its widget post to its arrival in
// each signed-in agent's inbox event stream.
type InboxStats struct {
	Agents  int `json:"agents"`
	Streams int `json:"streams"` // the agents' streams open
	// Posted is the visitors' messages timed; Arrivals the (message, agent)
	// pairs that arrived, Missing those that had not within 10 s.
	Posted   int `json:"posted"`
	Arrivals int `json:"arrivals"`
	Missing  int `json:"missing"`
	// ToAgent is over every (message, agent) pair; ToAllAgents is each
	// message's arrival in the last of the agents' streams.
	ToAgent     Latency `json:"toAgent"`
	ToAllAgents Latency `json:"toAllAgents"`
}

// inboxArrivalLimit is how long a visitor's message may take to reach the
// agents before it counts as missing.
const inboxArrivalLimit = 10 * time.Second

// inflight is a visitor's message on its way to the agents.
type inflight struct {
	start time.Time
	at    []time.Duration // per agent; 0 until it arrives
	n     int
	done  chan struct{}
}

// setupInbox signs --agents agents in and holds each one's inbox event
// stream open (/inbox/api/events, as the inbox page follows it; spread
// over the replicas), and prepares the mixed scenario's data. One client in
// eight is a widget visitor (spread over the replicas too) who posts a
// message (visitor-post) and waits until it has arrived in every agent's
// stream; the other clients run the mixed load meanwhile.
func setupInbox(ctx context.Context, e *env) (stepFunc, func(context.Context, *Result), error) {
	hc := newAgentClient()
	fmt.Fprintf(os.Stderr, "  inbox: signing in %d agents\n", e.o.agents)
	agents, err := signInAgents(ctx, e, hc, e.o.agents)
	if err != nil {
		return nil, nil, fmt.Errorf("signing agents in: %w", err)
	}
	mixed, _, err := setupMixed(ctx, e)
	if err != nil {
		return nil, nil, err
	}
	embedID, err := widgetEmbedID(ctx, e)
	if err != nil {
		return nil, nil, err
	}
	wc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}, Timeout: 30 * time.Second}
	visitorBase := func(i int) string { return e.api.bases[i%len(e.api.bases)] + "/widget/v1/" + embedID }
	visitors := make([]visitor, (e.o.clients+7)/8)
	for i := range visitors {
		if visitors[i], err = newVisitor(ctx, wc, visitorBase(i)); err != nil {
			return nil, nil, err
		}
	}

	var mu sync.Mutex
	waiting := map[string]*inflight{}
	arrive := func(agent int, text string, at time.Time) {
		mu.Lock()
		defer mu.Unlock()
		f := waiting[text]
		if f == nil || f.at[agent] != 0 {
			return
		}
		f.at[agent] = max(at.Sub(f.start), time.Nanosecond)
		if f.n++; f.n == len(f.at) {
			close(f.done)
		}
	}
	streamsCtx, stopStreams := context.WithCancel(context.Background())
	streamClient := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 1}}
	var connected atomic.Int64
	err = parallel(ctx, len(agents), 16, func(i int) error {
		req, err := http.NewRequestWithContext(streamsCtx, http.MethodGet, agents[i].base+"/inbox/api/events", nil)
		if err != nil {
			return err
		}
		agents[i].authorize(req)
		resp, err := streamClient.Do(req)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return fmt.Errorf("inbox stream: %s", resp.Status)
		}
		connected.Add(1)
		go func() {
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				data, ok := strings.CutPrefix(sc.Text(), "data: ")
				if !ok || !strings.Contains(data, `"body":"bench-i-`) {
					continue
				}
				at := time.Now()
				var ev struct {
					Type string `json:"type"`
					Data struct {
						Body string `json:"body"`
					} `json:"data"`
				}
				if json.Unmarshal([]byte(data), &ev) == nil && ev.Type == "new_message" {
					arrive(i, ev.Data.Body, at)
				}
			}
		}()
		return nil
	})
	if err != nil {
		stopStreams()
		return nil, nil, err
	}
	fmt.Fprintf(os.Stderr, "  inbox: %d agents' streams open, %d visitors posting beside %d mixed clients\n",
		connected.Load(), len(visitors), e.o.clients-len(visitors))
	time.Sleep(time.Second) // the streams settle

	stats := &InboxStats{Agents: len(agents), Streams: int(connected.Load())}
	var toAgent, toAll []time.Duration
	var seq atomic.Int64
	step := func(ctx context.Context, client int, rec *recorder) error {
		if client%8 != 0 {
			return mixed(ctx, client, rec)
		}
		v := client / 8
		text := "bench-i-" + e.run + "-" + strconv.FormatInt(seq.Add(1), 10)
		f := &inflight{at: make([]time.Duration, len(agents)), done: make(chan struct{})}
		mu.Lock()
		f.start = time.Now()
		waiting[text] = f
		mu.Unlock()
		var out any
		err := widgetPost(ctx, wc, visitorBase(v)+"/messages", visitors[v].token, map[string]any{"body": text}, &out)
		if ctx.Err() != nil {
			mu.Lock()
			delete(waiting, text)
			mu.Unlock()
			return nil // the run is over
		}
		rec.record("visitor-post", time.Since(f.start), err)
		if err != nil {
			return err
		}
		// Waited for past the end of the run too: the slowest arrivals
		// are the point.
		select {
		case <-f.done:
		case <-time.After(inboxArrivalLimit):
		}
		mu.Lock()
		defer mu.Unlock()
		delete(waiting, text)
		stats.Posted++
		slowest := time.Duration(0)
		for _, d := range f.at {
			if d == 0 {
				stats.Missing++
				continue
			}
			toAgent = append(toAgent, d)
			slowest = max(slowest, d)
		}
		if f.n == len(f.at) {
			toAll = append(toAll, slowest)
		}
		return nil
	}
	finish := func(_ context.Context, res *Result) {
		stopStreams()
		mu.Lock()
		defer mu.Unlock()
		stats.Arrivals = len(toAgent)
		stats.ToAgent = latencyOf(toAgent)
		stats.ToAllAgents = latencyOf(toAll)
		res.Inbox = stats
	}
	return step, finish, nil
}

// FirstLoadStats is what inbox-first-load measures: the seeding, and each
// request of the inbox's first open.
type FirstLoadStats struct {
	// Conversations were started for this scenario (the org may have a few
	// more, from earlier scenarios), in SeedSeconds.
	Conversations int                          `json:"conversations"`
	SeedSeconds   float64                      `json:"seedSeconds"`
	Requests      map[string]*FirstLoadRequest `json:"requests"`
}

// FirstLoadRequest is one request of the first open, repeated by one
// client: its first time (the first after seeding, cold) and then the
// distribution, as the client saw it over loopback and as the server
// measured it (the access log's ms of the request, found by its
// X-Request-Id; none against a --target).
type FirstLoadRequest struct {
	Path          string  `json:"path"`
	FirstMs       float64 `json:"firstMs"`
	FirstServerMs float64 `json:"firstServerMs,omitempty"`
	Client        Latency `json:"client"`
	Server        Latency `json:"server"`
	ServerSamples int     `json:"serverSamples"`
}

// firstLoadRequests are the requests of the inbox's first open that depend
// on the number of conversations (web/inbox/inbox.js: the default view is
// All, open conversations; the counts beside the views), and the page.
var firstLoadRequests = []struct{ op, path string }{
	{"list", "/inbox/api/conversations?view=all&status=open"},
	{"awaiting", "/inbox/api/awaiting"},
	{"page", "/inbox"},
}

// setupInboxFirstLoad starts --inbox-conversations conversations through
// the REST API (POST /conversations/new, each with a contact and its first
// message, so each awaits a reply; 16 at a time) and signs one agent in;
// the scenario's one client then repeats the first open's requests.
func setupInboxFirstLoad(ctx context.Context, e *env) (stepFunc, func(context.Context, *Result), error) {
	n := e.o.inboxConversations
	fmt.Fprintf(os.Stderr, "  inbox-first-load: starting %d conversations\n", n)
	start := time.Now()
	err := parallel(ctx, n, 16, func(int) error {
		body := map[string]any{"email": e.email("f"), "message": map[string]any{"body": "Hello, I have a question"}}
		return e.api.do(ctx, nil, "", http.MethodPost, "/conversations/new", body, nil)
	})
	if err != nil {
		return nil, nil, err
	}
	stats := &FirstLoadStats{Conversations: n, SeedSeconds: round(time.Since(start).Seconds(), 1), Requests: map[string]*FirstLoadRequest{}}
	fmt.Fprintf(os.Stderr, "  inbox-first-load: %d conversations in %.1f s\n", n, stats.SeedSeconds)
	hc := newAgentClient()
	a, err := signInAgent(ctx, e, hc, e.api.bases[0])
	if err != nil {
		return nil, nil, err
	}
	var mu sync.Mutex
	opOf := map[string]string{} // request id → op
	var seq atomic.Int64
	step := func(ctx context.Context, _ int, rec *recorder) error {
		for _, r := range firstLoadRequests {
			id := fmt.Sprintf("bench-%s-%s-%d", e.run, r.op, seq.Add(1))
			t := time.Now()
			_, err := a.get(ctx, hc, r.path, id)
			if ctx.Err() != nil {
				return nil
			}
			d := time.Since(t)
			rec.record(r.op, d, err)
			if err != nil {
				return err
			}
			mu.Lock()
			opOf[id] = r.op
			if stats.Requests[r.op] == nil {
				stats.Requests[r.op] = &FirstLoadRequest{Path: r.path, FirstMs: ms(d)}
			}
			mu.Unlock()
		}
		return nil
	}
	finish := func(_ context.Context, res *Result) {
		mu.Lock()
		defer mu.Unlock()
		for op, st := range res.Ops {
			if r := stats.Requests[op]; r != nil {
				r.Client = st.Latency
			}
		}
		time.Sleep(200 * time.Millisecond) // the last access-log lines
		server := map[string][]time.Duration{}
		first := map[string]int64{}
		for _, s := range e.servers {
			err := serverTimes(s.logPath, func(id string, d time.Duration) {
				op, ok := opOf[id]
				if !ok {
					return
				}
				server[op] = append(server[op], d)
				n, _ := strconv.ParseInt(id[strings.LastIndexByte(id, '-')+1:], 10, 64)
				if f, seen := first[op]; !seen || n < f {
					first[op] = n
					stats.Requests[op].FirstServerMs = ms(d)
				}
			})
			if err != nil {
				fmt.Fprintln(os.Stderr, "bench: reading the access log:", err)
			}
		}
		if len(e.servers) > 0 && len(server) == 0 {
			fmt.Fprintf(os.Stderr, "bench: none of the %d requests timed is in the servers' access logs\n", len(opOf))
		}
		for op, ds := range server {
			stats.Requests[op].Server = latencyOf(ds)
			stats.Requests[op].ServerSamples = len(ds)
		}
		res.FirstLoad = stats
	}
	return step, finish, nil
}

// serverTimes calls fn with each request id and its time (the ms key) in
// a server's access log (slog's text format: request_id=ID … ms=12.345).
func serverTimes(logPath string, fn func(id string, d time.Duration)) error {
	f, err := os.Open(logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	value := func(line, key string) string {
		i := strings.Index(line, " "+key+"=")
		if i < 0 {
			return ""
		}
		v := line[i+len(key)+2:]
		if j := strings.IndexAny(v, " \n"); j >= 0 {
			v = v[:j]
		}
		return v
	}
	br := bufio.NewReaderSize(f, 1<<16)
	for {
		line, err := br.ReadString('\n') // no limit on a line's length
		if strings.Contains(line, "msg=request ") {
			id, msText := value(line, "request_id"), value(line, "ms")
			if v, perr := strconv.ParseFloat(msText, 64); id != "" && perr == nil {
				fn(id, time.Duration(v*float64(time.Millisecond)))
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
