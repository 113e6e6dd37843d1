package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/driftwood-chat/driftwood/internal/app"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/config"
	"github.com/driftwood-chat/driftwood/internal/pgwake"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/postgres"
)

// openAdmin opens the database and key for the org and token commands. They
// work beside a running server: on SQLite they wait for the writer lock.
func openAdmin(ctx context.Context, cfg config.Config) (*store.DB, *auth.Tokens, error) {
	db, err := app.OpenStore(ctx, cfg.DB)
	if err != nil {
		return nil, nil, err
	}
	key, err := app.LoadKey(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	// A revocation is in effect on every running server when the command
	// returns: it waits until their token caches have read the revocation
	// log (on PostgreSQL they are also woken to read it now).
	db.OnRevocations(func([]auth.Revocation) {
		if db.Dialect().Name() == "postgres" {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if dsn, err := postgres.ConnDSN(cfg.DB); err == nil {
				pgwake.Send(ctx, dsn, pgwake.Revocations) // lost: only the poll's delay
			}
			cancel()
		}
		time.Sleep(app.RevocationSettle)
	})
	return db, &auth.Tokens{Store: db, Key: key, Now: time.Now}, nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// subcommand splits "VERB args…", printing help for a missing verb.
func subcommand(args []string, help string, stdout io.Writer) (string, []string, error) {
	if len(args) == 0 {
		return "", nil, usagef("%s", help)
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdout, help)
		return "", nil, nil
	}
	return args[0], args[1:], nil
}

func runOrg(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	verb, args, err := subcommand(args, "Usage: driftwood org create --name NAME [--db DSN]", stdout)
	if err != nil || verb == "" {
		return err
	}
	if verb != "create" {
		return usagef("unknown org command %q; want create", verb)
	}
	var cfg config.Config
	fs := newFlagSet("org create", "org create --name NAME [flags]", stderr)
	cfg.StoreFlags(fs, getenv)
	name := fs.String("name", "", "the org's name (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return usagef("org create: --name is required")
	}
	db, tokens, err := openAdmin(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	o, err := db.CreateOrg(ctx, *name)
	if err != nil {
		return err
	}
	raw, _, err := tokens.Issue(ctx, auth.Token{OrgID: o.ID, Name: "admin", Scopes: auth.AllScopes})
	if err != nil {
		return err
	}
	return printJSON(stdout, map[string]any{"orgId": o.ID, "token": raw})
}

const tokenHelp = `Usage:
  driftwood token create --org N --scopes a,b [--name NAME] [--expires-in DURATION]
  driftwood token create --org N --all-scopes  an admin-equivalent token (also --scopes all)
  driftwood token list --org N
  driftwood token revoke --org N ID        revoke one token
  driftwood token revoke --app ID [--org N] revoke every token and OAuth grant of an app (in one org)
  driftwood token revoke --org N            revoke every token and OAuth grant of an org
Scopes: contact_read contact_write all_contact_read conversation_read conversation_write
  user_read user_write account_read account_write playbook_read gdpr_read gdpr_write driftwood_admin`

func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	verb, args, err := subcommand(args, tokenHelp, stdout)
	if err != nil || verb == "" {
		return err
	}
	var cfg config.Config
	fs := newFlagSet("token "+verb, "token "+verb+" [flags]", stderr)
	cfg.StoreFlags(fs, getenv)
	orgID := fs.Int64("org", 0, "the org's id (required)")
	var scopes, name *string
	allScopes := new(bool)
	var expiresIn *time.Duration
	appID := new(int64)
	switch verb {
	case "create":
		scopes = fs.String("scopes", "", "comma-separated scopes, or all (required unless --all-scopes)")
		allScopes = fs.Bool("all-scopes", false, "every scope: a token equivalent to the org's admin token")
		name = fs.String("name", "", "a name to tell the token apart")
		expiresIn = fs.Duration("expires-in", 0, "lifetime, e.g. 720h; 0 means until revoked")
	case "revoke":
		appID = fs.Int64("app", 0, "revoke every token and OAuth grant of this app")
	case "list":
	default:
		return usagef("unknown token command %q; want create, list or revoke", verb)
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	var revokeID int64
	if verb == "revoke" {
		if fs.NArg() > 1 || fs.NArg() == 1 && *appID != 0 {
			return usagef("token revoke: give one token id with --org, or --app and/or --org alone")
		}
		if fs.NArg() == 1 {
			if revokeID, err = strconv.ParseInt(fs.Arg(0), 10, 64); err != nil {
				return usagef("token revoke: %q is not a token id", fs.Arg(0))
			}
		}
	}
	if *orgID <= 0 && !(verb == "revoke" && revokeID == 0 && *appID > 0) {
		return usagef("token %s: --org is required", verb)
	}
	var parsed []auth.Scope
	if verb == "create" {
		switch {
		case *allScopes && *scopes != "" && *scopes != "all":
			return usagef("token create: give --scopes or --all-scopes, not both")
		case *allScopes || *scopes == "all":
			parsed = auth.AllScopes
		default:
			var unknown string
			if parsed, unknown = auth.ParseScopes(*scopes); unknown != "" {
				return usagef("token create: unknown scope %q", unknown)
			}
		}
		if len(parsed) == 0 {
			return usagef("token create: --scopes (or --all-scopes) is required")
		}
	}
	db, tokens, err := openAdmin(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if verb == "revoke" && revokeID == 0 {
		if *appID > 0 {
			if _, err := db.AppOrg(ctx, *appID); err != nil {
				return fmt.Errorf("token revoke --app %d: %w", *appID, err)
			}
		}
		if *orgID > 0 {
			if _, err := db.GetOrg(ctx, *orgID); err != nil {
				return fmt.Errorf("token revoke --org %d: %w", *orgID, err)
			}
		}
		n, err := db.RevokeAll(ctx, *appID, *orgID)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d tokens revoked\n", n)
		return nil
	}
	if _, err := db.GetOrg(ctx, *orgID); err != nil {
		return err
	}
	switch verb {
	case "create":
		t := auth.Token{OrgID: *orgID, Name: *name, Scopes: parsed}
		if *expiresIn > 0 {
			t.ExpiresAt = time.Now().Add(*expiresIn).UnixMilli()
		}
		raw, tok, err := tokens.Issue(ctx, t)
		if err != nil {
			return err
		}
		return printJSON(stdout, map[string]any{"id": tok.ID, "orgId": tok.OrgID, "token": raw, "scopes": tok.Scopes})
	case "list":
		ts, err := db.ListTokens(ctx, *orgID)
		if err != nil {
			return err
		}
		if ts == nil {
			ts = []*auth.Token{}
		}
		return printJSON(stdout, ts)
	default:
		if err := db.RevokeToken(ctx, *orgID, revokeID); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %d revoked\n", revokeID)
		return nil
	}
}
