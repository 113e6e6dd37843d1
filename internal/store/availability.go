package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/meeting"
)

var _ meeting.AvailabilityStore = (*DB)(nil)

// SetAvailability implements meeting.AvailabilityStore.
func (db *DB) SetAvailability(ctx context.Context, orgID int64, a meeting.Availability) (_ *meeting.Availability, err error) {
	defer derrors.Wrap(&err, "store.SetAvailability(%d, %d)", orgID, a.UserID)
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if a.WorkingHours == nil {
		a.WorkingHours = []meeting.Hours{}
	}
	if a.MeetingTypes == nil {
		a.MeetingTypes = []meeting.Type{}
	}
	hours, err := json.Marshal(a.WorkingHours)
	if err != nil {
		return nil, err
	}
	types, err := json.Marshal(a.MeetingTypes)
	if err != nil {
		return nil, err
	}
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := getUser(ctx, tx.q, orgID, a.UserID, ""); err != nil {
			return err
		}
		a.UpdatedAt = tx.now
		_, err := tx.q.ExecContext(ctx, `INSERT INTO meeting_availability (user_id, org_id, time_zone, working_hours, meeting_types, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (user_id) DO UPDATE SET time_zone = $3, working_hours = $4, meeting_types = $5, updated_at = $6`,
			a.UserID, orgID, a.TimeZone, string(hours), string(types), a.UpdatedAt)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// Availability implements meeting.AvailabilityStore.
func (db *DB) Availability(ctx context.Context, orgID, userID int64) (_ *meeting.Availability, err error) {
	defer derrors.Wrap(&err, "store.Availability(%d, %d)", orgID, userID)
	if _, err := getUser(ctx, db.read, orgID, userID, ""); err != nil {
		return nil, err
	}
	return getAvailability(ctx, db.read, orgID, userID, "")
}

func getAvailability(ctx context.Context, q queryer, orgID, userID int64, lock string) (*meeting.Availability, error) {
	a := &meeting.Availability{UserID: userID, TimeZone: "UTC", WorkingHours: []meeting.Hours{}, MeetingTypes: []meeting.Type{}}
	var hours, types string
	err := q.QueryRowContext(ctx, `SELECT time_zone, working_hours, meeting_types, updated_at FROM meeting_availability
		WHERE org_id = $1 AND user_id = $2`+lock, orgID, userID).Scan(&a.TimeZone, &hours, &types, &a.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return a, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(hours), &a.WorkingHours); err != nil {
		return nil, err
	}
	return a, json.Unmarshal([]byte(types), &a.MeetingTypes)
}

// BusyTimes implements meeting.AvailabilityStore.
func (db *DB) BusyTimes(ctx context.Context, orgID, userID, from, to int64) (_ []meeting.Busy, err error) {
	defer derrors.Wrap(&err, "store.BusyTimes(%d, %d)", orgID, userID)
	return busyTimes(ctx, db.read, orgID, userID, from, to)
}

func busyTimes(ctx context.Context, q queryer, orgID, userID, from, to int64) ([]meeting.Busy, error) {
	rows, err := q.QueryContext(ctx, `SELECT slot_start, slot_end FROM meetings
		WHERE org_id = $1 AND agent_id = $2 AND status = $3 AND slot_start < $4 AND slot_end > $5 ORDER BY slot_start`,
		orgID, userID, meeting.StatusActive, to, from)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []meeting.Busy
	for rows.Next() {
		var b meeting.Busy
		if err := rows.Scan(&b.Start, &b.End); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// BookSlot implements meeting.AvailabilityStore. The agent's availability
// row is locked first, so bookings of one agent queue behind each other
// and each sees the meetings the one before it wrote.
func (db *DB) BookSlot(ctx context.Context, orgID int64, b meeting.Booking) (_ *meeting.Meeting, err error) {
	defer derrors.Wrap(&err, "store.BookSlot(%d, %d)", orgID, b.AgentID)
	var m *meeting.Meeting
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		m, err = tx.bookSlot(ctx, orgID, b)
		return err
	})
	return m, err
}

// bookSlot books b on one of the agent's free slots in tx (BookSlot).
func (tx *Tx) bookSlot(ctx context.Context, orgID int64, b meeting.Booking) (*meeting.Meeting, error) {
	if _, err := tx.requireUser(ctx, orgID, b.AgentID, "agentId"); err != nil {
		return nil, err
	}
	a, err := getAvailability(ctx, tx.q, orgID, b.AgentID, tx.db.dialect.LockRows())
	if err != nil {
		return nil, err
	}
	t, err := a.TypeNamed(b.MeetingType)
	if err != nil {
		return nil, err
	}
	length := time.Duration(t.Minutes) * time.Minute
	pad := time.Duration(t.Buffer) * time.Minute
	start := time.UnixMilli(b.SlotStart)
	busy, err := busyTimes(ctx, tx.q, orgID, b.AgentID, start.Add(-pad).UnixMilli(), start.Add(length+pad).UnixMilli())
	if err != nil {
		return nil, err
	}
	if !a.IsFree(t, busy, start, time.UnixMilli(tx.now)) {
		return nil, apperr.New(apperr.Conflict, "the slot starting at %d is not a free %s slot of user %d (taken, outside working hours, or too soon)",
			b.SlotStart, t.Name, b.AgentID)
	}
	b.SlotEnd, b.MeetingType = start.Add(length).UnixMilli(), t.Name
	return tx.bookMeeting(ctx, orgID, b)
}
