package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/gdpr"
	"github.com/driftwood-chat/driftwood/internal/search"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// find runs a search of kind in org and returns the message ids (for
// messages) or contact ids (for contacts) it found, newest first.
func find(t *testing.T, db *store.DB, orgID int64, kind search.Kind, text string) []int64 {
	t.Helper()
	words, err := search.ParseQuery(text)
	if err != nil {
		t.Fatal(err)
	}
	hits, err := db.Search(context.Background(), orgID, search.Query{Words: words, Kind: kind, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	ids := []int64{}
	for _, h := range hits {
		if kind == search.Messages {
			ids = append(ids, h.MessageID)
		} else {
			ids = append(ids, h.ContactID)
		}
	}
	return ids
}

// The search index follows every write of messages and contacts in their
// transaction, on both stores: new messages and contacts are found by
// word prefixes, an edited contact by its new name only, never another
// org's; a page ends where the next begins; a GDPR delete and a reset
// leave nothing to find; the migration's backfill rebuilds the index.
func TestSearch(t *testing.T) {
	t.Parallel()
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		a, err := db.CreateOrg(ctx, "Searching")
		if err != nil {
			t.Fatal(err)
		}
		b, err := db.CreateOrg(ctx, "Other")
		if err != nil {
			t.Fatal(err)
		}
		grace, err := db.CreateContact(ctx, a.ID, map[string]any{"email": "grace@navy.example", "name": "Grace Hopper"})
		if err != nil {
			t.Fatal(err)
		}
		c, first, err := db.StartConversation(ctx, a.ID, conversation.Start{Email: "grace@navy.example", Body: "<p>Do you ship to Lisbon?</p>"})
		if err != nil {
			t.Fatal(err)
		}
		note, err := db.PostMessage(ctx, a.ID, c.ID, conversation.Post{Type: conversation.PrivateNote, Body: "Shipping&nbsp;team: Lisbon is fine"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.StartConversation(ctx, b.ID, conversation.Start{Email: "grace@navy.example", Body: "Lisbon again"}); err != nil {
			t.Fatal(err)
		}

		if got := find(t, db, a.ID, search.Messages, "lisb"); !slices.Equal(got, []int64{note.ID, first.ID}) {
			t.Errorf("lisb found messages %v, want %v", got, []int64{note.ID, first.ID})
		}
		if got := find(t, db, a.ID, search.Messages, "SHIPPING team"); !slices.Equal(got, []int64{note.ID}) {
			t.Errorf("SHIPPING team found %v, want the note %d", got, note.ID)
		}
		if got := find(t, db, a.ID, search.Messages, "nbsp"); len(got) != 0 {
			t.Errorf("the markup of a body is found: %v", got)
		}
		if got := find(t, db, a.ID, search.Contacts, "hop navy"); !slices.Equal(got, []int64{grace.ID}) {
			t.Errorf("hop navy found contacts %v, want %d", got, grace.ID)
		}
		if got := find(t, db, a.ID, search.Contacts, "grace@navy.example"); !slices.Equal(got, []int64{grace.ID}) {
			t.Errorf("the email found contacts %v, want %d", got, grace.ID)
		}
		if got := find(t, db, a.ID, search.Messages, "again"); len(got) != 0 {
			t.Errorf("another org's message is found: %v", got)
		}
		hits, err := db.Search(ctx, a.ID, search.Query{Words: []string{"grace"}, Kind: search.Contacts, Limit: 5})
		if err != nil || len(hits) != 1 || hits[0].ConversationID != c.ID || hits[0].Contact["name"] != "Grace Hopper" {
			t.Errorf("the contact's hit is %+v, %v; want its conversation %d", hits, err, c.ID)
		}

		// Pages: three more messages, two a page.
		var ids []int64
		for range 3 {
			m, err := db.PostMessage(ctx, a.ID, c.ID, conversation.Post{Body: "refund please"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append([]int64{m.ID}, ids...)
		}
		page, err := db.Search(ctx, a.ID, search.Query{Words: []string{"refund"}, Kind: search.Messages, Limit: 2})
		if err != nil || len(page) != 3 {
			t.Fatalf("a page of 2 read %d hits (%v), want 3 (one to tell a next page)", len(page), err)
		}
		next, err := db.Search(ctx, a.ID, search.Query{Words: []string{"refund"}, Kind: search.Messages, Limit: 2, After: page[1].MessageID})
		if err != nil || len(next) != 1 || next[0].MessageID != ids[2] {
			t.Errorf("the next page is %+v (%v), want message %d", next, err, ids[2])
		}

		// The contact's new name replaces the old.
		if _, err := db.UpdateContact(ctx, a.ID, grace.ID, map[string]any{"name": "Admiral Brewster"}); err != nil {
			t.Fatal(err)
		}
		if got := find(t, db, a.ID, search.Contacts, "hopper"); len(got) != 0 {
			t.Errorf("the old name is still found: %v", got)
		}
		if got := find(t, db, a.ID, search.Contacts, "admiral"); !slices.Equal(got, []int64{grace.ID}) {
			t.Errorf("the new name found %v", got)
		}

		// The backfill of migration 0018 rebuilds what it finds.
		write, _ := db.Pools()
		tx, err := write.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_entries`); err != nil {
			t.Fatal(err)
		}
		if err := store.BackfillSearch(ctx, tx); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if got := find(t, db, a.ID, search.Messages, "lisbon"); !slices.Equal(got, []int64{note.ID, first.ID}) {
			t.Errorf("after the backfill lisbon found %v", got)
		}
		if got := find(t, db, a.ID, search.Contacts, "admiral"); !slices.Equal(got, []int64{grace.ID}) {
			t.Errorf("after the backfill admiral found %v", got)
		}

		// A GDPR delete leaves nothing of hers to find; the other org's stays.
		req, err := gdpr.NewRequest(a.ID, gdpr.Delete, "grace@navy.example")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CreateGDPRRequest(ctx, req); err != nil {
			t.Fatal(err)
		}
		if err := db.ProcessGDPRRequest(ctx, req.ID); err != nil {
			t.Fatal(err)
		}
		if got := find(t, db, a.ID, search.Messages, "lisbon"); len(got) != 0 {
			t.Errorf("after a GDPR delete lisbon finds %v", got)
		}
		if got := find(t, db, a.ID, search.Contacts, "grace"); len(got) != 0 {
			t.Errorf("after a GDPR delete grace finds %v", got)
		}
		if got := find(t, db, b.ID, search.Messages, "lisbon"); len(got) != 1 {
			t.Errorf("the other org's message went with her: %v", got)
		}
		if _, err := db.CreateContact(ctx, b.ID, map[string]any{"name": "Reset Me", "email": "reset@x.example"}); err != nil {
			t.Fatal(err)
		}
		if err := db.ResetOrg(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		if got := find(t, db, b.ID, search.Messages, "lisbon"); len(got) != 0 {
			t.Errorf("after a reset lisbon finds %v", got)
		}
		if got := find(t, db, b.ID, search.Contacts, "reset"); len(got) != 0 {
			t.Errorf("after a reset the contact is found: %v", got)
		}
	})
}
