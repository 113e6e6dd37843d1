package meeting_test

import (
	"errors"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/meeting"
)

func berlinAgent() *meeting.Availability {
	return &meeting.Availability{UserID: 7, TimeZone: "Europe/Berlin",
		WorkingHours: []meeting.Hours{{Day: "Monday", Start: "09:00", End: "12:00"}, {Day: "monday", Start: "13:00", End: "14:00"}},
		MeetingTypes: []meeting.Type{{Name: "Demo", Minutes: 60, Buffer: 15, MinNotice: 120}}}
}

func TestFreeSlots(t *testing.T) {
	a := berlinAgent()
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	ny, _ := time.LoadLocation("America/New_York")
	monday := time.Date(2026, 3, 2, 0, 0, 0, 0, berlin) // a Monday, before DST
	at := func(h, m int) int64 { return time.Date(2026, 3, 2, h, m, 0, 0, berlin).UnixMilli() }
	typ, err := a.TypeNamed("demo")
	if err != nil {
		t.Fatal(err)
	}
	if first, err := a.TypeNamed(""); err != nil || first != typ {
		t.Fatalf("no name is the first type: %v, %v", first, err)
	}
	if _, err := (&meeting.Availability{}).TypeNamed(""); err == nil {
		t.Fatal("a user with no meeting types offered one")
	}
	week := monday.Add(7 * 24 * time.Hour)
	longAgo := monday.Add(-48 * time.Hour)

	starts := func(slots []meeting.Slot) []int64 {
		var out []int64
		for _, s := range slots {
			out = append(out, s.SlotStart)
		}
		return out
	}
	equal := func(t *testing.T, got []meeting.Slot, want ...int64) {
		t.Helper()
		g := starts(got)
		if len(g) != len(want) {
			t.Fatalf("slots %v, want %v", g, want)
		}
		for i := range g {
			if g[i] != want[i] {
				t.Fatalf("slots %v, want %v", g, want)
			}
		}
	}
	t.Run("working hours, on the meeting's grid", func(t *testing.T) {
		equal(t, a.FreeSlots(typ, nil, monday, week, longAgo, ny), at(9, 0), at(10, 0), at(11, 0), at(13, 0))
	})
	t.Run("an existing meeting and its buffer take slots", func(t *testing.T) {
		busy := []meeting.Busy{{Start: at(10, 0), End: at(10, 30)}} // the buffer reaches 10:45, so 11:00 is clear; 9:00 ends 10:00 +15 > 10:00
		equal(t, a.FreeSlots(typ, busy, monday, week, longAgo, ny), at(11, 0), at(13, 0))
	})
	t.Run("minimum notice", func(t *testing.T) {
		now := time.UnixMilli(at(8, 30)) // notice until 10:30
		equal(t, a.FreeSlots(typ, nil, monday, week, now, ny), at(11, 0), at(13, 0))
	})
	t.Run("window", func(t *testing.T) {
		equal(t, a.FreeSlots(typ, nil, time.UnixMilli(at(10, 0)), time.UnixMilli(at(13, 0)), longAgo, ny), at(10, 0), at(11, 0))
	})
	t.Run("labels in the visitor's zone", func(t *testing.T) {
		s := a.FreeSlots(typ, nil, monday, week, longAgo, ny)[0]
		if s.Label != "Mon 2 Mar, 03:00" || s.SlotEnd-s.SlotStart != time.Hour.Milliseconds() {
			t.Errorf("first slot %+v: want 03:00 New York, an hour long", s)
		}
	})
	t.Run("IsFree", func(t *testing.T) {
		if !a.IsFree(typ, nil, time.UnixMilli(at(13, 0)), longAgo) || a.IsFree(typ, nil, time.UnixMilli(at(13, 30)), longAgo) ||
			a.IsFree(typ, nil, time.UnixMilli(at(12, 0)), longAgo) {
			t.Error("IsFree disagrees with FreeSlots")
		}
	})
}

func TestAvailabilityValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(a *meeting.Availability)
		field string
	}{
		{"no zone", func(a *meeting.Availability) { a.TimeZone = "" }, "timeZone"},
		{"unknown zone", func(a *meeting.Availability) { a.TimeZone = "Mars/Olympus" }, "timeZone"},
		{"bad day", func(a *meeting.Availability) { a.WorkingHours[0].Day = "funday" }, "workingHours[0].day"},
		{"bad start", func(a *meeting.Availability) { a.WorkingHours[0].Start = "9am" }, "workingHours[0].start"},
		{"end before start", func(a *meeting.Availability) { a.WorkingHours[0].End = "08:00" }, "workingHours[0].end"},
		{"overlap", func(a *meeting.Availability) { a.WorkingHours[1].Start = "11:00" }, "workingHours[1]"},
		{"no name", func(a *meeting.Availability) { a.MeetingTypes[0].Name = " " }, "meetingTypes[0].name"},
		{"duplicate name", func(a *meeting.Availability) {
			a.MeetingTypes = append(a.MeetingTypes, meeting.Type{Name: "DEMO", Minutes: 30})
		}, "meetingTypes[1].name"},
		{"too short", func(a *meeting.Availability) { a.MeetingTypes[0].Minutes = 0 }, "meetingTypes[0].minutes"},
		{"negative buffer", func(a *meeting.Availability) { a.MeetingTypes[0].Buffer = -5 }, "meetingTypes[0].bufferMinutes"},
		{"negative notice", func(a *meeting.Availability) { a.MeetingTypes[0].MinNotice = -1 }, "meetingTypes[0].minimumNoticeMinutes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := berlinAgent()
			tc.edit(a)
			err := a.Validate()
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Param != tc.field {
				t.Errorf("Validate() = %v, want an error naming %s", err, tc.field)
			}
		})
	}
	a := berlinAgent()
	a.WorkingHours = append(a.WorkingHours, meeting.Hours{Day: "friday", Start: "20:00", End: "24:00"})
	if err := a.Validate(); err != nil {
		t.Errorf("24:00 as the end of a day: %v", err)
	}
}
