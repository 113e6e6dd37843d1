package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/contact"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/meeting"
	"github.com/driftwood-chat/driftwood/internal/playbook"
	"github.com/driftwood-chat/driftwood/internal/routing"
	"github.com/driftwood-chat/driftwood/internal/visitor"
)

// StartVisitorPlaybook starts playbook p for the session's visitor: a new
// conversation of their contact (made now if they have none) in which the
// bot says p's first steps, with the run kept for the answers to come. v
// is what targeting saw; its attributes are the contact's, read here.
func (db *DB) StartVisitorPlaybook(ctx context.Context, s *visitor.Session, p *playbook.Playbook, v playbook.Visitor) (_ *conversation.Conversation, err error) {
	defer derrors.Wrap(&err, "store.StartVisitorPlaybook(%d, %d)", s.OrgID, p.ID)
	if p.Definition == nil || p.OrgID != s.OrgID {
		return nil, apperr.NotFoundf("no playbook with id %d", p.ID)
	}
	var c *conversation.Conversation
	run := func(ctx context.Context, tx *Tx) error {
		ct, created, err := tx.visitorContact(ctx, s.OrgID, s, "")
		if err != nil {
			return err
		}
		if c, err = tx.insertVisitorConversation(ctx, s.OrgID, s, ct.ID, created, v.Country); err != nil {
			return err
		}
		if err := tx.appendEvents(ctx, c.StartEvents(ct, false)); err != nil {
			return err
		}
		v.Attributes = playbook.TextAttributes(ct.Attributes)
		r, acts := playbook.Start(p, v, tx.now)
		r.ConversationID = c.ID
		if err := tx.play(ctx, c, ct, p, r, v, acts); err != nil {
			return err
		}
		return tx.saveRun(ctx, s.OrgID, r)
	}
	before := *s
	err = db.Transact(ctx, run)
	if errors.Is(err, apperr.ErrConflict) {
		*s = before
		err = db.Transact(ctx, run) // a concurrent start made the contact first
	}
	if err != nil {
		*s = before
		return nil, err
	}
	return c, nil
}

// loadRun reads the playbook run of conversation id (locked by tx's
// caller through the conversation), nil when it has none.
func (tx *Tx) loadRun(ctx context.Context, conversationID int64) (*playbook.Run, error) {
	var text string
	err := tx.q.QueryRowContext(ctx, `SELECT run FROM playbook_runs WHERE conversation_id = $1`, conversationID).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r := &playbook.Run{ConversationID: conversationID}
	if err := json.Unmarshal([]byte(text), r); err != nil {
		return nil, fmt.Errorf("store: playbook run of conversation %d: %w", conversationID, err)
	}
	return r, nil
}

func (tx *Tx) saveRun(ctx context.Context, orgID int64, r *playbook.Run) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = tx.q.ExecContext(ctx, `INSERT INTO playbook_runs (conversation_id, org_id, playbook_id, status, wake_at, run, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (conversation_id) DO UPDATE SET playbook_id = excluded.playbook_id,
		status = excluded.status, wake_at = excluded.wake_at, run = excluded.run, updated_at = excluded.updated_at`,
		r.ConversationID, orgID, r.PlaybookID, r.Status, r.WakeAt, string(b), tx.now)
	return err
}

// runPlaybook loads the playbook of run r with the definition of the
// version r runs; nil when the playbook was deleted since.
func (tx *Tx) runPlaybook(ctx context.Context, orgID int64, r *playbook.Run) (*playbook.Playbook, error) {
	ps, err := queryPlaybooks(ctx, tx.q, `WHERE org_id = $1 AND id = $2`, orgID, r.PlaybookID)
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	p := ps[0]
	if p.Version != r.Version {
		var def string
		err := tx.q.QueryRowContext(ctx, `SELECT definition FROM playbook_versions WHERE playbook_id = $1 AND version = $2`,
			p.ID, r.Version).Scan(&def)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && def == "") {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		p.Definition = nil
		if err := json.Unmarshal([]byte(def), &p.Definition); err != nil {
			return nil, fmt.Errorf("store: playbook %d version %d: %w", p.ID, r.Version, err)
		}
	}
	if p.Definition == nil {
		return nil, nil
	}
	return p, nil
}

