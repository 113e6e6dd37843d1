package playbook_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/playbook"
)

// step is the part of a trace a dry-run test compares.
type step struct {
	id, bot, answer string
	valid           string // "", "true", "false"
}

func steps(run *playbook.DryRun) []step {
	var out []step
	for _, tr := range run.Path {
		s := step{id: tr.Step, bot: tr.Bot}
		if tr.Answer != nil {
			s.answer = *tr.Answer
		}
		if tr.Valid != nil {
			s.valid = map[bool]string{true: "true", false: "false"}[*tr.Valid]
		}
		out = append(out, s)
	}
	return out
}

// The qualifying playbook, answer by answer: every step kind once.
func TestRun_EveryStepKind(t *testing.T) {
	d := loadQualify(t)
	tests := []struct {
		name    string
		visitor playbook.Visitor
		want    []step
		outcome string
		goals   []string
		route   string
		attrs   map[string]string
	}{
		{
			name: "qualified, with retries for a bad email and phone",
			visitor: playbook.Visitor{URL: "https://acme.example/pricing", Attributes: map[string]string{"first_name": "Ada"},
				Answers: []string{"pricing", "ada@", "Ada@Acme.example", "call me", "+1 (555) 010-9999", "120", "Tuesday 10:00"}},
			want: []step{
				{id: "hello", bot: "Hi Ada!"},
				{id: "why", bot: "What brings you here?", answer: "pricing"},
				{id: "email", bot: "What's your work email?", answer: "ada@", valid: "false"},
				{id: "email", answer: "Ada@Acme.example", valid: "true"},
				{id: "phone", bot: "And a phone number?", answer: "call me", valid: "false"},
				{id: "phone", answer: "+1 (555) 010-9999", valid: "true"},
				{id: "size", bot: "How many seats?", answer: "120"},
				{id: "big"}, {id: "enterprise"}, {id: "goal"}, {id: "wait"}, {id: "route"},
				{id: "meet", bot: "Pick a time with our team", answer: "Tuesday 10:00"},
				{id: "bye"},
			},
			outcome: "ended", goals: []string{"Qualified"}, route: "round robin in team 7",
			attrs: map[string]string{"first_name": "Ada", "email": "ada@acme.example", "phone": "+15550109999", "seats": "120", "segment": "enterprise (120)"},
		},
		{
			name:    "small team skips the goal",
			visitor: playbook.Visitor{URL: "https://acme.example/demo/x", Answers: []string{"Pricing", "a@b.co", "5550100", "3"}},
			want: []step{{id: "hello", bot: "Hi there!"}, {id: "why", bot: "What brings you here?", answer: "Pricing"},
				{id: "email", bot: "What's your work email?", answer: "a@b.co", valid: "true"},
				{id: "phone", bot: "And a phone number?", answer: "5550100", valid: "true"},
				{id: "size", bot: "How many seats?", answer: "3"}, {id: "big"}, {id: "bye"}},
			outcome: "ended", goals: []string{},
			attrs: map[string]string{"email": "a@b.co", "phone": "5550100", "seats": "3"},
		},
		{
			name:    "support button hands off",
			visitor: playbook.Visitor{URL: "https://acme.example/pricing", Answers: []string{"Support"}},
			want: []step{{id: "hello", bot: "Hi there!"}, {id: "why", bot: "What brings you here?", answer: "Support"},
				{id: "handoff", bot: "Connecting you to support."}},
			outcome: "handoff", goals: []string{}, attrs: map[string]string{},
		},
		{
			name:    "an answer no button has gets the retry prompt",
			visitor: playbook.Visitor{URL: "https://acme.example/pricing", Answers: []string{"<b>hi</b>"}},
			want: []step{{id: "hello", bot: "Hi there!"}, {id: "why", bot: "What brings you here?", answer: "<b>hi</b>", valid: "false"},
				{id: "why"}},
			outcome: "awaiting_answer", goals: []string{}, attrs: map[string]string{},
		},
		{
			name:    "no answers: waits at the first question",
			visitor: playbook.Visitor{URL: "https://acme.example/pricing"},
			want:    []step{{id: "hello", bot: "Hi there!"}, {id: "why", bot: "What brings you here?"}},
			outcome: "awaiting_answer", goals: []string{}, attrs: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := d.Run(tt.visitor)
			if !run.Fires {
				t.Fatalf("does not fire: %+v", run.Miss)
			}
			if got := steps(run); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("path\n got %+v\nwant %+v", got, tt.want)
			}
			if run.Outcome != tt.outcome {
				t.Errorf("outcome %q, want %q", run.Outcome, tt.outcome)
			}
			if !reflect.DeepEqual(run.Goals, tt.goals) {
				t.Errorf("goals %v, want %v", run.Goals, tt.goals)
			}
			if got := ""; run.Route != nil {
				got = run.Route.Description
				if !strings.HasPrefix(got, tt.route) || tt.route == "" {
					t.Errorf("route %q, want %q", got, tt.route)
				}
			} else if tt.route != "" {
				t.Errorf("no route, want %q", tt.route)
			}
			if !reflect.DeepEqual(run.Attributes, tt.attrs) {
				t.Errorf("attributes %v, want %v", run.Attributes, tt.attrs)
			}
			again, _ := json.Marshal(d.Run(tt.visitor))
			first, _ := json.Marshal(run)
			if string(again) != string(first) {
				t.Errorf("two runs differ:\n%s\n%s", first, again)
			}
		})
	}
}

