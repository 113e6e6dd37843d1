// Package httpapi serves Drift's REST API and Driftwood's own API over HTTP:
// routing, middleware (request ids, access log, metrics, auth and scopes,
// rate limits, body limits) and Drift-shaped encoding and errors.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/driftwood-chat/driftwood/internal/account"
	"github.com/driftwood-chat/driftwood/internal/agent"
	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/audit"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/canned"
	"github.com/driftwood-chat/driftwood/internal/contact"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/gdpr"
	"github.com/driftwood-chat/driftwood/internal/geo"
	"github.com/driftwood-chat/driftwood/internal/integration"
	"github.com/driftwood-chat/driftwood/internal/logkey"
	"github.com/driftwood-chat/driftwood/internal/meeting"
	"github.com/driftwood-chat/driftwood/internal/oauth"
	"github.com/driftwood-chat/driftwood/internal/org"
	"github.com/driftwood-chat/driftwood/internal/pagetoken"
	"github.com/driftwood-chat/driftwood/internal/playbook"
	"github.com/driftwood-chat/driftwood/internal/report"
	"github.com/driftwood-chat/driftwood/internal/routing"
	"github.com/driftwood-chat/driftwood/internal/scim"
	"github.com/driftwood-chat/driftwood/internal/search"
	"github.com/driftwood-chat/driftwood/internal/team"
	"github.com/driftwood-chat/driftwood/internal/user"
	"github.com/driftwood-chat/driftwood/internal/visitor"
	"github.com/driftwood-chat/driftwood/internal/webhook"
	"github.com/driftwood-chat/driftwood/internal/widget"
)

// Store is every persistence interface the API uses.
type Store interface {
	contact.Store
	conversation.Store
	conversation.QuietStore
	org.Store
	user.Store
	team.Store
	meeting.Store
	meeting.AvailabilityStore
	account.Store
	playbook.Store
	playbook.RuntimeStore
	routing.Store
	report.Store
	// ResetOrg empties an org's data (POST /driftwood/v1/reset).
	ResetOrg(ctx context.Context, orgID int64) error
	scim.Store
	scim.GroupStore
	gdpr.Store
	webhook.LogStore
	audit.Store
	Ping(ctx context.Context) error
	// Ready reports whether the database answers and takes writes.
	Ready(ctx context.Context) error
	// MapUnavailable returns err as apperr.ErrUnavailable when it comes of
	// a database that cannot serve requests now (unreachable, out of
	// connections, shutting down, read-only, full).
	MapUnavailable(err error) error
	// SettledOrgEvents and LastEventID read the outbox for event streams.
	SettledOrgEvents(ctx context.Context, orgID, afterID int64, limit int) ([]events.Event, error)
	LastEventID(ctx context.Context, orgID int64) (int64, error)
	// The website widget: its settings, visitor sessions and what a
	// visitor posts and reads (widget.go, widget_visitor.go).
	widget.Store
	visitor.Store
	PostVisitorMessage(ctx context.Context, s *visitor.Session, conversationID int64, p conversation.Post) (*conversation.Message, error)
	VisitorAttachment(ctx context.Context, s *visitor.Session, id int64) (*conversation.AttachmentData, error)
	RecordTyping(ctx context.Context, orgID, conversationID int64, author conversation.Author) error
	// MarkVisitorOnline marks a visitor online (offline email).
	MarkVisitorOnline(ctx context.Context, sessionID int64) error
	// ResumeVisitorSession makes the session the contact's of a
	// conversation whose signed email link the visitor followed.
	ResumeVisitorSession(ctx context.Context, s *visitor.Session, conversationID int64) error
	// The agent inbox's list and assignment (inbox.go).
	conversation.InboxStore
	conversation.ReadStore // the inbox's read markers (inbox_reads.go)
	canned.Store
	search.Store
	// The inbox's contact sidebar (inbox_contact.go).
	AccountForDomain(ctx context.Context, orgID int64, domain string) (*account.Account, error)
	ContactTimeline(ctx context.Context, orgID, contactID int64, limit int) ([]contact.TimelineEvent, error)
}

// Config is what the API needs from the outside.
type Config struct {
	Store  Store
	Tokens *auth.Tokens
	Apps   *integration.Apps
	OAuth  *oauth.Server
	// Audit records every token use (asynchronously, in batches).
	Audit  *audit.Recorder
	Logger *slog.Logger
	// PublicURL is Driftwood's own address as clients reach it, without a
	// trailing slash; pagination links are absolute URLs on it.
	PublicURL string
	// RateLimit is the per-token rate in requests per second (0: no limit),
	// with a burst of RateBurst.
	RateLimit float64
	RateBurst int
	// OpenAPI makes what is served at /openapi.yaml; it is called on the
	// first request that needs it (making it took most of start-up).
	OpenAPI func() ([]byte, error)
	// Pages signs the page tokens of lists, so that forged ones are refused.
	Pages *pagetoken.Codec
	// Events announces committed outbox events to event streams (nil: they
	// only poll).
	Events *events.Notifier
	// Agents signs users in to the inbox (nil: no inbox).
	Agents *agent.Accounts
	// Geo finds a visitor's country (nil: never known).
	Geo *geo.Locator
	// OfflineEmail is whether offline email is on (--smtp-url): visitors'
	// widgets then report their presence.
	OfflineEmail bool
	// VisitorSessionTTL ends a visitor session idle this long (0: never).
	VisitorSessionTTL time.Duration
}

