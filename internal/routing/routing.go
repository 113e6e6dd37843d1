// Package routing decides who takes a new conversation: one agent, round
// robin among a team's available agents under capacity, the org's routing
// rules in order, the contact's account owner, or, when nobody can take it,
// a queue served oldest first. It is pure: the caller loads a State in the
// transaction that assigns, calls Assign or Drain, and persists the State's
// changes (open counts, round-robin pointers, the queue). Given the same
// State and requests, the decisions are the same.
package routing

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
)

// Agent is a user who can take conversations.
type Agent struct {
	ID        int64
	Available bool // online and accepting chats
	Open      int  // conversations assigned and not closed
	Capacity  int  // the most open conversations at once; 0 is no limit
}

// canTake reports whether a can take one more conversation.
func (a *Agent) canTake() bool {
	return a != nil && a.Available && (a.Capacity <= 0 || a.Open < a.Capacity)
}

// Team is a set of agents served round robin.
type Team struct {
	ID      int64
	Members []int64
}

// Condition is a test on the contact's or the account's attributes, or on
// the visitor's country (Source "country"; Attribute unused).
type Condition struct {
	Source    string `json:"source"` // "contact", "account", "country"
	Attribute string `json:"attribute,omitempty"`
	Op        string `json:"op"` // "equals", "not_equals", "contains", "exists", "gt", "lt", "in" (Value comma-separated)
	Value     string `json:"value,omitempty"`
}

// Rule sends a conversation whose conditions all hold to a team or an agent
// (as Drift's lead-routing rules; the first rule that holds wins). A rule
// without conditions holds for every conversation: a catch-all.
type Rule struct {
	Name       string      `json:"name"`
	Conditions []Condition `json:"conditions"`
	TeamID     int64       `json:"teamId,omitempty"`
	UserID     int64       `json:"userId,omitempty"`
	// Inactive (read-only) is set when the rule's team or agent no longer
	// exists (deleted, deactivated): routing passes over it.
	Inactive bool `json:"inactive,omitempty"`
}

// Target is what a playbook's route step (or the default greeting) asks.
type Target struct {
	To     string // "agent", "team", "account_owner", "rules"
	UserID int64
	TeamID int64
}

// Request is a conversation to route.
type Request struct {
	ConversationID int64
	Target         Target
	Contact        map[string]string
	Account        map[string]string
	Country        string // "" when unknown: a country condition never holds
	AccountOwnerID int64
	Since          int64 // when it asked, for the queue's order
}

// Waiting is a queued conversation: its request and why it waits.
type Waiting struct {
	Request
	Reason string
}

// State is what a routing decision reads and changes.
type State struct {
	Agents map[int64]*Agent
	Teams  map[int64]*Team
	Rules  []Rule
	// LastAssigned is, by team id (0 for the whole org), the agent who got
	// that rotation's last conversation; the next goes to the one after.
	LastAssigned map[int64]int64
	Queue        []Waiting // oldest first
}

// Decision is where a conversation went.
type Decision struct {
	ConversationID int64
	UserID         int64 // 0 when queued
	TeamID         int64 // the team whose rotation it came from (0: every agent's)
	RoundRobin     bool  // it came from a rotation, whose pointer moved
	Rule           int   // the index of the rule that matched, -1 when none
	Queued         bool
	Position       int    // 1-based place in the queue when queued
	Description    string // for people: "agent 5 (round robin in team 2)", "queue: …"
}

// Assign routes r: it assigns an agent (counting the conversation as open)
// or appends r to the queue.
func (s *State) Assign(r Request) Decision {
	d, reason := s.decide(r)
	if d.UserID != 0 {
		s.take(&d)
		return d
	}
	if s.gone(r.Target) {
		// Its agent or team was deleted: it waits for any agent, in order.
		r.Target = Target{To: "rules"}
	}
	s.Queue = append(s.Queue, Waiting{Request: r, Reason: reason})
	d.Queued, d.Position = true, len(s.Queue)
	d.Description = "queue: " + reason
	return d
}

