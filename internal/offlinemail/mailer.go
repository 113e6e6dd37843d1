package offlinemail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/logkey"
)

// Mailer sends the due emails of the queue.
type Mailer struct {
	Store Store
	// Send delivers one message (SMTP.Send).
	Send      func(ctx context.Context, to string, msg []byte) error
	From      string
	Signer    Signer
	PublicURL string
	// EmbedID is an org's widget embed id, for the link to the full-page chat.
	EmbedID                   func(orgID int64) string
	OfflineDelay, OnlineDelay time.Duration
	Log                       *slog.Logger
	Now                       func() time.Time // time.Now when nil
}

// Lease is how long a claimed email is one replica's to send; maxAttempts
// how many failed sends an email gets before it is given up.
const (
	Lease       = 2 * time.Minute
	maxAttempts = 10
	batch       = 50
)

func (m *Mailer) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// interval is how often the mailer looks: a quarter of the offline delay,
// within a second and fifteen.
func (m *Mailer) interval() time.Duration {
	return min(max(m.OfflineDelay/4, time.Second), 15*time.Second)
}

// Run sends due emails until ctx ends.
func (m *Mailer) Run(ctx context.Context) {
	t := time.NewTicker(m.interval())
	defer t.Stop()
	for {
		if _, err := m.SendDue(ctx); err != nil && ctx.Err() == nil {
			m.Log.Error("sending offline email", logkey.Err, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SendDue claims the due emails and, for each, sends it, postpones it or
// ends it (see Decide). It returns how many it sent.
func (m *Mailer) SendDue(ctx context.Context) (int, error) {
	sent := 0
	for ctx.Err() == nil {
		now := m.now()
		claimed, err := m.Store.ClaimOfflineEmails(ctx, now.UnixMilli(), now.Add(Lease).UnixMilli(), now.Add(-OnlineWindow).UnixMilli(), batch)
		if err != nil {
			return sent, err
		}
		for _, p := range claimed {
			ok, err := m.handle(ctx, p, now)
			if err != nil {
				return sent, err
			}
			if ok {
				sent++
			}
		}
		if len(claimed) < batch {
			break
		}
	}
	return sent, nil
}

// handle decides and does what one claimed email needs; it reports whether
// it sent it.
func (m *Mailer) handle(ctx context.Context, p Pending, now time.Time) (bool, error) {
	d := Decide(p, now, m.OfflineDelay, m.OnlineDelay)
	last := p.Through
	switch d.Outcome {
	case "":
		return false, m.Store.PostponeOfflineEmail(ctx, p.ID, d.Due.UnixMilli())
	case Read, NoEmail:
		return false, m.Store.FinishOfflineEmail(ctx, p.ID, d.Outcome, last)
	}
	msg, err := m.Compose(p, now)
	if err != nil {
		return false, err
	}
	if err := m.Send(ctx, p.ContactEmail, msg); err != nil {
		log := m.Log.With(logkey.OrgID, p.OrgID, logkey.ConversationID, p.ConversationID, logkey.Attempts, p.Attempts)
		if p.Attempts >= maxAttempts {
			log.Error("offline email given up", logkey.Err, err)
			return false, m.Store.FinishOfflineEmail(ctx, p.ID, Failed, last)
		}
		log.Warn("offline email not sent; will retry", logkey.Err, err)
		return false, m.Store.PostponeOfflineEmail(ctx, p.ID, now.Add(time.Duration(p.Attempts)*time.Minute).UnixMilli())
	}
	return true, m.Store.FinishOfflineEmail(ctx, p.ID, Sent, last)
}

// Compose writes the email of p: the unread messages as text, the link back
// to the chat, and the signed Reply-To.
func (m *Mailer) Compose(p Pending, now time.Time) ([]byte, error) {
	var body strings.Builder
	for _, msg := range p.Unread {
		name := p.AuthorNames[msg.Author.ID]
		if name == "" {
			name = "The team"
		}
		fmt.Fprintf(&body, "%s wrote:\n\n%s\n\n", name, PlainText(msg.Body))
	}
	fmt.Fprintf(&body, "Reply to this email, or continue the conversation here:\n%s\n",
		m.Signer.Link(m.PublicURL, m.EmbedID(p.OrgID), p.OrgID, p.ConversationID, now))
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("--smtp-from: %w", err)
	}
	to := &mail.Address{Name: p.ContactName, Address: p.ContactEmail}
	id := make([]byte, 12)
	rand.Read(id)
	_, domain, _ := strings.Cut(from.Address, "@")
	var b bytes.Buffer
	for _, h := range [][2]string{
		{"From", from.String()},
		{"To", to.String()},
		{"Reply-To", m.Signer.ReplyAddress(m.From, p.OrgID, p.ConversationID)},
		{"Subject", mime.QEncoding.Encode("utf-8", "New reply to your conversation")},
		{"Date", now.Format(time.RFC1123Z)},
		{"Message-ID", "<" + hex.EncodeToString(id) + "@" + domain + ">"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
		{"Auto-Submitted", "auto-generated"},
	} {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(body.String(), "\n", "\r\n"))); err != nil {
		return nil, err
	}
	return b.Bytes(), qp.Close()
}

// Failed is the outcome of an email given up after maxAttempts.
const Failed = "failed"

// SMTP sends mail through the server of --smtp-url: smtp://[user:pass@]host:port
// (STARTTLS when the server offers it) or smtps://host:port (TLS from the
// start). Credentials are sent only over TLS, or to a loopback server.
type SMTP struct {
	URL     *url.URL
	From    string
	Timeout time.Duration // each delivery's; 30 s when 0
	// TLS, when set, replaces the TLS settings (tests' own CA).
	TLS *tls.Config
}

// Send delivers msg to one recipient.
func (s *SMTP) Send(ctx context.Context, to string, msg []byte) error {
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host := s.URL.Hostname()
	addr := s.URL.Host
	if s.URL.Port() == "" {
		port := "25"
		if s.URL.Scheme == "smtps" {
			port = "465"
		}
		addr = net.JoinHostPort(host, port)
	}
	tlsConfig := s.TLS
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if s.URL.Scheme == "smtps" {
		conn = tls.Client(conn, tlsConfig)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Hello("driftwood"); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); ok && s.URL.Scheme == "smtp" {
		if err := c.StartTLS(tlsConfig); err != nil {
			return err
		}
	}
	if u := s.URL.User; u != nil {
		pass, _ := u.Password()
		if err := c.Auth(smtp.PlainAuth("", u.Username(), pass, host)); err != nil {
			return err
		}
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return err
	}
	if err := c.Mail(from.Address); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}
