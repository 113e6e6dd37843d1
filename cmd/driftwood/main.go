// Command driftwood serves the Drift REST API and its webhooks from one
// binary, on embedded SQLite or on PostgreSQL.
//
//	driftwood [serve] [flags]     run the server (the default)
//	driftwood migrate             apply database migrations and exit
//	driftwood org create          create an org and an admin token
//	driftwood token create|list|revoke
//	driftwood seed --org N          fill an org with fixtures
//	driftwood trigger EVENT
//	driftwood listen --forward-to URL
//	driftwood healthcheck         ask a running Driftwood's /readyz (for containers)
//	driftwood version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
)

// version, when set at build time with -ldflags "-X main.version=…",
// overrides the module version read from the build info.
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.As(err, new(usageError)):
		fmt.Fprintln(os.Stderr, "driftwood:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "driftwood:", err)
		os.Exit(1)
	}
}

// usageError is a mistake in the command line; it exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

const usage = `Driftwood serves the Drift REST API, with real persistence and webhooks.

Usage:
  driftwood [serve] [flags]            run the server (default)
  driftwood migrate [flags]            apply database migrations and exit
  driftwood org create --name NAME     create an org; prints {"orgId", "token"}
  driftwood token create --org N --scopes a,b|--all-scopes
  driftwood token list --org N
  driftwood token revoke --org N ID | --org N | --app N
  driftwood user invite --org N --email E   a one-time link to set a password for the inbox
  driftwood seed --org N [--file fixtures.json] [--reset]
  driftwood trigger EVENT              cause EVENT through a running Driftwood's API
  driftwood listen --forward-to URL    forward a running Driftwood's events to a local URL
  driftwood healthcheck [--url URL]    exit 0 if a running Driftwood is ready (for containers)
  driftwood playbook test FILE         dry-run a playbook definition for a visitor, offline
  driftwood version                    print the version and the VCS revision built from

Run 'driftwood COMMAND --help' for a command's flags.
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && (isHelp(args[0]) || len(args[0]) > 0 && args[0][0] != '-') {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args, getenv, stdout, stderr)
	case "org":
		return runOrg(ctx, args, getenv, stdout, stderr)
	case "token":
		return runToken(ctx, args, getenv, stdout, stderr)
	case "user":
		return runUser(ctx, args, getenv, stdout, stderr)
	case "seed":
		return runSeed(ctx, args, getenv, stdout, stderr)
	case "trigger":
		return runTrigger(ctx, args, getenv, stdout, stderr)
	case "listen":
		return runListen(ctx, args, getenv, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, args, getenv, stdout, stderr)
	case "playbook":
		return runPlaybook(ctx, args, getenv, stdout, stderr)
	case "version":
		fs := newFlagSet("version", "version", stderr)
		if err := parse(fs, args); err != nil {
			return err
		}
		fmt.Fprintln(stdout, versionString())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usagef("unknown command %q", cmd)
}

// newFlagSet returns a FlagSet whose --help prints a summary line and the flags.
func newFlagSet(name, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: driftwood %s\n\nFlags:\n", summary)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags, turning a bad flag into a usage error.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

// moduleVersion is the version to log and print: -ldflags' main.version,
// else the module version the go command stamped into the build.
func moduleVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// versionString describes the build: the module version, the VCS revision
// and time it was built from (and whether the tree had changes), and Go's
// version.
func versionString() string {
	var b strings.Builder
	b.WriteString("driftwood " + moduleVersion())
	var revision, at, modified string
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
	}
	if revision == "" {
		b.WriteString("\nrevision unknown (built without VCS information)")
	} else {
		fmt.Fprintf(&b, "\nrevision %s", revision)
		if at != "" {
			fmt.Fprintf(&b, " (%s)", at)
		}
		if modified == "true" {
			b.WriteString(" with uncommitted changes")
		}
	}
	fmt.Fprintf(&b, "\n%s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return b.String()
}

// secretFlag registers a string flag whose default is the environment
// variable env. --help never prints that value (it may be a token or a
// secret) but says it is "(from ENV)".
func secretFlag(fs *flag.FlagSet, name, env, usage string, getenv func(string) string) *string {
	v := &secretValue{s: getenv(env)}
	if v.s != "" {
		usage += " (default: from " + env + ")"
	}
	fs.Var(v, name, usage)
	return &v.s
}

// secretValue is a flag.Value that shows nothing of itself in --help.
type secretValue struct{ s string }

func (v *secretValue) Set(s string) error { v.s = s; return nil }
func (v *secretValue) String() string     { return "" }

// serverURLFlag registers --url, the running Driftwood that listen and
// trigger call; --api-url, trigger's old name for it, is still accepted.
func serverURLFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	u := fs.String("url", envDefault(getenv, "DRIFTWOOD_URL", "http://127.0.0.1:7070"), "the running Driftwood (env DRIFTWOOD_URL)")
	fs.Func("api-url", "the old name of --url", func(s string) error { *u = s; return nil })
	return u
}
