package playbook_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/playbook"
)

func loadQualify(t *testing.T) *playbook.Definition {
	t.Helper()
	b, err := os.ReadFile("testdata/qualify.json")
	if err != nil {
		t.Fatal(err)
	}
	var d playbook.Definition
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("testdata/qualify.json: %v", err)
	}
	return &d
}

// Each class of bad definition is refused with an error naming its field.
func TestValidate_NamesTheField(t *testing.T) {
	long := strings.Repeat("x", 2001)
	tests := []struct {
		name, def, param string
	}{
		{"no steps", `{"steps": []}`, "steps"},
		{"unknown kind", `{"steps": [{"id": "a", "kind": "message", "text": "hi"}, {"id": "b", "kind": "dance"}]}`, "steps[1].kind"},
		{"missing id", `{"steps": [{"kind": "end"}]}`, "steps[0].id"},
		{"duplicate id", `{"steps": [{"id": "a", "kind": "end"}, {"id": "a", "kind": "end"}]}`, "steps[1].id"},
		{"next to a missing step", `{"steps": [{"id": "a", "kind": "message", "text": "hi", "next": "nowhere"}]}`, "steps[0].next"},
		{"branch to a missing step", `{"steps": [{"id": "a", "kind": "branch", "cases": [{"when": {"attribute": "x", "op": "exists"}, "next": "zz"}]}]}`, "steps[0].cases[0].next"},
		{"button to a missing step", `{"steps": [{"id": "a", "kind": "question", "text": "?", "buttons": [{"label": "A", "next": "zz"}]}]}`, "steps[0].buttons[0].next"},
		{"answer of a missing step", `{"steps": [{"id": "a", "kind": "branch", "cases": [{"when": {"answer": "q", "op": "exists"}, "next": "a"}]}]}`, "steps[0].cases[0].when.answer"},
		{"loop without an answer", `{"steps": [{"id": "a", "kind": "message", "text": "hi", "next": "b"}, {"id": "b", "kind": "delay", "seconds": 1, "next": "a"}]}`, "steps[1].next"},
		{"branch loop without an answer", `{"steps": [{"id": "a", "kind": "branch", "cases": [{"when": {"attribute": "x", "op": "exists"}, "next": "a"}]}]}`, "steps[0].cases[0].next"},
		{"bad regexp", `{"targeting": {"urls": [{"match": "regex", "value": "(unclosed"}]}, "steps": [{"id": "a", "kind": "end"}]}`, "targeting.urls[0].value"},
		{"bad url match", `{"targeting": {"referrers": [{"match": "glob", "value": "x"}]}, "steps": [{"id": "a", "kind": "end"}]}`, "targeting.referrers[0].match"},
		{"over-long text", `{"steps": [{"id": "a", "kind": "message", "text": "` + long + `"}]}`, "steps[0].text"},
		{"over-long url value", `{"targeting": {"urls": [{"match": "exact", "value": "` + long + `"}]}, "steps": [{"id": "a", "kind": "end"}]}`, "targeting.urls[0].value"},
		{"empty message", `{"steps": [{"id": "a", "kind": "message"}]}`, "steps[0].text"},
		{"delay without seconds", `{"steps": [{"id": "a", "kind": "delay"}]}`, "steps[0].seconds"},
		{"route without target", `{"steps": [{"id": "a", "kind": "route"}]}`, "steps[0].route"},
		{"route to an agent without id", `{"steps": [{"id": "a", "kind": "route", "route": {"to": "agent"}}]}`, "steps[0].route.userId"},
		{"route to nowhere", `{"steps": [{"id": "a", "kind": "route", "route": {"to": "moon"}}]}`, "steps[0].route.to"},
		{"goal without a name", `{"steps": [{"id": "a", "kind": "goal"}]}`, "steps[0].goal"},
		{"set attribute without a name", `{"steps": [{"id": "a", "kind": "set_attribute", "value": "v"}]}`, "steps[0].attribute"},
		{"bad condition op", `{"targeting": {"attributes": [{"attribute": "plan", "op": "like"}]}, "steps": [{"id": "a", "kind": "end"}]}`, "targeting.attributes[0].op"},
		{"bad country", `{"targeting": {"countries": ["USA"]}, "steps": [{"id": "a", "kind": "end"}]}`, "targeting.countries[0]"},
		{"bad visitors", `{"targeting": {"visitors": "vip"}, "steps": [{"id": "a", "kind": "end"}]}`, "targeting.visitors"},
		{"bad availability", `{"targeting": {"availability": "sometimes"}, "steps": [{"id": "a", "kind": "end"}]}`, "targeting.availability"},
		{"bad utm", `{"targeting": {"utm": {"color": "red"}}, "steps": [{"id": "a", "kind": "end"}]}`, "targeting.utm.color"},
		{"bad start", `{"start": "zz", "steps": [{"id": "a", "kind": "end"}]}`, "start"},
		{"end with next", `{"steps": [{"id": "a", "kind": "end", "next": "a"}]}`, "steps[0].next"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d playbook.Definition
			if err := json.Unmarshal([]byte(tt.def), &d); err != nil {
				t.Fatal(err)
			}
			err := d.Validate()
			var e *apperr.Error
			if !errors.As(err, &e) || e.Code != apperr.Invalid {
				t.Fatalf("Validate() = %v, want a validation error", err)
			}
			if e.Param != tt.param {
				t.Errorf("param %q, want %q (%s)", e.Param, tt.param, e.Message)
			}
		})
	}
}

// A loop through a question is fine: the bot waits for the visitor each turn.
func TestValidate_LoopThroughAnAnswer(t *testing.T) {
	d := playbook.Definition{Steps: []playbook.Step{
		{ID: "ask", Kind: playbook.KindQuestion, Text: "Again?", Buttons: []playbook.Button{{Label: "Yes", Next: "say"}, {Label: "No", Next: "end"}}},
		{ID: "say", Kind: playbook.KindMessage, Text: "Here we go", Next: "ask"},
		{ID: "end", Kind: playbook.KindEnd},
	}}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := loadQualify(t).Validate(); err != nil {
		t.Fatal(err)
	}
}
