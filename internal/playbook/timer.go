package playbook

import (
	"context"
	"log/slog"
	"time"

	"github.com/driftwood-chat/driftwood/internal/logkey"
)

// TimerStore moves on the runs whose delay step is over.
type TimerStore interface {
	// WakePlaybooks moves on up to limit runs whose delay ended by now
	// (ms) and reports how many it took.
	WakePlaybooks(ctx context.Context, now int64, limit int) (int, error)
}

// Timer wakes delayed playbook runs, every Interval (a second when 0).
type Timer struct {
	Store    TimerStore
	Interval time.Duration
	Log      *slog.Logger
}

const timerBatch = 100

// Run wakes due runs until ctx ends.
func (t *Timer) Run(ctx context.Context) {
	every := t.Interval
	if every <= 0 {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		for ctx.Err() == nil {
			n, err := t.Store.WakePlaybooks(ctx, time.Now().UnixMilli(), timerBatch)
			if err != nil {
				if ctx.Err() == nil && t.Log != nil {
					t.Log.Error("waking playbook runs", logkey.Err, err)
				}
				break
			}
			if n < timerBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
