package offlinemail_test

import (
	"context"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/offlinemail"
	"github.com/driftwood-chat/driftwood/internal/offlinemail/smtptest"
)

func TestDecide(t *testing.T) {
	t0 := time.UnixMilli(1_800_000_000_000)
	unread := []*conversation.Message{{ID: 5, CreatedAt: t0.UnixMilli()}}
	p := offlinemail.Pending{ContactEmail: "grace@example.org", Unread: unread}
	for _, tc := range []struct {
		name    string
		p       offlinemail.Pending
		at      time.Duration
		outcome string
		due     time.Duration
	}{
		{"offline, before a minute: wait for the minute", p, 30 * time.Second, "", time.Minute},
		{"offline, after a minute: send", p, time.Minute, offlinemail.Sent, 0},
		{"online, after a minute: wait for fifteen", func() offlinemail.Pending { q := p; q.Online = true; return q }(), 2 * time.Minute, "", 15 * time.Minute},
		{"online, after fifteen: send", func() offlinemail.Pending { q := p; q.Online = true; return q }(), 15 * time.Minute, offlinemail.Sent, 0},
		{"read meanwhile", func() offlinemail.Pending { q := p; q.Unread = nil; return q }(), time.Hour, offlinemail.Read, 0},
		{"not identified", func() offlinemail.Pending { q := p; q.ContactEmail = ""; return q }(), time.Hour, offlinemail.NoEmail, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := offlinemail.Decide(tc.p, t0.Add(tc.at), time.Minute, 15*time.Minute)
			if d.Outcome != tc.outcome || (tc.outcome == "" && !d.Due.Equal(t0.Add(tc.due))) {
				t.Errorf("Decide = %+v, want outcome %q due %v", d, tc.outcome, t0.Add(tc.due))
			}
		})
	}
}

func TestReplyAddress(t *testing.T) {
	s := offlinemail.Signer{Secret: []byte("k")}
	addr := s.ReplyAddress("Acme <support@acme.example>", 3, 42)
	if !strings.HasPrefix(addr, "reply+42.") || !strings.HasSuffix(addr, "@acme.example") {
		t.Fatalf("reply address %q", addr)
	}
	for _, to := range [][]string{{addr}, {"Other <x@y.example>", "Acme <" + strings.ToUpper(addr) + ">"}} {
		if id, err := s.ParseReply(3, to); err != nil || id != 42 {
			t.Errorf("ParseReply(%q) = %d, %v", to, id, err)
		}
	}
	notFound := [][]string{
		{strings.Replace(addr, "reply+42.", "reply+43.", 1)}, // another conversation under this signature
		{"reply+42.000000000000000000000000@acme.example"},   // a forged signature
	}
	for _, to := range notFound {
		if _, err := s.ParseReply(3, to); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("ParseReply(%q) = %v, want not found", to, err)
		}
	}
	if _, err := s.ParseReply(4, []string{addr}); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("another org's reference: %v, want not found", err)
	}
	if _, err := s.ParseReply(3, []string{"support@acme.example"}); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("no reply address: %v, want a validation error", err)
	}
}

func TestLink(t *testing.T) {
	s := offlinemail.Signer{Secret: []byte("k")}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	u, err := url.Parse(s.Link("https://chat.example", "1-abc", 3, 42, now))
	if err != nil || u.Path != "/chat/1-abc" || u.Query().Get("conversation") != "42" {
		t.Fatalf("link %v (%v)", u, err)
	}
	q := u.Query()
	until, _ := strconv.ParseInt(q.Get("until"), 10, 64)
	if until != now.Add(offlinemail.LinkValidity).UnixMilli() {
		t.Fatalf("until %d", until)
	}
	sig := q.Get("sig")
	if err := s.VerifyLink(3, 42, until, sig, now.Add(offlinemail.LinkValidity)); err != nil {
		t.Errorf("on its last day: %v", err)
	}
	if err := s.VerifyLink(3, 42, until, sig, now.Add(offlinemail.LinkValidity+time.Millisecond)); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("expired: %v, want a validation error", err)
	}
	for _, tc := range []struct {
		org, conv, until int64
		sig              string
	}{
		{3, 42, until + 86_400_000, sig}, // a later expiry under this signature
		{3, 43, until, sig},              // another conversation
		{4, 42, until, sig},              // another org
		{3, 42, until, s.Sign(3, 42)},    // the reply address's signature
	} {
		if err := s.VerifyLink(tc.org, tc.conv, tc.until, tc.sig, now); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("VerifyLink(%+v) = %v, want not found", tc, err)
		}
	}
}

func TestReplyText(t *testing.T) {
	for in, want := range map[string]string{
		"Thanks, Tuesday works.\r\n\r\nOn Mon, 2 Mar 2026 at 09:00, Acme <support@acme.example> wrote:\r\n> Hello Grace": "Thanks, Tuesday works.",
		"Yes please\n\n-----Original Message-----\nFrom: Acme":                                                           "Yes please",
		"Sure\n> quoted": "Sure",
		"  just text  ":  "just text",
	} {
		if got := offlinemail.ReplyText(in); got != want {
			t.Errorf("ReplyText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := offlinemail.PlainText("<p>Hello <b>Grace</b> &amp; co</p><p>Bye</p>"); got != "Hello Grace & co\nBye" {
		t.Errorf("PlainText = %q", got)
	}
}

// The mailer composes and sends through SMTP to a receiver on loopback.
func TestSMTPSend(t *testing.T) {
	rcv := smtptest.Start(t)
	u, _ := url.Parse("smtp://" + rcv.Addr)
	m := &offlinemail.Mailer{From: "Acme Support <support@acme.example>", Signer: offlinemail.Signer{Secret: []byte("k")},
		PublicURL: "https://chat.acme.example", EmbedID: func(int64) string { return "1-abc" }, Log: slog.New(slog.DiscardHandler)}
	p := offlinemail.Pending{OrgID: 1, ConversationID: 9, ContactEmail: "grace@example.org", ContactName: "Grace \"Amazing\" Hopper",
		Unread:      []*conversation.Message{{ID: 3, Author: conversation.Author{ID: 2, Type: "user"}, Body: "<p>Hi Grace, see you Tuesday.</p>"}},
		AuthorNames: map[int64]string{2: "Ada"}}
	msg, err := m.Compose(p, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := (&offlinemail.SMTP{URL: u, From: m.From}).Send(context.Background(), p.ContactEmail, msg); err != nil {
		t.Fatal(err)
	}
	got := <-rcv.Messages
	pm := got.Parsed(t)
	body, _ := io.ReadAll(quotedprintable.NewReader(pm.Body))
	if got.From != "support@acme.example" || got.To[0] != "grace@example.org" ||
		!strings.HasPrefix(pm.Header.Get("Reply-To"), "reply+9.") || !strings.Contains(pm.Header.Get("To"), "grace@example.org") ||
		!strings.Contains(string(body), "Ada wrote:") || !strings.Contains(string(body), "Hi Grace, see you Tuesday.") ||
		!strings.Contains(string(body), "https://chat.acme.example/chat/1-abc?conversation=9&until=") {
		t.Fatalf("delivered %+v\nbody %s", got, body)
	}
}
