package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/config"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/routing"
)

// routingRules reads the org's routing rules through GET /driftwood/v1/routing.
func routingRules(t *testing.T, e *apitest.Env) []any {
	t.Helper()
	return e.Call(t, "GET", "/driftwood/v1/routing", nil, 200)["data"].(map[string]any)["rules"].([]any)
}

// Rules are replaced whole by PATCH /driftwood/v1/routing {rules}, read back
// in order; a bad rule is refused naming its field, another org's team or
// user reads as a missing one, and nothing is written on a refusal.
func TestRoutingRules_Admin(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		agent := e.NewAgent(t, e.OrgID, "Rae Rules", "rae-rules@x.example")
		team := idOf(e.Call(t, "POST", "/driftwood/v1/teams", map[string]any{"name": "EMEA", "members": []int64{agent}}, 201)["data"].(map[string]any)["id"])
		other, otherToken := e.NewOrg(t, "Other rules org")
		otherAgent := e.NewAgent(t, other, "Oz Other", "oz-rules@x.example")
		otherTeam := idOf(apitest.Scenario{Method: "POST", Path: "/driftwood/v1/teams", Token: otherToken, EventsOrg: other, Status: 201,
			Body: map[string]any{"name": "Theirs", "members": []int64{otherAgent}}}.Run(t, e).Object(t)["data"].(map[string]any)["id"])

		good := []any{
			map[string]any{"name": "Europe", "conditions": []any{map[string]any{"source": "country", "op": "in", "value": "DE,FR"}}, "teamId": team},
			map[string]any{"name": "Everyone else", "conditions": []any{}, "userId": agent},
		}
		apitest.Scenario{Method: "PATCH", Path: "/driftwood/v1/routing", Body: map[string]any{"rules": good},
			Contains: []string{`"name":"Europe"`, `"name":"Everyone else"`}}.Run(t, e)
		if rs := routingRules(t, e); len(rs) != 2 || rs[0].(map[string]any)["name"] != "Europe" || idOf(rs[1].(map[string]any)["userId"]) != agent {
			t.Fatalf("rules read back: %v", rs)
		}

		cond := func(c map[string]any) []any {
			return []any{map[string]any{"name": "R", "conditions": []any{c}, "teamId": team}}
		}
		many := make([]any, 101)
		for i := range many {
			many[i] = map[string]any{"name": fmt.Sprint("R", i), "teamId": team}
		}
		conds := make([]any, 21)
		for i := range conds {
			conds[i] = map[string]any{"source": "contact", "attribute": "a", "op": "exists"}
		}
		for _, tc := range []struct {
			name  string
			rules []any
			param string
		}{
			{"unknown source", cond(map[string]any{"source": "weather", "op": "equals", "value": "x"}), "rules[0].conditions[0].source"},
			{"unknown op", cond(map[string]any{"source": "contact", "attribute": "plan", "op": "matches", "value": "x"}), "rules[0].conditions[0].op"},
			{"no attribute", cond(map[string]any{"source": "account", "op": "equals", "value": "x"}), "rules[0].conditions[0].attribute"},
			{"no value", cond(map[string]any{"source": "country", "op": "equals"}), "rules[0].conditions[0].value"},
			{"gt not a number", cond(map[string]any{"source": "account", "attribute": "employees", "op": "gt", "value": "many"}), "rules[0].conditions[0].value"},
			{"no name", []any{map[string]any{"teamId": team}}, "rules[0].name"},
			{"no target", []any{good[0], map[string]any{"name": "Nowhere"}}, "rules[1].teamId"},
			{"both targets", []any{map[string]any{"name": "Both", "teamId": team, "userId": agent}}, "rules[0].userId"},
			{"missing team", []any{good[0], good[1], map[string]any{"name": "Gone", "teamId": 999999999}}, "rules[2].teamId"},
			{"another org's team", []any{good[0], good[1], map[string]any{"name": "Theirs", "teamId": otherTeam}}, "rules[2].teamId"},
			{"another org's user", []any{map[string]any{"name": "Theirs", "userId": otherAgent}}, "rules[0].userId"},
			{"too many rules", many, "rules"},
			{"too many conditions", []any{map[string]any{"name": "Picky", "conditions": conds, "teamId": team}}, "rules[0].conditions"},
		} {
			apitest.Scenario{Name: tc.name, Method: "PATCH", Path: "/driftwood/v1/routing", Body: map[string]any{"rules": tc.rules, "routeNewConversations": true},
				Status: http.StatusBadRequest, Error: "validation_error", Contains: []string{`"param":"` + tc.param + `"`}}.Run(t, e)
		}
		// Another org's ids and missing ones read the same.
		missing := e.Do(t, apitest.Request{Method: "PATCH", Path: "/driftwood/v1/routing", Body: map[string]any{"rules": []any{map[string]any{"name": "X", "teamId": 999999999}}}})
		theirs := e.Do(t, apitest.Request{Method: "PATCH", Path: "/driftwood/v1/routing", Body: map[string]any{"rules": []any{map[string]any{"name": "X", "teamId": otherTeam}}}})
		if strings.ReplaceAll(string(missing.Body), "999999999", "N") != strings.ReplaceAll(string(theirs.Body), fmt.Sprint(otherTeam), "N") {
			t.Fatalf("a missing team: %s; another org's: %s", missing.Body, theirs.Body)
		}
		// Nothing was written by the refusals: the rules and the setting stand.
		st := e.Call(t, "GET", "/driftwood/v1/routing", nil, 200)["data"].(map[string]any)
		if rs := st["rules"].([]any); len(rs) != 2 || st["routeNewConversations"] != false {
			t.Fatalf("after refusals: %v", st)
		}
		// The other org sees none of them.
		theirRules := apitest.Scenario{Method: "GET", Path: "/driftwood/v1/routing", Token: otherToken}.Run(t, e).Object(t)["data"].(map[string]any)["rules"].([]any)
		if rs := theirRules; len(rs) != 0 {
			t.Fatalf("the other org's rules: %v", rs)
		}
		// A deleted team makes its rule inactive, shown as such.
		e.Call(t, "DELETE", fmt.Sprintf("/driftwood/v1/teams/%d", team), nil, 200)
		if r := routingRules(t, e)[0].(map[string]any); r["inactive"] != true {
			t.Fatalf("the rule of a deleted team: %v", r)
		}
		// An empty list removes them all.
		apitest.Scenario{Method: "PATCH", Path: "/driftwood/v1/routing", Body: map[string]any{"rules": []any{}}, Contains: []string{`"rules":[]`}}.Run(t, e)
	})
}

