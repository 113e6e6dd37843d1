package widget

import (
	"strings"
	"testing"
	"time"
)

func TestVerifyIdentity(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	good := SignIdentity(Identity{ExternalID: "crm-1", Email: "a@x.example"}, "s3cret", now.Add(time.Hour))
	if id, err := VerifyIdentity(good, "s3cret", now); err != nil || id.ExternalID != "crm-1" || id.Email != "a@x.example" {
		t.Fatalf("a good token: %+v, %v", id, err)
	}
	parts := strings.Split(good, ".")
	for name, tok := range map[string]string{
		"wrong secret":   SignIdentity(Identity{ExternalID: "crm-1"}, "other", now.Add(time.Hour)),
		"expired":        SignIdentity(Identity{ExternalID: "crm-1"}, "s3cret", now.Add(-time.Second)),
		"no sub":         SignIdentity(Identity{}, "s3cret", now.Add(time.Hour)),
		"alg none":       "eyJhbGciOiJub25lIn0." + parts[1] + ".",
		"tampered claim": parts[0] + "." + strings.TrimRight(parts[1], "Q") + "X." + parts[2],
		"two parts":      parts[0] + "." + parts[1],
		"empty":          "",
	} {
		if _, err := VerifyIdentity(tok, "s3cret", now); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
	if _, err := VerifyIdentity(good, "", now); err == nil {
		t.Error("verified without a secret")
	}
}

func TestHours(t *testing.T) {
	t.Parallel()
	h := Hours{Mode: HoursScheduled, TimeZone: "Europe/Paris", Schedule: []Interval{{Day: "Monday", Start: "09:00", End: "17:30"}}}
	if err := h.validate(); err != nil {
		t.Fatal(err)
	}
	monday := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC) // a Monday; Paris is UTC+1 in winter
	for utc, want := range map[string]bool{"07:59": false, "08:00": true, "16:29": true, "16:30": false} {
		at, _ := time.Parse("15:04", utc)
		now := monday.Add(time.Duration(at.Hour())*time.Hour + time.Duration(at.Minute())*time.Minute)
		if got := h.InHours(now); got != want {
			t.Errorf("Monday %s UTC: in hours %v, want %v", utc, got, want)
		}
	}
	if h.InHours(monday.Add(24*time.Hour + 10*time.Hour)) {
		t.Error("in hours on a Tuesday")
	}
	s := Defaults()
	s.Hours = h
	s.OfflineWhenAllAway = true
	open := monday.Add(10 * time.Hour)
	if !s.Online(open, true) || s.Online(open, false) || s.Online(monday, true) {
		t.Error("Online does not combine hours and availability")
	}
	if !s.Allows("https://own.example", "https://own.example") || s.Allows("https://evil.example", "https://own.example") {
		t.Error("Allows")
	}
}
