// Package meeting is a meeting a contact booked on an agent's calendar
// (docs/drift-reference.md §4, Meeting). Drift's REST API only reads meetings;
// Driftwood's admin API books, reschedules and cancels them, firing
// new_meeting and meeting_updated as Drift does.
package meeting

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/events"
)

// Statuses of a meeting.
const (
	StatusActive   = "ACTIVE"
	StatusCanceled = "CANCELED"
)

// Meeting sources Driftwood fills in when a booking names none.
const (
	SourceConversation = "CONVERSATION"
	SourceEmailDrop    = "EMAIL_DROP"
)

// Event types of meeting_updated.
const (
	EventRescheduled = "rescheduled"
	EventCanceled    = "canceled"
)

// MaxWindow is the longest window GET /users/meetings/org answers, and
// MaxResults the most meetings it lists (Drift: 30 days, 1000);
// DefaultResults is how many it lists without a limit.
const (
	MaxWindow      = 30 * 24 * time.Hour
	MaxResults     = 1000
	DefaultResults = 100
)

// Meeting is Drift's meeting object. SchedulerID is the contact who booked.
type Meeting struct {
	AgentID         int64  `json:"agentId"`
	OrgID           int64  `json:"orgId"`
	Status          string `json:"status"`
	MeetingSource   string `json:"meetingSource"`
	SchedulerID     int64  `json:"schedulerId"`
	EventID         string `json:"eventId"`
	Slug            string `json:"slug"`
	SlotStart       int64  `json:"slotStart"`
	SlotEnd         int64  `json:"slotEnd"`
	UpdatedAt       int64  `json:"updatedAt"`
	ScheduledAt     int64  `json:"scheduledAt"`
	MeetingType     string `json:"meetingType"`
	ConversationID  int64  `json:"conversationId,omitempty"`
	EndUserTimeZone string `json:"endUserTimeZone,omitempty"`
	MeetingNotes    string `json:"meetingNotes,omitempty"`
	BookedBy        int64  `json:"bookedBy"`
}

// Booking is a request to book a meeting. Optional fields are zero.
type Booking struct {
	AgentID         int64  `json:"agentId"`
	SchedulerID     int64  `json:"schedulerId"` // the contact
	SlotStart       int64  `json:"slotStart"`
	SlotEnd         int64  `json:"slotEnd"`
	EventID         string `json:"eventId"`
	MeetingType     string `json:"meetingType"`
	MeetingSource   string `json:"meetingSource"`
	ConversationID  int64  `json:"conversationId"`
	EndUserTimeZone string `json:"endUserTimeZone"`
	MeetingNotes    string `json:"meetingNotes"`
	BookedBy        int64  `json:"bookedBy"` // a user; defaults to the agent
}

// New validates b and builds the meeting it books, with its new_meeting
// event. agentName gives the scheduling slug; a meeting booked with no
// eventId gets a random one.
func New(orgID int64, b Booking, agentName string, now int64) (*Meeting, []events.Event, error) {
	m, err := newMeeting(orgID, b, agentName, now)
	if err != nil {
		return nil, nil, err
	}
	return m, []events.Event{events.New(orgID, events.NewMeeting, Payload{Meeting: m})}, nil
}

