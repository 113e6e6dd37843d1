package main

import (
	"fmt"
	"path/filepath"
	"slices"
)

// MultiReport is the JSON of --runs N or of several --bin: each binary's
// medians, and every run's report.
type MultiReport struct {
	Medians []*Report `json:"medians"`
	Runs    []*Report `json:"runs"`
}

// binLabel names bins[i] in reports: its file name, with its position
// where two share one.
func binLabel(bins []string, i int) string {
	if bins[i] == "" {
		return "target"
	}
	name := filepath.Base(bins[i])
	for j, b := range bins {
		if j != i && filepath.Base(b) == name {
			return fmt.Sprintf("%s#%d", name, i+1)
		}
	}
	return name
}

// medianReport folds repeated runs into one report whose every figure is
// the median of the runs' (errors and lost webhooks are summed: one is
// one too many). A result that is a note in any run stays a note.
func medianReport(reps []*Report) *Report {
	out := &Report{Machine: reps[0].Machine, Clients: reps[0].Clients, Duration: reps[0].Duration}
	type key struct{ store, scenario string }
	var order []key
	byKey := map[key][]*Result{}
	for _, rep := range reps {
		for _, r := range rep.Results {
			k := key{r.Store, r.Scenario}
			if _, ok := byKey[k]; !ok {
				order = append(order, k)
			}
			byKey[k] = append(byKey[k], r)
		}
	}
	for _, k := range order {
		out.Results = append(out.Results, medianResult(byKey[k]))
	}
	startups := map[string][]Startup{}
	var stores []string
	for _, rep := range reps {
		for _, s := range rep.Startup {
			if _, ok := startups[s.Store]; !ok {
				stores = append(stores, s.Store)
			}
			startups[s.Store] = append(startups[s.Store], s)
		}
	}
	for _, store := range stores {
		ss := startups[store]
		out.Startup = append(out.Startup, Startup{Store: store,
			FreshMs:    medianOf(ss, func(s Startup) float64 { return s.FreshMs }),
			ExistingMs: medianOf(ss, func(s Startup) float64 { return s.ExistingMs }),
			IdleRSSMB:  medianOf(ss, func(s Startup) float64 { return s.IdleRSSMB })})
	}
	return out
}

