package httpapi

import (
	"context"
	"html"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/logkey"
	"github.com/driftwood-chat/driftwood/internal/offlinemail"
	"github.com/driftwood-chat/driftwood/internal/secrets"
)

// OfflineEmailSigner signs the links and reply addresses of offline email
// under the server's key (the mailer and the inbound route share it).
func OfflineEmailSigner(key *secrets.Key) offlinemail.Signer {
	return offlinemail.Signer{Secret: []byte(key.Hash("driftwood offline email references"))}
}

// visitorPresence marks the visitor's session online while their widget's
// stream is open, when offline email is on: now, then every
// offlinemail.PresenceInterval until ctx ends.
func (s *Server) visitorPresence(ctx context.Context, v *visit) {
	if !s.cfg.OfflineEmail {
		return
	}
	touch := func() {
		if err := s.cfg.Store.MarkVisitorOnline(context.WithoutCancel(ctx), v.session.ID); err != nil {
			s.log.Warn("visitor presence", logkey.OrgID, v.org, logkey.Err, err)
		}
	}
	touch()
	go func() {
		t := time.NewTicker(offlinemail.PresenceInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				touch()
			}
		}
	}()
}

// basicAsBearer lets an inbound-mail relay authenticate with the API
// token as the password of HTTP Basic auth (relays are configured with a
// URL, https://relay:TOKEN@host/…, more often than with a header).
func basicAsBearer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pass, ok := r.BasicAuth(); ok {
			r = r.Clone(r.Context())
			r.Header.Set("Authorization", "Bearer "+pass)
		}
		h.ServeHTTP(w, r)
	})
}

// maxInboundText bounds the reply text taken from an email.
const maxInboundText = 20_000

// inboundEmail serves POST /driftwood/v1/inbound-email {from, to, subject,
// text}: the visitor's reply to an offline email, posted into the
// conversation its reply address names, as the conversation's contact.
func (s *Server) inboundEmail(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		From    string `json:"from"`
		To      any    `json:"to"`
		Subject string `json:"subject"`
		Text    string `json:"text"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	var recipients []string
	switch to := body.To.(type) {
	case string:
		recipients = strings.Split(to, ",")
	case []any:
		for _, x := range to {
			if s, ok := x.(string); ok {
				recipients = append(recipients, s)
			}
		}
	}
	if len(recipients) == 0 || len(recipients) > 100 {
		return apperr.Invalidf("to", "to must be the recipient address, or a list of 1 to 100 of them")
	}
	from, err := mail.ParseAddress(body.From)
	if err != nil {
		return apperr.Invalidf("from", "from must be an email address, got %q", body.From)
	}
	text := offlinemail.ReplyText(body.Text)
	if text == "" || len(text) > maxInboundText {
		return apperr.Invalidf("text", "text must hold a reply (above any quoted email) of at most %d bytes", maxInboundText)
	}
	ctx := r.Context()
	convID, err := OfflineEmailSigner(s.cfg.Tokens.Key).ParseReply(orgID(r), recipients)
	if err != nil {
		return err
	}
	c, err := s.cfg.Store.GetConversation(ctx, orgID(r), convID)
	if err != nil {
		return err
	}
	ct, err := s.cfg.Store.GetContact(ctx, orgID(r), c.ContactID)
	if err != nil {
		return err
	}
	if !strings.EqualFold(ct.Email(), from.Address) {
		return apperr.Invalidf("from", "the sender is not the conversation's contact")
	}
	m, err := s.cfg.Store.PostMessage(ctx, orgID(r), convID, conversation.Post{Type: conversation.Chat, Body: html.EscapeString(text),
		FromContact: true, PublicURL: s.cfg.PublicURL})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(map[string]any{"conversationId": convID, "messageId": m.ID}))
}

// visitorResume serves POST /widget/v1/{embedId}/resume {conversationId,
// until, sig}: the full-page chat opened from an offline email's link
// (/chat/{embedId}?conversation=ID&until=MS&sig=SIG) makes the visitor's
// session the conversation's contact's, so the conversation shows. A
// signature that is not this org's is a 404, as a missing conversation;
// an expired link is a 400.
func (s *Server) visitorResume(w http.ResponseWriter, r *http.Request, v *visit) error {
	var body struct {
		ConversationID any    `json:"conversationId"`
		Until          any    `json:"until"`
		Sig            string `json:"sig"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	cid, err := parseID("conversationId", scalarString(body.ConversationID))
	if err != nil {
		return err
	}
	until, err := strconv.ParseInt(scalarString(body.Until), 10, 64)
	if err != nil {
		return apperr.Invalidf("until", "until must be the link's expiry in epoch milliseconds")
	}
	if err := OfflineEmailSigner(s.cfg.Tokens.Key).VerifyLink(v.org, cid, until, body.Sig, time.Now()); err != nil {
		return err
	}
	if err := s.cfg.Store.ResumeVisitorSession(r.Context(), v.session, cid); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}
