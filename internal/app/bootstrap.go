package app

import (
	"context"
	"fmt"
	"io"

	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/httpapi"
	"github.com/driftwood-chat/driftwood/internal/logkey"
	"github.com/driftwood-chat/driftwood/internal/org"
	"github.com/driftwood-chat/driftwood/internal/secrets"
	"github.com/driftwood-chat/driftwood/internal/seed"
	"github.com/driftwood-chat/driftwood/internal/store"
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
			name = "Demo"
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
	fmt.Fprintf(out, `
Driftwood created a demo org (id %d) on this new database.
  Admin token (shown once, keep it): %s
  API:          %s
  API listing:  %s/openapi.yaml
  Widget demo:  %s/widget/demo/%s
  Try:          curl -H 'Authorization: Bearer %s' '%s/contacts?email=jane@acme.example'

`, o.ID, raw, base, base, base, httpapi.EmbedID(a.Key, o.ID), raw, base)
	return nil
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
