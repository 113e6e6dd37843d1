// Package visitor is a website visitor's session: what the widget holds
// instead of an API token. A session's raw token is random, shown once to
// the widget and stored only as its keyed hash (like API tokens); it reads
// and writes only the conversations the session may see (Visible).
package visitor

import (
	"context"

	"github.com/driftwood-chat/driftwood/internal/conversation"
)

// TokenPrefix marks visitor session tokens, so that secret scanners and
// people tell them from API tokens.
const TokenPrefix = "dwvs_"

// Session is one visitor's session in one org.
type Session struct {
	ID    int64
	OrgID int64
	// ContactID is the visitor's contact: 0 until their first message or
	// identify.
	ContactID int64
	// Verified is set by a signed identity (HS256 with the widget secret):
	// the visitor is that contact, and sees all its conversations. An
	// unverified session sees only the conversations it started itself.
	Verified  bool
	CreatedAt int64
	// LastUsedAt is when the session was last used (epoch ms), to the
	// hour or so: a session idle longer than the server's
	// --visitor-session-ttl stops working (sliding, like Drift's cookie).
	LastUsedAt int64
}

// Identify is what drift.identify asks, once the HTTP layer has checked
// its signature against the identity mode.
type Identify struct {
	ExternalID string
	Email      string
	Attributes map[string]any
	// Verified: the page signed the identity. Only then may the session be
	// tied to an existing contact.
	Verified bool
}

// Read is a visitor's read position in a conversation.
type Read struct {
	ConversationID int64
	MessageID      int64
}

// Store keeps sessions and what each may see.
type Store interface {
	// CreateVisitorSession stores a session under its token's hash.
	CreateVisitorSession(ctx context.Context, orgID int64, tokenHash string) (*Session, error)
	// VisitorSession finds a session by its token's hash (not found: a
	// forged, unknown or deleted token).
	VisitorSession(ctx context.Context, tokenHash string) (*Session, error)
	// TouchVisitorSession records that the session was used at (epoch ms).
	TouchVisitorSession(ctx context.Context, id, at int64) error
	// DeleteIdleVisitorSessions deletes up to limit sessions last used
	// before (epoch ms) and returns how many it deleted.
	DeleteIdleVisitorSessions(ctx context.Context, before int64, limit int) (int64, error)
	// VisitorConversations lists up to limit conversations the session
	// sees, newest first.
	VisitorConversations(ctx context.Context, s *Session, limit int) ([]*conversation.Conversation, error)
	// VisitorSees reports whether the session sees the conversation.
	VisitorSees(ctx context.Context, s *Session, conversationID int64) (bool, error)
	// VisitorQueuePositions returns the 1-based places in the org's
	// routing queue of the session's conversations that wait in it.
	VisitorQueuePositions(ctx context.Context, s *Session) (map[int64]int, error)
	// StartVisitorConversation opens a conversation as the session's
	// visitor (their contact, made now if they have none; the contact with
	// start.Email when the visitor gave one before chatting) and records
	// that the session started it. With a nil session (the simulate
	// endpoint) start.Email names the contact, as POST /conversations/new.
	StartVisitorConversation(ctx context.Context, orgID int64, s *Session, start conversation.Start) (*conversation.Conversation, *conversation.Message, error)
	// IdentifyVisitor applies an identify to the session (see Identify).
	IdentifyVisitor(ctx context.Context, s *Session, id Identify) error
	// CaptureVisitorEmail records the email a visitor gave in the chat on
	// their contact and fires contact_identified. An email that another
	// contact already has is not moved: the visitor never becomes that
	// contact by typing its email.
	CaptureVisitorEmail(ctx context.Context, s *Session, email string) (bool, error)
	// MarkVisitorRead records that the visitor read the conversation up to
	// a message.
	MarkVisitorRead(ctx context.Context, s *Session, r Read) error
}
