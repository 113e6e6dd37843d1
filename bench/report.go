package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is one run of the tool: the machine, the startups and every
// scenario's and baseline's result.
type Report struct {
	// Binary names the server binary when runs compare several (--bin a,b).
	Binary   string    `json:"binary,omitempty"`
	Machine  Machine   `json:"machine"`
	Clients  int       `json:"clients"`
	Duration string    `json:"durationPerScenario"`
	Startup  []Startup `json:"startup,omitempty"`
	Results  []*Result `json:"results"`
}

// Machine is where the figures come from.
type Machine struct {
	CPUs       int    `json:"cpus"`
	MemTotalMB int    `json:"memTotalMB"`
	GoVersion  string `json:"goVersion"`
	OS         string `json:"os"`
	Time       string `json:"time"`
}

func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		Time: time.Now().UTC().Format(time.RFC3339)}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
				m.MemTotalMB = kb / 1024
			}
		}
	}
	return m
}

// Result is one scenario (or baseline) on one deployment.
type Result struct {
	Store    string  `json:"store"`
	Scenario string  `json:"scenario"`
	Clients  int     `json:"clients"`
	Seconds  float64 `json:"seconds"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	RPS      float64 `json:"rps"`
	Latency
	// WritesPerSec counts message posts: the figure compared with raw-tx.
	WritesPerSec float64 `json:"writesPerSec,omitempty"`
	// CeilingRatio is RPS over the minimal handler's RPS.
	CeilingRatio float64 `json:"ceilingRatio,omitempty"`
	// TxRatio is WritesPerSec over the raw transaction rate of the same
	// kind of database.
	TxRatio    float64            `json:"txRatio,omitempty"`
	Server     *ServerStats       `json:"server,omitempty"`
	Webhooks   *WebhookStats      `json:"webhooks,omitempty"`
	Visitors   *VisitorStats      `json:"visitors,omitempty"`
	Inbox      *InboxStats        `json:"inbox,omitempty"`
	FirstLoad  *FirstLoadStats    `json:"firstLoad,omitempty"`
	Compare    *Compare           `json:"compare,omitempty"` // routing, playbook: two kinds of request side by side
	Ops        map[string]OpStats `json:"ops,omitempty"`
	FirstError string             `json:"firstError,omitempty"`
	Note       string             `json:"note,omitempty"`
}

// ratios relates each result to the baselines of the run.
func (rep *Report) ratios() {
	var ceiling float64
	raw := map[string]float64{}
	for _, r := range rep.Results {
		switch r.Scenario {
		case "ceiling":
			ceiling = r.RPS
		case "raw-tx":
			raw[r.Store] = r.RPS
		}
	}
	for _, r := range rep.Results {
		if r.Note != "" || r.Scenario == "ceiling" || r.Scenario == "raw-tx" {
			continue
		}
		if ceiling > 0 {
			r.CeilingRatio = round(r.RPS/ceiling, 3)
		}
		if post, ok := r.Ops["post"]; ok {
			r.WritesPerSec = post.RPS
			kind := r.Store
			if k, ok := storeKinds[r.Store]; ok {
				kind = k.kind
			}
			if raw[kind] > 0 {
				r.TxRatio = round(post.RPS/raw[kind], 3)
			}
		}
	}
}

func (rep *Report) writeTable(w io.Writer) {
	m := rep.Machine
	fmt.Fprintf(w, "\nmachine: %d CPUs, %d MB, %s %s; %d clients, %s per scenario\n\n", m.CPUs, m.MemTotalMB, m.GoVersion, m.OS, rep.Clients, rep.Duration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "store\tscenario\treq/s\tp50 ms\tp90 ms\tp99 ms\terrors\t÷ceiling\twrites/s\t÷raw-tx\tRSS MB\tCPU %\tCPU µs/req\t note")
	for _, r := range rep.Results {
		if r.Note != "" {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t %s\n", r.Store, r.Scenario, r.Note)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.2f\t%.2f\t%.2f\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Store, r.Scenario, r.RPS, r.P50, r.P90, r.P99, r.Errors,
			opt(r.CeilingRatio, "%.2f"), opt(r.WritesPerSec, "%.0f"), opt(r.TxRatio, "%.2f"),
			serverStat(r, func(s *ServerStats) float64 { return s.PeakRSSMB }),
			serverStat(r, func(s *ServerStats) float64 { return s.CPUPercent }),
			serverStat(r, func(s *ServerStats) float64 { return s.CPUPerRequestUs }))
	}
	tw.Flush()
	for _, r := range rep.Results {
		if h := r.Webhooks; h != nil {
			fmt.Fprintf(w, "\nwebhooks on %s: %d posted, %d delivered, %d missing; API answer -> arrival p50 %.2f ms, p90 %.2f ms, p99 %.2f ms\n",
				r.Store, h.Posted, h.Delivered, h.Missing, h.P50, h.P90, h.P99)
		}
		if in := r.Inbox; in != nil {
			fmt.Fprintf(w, "\ninbox on %s: %d agents' streams, %d visitor messages, %d arrivals, %d missing; visitor post -> an agent's stream p50 %.2f ms, p90 %.2f ms, p99 %.2f ms; -> every agent's p50 %.2f ms, p99 %.2f ms\n",
				r.Store, in.Streams, in.Posted, in.Arrivals, in.Missing, in.ToAgent.P50, in.ToAgent.P90, in.ToAgent.P99, in.ToAllAgents.P50, in.ToAllAgents.P99)
		}
		if fl := r.FirstLoad; fl != nil {
			fmt.Fprintf(w, "\ninbox first load on %s, %d conversations started in %.1f s:\n", r.Store, fl.Conversations, fl.SeedSeconds)
			for _, q := range firstLoadRequests {
				if x := fl.Requests[q.op]; x != nil {
					fmt.Fprintf(w, "  %-8s first %.2f ms (server %.2f); client p50 %.2f p99 %.2f ms; server p50 %.2f p99 %.2f ms (%d) %s\n",
						q.op, x.FirstMs, x.FirstServerMs, x.Client.P50, x.Client.P99, x.Server.P50, x.Server.P99, x.ServerSamples, x.Path)
				}
			}
		}
		if c := r.Compare; c != nil {
			fmt.Fprintf(w, "\n%s %s: %s\n  %-14s p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms  (%d)\n  %-14s p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms  (%d)\n  %-14s p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms\n  %-14s p50 %7.2f     p90 %7.2f     p99 %7.2f\n",
				r.Store, r.Scenario, c.Header, c.A, c.ALat.P50, c.ALat.P90, c.ALat.P99, c.N[0], c.B, c.BLat.P50, c.BLat.P90, c.BLat.P99, c.N[1],
				"difference", c.Diff.P50, c.Diff.P90, c.Diff.P99, "ratio", c.Ratio.P50, c.Ratio.P90, c.Ratio.P99)
			if c.Assigned > 0 {
				fmt.Fprintf(w, "  %d conversations assigned to the scenario's agents\n", c.Assigned)
			}
		}
		if r.FirstError != "" {
			fmt.Fprintf(w, "\nfirst error of %s %s: %s\n", r.Store, r.Scenario, r.FirstError)
		}
	}
	if len(rep.Startup) > 0 {
		fmt.Fprintln(w, "\nstartup to ready (/readyz 200):")
		for _, s := range rep.Startup {
			fmt.Fprintf(w, "  %-12s fresh database %6.1f ms, existing database %6.1f ms, idle RSS %.1f MB\n", s.Store, s.FreshMs, s.ExistingMs, s.IdleRSSMB)
		}
	}
}

func opt(v float64, format string) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

func serverStat(r *Result, f func(*ServerStats) float64) string {
	if r.Server == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f", f(r.Server))
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
