package playbook

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
)

// Definition is what a playbook does: whom it targets, how it ranks among
// the playbooks that match, and the bot's steps. It is Driftwood's JSON
// document, stored as the playbook's current version.
type Definition struct {
	Priority  int       `json:"priority"` // higher wins among matching playbooks
	Targeting Targeting `json:"targeting"`
	Start     string    `json:"start,omitempty"` // the first step's id; the first step when ""
	Steps     []Step    `json:"steps"`
}

// Targeting decides whether a playbook fires for a visitor. Every rule set
// must hold; an empty rule holds for everyone.
type Targeting struct {
	URLs       []URLRule         `json:"urls,omitempty"`       // any of them matches the page URL
	Referrers  []URLRule         `json:"referrers,omitempty"`  // any of them matches the referrer
	UTM        map[string]string `json:"utm,omitempty"`        // "source" → value, from utm_* of the page URL
	VisitCount *Range            `json:"visitCount,omitempty"` // the visitor's visits, this one included
	// TimeOnPage is the least time on the page, in seconds.
	TimeOnPage int         `json:"timeOnPage,omitempty"`
	Visitors   string      `json:"visitors,omitempty"`   // "", "new", "returning", "identified"
	Attributes []Condition `json:"attributes,omitempty"` // all hold on the contact's attributes
	Countries  []string    `json:"countries,omitempty"`  // ISO 3166 alpha-2 codes; any of them
	// Availability is when it fires: "always" (or ""), "online" (an agent
	// is available) or "offline".
	Availability string `json:"availability,omitempty"`
}

// URLRule matches a URL: exactly, by substring, by wildcard (* is any run
// of characters) or by Go regular expression.
type URLRule struct {
	Match string `json:"match"` // "exact", "contains", "wildcard", "regex"
	Value string `json:"value"`
}

// Range is an inclusive range; a zero bound is no bound.
type Range struct {
	Min int `json:"min,omitempty"`
	Max int `json:"max,omitempty"`
}

// Condition tests a contact attribute or, in a branch, the visitor's answer
// to a question step.
type Condition struct {
	Attribute string `json:"attribute,omitempty"`
	Answer    string `json:"answer,omitempty"` // a question step's id (branches only)
	Op        string `json:"op"`               // see conditionOps
	Value     string `json:"value,omitempty"`
}

// Step kinds.
const (
	KindMessage      = "message"
	KindQuestion     = "question"
	KindEmailCapture = "email_capture"
	KindPhoneCapture = "phone_capture"
	KindDelay        = "delay"
	KindBranch       = "branch"
	KindSetAttribute = "set_attribute"
	KindGoal         = "goal"
	KindRoute        = "route"
	KindMeeting      = "meeting"
	KindHandoff      = "handoff"
	KindEnd          = "end"
)

// Step is one thing the bot does. Which fields count depends on Kind.
type Step struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Text is what the bot says (message, question, captures, meeting,
	// handoff), with {{attribute}} or {{attribute|fallback}} placeholders.
	Text      string   `json:"text,omitempty"`
	Buttons   []Button `json:"buttons,omitempty"`   // question: the choices; free text when none
	Attribute string   `json:"attribute,omitempty"` // question (saves the answer), set_attribute
	Value     string   `json:"value,omitempty"`     // set_attribute
	Retry     string   `json:"retry,omitempty"`     // captures: said after an invalid answer
	Seconds   int      `json:"seconds,omitempty"`   // delay
	Cases     []Case   `json:"cases,omitempty"`     // branch: the first that holds
	Goal      string   `json:"goal,omitempty"`      // goal: its name
	Route     *Route   `json:"route,omitempty"`     // route
	UserID    int64    `json:"userId,omitempty"`    // meeting: whose calendar; the routed agent when 0
	Next      string   `json:"next,omitempty"`      // the following step; the flow ends when ""
}

// Button is a question's choice.
type Button struct {
	Label string `json:"label"`
	Next  string `json:"next,omitempty"` // the question's next when ""
}

// Case is a branch's way out.
type Case struct {
	When Condition `json:"when"`
	Next string    `json:"next"`
}

// Route says to whom a conversation goes.
type Route struct {
	To     string `json:"to"` // "agent", "team" (round robin), "account_owner", "rules"
	UserID int64  `json:"userId,omitempty"`
	TeamID int64  `json:"teamId,omitempty"`
}

// Limits of a definition, so that one playbook cannot weigh on every page view.
const (
	maxSteps    = 200
	maxIDLen    = 64
	maxTextLen  = 2000
	maxValueLen = 500
	maxButtons  = 10
	maxRules    = 50
	maxCases    = 20
	maxDelay    = 24 * 60 * 60
)

