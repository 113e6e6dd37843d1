package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/agent"
	"github.com/driftwood-chat/driftwood/internal/config"
)

const userHelp = `Usage:
  driftwood user invite --org N --email E [--public-url URL]
      prints a one-time link (valid 72 hours) for the user of the org with
      that email to set a password and sign in to the inbox`

// runUser runs "driftwood user invite": the command-line twin of POST
// /driftwood/v1/users/{id}/invite.
func runUser(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	verb, args, err := subcommand(args, userHelp, stdout)
	if err != nil || verb == "" {
		return err
	}
	if verb != "invite" {
		return usagef("unknown user command %q; want invite", verb)
	}
	var cfg config.Config
	fs := newFlagSet("user invite", "user invite --org N --email E [flags]", stderr)
	cfg.StoreFlags(fs, getenv)
	orgID := fs.Int64("org", 0, "the org's id (required)")
	email := fs.String("email", "", "the user's email (required)")
	addr := getenv("DRIFTWOOD_ADDR")
	if addr == "" {
		addr = "127.0.0.1:7070"
	}
	publicURL := fs.String("public-url", getenv("DRIFTWOOD_PUBLIC_URL"), "the URL the inbox is reached at (env DRIFTWOOD_PUBLIC_URL; default http://DRIFTWOOD_ADDR)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *orgID <= 0 || strings.TrimSpace(*email) == "" {
		return usagef("user invite: --org and --email are required")
	}
	base := strings.TrimRight(*publicURL, "/")
	if base == "" {
		base = "http://" + addr
	}
	db, tokens, err := openAdmin(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	users, err := db.ListUsers(ctx, *orgID)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Bot || !strings.EqualFold(u.Email, strings.TrimSpace(*email)) {
			continue
		}
		accounts := &agent.Accounts{Store: db, Key: tokens.Key, Now: time.Now}
		raw, expires, err := accounts.Invite(ctx, *orgID, u.ID)
		if err != nil {
			return err
		}
		return printJSON(stdout, map[string]any{"userId": u.ID, "url": base + "/invite/" + raw, "expiresAt": expires.UnixMilli()})
	}
	return fmt.Errorf("user invite: org %d has no user with email %q", *orgID, *email)
}
