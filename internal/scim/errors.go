package scim

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/driftwood-chat/driftwood/internal/apperr"
)

// Error is an error in SCIM's error schema (RFC 7644 §3.12). SCIM's
// endpoints answer every error in it rather than in Drift's error body.
type Error struct {
	Status int    // the HTTP status
	Detail string // user-safe text
	Type   Type   // the scimType, "" when none applies
	Err    error  // the cause, never shown
}

// NewError is the SCIM error of status and detail for cause, with the
// scimType the cause carries (a Type it wraps) or implies (its apperr code).
func NewError(status int, detail string, cause error) *Error {
	e := &Error{Status: status, Detail: detail, Err: cause}
	if !errors.As(cause, &e.Type) {
		switch apperr.CodeOf(cause) {
		case apperr.Conflict:
			e.Type = Uniqueness
		case apperr.Invalid:
			e.Type = InvalidValue
		case apperr.BadRequest:
			e.Type = InvalidSyntax
		}
	}
	return e
}

func (e *Error) Error() string {
	if e.Err != nil {
		return "scim: " + strconv.Itoa(e.Status) + ": " + e.Detail + ": " + e.Err.Error()
	}
	return "scim: " + strconv.Itoa(e.Status) + ": " + e.Detail
}

func (e *Error) Unwrap() error { return e.Err }

// errorBody is the wire form of Error, its fields in the order of their
// names so that it reads as the map it replaced did.
type errorBody struct {
	Detail  string   `json:"detail"`
	Schemas []string `json:"schemas"`
	Type    Type     `json:"scimType,omitempty"`
	Status  string   `json:"status"`
}

// WireError returns the answer to send for e: its status, its media type
// and its body.
func (e *Error) WireError() (status int, contentType string, body []byte) {
	b, err := json.Marshal(errorBody{Detail: e.Detail, Schemas: []string{ErrorSchema}, Type: e.Type, Status: strconv.Itoa(e.Status)})
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	return e.Status, "application/scim+json; charset=utf-8", append(b, '\n')
}
