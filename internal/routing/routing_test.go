package routing_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apperr"

	"github.com/driftwood-chat/driftwood/internal/routing"
)

// state has agents 1..n, all available with the given capacity, in team 10.
func state(n, capacity int) *routing.State {
	s := &routing.State{Agents: map[int64]*routing.Agent{}, Teams: map[int64]*routing.Team{10: {ID: 10}}}
	for i := int64(1); i <= int64(n); i++ {
		s.Agents[i] = &routing.Agent{ID: i, Available: true, Capacity: capacity}
		s.Teams[10].Members = append(s.Teams[10].Members, i)
	}
	return s
}

func team(conv int64) routing.Request {
	return routing.Request{ConversationID: conv, Target: routing.Target{To: "team", TeamID: 10}}
}

// N conversations over M equal agents: counts differ by at most one, for
// every N, and the order is the rotation's.
func TestAssign_RoundRobinIsFair(t *testing.T) {
	for _, m := range []int{1, 2, 3, 7} {
		for n := 0; n <= 30; n++ {
			s := state(m, 0)
			counts := map[int64]int{}
			for c := range n {
				d := s.Assign(team(int64(c)))
				if d.Queued {
					t.Fatalf("M=%d: conversation %d queued: %+v", m, c, d)
				}
				if want := int64(c%m + 1); d.UserID != want {
					t.Fatalf("M=%d: conversation %d went to %d, want %d", m, c, d.UserID, want)
				}
				counts[d.UserID]++
			}
			lo, hi := n, 0
			for i := int64(1); i <= int64(m); i++ {
				lo, hi = min(lo, counts[i]), max(hi, counts[i])
			}
			if n > 0 && hi-lo > 1 {
				t.Fatalf("M=%d N=%d: counts %v differ by %d", m, n, counts, hi-lo)
			}
		}
	}
}

// Capacity: nobody goes over it; the rest wait in the queue, oldest first,
// and drain as conversations close.
func TestAssign_CapacityAndQueue(t *testing.T) {
	s := state(2, 2)
	for c := int64(1); c <= 4; c++ {
		if d := s.Assign(team(c)); d.Queued {
			t.Fatalf("conversation %d queued under capacity", c)
		}
	}
	for c := int64(5); c <= 7; c++ {
		d := s.Assign(team(c))
		if !d.Queued || d.Position != int(c-4) || !strings.Contains(d.Description, "capacity") {
			t.Fatalf("conversation %d: %+v", c, d)
		}
	}
	for _, a := range s.Agents {
		if a.Open != 2 {
			t.Fatalf("agent %d has %d open, capacity 2", a.ID, a.Open)
		}
	}
	if d := s.Drain(); len(d) != 0 {
		t.Fatalf("drained %v with everyone full", d)
	}
	s.Close(2)
	d := s.Drain()
	if len(d) != 1 || d[0].ConversationID != 5 || d[0].UserID != 2 {
		t.Fatalf("after a close: %+v", d)
	}
	if s.Position(6) != 1 || s.Position(7) != 2 || s.Position(5) != 0 {
		t.Fatalf("positions: 6→%d 7→%d 5→%d", s.Position(6), s.Position(7), s.Position(5))
	}
	// An agent coming back drains the rest.
	s.Agents[3] = &routing.Agent{ID: 3, Available: true, Capacity: 5}
	s.Teams[10].Members = append(s.Teams[10].Members, 3)
	if d := s.Drain(); len(d) != 2 || d[0].ConversationID != 6 || d[1].ConversationID != 7 || d[0].UserID != 3 {
		t.Fatalf("after an agent came back: %+v", d)
	}
	if len(s.Queue) != 0 {
		t.Fatalf("queue left: %+v", s.Queue)
	}
}

