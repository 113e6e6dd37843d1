package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
)

// newAdmin creates a user with the admin role and signs it in.
func newAdmin(t *testing.T, e *apitest.Env, email string) *apitest.Agent {
	t.Helper()
	r := apitest.Scenario{Method: "POST", Path: "/driftwood/v1/users", Status: 201,
		Body: map[string]any{"name": "Admin", "email": email, "role": "admin"}}.Run(t, e)
	var u struct{ Data struct{ ID int64 } }
	r.Decode(t, &u)
	return e.SignIn(t, e.OrgID, u.Data.ID, email, agentPassword)
}

// The inbox's Playbooks view: an admin lists, creates, edits, dry-runs and
// deletes the org's playbooks through /inbox/api/playbooks with the admin
// API's rules (an invalid definition names its field, nothing written) and
// events (none), as the author; an agent is refused; another org's
// playbook is a 404.
func TestInbox_Playbooks(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		admin := newAdmin(t, e, "admin@playbooks.example")
		ada := e.NewAgent(t, e.OrgID, "Ada", "ada@playbooks.example")
		agent := e.SignIn(t, e.OrgID, ada, "ada@playbooks.example", agentPassword)
		_, otherToken := e.NewOrg(t, "Other")
		var theirs struct{ Data struct{ ID int64 } }
		e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/playbooks", Token: otherToken,
			Body: map[string]any{"name": "Theirs"}}).Decode(t, &theirs)

		steps := []map[string]any{
			{"id": "hi", "kind": "question", "text": "Hi {{name|there}}, sales or support?", "buttons": []map[string]any{
				{"label": "Sales", "next": "mail"}, {"label": "Support", "next": "bye"}}},
			{"id": "mail", "kind": "email_capture", "text": "Your email?", "next": "nowhere"},
			{"id": "bye", "kind": "end"},
		}
		def := map[string]any{"priority": 3, "targeting": map[string]any{"urls": []map[string]any{{"match": "contains", "value": "/pricing"}}}, "steps": steps}
		as := func(a *apitest.Agent, method, path string, body any) apitest.Scenario {
			return apitest.Scenario{Method: method, Path: path, Token: apitest.NoToken, Header: a.Header(), Body: body}
		}
		var made struct{ Data struct{ ID int64 } }
		bad := as(admin, "POST", "/inbox/api/playbooks", map[string]any{"name": "Welcome", "definition": def})
		bad.Status, bad.Error, bad.Contains = 400, "validation_error", []string{`"param":"definition.steps[1].next"`}
		bad.Run(t, e) // writes nothing: the list below starts with the next one
		steps[1]["next"] = "bye"
		create := as(admin, "POST", "/inbox/api/playbooks", map[string]any{"name": "<b>Welcome</b>", "enabled": true, "definition": def})
		create.Status = 201
		create.Contains = []string{fmt.Sprintf(`"createdAuthorId":%d`, admin.UserID), `"version":1`}
		create.Check = func(t testing.TB, r *apitest.Result) { r.Decode(t, &made) }
		// The admin API with a token: the same answer, the bot its author.
		token := apitest.Scenario{Method: "POST", Path: "/driftwood/v1/playbooks", Status: 201, Body: map[string]any{"name": "By token", "definition": def},
			NotContains: []string{fmt.Sprintf(`"createdAuthorId":%d`, admin.UserID)}}
		apitest.RunScenarios(t, e, []apitest.Scenario{create, token})

		one := fmt.Sprintf("/inbox/api/playbooks/%d", made.Data.ID)
		list := as(admin, "GET", "/inbox/api/playbooks?limit=1", nil)
		list.Contains = []string{`"name":"\u003cb\u003eWelcome\u003c/b\u003e"`, `"priority":3`, `"pagination"`}
		disable := as(admin, "PATCH", one, map[string]any{"enabled": false})
		disable.Contains = []string{`"enabled":false`, `"version":2`}
		dry := as(admin, "POST", one+"/test", map[string]any{"url": "https://x.example/pricing", "answers": []string{"Sales", "not an email", "jo@x.example"}})
		dry.Contains = []string{`"fires":true`, `"goals":[]`, `"valid":false`, `"outcome":"ended"`}
		miss := as(admin, "POST", one+"/test", map[string]any{"url": "https://x.example/about"})
		miss.Contains = []string{`"fires":false`, `"rule":"targeting.urls"`}
		badEdit := as(admin, "PATCH", one, map[string]any{"definition": map[string]any{"steps": []map[string]any{{"id": "a", "kind": "dance"}}}})
		badEdit.Status, badEdit.Error, badEdit.Contains = 400, "validation_error", []string{`"param":"definition.steps[0].kind"`}
		unchanged := as(admin, "GET", one, nil)
		unchanged.Contains = []string{`"version":2`, `"kind":"email_capture"`}
		forbidden := func(s apitest.Scenario) apitest.Scenario {
			s.Status, s.Error = 403, "insufficient_scope"
			return s
		}
		foreign := fmt.Sprintf("/inbox/api/playbooks/%d", theirs.Data.ID)
		notFound := func(s apitest.Scenario) apitest.Scenario {
			s.Status, s.Error = 404, "not_found"
			return s
		}
		del := as(admin, "DELETE", one, nil)
		del.Contains = []string{`"ok":true`}
		apitest.RunScenarios(t, e, []apitest.Scenario{
			list, disable, dry, miss, badEdit, unchanged,
			forbidden(as(agent, "GET", "/inbox/api/playbooks", nil)),
			forbidden(as(agent, "GET", one, nil)),
			forbidden(as(agent, "POST", "/inbox/api/playbooks", map[string]any{"name": "Agent's"})),
			forbidden(as(agent, "PATCH", one, map[string]any{"enabled": true})),
			forbidden(as(agent, "POST", one+"/test", map[string]any{"url": "https://x.example/"})),
			forbidden(as(agent, "DELETE", one, nil)),
			notFound(as(admin, "GET", foreign, nil)),
			notFound(as(admin, "PATCH", foreign, map[string]any{"enabled": false})),
			notFound(as(admin, "POST", foreign+"/test", map[string]any{"url": "https://x.example/"})),
			notFound(as(admin, "DELETE", foreign, nil)),
			del,
			notFound(as(admin, "GET", one, nil)),
			{Name: "no session", Method: "GET", Path: "/inbox/api/playbooks", Token: apitest.NoToken, Status: 401, Error: "authentication_error"},
		})
		if page := e.Do(t, apitest.Request{Method: "GET", Path: "/inbox", Header: agent.Header()}); strings.Contains(string(page.Body), `data-view="playbooks"`) {
			t.Error("an agent's inbox offers the Playbooks view")
		}
	})
}
