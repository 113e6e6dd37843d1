package apitest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/auth"
)

// Agent is a user signed in to the inbox: its session cookie and CSRF token.
type Agent struct {
	UserID int64
	Cookie string // the session cookie's value
	CSRF   string
}

// Header is the request header of the agent's inbox calls: the cookie and,
// for writes, the CSRF token.
func (a *Agent) Header() map[string]string {
	return map[string]string{"Cookie": "dw_session=" + a.Cookie, "X-CSRF-Token": a.CSRF}
}

// FormHeader is the header of a form post.
var FormHeader = map[string]string{"Content-Type": "application/x-www-form-urlencoded"}

// Invite invites the user through the API and returns the link's path
// (/invite/…). It fires no event.
func (e *Env) Invite(t testing.TB, orgID, userID int64) string {
	t.Helper()
	token := e.Token
	if orgID != e.OrgID {
		token = e.NewToken(t, orgID, auth.Admin)
	}
	r := Scenario{Method: "POST", Path: fmt.Sprintf("/driftwood/v1/users/%d/invite", userID), Token: token,
		EventsOrg: orgID, Status: http.StatusCreated}.Run(t, e)
	var a struct {
		Data struct{ URL string }
	}
	r.Decode(t, &a)
	u, err := url.Parse(a.Data.URL)
	if err != nil || !strings.HasPrefix(u.Path, "/invite/") {
		t.Fatalf("invitation without a link: %s", r.Body)
	}
	return u.Path
}

// SetPassword redeems an invitation link with password.
func (e *Env) SetPassword(t testing.TB, invite, password string) {
	t.Helper()
	r := e.Do(t, Request{Method: "POST", Path: invite, KeepRedirect: true, Header: FormHeader,
		Body: url.Values{"password": {password}, "confirm": {password}}.Encode()})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("setting a password: %d %s", r.Status, r.Body)
	}
}

// Login signs in with the form and returns the answer (a 303 with the
// session cookie when it worked).
func (e *Env) Login(t testing.TB, email, password string) *Response {
	t.Helper()
	return e.Do(t, Request{Method: "POST", Path: "/login", KeepRedirect: true, Header: FormHeader,
		Body: url.Values{"email": {email}, "password": {password}}.Encode()})
}

var csrfInPage = regexp.MustCompile(`"csrf":"([0-9a-f]+)"`)

// SignIn invites an agent of orgID, sets its password and signs it in.
func (e *Env) SignIn(t testing.TB, orgID, userID int64, email, password string) *Agent {
	t.Helper()
	e.SetPassword(t, e.Invite(t, orgID, userID), password)
	r := e.Login(t, email, password)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("signing in as %s: %d %s", email, r.Status, r.Body)
	}
	a := &Agent{UserID: userID}
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "dw_session" {
			a.Cookie = c.Value
		}
	}
	if a.Cookie == "" {
		t.Fatalf("no session cookie in %v", r.Header)
	}
	page := e.Do(t, Request{Method: "GET", Path: "/inbox", Header: a.Header()})
	m := csrfInPage.FindSubmatch(page.Body)
	if page.Status != http.StatusOK || m == nil {
		t.Fatalf("the inbox page: %d %.300s", page.Status, page.Body)
	}
	a.CSRF = string(m[1])
	return a
}

// DecodeJSON is json.Unmarshal that fails the test.
func DecodeJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %.300s: %v", b, err)
	}
}
