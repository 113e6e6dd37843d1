package httpapi

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/driftwood-chat/driftwood/internal/agent"
	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/user"
	webinbox "github.com/driftwood-chat/driftwood/web/inbox"
)

// SessionCookie names the inbox's session cookie.
const SessionCookie = "dw_session"

// CSRFHeader carries a session's anti-forgery token on the inbox's writes.
const CSRFHeader = "X-CSRF-Token"

var inboxPages = template.Must(template.ParseFS(webinbox.FS(), "*.html"))

// Sign-in limits: per account and per client address, so that neither
// one address guessing many accounts nor many addresses guessing one get
// far. Each key gets a burst, then one try per interval.
const (
	signInAccountBurst = 5
	signInAccountEvery = 20 * time.Second
	signInIPBurst      = 20
	signInIPEvery      = 3 * time.Second
	signInKeysMax      = 10000 // the tables are cleared past this many keys
)

// signInLimits are the sign-in rate limits of one server (one replica).
// Only failures spend them, so that colleagues behind one address who
// sign in right are never held back.
type signInLimits struct {
	mu       sync.Mutex
	accounts map[string]*rate.Limiter
	ips      map[string]*rate.Limiter
}

// limiters returns the account's and the address's limiters.
func (l *signInLimits) limiters(account, ip string) (*rate.Limiter, *rate.Limiter) {
	if l.accounts == nil || len(l.accounts)+len(l.ips) > signInKeysMax {
		l.accounts, l.ips = map[string]*rate.Limiter{}, map[string]*rate.Limiter{}
	}
	get := func(m map[string]*rate.Limiter, k string, every time.Duration, burst int) *rate.Limiter {
		if m[k] == nil {
			m[k] = rate.NewLimiter(rate.Every(every), burst)
		}
		return m[k]
	}
	return get(l.accounts, strings.ToLower(strings.TrimSpace(account)), signInAccountEvery, signInAccountBurst),
		get(l.ips, ip, signInIPEvery, signInIPBurst)
}

// blocked reports whether the account or the address has spent its tries.
func (l *signInLimits) blocked(account, ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, i := l.limiters(account, ip)
	return a.Tokens() < 1 || i.Tokens() < 1
}

// failed spends a try of the account and of the address.
func (l *signInLimits) failed(account, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, i := l.limiters(account, ip)
	a.Allow()
	i.Allow()
}

// sessionKey carries the signed-in agent in a request's context.
type sessionKey struct{}

// agentSession is the signed-in user of an inbox request.
type agentSession struct {
	User *user.User
	CSRF string
}

func sessionOf(r *http.Request) *agentSession {
	s, _ := r.Context().Value(sessionKey{}).(*agentSession)
	return s
}

// crossOrigin refuses browser requests from other sites: the standard
// library's check of Sec-Fetch-Site and Origin, with Driftwood's public
// address trusted (a proxy may change the Host header).
func (s *Server) crossOrigin() *http.CrossOriginProtection {
	s.xoOnce.Do(func() {
		s.xo = http.NewCrossOriginProtection()
		if u, err := url.Parse(s.cfg.PublicURL); err == nil && u.Scheme != "" && u.Host != "" {
			s.xo.AddTrustedOrigin(u.Scheme + "://" + u.Host)
		}
	})
	return s.xo
}

var errCrossSite = apperr.New(apperr.Forbidden, "cross-site request refused: send it from the inbox's own pages with its CSRF token")

// agentRoute wraps a handler of the inbox that needs a signed-in user: the
// session cookie instead of a bearer token, and on every write the
// same-origin check and the session's CSRF token (header X-CSRF-Token or
// form field csrf). Pages without a session redirect to /login; the
// inbox's API answers 401.
func (s *Server) agentRoute(page bool, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.agentAuth(w, r, page, h); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) agentAuth(w http.ResponseWriter, r *http.Request, page bool, h handlerFunc) error {
	if s.cfg.Agents == nil {
		return apperr.NotFoundf("the inbox is not configured")
	}
	if err := checkURLText(r); err != nil {
		return err
	}
	raw := ""
	if c, err := r.Cookie(SessionCookie); err == nil {
		raw = c.Value
	}
	sess, u, err := s.cfg.Agents.Authenticate(r.Context(), raw)
	if errors.Is(err, agent.ErrNoSession) && page {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	csrf := s.cfg.Agents.CSRFToken(raw)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if s.crossOrigin().Check(r) != nil {
			return errCrossSite
		}
		token := r.Header.Get(CSRFHeader)
		if token == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			token = r.PostFormValue("csrf")
		}
		if !s.cfg.Agents.CheckCSRF(raw, token) {
			return errCrossSite
		}
	}
	info(r.Context()).orgID = sess.OrgID
	ctx := auth.WithPrincipal(r.Context(), auth.Principal{OrgID: sess.OrgID})
	ctx = context.WithValue(ctx, sessionKey{}, &agentSession{User: u, CSRF: csrf})
	w.Header().Set("Cache-Control", "no-store")
	return h(w, r.WithContext(ctx))
}

