package playbook

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
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
// say and do, answer by answer. d must be valid.
func (d *Definition) Run(v Visitor) *DryRun {
	out := &DryRun{Path: []Trace{}, Goals: []string{}, Attributes: map[string]string{}}
	for k, val := range v.Attributes {
		out.Attributes[k] = val
	}
	if len(d.Targeting.Countries) > 0 && v.Country == "" {
		out.Notes = append(out.Notes, "no country source: country targeting never matches without --trusted-country-header or --geoip-db")
	}
	if out.Miss = d.Targeting.Match(&v); out.Miss != nil {
		return out
	}
	out.Fires = true
	index := map[string]int{}
	for i, s := range d.Steps {
		index[s.ID] = i
	}
	answers := map[string]string{} // by question step id
	pending := v.Answers
	take := func() (string, bool) {
		if len(pending) == 0 {
			return "", false
		}
		a := pending[0]
		pending = pending[1:]
		return a, true
	}
	retrying := "" // the step whose answer was just refused: its retry prompt was said
	id := d.Start
	if id == "" {
		id = d.Steps[0].ID
	}
	for n := 0; ; n++ {
		if id == "" {
			out.Outcome = "ended"
			break
		}
		if n == maxRunSteps {
			out.Outcome = "step_limit"
			break
		}
		s := d.Steps[index[id]]
		tr := Trace{Step: s.ID, Kind: s.Kind}
		next := s.Next
		stop := ""
		say := func(text string) string {
			if retrying == s.ID {
				return ""
			}
			return Render(text, out.Attributes)
		}
		switch s.Kind {
		case KindMessage:
			tr.Bot = Render(s.Text, out.Attributes)
		case KindQuestion:
			tr.Bot = say(s.Text)
			for _, b := range s.Buttons {
				tr.Buttons = append(tr.Buttons, b.Label)
			}
			a, ok := take()
			if !ok {
				stop = "awaiting_answer"
				break
			}
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
			answers[s.ID] = a
			if s.Attribute != "" {
				out.Attributes[s.Attribute] = a
				tr.Attribute, tr.Value = s.Attribute, a
			}
		case KindEmailCapture, KindPhoneCapture:
			tr.Bot = say(s.Text)
			a, ok := take()
			if !ok {
				stop = "awaiting_answer"
				break
			}
			tr.Answer = &a
			attr, value, valid := "email", "", false
			if s.Kind == KindEmailCapture {
				value, valid = ValidEmail(a)
			} else {
				attr = "phone"
				value, valid = ValidPhone(a)
			}
			tr.Valid = ptr(valid)
			if !valid {
				tr.Retry, next = Render(s.Retry, out.Attributes), s.ID
				if tr.Retry == "" {
					tr.Retry = map[bool]string{true: defaultEmailRetry, false: defaultPhoneRetry}[s.Kind == KindEmailCapture]
				}
				break
			}
			answers[s.ID] = value
			out.Attributes[attr] = value
			tr.Attribute, tr.Value = attr, value
		case KindDelay:
			tr.Seconds = s.Seconds
		case KindBranch:
			for _, c := range s.Cases {
				if c.When.holds(out.Attributes, answers) {
					next = c.Next
					break
				}
			}
		case KindSetAttribute:
			value := Render(s.Value, out.Attributes)
			out.Attributes[s.Attribute] = value
			tr.Attribute, tr.Value = s.Attribute, value
		case KindGoal:
			tr.Goal = strings.TrimSpace(s.Goal)
			out.Goals = append(out.Goals, tr.Goal)
		case KindRoute:
			out.Route = s.Route.decide(&v)
			tr.Route = out.Route.Description
		case KindMeeting:
			tr.Bot = Render(s.Text, out.Attributes)
			if tr.Bot == "" {
				tr.Bot = defaultMeetingText
			}
			who := "the routed agent"
			switch {
			case s.UserID > 0:
				who = fmt.Sprintf("user %d", s.UserID)
			case out.Route != nil && out.Route.UserID > 0:
				who = fmt.Sprintf("user %d (routed)", out.Route.UserID)
			}
			tr.Buttons = []string{"the free slots of " + who}
			a, ok := take()
			if !ok {
				stop = "awaiting_answer"
				break
			}
			tr.Answer = &a
			answers[s.ID] = a
		case KindHandoff:
			tr.Bot = Render(s.Text, out.Attributes)
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
	if len(pending) > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("%d answer(s) left unused", len(pending)))
	}
	return out
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
