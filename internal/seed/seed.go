// Package seed fills an org with realistic data: the demo org of a first
// start, `driftwood seed`, and POST /driftwood/v1/seed, from a fixtures file
// that a test suite can keep beside its code.
//
// # Fixtures format
//
// A fixtures file is one JSON object; every key is optional:
//
//	{
//	  "users": [{"name": "Ada Agent", "alias": "Ada", "email": "ada@example.com",
//	             "role": "admin", "availability": "AVAILABLE", "timeZone": "Europe/London",
//	             "locale": "en-GB", "phone": "+44 20 7946 0000", "avatarUrl": "https://…",
//	             "verified": true, "bot": false}],
//	  "teams": [{"name": "Sales", "members": ["ada@example.com"]}],
//	  "contacts": [{"email": "jane@acme.example", "name": "Jane Doe", "externalId": "crm-1"}],
//	  "accounts": [{"owner": "ada@example.com", "name": "Acme", "domain": "acme.example",
//	                "targeted": true,
//	                "customProperties": [{"name": "tier", "label": "Tier", "type": "ENUM", "value": "gold"},
//	                                     {"name": "csm", "type": "TEAMMEMBER", "value": "ada@example.com"}]}],
//	  "playbooks": [{"name": "Book a demo", "enabled": true, "landingPage": false,
//	                 "reportType": "BOOK_MORE_MEETINGS",
//	                 "goals": [{"id": "0b7e…-uuid (optional)", "message": "Meeting booked"}]}],
//	  "meetings": [{"agent": "ada@example.com", "contact": "jane@acme.example",
//	                "startInMinutes": -1440, "durationMinutes": 30, "eventId": "demo-1",
//	                "meetingType": "Intro call", "notes": "…", "timeZone": "America/New_York",
//	                "canceled": false}]
//	}
//
// Objects refer to each other by email, never by id, so one file gives the
// same data in any org: team members, account owners, TEAMMEMBER property
// values and meeting agents name users (of the file or already in the
// org), meeting contacts name contacts. contacts entries are contact
// attributes as POST /contacts takes them. A meeting starts at "start"
// (epoch ms) or "startInMinutes" after the moment of seeding. Goals and
// meetings without ids get random ones; give "id"/"eventId" for stable ones.
//
// Load checks the whole file, and its clashes with data already in the org
// (a user or contact email, an account domain), before writing anything;
// reset the org first (POST /driftwood/v1/reset) to load a file again.
package seed

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/account"
	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/contact"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/meeting"
	"github.com/driftwood-chat/driftwood/internal/playbook"
	"github.com/driftwood-chat/driftwood/internal/team"
	"github.com/driftwood-chat/driftwood/internal/user"
)

// Store is what seeding writes through: the same API the handlers use.
type Store interface {
	contact.Store
	conversation.Store
	user.Store
	team.Store
	account.Store
	playbook.Store
	meeting.Store
	// ResetOrg empties the org's data, keeping its tokens, apps and bot user.
	ResetOrg(ctx context.Context, orgID int64) error
}

// Fixtures is the content of a fixtures file (see the package doc).
type Fixtures struct {
	Users     []user.User      `json:"users"`
	Teams     []Team           `json:"teams"`
	Contacts  []map[string]any `json:"contacts"`
	Accounts  []Account        `json:"accounts"`
	Playbooks []Playbook       `json:"playbooks"`
	Meetings  []Meeting        `json:"meetings"`
}

// Team is a team whose members are user emails.
type Team struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// Account is an account whose owner (and TEAMMEMBER values) are user emails.
type Account struct {
	Owner            string             `json:"owner"`
	Name             string             `json:"name"`
	Domain           string             `json:"domain"`
	Targeted         bool               `json:"targeted"`
	CustomProperties []account.Property `json:"customProperties"`
}

// Playbook is a playbook; Enabled defaults to true.
type Playbook struct {
	Name        string          `json:"name"`
	Enabled     *bool           `json:"enabled"`
	LandingPage bool            `json:"landingPage"`
	ReportType  string          `json:"reportType"`
	Goals       []playbook.Goal `json:"goals"`
}

// Meeting is a meeting between a user (agent) and a contact, both by email.
type Meeting struct {
	Agent           string `json:"agent"`
	Contact         string `json:"contact"`
	Start           int64  `json:"start"`
	StartInMinutes  *int64 `json:"startInMinutes"`
	DurationMinutes int64  `json:"durationMinutes"` // default 30
	EventID         string `json:"eventId"`
	MeetingType     string `json:"meetingType"`
	Notes           string `json:"notes"`
	TimeZone        string `json:"timeZone"`
	Canceled        bool   `json:"canceled"`
}

