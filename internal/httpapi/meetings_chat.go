package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/meeting"
)

// getAvailability serves GET /driftwood/v1/users/{id}/availability: the
// user's meeting types and weekly working hours.
func (s *Server) getAvailability(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.cfg.Store.Availability(r.Context(), orgID(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(a))
}

// putAvailability serves PUT /driftwood/v1/users/{id}/availability: it
// replaces the user's meeting types and working hours.
func (s *Server) putAvailability(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var a meeting.Availability
	if err := decodeJSON(r, &a); err != nil {
		return err
	}
	a.UserID, a.UpdatedAt = id, 0
	out, err := s.cfg.Store.SetAvailability(r.Context(), orgID(r), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(out))
}

// maxEpochMs is the end of year 9999: later times are not slots.
const maxEpochMs = 253402300799999

// defaultSlotWindow is how far ahead slots are offered without a "to".
const defaultSlotWindow = 7 * 24 * time.Hour

// visitorSlots serves GET /widget/v1/{embedId}/meetings/slots?agentId=
// &meetingType=&timeZone=&from=&to=: the agent's free slots of that
// meeting type (their first when none is named; from now to a week ahead by default), labelled in the
// visitor's time zone; what a book-a-meeting step offers.
func (s *Server) visitorSlots(w http.ResponseWriter, r *http.Request, v *visit) error {
	q := r.URL.Query()
	agentID, err := parseID("agentId", q.Get("agentId"))
	if err != nil {
		return err
	}
	now := time.Now()
	from, err := optionalEpoch(r, "from", now)
	if err != nil {
		return err
	}
	to, err := optionalEpoch(r, "to", from.Add(defaultSlotWindow))
	if err != nil {
		return err
	}
	offer, err := meeting.FreeSlotsFor(r.Context(), s.cfg.Store, v.org, meeting.SlotQuery{AgentID: agentID,
		MeetingType: q.Get("meetingType"), From: from, To: to, TimeZone: q.Get("timeZone")}, now)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(offer))
}

func optionalEpoch(r *http.Request, name string, def time.Time) (time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > maxEpochMs {
		return time.Time{}, apperr.Invalidf(name, "%s must be epoch milliseconds, got %q", name, s)
	}
	return time.UnixMilli(n), nil
}

// visitorBook serves POST /widget/v1/{embedId}/meetings {agentId,
// meetingType, slotStart, timeZone, conversationId}: the visitor books one
// of the agent's free slots (new_meeting). The visitor must be a contact
// (have chatted or identified); a conversation they do not see is a 404.
// In a conversation whose bot offers a meeting (a playbook's meeting step)
// only the offered agent's slots book; the bot confirms and goes on.
func (s *Server) visitorBook(w http.ResponseWriter, r *http.Request, v *visit) error {
	var body struct {
		AgentID        any    `json:"agentId"`
		MeetingType    string `json:"meetingType"`
		SlotStart      int64  `json:"slotStart"`
		TimeZone       string `json:"timeZone"`
		ConversationID any    `json:"conversationId"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	agentID, err := parseID("agentId", scalarString(body.AgentID))
	if err != nil {
		return err
	}
	if body.SlotStart <= 0 || body.SlotStart > maxEpochMs {
		return apperr.Invalidf("slotStart", "slotStart must be epoch milliseconds")
	}
	if body.TimeZone != "" {
		if _, err := meeting.LoadZone("timeZone", body.TimeZone); err != nil {
			return err
		}
	}
	if v.session.ContactID == 0 {
		return apperr.Invalidf("contact", "start a conversation or identify before booking a meeting")
	}
	b := meeting.Booking{AgentID: agentID, SchedulerID: v.session.ContactID, SlotStart: body.SlotStart,
		MeetingType: body.MeetingType, EndUserTimeZone: body.TimeZone}
	var m *meeting.Meeting
	if body.ConversationID != nil && body.ConversationID != "" {
		cid, err := s.visitorConversation(r, v, body.ConversationID)
		if err != nil {
			return err
		}
		m, err = s.cfg.Store.BookVisitorMeeting(r.Context(), v.session, cid, b)
		if err != nil {
			return err
		}
	} else if m, err = s.cfg.Store.BookSlot(r.Context(), v.org, b); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, data(m))
}