// moveRun moves the playbook run of c, locked by tx, on: with the
// visitor's answer, or (answer nil) after its delay. A conversation with
// no active run is left alone; a run whose playbook was deleted ends.
func (tx *Tx) moveRun(ctx context.Context, c *conversation.Conversation, answer *string) error {
	r, err := tx.loadRun(ctx, c.ID)
	if err != nil || r == nil || !r.Active() {
		return err
	}
	p, err := tx.runPlaybook(ctx, c.OrgID, r)
	if err != nil {
		return err
	}
	if p == nil {
		r.Stop()
		r.Status = playbook.RunDone
		return tx.saveRun(ctx, c.OrgID, r)
	}
	ct, err := getContact(ctx, tx.q, c.OrgID, c.ContactID, tx.db.dialect.LockRows())
	if err != nil {
		return err
	}
	v := playbook.Visitor{Attributes: playbook.TextAttributes(ct.Attributes)}
	var acts []playbook.Action
	if answer != nil {
		acts = r.Answer(p.Definition, v, *answer, tx.now)
	} else {
		acts = r.Wake(p.Definition, v, tx.now)
	}
	if err := tx.play(ctx, c, ct, p, r, v, acts); err != nil {
		return err
	}
	return tx.saveRun(ctx, c.OrgID, r)
}

// stopRun stops the bot of c: an agent wrote in it.
func (tx *Tx) stopRun(ctx context.Context, c *conversation.Conversation) error {
	r, err := tx.loadRun(ctx, c.ID)
	if err != nil || r == nil || !r.Stop() {
		return err
	}
	return tx.saveRun(ctx, c.OrgID, r)
}

// maxNoSlotSkips bounds how many meeting steps with no free slot one event
// passes: a loop through meeting steps would otherwise never wait.
const maxNoSlotSkips = 10

// play carries out acts, what run r of p decided for visitor v in c; a
// meeting step whose agent has no free slot is passed (the bot says so),
// and what the run then decides is carried out too.
func (tx *Tx) play(ctx context.Context, c *conversation.Conversation, ct *contact.Contact, p *playbook.Playbook, r *playbook.Run, v playbook.Visitor, acts []playbook.Action) error {
	for n := 0; ; n++ {
		noSlots, err := tx.carryOut(ctx, c, ct, p, r, acts)
		if err != nil || !noSlots {
			return err
		}
		if err := tx.botSay(ctx, c, playbook.NoSlotsText, nil); err != nil {
			return err
		}
		if n == maxNoSlotSkips {
			r.Status, r.Step = playbook.RunDone, ""
			return nil
		}
		v.Attributes = playbook.TextAttributes(ct.Attributes)
		acts = r.NoSlots(p.Definition, v, tx.now)
	}
}

// carryOut does what the bot decided, in order, in c (locked by tx) of
// contact ct (locked or made by tx), running r of p: its messages, the
// contact attributes it sets, the goals met, where it routes and the
// meeting it offers. noSlots tells that a meeting step had no free slot
// to offer (it is then the last action: the run waits there).
func (tx *Tx) carryOut(ctx context.Context, c *conversation.Conversation, ct *contact.Contact, p *playbook.Playbook, r *playbook.Run, acts []playbook.Action) (noSlots bool, err error) {
	for _, a := range acts {
		switch {
		case a.Meeting != nil:
			agent, err := tx.offerMeeting(ctx, c, a.Meeting)
			if err != nil || agent == 0 {
				return agent == 0, err
			}
			r.MeetingAgent = agent
		case a.Say != nil:
			if err := tx.botSay(ctx, c, a.Say.Text, a.Say.Buttons); err != nil {
				return false, err
			}
		case a.Captured == contact.AttrEmail:
			attrs := map[string]any{contact.AttrEmail: a.Value}
			s := &visitor.Session{OrgID: c.OrgID, ContactID: ct.ID}
			if err := tx.dropTaken(ctx, s, attrs); err != nil {
				return false, err
			}
			if len(attrs) == 0 || strings.EqualFold(ct.Email(), a.Value) {
				continue // another contact's email is never moved; a known one changes nothing
			}
			if err := tx.updateVisitorContact(ctx, ct, attrs); err != nil {
				return false, err
			}
			if err := tx.AppendEvent(ctx, ct.Identified()); err != nil {
				return false, err
			}
		case a.Attribute != "":
			if err := tx.updateVisitorContact(ctx, ct, map[string]any{a.Attribute: a.Value}); err != nil {
				return false, err
			}
			if a.Captured == "phone" {
				if err := tx.AppendEvent(ctx, playbook.PhoneCaptured(c.OrgID, c.ID, ct.ID, a.Value)); err != nil {
					return false, err
				}
			}
		case a.Goal != "":
			if err := tx.AppendEvent(ctx, p.GoalMet(c.ID, ct.ID, ct.Email(), a.Goal)); err != nil {
				return false, err
			}
		case a.Route != nil:
			target := routing.Target{To: a.Route.To, UserID: a.Route.UserID, TeamID: a.Route.TeamID}
			if err := tx.routeVisitor(ctx, c, ct, target); err != nil {
				return false, err
			}
		case a.Handoff:
			if c.AssigneeID == 0 {
				if err := tx.routeVisitor(ctx, c, ct, routing.Target{To: "rules"}); err != nil {
					return false, err
				}
			}
		}
	}
	return false, nil
}

