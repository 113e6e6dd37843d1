package search

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apperr"
)

func TestWords(t *testing.T) {
	for in, want := range map[string][]string{
		"Grace Hopper <grace@navy.example>": {"grace", "hopper", "grace", "navy", "example"},
		"don't-stop, José! 42nd":            {"don", "t", "stop", "josé", "42nd"},
		"  <>&;  ":                          nil,
		strings.Repeat("a", 101) + " ok":    {"ok"},
	} {
		if got := Words(in); !slices.Equal(got, want) {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
	long := Text(strings.Repeat("word ", 20000))
	if len(long) > maxTextSize || !strings.HasPrefix(long, "word word") || strings.HasSuffix(long, " ") {
		t.Errorf("Text of a long message is %d bytes, ending %q", len(long), long[len(long)-10:])
	}
}

func TestParseQuery(t *testing.T) {
	if w, err := ParseQuery(" Lisbon  SHIP "); err != nil || !slices.Equal(w, []string{"lisbon", "ship"}) {
		t.Errorf("ParseQuery = %q, %v", w, err)
	}
	for _, bad := range []string{"", "  *:& ", strings.Repeat("x", MaxQueryLen+1), "a b c d e f g h i"} {
		if _, err := ParseQuery(bad); !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("ParseQuery(%.20q) = %v, want invalid input", bad, err)
		}
	}
}
