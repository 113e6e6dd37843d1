package pagetoken

import (
	"errors"
	"testing"
	"time"
)

type pos struct {
	ID int64 `json:"i"`
}

func TestCodec(t *testing.T) {
	t.Parallel()
	c := New([]byte("key"))
	tok, err := c.Encode("list:1", pos{ID: 42})
	if err != nil {
		t.Fatal(err)
	}
	var got pos
	if err := c.Decode("list:1", tok, &got); err != nil || got.ID != 42 {
		t.Fatalf("Decode = %v, %+v", err, got)
	}
	for name, tc := range map[string]struct {
		codec   *Codec
		purpose string
		token   string
		want    error
	}{
		"other purpose": {c, "list:2", tok, ErrInvalid},
		"other key":     {New([]byte("other")), "list:1", tok, ErrInvalid},
		"altered":       {c, "list:1", "x" + tok, ErrInvalid},
		"no signature":  {c, "list:1", "eyJlIjoxfQ", ErrInvalid},
		"garbage":       {c, "list:1", "abc", ErrInvalid},
		"empty":         {c, "list:1", "", ErrInvalid},
		"expired":       {&Codec{key: []byte("key"), Now: func() time.Time { return time.Now().Add(DefaultTTL + time.Minute) }}, "list:1", tok, ErrExpired},
	} {
		if err := tc.codec.Decode(tc.purpose, tc.token, &got); !errors.Is(err, tc.want) {
			t.Errorf("%s: Decode = %v, want %v", name, err, tc.want)
		}
	}
}