// New visitor conversations go where the first rule that holds says: by
// account attribute (before a country rule that also holds), by country,
// else the catch-all; a rule whose team was deleted is passed over, and a
// conversation queued then drains when an agent comes back. The dry run
// names the same rules.
func TestRoutingRules_Routing(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		// Only these agents take chats: every other user of the org is away.
		for _, a := range e.Call(t, "GET", "/driftwood/v1/routing", nil, 200)["data"].(map[string]any)["agents"].([]any) {
			e.Call(t, "PATCH", fmt.Sprintf("/users/update?userId=%d", idOf(a.(map[string]any)["userId"])), map[string]any{"availability": "OFFLINE"}, 200)
		}
		general := e.NewAgent(t, e.OrgID, "Gil General", "gil-rules@x.example")
		europe := e.NewAgent(t, e.OrgID, "Eve Europe", "eve-rules@x.example")
		big := e.NewAgent(t, e.OrgID, "Bea Big", "bea-rules@x.example")
		emea := idOf(e.Call(t, "POST", "/driftwood/v1/teams", map[string]any{"name": "EMEA", "members": []int64{europe}}, 201)["data"].(map[string]any)["id"])
		e.Call(t, "POST", "/accounts/create", map[string]any{"ownerId": big, "name": "Bigco", "domain": "bigco.example",
			"customProperties": []any{map[string]any{"label": "Employees", "name": "employees", "value": 5000, "type": "NUMBER"}}}, 200)
		rules := []any{
			map[string]any{"name": "Big accounts", "conditions": []any{map[string]any{"source": "account", "attribute": "employees", "op": "gt", "value": "1000"}}, "userId": big},
			map[string]any{"name": "Europe", "conditions": []any{map[string]any{"source": "country", "op": "in", "value": "DE, FR"}}, "teamId": emea},
			map[string]any{"name": "Everyone else", "userId": general},
		}
		e.Call(t, "PATCH", "/driftwood/v1/routing", map[string]any{"rules": rules, "routeNewConversations": true}, 200)

		start := func(country, email string, want ...events.Type) (int64, []int64) {
			t.Helper()
			v := newVisitor(t, e, "")
			body := map[string]any{"body": "hello"}
			if email != "" {
				body["email"] = email
			}
			var conv int64
			var added []int64
			apitest.Scenario{Method: "POST", Path: "/widget/v1/" + v.embed + "/messages", Token: v.token, Body: body,
				Header: map[string]string{"CF-IPCountry": country}, Events: want,
				Check: func(t testing.TB, r *apitest.Result) {
					conv = idOf(r.Object(t)["data"].(map[string]any)["conversation"].(map[string]any)["id"])
					for _, ev := range r.Events {
						if ev.Type == events.ConversationParticipantAdded {
							added = append(added, apitest.Payload[struct{ AddedParticipants []int64 }](t, ev).AddedParticipants...)
						}
					}
				}}.Run(t, e)
			return conv, added
		}
		routed := []events.Type{events.NewConversation, events.NewMessage, events.ConversationParticipantAdded}
		identified := []events.Type{events.ContactIdentified, events.NewConversation, events.NewMessage, events.ConversationParticipantAdded}
		if _, got := start("DE", "", routed...); fmt.Sprint(got) != fmt.Sprint([]int64{europe}) {
			t.Fatalf("a visitor from DE went to %v, want the EMEA team's %d", got, europe)
		}
		if _, got := start("DE", "ceo@bigco.example", identified...); fmt.Sprint(got) != fmt.Sprint([]int64{big}) {
			t.Fatalf("a big account's visitor from DE went to %v, want %d (the first rule wins)", got, big)
		}
		if _, got := start("US", "", routed...); fmt.Sprint(got) != fmt.Sprint([]int64{general}) {
			t.Fatalf("a visitor from US went to %v, want the catch-all's %d", got, general)
		}

		// EMEA is deleted and the catch-all's agent is away: its rule is
		// passed over, nobody else can take a visitor from DE, who waits.
		e.Call(t, "DELETE", fmt.Sprintf("/driftwood/v1/teams/%d", emea), nil, 200)
		e.Call(t, "PATCH", "/driftwood/v1/routing", map[string]any{"rules": rules[:2]}, 400) // a deleted team cannot be named anew
		for _, id := range []int64{general, europe, big} {
			e.Call(t, "PATCH", fmt.Sprintf("/users/update?userId=%d", id), map[string]any{"availability": "OFFLINE"}, 200)
		}
		queued, got := start("FR", "", events.NewConversation, events.NewMessage, routing.QueueMoved, events.NewMessage, events.ConversationParticipantAdded)
		if len(got) != 1 || got[0] == europe || got[0] == general || got[0] == big {
			t.Fatalf("a queued visitor's conversation added %v, want the bot only", got)
		}
		q := e.Call(t, "GET", "/driftwood/v1/routing", nil, 200)["data"].(map[string]any)["queue"].([]any)
		if len(q) != 1 || idOf(q[0].(map[string]any)["conversationId"]) != queued {
			t.Fatalf("the queue: %v", q)
		}
		// The catch-all's agent comes back: the rule of the deleted team
		// does not hold the conversation; the catch-all takes it.
		apitest.Scenario{Method: "PATCH", Path: fmt.Sprintf("/users/update?userId=%d", general), Body: map[string]any{"availability": "AVAILABLE"},
			Events: []events.Type{events.UserAvailabilityUpdated, events.ConversationParticipantAdded, routing.QueueMoved}}.Run(t, e)
		st := e.Call(t, "GET", "/driftwood/v1/routing", nil, 200)["data"].(map[string]any)
		for _, a := range st["agents"].([]any) {
			if a := a.(map[string]any); idOf(a["userId"]) == general && idOf(a["open"]) != 2 {
				t.Fatalf("the catch-all's agent after coming back: %v (queue %v)", a, st["queue"])
			}
		}
		if idOf(st["queueLength"]) != 0 {
			t.Fatalf("the queue after the catch-all's agent came back: %v", st["queue"])
		}

		// The dry run names the rule that would hold, passing over the
		// deleted team's.
		pb := idOf(e.Call(t, "POST", "/driftwood/v1/playbooks", map[string]any{"name": "To rules", "definition": map[string]any{"steps": []any{
			map[string]any{"id": "route", "kind": "route", "route": map[string]any{"to": "rules"}}}}}, 201)["data"].(map[string]any)["id"])
		for _, tc := range []struct {
			visitor  map[string]any
			contains []string
		}{
			{map[string]any{"country": "FR"}, []string{`rule 2 \"Everyone else\": agent ` + fmt.Sprint(general), "(1 earlier rule(s) skipped", `"userId":` + fmt.Sprint(general)}},
			{map[string]any{"country": "FR", "account": map[string]any{"employees": "2000"}}, []string{`rule 0 \"Big accounts\"`, `"userId":` + fmt.Sprint(big)}},
			{map[string]any{"attributes": map[string]any{"plan": "x"}}, []string{`rule 2 \"Everyone else\"`}},
		} {
			apitest.Scenario{Method: "POST", Path: fmt.Sprintf("/driftwood/v1/playbooks/%d/test", pb), Body: tc.visitor, Contains: tc.contains}.Run(t, e)
		}
	}, apitest.WithConfig(func(c *config.Config) { c.TrustedCountryHeader = "CF-IPCountry" }))
}
