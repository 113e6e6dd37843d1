package store_test

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
	"github.com/driftwood-chat/driftwood/internal/user"
)

// TestReadStore: an agent's unread messages are the others' (visitor, bot,
// colleague) after the agent's marker; marking read moves the marker to a
// message of the conversation and never back; the views count open
// conversations only; another org's conversation is not found. The
// store's SQL agrees with conversation.Message.Unread on every message.
func TestReadStore(t *testing.T) {
	t.Parallel()
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		o, err := db.CreateOrg(ctx, "Reads")
		if err != nil {
			t.Fatal(err)
		}
		newUser := func(name string, bot bool) int64 {
			u := &user.User{OrgID: o.ID, Name: name, Bot: bot}
			if err := db.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			return u.ID
		}
		ada, bo, bot := newUser("Ada", false), newUser("Bo", false), newUser("Bot", true)
		start := func(email string) int64 {
			c, _, err := db.StartConversation(ctx, o.ID, conversation.Start{Email: email, Body: "hello?"})
			if err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		c1, c2, c3 := start("one@reads.example"), start("two@reads.example"), start("three@reads.example")
		post := func(c int64, p conversation.Post) int64 {
			if p.Body == "" {
				p.Body = "a message"
			}
			m, err := db.PostMessage(ctx, o.ID, c, p)
			if err != nil {
				t.Fatal(err)
			}
			return m.ID
		}
		mark := func(user, c, upTo, want int64) {
			t.Helper()
			got, err := db.MarkRead(ctx, o.ID, user, c, upTo)
			if err != nil || got != want {
				t.Fatalf("MarkRead(user %d, conversation %d, up to %d) = %d, %v; want %d", user, c, upTo, got, err, want)
			}
		}
		// unread checks the counts of user's unread messages against want
		// and against Message.Unread over each conversation's messages.
		markers := map[int64]map[int64]int64{ada: {}, bo: {}}
		unread := func(user int64, want map[int64]int) {
			t.Helper()
			got, err := db.UnreadMessages(ctx, o.ID, user, []int64{c1, c2, c3})
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, want) {
				t.Errorf("user %d's unread messages: %v, want %v", user, got, want)
			}
			domain := map[int64]int{}
			for _, c := range []int64{c1, c2, c3} {
				ms, err := db.ListMessages(ctx, o.ID, c, 0, 100)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range ms {
					if m.Unread(user, markers[user][c]) {
						domain[c]++
					}
				}
			}
			if !maps.Equal(got, domain) {
				t.Errorf("user %d: the store counts %v, Message.Unread %v", user, got, domain)
			}
		}
		views := func(user int64, want conversation.Unread) {
			t.Helper()
			got, err := db.InboxUnread(ctx, o.ID, user)
			if err != nil {
				t.Fatal(err)
			}
			if got.Mine != want.Mine || got.Unassigned != want.Unassigned || got.All != want.All {
				t.Errorf("user %d's unread views: %+v, want %+v", user, got, want)
			}
		}

		unread(ada, map[int64]int{c1: 1, c2: 1, c3: 1})
		views(ada, conversation.Unread{Unassigned: 3, All: 3})

		// Ada answers c1 (her own message is never unread to her), then
		// reads it; Bo's and the bot's messages are unread to her again.
		post(c1, conversation.Post{UserID: ada})
		unread(ada, map[int64]int{c1: 1, c2: 1, c3: 1})
		last := post(c1, conversation.Post{FromContact: true})
		mark(ada, c1, 0, last)
		markers[ada][c1] = last
		unread(ada, map[int64]int{c2: 1, c3: 1})
		unread(bo, map[int64]int{c1: 3, c2: 1, c3: 1})
		post(c1, conversation.Post{UserID: bo})
		post(c1, conversation.Post{UserID: bot})
		post(c1, conversation.Post{UserID: ada, Type: conversation.PrivateNote})
		unread(ada, map[int64]int{c1: 2, c2: 1, c3: 1})

		// A marker never moves back, and stops at a message of its own
		// conversation at or before the one named.
		mark(ada, c1, 1, last)
		c2first, err := db.ListMessages(ctx, o.ID, c2, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		later := post(c2, conversation.Post{FromContact: true})
		mark(ada, c2, later-1, c2first[0].ID)
		markers[ada][c2] = c2first[0].ID
		unread(ada, map[int64]int{c1: 2, c2: 1, c3: 1})

		// Views: Mine follows assignment; closed conversations do not count.
		if _, err := db.AssignConversation(ctx, o.ID, c2, ada); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SetConversationStatus(ctx, o.ID, c3, conversation.Closed); err != nil {
			t.Fatal(err)
		}
		views(ada, conversation.Unread{Mine: 1, Unassigned: 1, All: 2})
		mark(ada, c2, 0, later)
		views(ada, conversation.Unread{Unassigned: 1, All: 1})

		other, err := db.CreateOrg(ctx, "Other")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.MarkRead(ctx, other.ID, ada, c1, 0); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("marking another org's conversation: %v, want not found", err)
		}
		if got, err := db.UnreadMessages(ctx, other.ID, ada, []int64{c1, c2}); err != nil || len(got) != 0 {
			t.Errorf("another org counts %v, %v", got, err)
		}
	})
}