// Server is the API's http.Handler.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *Metrics
	handler http.Handler
	// routeList is every registered route (see Routes).
	routeList []Route
	// docsPage renders /docs from cfg.OpenAPI, once, on its first request.
	docsPage func() ([]byte, error)

	limitersMu sync.Mutex
	limiters   map[int64]*rate.Limiter // by token id

	streams    context.Context // ended by EndStreams
	endStreams context.CancelFunc

	visitors visitorLimits // the widget endpoints' rate limits
	hub      *events.Hub   // one reader of each org's log for its visitors' streams

	signIns signInLimits // the inbox's sign-in limits
	xoOnce  sync.Once
	xo      *http.CrossOriginProtection // see crossOrigin

	// sessionsSwept is when idle visitor sessions were last deleted (unix ms).
	sessionsSwept atomic.Int64
	// demoEmbedID is the demo org's, whose widget demo page / links ("": none).
	demoEmbedID string
}

// New builds the API handler. metrics may be shared with other servers'
// registries; nil makes a fresh one.
func New(cfg Config, metrics *Metrics) *Server {
	if metrics == nil {
		metrics = NewMetrics()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger.With(logkey.Subsystem, "http"),
		mux:      http.NewServeMux(),
		metrics:  metrics,
		limiters: map[int64]*rate.Limiter{},
	}
	s.streams, s.endStreams = context.WithCancel(context.Background())
	s.routes()
	s.docsPage = sync.OnceValues(func() ([]byte, error) {
		doc, err := cfg.OpenAPI()
		if err != nil {
			return nil, err
		}
		return renderDocs(doc)
	})
	s.handler = s.observe(s.errorGroups(s.recoverPanics(s.limitBody(s.stripV1(http.HandlerFunc(s.dispatch))))))
	return s
}

// Metrics returns the server's metrics (served at /metrics).
func (s *Server) Metrics() *Metrics { return s.metrics }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// dispatch routes the request, answering unknown paths and wrong methods
// with Drift's error shape rather than ServeMux's plain text.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r) // sets r.Pattern and the path values
		return
	}
	// Let the mux tell 404 from 405 (it knows the Allow header), then answer in our shape.
	probe := &statusProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		s.writeError(w, r, apperr.New(apperr.MethodNotAllowed, "method %s is not allowed on %s", r.Method, r.URL.Path))
		return
	}
	if probe.status == http.StatusMovedPermanently || probe.status == http.StatusTemporaryRedirect || probe.status == http.StatusPermanentRedirect {
		h.ServeHTTP(w, r) // path cleaning redirects
		return
	}
	s.writeError(w, r, apperr.New(apperr.NotFound, "no route for %s %s", r.Method, r.URL.Path))
}

// statusProbe records the status a handler would write, discarding the body.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(status int)      { p.status = status }

// stripV1 serves every path also under /v1, as Drift's own sample apps call it.
func (s *Server) stripV1(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := strings.CutPrefix(r.URL.Path, "/v1/"); ok {
			r.URL.Path = "/" + p
			r.URL.RawPath = ""
		}
		if c := CanonicalSCIMPath(r.URL.Path); c != r.URL.Path {
			r.URL.Path, r.URL.RawPath = c, ""
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody caps request bodies; decodeJSON turns the overflow into a 413.
// Multipart uploads (message attachments) have their own, larger limit.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(MaxBodyBytes)
		if isMultipart(r) {
			limit = MaxUploadBytes
		}
		if r.ContentLength > limit {
			s.writeError(w, r, apperr.New(apperr.TooLarge, "request body is larger than %d bytes", limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a handler panic into a logged 500 instead of a dropped
// connection.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", logkey.RequestID, requestID(r.Context()), logkey.Panic, v, logkey.Stack, stack())
				s.writeError(w, r, apperr.New(apperr.Internal, "internal server error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// api wraps an authenticated handler: it checks the token and its scope,
// applies the rate limit and maps a returned error to Drift's error body.
func (s *Server) api(scope auth.Scope, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if p.TokenID != 0 {
			defer s.auditUse(w, r, p, err)
		}
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="driftwood"`)
			s.writeError(w, r, err)
			return
		}
		info(r.Context()).orgID = p.OrgID
		if err := checkURLText(r); err != nil {
			s.writeError(w, r, err)
			return
		}
		if !s.allow(w, p.TokenID) {
			s.writeError(w, r, apperr.New(apperr.RateLimited, "rate limit exceeded; retry after the time in Retry-After"))
			return
		}
		if !p.Has(scope) {
			s.writeError(w, r, apperr.New(apperr.Forbidden, "this token lacks the %s scope", scope))
			return
		}
		r = r.WithContext(auth.WithPrincipal(r.Context(), p))
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// checkURLText refuses a path or query value that is not plain text (see
// plainText), which PostgreSQL could not even compare.
func checkURLText(r *http.Request) error {
	if !plainText(r.URL.Path) {
		return apperr.New(apperr.BadRequest, "the path must be UTF-8 text without NUL")
	}
	if name, ok := plainValues(r.URL.Query()); !ok {
		return apperr.Invalidf(name, "query parameters must be UTF-8 text without NUL")
	}
	return nil
}

// plainValues reports whether every name and value of v is plain text, and
// else the first name that is not.
func plainValues(v url.Values) (string, bool) {
	for name, vs := range v {
		for _, x := range vs {
			if !plainText(name) || !plainText(x) {
				return name, false
			}
		}
	}
	return "", true
}

// public wraps a handler that needs no token.
func (s *Server) public(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authenticate reads the bearer token ("Bearer" in any case).
func (s *Server) authenticate(r *http.Request) (auth.Principal, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return auth.Principal{}, auth.ErrBadToken
	}
	return s.cfg.Tokens.Authenticate(r.Context(), strings.TrimSpace(token), clientIP(r))
}
