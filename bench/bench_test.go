package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRun builds Driftwood, starts it on SQLite and runs the baselines and
// the contacts scenario for a second each: every figure must be there,
// with throughput and without errors.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and loads a server for a few seconds")
	}
	var rep Report
	table := runTool(t, []string{"--scenarios", "contacts", "--duration", "1s", "--clients", "4"}, &rep)
	got := map[string]*Result{}
	for _, r := range rep.Results {
		got[r.Store+"/"+r.Scenario] = r
	}
	for _, name := range []string{"-/ceiling", "sqlite/raw-tx", "sqlite/contacts"} {
		r := got[name]
		if r == nil || r.RPS <= 0 || r.Errors != 0 || r.P99 <= 0 {
			t.Errorf("%s: %+v, want throughput, latencies and no errors", name, r)
		}
	}
	c := got["sqlite/contacts"]
	if c != nil && (c.Server == nil || c.Server.PeakRSSMB <= 0 || c.CeilingRatio <= 0 || len(c.Ops) != 3) {
		t.Errorf("contacts: server %+v, ceiling ratio %v, ops %v", c.Server, c.CeilingRatio, c.Ops)
	}
	if len(rep.Startup) != 1 || rep.Startup[0].ExistingMs <= 0 {
		t.Errorf("startup: %+v", rep.Startup)
	}
	if !strings.Contains(table, "contacts") {
		t.Errorf("table has no contacts row:\n%s", table)
	}
}

func TestLatencyOf(t *testing.T) {
	var ds []int
	for i := 1; i <= 100; i++ {
		ds = append(ds, i)
	}
	l := latencyOf(msDurations(ds))
	if l.P50 != 50 || l.P90 != 90 || l.P99 != 99 {
		t.Errorf("latencyOf(1..100 ms) = %+v", l)
	}
}

func msDurations(ms []int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m) * time.Millisecond
	}
	return out
}

// TestRun_Runs runs the tool twice over (fresh databases each time) and
// reports both runs and their medians.
func TestRun_Runs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and loads a server for a few seconds")
	}
	var rep MultiReport
	table := runTool(t, []string{"--scenarios", "contacts", "--duration", "1s", "--clients", "2", "--runs", "2", "--baselines=false"}, &rep)
	if len(rep.Runs) != 2 || len(rep.Medians) != 1 {
		t.Fatalf("%d runs and %d medians, want 2 and 1", len(rep.Runs), len(rep.Medians))
	}
	m := rep.Medians[0].Results
	if len(m) != 1 || m[0].RPS <= 0 || m[0].Server == nil || m[0].Server.CPUPerRequestUs <= 0 {
		t.Fatalf("medians %+v, want the contacts scenario with throughput and CPU per request", m)
	}
	if !strings.Contains(table, "medians of 2 runs") {
		t.Errorf("table:\n%s", table)
	}
}

// TestRun_Inbox runs the inbox scenarios small on SQLite (and PostgreSQL
// with DRIFTWOOD_TEST_POSTGRES_URL): agents signed in through the
// invitation and sign-in forms, their inbox streams each receiving every
// visitor message, and the first open's requests found in the server's
// access log.
func TestRun_Inbox(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and loads a server for a few seconds")
	}
	stores := "sqlite"
	args := []string{"--scenarios", "inbox,inbox-first-load", "--agents", "3", "--inbox-conversations", "20",
		"--clients", "8", "--duration", "1s", "--baselines=false"}
	if pg := os.Getenv("DRIFTWOOD_TEST_POSTGRES_URL"); pg != "" {
		stores += ",postgres"
		args = append(args, "--pg", pg)
	}
	var rep Report
	runTool(t, append(args, "--stores", stores), &rep)
	got := map[string]*Result{}
	for _, r := range rep.Results {
		got[r.Store+"/"+r.Scenario] = r
	}
	for _, store := range strings.Split(stores, ",") {
		in := got[store+"/inbox"]
		if in == nil || in.Inbox == nil {
			t.Fatalf("%s: no inbox result: %+v", store, in)
		}
		s := in.Inbox
		if s.Agents != 3 || s.Streams != 3 || s.Posted == 0 || s.Missing != 0 || s.Arrivals != 3*s.Posted ||
			s.ToAgent.P50 <= 0 || s.ToAllAgents.P99 < s.ToAgent.P50 {
			t.Errorf("%s inbox: %+v, want every visitor message in each of the 3 agents' streams", store, s)
		}
		if in.Ops["visitor-post"].Requests == 0 || in.Ops["list"].Requests == 0 || in.Errors != 0 {
			t.Errorf("%s inbox: ops %+v, errors %d (%s); want visitor posts beside the mixed load", store, in.Ops, in.Errors, in.FirstError)
		}
		fl := got[store+"/inbox-first-load"]
		if fl == nil || fl.FirstLoad == nil || fl.Clients != 1 {
			t.Fatalf("%s: no inbox-first-load result with one client: %+v", store, fl)
		}
		if fl.FirstLoad.Conversations != 20 {
			t.Errorf("%s: %d conversations started, want 20", store, fl.FirstLoad.Conversations)
		}
		for _, q := range firstLoadRequests {
			r := fl.FirstLoad.Requests[q.op]
			if r == nil || r.FirstMs <= 0 || r.Client.P50 <= 0 || r.ServerSamples == 0 || r.Server.P50 <= 0 || r.Server.P50 > r.Client.P99 {
				t.Errorf("%s first load %s: %+v, want client times and server times from the access log", store, q.op, r)
			}
		}
	}
}

// The routing and playbook scenarios time both kinds of their request in
// one load, and the routed conversations were assigned to the bench's
// agents.
func TestRun_RoutingAndPlaybook(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and loads a server for a few seconds")
	}
	var rep Report
	table := runTool(t, []string{"--scenarios", "routing,playbook", "--duration", "2s", "--clients", "2", "--baselines=false"}, &rep)
	if len(rep.Results) != 2 {
		t.Fatalf("results: %+v", rep.Results)
	}
	for _, r := range rep.Results {
		c := r.Compare
		if r.Errors != 0 || c == nil || c.N[0] == 0 || c.N[1] == 0 || c.ALat.P50 <= 0 || c.BLat.P50 <= 0 {
			t.Errorf("%s: errors %d (%s), compare %+v", r.Scenario, r.Errors, r.FirstError, c)
			continue
		}
		if r.Scenario == "routing" && c.Assigned < c.N[0] {
			t.Errorf("routing: %d routed requests, %d conversations assigned to the agents", c.N[0], c.Assigned)
		}
	}
	if !strings.Contains(table, "ratio") {
		t.Errorf("table:\n%s", table)
	}
}

// runTool runs the tool with args and its JSON report written to a file,
// decodes the report into rep and returns the table it printed.
func runTool(t *testing.T, args []string, rep any) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.json")
	var table strings.Builder
	if err := run(context.Background(), append(args, "--json", out), &table, io.Discard); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, rep); err != nil {
		t.Fatal(err)
	}
	return table.String()
}