var (
	stepKinds = map[string]bool{KindMessage: true, KindQuestion: true, KindEmailCapture: true, KindPhoneCapture: true,
		KindDelay: true, KindBranch: true, KindSetAttribute: true, KindGoal: true, KindRoute: true, KindMeeting: true,
		KindHandoff: true, KindEnd: true}
	// waitsForVisitor are the kinds that take an answer: a loop must pass one.
	waitsForVisitor = map[string]bool{KindQuestion: true, KindEmailCapture: true, KindPhoneCapture: true, KindMeeting: true}
	urlMatches      = map[string]bool{"exact": true, "contains": true, "wildcard": true, "regex": true}
	conditionOps    = map[string]bool{"equals": true, "not_equals": true, "contains": true, "exists": true, "not_exists": true,
		"gt": true, "lt": true}
	routeTargets = map[string]bool{"agent": true, "team": true, "account_owner": true, "rules": true}
	visitorKinds = map[string]bool{"": true, "new": true, "returning": true, "identified": true}
	availability = map[string]bool{"": true, "always": true, "online": true, "offline": true}
	stepIDRE     = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	countryRE    = regexp.MustCompile(`^[A-Z]{2}$`)
)

// Validate refuses a definition that cannot run, with an error naming the
// field (steps[3].next). It normalizes country codes to upper case.
func (d *Definition) Validate() error {
	if err := d.Targeting.validate(); err != nil {
		return err
	}
	if len(d.Steps) == 0 {
		return apperr.Invalidf("steps", "steps must not be empty")
	}
	if len(d.Steps) > maxSteps {
		return apperr.Invalidf("steps", "at most %d steps, got %d", maxSteps, len(d.Steps))
	}
	index := map[string]int{}
	for i, s := range d.Steps {
		f := fmt.Sprintf("steps[%d]", i)
		switch {
		case s.ID == "":
			return apperr.Invalidf(f+".id", "%s.id must not be empty", f)
		case len(s.ID) > maxIDLen || !stepIDRE.MatchString(s.ID):
			return apperr.Invalidf(f+".id", "%s.id must be at most %d letters, digits, '_', '.' or '-'", f, maxIDLen)
		}
		if j, dup := index[s.ID]; dup {
			return apperr.Invalidf(f+".id", "%s.id %q is also steps[%d].id", f, s.ID, j)
		}
		index[s.ID] = i
	}
	if _, ok := index[d.Start]; d.Start != "" && !ok {
		return apperr.Invalidf("start", "start %q is no step's id", d.Start)
	}
	for i := range d.Steps {
		if err := d.Steps[i].validate(fmt.Sprintf("steps[%d]", i), index); err != nil {
			return err
		}
	}
	return d.checkLoops(index)
}

func (t *Targeting) validate() error {
	for name, rules := range map[string][]URLRule{"targeting.urls": t.URLs, "targeting.referrers": t.Referrers} {
		if len(rules) > maxRules {
			return apperr.Invalidf(name, "%s has more than %d rules", name, maxRules)
		}
		for i, r := range rules {
			f := fmt.Sprintf("%s[%d]", name, i)
			if !urlMatches[r.Match] {
				return apperr.Invalidf(f+".match", "%s.match must be exact, contains, wildcard or regex, got %q", f, r.Match)
			}
			if r.Value == "" || len(r.Value) > maxValueLen {
				return apperr.Invalidf(f+".value", "%s.value must have 1 to %d characters", f, maxValueLen)
			}
			if r.Match == "regex" {
				if _, err := regexp.Compile(r.Value); err != nil {
					return apperr.Invalidf(f+".value", "%s.value is not a regular expression: %v", f, err)
				}
			}
		}
	}
	if len(t.UTM) > 5 {
		return apperr.Invalidf("targeting.utm", "targeting.utm has more than 5 parameters")
	}
	for k, v := range t.UTM {
		switch k {
		case "source", "medium", "campaign", "term", "content":
		default:
			return apperr.Invalidf("targeting.utm."+k, "targeting.utm.%s is not a UTM parameter (source, medium, campaign, term, content)", k)
		}
		if v == "" || len(v) > maxValueLen {
			return apperr.Invalidf("targeting.utm."+k, "targeting.utm.%s must have 1 to %d characters", k, maxValueLen)
		}
	}
	if r := t.VisitCount; r != nil && (r.Min < 0 || r.Max < 0 || (r.Max > 0 && r.Max < r.Min)) {
		return apperr.Invalidf("targeting.visitCount", "targeting.visitCount must have 0 <= min <= max")
	}
	if t.TimeOnPage < 0 || t.TimeOnPage > maxDelay {
		return apperr.Invalidf("targeting.timeOnPage", "targeting.timeOnPage must be 0 to %d seconds", maxDelay)
	}
	if !visitorKinds[t.Visitors] {
		return apperr.Invalidf("targeting.visitors", "targeting.visitors must be new, returning or identified, got %q", t.Visitors)
	}
	if len(t.Attributes) > maxRules {
		return apperr.Invalidf("targeting.attributes", "targeting.attributes has more than %d conditions", maxRules)
	}
	for i, c := range t.Attributes {
		f := fmt.Sprintf("targeting.attributes[%d]", i)
		if c.Answer != "" {
			return apperr.Invalidf(f+".answer", "%s: targeting tests attributes, not answers", f)
		}
		if err := c.validate(f, nil); err != nil {
			return err
		}
	}
	if len(t.Countries) > 250 {
		return apperr.Invalidf("targeting.countries", "targeting.countries has more than 250 codes")
	}
	for i, c := range t.Countries {
		t.Countries[i] = strings.ToUpper(strings.TrimSpace(c))
		if !countryRE.MatchString(t.Countries[i]) {
			return apperr.Invalidf(fmt.Sprintf("targeting.countries[%d]", i), "targeting.countries[%d] must be a two-letter country code, got %q", i, c)
		}
	}
	if !availability[t.Availability] {
		return apperr.Invalidf("targeting.availability", "targeting.availability must be always, online or offline, got %q", t.Availability)
	}
	return nil
}

