package firetest_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	webinbox "github.com/driftwood-chat/driftwood/web/inbox"
)

// The inbox's routes take no API token: the sign-in pages are public, and
// the inbox's page and API take the session cookie of a signed-in user
// ({session}: the org's {user}, signed in; serve sends it as the cookie
// with its CSRF token). {invite} is an unused invitation of another user
// of the org ({invitee}, who signs in with POST /login once POST
// /invite/{token} set the password); an invitation is a credential of its own, not
// an id of the org, so the isolation probes leave it alone. The event
// stream never ends: httpapi's TestEventStream_BadInput covers its
// machinery.
func init() {
	missing["canned"] = "987654321987"
	s := "{session}"
	for pattern, exs := range map[string][]example{
		"POST /driftwood/v1/users/{id}/invite":        {{path: "/driftwood/v1/users/{user}/invite"}},
		"POST /login":                                 {{body: "email={inviteeemail}&password=" + firePassword, form: true}},
		"GET /invite/{token}":                         {{path: "/invite/{invite}"}},
		"POST /invite/{token}":                        {{path: "/invite/{invite}", body: "password=" + firePassword + "&confirm=" + firePassword, form: true}},
		"GET /inbox/assets/{file}":                    {{path: "/inbox/assets/" + webinbox.Get("inbox.js").HashedName()}},
		"GET /inbox":                                  {{token: s}},
		"POST /logout":                                {{token: "{logoutsession}", body: "csrf={logoutcsrf}", form: true}},
		"GET /inbox/api/conversations":                {{token: s, path: "/inbox/api/conversations?view=mine&status=open,pending"}},
		"GET /inbox/api/conversations/{id}":           {{token: s, path: "/inbox/api/conversations/{conversation}"}},
		"POST /inbox/api/conversations/{id}/messages": {{token: s, path: "/inbox/api/conversations/{conversation}/messages", body: `{"body":"<b>an agent</b> answers","type":"chat"}`}},
		"POST /inbox/api/conversations/{id}/assign":   {{token: s, path: "/inbox/api/conversations/{conversation}/assign", body: `{"userId":{user}}`}},
		"POST /inbox/api/conversations/{id}/status":   {{token: s, path: "/inbox/api/conversations/{conversation}/status", body: `{"status":"pending"}`}},
		"GET /inbox/api/attachments/{id}":             {{token: s, path: "/inbox/api/attachments/{attachment}"}},
		"POST /inbox/api/availability":                {{token: s, body: `{"availability":"OFFLINE"}`}},
		"GET /inbox/api/canned-replies":               {{token: s}},
		"POST /inbox/api/canned-replies":              {{token: s, body: `{"shortcut":"agents-may-not","body":"x"}`, want: http.StatusForbidden}},
		"GET /inbox/api/search": {{token: s, path: "/inbox/api/search?q=fire&kind=messages"},
			{token: s, path: "/inbox/api/search?q=example&kind=contacts"}},
		"GET /inbox/api/awaiting":                   {{token: s}},
		"POST /inbox/api/conversations/{id}/typing": {{token: s, path: "/inbox/api/conversations/{conversation}/typing", body: `{}`}},
		"GET /inbox/api/contacts/{id}":              {{token: s, path: "/inbox/api/contacts/{contact}"}},
		"PATCH /inbox/api/contacts/{id}":            {{token: s, path: "/inbox/api/contacts/{contact}", body: `{"attributes":{"name":"<b>Renamed</b> by an agent"}}`}},
		"POST /driftwood/v1/canned-replies":         {{body: `{"shortcut":"fire","body":"<b>Fire</b> reply"}`}},
		"PATCH /driftwood/v1/canned-replies/{id}":   {{path: "/driftwood/v1/canned-replies/{canned}", body: `{"shortcut":"fired","body":"Fired"}`}},
		"DELETE /driftwood/v1/canned-replies/{id}":  {{path: "/driftwood/v1/canned-replies/{canned}"}},
	} {
		examples[pattern] = exs
	}
}

const firePassword = "fire-password-1234"

// sessionToken is how an example's token names a session: serve sends it
// as the cookie, with the CSRF token.
const sessionToken = "session:"

// fillInbox signs o's {user} in (twice: one session for POST /logout) and
// invites {invitee}.
func (w *world) fillInbox(t testing.TB, o *org, ids map[string]string) {
	t.Helper()
	form := func(path string, v url.Values) *http.Response {
		r := w.do("POST", path, "", []byte(v.Encode()), formHeader)
		return r.Result()
	}
	invite := func(user string) string {
		r := w.do("POST", "/driftwood/v1/users/"+user+"/invite", o.token, nil, nil)
		u := find(decode(t, r.Body.Bytes()), "url")
		if r.Code != http.StatusCreated || !strings.Contains(u, "/invite/") {
			t.Fatalf("inviting: %d %s", r.Code, r.Body)
		}
		return u[strings.Index(u, "/invite/")+len("/invite/"):]
	}
	if r := form("/invite/"+invite(ids["user"]), url.Values{"password": {firePassword}, "confirm": {firePassword}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("setting a password: %d", r.StatusCode)
	}
	signIn := func() (string, string) {
		r := form("/login", url.Values{"email": {ids["useremail"]}, "password": {firePassword}})
		var raw string
		for _, c := range r.Cookies() {
			if c.Name == "dw_session" {
				raw = c.Value
			}
		}
		if raw == "" {
			t.Fatalf("signing in: %d", r.StatusCode)
		}
		page := w.do("GET", "/inbox", "", nil, http.Header{"Cookie": {"dw_session=" + raw}})
		m := regexp.MustCompile(`"csrf":"([0-9a-f]+)"`).FindStringSubmatch(page.Body.String())
		if m == nil {
			t.Fatalf("the inbox page: %d %.300s", page.Code, page.Body)
		}
		return raw, m[1]
	}
	raw, csrf := signIn()
	ids["session"] = sessionToken + raw + ":" + csrf
	raw, csrf = signIn()
	ids["logoutsession"], ids["logoutcsrf"] = sessionToken+raw+":"+csrf, csrf
	ids["inviteeemail"] = "invitee-" + ids["email"]
	r := w.do("POST", "/driftwood/v1/users", o.token, []byte(`{"name":"Invitee","email":"`+ids["inviteeemail"]+`","role":"agent"}`), nil)
	if r.Code != http.StatusCreated {
		t.Fatalf("an invitee: %d %s", r.Code, r.Body)
	}
	ids["invitee"] = find(decode(t, r.Body.Bytes()), "id")
	ids["invite"] = invite(ids["invitee"])
	r = w.do("POST", "/driftwood/v1/canned-replies", o.token, []byte(`{"shortcut":"only-`+ids["user"]+`","body":"Only this org's"}`), nil)
	if r.Code != http.StatusCreated {
		t.Fatalf("a canned reply: %d %s", r.Code, r.Body)
	}
	ids["canned"] = find(decode(t, r.Body.Bytes()), "id")
	w.fillInboxAdmin(t, o, ids) // inbox_admin_test.go
}

// sessionHeader turns a session example token into the cookie and CSRF
// headers (ok false for any other token).
func sessionHeader(token string) (http.Header, bool) {
	rest, ok := strings.CutPrefix(token, sessionToken)
	if !ok {
		return nil, false
	}
	raw, csrf, _ := strings.Cut(rest, ":")
	return http.Header{"Cookie": {"dw_session=" + raw}, "X-Csrf-Token": {csrf}}, true
}
