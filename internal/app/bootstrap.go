package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/driftwood-chat/driftwood/internal/agent"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/httpapi"
	"github.com/driftwood-chat/driftwood/internal/logkey"
	"github.com/driftwood-chat/driftwood/internal/org"
	"github.com/driftwood-chat/driftwood/internal/secrets"
	"github.com/driftwood-chat/driftwood/internal/seed"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/user"
	"github.com/driftwood-chat/driftwood/internal/widget"
)

// bootstrap creates the first org of an empty database. With a bootstrap
// token, the org's admin token is exactly that value and nothing is printed;
// without one, a demo org is seeded and its admin token is printed once.
// Replicas starting together on an empty database race for one claim, so
// only one of them creates the org.
func (a *App) bootstrap(ctx context.Context, out io.Writer) error {
	if n, err := a.DB.CountOrgs(ctx); err != nil || n > 0 {
		return err
	}
	raw := a.Config.BootstrapToken
	demo := raw == ""
	if demo {
		raw = secrets.RandomToken(auth.AccessTokenPrefix)
	}
	var o *org.Org
	err := a.DB.Transact(ctx, func(ctx context.Context, tx *store.Tx) error {
		first, err := tx.ClaimOnce(ctx, "bootstrap")
		if err != nil || !first {
			return err
		}
		name := "Driftwood"
		if demo {
			name = demoOrgName
		}
		if o, err = tx.InsertOrg(ctx, name); err != nil {
			return err
		}
		t := &auth.Token{OrgID: o.ID, Name: "bootstrap", Hint: auth.HintOf(raw), Scopes: auth.AllScopes}
		return tx.InsertToken(ctx, t, a.Key.Hash(raw))
	})
	if err != nil || o == nil {
		return err
	}
	if !demo {
		a.Log.Info("created the first org for the bootstrap token", logkey.OrgID, o.ID)
		return nil
	}
	if err := seed.Demo(ctx, a.DB, o.ID); err != nil {
		return err
	}
	if err := demoWidget(ctx, a.DB, o.ID); err != nil {
		return err
	}
	base := a.Config.PublicURL
	signIn, err := a.demoAdminInvite(ctx, o.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, `
Driftwood created a demo org (id %d) on this new database.
  Admin token (shown once, keep it): %s
  API:          %s
  API listing:  %s/openapi.yaml
  Widget demo:  %s/widget/demo/%s
  Inbox:        %s/inbox
%s  Try:          curl -H 'Authorization: Bearer %s' '%s/contacts?email=jane@acme.example'

`, o.ID, raw, base, base, base, httpapi.EmbedID(a.Key, o.ID), base, signIn, raw, base)
	return nil
}

// demoOrgName names the org seeded at first start without a bootstrap
// token.
const demoOrgName = "Demo"

// demoEmbedID is the embed id of the demo org seeded at first start (the
// oldest org, so named), for / to link its widget demo page; "" when this
// database has none.
func (a *App) demoEmbedID(ctx context.Context) (string, error) {
	o, err := a.DB.FirstOrg(ctx)
	if err != nil || o == nil || o.Name != demoOrgName {
		return "", err
	}
	return httpapi.EmbedID(a.Key, o.ID), nil
}

// demoWidget gives the demo org's widget settings a site owner would pick:
// online while an agent is available, a friendly greeting, and the email
// asked for when nobody is there.
func demoWidget(ctx context.Context, db *store.DB, orgID int64) error {
	s := widget.Defaults()
	s.Title = "Acme support"
	s.OfflineWhenAllAway = true
	s.OnlineGreeting = "Hi! 👋 Ask us anything about Acme: plans, trials, or your account."
	return db.SaveWidgetSettings(ctx, orgID, &s, "")
}

// demoAdminInvite makes an invitation for the demo org's first admin, so
// that the first start's output says how to sign in to the inbox.
func (a *App) demoAdminInvite(ctx context.Context, orgID int64) (string, error) {
	users, err := a.DB.ListUsers(ctx, orgID)
	if err != nil {
		return "", err
	}
	for _, u := range users {
		if u.Role != user.RoleAdmin || u.Bot {
			continue
		}
		accounts := &agent.Accounts{Store: a.DB, Key: a.Key}
		raw, expires, err := accounts.Invite(ctx, orgID, u.ID)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("  Sign in:      set a password for %s (admin) at %s/invite/%s\n"+
			"                (valid until %s), then sign in at %s/login\n",
			u.Email, a.Config.PublicURL, raw, expires.UTC().Format(time.RFC3339), a.Config.PublicURL), nil
	}
	return "", nil
}
