package playbook

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/meeting"
	"github.com/driftwood-chat/driftwood/internal/visitor"
)

// Run statuses.
const (
	RunWaiting = "waiting" // for the visitor's answer to Step
	RunDelayed = "delayed" // until WakeAt, then on from Step
	RunDone    = "done"    // ended, handed off, or run to its last step
	RunStopped = "stopped" // an agent wrote in the conversation and took over
)

// Run is a playbook running in one conversation: what the store keeps
// between the events that move it on (a visitor's answer, a timer). It
// runs the version of the definition it started with.
type Run struct {
	ConversationID int64             `json:"-"`
	PlaybookID     int64             `json:"playbookId"`
	Version        int64             `json:"version"`
	Status         string            `json:"status"`
	Step           string            `json:"step,omitempty"`   // waited at, or resumed from after a delay
	WakeAt         int64             `json:"wakeAt,omitempty"` // a delay's end, ms
	Answers        map[string]string `json:"answers,omitempty"`
	// MeetingAgent is the user whose free slots the bot offers while it
	// waits at a meeting step: only their slots book and move the run on.
	MeetingAgent int64 `json:"meetingAgent,omitempty"`
}

// Action is one thing the bot does that the store carries out, in order,
// in the transaction of the event that moved the run.
type Action struct {
	Say *Say // a bot message
	// Attribute is a contact attribute to set to Value: an answer saved, a
	// set_attribute step, a captured email or phone (Captured says which).
	Attribute string
	Value     string
	Captured  string
	Goal      string // a goal met, by name
	Route     *Route // where to route the conversation
	Handoff   bool   // hand the conversation to a human
	// Meeting offers a calendar: the store finds the agent's free slots
	// and says Text with them, or, with none free, moves the run on.
	Meeting *MeetingOffer
}

// MeetingOffer is a meeting step's offer: the slots of UserID, or of the
// conversation's assignee (the routed agent) when 0.
type MeetingOffer struct {
	UserID int64
	Text   string
}

// Say is a bot message: text (placeholders rendered, plain text) and the
// labels of its reply buttons.
type Say struct {
	Text    string
	Buttons []string
}

// Start starts p's current definition for visitor v at now: the bot's
// first steps, up to the first that waits. p must have a definition.
func Start(p *Playbook, v Visitor, now int64) (*Run, []Action) {
	r := &Run{PlaybookID: p.ID, Version: p.Version, Status: RunWaiting}
	return r, r.advance(p.Definition, v, p.Definition.first(), nil, now)
}

// Active reports whether the run may still do something.
func (r *Run) Active() bool { return r.Status == RunWaiting || r.Status == RunDelayed }

// Answer moves r on with the visitor's answer to the step it waits at;
// there is nothing to do when it waits for no answer.
func (r *Run) Answer(d *Definition, v Visitor, answer string, now int64) []Action {
	if r.Status != RunWaiting || r.Step == "" {
		return nil
	}
	r.MeetingAgent = 0 // a typed answer to a meeting step declines it
	return r.advance(d, v, r.Step, &answer, now)
}

// AtMeeting is the meeting step r waits at, nil when it waits at none.
func (r *Run) AtMeeting(d *Definition) *Step {
	if r.Status != RunWaiting || r.Step == "" {
		return nil
	}
	for i := range d.Steps {
		if d.Steps[i].ID == r.Step && d.Steps[i].Kind == KindMeeting {
			return &d.Steps[i]
		}
	}
	return nil
}

// Booked moves r on past the meeting step it waits at: the visitor booked
// the slot described by label. Nothing happens when it waits at none.
func (r *Run) Booked(d *Definition, v Visitor, label string, now int64) []Action {
	if r.AtMeeting(d) == nil {
		return nil
	}
	r.MeetingAgent = 0
	return r.advance(d, v, r.Step, &label, now)
}

// NoSlots moves r on past the meeting step it waits at when no slot of
// the agent is free: to the step's next, as if the visitor declined.
func (r *Run) NoSlots(d *Definition, v Visitor, now int64) []Action {
	s := r.AtMeeting(d)
	if s == nil {
		return nil
	}
	r.MeetingAgent = 0
	return r.advance(d, v, s.Next, nil, now)
}

// Wake moves r on after its delay, when the delay is over at now.
func (r *Run) Wake(d *Definition, v Visitor, now int64) []Action {
	if r.Status != RunDelayed || now < r.WakeAt {
		return nil
	}
	r.WakeAt = 0
	return r.advance(d, v, r.Step, nil, now)
}

// Stop stops the bot: an agent took the conversation over. It reports
// whether the run was still active.
func (r *Run) Stop() bool {
	if !r.Active() {
		return false
	}
	r.Status, r.Step, r.WakeAt = RunStopped, "", 0
	return true
}

// advance runs the steps from id: answer, when not nil, answers step id,
// whose text was said when the run began to wait there. It stops at a
// step that waits for an answer, a delay, or the end.
func (r *Run) advance(d *Definition, v Visitor, id string, answer *string, now int64) []Action {
	m := newMachine(d, &v, v.Attributes, r.Answers)
	var out []Action
	asked := answer != nil
	r.Status, r.Step = RunDone, ""
	for n := 0; n < maxRunSteps && id != ""; n++ {
		i, ok := m.index[id]
		if !ok {
			break // a definition always names its steps; a guard
		}
		s := &d.Steps[i]
		tr, next, stop := m.step(s, asked, answer)
		asked, answer = false, nil
		out = append(out, actionsOf(s, tr)...)
		if (tr.Valid != nil && !*tr.Valid) || stop == "awaiting_answer" {
			r.Status, r.Step = RunWaiting, s.ID
			break
		}
		if stop != "" {
			break
		}
		if s.Kind == KindDelay && next != "" {
			r.Status, r.Step, r.WakeAt = RunDelayed, next, now+int64(s.Seconds)*1000
			break
		}
		id = next
	}
	r.Answers = m.answers
	return out
}

