package events

import "sync"

// Notifier broadcasts "new events committed" to any number of waiters in
// this process. It carries no data: a waiter reads the log itself, so a
// wake-up it misses costs nothing but latency. Events written by other
// replicas are not announced; their readers also poll (PostgreSQL
// LISTEN/NOTIFY is the later upgrade).
type Notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

// Notify wakes every current waiter. It never blocks.
func (n *Notifier) Notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
}

// Wait returns a channel closed at the next Notify. Take it before reading
// the log, so that events committed during the read are not missed.
func (n *Notifier) Wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	return n.ch
}
