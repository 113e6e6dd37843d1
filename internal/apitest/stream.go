package apitest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/sse"
)

// Stream opens the server-sent event stream at path with header (its
// credentials, a Last-Event-ID) and returns its messages in order; the
// channel closes when the stream ends, which it does when ctx ends (the
// client leaves) and at the latest with the test.
func (e *Env) Stream(t *testing.T, ctx context.Context, path string, header http.Header) <-chan sse.Message {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", e.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		resp.Body.Close()
		t.Fatalf("stream %s: %s, %s", path, resp.Status, resp.Header.Get("Content-Type"))
	}
	ch := make(chan sse.Message)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		r := sse.NewReader(resp.Body)
		for {
			m, err := r.Next()
			if err != nil {
				return
			}
			select {
			case ch <- m:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// NextMessage returns the stream's next message, failing the test when the
// stream ends or stays silent for 20 s.
func NextMessage(t *testing.T, ch <-chan sse.Message) sse.Message {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("the stream ended")
		}
		return m
	case <-time.After(20 * time.Second):
		t.Fatal("no message on the stream")
	}
	return sse.Message{}
}
