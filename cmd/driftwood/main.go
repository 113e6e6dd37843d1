// Command driftwood serves the Drift REST API and its webhooks from one
// binary, on embedded SQLite or on PostgreSQL.
//
//	driftwood [serve] [flags]     run the server (the default)
//	driftwood migrate             apply database migrations and exit
//	driftwood org create          create an org and an admin token
//	driftwood token create|list|revoke
//	driftwood seed --org N          fill an org with fixtures
//	driftwood trigger EVENT
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
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

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
  driftwood token create --org N --scopes a,b
  driftwood token list --org N
  driftwood token revoke --org N ID
  driftwood seed --org N [--file fixtures.json] [--reset]
  driftwood trigger EVENT              cause EVENT through a running Driftwood's API
  driftwood version

Run 'driftwood COMMAND --help' for a command's flags.
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
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
	case "seed":
		return runSeed(ctx, args, getenv, stdout, stderr)
	case "trigger":
		return runTrigger(ctx, args, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "driftwood", version)
		return nil
	case "help", "-h", "--help":
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
