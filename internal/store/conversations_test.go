package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
	"github.com/driftwood-chat/driftwood/internal/user"
)

// TestConversationStore_ConcurrentPosts: agents posting at once to one
// conversation each join it exactly once, and nothing is lost.
func TestConversationStore_ConcurrentPosts(t *testing.T) {
	t.Parallel()
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		o, err := db.CreateOrg(ctx, "Busy")
		if err != nil {
			t.Fatal(err)
		}
		c, _, err := db.StartConversation(ctx, o.ID, conversation.Start{Email: "busy@x.example", Body: "anyone?"})
		if err != nil {
			t.Fatal(err)
		}
		var agents []int64
		for i := range 8 {
			u := &user.User{OrgID: o.ID, Name: fmt.Sprintf("Agent %d", i)}
			if err := db.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			agents = append(agents, u.ID)
		}
		var wg sync.WaitGroup
		for _, id := range agents {
			for range 3 {
				wg.Go(func() {
					if _, err := db.PostMessage(ctx, o.ID, c.ID, conversation.Post{Body: "me!", UserID: id}); err != nil {
						t.Error(err)
					}
				})
			}
		}
		wg.Wait()
		got, err := db.GetConversation(ctx, o.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p := slices.Sorted(slices.Values(got.Participants)); !slices.Equal(p, agents) {
			t.Errorf("participants %v, want %v", got.Participants, agents)
		}
		evs, err := db.OrgEvents(ctx, o.ID, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[events.Type]int{}
		for _, ev := range evs {
			counts[ev.Type]++
		}
		if counts[events.NewMessage] != 25 || counts[events.ConversationParticipantAdded] != 8 {
			t.Errorf("events %v", counts)
		}
		ms, err := db.ListMessages(ctx, o.ID, c.ID, 0, 100)
		if err != nil || len(ms) != 25 {
			t.Errorf("%d messages, %v", len(ms), err)
		}
	})
}

// TestConversationStore_StartFindsContact: a start uses the first-created
// contact with the email, in any case, and creates one only when none exists.
func TestConversationStore_StartFindsContact(t *testing.T) {
	t.Parallel()
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		o, err := db.CreateOrg(ctx, "Find")
		if err != nil {
			t.Fatal(err)
		}
		first, err := db.CreateContact(ctx, o.ID, map[string]any{"email": "same@x.example", "externalId": "1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateContact(ctx, o.ID, map[string]any{"email": "same@x.example", "externalId": "2"}); err != nil {
			t.Fatal(err)
		}
		c, m, err := db.StartConversation(ctx, o.ID, conversation.Start{Email: "SAME@x.example", Body: "hi"})
		if err != nil || c.ContactID != first.ID || m.Author.ID != first.ID || m.ConversationID != c.ID {
			t.Fatalf("start: %v %+v %+v", err, c, m)
		}
		c2, _, err := db.StartConversation(ctx, o.ID, conversation.Start{Email: "fresh@x.example", Body: "hi"})
		if err != nil {
			t.Fatal(err)
		}
		cs, err := db.ContactsByEmail(ctx, o.ID, "fresh@x.example", 10)
		if err != nil || len(cs) != 1 || cs[0].ID != c2.ContactID {
			t.Errorf("fresh contact %v %v", cs, err)
		}
	})
}
