package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
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
		if tok == "" {
			tok = e.Token
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
