package playbook_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/playbook"
	"github.com/driftwood-chat/driftwood/internal/routing"
)

// A route to "rules" names the org's first active rule that holds for the
// visitor as the run left them (an attribute set by the run counts), the
// same on every run; without rules it is only described.
func TestRunWithRules(t *testing.T) {
	d := playbook.Definition{Steps: []playbook.Step{
		{ID: "tag", Kind: playbook.KindSetAttribute, Attribute: "segment", Value: "{{plan|free}}", Next: "r"},
		{ID: "r", Kind: playbook.KindRoute, Route: &playbook.Route{To: "rules"}},
	}}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	rules := []routing.Rule{
		{Name: "gone", TeamID: 9, Inactive: true},
		{Name: "big", Conditions: []routing.Condition{{Source: "account", Attribute: "employees", Op: "gt", Value: "1000"}}, UserID: 4},
		{Name: "europe", Conditions: []routing.Condition{{Source: "country", Op: "in", Value: "DE,FR"}}, TeamID: 7},
		{Name: "paid", Conditions: []routing.Condition{{Source: "contact", Attribute: "segment", Op: "equals", Value: "pro"}}, UserID: 5},
	}
	tests := []struct {
		name string
		v    playbook.Visitor
		user int64
		team int64
		desc string
	}{
		{"account attribute first", playbook.Visitor{Country: "DE", Account: map[string]string{"employees": "5000"}}, 4, 0, `rule 1 "big": agent 4`},
		{"country", playbook.Visitor{Country: "fr"}, 0, 7, `rule 2 "europe": round robin in team 7`},
		{"an attribute the run set", playbook.Visitor{Attributes: map[string]string{"plan": "pro"}}, 5, 0, `rule 3 "paid"`},
		{"none holds", playbook.Visitor{Country: "US"}, 0, 0, "no routing rule matches (of 4)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := d.RunWithRules(tt.v, rules)
			r := run.Route
			if r == nil || r.To != "rules" || r.UserID != tt.user || r.TeamID != tt.team || !strings.Contains(r.Description, tt.desc) {
				t.Fatalf("route %+v, want user %d team %d %q", r, tt.user, tt.team, tt.desc)
			}
			if tt.user+tt.team != 0 && !strings.Contains(r.Description, "1 earlier rule(s) skipped") {
				t.Errorf("the inactive rule is not said to be skipped: %q", r.Description)
			}
			a, _ := json.Marshal(run)
			b, _ := json.Marshal(d.RunWithRules(tt.v, rules))
			if string(a) != string(b) {
				t.Fatalf("not deterministic:\n%s\n%s", a, b)
			}
		})
	}
	if r := d.Run(playbook.Visitor{Country: "DE"}).Route; r.To != "rules" || r.UserID != 0 || !strings.Contains(r.Description, "routing rules, in order") {
		t.Fatalf("without the org's rules: %+v", r)
	}
}
