package playbook

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/routing"
)

// DryRun is what a playbook would do for a visitor: whether it fires (and
// the rule that stops it if not), the bot's path step by step, the goals
// met, where the conversation would be routed and how the run ended.
type DryRun struct {
	Fires bool     `json:"fires"`
	Miss  *Miss    `json:"failedRule,omitempty"`
	Path  []Trace  `json:"path"`
	Goals []string `json:"goals"`
	// Route describes the last route decision, nil when no route step ran.
	Route *RouteDecision `json:"route,omitempty"`
	// Outcome is how the run stopped: "ended", "handoff", "awaiting_answer"
	// (the answers ran out at a step that waits for one) or "step_limit".
	Outcome    string            `json:"outcome,omitempty"`
	Attributes map[string]string `json:"attributes"` // the contact's, after the run
	Notes      []string          `json:"notes,omitempty"`
}

// Trace is one step the bot took.
type Trace struct {
	Step    string   `json:"step"`
	Kind    string   `json:"kind"`
	Bot     string   `json:"bot,omitempty"`     // what the bot said, placeholders rendered, as text
	Buttons []string `json:"buttons,omitempty"` // the choices offered
	Answer  *string  `json:"answer,omitempty"`  // the visitor's answer consumed here
	// Valid is false when the answer was refused (a capture that does not
	// validate, a label no button has); the bot then says Retry.
	Valid     *bool  `json:"valid,omitempty"`
	Retry     string `json:"retry,omitempty"`
	Attribute string `json:"attribute,omitempty"` // set here, with Value
	Value     string `json:"value,omitempty"`
	Goal      string `json:"goal,omitempty"`
	Route     string `json:"route,omitempty"`
	Seconds   int    `json:"seconds,omitempty"` // a delay's wait
	Next      string `json:"next,omitempty"`
}

// RouteDecision is where a route step sends the conversation, described.
type RouteDecision struct {
	To          string `json:"to"` // "agent", "team", "account_owner", "rules", "queue"
	UserID      int64  `json:"userId,omitempty"`
	TeamID      int64  `json:"teamId,omitempty"`
	Description string `json:"description"`
}

// maxRunSteps bounds a dry run: loops wait for answers and answers are
// finite, so this is only a guard.
const maxRunSteps = 1000

// Default texts when a step has none.
const (
	defaultEmailRetry  = "That doesn't look like an email address. Could you check it?"
	defaultPhoneRetry  = "That doesn't look like a phone number. Could you check it?"
	defaultButtonRetry = "Please choose one of the options."
	defaultMeetingText = "Would you like to book a meeting?"
	defaultHandoffText = "Let me get someone from the team."
)

// Run runs d for v, deterministically and without I/O: what the bot would
// say and do, answer by answer. d must be valid. It drives the same step
// logic as the runtime (machine.step), answers taken from v.Answers and
// delays passed at once.
func (d *Definition) Run(v Visitor) *DryRun {
	return d.RunWithRules(v, nil)
}

// RunWithRules is Run where a route to "rules" names the rule of rules
// (the org's, in order) that would take the conversation for v: its
// attributes as the run left them, v.Account and v.Country. Agents'
// availability and capacity are the runtime's to weigh. With nil rules
// (offline, no org) the route is only described.
func (d *Definition) RunWithRules(v Visitor, rules []routing.Rule) *DryRun {
	out := &DryRun{Path: []Trace{}, Goals: []string{}}
	m := newMachine(d, &v, v.Attributes, nil)
	m.rules = rules
	out.Attributes = m.attrs
	if len(d.Targeting.Countries) > 0 && v.Country == "" {
		out.Notes = append(out.Notes, "no country source: country targeting never matches without --trusted-country-header or --geoip-db")
	}
	if out.Miss = d.Targeting.Match(&v); out.Miss != nil {
		return out
	}
	out.Fires = true
	pending := v.Answers
	retrying := "" // the step whose answer was just refused: its retry prompt was said
	id := d.first()
	for n := 0; ; n++ {
		if id == "" {
			out.Outcome = "ended"
			break
		}
		if n == maxRunSteps {
			out.Outcome = "step_limit"
			break
		}
		s := &d.Steps[m.index[id]]
		var answer *string
		if waitsForVisitor[s.Kind] && len(pending) > 0 {
			answer, pending = &pending[0], pending[1:]
		}
		tr, next, stop := m.step(s, retrying == s.ID, answer)
		retrying = ""
		if tr.Valid != nil && !*tr.Valid {
			retrying = s.ID
		}
		out.Path = append(out.Path, tr)
		if stop != "" {
			out.Outcome = stop
			break
		}
		id = next
	}
	out.Goals, out.Route = m.goals, m.route
	if len(pending) > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("%d answer(s) left unused", len(pending)))
	}
	return out
}

