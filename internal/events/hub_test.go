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

// A subscriber with topics gets the events that concern them, in order,
// and is not woken for the others; an event that opens a topic makes its
// receivers follow it (a new conversation's messages reach those who got
// its first event, in the same batch too).
func TestHub_Topics(t *testing.T) {
	t.Parallel()
	log := &memLog{n: &Notifier{}}
	// Events 1..n: odd ones are "of" conversation 1; event 4 opens
	// conversation 2 for contact 9's followers; from 5 on even ones are of
	// conversation 2.
	topics := func(ev Event) ([]Topic, Topic) {
		switch {
		case ev.ID == 4:
			return []Topic{{"contact", 9}}, Topic{"conversation", 2}
		case ev.ID%2 == 1:
			return []Topic{{"conversation", 1}}, Topic{}
		case ev.ID > 4:
			return []Topic{{"conversation", 2}}, Topic{}
		}
		return nil, Topic{}
	}
	h := &Hub{Read: log.read, Last: log.last, Wake: log.n, Poll: time.Hour, Topics: topics}
	one := h.Subscribe(1, Topic{"conversation", 1})
	contact := h.Subscribe(1, Topic{"contact", 9})
	none := h.Subscribe(1, Topic{"conversation", 3})
	all := h.Subscribe(1)
	defer one.Close()
	defer contact.Close()
	defer none.Close()
	defer all.Close()
	log.add(8)
	collect := func(s *Sub, n int) []int64 {
		var got []int64
		for len(got) < n {
			evs, ok := next(t, s)
			if !ok {
				t.Fatal("dropped")
			}
			for _, ev := range evs {
				got = append(got, ev.ID)
			}
		}
		return got
	}
	if got := collect(one, 4); !slices.Equal(got, []int64{1, 3, 5, 7}) {
		t.Fatalf("conversation 1's follower got %v", got)
	}
	if got := collect(contact, 3); !slices.Equal(got, []int64{4, 6, 8}) {
		t.Fatalf("contact 9's follower got %v, want the new conversation's events [4 6 8]", got)
	}
	if got := collect(all, 8); len(got) != 8 {
		t.Fatalf("the subscriber of every event got %v", got)
	}
	contact.Unfollow(Topic{"conversation", 2})
	one.Follow(Topic{"conversation", 2})
	log.add(2) // 9 (conversation 1), 10 (conversation 2)
	if got := collect(one, 2); !slices.Equal(got, []int64{9, 10}) {
		t.Fatalf("after Follow: %v", got)
	}
	h.mu.Lock()
	//lint:ignore SA2001 waits for the feed's turn to end
	h.mu.Unlock()
	for name, s := range map[string]*Sub{"an unrelated follower": none, "an unfollower": contact} {
		select {
		case <-s.Ready():
			if evs, _ := s.Take(); len(evs) > 0 {
				t.Fatalf("%s got %v", name, evs)
			}
		default:
		}
	}
}
