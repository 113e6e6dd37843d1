package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/auth"
)

// The tests of this file cover issue 16's REST shapes, each on both stores
// through the real server.

// badCase is a request that must fail with status and Drift error type typ.
type badCase struct {
	name, method, path, token string
	body                      any
	status                    int
	typ                       string
}

func checkBad(t *testing.T, e *apitest.Env, cases []badCase) {
	t.Helper()
	for _, c := range cases {
		tok := c.token
		switch tok {
		case "":
			tok = e.Token
		case "-": // no token
			tok = ""
		}
		r := e.Do(t, apitest.Request{Method: c.method, Path: c.path, Token: tok, Body: c.body})
		if r.Status != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, r.Status, c.status, r.Body)
			continue
		}
		apitest.WantError(t, r, c.status, c.typ)
	}
}

func TestUsersByID(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		ada := createAgent(t, e, "Ada Agent", "ada@example.com")
		bob := createAgent(t, e, "Bob Agent", "bob@example.com")
		_, otherToken := e.NewOrg(t, "Other")
		foreign := num(dataObj(t, e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/users", Token: otherToken,
			Body: map[string]any{"name": "Foreign"}}).Object(t))["id"])

		for _, path := range []string{
			fmt.Sprintf("/users?userId=%d&userId=%d&userId=999999&userId=%d", ada, bob, foreign),
			fmt.Sprintf("/v1/users?userId=%d,%d", ada, bob),
		} {
			m := dataObj(t, e.Call(t, "GET", path, nil, http.StatusOK))
			if len(m) != 2 {
				t.Fatalf("%s: %d users: %v", path, len(m), m)
			}
			a, _ := m[fmt.Sprint(ada)].(map[string]any)
			b, _ := m[fmt.Sprint(bob)].(map[string]any)
			if a == nil || b == nil || a["name"] != "Ada Agent" || num(b["id"]) != bob {
				t.Fatalf("%s: %v", path, m)
			}
		}
		// Only unknown ids: an empty map, not a list.
		if m := dataObj(t, e.Call(t, "GET", "/users?userId=999999", nil, http.StatusOK)); len(m) != 0 {
			t.Fatalf("unknown id: %v", m)
		}
		// Without userId, and on /users/list, the list as before.
		if us := dataList(t, e.Call(t, "GET", "/users", nil, http.StatusOK)); len(us) != 3 {
			t.Fatalf("list: %v", us)
		}
		if us := dataList(t, e.Call(t, "GET", fmt.Sprintf("/users/list?userId=%d", ada), nil, http.StatusOK)); len(us) != 3 {
			t.Fatalf("/users/list with userId: %v", us)
		}
		many := strings.Repeat("userId=1&", 1001) + "userId=1002"
		for i := range 1002 {
			many += fmt.Sprintf("&userId=%d", i+1)
		}
		checkBad(t, e, []badCase{
			{"not a number", "GET", "/users?userId=abc", "", nil, 400, "validation_error"},
			{"empty", "GET", "/users?userId=", "", nil, 400, "validation_error"},
			{"negative", "GET", "/users?userId=-4", "", nil, 400, "validation_error"},
			{"too long", "GET", "/users?userId=" + strings.Repeat("9", 40), "", nil, 400, "validation_error"},
			{"too many", "GET", "/users?" + many, "", nil, 400, "validation_error"},
		})
	})
}

func TestTokenInfoAndUnauthorized(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		ctx := context.Background()
		revokedRaw, revoked, err := e.App.Tokens.Issue(ctx, auth.Token{OrgID: e.OrgID, Scopes: []auth.Scope{auth.ContactRead}})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.App.DB.RevokeToken(ctx, e.OrgID, revoked.ID); err != nil {
			t.Fatal(err)
		}
		expiredRaw, _, err := e.App.Tokens.Issue(ctx, auth.Token{OrgID: e.OrgID, Scopes: []auth.Scope{auth.ContactRead},
			ExpiresAt: time.Now().Add(-time.Minute).UnixMilli()})
		if err != nil {
			t.Fatal(err)
		}
		other := e.NewToken(t, e.OrgID, auth.ContactRead)
		info := func(token string, body any) *apitest.Response {
			return e.Do(t, apitest.Request{Method: "POST", Path: "/app/token_info", Token: token, Body: body})
		}
		// Item 2: both spellings; with or without a (good) header.
		for _, body := range []any{map[string]any{"access_token": other}, map[string]any{"accessToken": other}} {
			for _, header := range []string{"", e.Token} {
				r := info(header, body)
				if r.Status != 200 || r.Object(t)["access_token"] != other || r.Object(t)["scope"] != "contact_read" {
					t.Fatalf("token_info %v (header %t): %d %s", body, header != "", r.Status, r.Body)
				}
			}
		}
		// No token in the body: the header's token is described.
		if r := info(other, nil); r.Status != 200 || r.Object(t)["access_token"] != other {
			t.Fatalf("token_info of the header's token: %d %s", r.Status, r.Body)
		}
		// A bad header is a 401 before the body is even read.
		for _, header := range []string{"dwat_unknown", revokedRaw, expiredRaw} {
			r := info(header, map[string]any{"access_token": other})
			apitest.WantError(t, r, 401, "authentication_error")
		}
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/app/token_info", Body: map[string]any{"access_token": other},
			Header: map[string]string{"Authorization": "Basic eDp5"}}), 401, "authentication_error")
		// A bad token in the body is a 400, with or without a header.
		for _, raw := range []string{"dwat_unknown", revokedRaw, expiredRaw} {
			for _, header := range []string{"", e.Token} {
				apitest.WantError(t, info(header, map[string]any{"access_token": raw}), 400, "bad_request")
				apitest.WantError(t, info(header, map[string]any{"accessToken": raw}), 400, "bad_request")
			}
		}
		checkBad(t, e, []badCase{
			{"no token at all", "POST", "/app/token_info", "-", map[string]any{}, 400, "validation_error"},
			{"number", "POST", "/app/token_info", "-", map[string]any{"access_token": 5}, 400, "validation_error"},
			{"object", "POST", "/app/token_info", "-", map[string]any{"accessToken": map[string]any{}}, 400, "validation_error"},
			{"too long", "POST", "/app/token_info", "-", map[string]any{"access_token": strings.Repeat("x", 600)}, 400, "validation_error"},
			{"malformed", "POST", "/app/token_info", "-", "{", 400, "bad_request"},
		})

		// Item 3: Drift's wording for every missing, unknown, expired or revoked token.
		for _, tok := range []string{"", "dwat_unknown", revokedRaw, expiredRaw} {
			r := e.Do(t, apitest.Request{Method: "GET", Path: "/contacts?email=x@example.com", Token: tok})
			apitest.WantError(t, r, 401, "authentication_error")
			if msg := r.Object(t)["error"].(map[string]any)["message"]; msg != "The access token is invalid or has expired" {
				t.Fatalf("401 message %q", msg)
			}
		}
	})
}
