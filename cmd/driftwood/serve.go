package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/driftwood-chat/driftwood/internal/app"
	"github.com/driftwood-chat/driftwood/internal/config"
	"github.com/driftwood-chat/driftwood/internal/logkey"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlagSet("serve", "serve [flags]", stderr)
	cfg.ServeFlags(fs, getenv)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("serve takes no arguments, got %q", fs.Args())
	}
	if err := cfg.Finish(); err != nil {
		return usageError{err.Error()}
	}
	log, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	// Bind first: a taken port must fail before a first start creates the
	// demo org and prints its token, which would otherwise be lost.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	defer ln.Close()
	a, err := app.New(ctx, cfg, log, stdout)
	if err != nil {
		return err
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the background workers before Close waits for them
	log.Info("listening", logkey.Addr, ln.Addr().String(), logkey.DB, a.DB.Dialect().Name(), logkey.Version, moduleVersion())
	if cfg.PprofAddr != "" {
		stop, err := servePprof(cfg.PprofAddr, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	a.Start(ctx)
	return a.Serve(ctx, ln)
}

// servePprof serves net/http/pprof on addr, apart from the API so that no
// API route exposes it, until stop is called.
func servePprof(addr string, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	log.Info("serving profiles", logkey.Addr, ln.Addr().String())
	return func() { srv.Close() }, nil
}

func newLogger(cfg config.Config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, usagef("--log-level: %q is not debug, info, warn or error", cfg.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlagSet("migrate", "migrate [--db DSN]", stderr)
	cfg.StoreFlags(fs, getenv)
	if err := parse(fs, args); err != nil {
		return err
	}
	db, err := app.OpenStore(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}
