package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// The binary, built once for the package's tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "driftwood-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "driftwood")
	// Stamp the revision (for driftwood version) whenever the go command can.
	buildvcs := "-buildvcs=false"
	if gitRevision() != "" {
		buildvcs = "-buildvcs=true"
	}
	build := exec.Command("go", "build", buildvcs, "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // the binary needs no cgo
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building driftwood: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// gitRevision is the commit the go command stamps into a build of this
// checkout, or "" when it stamps none: outside git, or in a git worktree
// (whose .git is a file, which the go command does not recognise).
func gitRevision() string {
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return ""
	}
	if fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err != nil || !fi.IsDir() {
		return ""
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(head))
}

// server is a driftwood serve process.
type server struct {
	cmd    *exec.Cmd
	url    string
	stdout *syncBuffer
	stderr *syncBuffer
}

// syncBuffer is a bytes.Buffer that the goroutine copying a process's
// output writes while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer runs driftwood serve with env and args and waits for /readyz.
func startServer(t *testing.T, env []string, args ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(binary, append([]string{"serve", "--addr", addr}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	s := &server{cmd: cmd, url: "http://" + addr, stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	cmd.Stdout = s.stdout
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := http.Get(s.url + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return s
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("server did not become ready; stderr:\n%s", s.stderr)
	return nil
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("serve exited with %v; stderr:\n%s", err, s.stderr)
	}
}

// driftwood runs a CLI command and returns its stdout.
func driftwood(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("driftwood %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

func get(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	return r.StatusCode
}

func TestCLI_DemoOrgAndTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		env := []string{"DRIFTWOOD_DB=" + b.DSN(t), "DRIFTWOOD_SECRET_KEY=" + strings.Repeat("A", 43) + "="}
		if b.Name == "sqlite" {
			env = env[:1] // SQLite makes its own key file beside the database
		}
		s := startServer(t, env)
		// The token is printed before the server answers, but its copy from
		// the pipe may lag behind.
		var demo string
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			demo = s.stdout.String()
			if strings.Contains(demo, "\n\n") || time.Now().After(deadline) {
				break
			}
		}
		if !strings.Contains(demo, "Admin token (shown once, keep it): dwat_") {
			t.Fatalf("first start did not print the demo token:\n%s", demo)
		}
		token := strings.Fields(strings.SplitN(demo, "keep it): ", 2)[1])[0]
		if code := get(t, s.url+"/contacts?email=jane@acme.example", token); code != 200 {
			t.Fatalf("demo token: %d", code)
		}

		// org and token commands work beside the running server.
		var created struct {
			OrgID int64  `json:"orgId"`
			Token string `json:"token"`
		}
		if err := json.Unmarshal([]byte(driftwood(t, env, "org", "create", "--name", "Acme")), &created); err != nil {
			t.Fatal(err)
		}
		if created.OrgID == 0 || !strings.HasPrefix(created.Token, "dwat_") {
			t.Fatalf("org create printed %+v", created)
		}
		org := fmt.Sprint(created.OrgID)
		var tok struct {
			ID    int64  `json:"id"`
			Token string `json:"token"`
		}
		json.Unmarshal([]byte(driftwood(t, env, "token", "create", "--org", org, "--scopes", "contact_read")), &tok)
		if code := get(t, s.url+"/contacts?email=x@y.com", tok.Token); code != 200 {
			t.Fatalf("new token: %d", code)
		}
		if code := get(t, s.url+"/contacts/attributes", tok.Token); code != 403 {
			t.Fatalf("new token without all_contact_read: %d", code)
		}
		list := driftwood(t, env, "token", "list", "--org", org)
		if strings.Contains(list, tok.Token) || !strings.Contains(list, `"contact_read"`) {
			t.Fatalf("token list:\n%s", list)
		}
		driftwood(t, env, "token", "revoke", "--org", org, fmt.Sprint(tok.ID))
		if code := get(t, s.url+"/contacts?email=x@y.com", tok.Token); code != 401 {
			t.Fatalf("revoked token: %d", code)
		}
		// Bulk revocation: every token of the org at once, the admin's too.
		json.Unmarshal([]byte(driftwood(t, env, "token", "create", "--org", org, "--scopes", "contact_read")), &tok)
		if out := driftwood(t, env, "token", "revoke", "--org", org); !strings.Contains(out, "2 tokens revoked") {
			t.Fatalf("bulk revoke printed %q", out)
		}
		for _, raw := range []string{tok.Token, created.Token} {
			if code := get(t, s.url+"/contacts?email=x@y.com", raw); code != 401 {
				t.Fatalf("token after bulk revoke: %d", code)
			}
		}
		if code := get(t, s.url+"/contacts?email=jane@acme.example", token); code != 200 {
			t.Fatalf("another org's token after bulk revoke: %d", code)
		}
		created.Token = driftwood(t, env, "token", "create", "--org", org, "--scopes", "contact_read")
		json.Unmarshal([]byte(created.Token), &tok)
		created.Token = tok.Token

		// A restart keeps everything and prints no new demo token.
		s.stop(t)
		s2 := startServer(t, env)
		if strings.Contains(s2.stdout.String(), "Admin token") {
			t.Fatal("a second start printed a demo token again")
		}
		if code := get(t, s2.url+"/contacts?email=jane@acme.example", created.Token); code != 200 {
			t.Fatalf("org token after restart: %d", code)
		}
		s2.stop(t)
	})
}

func TestCLI_BootstrapToken(t *testing.T) {
	db := storetest.SQLiteDSN(t)
	s := startServer(t, []string{"DRIFTWOOD_DB=" + db, "DRIFTWOOD_BOOTSTRAP_TOKEN=my-ci-token"})
	if s.stdout.Len() != 0 {
		t.Fatalf("a bootstrap start printed:\n%s", s.stdout)
	}
	if code := get(t, s.url+"/contacts?email=a@b.com", "my-ci-token"); code != 200 {
		t.Fatalf("bootstrap token: %d", code)
	}
	raw, err := os.ReadFile(strings.TrimPrefix(db, "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("my-ci-token")) {
		t.Fatal("the raw bootstrap token is in the database file")
	}
	s.stop(t)
}

func TestCLI_HelpAndErrors(t *testing.T) {
	for _, args := range [][]string{{"serve", "--help"}, {"migrate", "--help"}, {"org", "--help"}, {"token", "--help"},
		{"token", "create", "--help"}, {"seed", "--help"}, {"help"}} {
		cmd := exec.Command(binary, args...)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Usage") {
			t.Errorf("driftwood %v: %v\n%s", args, err, out)
		}
	}
	if out := driftwood(t, nil, "version"); !strings.HasPrefix(out, "driftwood ") {
		t.Errorf("version printed %q", out)
	}
	for _, tc := range []struct {
		args []string
		env  []string
		want string
		code int
	}{
		{[]string{"frobnicate"}, nil, "unknown command", 2},
		{[]string{"serve", "--rate-limit", "fast"}, nil, "--rate-limit", 2},
		{[]string{"serve", "--db", "mysql://x"}, nil, "want sqlite:PATH or postgres://", 1},
		{[]string{"serve", "--db", "postgres://u:secret@127.0.0.1:1/x"}, nil, "DRIFTWOOD_SECRET_KEY", 1},
		{[]string{"token", "create", "--org", "1", "--scopes", "bogus"}, nil, "unknown scope", 2},
	} {
		cmd := exec.Command(binary, tc.args...)
		cmd.Env = append(os.Environ(), tc.env...)
		cmd.Dir = t.TempDir()
		out, err := cmd.CombinedOutput()
		exit, _ := err.(*exec.ExitError)
		if exit == nil || exit.ExitCode() != tc.code || !strings.Contains(string(out), tc.want) {
			t.Errorf("driftwood %v: %v, want exit %d mentioning %q:\n%s", tc.args, err, tc.code, tc.want, out)
		}
		if strings.Contains(string(out), "secret@") {
			t.Errorf("driftwood %v printed a database password:\n%s", tc.args, out)
		}
	}
}

// SIGTERM lets an in-flight request finish before the process exits.
func TestCLI_GracefulShutdown(t *testing.T) {
	s := startServer(t, []string{"DRIFTWOOD_DB=" + storetest.SQLiteDSN(t), "DRIFTWOOD_BOOTSTRAP_TOKEN=tok"})
	// A request whose body arrives slowly is in flight when SIGTERM comes.
	pr, pw := ioPipe()
	req, _ := http.NewRequestWithContext(context.Background(), "POST", s.url+"/contacts", pr)
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Content-Type", "application/json")
	done := make(chan int, 1)
	go func() {
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- -1
			return
		}
		r.Body.Close()
		done <- r.StatusCode
	}()
	pw.Write([]byte(`{"attributes": {"email": `))
	time.Sleep(200 * time.Millisecond)
	s.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond)
	pw.Write([]byte(`"late@x.com"}}`))
	pw.Close()
	if code := <-done; code != 200 {
		t.Fatalf("in-flight request during shutdown answered %d", code)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("serve exited with %v", err)
	}
}
