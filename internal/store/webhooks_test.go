package store_test

import (
	"context"
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
