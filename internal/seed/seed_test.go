package seed_test

import (
	"context"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/seed"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// TestDemo seeds an org and finds the demo conversation: the visitor's
// question and the agent's answers.
func TestDemo(t *testing.T) {
	t.Parallel()
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		o, err := db.CreateOrg(ctx, "Demo")
		if err != nil {
			t.Fatal(err)
		}
		if err := seed.Demo(ctx, db, o.ID); err != nil {
			t.Fatal(err)
		}
		cs, err := db.ListConversations(ctx, o.ID, conversation.ListQuery{Limit: 10})
		if err != nil || len(cs) != 1 || len(cs[0].Participants) != 1 {
			t.Fatalf("conversations %v, %v", cs, err)
		}
		ms, err := db.ListMessages(ctx, o.ID, cs[0].ID, 0, 50)
		if err != nil || len(ms) != 3 || ms[0].Author.Type != conversation.AuthorContact || ms[1].Author.Type != conversation.AuthorUser {
			t.Fatalf("messages %v, %v", ms, err)
		}
	})
}