// DemoFixtures is the demo org's fixtures file, demo.json.
//
//go:embed demo.json
var DemoFixtures []byte

// Demo fills the org with the demo fixtures (demo.json).
func Demo(ctx context.Context, s Store, orgID int64) error {
	f, err := Parse(DemoFixtures)
	if err != nil {
		return err
	}
	if err := Load(ctx, s, orgID, f, time.Now()); err != nil {
		return err
	}
	if err := demoPlaybook(ctx, s, orgID); err != nil {
		return err
	}
	return demoConversation(ctx, s, orgID)
}

// DemoAgentEmail is the demo agent's: the admin whose password link the
// first start prints, to whom the welcome playbook routes.
const DemoAgentEmail = "ada@example.com"

// demoPlaybook is the demo org's welcome playbook: on the demo page
// (/widget/demo/{embedId}) the bot greets the visitor, asks what brings
// them, captures their email and phone, meets a goal and routes them to
// the demo agent.
func demoPlaybook(ctx context.Context, s Store, orgID int64) error {
	users, err := s.ListUsers(ctx, orgID)
	if err != nil {
		return err
	}
	var agent int64
	for _, u := range users {
		if u.Email == DemoAgentEmail {
			agent = u.ID
		}
	}
	name, on := "Welcome on the demo page", true
	d := &playbook.Definition{Priority: 10,
		Targeting: playbook.Targeting{URLs: []playbook.URLRule{{Match: "contains", Value: "/widget/demo/"}}},
		Steps: []playbook.Step{
			{ID: "hi", Kind: playbook.KindMessage, Text: "Hi {{first_name|there}}! I'm the Driftwood bot.", Next: "need"},
			{ID: "need", Kind: playbook.KindQuestion, Text: "What brings you here today?", Attribute: "interest",
				Buttons: []playbook.Button{{Label: "See a demo"}, {Label: "Pricing"}, {Label: "Just browsing", Next: "bye"}}, Next: "email"},
			{ID: "email", Kind: playbook.KindEmailCapture, Text: "Great! What's your work email?", Next: "phone"},
			{ID: "phone", Kind: playbook.KindPhoneCapture, Text: "And a phone number, in case we get cut off?", Next: "won"},
			{ID: "won", Kind: playbook.KindGoal, Goal: "Qualified on the demo page", Next: "route"},
			{ID: "route", Kind: playbook.KindRoute, Route: &playbook.Route{To: "agent", UserID: agent}, Next: "routed"},
			{ID: "routed", Kind: playbook.KindMessage, Text: "Thanks! Ada from our team will be right with you."},
			{ID: "bye", Kind: playbook.KindMessage, Text: "No problem: take a look around, and write here any time.", Next: "end"},
			{ID: "end", Kind: playbook.KindEnd},
		}}
	if agent == 0 {
		return fmt.Errorf("seed: the demo agent %s is missing", DemoAgentEmail)
	}
	if _, err := s.CreatePlaybook(ctx, orgID, playbook.Fields{Name: &name, Enabled: &on, Definition: d}); err != nil {
		return fmt.Errorf("seed: welcome playbook: %w", err)
	}
	return nil
}

// demoConversation has Jane ask on the website and an agent answer.
func demoConversation(ctx context.Context, s Store, orgID int64) error {
	users, err := s.ListUsers(ctx, orgID)
	if err != nil {
		return err
	}
	var agentID int64
	for _, u := range users {
		if !u.Bot {
			agentID = u.ID
			break
		}
	}
	c, _, err := s.StartConversation(ctx, orgID, conversation.Start{
		Email: "jane@acme.example", Body: "<p>Hi! Do you offer a free trial?</p>", Visitor: true,
	})
	if err != nil {
		return fmt.Errorf("seed: conversation: %w", err)
	}
	replies := []conversation.Post{
		{Type: conversation.Chat, UserID: agentID, Body: "<p>Hi Jane, yes: 14 days, no card needed. Want me to set it up?</p>",
			Buttons: []conversation.Button{{Label: "Yes please", Type: conversation.ButtonReply}, {Label: "Not now", Type: conversation.ButtonReply}}},
		{Type: conversation.PrivateNote, UserID: agentID, Body: "<p>Acme is a good fit for the Team plan.</p>"},
	}
	for _, p := range replies {
		if _, err := s.PostMessage(ctx, orgID, c.ID, p); err != nil {
			return fmt.Errorf("seed: message: %w", err)
		}
	}
	return nil
}

// Parse reads a fixtures file, refusing unknown keys so that typos show.
func Parse(b []byte) (*Fixtures, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	f := &Fixtures{}
	if err := dec.Decode(f); err != nil {
		return nil, apperr.New(apperr.BadRequest, "fixtures: %v", err)
	}
	return f, nil
}

