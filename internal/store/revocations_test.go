package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/integration"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// Every write that ends tokens logs, in its transaction, a revocation that
// names them and not the org's other tokens, and hands it to the
// OnRevocations hooks after the commit with the id the log gave it.
func TestRevocationLog_EveryRevokingWrite(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var heard []auth.Revocation
		db.OnRevocations(func(revs []auth.Revocation) { heard = append(heard, revs...) })
		n := 0
		newApp := func(orgID int64) (*integration.App, *auth.Token) {
			n++
			app := &integration.App{OrgID: orgID, Name: "app", ClientID: fmt.Sprintf("c-%d", n), Scopes: []auth.Scope{auth.ContactRead}}
			if err := db.InsertApp(ctx, app); err != nil {
				t.Fatal(err)
			}
			tok := &auth.Token{OrgID: orgID, AppID: app.ID, Scopes: app.Scopes}
			if err := db.Install(ctx, &integration.Installation{AppID: app.ID, OrgID: orgID, Scopes: app.Scopes}, tok, fmt.Sprintf("h-%d", n)); err != nil {
				t.Fatal(err)
			}
			return app, tok
		}
		orgToken := func(orgID int64) *auth.Token {
			n++
			tok := &auth.Token{OrgID: orgID, Scopes: []auth.Scope{auth.ContactRead}}
			if err := db.InsertToken(ctx, tok, fmt.Sprintf("h-%d", n)); err != nil {
				t.Fatal(err)
			}
			return tok
		}
		// check runs revoke and wants one revocation logged and heard, naming
		// ended and none of kept.
		check := func(name string, ended, kept *auth.Token, revoke func() error) {
			t.Helper()
			last, err := db.LastRevocation(ctx)
			if err != nil {
				t.Fatal(err)
			}
			heard = nil
			if err := revoke(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			logged, err := db.RevocationsAfter(ctx, last, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(logged) != 1 || len(heard) != 1 || logged[0] != heard[0] {
				t.Fatalf("%s: logged %+v, heard %+v; want the same one revocation", name, logged, heard)
			}
			if r := logged[0]; !r.Matches(ended) || r.Matches(kept) {
				t.Fatalf("%s: %+v matches the ended token %v, the kept one %v", name, r, r.Matches(ended), r.Matches(kept))
			}
		}
		orgID := newOrg(t, db)
		kept := orgToken(orgID)

		tok := orgToken(orgID)
		check("RevokeToken", tok, kept, func() error { return db.RevokeToken(ctx, orgID, tok.ID) })

		app, tok := newApp(orgID)
		check("Uninstall", tok, kept, func() error { return db.Uninstall(ctx, app.ID, orgID) })

		app, tok = newApp(orgID)
		check("DeleteApp", tok, kept, func() error { return db.DeleteApp(ctx, orgID, app.ID) })

		app, tok = newApp(orgID)
		check("UpdateApp's allowlist", tok, kept, func() error {
			_, err := db.UpdateApp(ctx, orgID, app.ID, func(a *integration.App) error {
				a.AllowedIPs = []string{"192.0.2.1"}
				return nil
			})
			return err
		})

		app, tok = newApp(orgID)
		check("RevokeAll of an app", tok, kept, func() error { _, err := db.RevokeAll(ctx, app.ID, 0); return err })

		other := newOrg(t, db)
		check("RevokeAll of an org", kept, orgToken(other), func() error { _, err := db.RevokeAll(ctx, 0, orgID); return err })

		// A write that changes nothing a cached token carries logs nothing.
		last, _ := db.LastRevocation(ctx)
		app, _ = newApp(other)
		if _, err := db.UpdateApp(ctx, other, app.ID, func(a *integration.App) error { a.Name = "renamed"; return nil }); err != nil {
			t.Fatal(err)
		}
		if logged, _ := db.RevocationsAfter(ctx, last, 10); len(logged) != 0 {
			t.Fatalf("a rename logged %+v", logged)
		}
	})
}
