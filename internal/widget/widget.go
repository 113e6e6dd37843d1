// Package widget is the website chat widget's settings: who may embed it
// (allowed origins), when it is online (hours, agents' availability), what
// it says (greetings, away message), how it looks, and how it trusts the
// identity a page passes in (identity modes and their HS256 secret). The
// store keeps one Settings per org; the HTTP layer serves the loader, the
// chat frame and the visitor endpoints from them.
package widget

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
)

// IdentityMode says how the widget treats drift.identify.
type IdentityMode string

// The identity modes, as Drift named them.
const (
	// IdentityDisabled: identities are not checked; an identify sets the
	// visitor's own contact's attributes and never links to another contact.
	IdentityDisabled IdentityMode = "DISABLED"
	// IdentityEnabled: a signed identity links the visitor to its contact;
	// an invalid or missing signature falls back to the anonymous visitor.
	IdentityEnabled IdentityMode = "ENABLED"
	// IdentityRequired: only signed identities are applied; unsigned ones
	// are ignored.
	IdentityRequired IdentityMode = "REQUIRED"
)

// Positions of the launcher.
const (
	PositionRight = "right"
	PositionLeft  = "left"
)

// Hours modes.
const (
	HoursAlways    = "always"
	HoursScheduled = "scheduled"
)

// Settings are an org's widget settings. EmbedID is derived from the org
// (see EmbedIDs), never stored.
type Settings struct {
	EmbedID            string       `json:"embedId"`
	AllowedOrigins     []string     `json:"allowedOrigins"`
	Hours              Hours        `json:"hours"`
	OfflineWhenAllAway bool         `json:"offlineWhenAllAway"`
	OnlineGreeting     string       `json:"onlineGreeting"`
	OfflineGreeting    string       `json:"offlineGreeting"`
	AwayMessage        string       `json:"awayMessage"`
	AskForEmail        bool         `json:"askForEmail"`
	ThemeColor         string       `json:"themeColor"`
	Position           string       `json:"position"`
	Title              string       `json:"title"`
	IdentityMode       IdentityMode `json:"identityMode"`
	// IdentitySecretSet tells whether a secret exists; the secret itself is
	// shown once, when made (Patch with RotateIdentitySecret).
	IdentitySecretSet bool  `json:"identitySecretSet"`
	UpdatedAt         int64 `json:"updatedAt,omitempty"`
}

// Hours are when the widget is online: always, or on a weekly schedule in
// an IANA time zone.
type Hours struct {
	Mode     string     `json:"mode"`
	TimeZone string     `json:"timeZone,omitempty"`
	Schedule []Interval `json:"schedule,omitempty"`
}

// Interval is one online stretch of a weekday, "HH:MM" to "HH:MM" local
// time (end after start; "24:00" ends at midnight).
type Interval struct {
	Day   string `json:"day"` // mon … sun
	Start string `json:"start"`
	End   string `json:"end"`
}

var days = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} // time.Weekday order

// Defaults are the settings of an org that never changed them: online
// always, nothing embeds it but Driftwood's own pages.
func Defaults() Settings {
	return Settings{
		AllowedOrigins:  []string{},
		Hours:           Hours{Mode: HoursAlways},
		OnlineGreeting:  "Hi there! How can we help?",
		OfflineGreeting: "We're away right now. Leave a message and your email, and we'll get back to you.",
		AwayMessage:     "Thanks for your message. We're offline right now, but we'll reply by email as soon as we're back.",
		ThemeColor:      "#0b63f6",
		Position:        PositionRight,
		Title:           "Chat with us",
		IdentityMode:    IdentityDisabled,
	}
}

// Patch is a partial update of the settings (PATCH /driftwood/v1/widget):
// nil fields are left as they are.
type Patch struct {
	AllowedOrigins     *[]string     `json:"allowedOrigins"`
	Hours              *Hours        `json:"hours"`
	OfflineWhenAllAway *bool         `json:"offlineWhenAllAway"`
	OnlineGreeting     *string       `json:"onlineGreeting"`
	OfflineGreeting    *string       `json:"offlineGreeting"`
	AwayMessage        *string       `json:"awayMessage"`
	AskForEmail        *bool         `json:"askForEmail"`
	ThemeColor         *string       `json:"themeColor"`
	Position           *string       `json:"position"`
	Title              *string       `json:"title"`
	IdentityMode       *IdentityMode `json:"identityMode"`
	// RotateIdentitySecret makes a new identity secret, answered once.
	RotateIdentitySecret bool `json:"rotateIdentitySecret"`
}

// Limits on text settings.
const (
	maxText    = 1000
	maxOrigins = 50
)

var colorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// Apply validates p and applies it to s. It reports whether a new identity
// secret must be made: asked for, or an identity mode that checks
// signatures without a secret yet.
func (s *Settings) Apply(p Patch) (newSecret bool, err error) {
	if p.AllowedOrigins != nil {
		origins, err := normalizeOrigins(*p.AllowedOrigins)
		if err != nil {
			return false, err
		}
		s.AllowedOrigins = origins
	}
	if p.Hours != nil {
		if err := p.Hours.validate(); err != nil {
			return false, err
		}
		s.Hours = *p.Hours
	}
	if p.OfflineWhenAllAway != nil {
		s.OfflineWhenAllAway = *p.OfflineWhenAllAway
	}
	for _, f := range []struct {
		param string
		v     *string
		dst   *string
	}{
		{"onlineGreeting", p.OnlineGreeting, &s.OnlineGreeting},
		{"offlineGreeting", p.OfflineGreeting, &s.OfflineGreeting},
		{"awayMessage", p.AwayMessage, &s.AwayMessage},
		{"title", p.Title, &s.Title},
	} {
		if f.v == nil {
			continue
		}
		if len(*f.v) > maxText {
			return false, apperr.Invalidf(f.param, "%s is longer than %d bytes", f.param, maxText)
		}
		*f.dst = strings.TrimSpace(*f.v)
	}
	if p.AskForEmail != nil {
		s.AskForEmail = *p.AskForEmail
	}
	if p.ThemeColor != nil {
		if !colorPattern.MatchString(*p.ThemeColor) {
			return false, apperr.Invalidf("themeColor", "themeColor must be a colour as #rrggbb, got %q", *p.ThemeColor)
		}
		s.ThemeColor = strings.ToLower(*p.ThemeColor)
	}
	if p.Position != nil {
		if *p.Position != PositionRight && *p.Position != PositionLeft {
			return false, apperr.Invalidf("position", "position must be right or left, got %q", *p.Position)
		}
		s.Position = *p.Position
	}
	if p.IdentityMode != nil {
		m := IdentityMode(strings.ToUpper(string(*p.IdentityMode)))
		if !slices.Contains([]IdentityMode{IdentityDisabled, IdentityEnabled, IdentityRequired}, m) {
			return false, apperr.Invalidf("identityMode", "identityMode must be DISABLED, ENABLED or REQUIRED, got %q", *p.IdentityMode)
		}
		s.IdentityMode = m
	}
	return p.RotateIdentitySecret || (s.IdentityMode != IdentityDisabled && !s.IdentitySecretSet), nil
}

// normalizeOrigins checks a list of site origins (scheme://host[:port]).
func normalizeOrigins(in []string) ([]string, error) {
	if len(in) > maxOrigins {
		return nil, apperr.Invalidf("allowedOrigins", "at most %d origins", maxOrigins)
	}
	out := []string{}
	for _, o := range in {
		n, ok := NormalizeOrigin(o)
		if !ok {
			return nil, apperr.Invalidf("allowedOrigins", "%q is not an origin such as https://www.example.com", o)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// NormalizeOrigin returns o as browsers send it in Origin headers
// (lowercase scheme and host, no path), and whether it is one.
func NormalizeOrigin(o string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(o))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

// Allows reports whether a page of origin may embed the widget: an allowed
// origin, or Driftwood's own (its demo and full-page chat).
func (s *Settings) Allows(origin, own string) bool {
	o, ok := NormalizeOrigin(origin)
	if !ok {
		return false
	}
	if own, ok := NormalizeOrigin(own); ok && o == own {
		return true
	}
	return slices.Contains(s.AllowedOrigins, o)
}

func (h *Hours) validate() error {
	switch h.Mode {
	case HoursAlways:
		h.TimeZone, h.Schedule = "", nil
		return nil
	case HoursScheduled:
	default:
		return apperr.Invalidf("hours.mode", "hours.mode must be always or scheduled, got %q", h.Mode)
	}
	if _, err := time.LoadLocation(h.TimeZone); err != nil || h.TimeZone == "" {
		return apperr.Invalidf("hours.timeZone", "hours.timeZone must be an IANA time zone such as Europe/London, got %q", h.TimeZone)
	}
	if len(h.Schedule) > 7*8 {
		return apperr.Invalidf("hours.schedule", "at most %d intervals", 7*8)
	}
	for i, iv := range h.Schedule {
		iv.Day = strings.ToLower(iv.Day)
		if len(iv.Day) > 3 {
			iv.Day = iv.Day[:3]
		}
		start, ok1 := minutes(iv.Start)
		end, ok2 := minutes(iv.End)
		if !slices.Contains(days, iv.Day) || !ok1 || !ok2 || end <= start {
			return apperr.Invalidf("hours.schedule", "schedule entries are {day: mon…sun, start: HH:MM, end: HH:MM after start}; entry %d is not", i)
		}
		h.Schedule[i] = iv
	}
	return nil
}

// minutes reads "HH:MM" as minutes after midnight (up to 24:00).
func minutes(s string) (int, bool) {
	t, err := time.Parse("15:04", s)
	if s == "24:00" {
		return 24 * 60, true
	}
	if err != nil {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// InHours reports whether now falls within the widget's hours.
func (h Hours) InHours(now time.Time) bool {
	if h.Mode != HoursScheduled {
		return true
	}
	loc, err := time.LoadLocation(h.TimeZone)
	if err != nil {
		return true
	}
	local := now.In(loc)
	day, m := days[local.Weekday()], local.Hour()*60+local.Minute()
	for _, iv := range h.Schedule {
		start, _ := minutes(iv.Start)
		end, _ := minutes(iv.End)
		if iv.Day == day && m >= start && m < end {
			return true
		}
	}
	return false
}

// Online reports whether the widget is online at now: within its hours,
// and, when it goes offline with everyone away, with an agent available.
func (s *Settings) Online(now time.Time, anyAgentAvailable bool) bool {
	return s.Hours.InHours(now) && (!s.OfflineWhenAllAway || anyAgentAvailable)
}

// Store keeps each org's settings and its identity secret.
type Store interface {
	// WidgetSettings returns the org's settings (Defaults when it has none)
	// and its sealed identity secret ("" when none).
	WidgetSettings(ctx context.Context, orgID int64) (*Settings, string, error)
	// SaveWidgetSettings writes s; sealedSecret "" keeps the current secret.
	SaveWidgetSettings(ctx context.Context, orgID int64, s *Settings, sealedSecret string) error
}
