package webhook_test

import (
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/webhook"
)

func TestCheckRetry(t *testing.T) {
	if err := webhook.CheckRetry(7, 200, 100); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("retry while leased: %v, want a conflict", err)
	}
	if err := webhook.CheckRetry(7, 100, 100); err != nil {
		t.Fatalf("retry once the lease ran out: %v", err)
	}
}

func TestJobAfter(t *testing.T) {
	j := webhook.Job{Step: 2}
	for _, c := range []struct {
		r          webhook.Result
		status     webhook.Status
		step       int
		next, done int64
	}{
		{webhook.Result{Attempt: webhook.Attempt{Outcome: webhook.OutcomeSucceeded, AttemptedAt: 10}}, webhook.Succeeded, 2, 0, 10},
		{webhook.Result{Attempt: webhook.Attempt{Outcome: webhook.OutcomeRetry, AttemptedAt: 10}, NextAttemptAt: 50}, webhook.Pending, 3, 50, 0},
		{webhook.Result{Attempt: webhook.Attempt{Outcome: webhook.OutcomeFailed, AttemptedAt: 10}}, webhook.Failed, 2, 0, 0},
	} {
		status, step, next, done := j.After(c.r)
		if status != c.status || step != c.step || next != c.next || done != c.done {
			t.Errorf("after %s: %s, step %d, next %d, delivered %d", c.r.Outcome, status, step, next, done)
		}
	}
}
