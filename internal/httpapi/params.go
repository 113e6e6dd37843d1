package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/auth"
)

// orgID is the org of the authenticated request.
func orgID(r *http.Request) int64 {
	p, _ := auth.FromContext(r.Context())
	return p.OrgID
}

// pathID parses the numeric id in the path.
func pathID(r *http.Request, name string) (int64, error) {
	return parseID(name, r.PathValue(name))
}

// parseID parses a positive int64 id.
func parseID(param, s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.Invalidf(param, "%s must be a positive integer id, got %q", param, s)
	}
	return id, nil
}

// queryInt parses an optional integer query parameter within [min, max].
func queryInt(r *http.Request, name string, def, min, max int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return 0, apperr.Invalidf(name, "%s must be an integer from %d to %d, got %q", name, min, max, s)
	}
	return n, nil
}

// requiredQueryInt64 parses a required non-negative integer query parameter,
// such as an epoch-ms bound.
func requiredQueryInt64(r *http.Request, name string) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, apperr.Invalidf(name, "%s is required", name)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, apperr.Invalidf(name, "%s must be a non-negative integer, got %q", name, s)
	}
	return n, nil
}

// cappedQueryInt parses an optional positive integer query parameter: def
// when absent, and any value over max (however large) read as max, as Drift
// caps its page sizes rather than refusing them.
func cappedQueryInt(r *http.Request, name string, def, max int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(s, "-") {
		return max, nil
	}
	if err != nil || n < 1 {
		return 0, apperr.Invalidf(name, "%s must be a positive integer (at most %d are served), got %q", name, max, s)
	}
	return min(n, max), nil
}
