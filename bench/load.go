package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// errUnavailable is a 501 from the server: the scenario's routes are not
// implemented on this build, so the scenario is reported, not failed.
var errUnavailable = errors.New("not available on this build")

// api is an HTTP client of one or more Driftwood replicas behind a
// round-robin, sharing one connection pool as a real client would.
type api struct {
	hc    *http.Client
	bases []string
	next  atomic.Uint64
	token string
}

func newAPI(bases []string, token string, clients int) *api {
	return &api{
		hc: &http.Client{
			Transport: &http.Transport{
				MaxIdleConns:        2 * clients,
				MaxIdleConnsPerHost: clients,
				DisableCompression:  true,
			},
			Timeout: 30 * time.Second,
		},
		bases: bases,
		token: token,
	}
}

// do sends one request to the next replica, decodes a 2xx answer into out
// (when not nil) and records its latency under op in rec (when not nil).
// A non-2xx answer is an error; a 501 is errUnavailable. A request cut short
// because ctx ended (the run is over) is not recorded.
func (a *api) do(ctx context.Context, rec *recorder, op, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	base := a.bases[(a.next.Add(1)-1)%uint64(len(a.bases))]
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	start := time.Now()
	err = a.roundTrip(req, out)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if rec != nil {
		rec.record(op, time.Since(start), err)
	}
	return err
}

func (a *api) roundTrip(req *http.Request, out any) error {
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	switch {
	case resp.StatusCode == http.StatusNotImplemented:
		return errUnavailable
	case resp.StatusCode/100 != 2:
		return &statusError{status: resp.StatusCode, msg: fmt.Sprintf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, bytes.TrimSpace(b))}
	case out != nil && len(b) > 0: // a mock may answer 200 with no body
		return json.Unmarshal(b, out)
	}
	return nil
}

// statusError is a non-2xx answer.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

// recorder keeps one client's latencies and errors per kind of request.
// Each load client owns one; they are merged after the run.
type recorder struct {
	lat      map[string][]time.Duration
	errs     map[string]int
	firstErr error
}

func newRecorder() *recorder {
	return &recorder{lat: map[string][]time.Duration{}, errs: map[string]int{}}
}

func (r *recorder) record(op string, d time.Duration, err error) {
	if err != nil {
		r.errs[op]++
		if r.firstErr == nil {
			r.firstErr = err
		}
		return
	}
	r.lat[op] = append(r.lat[op], d)
}

func (r *recorder) merge(o *recorder) {
	for op, ds := range o.lat {
		r.lat[op] = append(r.lat[op], ds...)
	}
	for op, n := range o.errs {
		r.errs[op] += n
	}
	if r.firstErr == nil {
		r.firstErr = o.firstErr
	}
}

// stepFunc is one iteration of a scenario by one client: one or more
// requests, each recorded in rec.
type stepFunc func(ctx context.Context, client int, rec *recorder) error

// runLoad runs step in a loop on clients concurrent clients for d, and
// returns what they recorded and the time it took. It stops early, with
// errUnavailable, when a step meets a 501.
func runLoad(ctx context.Context, clients int, d time.Duration, step stepFunc) (*recorder, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	recs := make([]*recorder, clients)
	var unavailable atomic.Bool
	var wg sync.WaitGroup
	start := time.Now()
	for i := range clients {
		recs[i] = newRecorder()
		wg.Go(func() {
			for ctx.Err() == nil {
				if err := step(ctx, i, recs[i]); errors.Is(err, errUnavailable) {
					unavailable.Store(true)
					cancel()
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := newRecorder()
	for _, r := range recs {
		all.merge(r)
	}
	if unavailable.Load() {
		return all, elapsed, errUnavailable
	}
	return all, elapsed, nil
}

// Latency is a latency distribution in milliseconds.
type Latency struct {
	P50 float64 `json:"p50Ms"`
	P90 float64 `json:"p90Ms"`
	P99 float64 `json:"p99Ms"`
}

// latencyOf sorts ds and reads its percentiles.
func latencyOf(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	at := func(p float64) float64 {
		i := max(0, int(math.Ceil(p*float64(len(ds))))-1)
		return float64(ds[i].Microseconds()) / 1000
	}
	return Latency{P50: at(0.50), P90: at(0.90), P99: at(0.99)}
}

// OpStats is one kind of request within a scenario.
type OpStats struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	RPS      float64 `json:"rps"`
	Latency
}

// summarize fills res's counts, rates and latencies from rec over elapsed.
func summarize(res *Result, rec *recorder, elapsed time.Duration) {
	secs := elapsed.Seconds()
	res.Seconds = round(secs, 2)
	res.Ops = map[string]OpStats{}
	var all []time.Duration
	for op, ds := range rec.lat {
		all = append(all, ds...)
		res.Ops[op] = OpStats{Requests: len(ds), Errors: rec.errs[op], RPS: round(float64(len(ds))/secs, 1), Latency: latencyOf(ds)}
	}
	for op, n := range rec.errs {
		if _, ok := rec.lat[op]; !ok {
			res.Ops[op] = OpStats{Errors: n}
		}
		res.Errors += n
	}
	res.Requests = len(all)
	res.RPS = round(float64(len(all))/secs, 1)
	res.Latency = latencyOf(all)
	if rec.firstErr != nil {
		res.FirstError = truncate(rec.firstErr.Error(), 200)
	}
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
