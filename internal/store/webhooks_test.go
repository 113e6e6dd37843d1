package store_test

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/integration"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
	"github.com/driftwood-chat/driftwood/internal/webhook"
)

// One batch of results, recorded together: each delivery gets its own new
// state and attempt; a delivery whose lease another dispatcher took keeps
// only the attempt; a 410 disables the app and fails its pending rest.
func TestWebhookStore_RecordAttemptsBatch(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		orgID, app := installedHook(t, db)
		const n = 40 // more than one multi-row statement
		if err := db.Transact(ctx, func(ctx context.Context, tx *store.Tx) error {
			for range n {
				if err := tx.AppendEvent(ctx, events.New(orgID, events.ContactUpdated, map[string]any{})); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if taken, err := db.FanOut(ctx, 100); err != nil || taken != n {
			t.Fatalf("fan-out took %d events (%v), want %d", taken, err, n)
		}
		jobs, err := db.ClaimDeliveries(ctx, "me", 100, db.Now().Add(60e9).UnixMilli())
		if err != nil || len(jobs) != n {
			t.Fatalf("claimed %d deliveries (%v), want %d", len(jobs), err, n)
		}
		at := db.Now().UnixMilli()
		var batch []webhook.Recorded
		want := map[int64]webhook.Status{}
		for i, job := range jobs[:n-2] {
			r := webhook.Result{Attempt: webhook.Attempt{AttemptedAt: at, StatusCode: 200, LatencyMs: int64(i), Outcome: webhook.OutcomeSucceeded}}
			want[job.DeliveryID] = webhook.Succeeded
			switch i % 4 {
			case 1:
				r.StatusCode, r.Outcome, r.NextAttemptAt, r.Error = 503, webhook.OutcomeRetry, at+5000, "HTTP 503"
				want[job.DeliveryID] = webhook.Pending
			case 2:
				r.StatusCode, r.Outcome, r.Error = 400, webhook.OutcomeFailed, "HTTP 400"
				want[job.DeliveryID] = webhook.Failed
			case 3:
				job.LeaseOwner = "someone else" // the lease passed on: only the attempt is kept
				want[job.DeliveryID] = webhook.Pending
			}
			batch = append(batch, webhook.Recorded{Job: job, Result: r})
		}
		if err := db.RecordAttempts(ctx, batch); err != nil {
			t.Fatal(err)
		}
		for i, r := range batch {
			d, err := db.GetDelivery(ctx, orgID, r.Job.DeliveryID)
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != want[d.ID] {
				t.Errorf("delivery %d (result %d, %s): status %s, want %s", d.ID, i, r.Result.Outcome, d.Status, want[d.ID])
			}
			if len(d.Attempts) != 1 || d.Attempts[0].Outcome != r.Result.Outcome || d.Attempts[0].StatusCode != r.Result.StatusCode ||
				d.Attempts[0].LatencyMs != r.Result.LatencyMs || d.Attempts[0].Error != r.Result.Error {
				t.Errorf("delivery %d: attempts %+v, want one of %+v", d.ID, d.Attempts, r.Result.Attempt)
			}
			stolen := r.Job.LeaseOwner != "me"
			switch {
			case stolen && d.AttemptCount != 0:
				t.Errorf("delivery %d: the lease was another's, yet its state moved to %d attempts", d.ID, d.AttemptCount)
			case !stolen && d.AttemptCount != 1:
				t.Errorf("delivery %d: %d attempts counted, want 1", d.ID, d.AttemptCount)
			case !stolen && d.LastStatus != r.Result.StatusCode:
				t.Errorf("delivery %d: last status %d, want %d", d.ID, d.LastStatus, r.Result.StatusCode)
			case r.Result.Outcome == webhook.OutcomeSucceeded && !stolen && d.DeliveredAt != at:
				t.Errorf("delivery %d: delivered at %d, want %d", d.ID, d.DeliveredAt, at)
			case r.Result.Outcome == webhook.OutcomeRetry && d.NextAttemptAt != at+5000:
				t.Errorf("delivery %d: next attempt at %d, want %d", d.ID, d.NextAttemptAt, at+5000)
			}
		}

		// The endpoint answers 410 Gone to the next: the app's webhook is
		// disabled and its pending deliveries fail, but for one still
		// leased to a dispatcher (the last, and those whose lease "passed
		// on"), whose own result will come.
		gone := webhook.Recorded{Job: jobs[n-2], Result: webhook.Result{Attempt: webhook.Attempt{
			AttemptedAt: at, StatusCode: 410, Outcome: webhook.OutcomeDisabled, Error: "HTTP 410"}}}
		if err := db.RecordAttempts(ctx, []webhook.Recorded{gone}); err != nil {
			t.Fatal(err)
		}
		if a, _ := db.GetApp(ctx, orgID, app.ID); a.WebhookDisabledAt == 0 {
			t.Error("the app's webhook was not disabled by a 410")
		}
		for i, job := range jobs {
			d, err := db.GetDelivery(ctx, orgID, job.DeliveryID)
			if err != nil {
				t.Fatal(err)
			}
			leased := i == n-1 || i < n-2 && i%4 == 3
			if leased && d.Status != webhook.Pending || !leased && want[d.ID] != webhook.Succeeded && d.Status != webhook.Failed {
				t.Errorf("after the 410, delivery %d is %s", d.ID, d.Status)
			}
		}
	})
}

// The fan-out leases the deliveries it makes, up to lease.Max, exactly as
// a claim would lease them, and leaves the rest to claims; it leases none
// while another delivery is due, so that claims still take the oldest
// first. A lease it made excludes other claimants until it expires.
func TestWebhookStore_FanOutAndClaim(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		orgID, app := installedHook(t, db)
		appendEvents := func(n int) {
			t.Helper()
			if err := db.Transact(ctx, func(ctx context.Context, tx *store.Tx) error {
				for i := range n {
					if err := tx.AppendEvent(ctx, events.New(orgID, events.ContactUpdated, map[string]any{"i": i})); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		later := func() int64 { return db.Now().Add(60e9).UnixMilli() }
		ids := func(jobs []webhook.Job) (out []int64) {
			for _, j := range jobs {
				out = append(out, j.DeliveryID)
			}
			return out
		}

		// Ten events, four slots: four leased, six left pending.
		appendEvents(10)
		f, err := db.FanOutAndClaim(ctx, 100, webhook.Lease{Owner: "fan", Max: 4, Until: later()})
		leased := f.Jobs
		if err != nil || f.Events != 10 || len(leased) != 4 || !f.LeftDue {
			t.Fatalf("fan-out took %d events and leased %d deliveries, left due %t (%v), want 10, 4 and true",
				f.Events, len(leased), f.LeftDue, err)
		}
		for i, j := range leased {
			if j.DeliveryID == 0 || j.WebhookID == "" || j.LeaseOwner != "fan" || j.AppID != app.ID ||
				j.URL != app.WebhookURL || j.Event.Type != events.ContactUpdated || len(j.Event.Data) == 0 ||
				i > 0 && j.Event.ID <= leased[i-1].Event.ID {
				t.Errorf("leased job %d: %+v", i, j)
			}
		}
		claimed, err := db.ClaimDeliveries(ctx, "claimer", 100, later())
		if err != nil || len(claimed) != 6 {
			t.Fatalf("claimed %d deliveries (%v), want the 6 left", len(claimed), err)
		}
		for _, j := range claimed {
			if slices.Contains(ids(leased), j.DeliveryID) {
				t.Errorf("delivery %d was claimed while the fan-out's lease held", j.DeliveryID)
			}
		}

		// A lease that expires (its owner died) is taken over by a claim,
		// which finds the same job the fan-out made.
		appendEvents(3)
		if f, err = db.FanOutAndClaim(ctx, 100, webhook.Lease{Owner: "fan", Max: 3, Until: db.Now().UnixMilli() - 1}); err != nil || len(f.Jobs) != 3 || f.LeftDue {
			t.Fatalf("leased %d deliveries, left due %t (%v), want 3 and false", len(f.Jobs), f.LeftDue, err)
		}
		leased = f.Jobs
		if claimed, err = db.ClaimDeliveries(ctx, "taker", 100, later()); err != nil || len(claimed) != 3 {
			t.Fatalf("claimed %d deliveries (%v), want the 3 whose lease expired", len(claimed), err)
		}
		for i := range claimed {
			leased[i].LeaseOwner = "taker"
			if !reflect.DeepEqual(claimed[i], leased[i]) {
				t.Errorf("claimed %+v, the fan-out made %+v", claimed[i], leased[i])
			}
		}

		// Two deliveries due (made without a lease): the next fan-out
		// leases none, and a claim takes all four, oldest first.
		appendEvents(2)
		if n, err := db.FanOut(ctx, 100); err != nil || n != 2 {
			t.Fatalf("fan-out took %d events (%v), want 2", n, err)
		}
		appendEvents(2)
		if f, err = db.FanOutAndClaim(ctx, 100, webhook.Lease{Owner: "fan", Max: 100, Until: later()}); err != nil || len(f.Jobs) != 0 || !f.LeftDue {
			t.Fatalf("leased %d deliveries, left due %t (%v) while others were due, want none and true", len(f.Jobs), f.LeftDue, err)
		}
		if claimed, err = db.ClaimDeliveries(ctx, "claimer", 100, later()); err != nil || len(claimed) != 4 {
			t.Fatalf("claimed %d deliveries (%v), want 4", len(claimed), err)
		}
		for i := 1; i < len(claimed); i++ {
			if claimed[i].Event.ID <= claimed[i-1].Event.ID {
				t.Errorf("claimed out of order: %v", ids(claimed))
			}
		}
	})
}

// installedHook makes an org with an app installed in it that subscribes
// to contact_updated.
func installedHook(t *testing.T, db *store.DB) (int64, *integration.App) {
	t.Helper()
	ctx := context.Background()
	orgID := newOrg(t, db)
	app := &integration.App{OrgID: orgID, Name: "hook", ClientID: "c-" + db.Dialect().Name(),
		WebhookURL: "https://hooks.example.com/in", Events: []events.Type{events.ContactUpdated},
		Scopes: []auth.Scope{auth.AllContactRead}}
	if err := db.InsertApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	tok := &auth.Token{OrgID: orgID, AppID: app.ID, Scopes: app.Scopes}
	if err := db.Install(ctx, &integration.Installation{AppID: app.ID, OrgID: orgID, Scopes: app.Scopes}, tok, "hash-"+db.Dialect().Name()); err != nil {
		t.Fatal(err)
	}
	return orgID, app
}
