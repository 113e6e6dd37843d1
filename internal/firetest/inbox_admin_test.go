package firetest_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

// The inbox's read markers (any signed-in user) and its Playbooks view
// ({adminsession}: an admin of the org, signed in; the {session} of an
// agent is refused with 403).
func init() {
	s, a := "{session}", "{adminsession}"
	for pattern, exs := range map[string][]example{
		"POST /inbox/api/conversations/{id}/read": {{token: s, path: "/inbox/api/conversations/{conversation}/read", body: `{"messageId":0}`}},
		"GET /inbox/api/unread":                   {{token: s}},
		"GET /inbox/api/playbooks":                {{token: a, path: "/inbox/api/playbooks?limit=5"}, {token: s, want: http.StatusForbidden}},
		"POST /inbox/api/playbooks": {{token: a, body: `{"name":"<b>Inbox</b> fire","enabled":false,"definition":{"priority":1,` +
			`"steps":[{"id":"q","kind":"question","text":"Hi?","buttons":[{"label":"Yes","next":"e"}]},{"id":"e","kind":"end"}]}}`}},
		"GET /inbox/api/playbooks/{id}":       {{token: a, path: "/inbox/api/playbooks/{playbook}"}},
		"PATCH /inbox/api/playbooks/{id}":     {{token: a, path: "/inbox/api/playbooks/{playbook}", body: `{"name":"Renamed in the inbox","enabled":false}`}},
		"DELETE /inbox/api/playbooks/{id}":    {{token: a, path: "/inbox/api/playbooks/{playbook}"}},
		"POST /inbox/api/playbooks/{id}/test": {{token: a, path: "/inbox/api/playbooks/{playbook}/test", body: `{"url":"https://x.example/","answers":["Yes"]}`}},
	} {
		examples[pattern] = exs
	}
}

// fillInboxAdmin signs in an admin of o as {adminsession}.
func (w *world) fillInboxAdmin(t testing.TB, o *org, ids map[string]string) {
	t.Helper()
	email := "admin-" + ids["email"]
	r := w.do("POST", "/driftwood/v1/users", o.token, []byte(`{"name":"Fire Admin","email":"`+email+`","role":"admin"}`), nil)
	if r.Code != http.StatusCreated {
		t.Fatalf("an admin: %d %s", r.Code, r.Body)
	}
	r = w.do("POST", "/driftwood/v1/users/"+find(decode(t, r.Body.Bytes()), "id")+"/invite", o.token, nil, nil)
	link := find(decode(t, r.Body.Bytes()), "url")
	link = link[regexp.MustCompile(`/invite/`).FindStringIndex(link)[0]:]
	form := url.Values{"password": {firePassword}, "confirm": {firePassword}}
	if r := w.do("POST", link, "", []byte(form.Encode()), formHeader); r.Code != http.StatusSeeOther {
		t.Fatalf("the admin's password: %d", r.Code)
	}
	r = w.do("POST", "/login", "", []byte(url.Values{"email": {email}, "password": {firePassword}}.Encode()), formHeader)
	var raw string
	for _, c := range r.Result().Cookies() {
		if c.Name == "dw_session" {
			raw = c.Value
		}
	}
	page := w.do("GET", "/inbox", "", nil, http.Header{"Cookie": {"dw_session=" + raw}})
	m := regexp.MustCompile(`"csrf":"([0-9a-f]+)"`).FindStringSubmatch(page.Body.String())
	if raw == "" || m == nil {
		t.Fatalf("the admin's inbox: %d %.300s", page.Code, page.Body)
	}
	ids["adminsession"] = sessionToken + raw + ":" + m[1]
}
