package store

import (
	"context"
	"errors"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/meeting"
)

var _ meeting.Store = (*DB)(nil)

const meetingColumns = `agent_id, org_id, status, meeting_source, scheduler_id, event_id, slug, slot_start, slot_end,
	updated_at, scheduled_at, meeting_type, conversation_id, end_user_time_zone, meeting_notes, booked_by`

// BookMeeting implements meeting.Store.
func (db *DB) BookMeeting(ctx context.Context, orgID int64, b meeting.Booking) (_ *meeting.Meeting, err error) {
	defer derrors.Wrap(&err, "store.BookMeeting(%d)", orgID)
	var m *meeting.Meeting
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		m, err = tx.bookMeeting(ctx, orgID, b)
		return err
	})
	return m, err
}

// bookMeeting books b in the transaction, with its new_meeting event.
func (tx *Tx) bookMeeting(ctx context.Context, orgID int64, b meeting.Booking) (*meeting.Meeting, error) {
	var agentName string
	if b.AgentID > 0 {
		agent, err := tx.requireUser(ctx, orgID, b.AgentID, "agentId")
		if err != nil {
			return nil, err
		}
		agentName = agent.Name
	}
	m, evs, err := meeting.New(orgID, b, agentName, tx.now)
	if err != nil {
		return nil, err
	}
	if _, err := getContact(ctx, tx.q, orgID, m.SchedulerID, ""); errors.Is(err, apperr.ErrNotFound) {
		return nil, apperr.Invalidf("schedulerId", "schedulerId %d is not a contact of this org", m.SchedulerID)
	} else if err != nil {
		return nil, err
	}
	if m.BookedBy != m.AgentID {
		if _, err := tx.requireUser(ctx, orgID, m.BookedBy, "bookedBy"); err != nil {
			return nil, err
		}
	}
	_, err = tx.q.ExecContext(ctx, `INSERT INTO meetings (`+meetingColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		m.AgentID, m.OrgID, m.Status, m.MeetingSource, m.SchedulerID, m.EventID, m.Slug, m.SlotStart, m.SlotEnd,
		m.UpdatedAt, m.ScheduledAt, m.MeetingType, m.ConversationID, m.EndUserTimeZone, m.MeetingNotes, m.BookedBy)
	if err != nil {
		return nil, tx.db.mapErr(err, "a meeting with this eventId already exists")
	}
	return m, tx.appendEvents(ctx, evs)
}

// RescheduleMeeting implements meeting.Store.
func (db *DB) RescheduleMeeting(ctx context.Context, orgID int64, eventID string, slotStart, slotEnd int64) (_ *meeting.Meeting, err error) {
	defer derrors.Wrap(&err, "store.RescheduleMeeting(%d, %q)", orgID, eventID)
	return db.changeMeeting(ctx, orgID, eventID, func(m *meeting.Meeting, now int64) ([]events.Event, error) {
		return m.Reschedule(slotStart, slotEnd, now)
	})
}

// CancelMeeting implements meeting.Store.
func (db *DB) CancelMeeting(ctx context.Context, orgID int64, eventID string) (_ *meeting.Meeting, err error) {
	defer derrors.Wrap(&err, "store.CancelMeeting(%d, %q)", orgID, eventID)
	return db.changeMeeting(ctx, orgID, eventID, (*meeting.Meeting).Cancel)
}

// changeMeeting applies change to a meeting and records the events it returns.
func (db *DB) changeMeeting(ctx context.Context, orgID int64, eventID string, change func(*meeting.Meeting, int64) ([]events.Event, error)) (*meeting.Meeting, error) {
	var m *meeting.Meeting
	err := db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		ms, err := queryMeetings(ctx, tx.q, `WHERE org_id = $1 AND event_id = $2`+db.dialect.LockRows(), orgID, eventID)
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			return apperr.NotFoundf("no meeting with eventId %q", eventID)
		}
		m = ms[0]
		evs, err := change(m, tx.now)
		if err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE meetings SET status = $1, slot_start = $2, slot_end = $3, updated_at = $4
			WHERE org_id = $5 AND event_id = $6`, m.Status, m.SlotStart, m.SlotEnd, m.UpdatedAt, orgID, eventID); err != nil {
			return err
		}
		return tx.appendEvents(ctx, evs)
	})
	return m, err
}

// ListMeetings implements meeting.Store.
func (db *DB) ListMeetings(ctx context.Context, orgID int64, w meeting.Window) (_ []*meeting.Meeting, err error) {
	defer derrors.Wrap(&err, "store.ListMeetings(%d)", orgID)
	return queryMeetings(ctx, db.read, `WHERE org_id = $1 AND slot_start >= $2 AND slot_start <= $3 ORDER BY slot_start, id LIMIT $4`,
		orgID, w.Min, w.Max, w.Size())
}

func queryMeetings(ctx context.Context, q queryer, where string, args ...any) ([]*meeting.Meeting, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+meetingColumns+` FROM meetings `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*meeting.Meeting{}
	for rows.Next() {
		m := &meeting.Meeting{}
		if err := rows.Scan(&m.AgentID, &m.OrgID, &m.Status, &m.MeetingSource, &m.SchedulerID, &m.EventID, &m.Slug,
			&m.SlotStart, &m.SlotEnd, &m.UpdatedAt, &m.ScheduledAt, &m.MeetingType, &m.ConversationID,
			&m.EndUserTimeZone, &m.MeetingNotes, &m.BookedBy); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
