package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/oauth"
	"github.com/driftwood-chat/driftwood/internal/scim"
)

// The error's type, not the request, picks the answer's shape; a wrapped
// error keeps its type's shape, and anything unknown is a generic 500.
func TestWireResponse_ShapeByType(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		err         error
		status      int
		contentType string
		body        string
	}{
		{"drift", apperr.NotFoundf("no contact with id %d", 7), 404, "application/json; charset=utf-8",
			`{"error":{"type":"not_found","message":"no contact with id 7"}}`},
		{"drift validation", apperr.Invalidf("email", "email is required"), 400, "application/json; charset=utf-8",
			`{"error":{"type":"validation_error","message":"email is required"},"errors":[{"type":"validation_error","message":"email is required","param":"email"}]}`},
		{"a fault", errors.New("disk on fire"), 500, "application/json; charset=utf-8",
			`{"error":{"type":"server_error","message":"internal server error"}}`},
		{"scim", scim.NewError(409, "userName is taken", apperr.ErrConflict), 409, "application/scim+json; charset=utf-8",
			`{"detail":"userName is taken","schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"scimType":"uniqueness","status":"409"}`},
		{"scim wrapped", fmt.Errorf("listing: %w", scim.NewError(404, "no user", nil)), 404, "application/scim+json; charset=utf-8",
			`{"detail":"no user","schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404"}`},
		{"oauth", oauth.ErrReplay, 400, "application/json; charset=utf-8",
			`{"error":"invalid_grant","error_description":"` + oauth.ErrReplay.Description + `"}`},
		{"oauth fault", oauth.ServerError(errors.New("db gone")), 500, "application/json; charset=utf-8",
			`{"error":"server_error","error_description":"internal server error"}`},
	}
	page := &consentError{oe: &oauth.Error{Code: oauth.InvalidRequest, Status: 400, Description: "redirect_uri <b>x</b> is not registered"}}
	if status, contentType, body := wireResponse(page); status != 400 || contentType != "text/html; charset=utf-8" ||
		!strings.Contains(string(body), "Cannot authorize") || !strings.Contains(string(body), "redirect_uri &lt;b&gt;x&lt;/b&gt; is not registered") {
		t.Errorf("consent error: %d %q %s", status, contentType, body)
	}
	for _, c := range cases {
		status, contentType, body := wireResponse(c.err)
		if status != c.status || contentType != c.contentType || string(body) != c.body+"\n" {
			t.Errorf("%s: %d %q %s, want %d %q %s", c.name, status, contentType, body, c.status, c.contentType, c.body)
		}
	}
}

// At the SCIM group's boundary any error becomes SCIM's, with the status and
// message Drift's body would have and the scimType its cause names or implies.
func TestSCIMError_Boundary(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err      error
		status   int
		scimType scim.Type
	}{
		{apperr.New(apperr.Unauthenticated, "no token"), http.StatusUnauthorized, ""},
		{apperr.New(apperr.TooLarge, "too large"), http.StatusRequestEntityTooLarge, ""},
		{apperr.New(apperr.BadRequest, "malformed JSON"), http.StatusBadRequest, scim.InvalidSyntax},
		{apperr.Invalidf("count", "count must be a number"), http.StatusBadRequest, scim.InvalidValue},
		{apperr.New(apperr.Conflict, "taken"), http.StatusConflict, scim.Uniqueness},
		{&apperr.Error{Code: apperr.Invalid, Message: "bad filter", Err: scim.InvalidFilter}, http.StatusBadRequest, scim.InvalidFilter},
		{errors.New("disk on fire"), http.StatusInternalServerError, ""},
	}
	for _, c := range cases {
		var se *scim.Error
		if !errors.As(scimError(c.err), &se) || se.Status != c.status || se.Type != c.scimType || !errors.Is(se, c.err) {
			t.Errorf("%v: %+v, want status %d scimType %q", c.err, se, c.status, c.scimType)
		}
		if again := scimError(se); again != error(se) {
			t.Errorf("%v: wrapped twice", c.err)
		}
	}
}
