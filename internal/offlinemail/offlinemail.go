// Package offlinemail is offline access by email: agent messages an
// identified visitor has not read are emailed to them (after a minute when
// they are offline, fifteen when online: Drift's timings), once, with a
// signed link back to the full-page chat; the email's Reply-To carries a
// signed reference to the conversation, so that the visitor's reply, which
// an inbound-mail relay posts to POST /driftwood/v1/inbound-email, comes
// back into it.
//
// The queue is in the database (offline_emails): a row is written in the
// transaction of the agent's message; the Mailer claims due rows with a
// lease (SKIP LOCKED on PostgreSQL), so one replica sends each, and a
// restart resumes what was pending. A crash between the send and its
// record sends that email again after the lease: at least once, as SMTP
// allows no better.
package offlinemail

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/conversation"
)

// Outcomes of a queued email.
const (
	Sent    = "sent"
	Read    = "read"     // the visitor read the messages first
	NoEmail = "no_email" // the visitor is not identified by an email
)

// Pending is a claimed email: the conversation, its contact, and the agent
// messages the visitor has not read since the one that queued it.
type Pending struct {
	ID             int64
	OrgID          int64
	ConversationID int64
	ContactEmail   string
	ContactName    string
	Attempts       int // sends tried, this claim included
	// Online is whether a widget of the visitor was seen in the last
	// OnlineWindow.
	Online bool
	Unread []*conversation.Message // oldest first
	// Through is the newest agent message when it was claimed: the email
	// covers the conversation up to it.
	Through int64
	// AuthorNames names the agents of Unread, by user id.
	AuthorNames map[int64]string
}

// OnlineWindow is how recently a visitor's widget must have been seen for
// them to count as online; the widget's stream touches its session every
// PresenceInterval.
const (
	OnlineWindow     = 90 * time.Second
	PresenceInterval = 30 * time.Second
)

// Store is the queue.
type Store interface {
	// ClaimOfflineEmails leases up to limit due emails (due_at <= now, not
	// leased) until leaseUntil and returns them; visitors seen since
	// onlineSince are Online.
	ClaimOfflineEmails(ctx context.Context, now, leaseUntil, onlineSince int64, limit int) ([]Pending, error)
	// PostponeOfflineEmail releases a claimed email to be due at due.
	PostponeOfflineEmail(ctx context.Context, id, due int64) error
	// FinishOfflineEmail records how a claimed email ended; lastMessageID
	// is the newest message it covered (0: none), and agent messages after
	// it queue a new email.
	FinishOfflineEmail(ctx context.Context, id int64, outcome string, lastMessageID int64) error
}

// Decision is what to do with a claimed email now.
type Decision struct {
	Outcome string // Sent (send it now), Read, NoEmail, or "" to postpone
	Due     time.Time
}

// Decide applies the timings: nothing unread ends it (Read), no email
// ends it (NoEmail); otherwise the email waits until the oldest unread
// message is offlineDelay old, or onlineDelay when the visitor is online.
func Decide(p Pending, now time.Time, offlineDelay, onlineDelay time.Duration) Decision {
	if len(p.Unread) == 0 {
		return Decision{Outcome: Read}
	}
	if _, err := mail.ParseAddress(p.ContactEmail); err != nil || p.ContactEmail == "" {
		return Decision{Outcome: NoEmail}
	}
	delay := offlineDelay
	if p.Online {
		delay = onlineDelay
	}
	due := time.UnixMilli(p.Unread[0].CreatedAt).Add(delay)
	if now.Before(due) {
		return Decision{Due: due}
	}
	return Decision{Outcome: Sent}
}

// Signer signs conversation references (links and reply addresses).
type Signer struct{ Secret []byte }

// Sign is the signature of a conversation of an org: 24 lower-case hex
// digits (reply addresses' local parts are often folded to lower case).
func (s Signer) Sign(orgID, conversationID int64) string {
	m := hmac.New(sha256.New, s.Secret)
	fmt.Fprintf(m, "driftwood offline email %d %d", orgID, conversationID)
	return hex.EncodeToString(m.Sum(nil))[:24]
}

// Verify checks a signature in constant time.
func (s Signer) Verify(orgID, conversationID int64, sig string) bool {
	return hmac.Equal([]byte(s.Sign(orgID, conversationID)), []byte(strings.ToLower(sig)))
}

