package drift

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// User is an agent, admin or bot of the org (Drift's user model). Absent
// fields are empty.
type User struct {
	ID           int64  `json:"id"`
	OrgID        int64  `json:"orgId"`
	Name         string `json:"name,omitempty"`
	Alias        string `json:"alias,omitempty"`
	Email        string `json:"email,omitempty"`
	Phone        string `json:"phone,omitempty"`
	Locale       string `json:"locale,omitempty"`
	Availability string `json:"availability,omitempty"` // AVAILABLE, OFFLINE or ON_CALL
	Role         string `json:"role,omitempty"`         // member, admin or agent
	TimeZone     string `json:"timeZone,omitempty"`
	AvatarURL    string `json:"avatarUrl,omitempty"`
	Verified     bool   `json:"verified"`
	Bot          bool   `json:"bot"`
	CreatedAt    int64  `json:"createdAt"`
	UpdatedAt    int64  `json:"updatedAt"`
}

// User availabilities.
const (
	Available = "AVAILABLE"
	Offline   = "OFFLINE"
	OnCall    = "ON_CALL"
)

// ListUsers lists every user of the org, bots included (Drift does not page it).
func (c *Client) ListUsers(ctx context.Context) ([]User, error) {
	return getData[[]User](ctx, c, "/users/list", nil)
}

// GetUser returns user id.
func (c *Client) GetUser(ctx context.Context, id int64) (*User, error) {
	return getData[*User](ctx, c, "/users/"+pathID(id), nil)
}

// UserUpdate holds the fields of a user to change; empty fields are left
// as they are. A user's role cannot be changed through the REST API.
type UserUpdate struct {
	Name         string `json:"name,omitempty"`
	Alias        string `json:"alias,omitempty"`
	Email        string `json:"email,omitempty"`
	Phone        string `json:"phone,omitempty"`
	Locale       string `json:"locale,omitempty"`
	AvatarURL    string `json:"avatarUrl,omitempty"`
	Availability string `json:"availability,omitempty"` // AVAILABLE or OFFLINE
}

// UpdateUser changes user id.
func (c *Client) UpdateUser(ctx context.Context, id int64, u UserUpdate) (*User, error) {
	path := withQuery("/users/update", url.Values{"userId": {pathID(id)}})
	return doData[*User](ctx, c, http.MethodPatch, path, u)
}

// Meeting is a booked meeting (Drift's meeting model). Webhooks of meeting
// changes add EventType.
type Meeting struct {
	AgentID         int64  `json:"agentId"`
	OrgID           int64  `json:"orgId"`
	Status          string `json:"status"`
	MeetingSource   string `json:"meetingSource"`
	SchedulerID     int64  `json:"schedulerId"` // the contact who booked
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
	EventType       string `json:"eventType,omitempty"` // in webhooks: canceled, rescheduled
}

// ListMeetings lists the first 100 meetings whose slot starts between from
// and to (at most 30 days apart).
func (c *Client) ListMeetings(ctx context.Context, from, to time.Time) ([]Meeting, error) {
	return c.ListMeetingsLimit(ctx, from, to, 0)
}

// ListMeetingsLimit is ListMeetings with the number of meetings to list
// (0: the server's default, 100; Drift serves at most 1000).
func (c *Client) ListMeetingsLimit(ctx context.Context, from, to time.Time, limit int) ([]Meeting, error) {
	q := url.Values{"min_start_time": {strconv.FormatInt(Millis(from), 10)}, "max_start_time": {strconv.FormatInt(Millis(to), 10)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return getData[[]Meeting](ctx, c, "/users/meetings/org", q)
}

// UsersByID returns the users of ids that exist in the org, keyed by id
// (GET /users?userId=…, Drift's documented map); unknown ids are left out.
func (c *Client) UsersByID(ctx context.Context, ids ...int64) (map[int64]User, error) {
	if len(ids) == 0 {
		return map[int64]User{}, nil
	}
	q := url.Values{}
	for _, id := range ids {
		q.Add("userId", strconv.FormatInt(id, 10))
	}
	byKey, err := getData[map[string]User](ctx, c, "/users", q)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]User, len(byKey))
	for k, u := range byKey {
		id, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("drift: users map key %q is not an id", k)
		}
		out[id] = u
	}
	return out, nil
}

// Team is a group of users. Drift does not document its shape; this is
// Driftwood's.
type Team struct {
	ID        int64   `json:"id"`
	OrgID     int64   `json:"orgId"`
	Name      string  `json:"name"`
	Members   []int64 `json:"members"` // user ids
	UpdatedAt int64   `json:"updatedAt"`
}

// ListTeams lists the org's teams.
func (c *Client) ListTeams(ctx context.Context) ([]Team, error) {
	return getData[[]Team](ctx, c, "/teams/org", nil)
}

// ListUserTeams lists the teams user userID belongs to.
func (c *Client) ListUserTeams(ctx context.Context, userID int64) ([]Team, error) {
	return getData[[]Team](ctx, c, "/teams/users/"+pathID(userID), nil)
}