// Load writes f into the org. now anchors meetings given in startInMinutes.
func Load(ctx context.Context, s Store, orgID int64, f *Fixtures, now time.Time) error {
	l := &loader{s: s, orgID: orgID, f: f, now: now, users: map[string]int64{}, contacts: map[string]int64{}}
	existing, err := s.ListUsers(ctx, orgID)
	if err != nil {
		return err
	}
	for _, u := range existing {
		l.addUser(u.Email, u.ID)
	}
	if err := l.check(ctx); err != nil {
		return err
	}
	return l.write(ctx)
}

type loader struct {
	s        Store
	orgID    int64
	f        *Fixtures
	now      time.Time
	users    map[string]int64 // by lower-cased email; 0 until written
	contacts map[string]int64
}

func (l *loader) addUser(email string, id int64) {
	if email != "" {
		l.users[strings.ToLower(email)] = id
	}
}

// check validates the whole file, and every reference in it, before
// anything is written.
func (l *loader) check(ctx context.Context) error {
	for i := range l.f.Users {
		u := l.f.Users[i]
		u.SetDefaults()
		if err := u.Validate(); err != nil {
			return at(fmt.Sprintf("users[%d]", i), err)
		}
		if _, taken := l.users[strings.ToLower(u.Email)]; taken {
			return conflict(fmt.Sprintf("users[%d]", i), "a user with email %q already exists", u.Email)
		}
		l.addUser(u.Email, 0)
	}
	for i, attrs := range l.f.Contacts {
		c, err := contact.New(attrs, 0)
		if err != nil {
			return at(fmt.Sprintf("contacts[%d]", i), err)
		}
		email := strings.ToLower(c.Email())
		existing, err := l.s.ContactsByEmail(ctx, l.orgID, email, 1)
		if err != nil {
			return err
		}
		if _, dup := l.contacts[email]; dup || len(existing) > 0 {
			return conflict(fmt.Sprintf("contacts[%d]", i), "a contact with email %q already exists", c.Email())
		}
		l.contacts[email] = 0
	}
	for i, t := range l.f.Teams {
		if strings.TrimSpace(t.Name) == "" {
			return apperr.Invalidf(fmt.Sprintf("teams[%d].name", i), "teams[%d].name must not be empty", i)
		}
		for j, m := range t.Members {
			if err := l.knownUser(m, fmt.Sprintf("teams[%d].members[%d]", i, j)); err != nil {
				return err
			}
		}
	}
	domains := map[string]bool{}
	for i, a := range l.f.Accounts {
		p := fmt.Sprintf("accounts[%d]", i)
		if err := l.knownUser(a.Owner, p+".owner"); err != nil {
			return err
		}
		fields, err := l.accountFields(a, func(string) int64 { return 1 })
		var acc *account.Account
		if err == nil {
			acc, err = account.New(l.orgID, fields, 0)
		}
		if err != nil {
			return at(p, err)
		}
		if domains[acc.Domain] {
			return conflict(p, "domain %q is given twice", acc.Domain)
		}
		domains[acc.Domain] = true
		if _, err := l.s.GetAccount(ctx, l.orgID, acc.AccountID); !errors.Is(err, apperr.ErrNotFound) {
			if err != nil {
				return err
			}
			return conflict(p, "an account with domain %q already exists", acc.Domain)
		}
	}
	for i, pb := range l.f.Playbooks {
		if err := new(playbook.Playbook).Apply(playbookFields(pb), 0, 0); err != nil {
			return at(fmt.Sprintf("playbooks[%d]", i), err)
		}
	}
	for i, m := range l.f.Meetings {
		p := fmt.Sprintf("meetings[%d]", i)
		if err := l.knownUser(m.Agent, p+".agent"); err != nil {
			return err
		}
		if err := l.knownContact(ctx, m.Contact, p+".contact"); err != nil {
			return err
		}
		if _, _, err := meeting.New(l.orgID, l.booking(m, 1, 1), "", 0); err != nil {
			return at(p, err)
		}
	}
	return nil
}

func (l *loader) knownUser(email, param string) error {
	if _, ok := l.users[strings.ToLower(email)]; !ok {
		return apperr.Invalidf(param, "%s: no user with email %q in the fixtures or the org", param, email)
	}
	return nil
}

func (l *loader) knownContact(ctx context.Context, email, param string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if _, ok := l.contacts[email]; ok {
		return nil
	}
	if email != "" {
		cs, err := l.s.ContactsByEmail(ctx, l.orgID, email, 1)
		if err != nil {
			return err
		}
		if len(cs) > 0 {
			l.contacts[email] = cs[0].ID
			return nil
		}
	}
	return apperr.Invalidf(param, "%s: no contact with email %q in the fixtures or the org", param, email)
}