// newEventID names a meeting as a calendar event id would: random hex.
func newEventID() string {
	b := make([]byte, 13)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func newMeeting(orgID int64, b Booking, agentName string, now int64) (*Meeting, error) {
	if b.AgentID <= 0 {
		return nil, apperr.Invalidf("agentId", "agentId is required")
	}
	if b.SchedulerID <= 0 {
		return nil, apperr.Invalidf("schedulerId", "schedulerId (the contact who books) is required")
	}
	if err := checkSlot(b.SlotStart, b.SlotEnd); err != nil {
		return nil, err
	}
	if b.ConversationID < 0 {
		return nil, apperr.Invalidf("conversationId", "conversationId must be a positive id")
	}
	m := &Meeting{
		AgentID: b.AgentID, OrgID: orgID, Status: StatusActive, MeetingSource: b.MeetingSource,
		SchedulerID: b.SchedulerID, EventID: strings.TrimSpace(b.EventID), Slug: Slug(agentName),
		SlotStart: b.SlotStart, SlotEnd: b.SlotEnd, UpdatedAt: now, ScheduledAt: now,
		MeetingType: strings.TrimSpace(b.MeetingType), ConversationID: b.ConversationID,
		EndUserTimeZone: b.EndUserTimeZone, MeetingNotes: b.MeetingNotes, BookedBy: b.BookedBy,
	}
	if m.EventID == "" {
		m.EventID = newEventID()
	}
	if m.MeetingSource == "" {
		m.MeetingSource = SourceEmailDrop
		if m.ConversationID > 0 {
			m.MeetingSource = SourceConversation
		}
	}
	if m.MeetingType == "" {
		m.MeetingType = fmt.Sprintf("%d Minute Meeting", (m.SlotEnd-m.SlotStart)/time.Minute.Milliseconds())
	}
	if m.BookedBy == 0 {
		m.BookedBy = m.AgentID
	}
	return m, nil
}

func checkSlot(start, end int64) error {
	if start <= 0 {
		return apperr.Invalidf("slotStart", "slotStart must be epoch milliseconds")
	}
	if end <= start {
		return apperr.Invalidf("slotEnd", "slotEnd must be after slotStart")
	}
	return nil
}

// Reschedule moves an active meeting to a new slot and returns its
// meeting_updated event.
func (m *Meeting) Reschedule(start, end, now int64) ([]events.Event, error) {
	if m.Status == StatusCanceled {
		return nil, apperr.New(apperr.BadRequest, "meeting %s is canceled and cannot be rescheduled", m.EventID)
	}
	if err := checkSlot(start, end); err != nil {
		return nil, err
	}
	m.SlotStart, m.SlotEnd, m.UpdatedAt = start, end, now
	return m.updated(EventRescheduled), nil
}

// Cancel cancels an active meeting and returns its meeting_updated event.
func (m *Meeting) Cancel(now int64) ([]events.Event, error) {
	if m.Status == StatusCanceled {
		return nil, apperr.New(apperr.BadRequest, "meeting %s is already canceled", m.EventID)
	}
	m.Status, m.UpdatedAt = StatusCanceled, now
	return m.updated(EventCanceled), nil
}

func (m *Meeting) updated(eventType string) []events.Event {
	return []events.Event{events.New(m.OrgID, events.MeetingUpdated, Payload{Meeting: m, EventType: eventType})}
}

// Slug is the agent's scheduling-page slug Drift shows on meetings:
// "Ada Agent" becomes "ada-agent".
func Slug(name string) string {
	f := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	return strings.Join(f, "-")
}

// Payload is the data of new_meeting and meeting_updated: the meeting, and
// for meeting_updated whether it was rescheduled or canceled.
type Payload struct {
	*Meeting
	EventType string `json:"eventType,omitempty"`
}

// Window is a validated GET /users/meetings/org query: both bounds in epoch
// ms, Min <= Max, and Max-Min at most MaxWindow. How far back the window
// lies is not limited, so that tests with fixed times keep working. Limit
// is how many meetings to list, from the earliest (0: DefaultResults).
type Window struct {
	Min, Max int64
	Limit    int
}

// Size is how many meetings the window lists: Limit, or DefaultResults,
// capped at MaxResults.
func (w Window) Size() int {
	if w.Limit <= 0 {
		return DefaultResults
	}
	return min(w.Limit, MaxResults)
}

// CheckWindow validates a window.
func CheckWindow(w Window) error {
	if w.Max < w.Min {
		return apperr.Invalidf("max_start_time", "max_start_time must not be before min_start_time")
	}
	if w.Max-w.Min > MaxWindow.Milliseconds() {
		return apperr.Invalidf("max_start_time", "the window from min_start_time to max_start_time must be at most 30 days")
	}
	return nil
}

// Store is the persistence of meetings, addressed by eventId. Writes record
// new_meeting or meeting_updated in the same transaction.
type Store interface {
	// BookMeeting books b: the agent must be a user of the org and the
	// scheduler one of its contacts.
	BookMeeting(ctx context.Context, orgID int64, b Booking) (*Meeting, error)
	RescheduleMeeting(ctx context.Context, orgID int64, eventID string, slotStart, slotEnd int64) (*Meeting, error)
	CancelMeeting(ctx context.Context, orgID int64, eventID string) (*Meeting, error)
	// ListMeetings lists meetings whose slot starts within w (inclusive),
	// by start, at most MaxResults.
	ListMeetings(ctx context.Context, orgID int64, w Window) ([]*Meeting, error)
}
