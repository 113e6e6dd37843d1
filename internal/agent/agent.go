// Package agent is how the people who answer sign in to the inbox:
// invitations to set a password, passwords (argon2id), and browser sessions
// kept on the server. Only keyed hashes of invitation and session tokens
// are stored; the raw values exist in the link and the cookie alone.
package agent

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/secrets"
	"github.com/driftwood-chat/driftwood/internal/user"
)

// Token prefixes, so that a leaked value says what it is.
const (
	invitePrefix  = "dwi_"
	sessionPrefix = "dws_"
)

// Defaults of Accounts' lifetimes.
const (
	DefaultInviteTTL   = 72 * time.Hour
	DefaultIdleTimeout = 12 * time.Hour
	DefaultMaxAge      = 7 * 24 * time.Hour
)

// touchEvery bounds how often a session's last use is written.
const touchEvery = time.Minute

// Session is a signed-in browser of a user.
type Session struct {
	OrgID      int64
	UserID     int64
	CreatedAt  int64 // epoch ms
	LastSeenAt int64
}

// Credential is a user that can sign in: active, not a bot, with the
// password hash it set.
type Credential struct {
	User         *user.User
	PasswordHash string
}

// Store is the persistence of invitations and sessions. A user who is
// deleted or deactivated has no sessions and no credential.
type Store interface {
	// InsertInvite replaces the user's invitations with one, unless the
	// user is not an active, non-bot user of the org (not found).
	InsertInvite(ctx context.Context, orgID, userID int64, hash string, expiresAt int64) error
	// RedeemInvite, in one transaction, finds the invitation (not found
	// when it is missing, used or past expiresAt at now), sets the user's
	// password hash, deletes the invitation and ends all the user's
	// sessions.
	RedeemInvite(ctx context.Context, hash, passwordHash string, now int64) (*user.User, error)
	// Credentials lists the users, in any org, who have this email and can
	// sign in.
	Credentials(ctx context.Context, email string) ([]Credential, error)
	InsertSession(ctx context.Context, hash string, s *Session) error
	// SessionUser finds a session and its user, who must still be active.
	SessionUser(ctx context.Context, hash string) (*Session, *user.User, error)
	TouchSession(ctx context.Context, hash string, now int64) error
	DeleteSession(ctx context.Context, hash string) error
}

// Accounts signs users in and out. It holds the secret key.
type Accounts struct {
	Store       Store
	Key         *secrets.Key
	Now         func() time.Time
	InviteTTL   time.Duration
	IdleTimeout time.Duration // a session unused this long ends
	MaxAge      time.Duration // a session ends this long after sign-in, used or not
}

func (a *Accounts) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// ErrBadInvite is the one answer for an invitation link that is unknown,
// used or expired.
var ErrBadInvite = apperr.New(apperr.NotFound, "this invitation link is invalid, used or expired; ask an admin for a new one")

// ErrSignIn is the one answer for a wrong email or password.
var ErrSignIn = apperr.New(apperr.Unauthenticated, "wrong email or password")

// ErrNoSession is the answer for a missing, forged, expired or ended session.
var ErrNoSession = apperr.New(apperr.Unauthenticated, "not signed in, or the session has ended; sign in again")

// Invite makes a one-time link token for the user to set a password, and
// returns it with its expiry. An earlier invitation of the user stops working.
func (a *Accounts) Invite(ctx context.Context, orgID, userID int64) (raw string, expires time.Time, err error) {
	raw = secrets.RandomToken(invitePrefix)
	expires = a.now().Add(orDefault(a.InviteTTL, DefaultInviteTTL))
	if err := a.Store.InsertInvite(ctx, orgID, userID, a.Key.Hash(raw), expires.UnixMilli()); err != nil {
		return "", time.Time{}, err
	}
	return raw, expires, nil
}

