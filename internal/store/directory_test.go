package store_test

import (
	"context"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/seed"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
	"github.com/driftwood-chat/driftwood/internal/user"
)

// TestResetOrg_KeepsTokensAndBot seeds two orgs, resets one, and checks that
// only its data went: its token and first bot stay, the other org is untouched.
func TestResetOrg_KeepsTokensAndBot(t *testing.T) {
	t.Parallel()
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		a, err := db.CreateOrg(ctx, "A")
		if err != nil {
			t.Fatal(err)
		}
		b, err := db.CreateOrg(ctx, "B")
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []int64{a.ID, b.ID} {
			if err := seed.Demo(ctx, db, o); err != nil {
				t.Fatal(err)
			}
		}
		bot, err := db.BotUser(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CreateUser(ctx, &user.User{OrgID: a.ID, Name: "Extra Bot", Bot: true}); err != nil {
			t.Fatal(err)
		}
		if err := db.Transact(ctx, func(ctx context.Context, tx *store.Tx) error {
			return tx.InsertToken(ctx, &auth.Token{OrgID: a.ID, Name: "t", Hint: "h", Scopes: auth.AllScopes}, "hash-a")
		}); err != nil {
			t.Fatal(err)
		}

		if err := db.ResetOrg(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		us, err := db.ListUsers(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(us) != 1 || us[0].ID != bot.ID {
			t.Fatalf("users after reset: %+v", us)
		}
		if ts, err := db.ListTokens(ctx, a.ID); err != nil || len(ts) != 1 {
			t.Fatalf("tokens after reset: %v %v", ts, err)
		}
		for _, o := range []struct {
			org   int64
			teams int
		}{{a.ID, 0}, {b.ID, 2}} {
			ts, err := db.ListTeams(ctx, o.org)
			if err != nil || len(ts) != o.teams {
				t.Fatalf("org %d teams: %v %v", o.org, ts, err)
			}
		}
		if as, _, err := db.ListAccounts(ctx, b.ID, 0, 65); err != nil || len(as) != 4 {
			t.Fatalf("the other org's accounts: %v %v", as, err)
		}
		// The same fixtures load again after a reset.
		if err := seed.Demo(ctx, db, a.ID); err != nil {
			t.Fatal(err)
		}
	})
}
