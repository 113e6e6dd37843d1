package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// runCLI runs a command in process and returns its stdout, stderr and error.
func runCLI(env map[string]string, args ...string) (string, string, error) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

// No --help or usage message shows a token, secret or password taken from
// the environment; each says where the value comes from instead.
func TestCLI_HelpHidesSecrets(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"DRIFTWOOD_TOKEN":           "dwat_tokenFromTheEnvironment",
		"DRIFTWOOD_SIGNING_SECRET":  "whsec_c2lnbmluZ1NlY3JldEZyb21UaGVFbnY=",
		"DRIFTWOOD_DB":              "postgres://driftwood:dbPasswordFromEnv@127.0.0.1:1/x?sslmode=disable",
		"DRIFTWOOD_SECRET_KEY":      "a2V5RnJvbVRoZUVudmlyb25tZW50S2V5RnJvbVRoZUU=",
		"DRIFTWOOD_BOOTSTRAP_TOKEN": "bootstrapFromTheEnvironment",
	}
	secretParts := []string{"tokenFromTheEnvironment", "c2lnbmluZ1NlY3JldEZyb21UaGVFbnY", "dbPasswordFromEnv",
		"a2V5RnJvbVRoZUVudmlyb25tZW50", "bootstrapFromTheEnvironment"}
	commands := [][]string{{"serve"}, {"migrate"}, {"org", "create"}, {"token", "create"}, {"token", "list"},
		{"token", "revoke"}, {"seed"}, {"trigger", "new_message"}, {"listen"}, {"healthcheck"}, {"version"}, {"playbook", "test"}}
	for _, cmd := range commands {
		for _, extra := range [][]string{{"--help"}, {"--no-such-flag"}} {
			args := append(slices.Clone(cmd), extra...)
			stdout, stderr, err := runCLI(env, args...)
			out := stdout + stderr
			if extra[0] == "--help" && !errors.Is(err, flag.ErrHelp) {
				t.Errorf("driftwood %v: %v, want help", args, err)
			}
			if !strings.Contains(out, "Usage") {
				t.Errorf("driftwood %v printed no usage:\n%s", args, out)
			}
			for _, secret := range secretParts {
				if strings.Contains(out, secret) {
					t.Errorf("driftwood %v printed %q from the environment:\n%s", args, secret, out)
				}
			}
		}
	}
	_, stderr, _ := runCLI(env, "listen", "--help")
	if !strings.Contains(stderr, "(default: from DRIFTWOOD_TOKEN)") {
		t.Errorf("listen --help does not say the token comes from DRIFTWOOD_TOKEN:\n%s", stderr)
	}
	_, stderr, _ = runCLI(env, "serve", "--help")
	if !strings.Contains(stderr, "postgres://driftwood:xxxxx@127.0.0.1:1/x") {
		t.Errorf("serve --help does not show DRIFTWOOD_DB redacted:\n%s", stderr)
	}
}

func TestCLI_TopLevelHelpAndVersion(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"--help", "-h", "help"} {
		stdout, _, err := runCLI(nil, arg)
		if err != nil || !strings.Contains(stdout, "driftwood token create") || !strings.Contains(stdout, "Run 'driftwood COMMAND --help'") {
			t.Errorf("driftwood %s: %v\n%s", arg, err, stdout)
		}
	}
	stdout, stderr, err := runCLI(nil, "version", "--help")
	if !errors.Is(err, flag.ErrHelp) || stdout != "" || !strings.Contains(stderr, "Usage: driftwood version") {
		t.Errorf("version --help: %v, stdout %q, stderr %q", err, stdout, stderr)
	}
	if _, _, err := runCLI(nil, "version", "extra"); err != nil {
		t.Errorf("version extra: %v", err)
	}
}

// The binary reports the revision it was built from.
func TestCLI_VersionHasRevision(t *testing.T) {
	t.Parallel()
	out := driftwood(t, nil, "version")
	head := gitRevision()
	if head == "" {
		if !strings.Contains(out, "revision unknown") {
			t.Errorf("version printed %q, want it to say the revision is unknown", out)
		}
		t.Skip("not a git checkout the go command stamps (outside git, or a worktree): no revision to compare")
	}
	if !strings.HasPrefix(out, "driftwood ") || !strings.Contains(out, "revision "+head) {
		t.Errorf("version printed %q, want the revision %s", out, head)
	}
}

// A first start on a taken port fails before it creates anything, so the
// demo token is not printed into a failed start and lost.
func TestCLI_TakenPortCreatesNothing(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	cmd := exec.Command(binary, "serve", "--addr", ln.Addr().String(), "--db", "sqlite:"+filepath.Join(dir, "d.db"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 || !strings.Contains(stderr.String(), "--addr") {
		t.Fatalf("serve on a taken port: %v\n%s", err, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("serve on a taken port printed:\n%s", stdout.String())
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("serve on a taken port created %v", files)
	}
}

// token create --all-scopes, token revoke of a missing app, and seed over
// existing data, run in process against a real database.
func TestCLI_AdminCommands(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DRIFTWOOD_DB": storetest.SQLiteDSN(t)}
	stdout, _, err := runCLI(env, "org", "create", "--name", "Admin Co")
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		OrgID int64 `json:"orgId"`
	}
	if err := json.Unmarshal([]byte(stdout), &created); err != nil {
		t.Fatal(err)
	}
	org := fmt.Sprint(created.OrgID)

	for _, args := range [][]string{{"--all-scopes"}, {"--scopes", "all"}} {
		stdout, _, err := runCLI(env, append([]string{"token", "create", "--org", org}, args...)...)
		if err != nil {
			t.Fatalf("token create %v: %v", args, err)
		}
		var tok struct{ Scopes []auth.Scope }
		if err := json.Unmarshal([]byte(stdout), &tok); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tok.Scopes, auth.AllScopes) {
			t.Errorf("token create %v: scopes %v, want %v", args, tok.Scopes, auth.AllScopes)
		}
	}
	if _, _, err := runCLI(env, "token", "create", "--org", org, "--all-scopes", "--scopes", "contact_read"); !isUsage(err) {
		t.Errorf("--all-scopes with --scopes: %v, want a usage error", err)
	}

	_, _, err = runCLI(env, "token", "revoke", "--app", "424242")
	if err == nil || isUsage(err) || !strings.Contains(err.Error(), "no app with id 424242") {
		t.Errorf("token revoke --app of a missing app: %v", err)
	}
	_, _, err = runCLI(env, "token", "revoke", "--org", "424242")
	if err == nil || !strings.Contains(err.Error(), "424242") {
		t.Errorf("token revoke --org of a missing org: %v", err)
	}

	if _, _, err := runCLI(env, "seed", "--org", org); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if _, _, err := runCLI(env, "seed", "--org", org); err == nil || !strings.Contains(err.Error(), "--reset") {
		t.Errorf("seed over the same data: %v, want a hint at --reset", err)
	}
	if stdout, _, err := runCLI(env, "seed", "--org", org, "--reset"); err != nil || !strings.Contains(stdout, "seeded org") {
		t.Errorf("seed --reset: %v %q", err, stdout)
	}
}