// first is the id of the step a run starts at.
func (d *Definition) first() string {
	if d.Start != "" {
		return d.Start
	}
	return d.Steps[0].ID
}

// machine is the bot's step logic, shared by the dry run and the runtime:
// it runs one step at a time over the contact's attributes and the answers
// given so far, and records the goals met and the last route decision.
type machine struct {
	d       *Definition
	index   map[string]int
	v       *Visitor
	attrs   map[string]string // the contact's, as the run changes them
	answers map[string]string // by the id of the step answered
	goals   []string
	route   *RouteDecision
	rules   []routing.Rule // the org's routing rules, for a dry run's route to "rules"; nil when unknown
}

func newMachine(d *Definition, v *Visitor, attrs, answers map[string]string) *machine {
	m := &machine{d: d, index: map[string]int{}, v: v, attrs: map[string]string{}, answers: map[string]string{}, goals: []string{}}
	for i, s := range d.Steps {
		m.index[s.ID] = i
	}
	for k, val := range attrs {
		m.attrs[k] = val
	}
	for k, val := range answers {
		m.answers[k] = val
	}
	return m
}

// step runs s. asked tells that s's text was already said (its answer, or
// a retry after a refused one, is due); answer is the visitor's answer to
// a step that waits for one, nil when none is at hand. It returns what the
// step did, the step to go to, and why the run stops here ("" when it goes
// on): "awaiting_answer", "handoff" or "ended".
func (m *machine) step(s *Step, asked bool, answer *string) (tr Trace, next, stop string) {
	tr = Trace{Step: s.ID, Kind: s.Kind}
	next = s.Next
	say := func(text string) string {
		if asked {
			return ""
		}
		return Render(text, m.attrs)
	}
	switch s.Kind {
	case KindMessage:
		tr.Bot = Render(s.Text, m.attrs)
	case KindQuestion:
		tr.Bot = say(s.Text)
		for _, b := range s.Buttons {
			tr.Buttons = append(tr.Buttons, b.Label)
		}
		if answer == nil {
			stop = "awaiting_answer"
			break
		}
		a := *answer
		tr.Answer = ptr(a)
		if len(s.Buttons) > 0 {
			b := buttonOf(s.Buttons, a)
			if b == nil {
				tr.Valid, tr.Retry, next = ptr(false), defaultButtonRetry, s.ID
				break
			}
			a = b.Label
			if b.Next != "" {
				next = b.Next
			}
		}
		m.answers[s.ID] = a
		if s.Attribute != "" {
			m.attrs[s.Attribute] = a
			tr.Attribute, tr.Value = s.Attribute, a
		}
	case KindEmailCapture, KindPhoneCapture:
		tr.Bot = say(s.Text)
		if answer == nil {
			stop = "awaiting_answer"
			break
		}
		tr.Answer = ptr(*answer)
		attr, value, valid := "email", "", false
		if s.Kind == KindEmailCapture {
			value, valid = ValidEmail(*answer)
		} else {
			attr = "phone"
			value, valid = ValidPhone(*answer)
		}
		tr.Valid = ptr(valid)
		if !valid {
			tr.Retry, next = Render(s.Retry, m.attrs), s.ID
			if tr.Retry == "" {
				tr.Retry = map[bool]string{true: defaultEmailRetry, false: defaultPhoneRetry}[s.Kind == KindEmailCapture]
			}
			break
		}
		m.answers[s.ID] = value
		m.attrs[attr] = value
		tr.Attribute, tr.Value = attr, value
	case KindDelay:
		tr.Seconds = s.Seconds
	case KindBranch:
		for _, c := range s.Cases {
			if c.When.holds(m.attrs, m.answers) {
				next = c.Next
				break
			}
		}
	case KindSetAttribute:
		value := Render(s.Value, m.attrs)
		m.attrs[s.Attribute] = value
		tr.Attribute, tr.Value = s.Attribute, value
	case KindGoal:
		tr.Goal = strings.TrimSpace(s.Goal)
		m.goals = append(m.goals, tr.Goal)
	case KindRoute:
		m.route = s.Route.decide(m.v)
		if m.route.To == "rules" && m.rules != nil {
			m.route = m.ruleRoute()
		}
		tr.Route = m.route.Description
	case KindMeeting:
		tr.Bot = say(s.Text)
		if tr.Bot == "" && !asked {
			tr.Bot = defaultMeetingText
		}
		who := "the routed agent"
		switch {
		case s.UserID > 0:
			who = fmt.Sprintf("user %d", s.UserID)
		case m.route != nil && m.route.UserID > 0:
			who = fmt.Sprintf("user %d (routed)", m.route.UserID)
		}
		tr.Buttons = []string{"the free slots of " + who}
		if answer == nil {
			stop = "awaiting_answer"
			break
		}
		tr.Answer = ptr(*answer)
		m.answers[s.ID] = *answer
	case KindHandoff:
		tr.Bot = Render(s.Text, m.attrs)
		if tr.Bot == "" {
			tr.Bot = defaultHandoffText
		}
		stop, next = "handoff", ""
	case KindEnd:
		stop, next = "ended", ""
	}
	if stop == "" || stop == "handoff" {
		tr.Next = next
	}
	return tr, next, stop
}

