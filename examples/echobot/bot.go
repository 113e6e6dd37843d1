package main

import (
	"context"
	"errors"
	"html"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/driftwood-chat/driftwood/sdk/drift"
)

// Handler answers Drift's new_message webhooks: every chat message a
// contact (a website visitor) sends gets an echo, posted in the
// conversation as the org's bot. Other events, and messages of users and
// bots (the echo itself among them), are acknowledged and left alone.
//
// Requests that fail verification are answered 401. A reply that could
// not be posted is answered 500, so that Drift delivers the webhook again;
// a message already answered is not answered twice, as delivery is at
// least once.
func Handler(c *drift.Client, v *drift.WebhookVerifier, log *slog.Logger) http.HandlerFunc {
	answered := newSeen(10_000)
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST webhooks here", http.StatusMethodNotAllowed)
			return
		}
		ev, err := v.Parse(r)
		switch {
		case errors.Is(err, drift.ErrWebhookVerification):
			log.Warn("refused a webhook", "err", err)
			http.Error(w, "verification failed", http.StatusUnauthorized)
			return
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		m, ok := ev.Data.(*drift.Message)
		if ev.Type != drift.EventNewMessage || !ok || m.Author.Type != drift.AuthorContact || m.Type != drift.MessageChat {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if !answered.add(m.ID) {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		reply, err := c.PostMessage(ctx, m.ConversationID, drift.NewMessage{Type: drift.MessageChat, Body: Echo(m.Body)})
		if err != nil {
			answered.remove(m.ID)
			log.Error("posting the reply", "conversation", m.ConversationID, "err", err)
			http.Error(w, "could not reply", http.StatusInternalServerError)
			return
		}
		log.Info("answered", "conversation", m.ConversationID, "message", m.ID, "reply", reply.ID)
		w.WriteHeader(http.StatusNoContent)
	}
}

var tags = regexp.MustCompile(`<[^>]*>`)

// Echo is the bot's answer to a message body (HTML): its text, quoted.
func Echo(body string) string {
	text := strings.TrimSpace(html.UnescapeString(tags.ReplaceAllString(body, " ")))
	text = strings.Join(strings.Fields(text), " ")
	return "<p>You said: " + html.EscapeString(text) + "</p>"
}

// seen is a bounded set of message ids: when full it starts afresh, which
// only forgets ids old enough not to be delivered again.
type seen struct {
	mu  sync.Mutex
	ids map[int64]bool
	max int
}

func newSeen(max int) *seen { return &seen{ids: map[int64]bool{}, max: max} }

// add records id and reports whether it is new.
func (s *seen) add(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids[id] {
		return false
	}
	if len(s.ids) >= s.max {
		clear(s.ids)
	}
	s.ids[id] = true
	return true
}

func (s *seen) remove(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ids, id)
}