func medianResult(rs []*Result) *Result {
	m := &Result{Store: rs[0].Store, Scenario: rs[0].Scenario, Clients: rs[0].Clients}
	for _, r := range rs {
		if r.Note != "" {
			m.Note = r.Note
			return m
		}
		m.Requests += r.Requests
		m.Errors += r.Errors
		if m.FirstError == "" {
			m.FirstError = r.FirstError
		}
	}
	m.Seconds = medianOf(rs, func(r *Result) float64 { return r.Seconds })
	m.RPS = medianOf(rs, func(r *Result) float64 { return r.RPS })
	m.P50 = medianOf(rs, func(r *Result) float64 { return r.P50 })
	m.P90 = medianOf(rs, func(r *Result) float64 { return r.P90 })
	m.P99 = medianOf(rs, func(r *Result) float64 { return r.P99 })
	m.WritesPerSec = medianOf(rs, func(r *Result) float64 { return r.WritesPerSec })
	m.CeilingRatio = medianOf(rs, func(r *Result) float64 { return r.CeilingRatio })
	m.TxRatio = medianOf(rs, func(r *Result) float64 { return r.TxRatio })
	if rs[0].Server != nil {
		m.Server = &ServerStats{Replicas: rs[0].Server.Replicas,
			PeakRSSMB:       medianOf(rs, func(r *Result) float64 { return r.Server.PeakRSSMB }),
			CPUSeconds:      medianOf(rs, func(r *Result) float64 { return r.Server.CPUSeconds }),
			CPUPercent:      medianOf(rs, func(r *Result) float64 { return r.Server.CPUPercent }),
			CPUPerRequestUs: medianOf(rs, func(r *Result) float64 { return r.Server.CPUPerRequestUs })}
	}
	if rs[0].Webhooks != nil {
		w := &WebhookStats{}
		for _, r := range rs {
			w.Posted += r.Webhooks.Posted
			w.Delivered += r.Webhooks.Delivered
			w.Missing += r.Webhooks.Missing
		}
		w.P50 = medianOf(rs, func(r *Result) float64 { return r.Webhooks.P50 })
		w.P90 = medianOf(rs, func(r *Result) float64 { return r.Webhooks.P90 })
		w.P99 = medianOf(rs, func(r *Result) float64 { return r.Webhooks.P99 })
		m.Webhooks = w
	}
	if rs[0].Inbox != nil {
		in := &InboxStats{Agents: rs[0].Inbox.Agents}
		for _, r := range rs {
			in.Posted += r.Inbox.Posted
			in.Arrivals += r.Inbox.Arrivals
			in.Missing += r.Inbox.Missing
		}
		in.Streams = int(medianOf(rs, func(r *Result) float64 { return float64(r.Inbox.Streams) }))
		in.ToAgent = medianLatency(rs, func(r *Result) Latency { return r.Inbox.ToAgent })
		in.ToAllAgents = medianLatency(rs, func(r *Result) Latency { return r.Inbox.ToAllAgents })
		m.Inbox = in
	}
	if rs[0].FirstLoad != nil {
		fl := &FirstLoadStats{Conversations: rs[0].FirstLoad.Conversations, Requests: map[string]*FirstLoadRequest{},
			SeedSeconds: medianOf(rs, func(r *Result) float64 { return r.FirstLoad.SeedSeconds })}
		for op, first := range rs[0].FirstLoad.Requests {
			var of []*FirstLoadRequest
			for _, r := range rs {
				if x := r.FirstLoad.Requests[op]; x != nil {
					of = append(of, x)
				}
			}
			x := &FirstLoadRequest{Path: first.Path,
				FirstMs:       medianOf(of, func(x *FirstLoadRequest) float64 { return x.FirstMs }),
				FirstServerMs: medianOf(of, func(x *FirstLoadRequest) float64 { return x.FirstServerMs }),
				Client:        medianLatency(of, func(x *FirstLoadRequest) Latency { return x.Client }),
				Server:        medianLatency(of, func(x *FirstLoadRequest) Latency { return x.Server })}
			for _, y := range of {
				x.ServerSamples += y.ServerSamples
			}
			fl.Requests[op] = x
		}
		m.FirstLoad = fl
	}
	if c := rs[0].Compare; c != nil {
		mc := &Compare{A: c.A, B: c.B, Header: c.Header}
		for _, r := range rs {
			mc.N[0] += r.Compare.N[0]
			mc.N[1] += r.Compare.N[1]
			mc.Assigned += r.Compare.Assigned
		}
		mc.ALat = Latency{P50: medianOf(rs, func(r *Result) float64 { return r.Compare.ALat.P50 }),
			P90: medianOf(rs, func(r *Result) float64 { return r.Compare.ALat.P90 }), P99: medianOf(rs, func(r *Result) float64 { return r.Compare.ALat.P99 })}
		mc.BLat = Latency{P50: medianOf(rs, func(r *Result) float64 { return r.Compare.BLat.P50 }),
			P90: medianOf(rs, func(r *Result) float64 { return r.Compare.BLat.P90 }), P99: medianOf(rs, func(r *Result) float64 { return r.Compare.BLat.P99 })}
		mc.fill()
		m.Compare = mc
	}
	return m
}

// medianLatency is each percentile's median over xs.
func medianLatency[T any](xs []T, f func(T) Latency) Latency {
	return Latency{P50: medianOf(xs, func(x T) float64 { return f(x).P50 }),
		P90: medianOf(xs, func(x T) float64 { return f(x).P90 }),
		P99: medianOf(xs, func(x T) float64 { return f(x).P99 })}
}

// medianOf is the median of f over xs (the mean of the middle two for an
// even count).
func medianOf[T any](xs []T, f func(T) float64) float64 {
	vs := make([]float64, len(xs))
	for i, x := range xs {
		vs[i] = f(x)
	}
	slices.Sort(vs)
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2]
	}
	return (vs[n/2-1] + vs[n/2]) / 2
}
