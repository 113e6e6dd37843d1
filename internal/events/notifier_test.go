package events

import "testing"

func TestNotifier(t *testing.T) {
	t.Parallel()
	var n Notifier
	n.Notify() // no waiter: nothing to do
	a, b := n.Wait(), n.Wait()
	select {
	case <-a:
		t.Fatal("woken before any Notify")
	default:
	}
	n.Notify()
	<-a
	<-b
	select {
	case <-n.Wait():
		t.Fatal("a wait after Notify is already woken")
	default:
	}
}
