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
//
// An idle widget must cost the server little memory (issue 17's goal: 16 KB
// an open stream; net/http's connection alone, with its buffers and two
// goroutines, is 30). So once the stream has caught up from the log, on
// HTTP/1.x it takes the connection over (Hijack): net/http's goroutines and
// buffers go, and one small goroutine follows the hub's events and writes
// the rest of the chunked answer itself. The access log's line is then
// written when the stream starts, not when it ends. Where the connection
// cannot be taken (HTTP/2), the handler follows the events itself.
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
	f := &visitorFilter{s: s, v: v, seen: map[int64]bool{}}
	if err := f.load(r.Context()); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.streams, cancel)()
	s.visitorPresence(ctx, v)
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
	vs := &visitorStreamer{s: s, f: f, org: v.org, after: after, sent: after, out: sse, requestID: requestID(ctx)}
	sub, ok := vs.catchUp(ctx)
	if !ok {
		return nil
	}
	if conn, _, err := sse.rc.Hijack(); err == nil {
		out := &connSSE{conn: conn, chunked: r.ProtoAtLeast(1, 1)}
		vs.out = out
		go func() {
			defer out.close()
			vs.follow(s.streams, sub)
		}()
		return nil
	}
	vs.follow(ctx, sub)
	return nil
}

// visitorStreamer is one visitor's stream: its filter and position.
type visitorStreamer struct {
	s         *Server
	f         *visitorFilter
	org       int64
	after     int64 // the last event looked at
	sent      int64 // the last event id the client was told
	out       sseOut
	requestID string
}

// sseOut is where a stream's messages go: the ResponseWriter, or the
// connection once taken over.
type sseOut interface{ send(msg string) error }

// catchUp subscribes to the hub, then reads the log up to its end: what
// settles in between comes both ways and is told apart by id. false when
// the stream is over (its subscription then closed).
func (vs *visitorStreamer) catchUp(ctx context.Context) (*events.Sub, bool) {
	sub := vs.s.hub.Subscribe(vs.org, vs.f.topics()...)
	vs.f.sub = sub
	for {
		evs, err := vs.s.cfg.Store.SettledOrgEvents(ctx, vs.org, vs.after, streamBatch)
		if err == nil {
			for _, ev := range evs {
				if err = vs.emit(ctx, ev); err != nil {
					break
				}
			}
		}
		if err == nil {
			err = vs.moved()
		}
		if err != nil {
			sub.Close()
			vs.failed(ctx, err)
			return nil, false
		}
		if len(evs) < streamBatch {
			return sub, true
		}
	}
}

// follow forwards the hub's events until ctx ends or the client is gone;
// after a lag it catches up from the log again.
func (vs *visitorStreamer) follow(ctx context.Context, sub *events.Sub) {
	defer func() {
		if sub != nil {
			sub.Close()
		}
	}()
	heartbeat := time.NewTicker(streamHeartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.Ready():
			evs, ok := sub.Take()
			if !ok { // dropped for lagging: catch up from the log again
				sub.Close()
				if sub, ok = vs.catchUp(ctx); !ok {
					return
				}
				continue
			}
			for _, ev := range evs {
				if ev.ID <= vs.after {
					continue
				}
				if err := vs.emit(ctx, ev); err != nil {
					vs.failed(ctx, err)
					return
				}
			}
		case <-heartbeat.C:
			if c, ok := vs.out.(*connSSE); ok && c.gone() {
				return
			}
			if err := vs.moved(); err != nil {
				return
			}
			if err := vs.send(": heartbeat\n\n"); err != nil {
				return
			}
		}
	}
}