// decide describes where r sends the conversation for v. Agents' capacity
// and availability are the runtime's to weigh; without an account owner the
// conversation waits in the queue.
func (r *Route) decide(v *Visitor) *RouteDecision {
	switch r.To {
	case "agent":
		return &RouteDecision{To: "agent", UserID: r.UserID, Description: fmt.Sprintf("agent %d", r.UserID)}
	case "team":
		return &RouteDecision{To: "team", TeamID: r.TeamID, Description: fmt.Sprintf("round robin in team %d (available agents under capacity)", r.TeamID)}
	case "account_owner":
		if v.AccountOwnerID > 0 {
			return &RouteDecision{To: "account_owner", UserID: v.AccountOwnerID,
				Description: fmt.Sprintf("account owner: agent %d", v.AccountOwnerID)}
		}
		return &RouteDecision{To: "queue", Description: "queue: the contact's account has no owner"}
	}
	return &RouteDecision{To: "rules", Description: "the org's routing rules, in order; the queue when none matches"}
}

// ruleRoute names the first of the org's active routing rules whose
// conditions hold for the visitor as the run has them, as the runtime
// would read them.
func (m *machine) ruleRoute() *RouteDecision {
	r := routing.Request{Contact: m.attrs, Account: m.v.Account, Country: m.v.Country}
	i := routing.FirstRule(m.rules, r)
	if i < 0 {
		return &RouteDecision{To: "rules", Description: fmt.Sprintf("no routing rule matches (of %d): round robin among every available agent under capacity; the queue when none can take it", len(m.rules))}
	}
	rule := m.rules[i]
	out := &RouteDecision{To: "rules", UserID: rule.UserID, TeamID: rule.TeamID}
	if rule.UserID != 0 {
		out.Description = fmt.Sprintf("rule %d %q: agent %d; the queue when they are away or at capacity", i, rule.Name, rule.UserID)
	} else {
		out.Description = fmt.Sprintf("rule %d %q: round robin in team %d (available agents under capacity); the queue when none can take it", i, rule.Name, rule.TeamID)
	}
	if skipped := countInactive(m.rules[:i]); skipped > 0 {
		out.Description += fmt.Sprintf(" (%d earlier rule(s) skipped: their team or agent no longer exists)", skipped)
	}
	return out
}

func countInactive(rules []routing.Rule) int {
	n := 0
	for _, r := range rules {
		if r.Inactive {
			n++
		}
	}
	return n
}

func buttonOf(buttons []Button, answer string) *Button {
	answer = strings.TrimSpace(answer)
	for i, b := range buttons {
		if strings.EqualFold(strings.TrimSpace(b.Label), answer) {
			return &buttons[i]
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

var placeholderRE = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_.-]+)\s*(?:\|([^}]*))?\}\}`)

// Render replaces {{attribute}} and {{attribute|fallback}} in text with the
// contact's attribute (or the fallback, or nothing). The result is plain
// text: whoever shows it escapes it.
func Render(text string, attributes map[string]string) string {
	return placeholderRE.ReplaceAllStringFunc(text, func(m string) string {
		sub := placeholderRE.FindStringSubmatch(m)
		if v := attributes[sub[1]]; v != "" {
			return v
		}
		return strings.TrimSpace(sub[2])
	})
}

// ValidEmail returns the address of a visitor's answer and whether it is
// one: a bare address with a dotted domain, no display name.
func ValidEmail(s string) (string, bool) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return "", false
	}
	at := strings.LastIndexByte(s, '@')
	if domain := s[at+1:]; !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", false
	}
	return strings.ToLower(s), true
}

var phoneRE = regexp.MustCompile(`^\+?[0-9]{7,15}$`)

// ValidPhone returns a visitor's phone number with its spacing and
// punctuation removed (a leading + kept), and whether it is one: 7 to 15
// digits, as E.164 allows.
func ValidPhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9', r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return "", false
		}
	}
	n := b.String()
	if !phoneRE.MatchString(n) {
		return "", false
	}
	return n, true
}
