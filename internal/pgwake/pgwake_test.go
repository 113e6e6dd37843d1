package pgwake

import (
	"context"
	"os"
	"testing"
	"time"
)

// A wake-up sent by one Waker reaches every Waker on the channel (the
// sender's own included), and one on another channel hears nothing.
func TestWaker(t *testing.T) {
	dsn := os.Getenv("DRIFTWOOD_TEST_POSTGRES_URL")
	if dsn == "" {
		t.Skip("DRIFTWOOD_TEST_POSTGRES_URL is not set")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	channel := "pgwake_test_" + time.Now().Format("150405.000000")
	woke := func() (chan struct{}, func()) {
		ch := make(chan struct{}, 100)
		return ch, func() { ch <- struct{}{} }
	}
	aCh, aFn := woke()
	bCh, bFn := woke()
	otherCh, otherFn := woke()
	a, b, other := New(dsn, channel, aFn, nil), New(dsn, channel, bFn, nil), New(dsn, channel+"_other", otherFn, nil)
	for _, w := range []*Waker{a, b, other} {
		go w.Run(ctx)
	}
	// Each listener wakes once when it is connected.
	for _, ch := range []chan struct{}{aCh, bCh, otherCh} {
		<-ch
	}
	a.Notify()
	for _, ch := range []chan struct{}{aCh, bCh} {
		select {
		case <-ch:
		case <-time.After(30 * time.Second):
			t.Fatal("a wake-up did not arrive")
		}
	}
	select {
	case <-otherCh:
		t.Fatal("a wake-up reached another channel")
	case <-time.After(200 * time.Millisecond):
	}
}