// Retry prompts render placeholders; the default prompt serves without one.
func TestRun_RetryPrompts(t *testing.T) {
	d := loadQualify(t)
	run := d.Run(playbook.Visitor{URL: "https://acme.example/pricing", Attributes: map[string]string{"first_name": "Ada"},
		Answers: []string{"Pricing", "nope", "a@b.co", "12"}})
	if got := run.Path[2].Retry; got != "Hmm, Ada, that is not an email." {
		t.Errorf("email retry %q", got)
	}
	if got := run.Path[4].Retry; !strings.Contains(got, "phone number") {
		t.Errorf("phone retry %q", got)
	}
}

func TestRun_Routes(t *testing.T) {
	route := func(r playbook.Route, v playbook.Visitor) *playbook.RouteDecision {
		d := playbook.Definition{Steps: []playbook.Step{{ID: "r", Kind: playbook.KindRoute, Route: &r}}}
		if err := d.Validate(); err != nil {
			t.Fatal(err)
		}
		return d.Run(v).Route
	}
	tests := []struct {
		route playbook.Route
		v     playbook.Visitor
		to    string
		user  int64
	}{
		{playbook.Route{To: "agent", UserID: 5}, playbook.Visitor{}, "agent", 5},
		{playbook.Route{To: "team", TeamID: 3}, playbook.Visitor{}, "team", 0},
		{playbook.Route{To: "account_owner"}, playbook.Visitor{AccountOwnerID: 9}, "account_owner", 9},
		{playbook.Route{To: "account_owner"}, playbook.Visitor{}, "queue", 0},
		{playbook.Route{To: "rules"}, playbook.Visitor{}, "rules", 0},
	}
	for _, tt := range tests {
		got := route(tt.route, tt.v)
		if got.To != tt.to || got.UserID != tt.user || got.Description == "" {
			t.Errorf("route %+v for %+v: %+v, want to %s user %d", tt.route, tt.v, got, tt.to, tt.user)
		}
	}
}

