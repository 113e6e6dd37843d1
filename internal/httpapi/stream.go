package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/integration"
	"github.com/driftwood-chat/driftwood/internal/logkey"
	"github.com/driftwood-chat/driftwood/internal/webhook"
)

// Event stream tuning: how often the hub reads the log for events no
// wake-up announced (a wake-up lost; written by another replica without
// PostgreSQL's LISTEN/NOTIFY), how often an idle stream carries a
// comment so that proxies keep it open, how long one write may take, and how
// many events one read takes.
const (
	streamPoll         = time.Second
	streamHeartbeat    = 15 * time.Second
	streamWriteTimeout = 30 * time.Second
	streamBatch        = 100
)

// EndStreams ends every event stream, now and from now on: http.Server's
// Shutdown waits for handlers, and a stream's would never return by itself.
func (s *Server) EndStreams() { s.endStreams() }

// streamEvents serves GET /driftwood/v1/events/stream: the org's outbox
// events as server-sent events, as they commit. ?types=a,b keeps only those
// types. Each message's id is the event's id, and a client that sends it
// back as Last-Event-ID resumes after it; without one the stream starts with
// the next event. The data is the webhook envelope without an app's token.
//
// An org's events commit in id order (store.Dialect.LockEvents), so going
// on from the last id sent passes none over.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request) error {
	types, err := parseEventTypes(r.URL.Query().Get("types"))
	if err != nil {
		return err
	}
	org := orgID(r)
	var after int64
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			return apperr.Invalidf("Last-Event-ID", "Last-Event-ID must be an event id, got %q", v)
		}
	} else if after, err = s.cfg.Store.LastEventID(r.Context(), org); err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.streams, cancel)()
	sse := &sseWriter{w: w, rc: http.NewResponseController(w)}
	// Without this the server's ReadTimeout, once past, cancels the request.
	if err := sse.rc.SetReadDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	if err := sse.send(": connected\n\n"); err != nil {
		return nil
	}
	// Subscribed before reading the log, so that nothing settling in
	// between is missed; what comes both ways is told apart by id.
	sub := s.hub.Subscribe(org)
	defer func() { sub.Close() }()
	heartbeat := time.NewTicker(streamHeartbeat)
	defer heartbeat.Stop()
	send := func(evs []events.Event) error {
		for _, ev := range evs {
			if ev.ID <= after {
				continue
			}
			after = ev.ID
			if len(types) > 0 {
				name, ok := events.SubscribedAs(types, ev.Type)
				if !ok {
					continue
				}
				ev.Type = name
			}
			body, err := webhook.Body(ev, "")
			if err != nil {
				return err
			}
			if err := sse.send(fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type, body)); err != nil {
				return err
			}
		}
		return nil
	}
	for {
		// Catch up from the log, then follow the hub (one reader of the
		// org's log for every stream of this process, which also waits
		// for events to settle after a wake-up) until this stream lags
		// too far behind it.
		for {
			evs, err := s.cfg.Store.SettledOrgEvents(ctx, org, after, streamBatch)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Error("reading events for a stream", logkey.RequestID, requestID(ctx), logkey.Err, err)
				}
				return nil // the answer has begun: nothing to add but the end
			}
			if err := send(evs); err != nil {
				return nil
			}
			if len(evs) < streamBatch {
				break
			}
		}
	follow:
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-sub.Ready():
				evs, ok := sub.Take()
				if !ok {
					sub.Close()
					sub = s.hub.Subscribe(org)
					break follow
				}
				if err := send(evs); err != nil {
					return nil
				}
			case <-heartbeat.C:
				if err := sse.send(": heartbeat\n\n"); err != nil {
					return nil
				}
			}
		}
	}
}

// sseWriter writes whole server-sent event messages, each flushed at once
// and under a deadline of its own, so a long stream outlives the server's
// WriteTimeout while a stalled client still cannot hold it forever.
type sseWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (s *sseWriter) send(msg string) error {
	if err := s.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if _, err := s.w.Write([]byte(msg)); err != nil {
		return err
	}
	return s.rc.Flush()
}

// parseEventTypes reads a comma-separated list of Drift event types.
func parseEventTypes(v string) ([]events.Type, error) {
	var out []events.Type
	for _, t := range strings.Split(v, ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if _, ok := integration.EventScope[events.Type(t)]; !ok {
			return nil, apperr.Invalidf("types", "%q is not a Drift webhook event", t)
		}
		out = append(out, events.Type(t))
	}
	return out, nil
}