// Away agents are skipped; a queued conversation for a busy agent does not
// hold up one behind it that another agent can take.
func TestAssign_AvailabilityAndNoHeadOfLineBlocking(t *testing.T) {
	s := state(3, 1)
	s.Agents[2].Available = false
	if d := s.Assign(team(1)); d.UserID != 1 {
		t.Fatalf("%+v", d)
	}
	if d := s.Assign(team(2)); d.UserID != 3 {
		t.Fatalf("skipped the away agent? %+v", d)
	}
	if d := s.Assign(routing.Request{ConversationID: 3, Target: routing.Target{To: "agent", UserID: 1}}); !d.Queued {
		t.Fatalf("agent 1 is full: %+v", d)
	}
	s.Agents[2].Available = true
	s.Assign(routing.Request{ConversationID: 4, Target: routing.Target{To: "agent", UserID: 1}})
	s.Queue = append(s.Queue, routing.Waiting{Request: team(5)})
	d := s.Drain()
	if len(d) != 1 || d[0].ConversationID != 5 || d[0].UserID != 2 || s.Position(3) != 1 || s.Position(4) != 2 {
		t.Fatalf("drain: %+v, queue %+v", d, s.Queue)
	}
}

func TestAssign_TargetsAndRules(t *testing.T) {
	base := func() *routing.State {
		s := state(4, 0)
		s.Teams[20] = &routing.Team{ID: 20, Members: []int64{3, 4}}
		s.Rules = []routing.Rule{
			{Name: "germany", Conditions: []routing.Condition{{Source: "country", Op: "in", Value: "DE, AT"}}, TeamID: 20},
			{Name: "big", Conditions: []routing.Condition{{Source: "account", Attribute: "employees", Op: "gt", Value: "1000"},
				{Source: "contact", Attribute: "title", Op: "contains", Value: "VP"}}, UserID: 2},
			{Name: "gone", Conditions: []routing.Condition{{Source: "contact", Attribute: "plan", Op: "equals", Value: "legacy"}}, TeamID: 99},
		}
		return s
	}
	tests := []struct {
		name   string
		req    routing.Request
		user   int64
		rule   int
		queued string // a fragment of the queue reason
	}{
		{"agent", routing.Request{Target: routing.Target{To: "agent", UserID: 3}}, 3, -1, ""},
		{"deleted agent queues", routing.Request{Target: routing.Target{To: "agent", UserID: 42}}, 0, -1, "no longer exists"},
		{"deleted team queues", routing.Request{Target: routing.Target{To: "team", TeamID: 42}}, 0, -1, "no longer exists"},
		{"account owner", routing.Request{Target: routing.Target{To: "account_owner"}, AccountOwnerID: 4}, 4, -1, ""},
		{"no owner: everyone's rotation", routing.Request{Target: routing.Target{To: "account_owner"}}, 1, -1, ""},
		{"rule on country", routing.Request{Target: routing.Target{To: "rules"}, Country: "at"}, 3, 0, ""},
		{"rule on account and contact", routing.Request{Target: routing.Target{To: "rules"},
			Account: map[string]string{"employees": "5000"}, Contact: map[string]string{"title": "VP Sales"}}, 2, 1, ""},
		{"half a rule does not hold", routing.Request{Target: routing.Target{To: "rules"},
			Account: map[string]string{"employees": "5000"}, Contact: map[string]string{"title": "Engineer"}}, 1, -1, ""},
		{"unknown country matches no country rule", routing.Request{Target: routing.Target{To: "rules"}}, 1, -1, ""},
		// A rule whose team was deleted is passed over (issue 19): the
		// conversation falls through to the next rules, then everyone's
		// rotation, then the queue; it never waits for a team that is gone.
		{"rule to a deleted team is passed over", routing.Request{Target: routing.Target{To: "rules"}, Contact: map[string]string{"plan": "Legacy"}}, 1, -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := base().Assign(tt.req)
			if d.UserID != tt.user || d.Rule != tt.rule || d.Queued != (tt.queued != "") || !strings.Contains(d.Description, tt.queued) || d.Description == "" {
				t.Fatalf("%+v, want user %d rule %d queued %q", d, tt.user, tt.rule, tt.queued)
			}
		})
	}
}