// emit sends ev if the visitor sees it.
func (vs *visitorStreamer) emit(ctx context.Context, ev events.Event) error {
	vs.after = ev.ID
	name, payload, err := vs.f.view(ctx, ev)
	if err != nil || name == "" {
		return err
	}
	vs.sent = ev.ID
	return vs.send(fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", ev.ID, name, payload))
}

// moved tells the client its position past events it does not see.
func (vs *visitorStreamer) moved() error {
	if vs.after == vs.sent {
		return nil
	}
	vs.sent = vs.after
	return vs.send(fmt.Sprintf("id: %d\n\n", vs.after))
}

func (vs *visitorStreamer) send(msg string) error {
	if err := vs.out.send(msg); err != nil {
		return writeError{err}
	}
	return nil
}

// failed logs why a stream ended, unless the client left or the server is
// stopping.
func (vs *visitorStreamer) failed(ctx context.Context, err error) {
	if ctx.Err() == nil && !isWriteError(err) {
		vs.s.log.Error("visitor stream", logkey.RequestID, vs.requestID, logkey.Err, err)
	}
}

// isWriteError reports a failure to write to the client (gone), as opposed
// to one of reading the log.
func isWriteError(err error) bool { return errors.As(err, new(writeError)) }

type writeError struct{ error }

// visitorFilter decides what of the org's events a visitor's stream shows.
type visitorFilter struct {
	s     *Server
	v     *visit
	seen  map[int64]bool // conversation id -> the visitor sees it
	users map[int64]*user.User
	sub   *events.Sub // the hub's subscription, following the conversations seen
}

// maxVisible bounds the conversations a stream keeps in mind; a visitor
// has a handful.
const maxVisible = 10_000

// load notes the conversations the visitor sees when the stream starts.
// Whether a session sees a conversation never changes once it exists (it
// started it, or its verified contact owns it), so a conversation that is
// not among these and was not created later (its new_conversation event
// comes first) is not the visitor's: most events need no query at all.
func (f *visitorFilter) load(ctx context.Context) error {
	convs, err := f.s.cfg.Store.VisitorConversations(ctx, f.v.session, maxVisible)
	for _, c := range convs {
		f.seen[c.ID] = true
	}
	return err
}

// The topics of the hub (events.Hub.Topics) a visitor's stream follows:
// the conversations it sees, and the new conversations of its contact (of
// any contact while it has none: its first message makes one).
const (
	topicConversation = "conversation"
	topicContact      = "contact"
)

// topics are what the stream follows in the hub.
func (f *visitorFilter) topics() []events.Topic {
	ts := []events.Topic{{Kind: topicContact, ID: f.v.session.ContactID}}
	for id, ok := range f.seen {
		if ok {
			ts = append(ts, events.Topic{Kind: topicConversation, ID: id})
		}
	}
	return ts
}

// visitorTopics is the hub's Topics for the visitors' streams: an event
// of a conversation concerns that conversation; a new conversation, its
// contact and the visitors with none yet, who follow it from then on.
func visitorTopics(ev events.Event) ([]events.Topic, events.Topic) {
	var p struct {
		ID             int64 `json:"id"`
		ConversationID int64 `json:"conversationId"`
		ContactID      int64 `json:"contactId"`
	}
	switch ev.Type {
	case events.NewConversation:
		if decodeEvent(ev.Data, &p) {
			return []events.Topic{{Kind: topicContact, ID: p.ContactID}, {Kind: topicContact, ID: 0}},
				events.Topic{Kind: topicConversation, ID: p.ID}
		}
	case events.NewMessage, events.ConversationStatusUpdated, conversation.Typing:
		if decodeEvent(ev.Data, &p) {
			return []events.Topic{{Kind: topicConversation, ID: p.ConversationID}}, events.Topic{}
		}
	}
	return nil, events.Topic{}
}

// sees reports whether the visitor sees the conversation.
func (f *visitorFilter) sees(id int64) bool { return f.seen[id] }

// learn decides for a conversation just created (its new_conversation
// event): one of another contact is not the visitor's; else the store says.
// The hub follows it for the stream from that event on; the stream stops
// following one it does not see.
func (f *visitorFilter) learn(ctx context.Context, c *conversation.Conversation) error {
	if _, known := f.seen[c.ID]; known {
		return nil
	}
	if len(f.seen) > maxVisible {
		for id, ok := range f.seen {
			if !ok {
				delete(f.seen, id)
			}
		}
	}
	ok := false
	if f.v.session.ContactID == 0 || c.ContactID == f.v.session.ContactID {
		var err error
		if ok, err = f.s.cfg.Store.VisitorSees(ctx, f.v.session, c.ID); err != nil {
			return err
		}
	}
	f.seen[c.ID] = ok
	if f.sub != nil {
		t := events.Topic{Kind: topicConversation, ID: c.ID}
		if ok {
			f.sub.Follow(t) // when learnt from the log rather than the hub
		} else {
			f.sub.Unfollow(t)
		}
	}
	return nil
}

// view returns the stream event for ev, or "" when the visitor does not
// see it.
func (f *visitorFilter) view(ctx context.Context, ev events.Event) (string, []byte, error) {
	switch ev.Type {
	case events.NewConversation:
		var c conversation.Conversation
		if decodeEvent(ev.Data, &c) {
			return "", nil, f.learn(ctx, &c)
		}
	case events.NewMessage:
		var m conversation.Message
		if !decodeEvent(ev.Data, &m) {
			return "", nil, nil
		}
		if !f.sees(m.ConversationID) {
			return "", nil, nil
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
		if !f.sees(p.ConversationID) {
			return "", nil, nil
		}
		b, err := json.Marshal(map[string]any{"id": p.ConversationID, "status": p.Status})
		return "conversation", b, err
	case conversation.Typing:
		var p conversation.TypingPayload
		if !decodeEvent(ev.Data, &p) || p.Author.Type != conversation.AuthorUser {
			return "", nil, nil // the visitor's own typing is for the inbox
		}
		if !f.sees(p.ConversationID) {
			return "", nil, nil
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