// validate checks c; steps is the step index for answers (nil: attributes only).
func (c Condition) validate(f string, steps map[string]int) error {
	switch {
	case (c.Attribute == "") == (c.Answer == ""):
		return apperr.Invalidf(f+".attribute", "%s needs exactly one of attribute and answer", f)
	case len(c.Attribute) > maxIDLen:
		return apperr.Invalidf(f+".attribute", "%s.attribute is longer than %d characters", f, maxIDLen)
	case !conditionOps[c.Op]:
		return apperr.Invalidf(f+".op", "%s.op must be equals, not_equals, contains, exists, not_exists, gt or lt, got %q", f, c.Op)
	case len(c.Value) > maxValueLen:
		return apperr.Invalidf(f+".value", "%s.value is longer than %d characters", f, maxValueLen)
	}
	if c.Answer != "" {
		if _, ok := steps[c.Answer]; !ok {
			return apperr.Invalidf(f+".answer", "%s.answer %q is no step's id", f, c.Answer)
		}
	}
	return nil
}

func (s *Step) validate(f string, steps map[string]int) error {
	if !stepKinds[s.Kind] {
		return apperr.Invalidf(f+".kind", "%s.kind %q is not a step kind", f, s.Kind)
	}
	if len(s.Text) > maxTextLen {
		return apperr.Invalidf(f+".text", "%s.text is longer than %d characters", f, maxTextLen)
	}
	if len(s.Retry) > maxTextLen {
		return apperr.Invalidf(f+".retry", "%s.retry is longer than %d characters", f, maxTextLen)
	}
	target := func(field, id string) error {
		if _, ok := steps[id]; id != "" && !ok {
			return apperr.Invalidf(f+"."+field, "%s.%s %q is no step's id", f, field, id)
		}
		return nil
	}
	if err := target("next", s.Next); err != nil {
		return err
	}
	switch s.Kind {
	case KindMessage, KindQuestion, KindEmailCapture, KindPhoneCapture:
		if strings.TrimSpace(s.Text) == "" {
			return apperr.Invalidf(f+".text", "%s.text must not be empty", f)
		}
	case KindDelay:
		if s.Seconds <= 0 || s.Seconds > maxDelay {
			return apperr.Invalidf(f+".seconds", "%s.seconds must be 1 to %d", f, maxDelay)
		}
	case KindBranch:
		if len(s.Cases) == 0 || len(s.Cases) > maxCases {
			return apperr.Invalidf(f+".cases", "%s.cases must have 1 to %d cases", f, maxCases)
		}
		for i, c := range s.Cases {
			cf := fmt.Sprintf("%s.cases[%d]", f, i)
			if err := c.When.validate(cf+".when", steps); err != nil {
				return err
			}
			if c.Next == "" {
				return apperr.Invalidf(cf+".next", "%s.next must not be empty", cf)
			}
			if err := target(fmt.Sprintf("cases[%d].next", i), c.Next); err != nil {
				return err
			}
		}
	case KindSetAttribute:
		if s.Attribute == "" || len(s.Attribute) > maxIDLen {
			return apperr.Invalidf(f+".attribute", "%s.attribute must have 1 to %d characters", f, maxIDLen)
		}
		if len(s.Value) > maxValueLen {
			return apperr.Invalidf(f+".value", "%s.value is longer than %d characters", f, maxValueLen)
		}
	case KindGoal:
		if g := strings.TrimSpace(s.Goal); g == "" || len(g) > maxValueLen {
			return apperr.Invalidf(f+".goal", "%s.goal must name the goal (1 to %d characters)", f, maxValueLen)
		}
	case KindRoute:
		if err := s.Route.validate(f + ".route"); err != nil {
			return err
		}
	case KindMeeting:
		if s.UserID < 0 {
			return apperr.Invalidf(f+".userId", "%s.userId must not be negative", f)
		}
	case KindHandoff, KindEnd:
		if s.Kind == KindEnd && s.Next != "" {
			return apperr.Invalidf(f+".next", "%s: an end step has no next", f)
		}
	}
	if s.Kind == KindQuestion {
		if len(s.Buttons) > maxButtons {
			return apperr.Invalidf(f+".buttons", "%s.buttons has more than %d buttons", f, maxButtons)
		}
		for i, b := range s.Buttons {
			if l := strings.TrimSpace(b.Label); l == "" || len(l) > 100 {
				return apperr.Invalidf(fmt.Sprintf("%s.buttons[%d].label", f, i), "%s.buttons[%d].label must have 1 to 100 characters", f, i)
			}
			if err := target(fmt.Sprintf("buttons[%d].next", i), b.Next); err != nil {
				return err
			}
		}
	}
	if s.Kind == KindQuestion && len(s.Attribute) > maxIDLen {
		return apperr.Invalidf(f+".attribute", "%s.attribute is longer than %d characters", f, maxIDLen)
	}
	return nil
}