// Domain is the agents a decision for r can assign, as far as the teams and
// rules of s tell before its agents are read: what a store locks so that
// decisions on other agents are taken side by side. nil is every agent (a
// rotation of all agents, the account owner's fallback). A decision falls
// outside it only when an agent a rule names has left: Assign then passes
// over that rule, which the caller sees (the decision's agent is not in
// the domain) and decides again with every agent locked.
func (s *State) Domain(r Request) []int64 {
	members := func(teamID int64) []int64 {
		if t := s.Teams[teamID]; t != nil {
			return append([]int64{}, t.Members...) // not nil: no member is nobody, not everyone
		}
		return []int64{} // no such team: it queues, nobody to lock
	}
	switch r.Target.To {
	case "agent":
		return []int64{r.Target.UserID}
	case "team":
		return members(r.Target.TeamID)
	case "account_owner":
		return nil
	}
	for _, rule := range s.Rules {
		if rule.UserID == 0 && s.Teams[rule.TeamID] == nil {
			continue // its team is gone: passed over, as decide does
		}
		if rule.holds(r) {
			if rule.UserID != 0 {
				return []int64{rule.UserID}
			}
			return members(rule.TeamID)
		}
	}
	return nil
}

// gone reports a target whose agent or team no longer exists.
func (s *State) gone(t Target) bool {
	return (t.To == "agent" && s.Agents[t.UserID] == nil) || (t.To == "team" && s.Teams[t.TeamID] == nil)
}

// Drain assigns the queued conversations that can now be taken, oldest
// first, after a close or an agent coming back. One that still cannot be
// taken keeps its place and does not hold up those behind it.
func (s *State) Drain() []Decision {
	var out []Decision
	kept := s.Queue[:0]
	for _, w := range s.Queue {
		if d, _ := s.decide(w.Request); d.UserID != 0 {
			s.take(&d)
			out = append(out, d)
			continue
		}
		kept = append(kept, w)
	}
	s.Queue = kept
	return out
}

// Position is a queued conversation's 1-based place, 0 when not queued.
func (s *State) Position(conversationID int64) int {
	return slices.IndexFunc(s.Queue, func(w Waiting) bool { return w.ConversationID == conversationID }) + 1
}

// Close frees the capacity of agent userID's closed conversation.
func (s *State) Close(userID int64) {
	if a := s.Agents[userID]; a != nil && a.Open > 0 {
		a.Open--
	}
}

func (s *State) take(d *Decision) {
	s.Agents[d.UserID].Open++
	if d.RoundRobin {
		if s.LastAssigned == nil {
			s.LastAssigned = map[int64]int64{}
		}
		s.LastAssigned[d.TeamID] = d.UserID
	}
}

// decide finds who takes r without changing s; when nobody can, it says why.
func (s *State) decide(r Request) (Decision, string) {
	d := Decision{ConversationID: r.ConversationID, Rule: -1}
	switch r.Target.To {
	case "agent":
		return s.agent(d, r.Target.UserID, fmt.Sprintf("agent %d", r.Target.UserID))
	case "team":
		return s.roundRobin(d, r.Target.TeamID)
	case "account_owner":
		if r.AccountOwnerID != 0 {
			if a := s.Agents[r.AccountOwnerID]; a.canTake() {
				d.UserID, d.Description = a.ID, fmt.Sprintf("agent %d (account owner)", a.ID)
				return d, ""
			}
		}
		// The owner is missing or busy: the whole team's rotation serves.
		return s.roundRobin(d, 0)
	}
	s.MarkInactive() // agents and teams are what s holds now
	if i := FirstRule(s.Rules, r); i >= 0 {
		rule := s.Rules[i]
		d.Rule = i
		if rule.UserID != 0 {
			return s.agent(d, rule.UserID, fmt.Sprintf("agent %d (rule %d %q)", rule.UserID, i, rule.Name))
		}
		d, why := s.roundRobin(d, rule.TeamID)
		if d.UserID != 0 {
			d.Description += fmt.Sprintf(" (rule %d %q)", i, rule.Name)
		}
		return d, why
	}
	return s.roundRobin(d, 0)
}

// MarkInactive marks the rules whose team or agent is not in s (deleted,
// deactivated): routing passes over them.
func (s *State) MarkInactive() {
	for i, rule := range s.Rules {
		s.Rules[i].Inactive = (rule.UserID != 0 && s.Agents[rule.UserID] == nil) || (rule.UserID == 0 && s.Teams[rule.TeamID] == nil)
	}
}

// FirstRule is the index of the first active rule of rules whose
// conditions all hold for r, -1 when none does.
func FirstRule(rules []Rule, r Request) int {
	for i, rule := range rules {
		if !rule.Inactive && rule.holds(r) {
			return i
		}
	}
	return -1
}

