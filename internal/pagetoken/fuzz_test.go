package pagetoken

import (
	"errors"
	"testing"
)

// Only tokens the codec made decode: anything else is ErrInvalid (or
// ErrExpired), never a panic, and a genuine token round-trips.
func FuzzDecode(f *testing.F) {
	c := New([]byte("fuzz key"))
	good, _ := c.Encode("list", map[string]int64{"a": 42})
	for _, s := range []string{good, good + "x", "abc", "abc.def", ".", "", "eyJlIjo5OTk5OTk5OTk5OX0.AAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		var pos map[string]int64
		err := c.Decode("list", tok, &pos)
		if err == nil && tok != good {
			// A forgery would need the key; a different spelling of the
			// same signed bytes is the only way in.
			again, _ := c.Encode("list", pos)
			if again == "" {
				t.Fatalf("%q decoded to %v", tok, pos)
			}
		}
		if err != nil && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrExpired) {
			t.Fatalf("%q: unexpected error %v", tok, err)
		}
		if err := c.Decode("other", tok, &pos); err == nil {
			t.Fatalf("%q decoded for another purpose", tok)
		}
	})
}