func (r *Route) validate(f string) error {
	switch {
	case r == nil:
		return apperr.Invalidf(f, "%s must say where to route", f)
	case !routeTargets[r.To]:
		return apperr.Invalidf(f+".to", "%s.to must be agent, team, account_owner or rules, got %q", f, r.To)
	case r.To == "agent" && r.UserID <= 0:
		return apperr.Invalidf(f+".userId", "%s.userId is required to route to an agent", f)
	case r.To == "team" && r.TeamID <= 0:
		return apperr.Invalidf(f+".teamId", "%s.teamId is required to route to a team", f)
	}
	return nil
}

// edge is a way from one step to the next: the field that says so and the
// step it names.
type edge struct{ field, to string }

// successors lists where step s can go next.
func (s *Step) successors() []edge {
	var out []edge
	if s.Next != "" {
		out = append(out, edge{"next", s.Next})
	}
	for i, b := range s.Buttons {
		if b.Next != "" {
			out = append(out, edge{fmt.Sprintf("buttons[%d].next", i), b.Next})
		}
	}
	for i, c := range s.Cases {
		out = append(out, edge{fmt.Sprintf("cases[%d].next", i), c.Next})
	}
	return out
}

// checkLoops refuses a cycle that never waits for the visitor: the bot
// would talk forever. It searches the steps that do not wait for depth
// first; a back edge among them is such a cycle.
func (d *Definition) checkLoops(index map[string]int) error {
	const (
		unseen = iota
		open
		done
	)
	state := make([]int, len(d.Steps))
	var visit func(i int) error
	visit = func(i int) error {
		state[i] = open
		for _, e := range d.Steps[i].successors() {
			j := index[e.to]
			if waitsForVisitor[d.Steps[j].Kind] {
				continue
			}
			switch state[j] {
			case open:
				f := fmt.Sprintf("steps[%d].%s", i, e.field)
				return apperr.Invalidf(f, "%s loops back to %q without waiting for a visitor's answer", f, e.to)
			case unseen:
				if err := visit(j); err != nil {
					return err
				}
			}
		}
		state[i] = done
		return nil
	}
	for i := range d.Steps {
		if state[i] == unseen && !waitsForVisitor[d.Steps[i].Kind] {
			if err := visit(i); err != nil {
				return err
			}
		}
	}
	return nil
}

// GoalNames lists the names of the definition's goal steps, once each, in
// step order.
func (d *Definition) GoalNames() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range d.Steps {
		if g := strings.TrimSpace(s.Goal); s.Kind == KindGoal && !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

// Reference is a user or team a definition names, with the field naming it
// as the request body does (definition.steps[2].route.userId).
type Reference struct {
	Field  string
	UserID int64
	TeamID int64
}

// References lists the users and teams the definition routes to or books
// with, for the store to check they are the org's.
func (d *Definition) References() []Reference {
	var out []Reference
	for i, s := range d.Steps {
		f := fmt.Sprintf("definition.steps[%d]", i)
		if s.Kind == KindMeeting && s.UserID != 0 {
			out = append(out, Reference{Field: f + ".userId", UserID: s.UserID})
		}
		if r := s.Route; s.Kind == KindRoute && r != nil {
			switch r.To {
			case "agent":
				out = append(out, Reference{Field: f + ".route.userId", UserID: r.UserID})
			case "team":
				out = append(out, Reference{Field: f + ".route.teamId", TeamID: r.TeamID})
			}
		}
	}
	return out
}
