// Package apperr is the small error vocabulary every layer of Driftwood shares.
// Domain rules and stores return *Error values (or wrap the sentinels); the
// HTTP layer maps each Code to a status and to Drift's error body. Anything
// that is not an *Error is a server fault: logged in full, shown generically.
package apperr

import (
	"errors"
	"fmt"
)

// Code is a machine-readable error class. Its value is the "type" Drift puts
// in its error body.
type Code string

// The codes docs/design.md lists.
const (
	BadRequest       Code = "bad_request"
	Invalid          Code = "validation_error"
	Unauthenticated  Code = "authentication_error"
	Forbidden        Code = "insufficient_scope"
	NotFound         Code = "not_found"
	MethodNotAllowed Code = "method_not_allowed"
	Conflict         Code = "conflict"
	TooLarge         Code = "payload_too_large"
	UnsupportedMedia Code = "unsupported_media_type"
	RateLimited      Code = "rate_limited"
	Internal         Code = "server_error"
	// Unavailable: the database takes no writes (read-only, full) or
	// cannot be reached at the moment; the same request may succeed later.
	Unavailable Code = "service_unavailable"
)

// Error is an error that is safe to show to the API caller.
type Error struct {
	Code    Code
	Message string // user-safe text
	Param   string // the offending field, for validation errors
	Err     error  // optional cause, never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return string(e.Code) + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is(err, apperr.ErrNotFound) match any not_found error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Code == e.Code
}

// Sentinels for errors.Is checks; they match any *Error with the same code.
var (
	ErrNotFound    = &Error{Code: NotFound}
	ErrConflict    = &Error{Code: Conflict}
	ErrInvalid     = &Error{Code: Invalid}
	ErrUnavailable = &Error{Code: Unavailable}
)

// New returns an *Error with a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid reports a validation error on one field.
func Invalidf(param, format string, args ...any) *Error {
	return &Error{Code: Invalid, Param: param, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf reports a missing object. Another org's object reads the same.
func NotFoundf(format string, args ...any) *Error {
	return New(NotFound, format, args...)
}

// CodeOf returns the code of err, or Internal when err is not an *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}
