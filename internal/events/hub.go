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
// falls more than its buffer behind is dropped (its channel closes): it
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

// Sub is one subscription. C carries the org's events; it is closed when
// the subscriber lagged too far behind or the feed failed.
type Sub struct {
	C   <-chan Event
	c   chan Event
	hub *Hub
	org int64
}

// subBuffer is how many events a subscriber may be behind before it is
// dropped.
const subBuffer = 32

// hubBatch is how many events the feed reads at once.
const hubBatch = 500

// Subscribe subscribes to the org's events that settle from now on.
func (h *Hub) Subscribe(orgID int64) *Sub {
	c := make(chan Event, subBuffer)
	s := &Sub{C: c, c: c, hub: h, org: orgID}
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

// Close ends the subscription.
func (s *Sub) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.orgs[s.org]
	if f == nil || !f.subs[s] {
		return
	}
	delete(f.subs, s)
	close(s.c)
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
				for _, ev := range evs {
					select {
					case s.c <- ev:
						continue
					default:
					}
					delete(f.subs, s) // lagged: it reads the log itself
					close(s.c)
					break
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
		close(s.c)
	}
	clear(f.subs)
	f.stop()
	if h.orgs[orgID] == f {
		delete(h.orgs, orgID)
	}
}