func (s *State) agent(d Decision, id int64, desc string) (Decision, string) {
	a := s.Agents[id]
	switch {
	case a == nil:
		return d, fmt.Sprintf("agent %d no longer exists", id)
	case !a.canTake():
		return d, fmt.Sprintf("agent %d is away or at capacity", id)
	}
	d.UserID, d.Description = id, desc
	return d, ""
}

// roundRobin picks the next agent of team teamID (every agent when 0)
// after the last one assigned, by id order, who is available and under
// capacity.
func (s *State) roundRobin(d Decision, teamID int64) (Decision, string) {
	var members []int64
	name := "every agent"
	if teamID != 0 {
		t := s.Teams[teamID]
		if t == nil {
			return d, fmt.Sprintf("team %d no longer exists", teamID)
		}
		members = slices.Clone(t.Members)
		name = fmt.Sprintf("team %d", teamID)
	} else {
		for id := range s.Agents {
			members = append(members, id)
		}
	}
	slices.Sort(members)
	last := s.LastAssigned[teamID]
	start, _ := slices.BinarySearch(members, last+1) // the first id after the last one assigned
	for i := range members {
		id := members[(start+i)%len(members)]
		if a := s.Agents[id]; a.canTake() {
			d.UserID, d.TeamID, d.RoundRobin = id, teamID, true
			d.Description = fmt.Sprintf("agent %d (round robin in %s)", id, name)
			return d, ""
		}
	}
	return d, fmt.Sprintf("no agent of %s is available under capacity", name)
}

func (rule Rule) holds(r Request) bool {
	for _, c := range rule.Conditions {
		var got string
		switch c.Source {
		case "country":
			got = r.Country
		case "account":
			got = r.Account[c.Attribute]
		default:
			got = r.Contact[c.Attribute]
		}
		if !c.holds(got) {
			return false
		}
	}
	return true
}

func (c Condition) holds(got string) bool {
	switch c.Op {
	case "exists":
		return got != ""
	case "equals":
		return got != "" && strings.EqualFold(got, c.Value)
	case "not_equals":
		return !strings.EqualFold(got, c.Value)
	case "contains":
		return got != "" && strings.Contains(strings.ToLower(got), strings.ToLower(c.Value))
	case "in":
		for _, v := range strings.Split(c.Value, ",") {
			if got != "" && strings.EqualFold(strings.TrimSpace(v), got) {
				return true
			}
		}
		return false
	case "gt", "lt":
		a, err1 := strconv.ParseFloat(got, 64)
		b, err2 := strconv.ParseFloat(c.Value, 64)
		return err1 == nil && err2 == nil && ((c.Op == "gt" && a > b) || (c.Op == "lt" && a < b))
	}
	return false
}

// QueueMessage is what the bot tells a visitor whose conversation waits at
// position; one whose email is unknown is asked for it, to be answered by
// email.
func QueueMessage(position int, emailKnown bool) string {
	s := fmt.Sprintf("All our agents are busy right now. You are number %d in the queue; someone will be with you shortly.", position)
	if !emailKnown {
		s += " Leave your email and we'll reply there if you have to go."
	}
	return s
}

// Settings are an org's routing settings and where its routing stands.
type Settings struct {
	// RouteNewConversations routes a visitor's conversation that no
	// playbook greeted (off: it waits unassigned for an agent to take it).
	RouteNewConversations bool        `json:"routeNewConversations"`
	Rules                 []Rule      `json:"rules"` // in order; the first that holds wins
	Agents                []AgentLoad `json:"agents"`
	Queue                 []Queued    `json:"queue"` // the first MaxQueueShown, oldest first
	QueueLength           int         `json:"queueLength"`
}

// AgentLoad is an agent's capacity and open conversations.
type AgentLoad struct {
	UserID    int64 `json:"userId"`
	Available bool  `json:"available"`
	Capacity  int   `json:"capacity"` // 0 is no limit
	Open      int   `json:"open"`
}

// Queued is a conversation waiting in the queue.
type Queued struct {
	ConversationID int64  `json:"conversationId"`
	Position       int    `json:"position"`
	Since          int64  `json:"since"`
	Reason         string `json:"reason"`
}

// MaxQueueShown bounds the queue Settings shows.
const MaxQueueShown = 100

// MaxCapacity bounds an agent's capacity.
const MaxCapacity = 1000

// Patch changes an org's routing settings; nil is left alone.
type Patch struct {
	RouteNewConversations *bool `json:"routeNewConversations"`
	// Capacities sets agents' capacities, by user id.
	Capacities map[string]int `json:"capacities"`
	// Rules, when given, replaces the org's routing rules, in order.
	Rules *[]Rule `json:"rules"`
}

