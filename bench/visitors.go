package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// VisitorStats is what the visitors scenario measures beyond the load: the
// idle visitor streams held open and the server memory they cost.
type VisitorStats struct {
	Streams     int     `json:"streams"`
	RSSBeforeMB float64 `json:"rssBeforeMB"` // every replica's resident set, summed, before the streams
	RSSAfterMB  float64 `json:"rssAfterMB"`  // … with them open
	KBPerStream float64 `json:"kbPerStream"`
}

// visitor is one widget visitor of the scenario: a session and its
// conversation.
type visitor struct {
	token string
	conv  int64
}

// setupVisitors opens --visitors widget visitors, each with a conversation
// and an idle event stream (spread over the replicas), and measures the
// servers' memory before and after. Each step posts an agent's message
// through the REST API to a random visitor's conversation and times it
// until that visitor's stream delivers it ("deliver"; on two replicas half
// the deliveries cross from one replica to the other).
func setupVisitors(ctx context.Context, e *env) (stepFunc, func(context.Context, *Result), error) {
	embedID, err := widgetEmbedID(ctx, e)
	if err != nil {
		return nil, nil, err
	}
	base := func(i int) string { return e.api.bases[i%len(e.api.bases)] + "/widget/v1/" + embedID }
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
	post := func(ctx context.Context, url, token string, in, out any) error {
		return widgetPost(ctx, hc, url, token, in, out)
	}

	n := e.o.visitors
	vs := make([]visitor, n)
	if err := parallel(ctx, n, 16, func(i int) error {
		var err error
		vs[i], err = newVisitor(ctx, hc, base(i))
		return err
	}); err != nil {
		return nil, nil, err
	}

	stats := &VisitorStats{Streams: n, RSSBeforeMB: e.rssMB()}
	var mu sync.Mutex
	waiting := map[string]chan struct{}{}
	deliver := func(text string) {
		mu.Lock()
		ch := waiting[text]
		delete(waiting, text)
		mu.Unlock()
		if ch != nil {
			close(ch)
		}
	}
	streamsCtx, stopStreams := context.WithCancel(context.Background())
	var connected atomic.Int64
	streamClient := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 1}}
	err = parallel(ctx, n, 64, func(i int) error {
		req, err := http.NewRequestWithContext(streamsCtx, http.MethodGet, base(i)+"/stream", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+vs[i].token)
		resp, err := streamClient.Do(req)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return fmt.Errorf("stream: %s", resp.Status)
		}
		connected.Add(1)
		go func() {
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				line := sc.Text()
				if data, ok := strings.CutPrefix(line, "data: "); ok && strings.Contains(data, `"text":"bench-a-`) {
					var m struct {
						Text string `json:"text"`
					}
					if json.Unmarshal([]byte(data), &m) == nil {
						deliver(m.Text)
					}
				}
			}
		}()
		return nil
	})
	if err != nil {
		stopStreams()
		return nil, nil, err
	}
	// The org's event stream on the first replica, as the inbox and
	// `driftwood listen` follow it: each step's visitor message is timed
	// until it arrives there ("to-subscriber"; on two replicas half the
	// visitors post to the other one).
	req, err := http.NewRequestWithContext(streamsCtx, http.MethodGet, e.api.bases[0]+"/driftwood/v1/events/stream?types=new_message", nil)
	if err != nil {
		stopStreams()
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+e.api.token)
	resp, err := streamClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		stopStreams()
		return nil, nil, fmt.Errorf("org event stream: %v %v", err, resp)
	}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok && strings.Contains(data, `"body":"bench-v-`) {
				var env struct {
					Data struct {
						Body string `json:"body"`
					} `json:"data"`
				}
				if json.Unmarshal([]byte(data), &env) == nil {
					deliver(env.Data.Body)
				}
			}
		}
	}()
	time.Sleep(2 * time.Second) // the servers settle
	stats.RSSAfterMB = e.rssMB()
	if n > 0 && stats.RSSAfterMB > 0 {
		stats.KBPerStream = round((stats.RSSAfterMB-stats.RSSBeforeMB)*1024/float64(n), 1)
	}
	fmt.Fprintf(os.Stderr, "  visitors: %d streams open; servers' RSS %.1f -> %.1f MiB (%.1f KB per stream)\n",
		connected.Load(), stats.RSSBeforeMB, stats.RSSAfterMB, stats.KBPerStream)
	if e.o.profileDir != "" && len(e.servers) > 0 {
		// Where the idle streams' memory is: the heap (pprof) and the
		// goroutines and runtime.MemStats (text).
		s := e.servers[0]
		for what, file := range map[string]string{"heap": "heap.pprof", "heap?debug=1": "heap.txt", "goroutine?debug=1": "goroutines.txt"} {
			if err := s.savePprof(ctx, what, filepath.Join(e.o.profileDir, "visitors-idle-"+file)); err != nil {
				fmt.Fprintln(os.Stderr, "bench: profile:", err)
			}
		}
	}

	var seq atomic.Int64
	// await times from start until text arrives (or gives up) as op.
	await := func(ctx context.Context, rec *recorder, op, text string, ch chan struct{}, start time.Time) {
		select {
		case <-ch:
			rec.record(op, time.Since(start), nil)
		case <-time.After(10 * time.Second):
			mu.Lock()
			delete(waiting, text)
			mu.Unlock()
			rec.record(op, 0, fmt.Errorf("%s: a message did not arrive within 10 s", op))
		case <-ctx.Done():
		}
	}
	expect := func(text string) chan struct{} {
		ch := make(chan struct{})
		mu.Lock()
		waiting[text] = ch
		mu.Unlock()
		return ch
	}
	step := func(ctx context.Context, _ int, rec *recorder) error {
		// An agent's message through the REST API, to a visitor's stream.
		i := rand.IntN(len(vs))
		text := "bench-a-" + e.run + "-" + strconv.FormatInt(seq.Add(1), 10)
		ch := expect(text)
		start := time.Now()
		if err := e.api.do(ctx, rec, "post", http.MethodPost, fmt.Sprintf("/conversations/%d/messages", vs[i].conv),
			map[string]any{"type": "chat", "body": text}, nil); err != nil {
			return err
		}
		await(ctx, rec, "deliver", text, ch, start)

		// A visitor's message through the widget, to the org's stream.
		i = rand.IntN(len(vs))
		text = "bench-v-" + e.run + "-" + strconv.FormatInt(seq.Add(1), 10)
		ch = expect(text)
		start = time.Now()
		var out any
		err := post(ctx, base(i)+"/messages", vs[i].token, map[string]any{"body": text}, &out)
		if ctx.Err() != nil {
			return nil
		}
		rec.record("visitor-post", time.Since(start), err)
		if err != nil {
			return err
		}
		await(ctx, rec, "to-subscriber", text, ch, start)
		return nil
	}
	finish := func(_ context.Context, res *Result) {
		stopStreams()
		res.Visitors = stats
	}
	return step, finish, nil
}

