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

// next waits for the subscription's next events.
func next(t *testing.T, s *Sub) ([]Event, bool) {
	t.Helper()
	select {
	case <-s.Ready():
		return s.Take()
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
	return nil, false
}

// Subscribers get every event that settles after they subscribed, in
// order; one that falls more than subBacklog behind is dropped (Take says
// so) rather than slowing the others or holding events without bound.
func TestHub(t *testing.T) {
	t.Parallel()
	log := &memLog{n: &Notifier{}}
	log.add(3) // before anyone subscribed: not sent
	h := &Hub{Read: log.read, Last: log.last, Wake: log.n, Poll: time.Hour}
	a, slow := h.Subscribe(1), h.Subscribe(1)
	log.add(2)
	got := int64(3)
	for got < 5 {
		evs, ok := next(t, a)
		if !ok {
			t.Fatal("a was dropped")
		}
		for _, ev := range evs {
			if ev.ID != got+1 {
				t.Fatalf("a got event %d after %d", ev.ID, got)
			}
			got = ev.ID
		}
	}
	log.add(subBacklog - 2) // a is keeping up; slow now holds subBacklog
	for got < int64(5+subBacklog-2) {
		evs, ok := next(t, a)
		if !ok {
			t.Fatal("a was dropped")
		}
		for _, ev := range evs {
			if ev.ID != got+1 {
				t.Fatalf("a got %d after %d", ev.ID, got)
			}
			got = ev.ID
		}
	}
	// The feed hands a batch to every subscriber under h.mu: once a has the
	// batch's last event, slow has had it too.
	h.mu.Lock()
	//lint:ignore SA2001 the empty critical section is the point: it waits for the batch
	h.mu.Unlock()
	slow.mu.Lock()
	held, ended := slow.waiting, slow.ended
	slow.mu.Unlock()
	if held != subBacklog || ended {
		t.Fatalf("the slow subscriber holds %d events (ended %v), want %d", held, ended, subBacklog)
	}
	log.add(1) // one too many for slow
	if evs, ok := next(t, a); !ok || len(evs) != 1 {
		t.Fatalf("a got %v, %v", evs, ok)
	}
	h.mu.Lock()
	//lint:ignore SA2001 as above
	h.mu.Unlock()
	if evs, ok := next(t, slow); ok || evs != nil {
		t.Fatalf("the slow subscriber was not dropped: %d events, %v", len(evs), ok)
	}
	a.Close()
	slow.Close()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.orgs) != 0 {
		t.Fatal("the feed outlived its subscribers")
	}
}
