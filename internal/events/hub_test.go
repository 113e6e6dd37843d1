package events

import (
	"context"
	"slices"
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

// next waits for the subscription's next events (a signal may find
// nothing: the events it announced were taken with an earlier one's).
func next(t *testing.T, s *Sub) ([]Event, bool) {
	t.Helper()
	for {
		select {
		case <-s.Ready():
			if evs, ok := s.Take(); len(evs) > 0 || !ok {
				return evs, ok
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
			return nil, false
		}
	}
}

// Subscribers get every event that settles after they subscribed, in
// order; one that falls more than subBacklog behind is dropped (Take says
// so) rather than slowing the others or holding events without bound.
func TestHub(t *testing.T) {
	t.Parallel()
	log := &memLog{n: &Notifier{}}
	log.add(3) // before anyone subscribed: not sent
	h := &Hub{Read: log.read, Last: log.last, Wake: log.n, Poll: time.Hour}
	a, slow := h.Subscribe(1, nil), h.Subscribe(1, nil)
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

// A subscriber gets only the events it wants, in order, and is not woken
// for the others.
func TestHub_Want(t *testing.T) {
	t.Parallel()
	log := &memLog{n: &Notifier{}}
	h := &Hub{Read: log.read, Last: log.last, Wake: log.n, Poll: time.Hour}
	even := h.Subscribe(1, func(ev Event) bool { return ev.ID%2 == 0 })
	none := h.Subscribe(1, func(Event) bool { return false })
	defer even.Close()
	defer none.Close()
	log.add(7)
	var got []int64
	for len(got) < 3 {
		evs, ok := next(t, even)
		if !ok {
			t.Fatal("dropped")
		}
		for _, ev := range evs {
			got = append(got, ev.ID)
		}
	}
	if !slices.Equal(got, []int64{2, 4, 6}) {
		t.Fatalf("got %v, want [2 4 6]", got)
	}
	h.mu.Lock()
	//lint:ignore SA2001 waits for the feed's turn to end
	h.mu.Unlock()
	select {
	case <-none.Ready():
		t.Fatal("a subscriber that wants nothing was woken")
	default:
	}
}
