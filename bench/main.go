// Command bench is Driftwood's load tool. It starts Driftwood (built from
// this module) on a fresh database, or targets a running one, creates its
// own org data, and runs named scenarios with a fixed number of concurrent
// clients for a fixed time. Beside them it measures two baselines on the
// same machine in the same run, a minimal Go HTTP handler (the ceiling) and
// the raw database transaction of a message post, so that every figure is
// also a ratio. See bench/README.md.
//
//	go run ./bench                                   # SQLite, every scenario
//	go run ./bench --stores sqlite,postgres,postgres-x2 --pg postgres://…
//	go run ./bench --target http://127.0.0.1:7070 --token T --scenarios contacts
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	scenarios     []string
	stores        []string
	pgURL         string
	targets       []string
	token         string
	bins          []string
	runs          int
	clients       int
	duration      time.Duration
	conversations int
	visitors      int
	agents        int
	// inboxConversations is how many conversations inbox-first-load starts.
	inboxConversations int
	jsonPath           string
	profileDir         string
	baselines          bool
	keep               bool
}

// storeKinds maps each deployment name to its database and replica count.
var storeKinds = map[string]struct {
	kind     string
	replicas int
}{
	"sqlite":      {"sqlite", 1},
	"postgres":    {"postgres", 1},
	"postgres-x2": {"postgres", 2},
}

func parseOptions(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scen := fs.String("scenarios", "contacts,messages,mixed,webhooks", "scenarios to run, comma-separated")
	stores := fs.String("stores", "sqlite", "deployments to start, comma-separated: sqlite, postgres, postgres-x2 (two replicas, round-robin)")
	fs.StringVar(&o.pgURL, "pg", os.Getenv("BENCH_POSTGRES_URL"), "PostgreSQL URL for postgres stores; each deployment gets a fresh schema, dropped after (env BENCH_POSTGRES_URL)")
	target := fs.String("target", "", "run against running Driftwood replica(s) instead of starting one: URL[,URL…], round-robin")
	fs.StringVar(&o.token, "token", "", "with --target: an admin token of the org to use")
	bins := fs.String("bin", "", "driftwood binaries to start, comma-separated: with two or more, each run runs each in turn, for a comparison (default: go build ./cmd/driftwood)")
	fs.IntVar(&o.runs, "runs", 1, "run everything this many times and report the medians (and each run in the JSON)")
	fs.IntVar(&o.clients, "clients", 32, "concurrent clients")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "time per scenario and baseline")
	fs.IntVar(&o.conversations, "conversations", 50, "conversations the message scenarios post to")
	fs.IntVar(&o.visitors, "visitors", 1000, "idle widget visitor streams the visitors scenario holds open")
	fs.IntVar(&o.agents, "agents", 50, "agents the inbox scenario signs in, each holding its inbox event stream open")
	fs.IntVar(&o.inboxConversations, "inbox-conversations", 10000, "conversations inbox-first-load starts before timing the inbox's first open")
	fs.StringVar(&o.jsonPath, "json", "", "also write the report as JSON to this file")
	fs.StringVar(&o.profileDir, "profile", "", "save a CPU profile and a 3 s execution trace of each scenario of a started server into this directory")
	fs.BoolVar(&o.baselines, "baselines", true, "measure the ceiling and raw-transaction baselines")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (server logs, SQLite files) and print its path")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *bins != "" {
		o.bins = strings.Split(*bins, ",")
	}
	o.scenarios = strings.Split(*scen, ",")
	for _, s := range o.scenarios {
		if !slices.ContainsFunc(scenarios, func(sc scenario) bool { return sc.name == s }) {
			return nil, fmt.Errorf("--scenarios: unknown scenario %q", s)
		}
	}
	if *target != "" {
		o.targets = strings.Split(strings.TrimRight(*target, "/"), ",")
		for _, t := range o.targets {
			if !isLoopbackURL(t) {
				return nil, fmt.Errorf("--target: %q is not a loopback URL; bench only loads this machine", t)
			}
		}
		if o.token == "" {
			return nil, errors.New("--target needs --token")
		}
	} else {
		o.stores = strings.Split(*stores, ",")
		for _, s := range o.stores {
			k, ok := storeKinds[s]
			if !ok {
				return nil, fmt.Errorf("--stores: unknown store %q", s)
			}
			if k.kind == "postgres" && o.pgURL == "" {
				return nil, fmt.Errorf("--stores %s needs --pg URL", s)
			}
		}
	}
	if o.clients < 1 || o.duration <= 0 || o.conversations < 1 || o.runs < 1 || o.agents < 1 || o.inboxConversations < 1 {
		return nil, errors.New("--clients, --duration, --conversations, --runs, --agents and --inbox-conversations must be positive")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "driftwood-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(stderr, "keeping", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bins := o.bins
	switch {
	case len(o.targets) > 0:
		bins = []string{""}
	case len(bins) == 0:
		fmt.Fprintln(stderr, "building driftwood")
		bin, err := buildDriftwood(ctx, dir)
		if err != nil {
			return err
		}
		bins = []string{bin}
	}
	// Runs alternate the binaries, so that a comparison sees the machine's
	// moods alike.
	reports := make([][]*Report, len(bins))
	for i := range o.runs {
		for b, bin := range bins {
			if o.runs > 1 || len(bins) > 1 {
				fmt.Fprintf(stderr, "run %d of %d: %s\n", i+1, o.runs, binLabel(bins, b))
			}
			runDir, err := os.MkdirTemp(dir, "run-") // fresh databases for each run
			if err != nil {
				return err
			}
			rep, err := runOnce(ctx, o, bin, runDir, stderr)
			if err != nil {
				return err
			}
			reports[b] = append(reports[b], rep)
		}
	}
	if o.runs == 1 && len(bins) == 1 {
		rep := reports[0][0]
		rep.writeTable(stdout)
		if o.jsonPath != "" {
			return writeJSON(o.jsonPath, rep)
		}
		return nil
	}
	all := &MultiReport{}
	for b := range bins {
		m := medianReport(reports[b])
		m.Binary = binLabel(bins, b)
		all.Medians = append(all.Medians, m)
		all.Runs = append(all.Runs, reports[b]...)
		fmt.Fprintf(stdout, "\nmedians of %d runs of %s", o.runs, m.Binary)
		m.writeTable(stdout)
	}
	if o.jsonPath != "" {
		return writeJSON(o.jsonPath, all)
	}
	return nil
}

