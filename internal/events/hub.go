package events

import (
	"context"
	"sync"
	"time"
)

// Hub reads each org's outbox once for every subscriber in this process
// (the visitors' streams; the inbox's), instead of once per subscriber: a
// thousand open widgets cost one query per commit, not a thousand.
//
// A subscriber gets the events that settle after it subscribed, in id
// order. To go on from an older position it reads the log itself first (see
// Sub); the events it then gets twice it recognises by id. A subscriber that
// falls more than subBacklog events behind is dropped (Take says so): it
// reads the log itself again and subscribes anew, so nothing is lost.
type Hub struct {
	// Read returns up to limit settled events of the org after afterID, in
	// id order; Last the id of the org's newest settled event.
	Read func(ctx context.Context, orgID, afterID int64, limit int) ([]Event, error)
	Last func(ctx context.Context, orgID int64) (int64, error)
	// Wake announces commits (nil: poll only); Poll is the fallback.
	Wake *Notifier
	Poll time.Duration
	// Topics says which topics an event concerns, and the topic that its
	// receivers follow from then on (a new conversation, for those who may
	// see it; zero: none). Read once per event, it lets a message for one
	// of ten thousand open widgets wake one stream. nil: no topics.
	Topics func(Event) (on []Topic, opens Topic)

	mu   sync.Mutex
	orgs map[int64]*feed
}

// Topic is what a subscriber may follow instead of every event: a
// conversation, a contact (its new conversations)…, as Hub.Topics names
// them.
type Topic struct {
	Kind string
	ID   int64
}

// feed is one org's reader and its subscribers.
type feed struct {
	subs   map[*Sub]bool           // all of them
	all    map[*Sub]bool           // those that get every event
	topics map[Topic]map[*Sub]bool // the others, by what they follow
	stop   context.CancelFunc
	ready  chan struct{} // closed once the feed has its starting position
}

// follow makes s follow t; h.mu is held.
func (f *feed) follow(s *Sub, t Topic) {
	if s.follows[t] {
		return
	}
	s.follows[t] = true
	m := f.topics[t]
	if m == nil {
		m = map[*Sub]bool{}
		f.topics[t] = m
	}
	m[s] = true
}

// unfollow undoes follow; h.mu is held.
func (f *feed) unfollow(s *Sub, t Topic) {
	if !s.follows[t] {
		return
	}
	delete(s.follows, t)
	if m := f.topics[t]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(f.topics, t)
		}
	}
}

// remove takes s out of the feed; h.mu is held.
func (f *feed) remove(s *Sub) {
	for t := range s.follows {
		f.unfollow(s, t)
	}
	delete(f.all, s)
	delete(f.subs, s)
}

// Sub is one subscription. Events wait in it, in order, until the
// subscriber takes them (Take), told by Ready. The hub's read batches are
// shared by every subscriber, not copied, and an idle Sub holds none: an
// open widget costs a few words here, not a buffer of events.
type Sub struct {
	hub     *Hub
	org     int64
	follows map[Topic]bool // nil: every event; guarded by hub.mu
	ready   chan struct{}  // one signal: events wait, or the subscription ended

	mu      sync.Mutex
	batches [][]Event // waiting, oldest first; never modified once handed over
	waiting int       // events in batches
	ended   bool      // lagged, failed or closed: nothing more comes
}

// subBacklog is how many events a subscriber may be behind before it is
// dropped (it then reads the log itself).
const subBacklog = 1000

// hubBatch is how many events the feed reads at once.
const hubBatch = 500

// Subscribe subscribes to the org's events that settle from now on: every
// one, or with topics only those that concern one of them (see Hub.Topics,
// Follow).
func (h *Hub) Subscribe(orgID int64, topics ...Topic) *Sub {
	s := &Sub{hub: h, org: orgID, ready: make(chan struct{}, 1)}
	h.mu.Lock()
	if h.orgs == nil {
		h.orgs = map[int64]*feed{}
	}
	f := h.orgs[orgID]
	if f == nil {
		ctx, cancel := context.WithCancel(context.Background())
		f = &feed{subs: map[*Sub]bool{}, all: map[*Sub]bool{}, topics: map[Topic]map[*Sub]bool{}, stop: cancel, ready: make(chan struct{})}
		h.orgs[orgID] = f
		go h.run(ctx, orgID, f)
	}
	f.subs[s] = true
	if len(topics) == 0 {
		f.all[s] = true
	} else {
		s.follows = map[Topic]bool{}
		for _, t := range topics {
			f.follow(s, t)
		}
	}
	h.mu.Unlock()
	<-f.ready // the feed knows where the log ends: nothing after now is missed
	return s
}

// Ready is signalled when events wait or the subscription has ended; call
// Take then. A signal may find nothing: its events went with an earlier
// Take.
func (s *Sub) Ready() <-chan struct{} { return s.ready }

