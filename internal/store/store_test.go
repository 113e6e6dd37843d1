package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/contact"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// The store conformance suite: every test runs unchanged on SQLite and on
// PostgreSQL.

func newOrg(t *testing.T, db *store.DB) int64 {
	t.Helper()
	o, err := db.CreateOrg(context.Background(), "Acme")
	if err != nil {
		t.Fatal(err)
	}
	return o.ID
}

func mustCreate(t *testing.T, db *store.DB, orgID int64, attrs map[string]any) *contact.Contact {
	t.Helper()
	c, err := db.CreateContact(context.Background(), orgID, attrs)
	if err != nil {
		t.Fatalf("create %v: %v", attrs, err)
	}
	return c
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if apperr.CodeOf(err) != code {
		t.Fatalf("error %v, want code %s", err, code)
	}
}

func TestMigrate_Idempotent(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		applied, err := db.Migrate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Fatalf("second migrate applied %v", applied)
		}
	})
}

func TestOrg_CreateHasBotUser(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		orgID := newOrg(t, db)
		bot, err := db.BotUser(ctx, orgID)
		if err != nil {
			t.Fatal(err)
		}
		if !bot.Bot || bot.OrgID != orgID {
			t.Fatalf("bot user %+v", bot)
		}
		if n, _ := db.CountOrgs(ctx); n != 1 {
			t.Fatalf("CountOrgs = %d", n)
		}
		if _, err := db.GetOrg(ctx, orgID+100); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("GetOrg of a missing org: %v", err)
		}
	})
}

func TestContactStore_UniquenessRules(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db)
		mustCreate(t, db, org, map[string]any{"email": "a@x.com"})
		// The same email without externalId clashes, in any case.
		_, err := db.CreateContact(ctx, org, map[string]any{"email": "A@X.com"})
		wantCode(t, err, apperr.Conflict)
		// With an externalId the check is on the externalId instead.
		mustCreate(t, db, org, map[string]any{"email": "a@x.com", "externalId": "e1"})
		mustCreate(t, db, org, map[string]any{"email": "a@x.com", "externalId": "e2"})
		_, err = db.CreateContact(ctx, org, map[string]any{"email": "b@x.com", "externalId": "e1"})
		wantCode(t, err, apperr.Conflict)
		// Another org may reuse both.
		other := newOrg(t, db)
		mustCreate(t, db, other, map[string]any{"email": "a@x.com"})
		mustCreate(t, db, other, map[string]any{"email": "c@x.com", "externalId": "e1"})

		cs, err := db.ContactsByEmail(ctx, org, "A@x.COM", 10)
		if err != nil || len(cs) != 3 {
			t.Fatalf("ContactsByEmail: %d contacts, err %v", len(cs), err)
		}
		if cs[0].ID > cs[1].ID || cs[1].ID > cs[2].ID {
			t.Fatal("ContactsByEmail is not oldest first")
		}
		cs, err = db.ContactsByExternalID(ctx, org, []string{"e1", "e2", "nope"})
		if err != nil || len(cs) != 2 {
			t.Fatalf("ContactsByExternalID: %d contacts, err %v", len(cs), err)
		}
	})
}

func TestContactStore_ForeignOrgReadsAsMissing(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, other := newOrg(t, db), newOrg(t, db)
		c := mustCreate(t, db, org, map[string]any{"email": "a@x.com", "externalId": "ext"})
		if _, err := db.GetContact(ctx, other, c.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("get from another org: %v", err)
		}
		if _, err := db.UpdateContact(ctx, other, c.ID, map[string]any{"name": "x"}); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("update from another org: %v", err)
		}
		if err := db.DeleteContact(ctx, other, c.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("delete from another org: %v", err)
		}
		if _, err := db.AddTimelineEvent(ctx, other, contact.TimelineRef{ContactID: c.ID}, contact.TimelineEvent{Event: "x"}); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("timeline from another org: %v", err)
		}
		if cs, _ := db.ContactsByExternalID(ctx, other, []string{"ext"}); len(cs) != 0 {
			t.Fatal("externalId lookup crossed orgs")
		}
		got, err := db.GetContact(ctx, org, c.ID)
		if err != nil || got.Attributes["name"] != nil {
			t.Fatalf("the owner's contact changed: %+v %v", got, err)
		}
	})
}

