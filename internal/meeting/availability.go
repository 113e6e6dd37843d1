package meeting

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // visitors' and agents' time zones without the system's zoneinfo

	"github.com/driftwood-chat/driftwood/internal/apperr"
)

// Availability is when a user takes meetings: their meeting types and
// weekly working hours, in their own time zone.
type Availability struct {
	UserID   int64  `json:"userId"`
	TimeZone string `json:"timeZone"` // IANA, e.g. Europe/Berlin
	// WorkingHours are weekly intervals; several per day are allowed (a
	// lunch break) but not overlapping.
	WorkingHours []Hours `json:"workingHours"`
	MeetingTypes []Type  `json:"meetingTypes"`
	UpdatedAt    int64   `json:"updatedAt,omitempty"`
}

// Hours is one working interval on a weekday: "09:00" to "17:00".
type Hours struct {
	Day   string `json:"day"` // monday … sunday
	Start string `json:"start"`
	End   string `json:"end"`
}

// Type is a kind of meeting a user offers. A slot needs Buffer minutes free
// before and after it, and starts at least MinNotice minutes from now.
type Type struct {
	Name      string `json:"name"`
	Minutes   int    `json:"minutes"`
	Buffer    int    `json:"bufferMinutes"`
	MinNotice int    `json:"minimumNoticeMinutes"`
}

// Limits on what an availability holds.
const (
	MaxTypes    = 20
	MaxHours    = 50
	MaxTypeName = 100
	// MaxSlotWindow is the longest span free slots are asked for at once.
	MaxSlotWindow = 31 * 24 * time.Hour
)

var weekdays = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// Validate checks a and normalizes it: days in lower case, types' names
// trimmed. Errors name the field.
func (a *Availability) Validate() error {
	if _, err := a.Location(); err != nil {
		return err
	}
	if len(a.WorkingHours) > MaxHours {
		return apperr.Invalidf("workingHours", "at most %d working intervals", MaxHours)
	}
	type span struct{ day, start, end int }
	var spans []span
	for i := range a.WorkingHours {
		h := &a.WorkingHours[i]
		field := fmt.Sprintf("workingHours[%d]", i)
		h.Day = strings.ToLower(strings.TrimSpace(h.Day))
		day := slices.Index(weekdays, h.Day)
		if day < 0 {
			return apperr.Invalidf(field+".day", "%s.day must be a weekday name (monday … sunday), got %q", field, h.Day)
		}
		start, ok1 := clock(h.Start)
		end, ok2 := clock(h.End)
		if !ok1 {
			return apperr.Invalidf(field+".start", "%s.start must be a time of day as HH:MM, got %q", field, h.Start)
		}
		if !ok2 || (end == 0 && h.End != "24:00") {
			return apperr.Invalidf(field+".end", "%s.end must be a time of day as HH:MM (24:00 for midnight), got %q", field, h.End)
		}
		if end <= start {
			return apperr.Invalidf(field+".end", "%s.end must be after its start", field)
		}
		for _, o := range spans {
			if o.day == day && start < o.end && o.start < end {
				return apperr.Invalidf(field, "%s overlaps another interval on %s", field, h.Day)
			}
		}
		spans = append(spans, span{day, start, end})
	}
	if len(a.MeetingTypes) > MaxTypes {
		return apperr.Invalidf("meetingTypes", "at most %d meeting types", MaxTypes)
	}
	for i := range a.MeetingTypes {
		t := &a.MeetingTypes[i]
		field := fmt.Sprintf("meetingTypes[%d]", i)
		t.Name = strings.TrimSpace(t.Name)
		switch {
		case t.Name == "" || len(t.Name) > MaxTypeName:
			return apperr.Invalidf(field+".name", "%s.name is required, at most %d bytes", field, MaxTypeName)
		case slices.ContainsFunc(a.MeetingTypes[:i], func(o Type) bool { return strings.EqualFold(o.Name, t.Name) }):
			return apperr.Invalidf(field+".name", "%s.name %q is already a meeting type", field, t.Name)
		case t.Minutes < 5 || t.Minutes > 8*60:
			return apperr.Invalidf(field+".minutes", "%s.minutes must be 5 to 480", field)
		case t.Buffer < 0 || t.Buffer > 4*60:
			return apperr.Invalidf(field+".bufferMinutes", "%s.bufferMinutes must be 0 to 240", field)
		case t.MinNotice < 0 || t.MinNotice > 60*24*30:
			return apperr.Invalidf(field+".minimumNoticeMinutes", "%s.minimumNoticeMinutes must be 0 to 43200 (30 days)", field)
		}
	}
	return nil
}