// Limits of the routing rules, so that routing stays quick.
const (
	MaxRules          = 100
	MaxConditions     = 20
	maxRuleNameLen    = 200
	maxAttributeLen   = 200
	maxConditionValue = 1000
)

var ops = map[string]bool{"equals": true, "not_equals": true, "contains": true, "exists": true, "gt": true, "lt": true, "in": true}

// ValidateRules checks rules, naming the field at fault
// ("rules[2].conditions[0].op"). That their teams and agents are the org's
// is the store's to check. Inactive is ignored (read-only, so that a list
// read can be sent back).
func ValidateRules(rules []Rule) error {
	if len(rules) > MaxRules {
		return apperr.Invalidf("rules", "at most %d rules", MaxRules)
	}
	for i, rule := range rules {
		at := fmt.Sprintf("rules[%d]", i)
		switch {
		case strings.TrimSpace(rule.Name) == "" || len(rule.Name) > maxRuleNameLen:
			return apperr.Invalidf(at+".name", "%s.name is required, at most %d bytes", at, maxRuleNameLen)
		case rule.TeamID < 0 || rule.UserID < 0:
			return apperr.Invalidf(at+".teamId", "%s: teamId and userId are positive ids", at)
		case rule.TeamID == 0 && rule.UserID == 0:
			return apperr.Invalidf(at+".teamId", "%s needs a target: a teamId or a userId", at)
		case rule.TeamID != 0 && rule.UserID != 0:
			return apperr.Invalidf(at+".userId", "%s targets a teamId or a userId, not both", at)
		case len(rule.Conditions) > MaxConditions:
			return apperr.Invalidf(at+".conditions", "%s has at most %d conditions", at, MaxConditions)
		}
		for j, c := range rule.Conditions {
			at := fmt.Sprintf("%s.conditions[%d]", at, j)
			switch {
			case c.Source != "contact" && c.Source != "account" && c.Source != "country":
				return apperr.Invalidf(at+".source", "%s.source must be contact, account or country, got %q", at, c.Source)
			case c.Source != "country" && (strings.TrimSpace(c.Attribute) == "" || len(c.Attribute) > maxAttributeLen):
				return apperr.Invalidf(at+".attribute", "%s.attribute is required for a %s condition, at most %d bytes", at, c.Source, maxAttributeLen)
			case c.Source == "country" && c.Attribute != "":
				return apperr.Invalidf(at+".attribute", "%s.attribute is not used by a country condition", at)
			case !ops[c.Op]:
				return apperr.Invalidf(at+".op", "%s.op must be one of equals, not_equals, contains, exists, gt, lt, in; got %q", at, c.Op)
			case c.Op != "exists" && c.Value == "":
				return apperr.Invalidf(at+".value", "%s.value is required with op %s", at, c.Op)
			case len(c.Value) > maxConditionValue:
				return apperr.Invalidf(at+".value", "%s.value is at most %d bytes", at, maxConditionValue)
			}
			if c.Op == "gt" || c.Op == "lt" {
				if _, err := strconv.ParseFloat(c.Value, 64); err != nil {
					return apperr.Invalidf(at+".value", "%s.value must be a number with op %s", at, c.Op)
				}
			}
		}
	}
	return nil
}

// Validate checks p and returns its capacities by user id.
func (p Patch) Validate() (map[int64]int, error) {
	if p.Rules != nil {
		if err := ValidateRules(*p.Rules); err != nil {
			return nil, err
		}
	}
	if len(p.Capacities) > 1000 {
		return nil, apperr.Invalidf("capacities", "at most 1000 capacities at once")
	}
	out := map[int64]int{}
	for k, n := range p.Capacities {
		id, err := strconv.ParseInt(k, 10, 64)
		if err != nil || id <= 0 {
			return nil, apperr.Invalidf("capacities", "capacities are keyed by user id, got %q", k)
		}
		if n < 0 || n > MaxCapacity {
			return nil, apperr.Invalidf("capacities."+k, "capacities.%s must be 0 (no limit) to %d", k, MaxCapacity)
		}
		out[id] = n
	}
	return out, nil
}

// Store keeps routing settings.
type Store interface {
	RoutingSettings(ctx context.Context, orgID int64) (*Settings, error)
	// UpdateRouting applies p; a capacity for a user who is not one of the
	// org's agents is refused. More capacity drains the queue.
	UpdateRouting(ctx context.Context, orgID int64, p Patch) (*Settings, error)
}
