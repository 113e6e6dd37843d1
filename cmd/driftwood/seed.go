package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/config"
	"github.com/driftwood-chat/driftwood/internal/seed"
)

// runSeed fills an org with fixtures: the demo set, or a fixtures file
// (format in package seed's documentation).
func runSeed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlagSet("seed", "seed --org N [--file fixtures.json] [--reset] [flags]", stderr)
	cfg.StoreFlags(fs, getenv)
	orgID := fs.Int64("org", 0, "the org's id (required)")
	file := fs.String("file", "", "a JSON fixtures file; the demo fixtures when not given")
	reset := fs.Bool("reset", false, "empty the org's data first (tokens, apps and bot user are kept)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *orgID <= 0 {
		return usagef("seed: --org is required")
	}
	raw := seed.DemoFixtures
	if *file != "" {
		var err error
		if raw, err = os.ReadFile(*file); err != nil {
			return err
		}
	}
	f, err := seed.Parse(raw)
	if err != nil {
		return err
	}
	db, _, err := openAdmin(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.GetOrg(ctx, *orgID); err != nil {
		return err
	}
	if *reset {
		if err := db.ResetOrg(ctx, *orgID); err != nil {
			return err
		}
	}
	if err := seed.Load(ctx, db, *orgID, f, time.Now()); err != nil {
		if !*reset && errors.Is(err, apperr.ErrConflict) {
			return fmt.Errorf("%w\n(org %d already holds some of this data; add --reset to empty it first: "+
				"its tokens, apps and bot user are kept)", err, *orgID)
		}
		return err
	}
	fmt.Fprintf(stdout, "seeded org %d: %d users, %d teams, %d contacts, %d accounts, %d playbooks, %d meetings\n", *orgID,
		len(f.Users), len(f.Teams), len(f.Contacts), len(f.Accounts), len(f.Playbooks), len(f.Meetings))
	return nil
}