// Owners who are away fall back to the rotation; the decision is the same
// for the same state.
func TestAssign_Deterministic(t *testing.T) {
	run := func() string {
		s := state(5, 2)
		s.Agents[3].Available = false
		var out []string
		for c := int64(0); c < 12; c++ {
			d := s.Assign(routing.Request{ConversationID: c, Target: routing.Target{To: "account_owner"}, AccountOwnerID: 3})
			out = append(out, fmt.Sprint(d.UserID, d.Queued))
			if c%4 == 3 {
				s.Close(1)
			}
		}
		return strings.Join(out, ",")
	}
	if a, b := run(), run(); a != b || strings.Contains(a, "3 ") {
		t.Fatalf("runs differ or the away owner got one:\n%s\n%s", a, b)
	}
}

// A conversation queued by a rule whose team is deleted while it waits is
// not held by that rule: the next drain routes it past it.
func TestDrain_RuleTargetGoneWhileQueued(t *testing.T) {
	s := state(2, 0)
	s.Teams[20] = &routing.Team{ID: 20, Members: []int64{2}}
	s.Rules = []routing.Rule{{Name: "vip", Conditions: []routing.Condition{{Source: "contact", Attribute: "vip", Op: "exists"}}, TeamID: 20}, {Name: "rest", UserID: 1}}
	s.Agents[2].Available = false
	d := s.Assign(routing.Request{ConversationID: 7, Target: routing.Target{To: "rules"}, Contact: map[string]string{"vip": "yes"}})
	if !d.Queued || d.Rule != 0 {
		t.Fatalf("the vip team is away: %+v", d)
	}
	delete(s.Teams, 20)
	if out := s.Drain(); len(out) != 1 || out[0].UserID != 1 || out[0].Rule != 1 {
		t.Fatalf("after the vip team was deleted: %+v", out)
	}
	if !s.Rules[0].Inactive || s.Rules[1].Inactive {
		t.Fatalf("inactive marks: %+v", s.Rules)
	}
}

func TestValidateRules(t *testing.T) {
	ok := routing.Rule{Name: "r", TeamID: 1}
	cond := func(c routing.Condition) []routing.Rule {
		return []routing.Rule{ok, {Name: "c", UserID: 2, Conditions: []routing.Condition{c}}}
	}
	tests := []struct {
		name  string
		rules []routing.Rule
		param string // "" is valid
	}{
		{"none", nil, ""},
		{"a catch-all", []routing.Rule{ok}, ""},
		{"every op", cond(routing.Condition{Source: "contact", Attribute: "plan", Op: "in", Value: "a,b"}), ""},
		{"country", cond(routing.Condition{Source: "country", Op: "equals", Value: "DE"}), ""},
		{"exists needs no value", cond(routing.Condition{Source: "account", Attribute: "tier", Op: "exists"}), ""},
		{"no name", []routing.Rule{{TeamID: 1}}, "rules[0].name"},
		{"no target", []routing.Rule{ok, {Name: "x"}}, "rules[1].teamId"},
		{"two targets", []routing.Rule{{Name: "x", TeamID: 1, UserID: 2}}, "rules[0].userId"},
		{"negative id", []routing.Rule{{Name: "x", TeamID: -1}}, "rules[0].teamId"},
		{"inactive is read-only, ignored", []routing.Rule{{Name: "x", TeamID: 1, Inactive: true}}, ""},
		{"unknown source", cond(routing.Condition{Source: "weather", Op: "equals", Value: "x"}), "rules[1].conditions[0].source"},
		{"unknown op", cond(routing.Condition{Source: "contact", Attribute: "a", Op: "like", Value: "x"}), "rules[1].conditions[0].op"},
		{"attribute required", cond(routing.Condition{Source: "contact", Op: "equals", Value: "x"}), "rules[1].conditions[0].attribute"},
		{"no attribute on country", cond(routing.Condition{Source: "country", Attribute: "a", Op: "equals", Value: "x"}), "rules[1].conditions[0].attribute"},
		{"value required", cond(routing.Condition{Source: "contact", Attribute: "a", Op: "equals"}), "rules[1].conditions[0].value"},
		{"gt needs a number", cond(routing.Condition{Source: "account", Attribute: "a", Op: "gt", Value: "big"}), "rules[1].conditions[0].value"},
		{"too many rules", make([]routing.Rule, routing.MaxRules+1), "rules"},
		{"too many conditions", []routing.Rule{{Name: "x", TeamID: 1, Conditions: make([]routing.Condition, routing.MaxConditions+1)}}, "rules[0].conditions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := routing.ValidateRules(tt.rules)
			var ae *apperr.Error
			switch {
			case tt.param == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.param != "" && (!errors.As(err, &ae) || ae.Param != tt.param):
				t.Fatalf("got %v, want an error naming %s", err, tt.param)
			}
		})
	}
}