// routeVisitor routes c, of contact ct, to target; when it has to wait,
// the bot tells the visitor their place in the queue.
func (tx *Tx) routeVisitor(ctx context.Context, c *conversation.Conversation, ct *contact.Contact, target routing.Target) error {
	req, err := tx.routingRequest(ctx, c, ct, target)
	if err != nil {
		return err
	}
	d, err := tx.route(ctx, c, req)
	if err != nil || !d.Queued {
		return err
	}
	return tx.botSay(ctx, c, routing.QueueMessage(d.Position, ct.Email() != ""), nil)
}

// meetingSlotWindow is how far ahead a meeting step looks for free slots
// (the widget's slot picker shows the same week).
const meetingSlotWindow = 7 * 24 * time.Hour

// offerMeeting says a meeting step's text with the agent's calendar: the
// message carries the agent and meeting type ("meeting" attribute) from
// which the widget shows the free slots. It returns the agent, 0 when
// there is none (no routed agent) or they have no free slot in the window.
func (tx *Tx) offerMeeting(ctx context.Context, c *conversation.Conversation, o *playbook.MeetingOffer) (int64, error) {
	agent := o.UserID
	if agent == 0 {
		agent = c.AssigneeID
	}
	if agent == 0 {
		return 0, nil
	}
	a, err := getAvailability(ctx, tx.q, c.OrgID, agent, "")
	if err != nil || len(a.MeetingTypes) == 0 {
		return 0, err
	}
	t := a.MeetingTypes[0]
	now := time.UnixMilli(tx.now)
	to := now.Add(meetingSlotWindow)
	pad := time.Duration(t.Buffer) * time.Minute
	busy, err := busyTimes(ctx, tx.q, c.OrgID, agent, now.Add(-pad).UnixMilli(), to.Add(time.Duration(t.Minutes)*time.Minute+pad).UnixMilli())
	if err != nil {
		return 0, err
	}
	if len(a.FreeSlots(t, busy, now, to, now, time.UTC)) == 0 {
		return 0, nil
	}
	return agent, tx.botPost(ctx, c, o.Text, nil, map[string]any{meetingAttribute: map[string]any{"agentId": agent, "meetingType": t.Name}})
}

// meetingAttribute is the message attribute of a bot's meeting offer.
const meetingAttribute = "meeting"

