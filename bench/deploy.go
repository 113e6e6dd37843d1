package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/driftwood-chat/driftwood/internal/config"
)

// deployment is the Driftwood under test: replicas this tool started on one
// database, or running ones given by --target (no servers then).
type deployment struct {
	name    string
	bases   []string
	token   string
	servers []*server
	db      *database
	startup Startup
}

// Startup is how long a started server took from exec to a 200 on /readyz.
type Startup struct {
	Store string `json:"store"`
	// FreshMs is the first start: migrations and the bootstrap org included.
	FreshMs float64 `json:"freshMs"`
	// ExistingMs is a restart on the now existing database (the target).
	ExistingMs float64 `json:"existingMs"`
	// IdleRSSMB is the restarted server's peak RSS before any load.
	IdleRSSMB float64 `json:"idleRssMB"`
}

// deploy starts replicas of bin on a fresh database of kind. The first
// replica is started twice: on the empty database, then again on the
// database it created, the startup that matters for restarts and scale-out.
func deploy(ctx context.Context, o *options, bin, dir, name, kind string, replicas int) (*deployment, error) {
	db, err := freshDatabase(ctx, kind, dir, o.pgURL, name)
	if err != nil {
		return nil, err
	}
	if kind == "postgres" && replicas > 1 {
		// The replicas share one pool's worth of connections, as one replica
		// has: the comparison is of replicas, not of connections, and two
		// pools of 32 beside other clients exceed max_connections (100).
		db.DSN = withQuery(db.DSN, "pool_max_conns", strconv.Itoa(32/replicas))
	}
	d := &deployment{name: name, db: db, token: "bench_" + randomHex(16), startup: Startup{Store: name}}
	key := randomKey() // shared by the replicas, as PostgreSQL requires
	first, err := startServer(ctx, bin, dir, db.DSN, d.token, key, 0)
	if err != nil {
		db.drop()
		return nil, err
	}
	d.startup.FreshMs = ms(first.startup)
	first.stop()
	for i := range replicas {
		s, err := startServer(ctx, bin, dir, db.DSN, d.token, key, i+1)
		if err != nil {
			d.stop()
			return nil, err
		}
		if i == 0 {
			d.startup.ExistingMs = ms(s.startup)
			d.startup.IdleRSSMB = s.peakRSSMB()
		}
		d.servers = append(d.servers, s)
		d.bases = append(d.bases, s.base)
	}
	return d, nil
}

// stop stops the replicas and drops the database.
func (d *deployment) stop() {
	for _, s := range d.servers {
		s.stop()
	}
	if d.db != nil {
		d.db.drop()
	}
}

// ServerStats is what the started servers used during one scenario.
type ServerStats struct {
	Replicas int `json:"replicas"`
	// PeakRSSMB is the largest replica's peak resident set (VmHWM).
	PeakRSSMB float64 `json:"peakRssMB"`
	// CPUSeconds is the user+system time of all replicas; CPUPercent is
	// that over the scenario's wall time (100 = one core busy).
	CPUSeconds float64 `json:"cpuSeconds"`
	CPUPercent float64 `json:"cpuPercent"`
	// CPUPerRequestUs is CPUSeconds per request, in microseconds: the
	// server's cost of a request, steadier than req/s on a shared machine.
	CPUPerRequestUs float64 `json:"cpuPerRequestUs"`
}

// measure starts measuring the servers for scenario (and, with --profile,
// a CPU profile and an execution trace of the first replica); the returned func ends it. For a
// --target deployment it measures nothing and returns nil stats.
func (d *deployment) measure(ctx context.Context, o *options, scenario string) func() *ServerStats {
	if len(d.servers) == 0 {
		return func() *ServerStats { return nil }
	}
	cpu0 := 0.0
	for _, s := range d.servers {
		s.resetPeakRSS()
		cpu0 += s.cpuSeconds()
	}
	var profiled, profiled2 chan error
	if o.profileDir != "" {
		profiled = make(chan error, 1)
		path := filepath.Join(o.profileDir, fmt.Sprintf("%s-%s.cpu.pprof", d.name, scenario))
		go func() { profiled <- d.servers[0].profile(ctx, path, o.duration) }()
		// An execution trace too, of a few seconds: where a slow request's
		// time goes (running, waiting for the CPU, for a lock, for the
		// database), which the CPU profile does not say.
		profiled2 = make(chan error, 1)
		tpath := filepath.Join(o.profileDir, fmt.Sprintf("%s-%s.trace", d.name, scenario))
		go func() { profiled2 <- d.servers[0].savePprof(ctx, "trace?seconds=3", tpath) }()
	}
	start := time.Now()
	return func() *ServerStats {
		st := &ServerStats{Replicas: len(d.servers)}
		cpu := 0.0
		for _, s := range d.servers {
			st.PeakRSSMB = max(st.PeakRSSMB, s.peakRSSMB())
			cpu += s.cpuSeconds()
		}
		st.CPUSeconds = round(cpu-cpu0, 2)
		st.CPUPercent = round(100*(cpu-cpu0)/time.Since(start).Seconds(), 0)
		if profiled != nil {
			if err := <-profiled; err != nil {
				fmt.Fprintln(os.Stderr, "bench: profile:", err)
			}
			if err := <-profiled2; err != nil {
				fmt.Fprintln(os.Stderr, "bench: trace:", err)
			}
		}
		return st
	}
}

// profile saves a CPU profile of the server over (nearly) d to path.
func (s *server) profile(ctx context.Context, path string, d time.Duration) error {
	secs := max(1, int(d.Seconds())-1)
	return s.savePprof(ctx, "profile?seconds="+strconv.Itoa(secs), path)
}

// savePprof saves the server's /debug/pprof/<what> to path.
func (s *server) savePprof(ctx context.Context, what, path string) error {
	u := "http://" + s.pprof + "/debug/pprof/" + what
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", u, resp.Status)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// isLoopbackURL reports whether u is http(s) on a loopback host.
func isLoopbackURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") {
		return false
	}
	port := p.Port()
	if port == "" {
		port = "80"
	}
	return config.IsLoopback(net.JoinHostPort(p.Hostname(), port))
}

func ms(d time.Duration) float64 { return round(float64(d.Microseconds())/1000, 1) }

// withQuery returns the URL u with the query parameter key set to value.
func withQuery(u, key, value string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := p.Query()
	q.Set(key, value)
	p.RawQuery = q.Encode()
	return p.String()
}
