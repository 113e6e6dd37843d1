package events

import (
	"context"
	"slices"
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

	mu   sync.Mutex
	orgs map[int64]*feed
}

// feed is one org's reader and its subscribers.
type feed struct {
	subs  map[*Sub]bool
	stop  context.CancelFunc
	ready chan struct{} // closed once the feed has its starting position
}

// Sub is one subscription. Events wait in it, in order, until the
// subscriber takes them (Take), told by Ready. The hub's read batches are
// shared by every subscriber, not copied, and an idle Sub holds none: an
// open widget costs a few words here, not a buffer of events.
type Sub struct {
	hub   *Hub
	org   int64
	want  func(Event) bool // nil: every event
	ready chan struct{}    // one signal: events wait, or the subscription ended

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

// Subscribe subscribes to the org's events that settle from now on, those
// for which want (nil: all) is true. want runs on the feed's goroutine for
// every event and subscriber, so it must be quick and safe to call while
// the subscriber runs: it keeps ten thousand idle widgets asleep when a
// message is for one of them.
func (h *Hub) Subscribe(orgID int64, want func(Event) bool) *Sub {
	s := &Sub{hub: h, org: orgID, want: want, ready: make(chan struct{}, 1)}
	h.mu.Lock()
	if h.orgs == nil {
		h.orgs = map[int64]*feed{}
	}
	f := h.orgs[orgID]
	if f == nil {
		ctx, cancel := context.WithCancel(context.Background())
		f = &feed{subs: map[*Sub]bool{}, stop: cancel, ready: make(chan struct{})}
		h.orgs[orgID] = f
		go h.run(ctx, orgID, f)
	}
	f.subs[s] = true
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

// push hands the subscriber what it wants of a batch; false when it is
// too far behind (it is then ended).
func (s *Sub) push(evs []Event) bool {
	if s.want != nil {
		evs = s.wanted(evs)
		if len(evs) == 0 {
			return true
		}
	}
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

// wanted returns the events of evs that s wants: evs itself when it wants
// them all (the batch stays shared), else a copy.
func (s *Sub) wanted(evs []Event) []Event {
	for i, ev := range evs {
		if s.want(ev) {
			continue
		}
		out := slices.Clone(evs[:i])
		for _, ev := range evs[i+1:] {
			if s.want(ev) {
				out = append(out, ev)
			}
		}
		return out
	}
	return evs
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
	delete(f.subs, s)
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
			for s := range f.subs {
				if !s.push(evs) {
					delete(f.subs, s) // lagged: it reads the log itself
				}
			}
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
	}
	clear(f.subs)
	f.stop()
	if h.orgs[orgID] == f {
		delete(h.orgs, orgID)
	}
}
