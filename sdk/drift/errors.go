package drift

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is an API call answered with an error status. It reads Drift's
// error body {"error": {"type", "message"}} (with "errors": [{…, "param"}]
// on validation errors), SCIM's error schema (RFC 7644 §3.12) and OAuth's
// {"error", "error_description"}.
type Error struct {
	Status  int    // the HTTP status
	Type    string // Drift's error type (not_found, validation_error, …), SCIM's scimType, or OAuth's error code
	Message string // what is wrong, for people
	Param   string // the field a validation error is about, when given
	// RetryAfter is the server's Retry-After, when it sent one (429, 503).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "drift: %d", e.Status)
	if e.Type != "" {
		b.WriteString(" " + e.Type)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Param != "" {
		b.WriteString(" (param " + e.Param + ")")
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) and the like match: a target with
// no Message matches an *Error of the same Status (when the target sets
// one) and Type (when the target sets one).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" &&
		(t.Status == 0 || t.Status == e.Status) && (t.Type == "" || t.Type == e.Type)
}

// Sentinels for errors.Is.
var (
	ErrBadRequest        = &Error{Status: http.StatusBadRequest}
	ErrUnauthorized      = &Error{Status: http.StatusUnauthorized}
	ErrForbidden         = &Error{Status: http.StatusForbidden}
	ErrNotFound          = &Error{Status: http.StatusNotFound}
	ErrConflict          = &Error{Status: http.StatusConflict}
	ErrRateLimited       = &Error{Status: http.StatusTooManyRequests}
	ErrValidation        = &Error{Type: "validation_error"}
	ErrInsufficientScope = &Error{Status: http.StatusForbidden, Type: "insufficient_scope"}
)

// parseError builds the *Error of an error answer, whatever its body.
func parseError(resp *response) *Error {
	e := &Error{Status: resp.status, RetryAfter: retryAfter(resp.header.Get("Retry-After"))}
	var body struct {
		Error            json.RawMessage `json:"error"`
		ErrorDescription string          `json:"error_description"`
		Errors           []struct {
			Type, Message, Param string
		} `json:"errors"`
		Schemas  []string `json:"schemas"`
		Detail   string   `json:"detail"`
		SCIMType string   `json:"scimType"`
	}
	if json.Unmarshal(resp.body, &body) == nil {
		var obj struct{ Type, Message string }
		var code string
		switch {
		case json.Unmarshal(body.Error, &obj) == nil && (obj.Type != "" || obj.Message != ""):
			e.Type, e.Message = obj.Type, obj.Message
		case json.Unmarshal(body.Error, &code) == nil && code != "":
			e.Type, e.Message = code, body.ErrorDescription
		case body.Detail != "" || len(body.Schemas) > 0:
			e.Type, e.Message = body.SCIMType, body.Detail
		}
		for _, d := range body.Errors {
			if e.Type == "" && e.Message == "" {
				e.Type, e.Message = d.Type, d.Message
			}
			if e.Param == "" {
				e.Param = d.Param
			}
		}
	}
	if e.Type == "" && e.Message == "" {
		e.Message = strings.TrimSpace(string(resp.body))
		if len(e.Message) > 200 || e.Message == "" {
			e.Message = http.StatusText(resp.status)
		}
	}
	return e
}

// retryAfter reads a Retry-After header: delay seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}