// runOnce runs the baselines and every deployment's scenarios once, with
// bin as the server ("" against --target).
func runOnce(ctx context.Context, o *options, bin, dir string, stderr io.Writer) (*Report, error) {
	rep := &Report{Machine: machine(), Clients: o.clients, Duration: o.duration.String()}
	progress := func(r *Result) {
		rep.Results = append(rep.Results, r)
		if r.Note != "" {
			fmt.Fprintf(stderr, "  %-12s %-10s %s\n", r.Store, r.Scenario, r.Note)
			return
		}
		fmt.Fprintf(stderr, "  %-12s %-10s %9.1f req/s  p99 %7.2f ms  errors %d\n", r.Store, r.Scenario, r.RPS, r.P99, r.Errors)
	}
	if o.baselines {
		fmt.Fprintln(stderr, "ceiling: minimal net/http handler")
		r, err := runCeiling(ctx, o)
		if err != nil {
			return nil, fmt.Errorf("ceiling: %w", err)
		}
		progress(r)
	}
	var err error
	if len(o.targets) > 0 {
		err = runScenarios(ctx, o, &deployment{name: "target", bases: o.targets, token: o.token}, progress)
	} else {
		err = runStores(ctx, o, bin, dir, rep, progress, stderr)
	}
	if err != nil {
		return nil, err
	}
	rep.ratios()
	return rep, nil
}

// runStores starts each deployment of --stores in turn on a fresh
// database, measures its startup and runs the scenarios against it, after
// the raw-transaction baseline of its kind of database.
func runStores(ctx context.Context, o *options, bin, dir string, rep *Report, progress func(*Result), stderr io.Writer) error {
	rawDone := map[string]bool{}
	for _, name := range o.stores {
		k := storeKinds[name]
		if o.baselines && !rawDone[k.kind] {
			fmt.Fprintf(stderr, "%s: raw transaction baseline\n", k.kind)
			r, err := runRawTx(ctx, o, k.kind, k.kind, dir)
			if err != nil {
				return fmt.Errorf("raw-tx on %s: %w", k.kind, err)
			}
			progress(r)
			rawDone[k.kind] = true
		}
		fmt.Fprintf(stderr, "%s: starting %d replica(s)\n", name, k.replicas)
		d, err := deploy(ctx, o, bin, dir, name, k.kind, k.replicas)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		rep.Startup = append(rep.Startup, d.startup)
		err = runScenarios(ctx, o, d, progress)
		d.stop()
		if err != nil {
			return err
		}
	}
	return nil
}

// runScenarios runs every scenario of --scenarios against d.
func runScenarios(ctx context.Context, o *options, d *deployment, progress func(*Result)) error {
	e := &env{api: newAPI(d.bases, d.token, o.clients), o: o, run: randomHex(4), servers: d.servers}
	for _, sc := range scenarios {
		if !slices.Contains(o.scenarios, sc.name) {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		clients := o.clients
		if sc.clients != 0 {
			clients = sc.clients
		}
		res := &Result{Store: d.name, Scenario: sc.name, Clients: clients}
		step, finish, err := sc.setup(ctx, e)
		switch {
		case errors.Is(err, errUnavailable):
			res.Note = errUnavailable.Error()
			progress(res)
			continue
		case err != nil:
			return fmt.Errorf("%s %s: setup: %w", d.name, sc.name, err)
		}
		measure := d.measure(ctx, o, sc.name)
		rec, elapsed, err := runLoad(ctx, clients, o.duration, step)
		res.Server = measure()
		summarize(res, rec, elapsed)
		if res.Server != nil && res.Requests > 0 {
			res.Server.CPUPerRequestUs = round(res.Server.CPUSeconds*1e6/float64(res.Requests), 0)
		}
		if errors.Is(err, errUnavailable) {
			res = &Result{Store: d.name, Scenario: sc.name, Clients: clients, Note: err.Error()}
		} else if finish != nil {
			finish(ctx, res)
		}
		progress(res)
	}
	return nil
}
