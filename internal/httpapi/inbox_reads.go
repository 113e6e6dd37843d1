package httpapi

import (
	"net/http"
	"strconv"

	"github.com/driftwood-chat/driftwood/internal/conversation"
)

// The agents' read state: opening a conversation in the inbox marks it
// read for the signed-in agent; the list shows each conversation's unread
// messages, the views and the tab title the conversations with some.
// Unread (not read by this agent yet) is not awaiting a reply (the
// contact wrote last, whoever has read it): the inbox shows both.

// inboxMarkRead serves POST /inbox/api/conversations/{id}/read
// {messageId?}: the signed-in agent has read the conversation up to that
// message (the latest when left out or 0). It fires no event: read state
// is the agent's own, not Drift's.
func (s *Server) inboxMarkRead(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body struct {
		MessageID any `json:"messageId"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	upTo := int64(0)
	if body.MessageID != nil && scalarString(body.MessageID) != "0" {
		if upTo, err = optionalID("messageId", body.MessageID); err != nil {
			return err
		}
	}
	marker, err := s.cfg.Store.MarkRead(r.Context(), orgID(r), sessionOf(r).User.ID, id, upTo)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(map[string]any{"conversationId": id, "lastReadMessageId": marker}))
}

// inboxUnread serves GET /inbox/api/unread: how many open conversations
// have messages the signed-in agent has not read, in each of the agent's
// views; the tab title shows the count of All.
func (s *Server) inboxUnread(w http.ResponseWriter, r *http.Request) error {
	u, err := s.cfg.Store.InboxUnread(r.Context(), orgID(r), sessionOf(r).User.ID)
	if err != nil {
		return err
	}
	teams, err := s.countByTeam(r, u.ByAssignee)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(map[string]any{"mine": u.Mine, "unassigned": u.Unassigned, "all": u.All, "teams": teams}))
}

// unreadOf counts the unread messages of each conversation of a page of
// the list, in one query.
func (s *Server) unreadOf(r *http.Request, rows []conversation.Summary) (map[int64]int, error) {
	ids := make([]int64, len(rows))
	for i, row := range rows {
		ids[i] = row.ID
	}
	return s.cfg.Store.UnreadMessages(r.Context(), orgID(r), sessionOf(r).User.ID, ids)
}

// countByTeam sums counts by assignee over the members of each of the
// signed-in agent's teams, by team id.
func (s *Server) countByTeam(r *http.Request, byAssignee map[int64]int) (map[string]int, error) {
	teams, err := s.cfg.Store.TeamsOfUser(r.Context(), orgID(r), sessionOf(r).User.ID)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, t := range teams {
		n := 0
		for _, m := range t.Members {
			n += byAssignee[m]
		}
		out[strconv.FormatInt(t.ID, 10)] = n
	}
	return out, nil
}