// BookVisitorMeeting implements playbook.RuntimeStore.
func (db *DB) BookVisitorMeeting(ctx context.Context, s *visitor.Session, conversationID int64, b meeting.Booking) (_ *meeting.Meeting, err error) {
	defer derrors.Wrap(&err, "store.BookVisitorMeeting(%d)", conversationID)
	var m *meeting.Meeting
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		c, err := tx.lockVisibleConversation(ctx, s, conversationID)
		if err != nil {
			return err
		}
		r, err := tx.loadRun(ctx, c.ID)
		if err != nil {
			return err
		}
		var p *playbook.Playbook
		if r != nil && r.MeetingAgent != 0 {
			if p, err = tx.runPlaybook(ctx, c.OrgID, r); err != nil {
				return err
			}
		}
		offered := p != nil && r.AtMeeting(p.Definition) != nil
		if offered && b.AgentID != r.MeetingAgent {
			return apperr.Invalidf("agentId", "the bot offers the slots of user %d in this conversation, not of user %d", r.MeetingAgent, b.AgentID)
		}
		b.ConversationID = c.ID
		if m, err = tx.bookSlot(ctx, c.OrgID, b); err != nil {
			return err
		}
		if !offered {
			return nil
		}
		agent, err := tx.requireUser(ctx, c.OrgID, m.AgentID, "agentId")
		if err != nil {
			return err
		}
		loc := time.UTC
		if b.EndUserTimeZone != "" {
			if loc, err = meeting.LoadZone("timeZone", b.EndUserTimeZone); err != nil {
				return err
			}
		}
		when := time.UnixMilli(m.SlotStart).In(loc).Format("Mon 2 Jan, 15:04") + " (" + loc.String() + ")"
		if err := tx.botSay(ctx, c, playbook.BookedText(cmp.Or(agent.Alias, agent.Name), when), nil); err != nil {
			return err
		}
		ct, err := getContact(ctx, tx.q, c.OrgID, c.ContactID, db.dialect.LockRows())
		if err != nil {
			return err
		}
		v := playbook.Visitor{Attributes: playbook.TextAttributes(ct.Attributes)}
		if err := tx.play(ctx, c, ct, p, r, v, r.Booked(p.Definition, v, when, tx.now)); err != nil {
			return err
		}
		return tx.saveRun(ctx, c.OrgID, r)
	})
	return m, err
}

// botSay posts text (plain text) with reply buttons as the org's bot in c.
func (tx *Tx) botSay(ctx context.Context, c *conversation.Conversation, text string, buttons []string) error {
	return tx.botPost(ctx, c, text, buttons, nil)
}

// botPost posts text (plain text) with reply buttons and message
// attributes as the org's bot in c.
func (tx *Tx) botPost(ctx context.Context, c *conversation.Conversation, text string, buttons []string, attrs map[string]any) error {
	p := conversation.Post{Type: conversation.Chat, Body: strings.ReplaceAll(html.EscapeString(text), "\n", "<br>"), Attributes: attrs}
	for _, b := range buttons {
		p.Buttons = append(p.Buttons, conversation.Button{Label: b, Value: b, Type: conversation.ButtonReply})
	}
	if err := p.Validate(); err != nil {
		return err
	}
	_, evs, err := tx.post(ctx, c, &p)
	if err != nil {
		return err
	}
	return tx.appendEvents(ctx, evs)
}

// WakePlaybooks implements playbook.TimerStore: each due run moves on in
// its own transaction, its conversation locked (skipped by other
// replicas' timers on PostgreSQL, so each step runs once).
func (db *DB) WakePlaybooks(ctx context.Context, now int64, limit int) (_ int, err error) {
	defer derrors.Wrap(&err, "store.WakePlaybooks(%d)", now)
	type due struct{ conv, org int64 }
	var ds []due
	if err := scanRows(ctx, db.reads, `SELECT conversation_id, org_id FROM playbook_runs WHERE status = $1 AND wake_at <= $2
		ORDER BY wake_at LIMIT $3`, []any{playbook.RunDelayed, now, limit}, func(scan func(...any) error) error {
		var d due
		if err := scan(&d.conv, &d.org); err != nil {
			return err
		}
		ds = append(ds, d)
		return nil
	}); err != nil {
		return 0, err
	}
	for _, d := range ds {
		if err := db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
			cs, err := queryConversations(ctx, tx.q, `WHERE id = $1 AND org_id = $2`+db.dialect.SkipLocked(), d.conv, d.org)
			if err != nil || len(cs) == 0 {
				return err
			}
			return tx.moveRun(ctx, cs[0], nil)
		}); err != nil {
			return 0, err
		}
	}
	return len(ds), nil
}