// ReplyAddress is the Reply-To of a conversation's emails:
// reply+CONVERSATION.SIGNATURE@ the From address's domain.
func (s Signer) ReplyAddress(from string, orgID, conversationID int64) string {
	domain := "localhost"
	if a, err := mail.ParseAddress(from); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok {
			domain = d
		}
	}
	return fmt.Sprintf("reply+%d.%s@%s", conversationID, s.Sign(orgID, conversationID), domain)
}

var replyRE = regexp.MustCompile(`(?i)^reply\+([0-9]{1,19})\.([0-9a-f]{24})@`)

// ParseReply finds the conversation of a reply address among recipients
// ("Name <addr>" or bare addresses) and checks its signature for the org.
// An address that is no reply address, or whose signature is not the
// org's, is a not-found: another org's conversation answers as a missing one.
func (s Signer) ParseReply(orgID int64, recipients []string) (int64, error) {
	sawReply := false
	for _, r := range recipients {
		addr := strings.TrimSpace(r)
		if a, err := mail.ParseAddress(addr); err == nil {
			addr = a.Address
		}
		m := replyRE.FindStringSubmatch(addr)
		if m == nil {
			continue
		}
		sawReply = true
		id, err := strconv.ParseInt(m[1], 10, 64)
		if err == nil && id > 0 && s.Verify(orgID, id, m[2]) {
			return id, nil
		}
	}
	if !sawReply {
		return 0, apperr.Invalidf("to", "no recipient is a reply address (reply+CONVERSATION.SIGNATURE@…)")
	}
	return 0, apperr.NotFoundf("no conversation for this reply address")
}

// LinkValidity is how long an email's link back to the chat works: whoever
// holds the link (a forwarded email, a shared inbox) takes over the
// visitor's conversation, so it must not do so for ever. Replies by email
// keep working after it.
const LinkValidity = 30 * 24 * time.Hour

// Link is the signed link back to the conversation in the full-page chat,
// valid until now+LinkValidity.
func (s Signer) Link(publicURL, embedID string, orgID, conversationID int64, now time.Time) string {
	until := now.Add(LinkValidity).UnixMilli()
	return fmt.Sprintf("%s/chat/%s?conversation=%d&until=%d&sig=%s", publicURL, embedID, conversationID, until,
		s.linkSig(orgID, conversationID, until))
}

// linkSig signs a link's conversation and expiry (epoch ms); it differs from
// the reply address's signature, which has no expiry.
func (s Signer) linkSig(orgID, conversationID, until int64) string {
	m := hmac.New(sha256.New, s.Secret)
	fmt.Fprintf(m, "driftwood offline link %d %d %d", orgID, conversationID, until)
	return hex.EncodeToString(m.Sum(nil))[:24]
}

// VerifyLink checks a link's signature (a not-found when it is not the
// org's, as a missing conversation) and then its expiry.
func (s Signer) VerifyLink(orgID, conversationID, until int64, sig string, now time.Time) error {
	if !hmac.Equal([]byte(s.linkSig(orgID, conversationID, until)), []byte(strings.ToLower(sig))) {
		return apperr.NotFoundf("no conversation with id %d", conversationID)
	}
	if now.UnixMilli() > until {
		return apperr.Invalidf("until", "this link expired on %s; reply to the email or start a new chat",
			time.UnixMilli(until).UTC().Format(time.DateOnly))
	}
	return nil
}

var (
	tagRE   = regexp.MustCompile(`<[^>]*>`)
	breakRE = regexp.MustCompile(`(?i)<br\s*/?>|</p>|</div>|</li>`)
)

// PlainText is a message body (HTML) as the text of an email.
func PlainText(body string) string {
	s := breakRE.ReplaceAllString(body, "\n")
	s = html.UnescapeString(tagRE.ReplaceAllString(s, ""))
	return strings.TrimSpace(s)
}

// quoteStartRE finds where a reply's quote of the email begins: "On …
// wrote:", Outlook's separator, or the first quoted line.
var quoteStartRE = regexp.MustCompile(`(?m)^(On .{1,300}wrote:\s*$|-{2,}\s*Original Message\s*-{2,}|From: .+$|>)`)

// ReplyText is the visitor's own words of an email reply: the text above
// the quote of the email they answer, trimmed.
func ReplyText(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if loc := quoteStartRE.FindStringIndex(text); loc != nil {
		text = text[:loc[0]]
	}
	return strings.TrimSpace(text)
}
