package agent_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/agent"
	"github.com/driftwood-chat/driftwood/internal/secrets"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
	"github.com/driftwood-chat/driftwood/internal/user"
)

func TestPasswords(t *testing.T) {
	h := agent.HashPassword("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string", h)
	}
	if h == agent.HashPassword("correct horse battery") {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, c := range []struct {
		hash, pw string
		want     bool
	}{
		{h, "correct horse battery", true},
		{h, "correct horse batterY", false},
		{h, "", false},
		{"", "", false},
		{"$argon2id$v=19$m=99999999,t=2,p=1$AAAA$AAAA", "x", false}, // absurd cost refused, not computed
		{strings.Replace(h, "argon2id", "argon2i", 1), "correct horse battery", false},
	} {
		if got := agent.CheckPassword(c.hash, c.pw); got != c.want {
			t.Errorf("CheckPassword(%.40q, %q) = %v", c.hash, c.pw, got)
		}
	}
	if agent.CheckNewPassword("short") == nil || agent.CheckNewPassword(strings.Repeat("x", 129)) == nil || agent.CheckNewPassword("ten chars!") != nil {
		t.Error("password length limits")
	}
}

// Sessions end after the idle timeout and the maximum age; invitations
// expire and work once.
func TestSessionLifetimes(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o, err := db.CreateOrg(ctx, "Acme")
		if err != nil {
			t.Fatal(err)
		}
		u := &user.User{OrgID: o.ID, Name: "Ada", Email: "ada@acme.example", Role: user.RoleAgent}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		a := &agent.Accounts{Store: db, Key: secrets.Generate(), Now: func() time.Time { return now },
			IdleTimeout: time.Hour, MaxAge: 3 * time.Hour, InviteTTL: time.Hour}

		expired, _, err := a.Invite(ctx, o.ID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		now = now.Add(2 * time.Hour)
		if _, err := a.SetPassword(ctx, expired, "a good password"); !errors.Is(err, agent.ErrBadInvite) {
			t.Fatalf("an expired invitation: %v", err)
		}
		link, _, _ := a.Invite(ctx, o.ID, u.ID)
		if _, err := a.SetPassword(ctx, link, "a good password"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.SetPassword(ctx, link, "a good password"); !errors.Is(err, agent.ErrBadInvite) {
			t.Fatalf("a used invitation: %v", err)
		}
		if _, _, err := a.SignIn(ctx, "ada@acme.example", "a bad password"); !errors.Is(err, agent.ErrSignIn) {
			t.Fatalf("a wrong password: %v", err)
		}
		raw, _, err := a.SignIn(ctx, "ADA@acme.example", "a good password")
		if err != nil {
			t.Fatal(err)
		}
		// Used every 50 minutes it lives on, until its maximum age.
		for i := 0; i < 3; i++ {
			now = now.Add(50 * time.Minute)
			if _, _, err := a.Authenticate(ctx, raw); err != nil {
				t.Fatalf("after %d uses: %v", i, err)
			}
		}
		now = now.Add(40 * time.Minute) // 3h10 old
		if _, _, err := a.Authenticate(ctx, raw); !errors.Is(err, agent.ErrNoSession) {
			t.Fatalf("a session past its maximum age: %v", err)
		}
		idle, _, _ := a.SignIn(ctx, "ada@acme.example", "a good password")
		now = now.Add(61 * time.Minute)
		if _, _, err := a.Authenticate(ctx, idle); !errors.Is(err, agent.ErrNoSession) {
			t.Fatalf("an idle session: %v", err)
		}
		if _, _, err := a.Authenticate(ctx, "dws_forged"); !errors.Is(err, agent.ErrNoSession) {
			t.Fatalf("a forged session: %v", err)
		}
	})
}
