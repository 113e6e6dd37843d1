package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/logkey"
	"github.com/driftwood-chat/driftwood/internal/oauth"
	"github.com/driftwood-chat/driftwood/internal/scim"
)

func stack() string { return string(debug.Stack()) }

// WireError is an error that carries its own wire shape instead of Drift's
// error body: SCIM's (RFC 7644 §3.12) and OAuth's (RFC 6749 §5.2). writeError
// answers an error with the shape of its type, never by looking at the URL.
type WireError interface {
	error
	// WireError returns the answer: its status, media type and body.
	WireError() (status int, contentType string, body []byte)
}

var (
	_ WireError = (*scim.Error)(nil)
	_ WireError = (*oauth.Error)(nil)
)

// writeError answers err in the shape of its type (Drift's unless it is a
// WireError), logging server faults. A route group that answers in a shape
// of its own has turned err into its type first (see errorGroups).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	err = s.unavailable(err)
	if shape, ok := r.Context().Value(errorShapeKey{}).(func(error) error); ok {
		err = shape(err)
	}
	if clientGone(r, err) {
		// Nobody reads the answer: not a fault of ours, and not worth an
		// error in the log. 499 is nginx's status for it, for the access log.
		w.WriteHeader(statusClientGone)
		return
	}
	status, contentType, body := wireResponse(err)
	if status >= 500 {
		s.log.Error("request failed", logkey.RequestID, requestID(r.Context()), logkey.Method, r.Method, logkey.Path, r.URL.Path, logkey.Err, err)
	}
	if status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	if status == http.StatusServiceUnavailable { // the database cannot serve the request now
		w.Header().Set("Retry-After", retryUnavailable)
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(body)
}

// unavailable is err as apperr.ErrUnavailable when it is a server fault
// that comes of the database being out of reach for now (see
// store.DB.MapUnavailable): a read that failed so answers 503 with
// Retry-After, as a refused write does, not 500. An error that already
// has its answer (an *apperr.Error, a WireError) is left as it is.
func (s *Server) unavailable(err error) error {
	var ae *apperr.Error
	var we WireError
	if errors.As(err, &ae) || errors.As(err, &we) {
		return err
	}
	return s.cfg.Store.MapUnavailable(err)
}

// statusClientGone is the status logged for a request whose client left
// before its answer.
const statusClientGone = 499

// clientGone reports whether err comes of the client having left (the
// request's context ended), rather than of a fault.
func clientGone(r *http.Request, err error) bool {
	ctxErr := r.Context().Err()
	return ctxErr != nil && errors.Is(err, ctxErr)
}

// wireResponse is the answer to err: its own when it is a WireError, else
// Drift's error body.
func wireResponse(err error) (status int, contentType string, body []byte) {
	var we WireError
	if errors.As(err, &we) {
		return we.WireError()
	}
	status, drift := errorResponse(err)
	b, jerr := json.Marshal(drift)
	if jerr != nil {
		panic(jerr) // strings only: cannot fail
	}
	return status, "application/json; charset=utf-8", append(b, '\n')
}

// errorShapeKey carries, in the context of a request of a route group with
// an error shape of its own, the function that turns an error into it.
type errorShapeKey struct{}

// errorGroups marks the requests of route groups that answer every error in
// their own shape, so that the middleware's refusals (401, 403, 404, 405,
// 413, 429, a panic's 500) read like their handlers' errors. SCIM's paths,
// /scim and /scim/v2 (also under /v1), are the one such group: OAuth's token
// endpoints answer their own errors as *oauth.Error, and the middleware's in
// Drift's shape.
func (s *Server) errorGroups(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/v1")
		if p == "/scim" || strings.HasPrefix(p, "/scim/") {
			r = r.WithContext(context.WithValue(r.Context(), errorShapeKey{}, scimError))
		}
		next.ServeHTTP(w, r)
	})
}

// scimError is err as SCIM's error: the status and message Drift's body
// would carry, with the scimType err names or implies.
func scimError(err error) error {
	var se *scim.Error
	if errors.As(err, &se) {
		return err
	}
	status, body := errorResponse(err)
	return scim.NewError(status, body.Error.Message, err)
}

// errorResponse returns the status and Drift's error body for err. Errors
// that are not *apperr.Error are server faults and are shown generically.
func errorResponse(err error) (int, errorBody) {
	var e *apperr.Error
	if !errors.As(err, &e) {
		e = apperr.New(apperr.Internal, "internal server error")
	}
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	body := errorBody{Error: errorItem{Type: e.Code, Message: e.Message}}
	if e.Code == apperr.Invalid {
		body.Errors = []errorItem{{Type: e.Code, Message: e.Message, Param: e.Param}}
	}
	return status, body
}
