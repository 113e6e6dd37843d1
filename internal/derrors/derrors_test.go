package derrors

import (
	"errors"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apperr"
)

func TestWrap(t *testing.T) {
	var none error
	Wrap(&none, "op(%d)", 1)
	if none != nil {
		t.Fatalf("Wrap(nil) = %v", none)
	}
	err := error(apperr.NotFoundf("no contact with id %d", 7))
	Wrap(&err, "store.GetContact(%d, %d)", 1, 7)
	if got, want := err.Error(), "store.GetContact(1, 7): not_found: no contact with id 7"; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
	var e *apperr.Error
	if !errors.Is(err, apperr.ErrNotFound) || !errors.As(err, &e) || e.Code != apperr.NotFound {
		t.Fatalf("the wrapped error lost its identity: %#v", err)
	}
}
