package httpapi

import (
	"net/http"
	"runtime/debug"

	"github.com/driftwood-chat/driftwood/internal/apperr"
)

func stack() string { return string(debug.Stack()) }

// notImplemented answers the routes a later piece of Driftwood will build.
func notImplemented(w http.ResponseWriter, r *http.Request) error {
	return apperr.New(apperr.NotImplemented, "%s %s is not implemented in Driftwood yet", r.Method, r.URL.Path)
}