func TestContactStore_UpdateRecordsDiffInOutbox(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db)
		c := mustCreate(t, db, org, map[string]any{"email": "a@x.com", "name": "Ann", "socialProfiles": map[string]any{"twitter": "ann"}})
		got, err := db.UpdateContact(ctx, org, c.ID, map[string]any{
			"name": "Anne", "plan": "pro", "socialProfiles": map[string]any{"twitter": "anne", "github": "anne"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.Attributes["name"] != "Anne" || got.Attributes["_END_USER_VERSION"] != json.Number("2") {
			t.Fatalf("updated contact %v", got.Attributes)
		}
		evs, err := db.OrgEvents(ctx, org, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].Type != events.ContactUpdated {
			t.Fatalf("events %+v, want one contact_updated", evs)
		}
		var p contact.UpdatedPayload
		if err := json.Unmarshal(evs[0].Data, &p); err != nil {
			t.Fatal(err)
		}
		want := map[string][2]any{
			"attributes.name":        {"Ann", "Anne"},
			"attributes.plan":        {nil, "pro"},
			"socialProfiles.github":  {nil, "anne"},
			"socialProfiles.twitter": {"ann", "anne"},
		}
		if p.EndUserID != c.ID || p.OrgID != org || p.Timestamp == 0 || len(p.Diff) != len(want) {
			t.Fatalf("payload %+v", p)
		}
		for _, ch := range p.Diff {
			w, ok := want[ch.Name]
			if !ok || ch.Previous != w[0] || ch.Updated != w[1] {
				t.Fatalf("diff entry %+v, want %v", ch, w)
			}
		}
		// An update that changes nothing records nothing.
		if _, err := db.UpdateContact(ctx, org, c.ID, map[string]any{"name": "Anne"}); err != nil {
			t.Fatal(err)
		}
		if evs, _ := db.OrgEvents(ctx, org, 0, 10); len(evs) != 1 {
			t.Fatalf("a no-op update recorded an event: %d events", len(evs))
		}
	})
}

func TestContactStore_FailedWriteRecordsNothing(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db)
		mustCreate(t, db, org, map[string]any{"email": "taken@x.com"})
		c := mustCreate(t, db, org, map[string]any{"email": "b@x.com"})
		// The diff is computed and the event appended before the unique
		// index refuses the row: the whole transaction must roll back.
		_, err := db.UpdateContact(ctx, org, c.ID, map[string]any{"email": "taken@x.com", "name": "B"})
		wantCode(t, err, apperr.Conflict)
		got, _ := db.GetContact(ctx, org, c.ID)
		if got.Email() != "b@x.com" || got.Attributes["name"] != nil {
			t.Fatalf("a failed update left a partial write: %v", got.Attributes)
		}
		if evs, _ := db.OrgEvents(ctx, org, 0, 10); len(evs) != 0 {
			t.Fatalf("a failed update recorded %d events", len(evs))
		}
		// And a failing transaction after AppendEvent records nothing either.
		boom := errors.New("boom")
		err = db.Transact(ctx, func(ctx context.Context, tx *store.Tx) error {
			if err := tx.AppendEvent(ctx, events.New(org, events.ContactUpdated, map[string]any{})); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if evs, _ := db.OrgEvents(ctx, org, 0, 10); len(evs) != 0 {
			t.Fatalf("a rolled-back transaction left %d events", len(evs))
		}
	})
}