// Take returns the waiting events, in id order (nil when none), and false
// once the subscription has ended: the subscriber lagged too far behind or
// the feed failed, and it reads the log itself from its position (what
// still waited is dropped: the log has it).
func (s *Sub) Take() ([]Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		s.batches, s.waiting = nil, 0
		return nil, false
	}
	var evs []Event
	if len(s.batches) == 1 {
		evs = s.batches[0]
	} else if len(s.batches) > 1 {
		evs = make([]Event, 0, s.waiting)
		for _, b := range s.batches {
			evs = append(evs, b...)
		}
	}
	s.batches, s.waiting = nil, 0
	return evs, true
}

// push hands the subscriber a batch; false when it is too far behind (it
// is then ended).
func (s *Sub) push(evs []Event) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiting+len(evs) > subBacklog {
		s.end()
		return false
	}
	s.batches = append(s.batches, evs)
	s.waiting += len(evs)
	s.signal()
	return true
}

// Follow makes a subscriber with topics also follow t (a conversation it
// learnt it sees). To miss nothing of t, read the log after it.
func (s *Sub) Follow(t Topic) { s.followed(t, true) }

// Unfollow stops following t.
func (s *Sub) Unfollow(t Topic) { s.followed(t, false) }

func (s *Sub) followed(t Topic, on bool) {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.orgs[s.org]
	if f == nil || !f.subs[s] || s.follows == nil {
		return
	}
	if on {
		f.follow(s, t)
	} else {
		f.unfollow(s, t)
	}
}

// end ends the subscription; s.mu is held.
func (s *Sub) end() {
	s.ended = true
	s.batches, s.waiting = nil, 0
	s.signal()
}

func (s *Sub) signal() {
	select {
	case s.ready <- struct{}{}:
	default: // already signalled
	}
}

// Close ends the subscription.
func (s *Sub) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	s.mu.Lock()
	s.end()
	s.mu.Unlock()
	f := h.orgs[s.org]
	if f == nil || !f.subs[s] {
		return
	}
	f.remove(s)
	if len(f.subs) == 0 {
		f.stop()
		delete(h.orgs, s.org)
	}
}

// run reads the org's log while it has subscribers.
func (h *Hub) run(ctx context.Context, orgID int64, f *feed) {
	after, err := h.Last(ctx, orgID)
	close(f.ready)
	if err != nil {
		h.fail(orgID, f)
		return
	}
	poll := time.NewTicker(h.Poll)
	defer poll.Stop()
	retries := 0
	for {
		var wake <-chan struct{}
		if h.Wake != nil {
			wake = h.Wake.Wait()
		}
		evs, err := h.Read(ctx, orgID, after, hubBatch)
		if err != nil {
			if ctx.Err() == nil {
				h.fail(orgID, f)
			}
			return
		}
		if len(evs) > 0 {
			after = evs[len(evs)-1].ID
			h.mu.Lock()
			h.deliver(f, evs)
			h.mu.Unlock()
		}
		if len(evs) == hubBatch {
			continue
		}
		// After a wake-up, look again soon for a while: on PostgreSQL an
		// event is read only once every older transaction has ended
		// (settled), which can be a few milliseconds after its commit.
		var soon <-chan time.Time
		if retries > 0 && len(evs) == 0 {
			retries--
			soon = time.After(settleRetry)
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
			retries = settleRetries
		case <-soon:
		case <-poll.C:
		}
	}
}

// deliver hands a batch to the subscribers of every event, and each event
// to those following a topic it concerns; h.mu is held.
func (h *Hub) deliver(f *feed, evs []Event) {
	for s := range f.all {
		if !s.push(evs) {
			f.remove(s) // lagged: it reads the log itself
		}
	}
	if len(f.topics) == 0 || h.Topics == nil {
		return
	}
	var got map[*Sub][]Event
	for _, ev := range evs {
		on, opens := h.Topics(ev)
		for _, t := range on {
			for s := range f.topics[t] {
				if got == nil {
					got = map[*Sub][]Event{}
				}
				if mine := got[s]; len(mine) > 0 && mine[len(mine)-1].ID == ev.ID {
					continue // by another of its topics
				}
				got[s] = append(got[s], ev)
				if opens != (Topic{}) {
					f.follow(s, opens)
				}
			}
		}
	}
	for s, mine := range got {
		if !s.push(mine) {
			f.remove(s)
		}
	}
}

// A wake-up that finds nothing new is retried settleRetries times,
// settleRetry apart.
const (
	settleRetries = 20
	settleRetry   = 15 * time.Millisecond
)

// fail drops every subscriber of a feed that cannot read the log; each
// reads it itself and subscribes again.
func (h *Hub) fail(orgID int64, f *feed) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range f.subs {
		s.mu.Lock()
		s.end()
		s.mu.Unlock()
		f.remove(s)
	}
	f.stop()
	if h.orgs[orgID] == f {
		delete(h.orgs, orgID)
	}
}
