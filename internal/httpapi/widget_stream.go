package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/logkey"
	"github.com/driftwood-chat/driftwood/internal/user"
)

// visitorPoll is how often a visitor's stream reads the log for events no
// wake-up announced. With the PostgreSQL wake-up (pgwake) every replica is
// woken, so this is only the fallback.
const visitorPoll = 2 * time.Second

// visitorStream serves GET /widget/v1/{embedId}/stream: the events of the
// conversations the visitor sees, as server-sent events read from the
// outbox. Each carries the outbox event's id; a client that sends the last
// one back as Last-Event-ID (after a dropped connection, a restart, on
// another replica) goes on right after it, so it misses nothing and gets
// nothing twice. Events the visitor does not see still move the position:
// an id-only message tells the client where it is.
//
// Messages are "message" events (visitorMessage: private notes and prompts
// never leave), status changes "conversation" events ({id, status}), an
// agent writing "typing" events ({conversationId, author}).
func (s *Server) visitorStream(w http.ResponseWriter, r *http.Request, v *visit) error {
	var after int64
	var err error
	if lv := r.Header.Get("Last-Event-ID"); lv != "" {
		if after, err = strconv.ParseInt(lv, 10, 64); err != nil || after < 0 {
			return apperr.Invalidf("Last-Event-ID", "Last-Event-ID must be an event id, got %q", lv)
		}
	} else if after, err = s.cfg.Store.LastEventID(r.Context(), v.org); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.streams, cancel)()
	sse := &sseWriter{w: w, rc: http.NewResponseController(w)}
	if err := sse.rc.SetReadDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if err := sse.send(": connected\nretry: 1000\n\n"); err != nil {
		return nil
	}
	f := &visitorFilter{s: s, v: v, seen: map[int64]bool{}}
	poll := time.NewTicker(visitorPoll)
	defer poll.Stop()
	heartbeat := time.NewTicker(streamHeartbeat)
	defer heartbeat.Stop()
	sent := after
	for {
		var wake <-chan struct{}
		if s.cfg.Events != nil {
			wake = s.cfg.Events.Wait()
		}
		evs, err := s.cfg.Store.SettledOrgEvents(ctx, v.org, after, streamBatch)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("reading events for a visitor stream", logkey.RequestID, requestID(ctx), logkey.Err, err)
			}
			return nil
		}
		for _, ev := range evs {
			after = ev.ID
			name, payload, err := f.view(ctx, ev)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Error("filtering a visitor stream", logkey.RequestID, requestID(ctx), logkey.Err, err)
				}
				return nil
			}
			if name == "" {
				continue
			}
			if err := sse.send(fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", ev.ID, name, payload)); err != nil {
				return nil
			}
			sent = ev.ID
		}
		if after != sent { // move the client's position past what it does not see
			if err := sse.send(fmt.Sprintf("id: %d\n\n", after)); err != nil {
				return nil
			}
			sent = after
		}
		if len(evs) == streamBatch {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-poll.C:
		case <-heartbeat.C:
			if err := sse.send(": heartbeat\n\n"); err != nil {
				return nil
			}
		}
	}
}

// visitorFilter decides what of the org's events a visitor's stream shows.
type visitorFilter struct {
	s     *Server
	v     *visit
	seen  map[int64]bool // conversation id -> the visitor sees it
	users map[int64]*user.User
}

// sees reports whether the visitor sees the conversation. Whether a
// session sees a conversation never changes once it exists (it started it,
// or its verified contact owns it), so the answer is kept.
func (f *visitorFilter) sees(ctx context.Context, id int64) (bool, error) {
	if ok, known := f.seen[id]; known {
		return ok, nil
	}
	ok, err := f.s.cfg.Store.VisitorSees(ctx, f.v.session, id)
	if err != nil {
		return false, err
	}
	if len(f.seen) > 10_000 {
		clear(f.seen)
	}
	f.seen[id] = ok
	return ok, nil
}

// view returns the stream event for ev, or "" when the visitor does not
// see it.
func (f *visitorFilter) view(ctx context.Context, ev events.Event) (string, []byte, error) {
	switch ev.Type {
	case events.NewMessage:
		var m conversation.Message
		if !decodeEvent(ev.Data, &m) {
			return "", nil, nil
		}
		if ok, err := f.sees(ctx, m.ConversationID); err != nil || !ok {
			return "", nil, err
		}
		if m.Type == conversation.Edit {
			// An edit is shown only when what it edits was shown.
			target, err := f.s.cfg.Store.ListMessages(ctx, f.v.org, m.ConversationID, m.EditedMessageID-1, 1)
			if err != nil || len(target) == 0 || target[0].ID != m.EditedMessageID || target[0].Type != conversation.Chat {
				return "", nil, err
			}
		}
		if m.Author.Type == conversation.AuthorUser && f.users[m.Author.ID] == nil {
			users, err := f.s.usersByID(ctx, f.v.org)
			if err != nil {
				return "", nil, err
			}
			f.users = users
		}
		vm, ok := visitorView(&m, f.users)
		if !ok {
			return "", nil, nil
		}
		b, err := json.Marshal(vm)
		return "message", b, err
	case events.ConversationStatusUpdated:
		var p conversation.StatusPayload
		if !decodeEvent(ev.Data, &p) {
			return "", nil, nil
		}
		if ok, err := f.sees(ctx, p.ConversationID); err != nil || !ok {
			return "", nil, err
		}
		b, err := json.Marshal(map[string]any{"id": p.ConversationID, "status": p.Status})
		return "conversation", b, err
	case conversation.Typing:
		var p conversation.TypingPayload
		if !decodeEvent(ev.Data, &p) || p.Author.Type != conversation.AuthorUser {
			return "", nil, nil // the visitor's own typing is for the inbox
		}
		if ok, err := f.sees(ctx, p.ConversationID); err != nil || !ok {
			return "", nil, err
		}
		if f.users[p.Author.ID] == nil {
			users, err := f.s.usersByID(ctx, f.v.org)
			if err != nil {
				return "", nil, err
			}
			f.users = users
		}
		name := ""
		if u := f.users[p.Author.ID]; u != nil {
			name = cmpOr(u.Alias, u.Name)
		}
		b, err := json.Marshal(map[string]any{"conversationId": p.ConversationID, "author": visitorAuthor{Type: conversation.AuthorUser, ID: p.Author.ID, Name: name}})
		return "typing", b, err
	}
	return "", nil, nil
}