// inviteHash is the stored hash of a raw invitation token, or ErrBadInvite
// for a value that cannot be one.
func (a *Accounts) inviteHash(raw string) (string, error) {
	if !strings.HasPrefix(raw, invitePrefix) || len(raw) > 100 {
		return "", ErrBadInvite
	}
	return a.Key.Hash(raw), nil
}

// SetPassword redeems an invitation: the user's password becomes pw and
// every session the user had ends.
func (a *Accounts) SetPassword(ctx context.Context, rawInvite, pw string) (*user.User, error) {
	hash, err := a.inviteHash(rawInvite)
	if err != nil {
		return nil, err
	}
	if err := CheckNewPassword(pw); err != nil {
		return nil, err
	}
	u, err := a.Store.RedeemInvite(ctx, hash, HashPassword(pw), a.now().UnixMilli())
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, ErrBadInvite
	}
	return u, err
}

// SignIn checks an email and password and starts a session, returning the
// raw token for the cookie.
func (a *Accounts) SignIn(ctx context.Context, email, pw string) (raw string, _ *user.User, err error) {
	email = strings.TrimSpace(email)
	if email == "" || pw == "" || len(pw) > 4*MaxPasswordLen || len(email) > 320 {
		return "", nil, ErrSignIn
	}
	creds, err := a.Store.Credentials(ctx, email)
	if err != nil {
		return "", nil, err
	}
	var who *user.User
	for _, c := range creds {
		if CheckPassword(c.PasswordHash, pw) {
			who = c.User
			break
		}
	}
	if len(creds) == 0 {
		CheckPassword(dummyHash, pw) // as slow as a wrong password
	}
	if who == nil {
		return "", nil, ErrSignIn
	}
	raw = secrets.RandomToken(sessionPrefix)
	now := a.now().UnixMilli()
	s := &Session{OrgID: who.OrgID, UserID: who.ID, CreatedAt: now, LastSeenAt: now}
	if err := a.Store.InsertSession(ctx, a.Key.Hash(raw), s); err != nil {
		return "", nil, err
	}
	return raw, who, nil
}

// Authenticate returns the session of a raw cookie value and its user, or
// ErrNoSession: unknown, forged, idle too long, too old, or its user
// deactivated or deleted.
func (a *Accounts) Authenticate(ctx context.Context, raw string) (*Session, *user.User, error) {
	if !strings.HasPrefix(raw, sessionPrefix) || len(raw) > 100 {
		return nil, nil, ErrNoSession
	}
	hash := a.Key.Hash(raw)
	s, u, err := a.Store.SessionUser(ctx, hash)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, err
	}
	now := a.now()
	idle := orDefault(a.IdleTimeout, DefaultIdleTimeout)
	maxAge := orDefault(a.MaxAge, DefaultMaxAge)
	if now.Sub(time.UnixMilli(s.LastSeenAt)) > idle || now.Sub(time.UnixMilli(s.CreatedAt)) > maxAge {
		if err := a.Store.DeleteSession(ctx, hash); err != nil {
			return nil, nil, err
		}
		return nil, nil, ErrNoSession
	}
	if now.Sub(time.UnixMilli(s.LastSeenAt)) >= touchEvery {
		if err := a.Store.TouchSession(ctx, hash, now.UnixMilli()); err != nil {
			return nil, nil, err
		}
	}
	return s, u, nil
}

// SignOut ends the session of a raw cookie value (none: nothing to do).
func (a *Accounts) SignOut(ctx context.Context, raw string) error {
	if !strings.HasPrefix(raw, sessionPrefix) || len(raw) > 100 {
		return nil
	}
	return a.Store.DeleteSession(ctx, a.Key.Hash(raw))
}

// CSRFToken is the anti-forgery token of a session: keyed on the session's
// raw token, so nothing more is stored and another session's does not fit.
func (a *Accounts) CSRFToken(rawSession string) string {
	return a.Key.Hash("csrf\x00" + rawSession)
}

// CheckCSRF reports whether token is the session's anti-forgery token.
func (a *Accounts) CheckCSRF(rawSession, token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(a.CSRFToken(rawSession))) == 1
}