// Domain names every agent the decision can go to, so that locking it is
// enough; nil (every agent) where the org's rotation may serve.
func TestDomain_HoldsTheDecision(t *testing.T) {
	s := state(4, 0)
	s.Teams[20] = &routing.Team{ID: 20, Members: []int64{3, 4}}
	s.Teams[30] = &routing.Team{ID: 30} // no members
	s.Rules = []routing.Rule{
		{Name: "gone team", TeamID: 99},
		{Name: "germany", TeamID: 20, Conditions: []routing.Condition{{Source: "country", Op: "equals", Value: "DE"}}},
		{Name: "vip", UserID: 2, Conditions: []routing.Condition{{Source: "contact", Attribute: "vip", Op: "exists"}}},
		{Name: "empty", TeamID: 30, Conditions: []routing.Condition{{Source: "country", Op: "equals", Value: "FR"}}},
	}
	cases := []struct {
		name string
		req  routing.Request
		want []int64 // nil: every agent
	}{
		{"rule to a team", routing.Request{Country: "DE"}, []int64{3, 4}},
		{"rule to an agent", routing.Request{Contact: map[string]string{"vip": "yes"}}, []int64{2}},
		{"rule to a team without members", routing.Request{Country: "FR"}, []int64{}},
		{"no rule: the org's rotation", routing.Request{Country: "US"}, nil},
		{"an agent", routing.Request{Target: routing.Target{To: "agent", UserID: 1}}, []int64{1}},
		{"a team", routing.Request{Target: routing.Target{To: "team", TeamID: 10}}, []int64{1, 2, 3, 4}},
		{"a missing team", routing.Request{Target: routing.Target{To: "team", TeamID: 77}}, []int64{}},
		{"the account owner", routing.Request{Target: routing.Target{To: "account_owner"}, AccountOwnerID: 1}, nil},
	}
	for _, c := range cases {
		got := s.Domain(c.req)
		if (got == nil) != (c.want == nil) || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: domain %v, want %v", c.name, got, c.want)
			continue
		}
		if d := s.Assign(c.req); got != nil && d.UserID != 0 && !slices.Contains(got, d.UserID) {
			t.Errorf("%s: assigned %d outside the domain %v", c.name, d.UserID, got)
		}
	}
	// An agent a rule names has left: the decision passes over the rule and
	// falls outside the domain, which the store sees and widens.
	delete(s.Agents, 2)
	req := routing.Request{Contact: map[string]string{"vip": "yes"}}
	if got, d := s.Domain(req), s.Assign(req); slices.Contains(got, d.UserID) || d.UserID == 0 {
		t.Errorf("rule to a departed agent: domain %v, decision %+v: want a decision outside it", got, d)
	}
}