// Location is the availability's time zone.
func (a *Availability) Location() (*time.Location, error) {
	return LoadZone("timeZone", a.TimeZone)
}

// LoadZone loads an IANA time zone, or refuses it naming the field. ""
// and "Local" are refused: the server's zone means nothing to a visitor.
func LoadZone(field, name string) (*time.Location, error) {
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, apperr.Invalidf(field, "%s must be an IANA time zone such as Europe/Berlin", field)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, apperr.Invalidf(field, "%s %q is not an IANA time zone", field, name)
	}
	return loc, nil
}

// TypeNamed finds a meeting type by name, case-insensitively; "" is the
// user's first meeting type (a playbook's meeting step names none).
func (a *Availability) TypeNamed(name string) (Type, error) {
	if strings.TrimSpace(name) == "" && len(a.MeetingTypes) > 0 {
		return a.MeetingTypes[0], nil
	}
	for _, t := range a.MeetingTypes {
		if strings.EqualFold(t.Name, strings.TrimSpace(name)) {
			return t, nil
		}
	}
	return Type{}, apperr.Invalidf("meetingType", "user %d has no meeting type %q", a.UserID, name)
}

// clock parses "HH:MM" into minutes since midnight; "24:00" is 0.
func clock(s string) (int, bool) {
	t, err := time.Parse("15:04", s)
	if s == "24:00" {
		return 24 * 60, true
	}
	if err != nil {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// Slot is a free time a visitor may book, in epoch ms, with how it reads in
// the visitor's time zone.
type Slot struct {
	SlotStart int64  `json:"slotStart"`
	SlotEnd   int64  `json:"slotEnd"`
	Label     string `json:"label"` // "Mon 2 Mar, 09:30" in the visitor's zone
}

// Busy is a time taken on the user's calendar (an active meeting).
type Busy struct{ Start, End int64 }

// FreeSlots lists the slots of meeting type t free in [from, to): within
// the working hours, each starting on the hour grid of t's length from the
// interval's start, at least t.MinNotice after now, and clear of every busy
// time by t.Buffer on both sides. Labels are in visitor's zone.
func (a *Availability) FreeSlots(t Type, busy []Busy, from, to, now time.Time, visitor *time.Location) []Slot {
	loc, err := a.Location()
	if err != nil || t.Minutes <= 0 {
		return []Slot{}
	}
	length := time.Duration(t.Minutes) * time.Minute
	buffer := time.Duration(t.Buffer) * time.Minute
	earliest := now.Add(time.Duration(t.MinNotice) * time.Minute)
	if from.Before(earliest) {
		from = earliest
	}
	out := []Slot{}
	// Each day in the user's zone that the window touches, one day before
	// to catch intervals that began the evening before in another zone.
	day := time.Date(from.In(loc).Year(), from.In(loc).Month(), from.In(loc).Day()-1, 0, 0, 0, 0, loc)
	for ; day.Before(to); day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc) {
		var starts []Slot
		for _, h := range a.WorkingHours {
			if h.Day != weekdays[day.Weekday()] {
				continue
			}
			startMin, _ := clock(h.Start)
			endMin, _ := clock(h.End)
			end := time.Date(day.Year(), day.Month(), day.Day(), 0, endMin, 0, 0, loc)
			for s := time.Date(day.Year(), day.Month(), day.Day(), 0, startMin, 0, 0, loc); !s.Add(length).After(end); s = s.Add(length) {
				if s.Before(from) || !s.Before(to) || clash(busy, s.Add(-buffer), s.Add(length+buffer)) {
					continue
				}
				starts = append(starts, Slot{SlotStart: s.UnixMilli(), SlotEnd: s.Add(length).UnixMilli(),
					Label: s.In(visitor).Format("Mon 2 Jan, 15:04")})
			}
		}
		slices.SortFunc(starts, func(x, y Slot) int { return cmp.Compare(x.SlotStart, y.SlotStart) })
		out = append(out, starts...)
	}
	return out
}

// IsFree reports whether a slot of type t starting at start is one
// FreeSlots offers.
func (a *Availability) IsFree(t Type, busy []Busy, start, now time.Time) bool {
	for _, s := range a.FreeSlots(t, busy, start, start.Add(time.Minute), now, time.UTC) {
		if s.SlotStart == start.UnixMilli() {
			return true
		}
	}
	return false
}

func clash(busy []Busy, from, to time.Time) bool {
	f, t := from.UnixMilli(), to.UnixMilli()
	for _, b := range busy {
		if b.Start < t && f < b.End {
			return true
		}
	}
	return false
}

// AvailabilityStore keeps users' availability and books free slots.
type AvailabilityStore interface {
	// SetAvailability replaces a user's availability (a not-found for a
	// user not of the org).
	SetAvailability(ctx context.Context, orgID int64, a Availability) (*Availability, error)
	// Availability is a user's availability; one never set has no working
	// hours and no meeting types, in UTC.
	Availability(ctx context.Context, orgID, userID int64) (*Availability, error)
	// BusyTimes lists the user's active meetings that overlap [from, to).
	BusyTimes(ctx context.Context, orgID, userID, from, to int64) ([]Busy, error)
	// BookSlot books b on one of the agent's free slots of the meeting
	// type b.MeetingType names (b.SlotEnd is set from its length), deciding
	// in the transaction that the slot is still free: two visitors never
	// book the same slot. It fires new_meeting.
	BookSlot(ctx context.Context, orgID int64, b Booking) (*Meeting, error)
}

// SlotQuery asks for an agent's free slots of one meeting type.
type SlotQuery struct {
	AgentID     int64
	MeetingType string // "" is the agent's first
	From, To    time.Time
	// TimeZone is the visitor's, for the labels ("" is UTC).
	TimeZone string
}

// Offer is an agent's free slots of a meeting type.
type Offer struct {
	AgentID     int64  `json:"agentId"`
	MeetingType Type   `json:"meetingType"`
	TimeZone    string `json:"timeZone"` // the visitor's, of the labels
	Slots       []Slot `json:"slots"`
}

// FreeSlotsFor is what a book-a-meeting step offers: the agent's free slots
// of the meeting type in the window, labelled in the visitor's time zone.
func FreeSlotsFor(ctx context.Context, st AvailabilityStore, orgID int64, q SlotQuery, now time.Time) (*Offer, error) {
	tz := q.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	visitor, err := LoadZone("timeZone", tz)
	if err != nil {
		return nil, err
	}
	if !q.To.After(q.From) || q.To.Sub(q.From) > MaxSlotWindow {
		return nil, apperr.Invalidf("to", "the window from from to to must be positive and at most 31 days")
	}
	a, err := st.Availability(ctx, orgID, q.AgentID)
	if err != nil {
		return nil, err
	}
	t, err := a.TypeNamed(q.MeetingType)
	if err != nil {
		return nil, err
	}
	pad := time.Duration(t.Buffer) * time.Minute
	busy, err := st.BusyTimes(ctx, orgID, q.AgentID, q.From.Add(-pad).UnixMilli(), q.To.Add(time.Duration(t.Minutes)*time.Minute+pad).UnixMilli())
	if err != nil {
		return nil, err
	}
	return &Offer{AgentID: q.AgentID, MeetingType: t, TimeZone: tz, Slots: a.FreeSlots(t, busy, q.From, q.To, now, visitor)}, nil
}