func TestContactStore_DeleteRemovesTimeline(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db)
		c := mustCreate(t, db, org, map[string]any{"email": "a@x.com", "externalId": "e"})
		ev, err := db.AddTimelineEvent(ctx, org, contact.TimelineRef{ExternalID: "e"}, contact.TimelineEvent{Event: "signed up"})
		if err != nil || ev.ContactID != c.ID || ev.CreatedAt == 0 {
			t.Fatalf("timeline event %+v, %v", ev, err)
		}
		if err := db.DeleteContact(ctx, org, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GetContact(ctx, org, c.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("deleted contact still found: %v", err)
		}
		if err := db.DeleteContact(ctx, org, c.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		// A new contact never reuses a deleted id.
		n := mustCreate(t, db, org, map[string]any{"email": "a@x.com"})
		if n.ID <= c.ID {
			t.Fatalf("id %d reused after %d was deleted", n.ID, c.ID)
		}
	})
}

func TestContactStore_AttributeTypes(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db)
		mustCreate(t, db, org, map[string]any{"email": "a@x.com", "score": json.Number("3"), "vip": true,
			"birthday": "1990-01-02", "last_seen_at": json.Number("1700000000000"), "code": json.Number("7")})
		mustCreate(t, db, org, map[string]any{"email": "b@x.com", "code": "A7"})
		defs, err := db.ListContactAttributes(ctx, org)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, d := range defs {
			got[d.Name] = d.Type
		}
		want := map[string]string{"email": "STRING", "score": "NUMERIC", "vip": "BOOLEAN", "birthday": "DATE",
			"last_seen_at": "DATETIME", "code": "STRING", "start_date": "DATETIME"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("attribute %s: type %q, want %q (all: %v)", k, got[k], v, got)
			}
		}
		if _, ok := got["_END_USER_VERSION"]; ok {
			t.Error("bookkeeping attributes must not be listed")
		}
	})
}

func TestContactStore_Unsubscribe(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db)
		mustCreate(t, db, org, map[string]any{"email": "a@x.com"})
		mustCreate(t, db, org, map[string]any{"email": "a@x.com", "externalId": "1"})
		n, err := db.Unsubscribe(ctx, org, []string{"A@x.com", "nobody@x.com"})
		if err != nil || n != 2 {
			t.Fatalf("Unsubscribe = %d, %v", n, err)
		}
		evs, _ := db.OrgEvents(ctx, org, 0, 10)
		if len(evs) != 2 || evs[0].Type != events.UserUnsubscribed || evs[1].Type != events.UserUnsubscribed {
			t.Fatalf("events %+v", evs)
		}
	})
}

func TestTokenStore(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db)
		tok := &auth.Token{OrgID: org, Name: "ci", Hint: "dwat_abcd…", Scopes: []auth.Scope{auth.ContactRead}}
		if err := db.InsertToken(ctx, tok, "hash-1"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.InsertToken(ctx, &auth.Token{OrgID: org, Scopes: tok.Scopes}, "hash-1"), apperr.Conflict)
		got, err := db.TokenByHash(ctx, "hash-1")
		if err != nil || got.ID != tok.ID || len(got.Scopes) != 1 || got.Scopes[0] != auth.ContactRead {
			t.Fatalf("TokenByHash = %+v, %v", got, err)
		}
		other := newOrg(t, db)
		if err := db.RevokeToken(ctx, other, tok.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("revoke from another org: %v", err)
		}
		if err := db.RevokeToken(ctx, org, tok.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeToken(ctx, org, tok.ID); err != nil {
			t.Fatalf("revoking twice: %v", err)
		}
		got, _ = db.TokenByHash(ctx, "hash-1")
		if got.RevokedAt == 0 {
			t.Fatalf("revoked token %+v still active", got)
		}
	})
}

func TestTransact_ClaimOnce(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		claim := func() bool {
			var first bool
			err := db.Transact(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
				first, err = tx.ClaimOnce(ctx, "x")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return first
		}
		if !claim() || claim() {
			t.Fatal("ClaimOnce must succeed exactly once")
		}
	})
}