func (l *loader) write(ctx context.Context) error {
	for i := range l.f.Users {
		u := l.f.Users[i]
		u.ID, u.OrgID = 0, l.orgID
		if err := l.s.CreateUser(ctx, &u); err != nil {
			return at(fmt.Sprintf("users[%d]", i), err)
		}
		l.addUser(u.Email, u.ID)
	}
	for i, attrs := range l.f.Contacts {
		c, err := l.s.CreateContact(ctx, l.orgID, attrs)
		if err != nil {
			return at(fmt.Sprintf("contacts[%d]", i), err)
		}
		l.contacts[strings.ToLower(c.Email())] = c.ID
	}
	for i, t := range l.f.Teams {
		members := make([]int64, len(t.Members))
		for j, m := range t.Members {
			members[j] = l.userID(m)
		}
		if _, err := l.s.CreateTeam(ctx, l.orgID, team.Fields{Name: &t.Name, Members: &members}); err != nil {
			return at(fmt.Sprintf("teams[%d]", i), err)
		}
	}
	for i, a := range l.f.Accounts {
		fields, err := l.accountFields(a, l.userID)
		if err == nil {
			_, err = l.s.CreateAccount(ctx, l.orgID, fields)
		}
		if err != nil {
			return at(fmt.Sprintf("accounts[%d]", i), err)
		}
	}
	for i, pb := range l.f.Playbooks {
		if _, err := l.s.CreatePlaybook(ctx, l.orgID, playbookFields(pb)); err != nil {
			return at(fmt.Sprintf("playbooks[%d]", i), err)
		}
	}
	for i, m := range l.f.Meetings {
		b := l.booking(m, l.userID(m.Agent), l.contacts[strings.ToLower(strings.TrimSpace(m.Contact))])
		booked, err := l.s.BookMeeting(ctx, l.orgID, b)
		if err == nil && m.Canceled {
			_, err = l.s.CancelMeeting(ctx, l.orgID, booked.EventID)
		}
		if err != nil {
			return at(fmt.Sprintf("meetings[%d]", i), err)
		}
	}
	return nil
}

func (l *loader) userID(email string) int64 { return l.users[strings.ToLower(email)] }

// accountFields maps a fixture account to a create request, turning the
// emails of TEAMMEMBER values into user ids with id.
func (l *loader) accountFields(a Account, id func(email string) int64) (account.Fields, error) {
	owner := id(a.Owner)
	props := make([]account.Property, len(a.CustomProperties))
	for i, p := range a.CustomProperties {
		if email, ok := p.Value.(string); ok && strings.EqualFold(p.Type, account.TypeTeamMember) && strings.Contains(email, "@") {
			if err := l.knownUser(email, fmt.Sprintf("customProperties[%d].value", i)); err != nil {
				return account.Fields{}, err
			}
			p.Value = json.Number(fmt.Sprint(id(email)))
		}
		props[i] = p
	}
	return account.Fields{OwnerID: &owner, Name: &a.Name, Domain: &a.Domain, Targeted: &a.Targeted, CustomProperties: &props}, nil
}

func playbookFields(p Playbook) playbook.Fields {
	enabled := p.Enabled == nil || *p.Enabled
	goals := p.Goals
	if goals == nil {
		goals = []playbook.Goal{}
	}
	return playbook.Fields{Name: &p.Name, Goals: &goals, Enabled: &enabled, LandingPage: &p.LandingPage, ReportType: &p.ReportType}
}

func (l *loader) booking(m Meeting, agentID, contactID int64) meeting.Booking {
	start := m.Start
	if m.StartInMinutes != nil {
		start = l.now.Add(time.Duration(*m.StartInMinutes) * time.Minute).UnixMilli()
	}
	d := m.DurationMinutes
	if d == 0 {
		d = 30
	}
	return meeting.Booking{AgentID: agentID, SchedulerID: contactID, SlotStart: start, SlotEnd: start + d*time.Minute.Milliseconds(),
		EventID: m.EventID, MeetingType: m.MeetingType, MeetingNotes: m.Notes, EndUserTimeZone: m.TimeZone}
}

func conflict(entry, format string, args ...any) error {
	return apperr.New(apperr.Conflict, "%s: %s", entry, fmt.Sprintf(format, args...))
}

// at names the fixture entry an error is about, keeping its code.
func at(prefix string, err error) error {
	var e *apperr.Error
	if !errors.As(err, &e) {
		return fmt.Errorf("seed: %s: %w", prefix, err)
	}
	out := *e
	out.Message = prefix + ": " + e.Message
	if e.Param != "" {
		out.Param = prefix + "." + e.Param
	}
	return &out
}