// Each targeting rule, holding and failing; a miss names the rule.
func TestMatch_Targeting(t *testing.T) {
	tests := []struct {
		name      string
		targeting string
		v         playbook.Visitor
		miss      string // "" fires
	}{
		{"exact", `{"urls": [{"match": "exact", "value": "https://a.example/x"}]}`, playbook.Visitor{URL: "https://A.example/x/"}, ""},
		{"exact misses", `{"urls": [{"match": "exact", "value": "https://a.example/x"}]}`, playbook.Visitor{URL: "https://a.example/y"}, "targeting.urls"},
		{"contains", `{"urls": [{"match": "contains", "value": "/Pricing"}]}`, playbook.Visitor{URL: "https://a.example/pricing?x"}, ""},
		{"wildcard", `{"urls": [{"match": "wildcard", "value": "https://*.example/blog/*"}]}`, playbook.Visitor{URL: "https://a.example/blog/post"}, ""},
		{"wildcard misses", `{"urls": [{"match": "wildcard", "value": "https://*.example/blog/*"}]}`, playbook.Visitor{URL: "https://a.example/docs/blog/"}, "targeting.urls"},
		{"regex", `{"urls": [{"match": "regex", "value": "/p(ricing|lans)$"}]}`, playbook.Visitor{URL: "https://a.example/plans"}, ""},
		{"referrer", `{"referrers": [{"match": "contains", "value": "google."}]}`, playbook.Visitor{Referrer: "https://www.google.com/"}, ""},
		{"referrer misses", `{"referrers": [{"match": "contains", "value": "google."}]}`, playbook.Visitor{}, "targeting.referrers"},
		{"utm", `{"utm": {"source": "ads", "campaign": "spring"}}`, playbook.Visitor{URL: "https://a.example/?utm_source=ads&utm_campaign=Spring"}, ""},
		{"utm misses", `{"utm": {"source": "ads", "campaign": "spring"}}`, playbook.Visitor{URL: "https://a.example/?utm_source=ads"}, "targeting.utm.campaign"},
		{"visit count", `{"visitCount": {"min": 2, "max": 4}}`, playbook.Visitor{VisitCount: 3}, ""},
		{"visit count misses", `{"visitCount": {"min": 2, "max": 4}}`, playbook.Visitor{VisitCount: 5}, "targeting.visitCount"},
		{"time on page", `{"timeOnPage": 30}`, playbook.Visitor{TimeOnPage: 30}, ""},
		{"time on page misses", `{"timeOnPage": 30}`, playbook.Visitor{TimeOnPage: 29}, "targeting.timeOnPage"},
		{"new", `{"visitors": "new"}`, playbook.Visitor{}, ""},
		{"new misses", `{"visitors": "new"}`, playbook.Visitor{VisitCount: 2}, "targeting.visitors"},
		{"returning", `{"visitors": "returning"}`, playbook.Visitor{VisitCount: 2}, ""},
		{"identified by email", `{"visitors": "identified"}`, playbook.Visitor{Attributes: map[string]string{"email": "a@b.co"}}, ""},
		{"identified misses", `{"visitors": "identified"}`, playbook.Visitor{}, "targeting.visitors"},
		{"attributes", `{"attributes": [{"attribute": "plan", "op": "equals", "value": "Pro"}, {"attribute": "seats", "op": "gt", "value": "10"}]}`,
			playbook.Visitor{Attributes: map[string]string{"plan": "pro", "seats": "11"}}, ""},
		{"attributes miss", `{"attributes": [{"attribute": "plan", "op": "equals", "value": "Pro"}, {"attribute": "seats", "op": "gt", "value": "10"}]}`,
			playbook.Visitor{Attributes: map[string]string{"plan": "pro", "seats": "9"}}, "targeting.attributes[1]"},
		{"country", `{"countries": ["de", "FR"]}`, playbook.Visitor{Country: "DE"}, ""},
		{"country misses", `{"countries": ["DE"]}`, playbook.Visitor{Country: "US"}, "targeting.countries"},
		{"country unknown never matches", `{"countries": ["DE"]}`, playbook.Visitor{}, "targeting.countries"},
		{"online", `{"availability": "online"}`, playbook.Visitor{AgentsOnline: true}, ""},
		{"online misses", `{"availability": "online"}`, playbook.Visitor{}, "targeting.availability"},
		{"offline", `{"availability": "offline"}`, playbook.Visitor{}, ""},
		{"offline misses", `{"availability": "offline"}`, playbook.Visitor{AgentsOnline: true}, "targeting.availability"},
		{"always", `{"availability": "always"}`, playbook.Visitor{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := playbook.Definition{Steps: []playbook.Step{{ID: "hi", Kind: playbook.KindMessage, Text: "Hi"}}}
			if err := json.Unmarshal([]byte(tt.targeting), &d.Targeting); err != nil {
				t.Fatal(err)
			}
			if err := d.Validate(); err != nil {
				t.Fatal(err)
			}
			run := d.Run(tt.v)
			got := ""
			if run.Miss != nil {
				got = run.Miss.Rule
			}
			if got != tt.miss || run.Fires != (tt.miss == "") {
				t.Fatalf("miss %q (fires %v), want %q: %+v", got, run.Fires, tt.miss, run.Miss)
			}
			if !run.Fires && len(run.Path) != 0 {
				t.Errorf("a playbook that does not fire took steps: %+v", run.Path)
			}
		})
	}
}

// Without a country source the dry run says why country targeting fails.
func TestRun_NoCountrySource(t *testing.T) {
	d := playbook.Definition{Targeting: playbook.Targeting{Countries: []string{"DE"}},
		Steps: []playbook.Step{{ID: "hi", Kind: playbook.KindMessage, Text: "Hallo"}}}
	run := d.Run(playbook.Visitor{})
	if run.Fires || !strings.Contains(run.Miss.Reason, "no country source") || len(run.Notes) == 0 {
		t.Fatalf("%+v", run)
	}
}

func TestValidEmailAndPhone(t *testing.T) {
	for s, want := range map[string]bool{"a@b.co": true, " A@B.CO ": true, "a@b": false, "Ada <a@b.co>": false, "a@.co": false, "": false, "@b.co": false} {
		if _, ok := playbook.ValidEmail(s); ok != want {
			t.Errorf("ValidEmail(%q) = %v", s, ok)
		}
	}
	for s, want := range map[string]bool{"+49 30 1234567": true, "(555) 010-9999": true, "123": false, "555-CALL-NOW": false, "++4912345678": false, "": false} {
		if _, ok := playbook.ValidPhone(s); ok != want {
			t.Errorf("ValidPhone(%q) = %v", s, ok)
		}
	}
}

func TestRender(t *testing.T) {
	attrs := map[string]string{"name": "<script>Ada</script>"}
	for in, want := range map[string]string{
		"Hi {{name}}!":           "Hi <script>Ada</script>!",
		"Hi {{ first | there }}": "Hi there",
		"Hi {{missing}}.":        "Hi .",
		"{{not closed":           "{{not closed",
	} {
		if got := playbook.Render(in, attrs); got != want {
			t.Errorf("Render(%q) = %q, want %q", in, got, want)
		}
	}
}