// widgetEmbedID is the org's widget embed id, the {embedId} of the
// widget's routes.
func widgetEmbedID(ctx context.Context, e *env) (string, error) {
	var w struct {
		Data struct {
			EmbedID string `json:"embedId"`
		} `json:"data"`
	}
	err := e.api.do(ctx, nil, "", http.MethodGet, "/driftwood/v1/widget", nil, &w)
	return w.Data.EmbedID, err
}

// widgetPost posts in as JSON to a widget route (with the visitor's session
// token, when not "") and decodes the answer into out.
func widgetPost(ctx context.Context, hc *http.Client, url, token string, in, out any) error {
	b, _ := json.Marshal(in)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("POST %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// newVisitor opens a widget session at base (…/widget/v1/{embedId}) and
// starts its conversation with a first message.
func newVisitor(ctx context.Context, hc *http.Client, base string) (visitor, error) {
	var s struct {
		Data struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	if err := widgetPost(ctx, hc, base+"/sessions", "", map[string]any{}, &s); err != nil {
		return visitor{}, err
	}
	var m struct {
		Data struct {
			Conversation struct {
				ID int64 `json:"id"`
			} `json:"conversation"`
		} `json:"data"`
	}
	if err := widgetPost(ctx, hc, base+"/messages", s.Data.Token, map[string]any{"body": "Hello from a bench visitor"}, &m); err != nil {
		return visitor{}, err
	}
	return visitor{token: s.Data.Token, conv: m.Data.Conversation.ID}, nil
}

// parallel runs fn(0..n-1) on up to width goroutines, stopping at the first
// error.
func parallel(ctx context.Context, n, width int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range min(width, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// rssMB sums the current resident set (VmRSS) of the started replicas, in
// MiB; 0 against a --target.
func (e *env) rssMB() float64 {
	total := 0.0
	for _, s := range e.servers {
		b, err := os.ReadFile(s.procPath + "/status")
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(b)) {
			if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
				total += kb / 1024
			}
		}
	}
	return round(total, 1)
}