// setSessionCookie sets (raw != "") or clears the session cookie: HttpOnly,
// SameSite=Lax, and Secure when Driftwood is reached over HTTPS.
func (s *Server) setSessionCookie(w http.ResponseWriter, raw string) {
	c := &http.Cookie{Name: SessionCookie, Value: raw, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: strings.HasPrefix(s.cfg.PublicURL, "https://")}
	if raw == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// authPage is the data of login.html and invite.html.
type authPage struct {
	Title  string
	Error  string
	Notice string
	Email  string
	Action string
}

// renderPage writes an HTML page of the inbox with status.
func renderPage(w http.ResponseWriter, status int, name string, data any) error {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
	h.Set("Referrer-Policy", "no-referrer") // invitation links carry their token
	w.WriteHeader(status)
	return inboxPages.ExecuteTemplate(w, name, data)
}

// loginPage serves GET /login.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	p := authPage{Title: "Sign in"}
	if r.URL.Query().Get("password") == "set" {
		p.Notice = "Your password is set. Sign in with it."
	}
	return renderPage(w, http.StatusOK, "login.html", p)
}

// login serves POST /login: the sign-in form. A wrong email or password,
// a cross-site post or too many tries re-render the form with the reason.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Agents == nil {
		return apperr.NotFoundf("the inbox is not configured")
	}
	fail := func(status int, msg, email string) error {
		return renderPage(w, status, "login.html", authPage{Title: "Sign in", Error: msg, Email: email})
	}
	if s.crossOrigin().Check(r) != nil {
		return fail(http.StatusForbidden, "Cross-site sign-in refused. Open this page directly and try again.", "")
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return fail(http.StatusUnsupportedMediaType, "Sign in with the form.", "")
	}
	if err := r.ParseForm(); err != nil {
		return fail(http.StatusBadRequest, "The form could not be read.", "")
	}
	email, pw := r.PostForm.Get("email"), r.PostForm.Get("password")
	if !plainText(email) || !plainText(pw) {
		return fail(http.StatusBadRequest, "The email and password must be text.", "")
	}
	ip := clientIP(r).String()
	if s.signIns.blocked(email, ip) {
		w.Header().Set("Retry-After", "60")
		return fail(http.StatusTooManyRequests, "Too many sign-in attempts. Wait a minute and try again.", email)
	}
	raw, _, err := s.cfg.Agents.SignIn(r.Context(), email, pw)
	if errors.Is(err, agent.ErrSignIn) {
		s.signIns.failed(email, ip)
		return fail(http.StatusUnauthorized, "Wrong email or password.", email)
	}
	if err != nil {
		return err
	}
	s.setSessionCookie(w, raw)
	http.Redirect(w, r, "/inbox", http.StatusSeeOther)
	return nil
}

// logout serves POST /logout (a signed-in form with its CSRF token).
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	c, _ := r.Cookie(SessionCookie)
	if err := s.cfg.Agents.SignOut(r.Context(), c.Value); err != nil {
		return err
	}
	s.setSessionCookie(w, "")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// invitePage serves GET /invite/{token}: the form to set a password.
func (s *Server) invitePage(w http.ResponseWriter, r *http.Request) error {
	return renderPage(w, http.StatusOK, "invite.html", authPage{Title: "Set your password", Action: "/invite/" + url.PathEscape(r.PathValue("token"))})
}

// acceptInvite serves POST /invite/{token}: the password is set once, and
// the link stops working.
func (s *Server) acceptInvite(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Agents == nil {
		return apperr.NotFoundf("the inbox is not configured")
	}
	p := authPage{Title: "Set your password", Action: "/invite/" + url.PathEscape(r.PathValue("token"))}
	fail := func(status int, msg string) error { p.Error = msg; return renderPage(w, status, "invite.html", p) }
	if s.crossOrigin().Check(r) != nil {
		return fail(http.StatusForbidden, "Cross-site request refused. Open the invitation link directly.")
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return fail(http.StatusUnsupportedMediaType, "Set the password with the form.")
	}
	if err := r.ParseForm(); err != nil {
		return fail(http.StatusBadRequest, "The form could not be read.")
	}
	pw := r.PostForm.Get("password")
	if !plainText(pw) {
		return fail(http.StatusBadRequest, "The password must be text.")
	}
	if pw != r.PostForm.Get("confirm") {
		return fail(http.StatusBadRequest, "The two passwords differ.")
	}
	ip := clientIP(r).String()
	if s.signIns.blocked("invite:", ip) {
		w.Header().Set("Retry-After", "60")
		return fail(http.StatusTooManyRequests, "Too many attempts. Wait a minute and try again.")
	}
	_, err := s.cfg.Agents.SetPassword(r.Context(), r.PathValue("token"), pw)
	var ae *apperr.Error
	switch {
	case errors.Is(err, agent.ErrBadInvite):
		s.signIns.failed("invite:", ip) // guessing links
		return fail(http.StatusNotFound, "This invitation link is invalid, already used or expired. Ask an admin for a new one.")
	case errors.As(err, &ae) && ae.Code == apperr.Invalid:
		return fail(http.StatusBadRequest, ae.Message)
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/login?password=set", http.StatusSeeOther)
	return nil
}

// inviteUser serves POST /driftwood/v1/users/{id}/invite: a one-time link
// for the user to set a password (and so to sign in to the inbox).
func (s *Server) inviteUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if s.cfg.Agents == nil {
		return apperr.NotFoundf("the inbox is not configured")
	}
	raw, expires, err := s.cfg.Agents.Invite(r.Context(), orgID(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, data(map[string]any{
		"userId": id, "url": s.cfg.PublicURL + "/invite/" + raw, "expiresAt": expires.UnixMilli()}))
}
