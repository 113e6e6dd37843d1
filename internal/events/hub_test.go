package events

import (
	"context"
	"sync"
	"testing"
	"time"
)

// memLog is an in-memory outbox for the hub's tests.
type memLog struct {
	mu  sync.Mutex
	evs []Event
	n   *Notifier
}

func (l *memLog) add(k int) {
	l.mu.Lock()
	for range k {
		l.evs = append(l.evs, Event{ID: int64(len(l.evs) + 1), OrgID: 1, Type: NewMessage})
	}
	l.mu.Unlock()
	l.n.Notify()
}

func (l *memLog) read(_ context.Context, _, after int64, limit int) ([]Event, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Event
	for _, ev := range l.evs {
		if ev.ID > after && len(out) < limit {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (l *memLog) last(context.Context, int64) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.evs)), nil
}

// Subscribers get every event that settles after they subscribed, in
// order; one that falls behind its buffer is dropped (its channel closes)
// rather than slowing the others.
func TestHub(t *testing.T) {
	t.Parallel()
	log := &memLog{n: &Notifier{}}
	log.add(3) // before anyone subscribed: not sent
	h := &Hub{Read: log.read, Last: log.last, Wake: log.n, Poll: time.Hour}
	a, slow := h.Subscribe(1), h.Subscribe(1)
	log.add(2)
	for want := int64(4); want <= 5; want++ {
		select {
		case ev := <-a.C:
			if ev.ID != want {
				t.Fatalf("got event %d, want %d", ev.ID, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
		}
	}
	log.add(subBuffer - 1) // fits a's emptied buffer, not slow's
	got := int64(5)
	for got < int64(5+subBuffer-1) {
		ev := <-a.C
		if ev.ID != got+1 {
			t.Fatalf("a got %d after %d", ev.ID, got)
		}
		got = ev.ID
	}
	// The feed hands a batch to every subscriber under h.mu: once a has the
	// batch's last event, taking the lock waits for slow's turn to end, so
	// that draining slow below cannot make room for it.
	h.mu.Lock()
	//lint:ignore SA2001 the empty critical section is the point: it waits for the batch
	h.mu.Unlock()
	n := 0
	for range slow.C { // drains what it held, then sees the close
		n++
	}
	if n == 0 || n > subBuffer {
		t.Fatalf("the slow subscriber held %d events", n)
	}
	a.Close()
	slow.Close()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.orgs) != 0 {
		t.Fatal("the feed outlived its subscribers")
	}
}