// actionsOf turns what step s did, as traced, into the actions the store
// carries out.
func actionsOf(s *Step, tr Trace) []Action {
	var out []Action
	var buttons []string
	if s.Kind == KindQuestion {
		buttons = tr.Buttons
	}
	switch {
	case s.Kind == KindMeeting && tr.Bot != "":
		out = append(out, Action{Meeting: &MeetingOffer{UserID: s.UserID, Text: tr.Bot}})
	case tr.Bot != "":
		out = append(out, Action{Say: &Say{Text: tr.Bot, Buttons: buttons}})
	}
	if tr.Retry != "" {
		out = append(out, Action{Say: &Say{Text: tr.Retry, Buttons: buttons}})
	}
	if tr.Attribute != "" {
		a := Action{Attribute: tr.Attribute, Value: tr.Value}
		if s.Kind == KindEmailCapture || s.Kind == KindPhoneCapture {
			a.Captured = tr.Attribute
		}
		out = append(out, a)
	}
	if tr.Goal != "" {
		out = append(out, Action{Goal: tr.Goal})
	}
	switch s.Kind {
	case KindRoute:
		out = append(out, Action{Route: s.Route})
	case KindHandoff:
		out = append(out, Action{Handoff: true})
	}
	return out
}

// GoalMetPayload is the data of playbook_goal_met, with Drift's fields.
type GoalMetPayload struct {
	ConversationID int64  `json:"conversationId"`
	PlaybookID     int64  `json:"playbookId"`
	ContactID      int64  `json:"contactId"`
	GoalID         string `json:"goalId"`
	GoalName       string `json:"goalName"`
	PlaybookName   string `json:"playbookName"`
	ContactEmail   string `json:"contactEmail"`
}

// GoalMet is playbook_goal_met for goal name, met by the contact in a
// conversation: the goal id is that of p's goal with the name.
func (p *Playbook) GoalMet(conversationID, contactID int64, contactEmail, name string) events.Event {
	g := GoalMetPayload{ConversationID: conversationID, PlaybookID: p.ID, ContactID: contactID,
		GoalName: name, PlaybookName: p.Name, ContactEmail: contactEmail}
	for _, goal := range p.Goals {
		if goal.Message == name {
			g.GoalID = goal.ID
			break
		}
	}
	return events.New(p.OrgID, events.PlaybookGoalMet, g)
}

// PhoneCapturedPayload is the data of phone_captured, with Drift's fields.
type PhoneCapturedPayload struct {
	ConversationID int64  `json:"conversationId"`
	AuthorID       int64  `json:"authorId"`
	AuthorType     string `json:"authorType"`
	PhoneNumber    string `json:"phoneNumber"`
}

// PhoneCaptured is phone_captured for the phone number a contact gave in
// a conversation.
func PhoneCaptured(orgID, conversationID, contactID int64, phone string) events.Event {
	return events.New(orgID, events.PhoneCaptured,
		PhoneCapturedPayload{ConversationID: conversationID, AuthorID: contactID, AuthorType: "contact", PhoneNumber: phone})
}

// TextAttributes are a contact's attributes as playbooks read them: as
// text, JSON for what is not a string; null ones left out.
func TextAttributes(attrs map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range attrs {
		switch v := v.(type) {
		case nil:
		case string:
			out[k] = v
		default:
			if b, err := json.Marshal(v); err == nil {
				out[k] = strings.Trim(string(b), `"`)
			}
		}
	}
	return out
}

// RuntimeStore starts playbooks for website visitors.
type RuntimeStore interface {
	// StartVisitorPlaybook starts p for the session's visitor in a new
	// conversation of their contact (made if they have none): the bot says
	// p's first steps and the run is kept for the answers to come. v is
	// what targeting saw; its attributes are read again from the contact.
	StartVisitorPlaybook(ctx context.Context, s *visitor.Session, p *Playbook, v Visitor) (*conversation.Conversation, error)
	// BookVisitorMeeting books b, a slot the visitor picked, in one of the
	// conversations the session sees (a not-found otherwise). When the bot
	// offers that agent's slots there, it confirms the booking and the run
	// moves on, in the same transaction: exactly once.
	BookVisitorMeeting(ctx context.Context, s *visitor.Session, conversationID int64, b meeting.Booking) (*meeting.Meeting, error)
}

// NoSlotsText is what the bot says at a meeting step when the agent has
// no free slot in the window offered; the run then goes on to the step's
// next (an email capture there lets the team follow up).
const NoSlotsText = "There are no times free to book in the next week, so we'll carry on here."

// BookedText is the bot's confirmation of a meeting booked with agent at
// when (the slot, as the visitor reads it).
func BookedText(agent, when string) string {
	return fmt.Sprintf("You're booked with %s on %s. See you then!", agent, when)
}
