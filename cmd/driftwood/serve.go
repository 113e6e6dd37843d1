package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/driftwood-chat/driftwood/internal/app"
	"github.com/driftwood-chat/driftwood/internal/config"
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
	a, err := app.New(ctx, cfg, log, stdout)
	if err != nil {
		return err
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the background workers before Close waits for them
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "db", a.DB.Dialect().Name(), "version", version)
	a.Start(ctx)
	return a.Serve(ctx, ln)
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
