package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/playbook"
)

// Playbook triggers the widget sends.
const (
	triggerPage        = "page"        // a page view: a proactive welcome, by targeting
	triggerOpen        = "open"        // the visitor opened the chat
	triggerInteraction = "interaction" // drift.api.startInteraction({interactionId})
)

// visitorPlaybook serves POST /widget/v1/{embedId}/playbook: the widget
// asks whether a playbook greets the visitor. On a page view (a visitor
// who never chatted) or when the chat opens (no conversation going on),
// the enabled playbook whose targeting holds with the highest priority
// fires; drift.api.startInteraction names its playbook (by interactionId,
// or id), whatever its targeting. A playbook that fires starts a
// conversation in which the org's bot speaks.
func (s *Server) visitorPlaybook(w http.ResponseWriter, r *http.Request, v *visit) error {
	var body struct {
		Trigger       string `json:"trigger"`
		URL           string `json:"url"`
		Referrer      string `json:"referrer"`
		VisitCount    int    `json:"visitCount"`
		TimeOnPage    int    `json:"timeOnPage"`
		InteractionID any    `json:"interactionId"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	switch {
	case body.Trigger != triggerPage && body.Trigger != triggerOpen && body.Trigger != triggerInteraction:
		return apperr.Invalidf("trigger", "trigger must be page, open or interaction, got %q", body.Trigger)
	case len(body.URL) > 2048:
		return apperr.Invalidf("url", "url must be at most 2048 bytes")
	case len(body.Referrer) > 2048:
		return apperr.Invalidf("referrer", "referrer must be at most 2048 bytes")
	case body.VisitCount < 0 || body.TimeOnPage < 0:
		return apperr.Invalidf("visitCount", "visitCount and timeOnPage must not be negative")
	}
	ctx := r.Context()
	ps, err := s.cfg.Store.ListPlaybooks(ctx, v.org, false)
	if err != nil {
		return err
	}
	online, _, _, err := s.availability(ctx, v.org, v.settings)
	if err != nil {
		return err
	}
	vis := playbook.Visitor{URL: body.URL, Referrer: body.Referrer, VisitCount: body.VisitCount, TimeOnPage: body.TimeOnPage,
		AgentsOnline: online, Identified: v.session.Verified, Country: s.visitorCountry(r)}
	if v.session.ContactID != 0 {
		ct, err := s.cfg.Store.GetContact(ctx, v.org, v.session.ContactID)
		if err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		if ct != nil {
			vis.Attributes = playbook.TextAttributes(ct.Attributes)
			vis.Identified = vis.Identified || ct.Email() != ""
		}
	}
	var p *playbook.Playbook
	if body.Trigger == triggerInteraction {
		id, err := parseID("interactionId", scalarString(body.InteractionID))
		if err != nil {
			return err
		}
		for _, c := range ps {
			if c.Definition != nil && (c.InteractionID == id || c.ID == id) && (p == nil || c.InteractionID == id) {
				p = c
			}
		}
		if p == nil {
			return apperr.NotFoundf("no playbook with interactionId %d", id)
		}
	} else {
		convs, err := s.cfg.Store.VisitorConversations(ctx, v.session, 1)
		if err != nil {
			return err
		}
		goingOn := len(convs) > 0 && (body.Trigger == triggerPage || convs[0].Status != conversation.Closed)
		if !goingOn {
			p = playbook.Select(ps, vis)
		}
	}
	if p == nil {
		return writeJSON(w, http.StatusOK, data(map[string]any{"started": false}))
	}
	c, err := s.cfg.Store.StartVisitorPlaybook(ctx, v.session, p, vis)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(map[string]any{"started": true, "playbookId": p.ID,
		"conversation": map[string]any{"id": c.ID, "status": c.Status, "createdAt": c.CreatedAt}}))
}

// visitorMeeting is a bot's meeting offer as the widget gets it: the agent
// and meeting type whose free slots the slot picker shows.
type visitorMeeting struct {
	AgentID     int64  `json:"agentId"`
	MeetingType string `json:"meetingType"`
}

// meetingOffer reads the meeting a bot's message offers (its "meeting"
// attribute, set by a playbook's meeting step); nil for other messages.
func meetingOffer(m *conversation.Message) *visitorMeeting {
	if !m.Author.Bot || m.Type != conversation.Chat {
		return nil
	}
	a, ok := m.Attributes["meeting"].(map[string]any)
	if !ok {
		return nil
	}
	var id int64
	switch n := a["agentId"].(type) {
	case float64: // as read back from JSON
		id = int64(n)
	case json.Number: // as the store reads it back
		id, _ = n.Int64()
	case int64: // as the store wrote it
		id = n
	}
	t, _ := a["meetingType"].(string)
	if id <= 0 {
		return nil
	}
	return &visitorMeeting{AgentID: id, MeetingType: t}
}
