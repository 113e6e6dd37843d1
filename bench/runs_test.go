package main

import "testing"

func TestMedianReport(t *testing.T) {
	run := func(rps, p99, cpuUs float64, errors, missing int) *Report {
		return &Report{Clients: 32, Results: []*Result{
			{Store: "-", Scenario: "ceiling", RPS: rps * 10},
			{Store: "sqlite", Scenario: "webhooks", RPS: rps, Latency: Latency{P99: p99}, Errors: errors,
				Server:   &ServerStats{Replicas: 1, CPUPerRequestUs: cpuUs},
				Webhooks: &WebhookStats{Posted: 100, Delivered: 100 - missing, Missing: missing, Latency: Latency{P50: p99 / 2}}},
			{Store: "postgres", Scenario: "contacts", Note: "not available on this build"},
		}, Startup: []Startup{{Store: "sqlite", ExistingMs: p99}}}
	}
	m := medianReport([]*Report{run(100, 30, 400, 0, 0), run(300, 10, 300, 2, 1), run(200, 20, 500, 0, 0)})
	if len(m.Results) != 3 {
		t.Fatalf("%d results, want 3", len(m.Results))
	}
	ceiling, hooks, note := m.Results[0], m.Results[1], m.Results[2]
	if ceiling.RPS != 2000 {
		t.Errorf("ceiling median %v, want 2000", ceiling.RPS)
	}
	if hooks.RPS != 200 || hooks.P99 != 20 || hooks.Server.CPUPerRequestUs != 400 || hooks.Errors != 2 {
		t.Errorf("webhooks: rps %v p99 %v cpu %v errors %v; want medians 200, 20, 400 and errors summed to 2",
			hooks.RPS, hooks.P99, hooks.Server.CPUPerRequestUs, hooks.Errors)
	}
	if w := hooks.Webhooks; w.Posted != 300 || w.Missing != 1 || w.P50 != 10 {
		t.Errorf("webhook stats %+v: want 300 posted, 1 missing in all, p50 median 10", w)
	}
	if note.Note == "" {
		t.Error("a scenario unavailable in the runs lost its note")
	}
	if len(m.Startup) != 1 || m.Startup[0].ExistingMs != 20 {
		t.Errorf("startup %+v, want the median 20 ms", m.Startup)
	}
	if got := medianOf([]float64{4, 1, 3, 2}, func(x float64) float64 { return x }); got != 2.5 {
		t.Errorf("median of 1..4 = %v, want 2.5", got)
	}
}

func TestBinLabel(t *testing.T) {
	bins := []string{"/tmp/a/driftwood", "/tmp/b/driftwood", "/tmp/old"}
	for i, want := range []string{"driftwood#1", "driftwood#2", "old"} {
		if got := binLabel(bins, i); got != want {
			t.Errorf("binLabel(%d) = %q, want %q", i, got, want)
		}
	}
}

func TestMedianReport_Inbox(t *testing.T) {
	run := func(p99, firstMs float64, missing int) *Report {
		return &Report{Results: []*Result{
			{Store: "sqlite", Scenario: "inbox", Inbox: &InboxStats{Agents: 50, Streams: 50, Posted: 10, Arrivals: 500 - missing,
				Missing: missing, ToAgent: Latency{P99: p99}}},
			{Store: "sqlite", Scenario: "inbox-first-load", FirstLoad: &FirstLoadStats{Conversations: 10000,
				Requests: map[string]*FirstLoadRequest{"list": {FirstMs: firstMs, ServerSamples: 5, Server: Latency{P50: firstMs / 2}}}}},
		}}
	}
	m := medianReport([]*Report{run(300, 3, 0), run(100, 1, 2), run(200, 2, 0)})
	in, fl := m.Results[0].Inbox, m.Results[1].FirstLoad
	if in.Posted != 30 || in.Missing != 2 || in.Arrivals != 1498 || in.ToAgent.P99 != 200 || in.Streams != 50 {
		t.Errorf("inbox %+v: want counts summed, p99 the median 200", in)
	}
	if l := fl.Requests["list"]; l.FirstMs != 2 || l.Server.P50 != 1 || l.ServerSamples != 15 || fl.Conversations != 10000 {
		t.Errorf("first load %+v: want medians 2 and 1 ms, 15 samples", l)
	}
}
