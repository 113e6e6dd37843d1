package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for fresh schemas
)

// buildDriftwood builds cmd/driftwood of the module the tool runs in into
// dir and returns the binary's path.
func buildDriftwood(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run bench inside the driftwood module (go run ./bench), or pass --bin")
	}
	bin := filepath.Join(dir, "driftwood")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/driftwood")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/driftwood: %w\n%s", err, out)
	}
	return bin, nil
}

// database is a fresh database for one deployment: a SQLite file in a
// temporary directory, or a new schema of the PostgreSQL database.
type database struct {
	DSN  string
	drop func() error
}

// freshDatabase creates an empty database of kind "sqlite" or "postgres".
func freshDatabase(ctx context.Context, kind, dir, pgURL, name string) (*database, error) {
	if kind == "sqlite" {
		return &database{DSN: "sqlite:" + filepath.Join(dir, name+".db"), drop: func() error { return nil }}, nil
	}
	if pgURL == "" {
		return nil, errors.New("PostgreSQL needs --pg URL")
	}
	admin, err := sql.Open("pgx", pgURL)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	schema := "bench_" + strings.ReplaceAll(name, "-", "_") + "_" + randomHex(4)
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		return nil, fmt.Errorf("creating schema: %w", err)
	}
	return &database{DSN: withQuery(pgURL, "search_path", schema), drop: func() error {
		admin, err := sql.Open("pgx", pgURL)
		if err != nil {
			return err
		}
		defer admin.Close()
		_, err = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		return err
	}}, nil
}

// server is a driftwood serve process this tool started.
type server struct {
	cmd      *exec.Cmd
	base     string // http://127.0.0.1:PORT
	pprof    string // host:port of its profiles
	startup  time.Duration
	exited   chan struct{}
	waitErr  error
	logPath  string
	logFile  *os.File
	procPath string
}

// startServer starts bin serve on db with a free loopback port and waits
// until /readyz answers 200; startup is the time from exec to ready.
func startServer(ctx context.Context, bin, dir, dsn, token, key string, n int) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	pport, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	s := &server{base: "http://" + addr, pprof: "127.0.0.1:" + strconv.Itoa(pport), exited: make(chan struct{})}
	s.logPath = filepath.Join(dir, fmt.Sprintf("server-%d-%s.log", n, randomHex(2)))
	if s.logFile, err = os.Create(s.logPath); err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "serve", "--addr", addr, "--db", dsn, "--rate-limit", "0",
		"--webhook-retry-schedule", "200ms,1s,2s", "--pprof-addr", s.pprof)
	// The country header by environment, not flag: a binary from before
	// --trusted-country-header (--bin old,new) ignores it and still starts.
	s.cmd.Env = append(os.Environ(), "DRIFTWOOD_BOOTSTRAP_TOKEN="+token, "DRIFTWOOD_SECRET_KEY="+key,
		"DRIFTWOOD_TRUSTED_COUNTRY_HEADER="+benchCountryHeader)
	s.cmd.Stdout, s.cmd.Stderr = s.logFile, s.logFile
	start := time.Now()
	if err := s.cmd.Start(); err != nil {
		s.logFile.Close()
		return nil, err
	}
	s.procPath = fmt.Sprintf("/proc/%d", s.cmd.Process.Pid)
	go func() { s.waitErr = s.cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(ctx, 30*time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("driftwood did not become ready: %w (log: %s)", err, s.logPath)
	}
	s.startup = time.Since(start)
	return s, nil
}

// waitReady polls /readyz every millisecond.
func (s *server) waitReady(ctx context.Context, limit time.Duration) error {
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("exited: %v", s.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if resp, err := hc.Get(s.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return errors.New("timed out")
}

// stop asks the server to shut down (SIGTERM) and waits for it.
func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.logFile.Close()
}

// resetPeakRSS starts a new peak-RSS measurement (writing 5 to clear_refs
// resets VmHWM, Linux 4.0+).
func (s *server) resetPeakRSS() {
	os.WriteFile(s.procPath+"/clear_refs", []byte("5"), 0)
}

// peakRSSMB is VmHWM from /proc/PID/status, the peak resident set since
// start or the last resetPeakRSS, in MiB.
func (s *server) peakRSSMB() float64 {
	b, err := os.ReadFile(s.procPath + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return round(kb/1024, 1)
		}
	}
	return 0
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times; 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// cpuSeconds is the process's user+system CPU time from /proc/PID/stat.
func (s *server) cpuSeconds() float64 {
	b, err := os.ReadFile(s.procPath + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the parenthesized command name; utime and stime are the
	// 14th and 15th fields of the whole line.
	rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / clockTicks
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func randomKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
