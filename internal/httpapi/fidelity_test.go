package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/events"
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
		ada := e.NewAgent(t, e.OrgID, "Ada Agent", "ada@example.com")
		bob := e.NewAgent(t, e.OrgID, "Bob Agent", "bob@example.com")
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

func TestAccountsSizeAndOwner(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		ada := e.NewAgent(t, e.OrgID, "Ada", "ada@example.com")
		for i := range 70 {
			e.Call(t, "POST", "/accounts/create", map[string]any{"ownerId": ada, "domain": fmt.Sprintf("s%02d.example", i)}, http.StatusOK)
		}
		// Item 4: over 65 is capped (however large); next is relative.
		for _, size := range []string{"66", "1000", "99999999999999999999999"} {
			page := dataObj(t, e.Call(t, "GET", "/accounts?size="+size, nil, http.StatusOK))
			if n := len(page["accounts"].([]any)); n != 65 || page["next"] != "/accounts?index=65&size=65" {
				t.Fatalf("size=%s: %d accounts, next %v", size, n, page["next"])
			}
		}
		last := dataObj(t, e.Call(t, "GET", "/accounts?index=65&size=65", nil, http.StatusOK))
		if _, ok := last["next"]; ok || len(last["accounts"].([]any)) != 5 {
			t.Fatalf("last page %v", last)
		}
		// Item 5: any positive ownerId; another org's user is just an
		// unknown id (isolation: it answers exactly as a missing one).
		_, otherToken := e.NewOrg(t, "Other")
		foreign := num(dataObj(t, e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/users", Token: otherToken,
			Body: map[string]any{"name": "Foreign"}}).Object(t))["id"])
		for i, owner := range []any{987654321, foreign, "42"} {
			a := dataObj(t, e.Call(t, "POST", "/accounts/create", map[string]any{"ownerId": owner, "domain": fmt.Sprintf("o%d.example", i)}, http.StatusOK))
			if fmt.Sprint(a["ownerId"]) != fmt.Sprint(owner) {
				t.Fatalf("owner %v: %v", owner, a)
			}
		}
		upd := dataObj(t, e.Call(t, "PATCH", "/accounts/update", map[string]any{"accountId": fmt.Sprintf("%d_o0.example", e.OrgID), "ownerId": 555}, http.StatusOK))
		if num(upd["ownerId"]) != 555 {
			t.Fatalf("updated owner: %v", upd)
		}
		// Custom properties as sent, spaces and all.
		props := []map[string]any{
			{"name": " Tier ", "label": "  Customer tier ", "type": "string", "value": "  gold  "},
			{"name": "seats", "type": "NUMBER", "value": " 12 "},
		}
		a := dataObj(t, e.Call(t, "POST", "/accounts/create", map[string]any{"ownerId": ada, "domain": "props.example", "customProperties": props}, http.StatusOK))
		got := a["customProperties"].([]any)
		p0, p1 := got[0].(map[string]any), got[1].(map[string]any)
		if p0["name"] != " Tier " || p0["label"] != "  Customer tier " || p0["value"] != "  gold  " || p0["type"] != "STRING" ||
			p1["value"] != " 12 " || p1["label"] != "seats" {
			t.Fatalf("properties %v", got)
		}
		read := dataObj(t, e.Call(t, "GET", "/accounts/"+fmt.Sprint(a["accountId"]), nil, http.StatusOK))
		if fmt.Sprint(read["customProperties"]) != fmt.Sprint(a["customProperties"]) {
			t.Fatalf("read back %v", read["customProperties"])
		}
		checkBad(t, e, []badCase{
			{"size zero", "GET", "/accounts?size=0", "", nil, 400, "validation_error"},
			{"size negative", "GET", "/accounts?size=-3", "", nil, 400, "validation_error"},
			{"size huge negative", "GET", "/accounts?size=-99999999999999999999", "", nil, 400, "validation_error"},
			{"size text", "GET", "/accounts?size=ten", "", nil, 400, "validation_error"},
			{"owner zero", "POST", "/accounts/create", "", map[string]any{"ownerId": 0, "domain": "z.example"}, 400, "validation_error"},
			{"owner negative", "POST", "/accounts/create", "", map[string]any{"ownerId": -1, "domain": "z.example"}, 400, "validation_error"},
			{"owner object", "POST", "/accounts/create", "", map[string]any{"ownerId": map[string]any{}, "domain": "z.example"}, 400, "validation_error"},
			{"owner too long", "POST", "/accounts/create", "", map[string]any{"ownerId": strings.Repeat("9", 30), "domain": "z.example"}, 400, "validation_error"},
			{"blank property name", "POST", "/accounts/create", "", map[string]any{"ownerId": ada, "domain": "z.example",
				"customProperties": []map[string]any{{"name": "  ", "type": "STRING", "value": "x"}}}, 400, "validation_error"},
			{"foreign teammember", "POST", "/accounts/create", "", map[string]any{"ownerId": ada, "domain": "z.example",
				"customProperties": []map[string]any{{"name": "csm", "type": "TEAMMEMBER", "value": foreign}}}, 400, "validation_error"},
		})
	})
}

func TestStatsTranscriptAttachmentsContext(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		// Item 10: the visitor's context, given by the simulating caller or
		// read from the request; {} on every other message.
		var started conversationAnswer
		simStart := e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/simulate/conversations", Token: e.Token, Body: map[string]any{"email": "v@x.example", "body": "hi",
			"context": map[string]any{"ip": "203.0.113.7", "userAgent": "Mozilla/5.0 (X11)"}}})
		if simStart.Status != 200 {
			t.Fatalf("simulate: %d %s", simStart.Status, simStart.Body)
		}
		simStart.Decode(t, &started)
		id := started.Data.ID
		path := fmt.Sprintf("/conversations/%d/messages", id)
		r := e.Do(t, apitest.Request{Method: "POST", Path: fmt.Sprintf("/driftwood/v1/simulate/conversations/%d/messages", id), Token: e.Token,
			Body: map[string]any{"body": "again"}, Header: map[string]string{"User-Agent": "TestBrowser/1.0"}})
		if r.Status != 200 {
			t.Fatalf("simulate message: %d %s", r.Status, r.Body)
		}
		e.Call(t, "POST", path, map[string]any{"type": "chat", "body": "from the bot"}, http.StatusOK)
		upload(t, e, path, `{"type": "chat", "body": "see attached"}`, map[string][]byte{"a.txt": []byte("hello")}, 200, events.NewMessage)
		ms := e.Call(t, "GET", path, nil, http.StatusOK)["data"].(map[string]any)["messages"].([]any)
		wantContexts := []string{`map[ip:203.0.113.7 userAgent:Mozilla/5.0 (X11)]`, `map[ip:127.0.0.1 userAgent:TestBrowser/1.0]`, `map[]`, `map[]`}
		for i, m := range ms {
			ctx, ok := m.(map[string]any)["context"].(map[string]any)
			if !ok || fmt.Sprint(ctx) != wantContexts[i] {
				t.Fatalf("message %d context %v, want %s", i, m.(map[string]any)["context"], wantContexts[i])
			}
		}
		// ... and in the webhook payloads.
		var n int
		for _, ev := range eventsOf(t, e, e.OrgID, events.NewMessage) {
			if ctx, ok := ev["context"].(map[string]any); !ok || fmt.Sprint(ctx) != wantContexts[n] {
				t.Fatalf("new_message %d context %v", n, ev["context"])
			}
			n++
		}
		if n != 4 {
			t.Fatalf("%d new_message events", n)
		}

		// Item 9: attachments carry the id /attachments/{id}/data takes.
		att := ms[3].(map[string]any)["attachments"].([]any)[0].(map[string]any)
		attID := num(att["id"])
		if attID <= 0 || att["url"] != fmt.Sprintf("%s/attachments/%d/data", e.URL, attID) {
			t.Fatalf("attachment %v", att)
		}
		if r := e.Do(t, apitest.Request{Method: "GET", Path: fmt.Sprintf("/attachments/%d/data", attID), Token: e.Token}); r.Status != 200 || string(r.Body) != "hello" {
			t.Fatalf("attachment data: %d %s", r.Status, r.Body)
		}

		// Item 6: the stats also at the top level.
		stats := e.Call(t, "GET", "/conversations/stats", nil, http.StatusOK)
		top, _ := stats["conversationCount"].(map[string]any)
		if top == nil || fmt.Sprint(top) != fmt.Sprint(dataObj(t, stats)["conversationCount"]) || num(top["OPEN"]) != 1 {
			t.Fatalf("stats %v", stats)
		}
		// Item 7: the JSON transcript under data.messages.
		jt := dataObj(t, e.Call(t, "GET", fmt.Sprintf("/conversations/%d/json_transcript", id), nil, http.StatusOK))
		if entries, ok := jt["messages"].([]any); !ok || len(entries) != 4 || entries[1].(map[string]any)["body"] != "again" {
			t.Fatalf("json transcript %v", jt)
		}

		_, otherToken := e.NewOrg(t, "Other")
		sim := "/driftwood/v1/simulate/conversations"
		checkBad(t, e, []badCase{
			{"context not an object", "POST", sim, "", map[string]any{"email": "b@x.example", "body": "x", "context": "here"}, 400, "validation_error"},
			{"ip not an address", "POST", sim, "", map[string]any{"email": "b@x.example", "body": "x", "context": map[string]any{"ip": "nowhere"}}, 400, "validation_error"},
			{"ip a number", "POST", sim, "", map[string]any{"email": "b@x.example", "body": "x", "context": map[string]any{"ip": 7}}, 400, "validation_error"},
			{"userAgent too long", "POST", fmt.Sprintf("%s/%d/messages", sim, id), "", map[string]any{"body": "x",
				"context": map[string]any{"userAgent": strings.Repeat("u", 2000)}}, 400, "validation_error"},
			{"foreign transcript", "GET", fmt.Sprintf("/conversations/%d/json_transcript", id), otherToken, nil, 404, "not_found"},
			{"foreign attachment", "GET", fmt.Sprintf("/attachments/%d/data", attID), otherToken, nil, 404, "not_found"},
		})
		if got := len(e.Call(t, "GET", path, nil, http.StatusOK)["data"].(map[string]any)["messages"].([]any)); got != 4 {
			t.Fatalf("a refused post wrote a message: %d", got)
		}
	})
}

func TestLandingPages(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		lp := num(dataObj(t, e.Call(t, "POST", "/driftwood/v1/playbooks", map[string]any{"name": "Webinar", "landingPage": true}, http.StatusCreated))["id"])
		e.Call(t, "POST", "/driftwood/v1/playbooks", map[string]any{"name": "Not a page"}, http.StatusCreated)
		otherID, otherToken := e.NewOrg(t, "Other")
		e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/playbooks", Token: otherToken, Body: map[string]any{"name": "Theirs", "landingPage": true}})

		r := e.Do(t, apitest.Request{Method: "GET", Path: "/playbooks/clp", Token: e.Token})
		pages, ok := r.JSON(t).([]any)
		if r.Status != 200 || !ok || len(pages) != 1 {
			t.Fatalf("clp: %d %s", r.Status, r.Body)
		}
		p := pages[0].(map[string]any)
		url, _ := p["landingPageUrl"].(string)
		embed, query, ok := strings.Cut(strings.TrimPrefix(url, e.URL+"/chat/"), "?")
		tag, hasTag := strings.CutPrefix(embed, strconv.FormatInt(e.OrgID, 36)+"-")
		if num(p["playbookId"]) != lp || num(p["id"]) != lp || p["playbookName"] != "Webinar" || p["name"] != "Webinar" ||
			!strings.HasPrefix(url, e.URL+"/chat/") || !ok || query != fmt.Sprintf("playbookId=%d", lp) || !hasTag || !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(tag) {
			t.Fatalf("clp entry %v", p)
		}
		// Stable: the same URL on every read.
		again := e.Do(t, apitest.Request{Method: "GET", Path: "/playbooks/clp", Token: e.Token}).JSON(t).([]any)
		if again[0].(map[string]any)["landingPageUrl"] != url {
			t.Fatalf("landingPageUrl changed: %v", again)
		}
		// The other org's page is on its own embedId, whose tag is not ours.
		theirs := e.Do(t, apitest.Request{Method: "GET", Path: "/playbooks/clp", Token: otherToken}).JSON(t).([]any)
		theirURL, _ := theirs[0].(map[string]any)["landingPageUrl"].(string)
		if len(theirs) != 1 || !strings.HasPrefix(theirURL, e.URL+"/chat/"+strconv.FormatInt(otherID, 36)+"-") || strings.Contains(theirURL, tag) {
			t.Fatalf("other org's clp %v", theirs)
		}
	})
}

func TestMeetingsLimit(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		agent := e.NewAgent(t, e.OrgID, "Ada", "ada@example.com")
		ct := num(dataObj(t, e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": "m@x.example"}}, http.StatusOK))["id"])
		start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC).UnixMilli()
		const n = 101
		for i := range n {
			slot := start + int64(i)*60_000
			e.Call(t, "POST", "/driftwood/v1/meetings", map[string]any{"agentId": agent, "schedulerId": ct,
				"slotStart": slot, "slotEnd": slot + 30*60_000, "eventId": fmt.Sprintf("evt-%03d", i)}, http.StatusCreated)
		}
		list := func(limit string) []any {
			path := fmt.Sprintf("/users/meetings/org?min_start_time=%d&max_start_time=%d", start, start+24*3600_000)
			if limit != "" {
				path += "&limit=" + limit
			}
			return dataList(t, e.Call(t, "GET", path, nil, http.StatusOK))
		}
		if got := list(""); len(got) != 100 || got[0].(map[string]any)["eventId"] != "evt-000" {
			t.Fatalf("default: %d meetings", len(got))
		}
		if got := list("3"); len(got) != 3 || got[2].(map[string]any)["eventId"] != "evt-002" {
			t.Fatalf("limit 3: %v", got)
		}
		for _, big := range []string{"1000", "1001", "99999999999999999999999"} {
			if got := list(big); len(got) != n {
				t.Fatalf("limit %s: %d meetings", big, len(got))
			}
		}
		base := fmt.Sprintf("/users/meetings/org?min_start_time=%d&max_start_time=%d&limit=", start, start+1000)
		checkBad(t, e, []badCase{
			{"zero", "GET", base + "0", "", nil, 400, "validation_error"},
			{"negative", "GET", base + "-1", "", nil, 400, "validation_error"},
			{"text", "GET", base + "ten", "", nil, 400, "validation_error"},
			{"fraction", "GET", base + "2.5", "", nil, 400, "validation_error"},
		})
	})
}

func TestContactsListAndTimeline(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		var made []int64
		for i := range 7 {
			c := dataObj(t, e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{
				"email": fmt.Sprintf("c%d@x.example", i), "externalId": fmt.Sprintf("ext-%d", i)}}, http.StatusOK))
			made = append(made, num(c["id"]))
		}
		_, otherToken := e.NewOrg(t, "Other")
		e.Do(t, apitest.Request{Method: "POST", Path: "/contacts", Token: otherToken, Body: map[string]any{"attributes": map[string]any{"email": "theirs@x.example"}}})

		// Item 14: newest first, paged by next (or page_token, or links.next).
		first := e.Call(t, "GET", "/contacts?limit=3", nil, http.StatusOK)
		var seen []int64
		page := first
		for pages := 0; ; pages++ {
			for _, c := range dataList(t, page) {
				seen = append(seen, num(c.(map[string]any)["id"]))
			}
			p := page["pagination"].(map[string]any)
			if p["more"] != true {
				break
			}
			if pages == 0 {
				next := page["links"].(map[string]any)["next"].(string)
				page = e.Call(t, "GET", strings.TrimPrefix(next, e.URL), nil, http.StatusOK)
				continue
			}
			page = e.Call(t, "GET", "/contacts?limit=3&page_token="+p["next"].(string), nil, http.StatusOK)
		}
		if len(seen) != 7 {
			t.Fatalf("listed %v, made %v", seen, made)
		}
		for i, id := range seen {
			if id != made[6-i] {
				t.Fatalf("not newest first: %v (made %v)", seen, made)
			}
		}
		if all := dataList(t, e.Call(t, "GET", "/contacts", nil, http.StatusOK)); len(all) != 7 {
			t.Fatalf("default page: %d contacts", len(all))
		}
		if capped := dataList(t, e.Call(t, "GET", "/contacts?limit=5000", nil, http.StatusOK)); len(capped) != 7 {
			t.Fatalf("capped limit: %d contacts", len(capped))
		}
		theirs := e.Do(t, apitest.Request{Method: "GET", Path: "/contacts", Token: otherToken}).Object(t)
		if l := dataList(t, theirs); len(l) != 1 {
			t.Fatalf("other org lists %v", l)
		}
		firstNext := first["pagination"].(map[string]any)["next"].(string)

		// Item 12: contactId 0 or null beside externalId.
		for _, body := range []map[string]any{
			{"contactId": 0, "externalId": "ext-2", "event": "zero"},
			{"contactId": nil, "externalId": "ext-2", "event": "null"},
			{"contactId": "0", "externalId": "ext-2", "event": "zero string"},
		} {
			ev := dataObj(t, e.Call(t, "POST", "/contacts/timeline", body, http.StatusOK))
			if num(ev["contactId"]) != made[2] {
				t.Fatalf("%v: %v", body, ev)
			}
		}
		checkBad(t, e, []badCase{
			{"limit zero", "GET", "/contacts?limit=0", "", nil, 400, "validation_error"},
			{"limit text", "GET", "/contacts?limit=many", "", nil, 400, "validation_error"},
			{"forged next", "GET", "/contacts?next=abc", "", nil, 400, "validation_error"},
			{"another org's next", "GET", "/contacts?next=" + firstNext, otherToken, nil, 400, "validation_error"},
			{"timeline 0 without externalId", "POST", "/contacts/timeline", "", map[string]any{"contactId": 0, "event": "x"}, 400, "validation_error"},
			{"timeline 0 unknown externalId", "POST", "/contacts/timeline", "", map[string]any{"contactId": 0, "externalId": "nope", "event": "x"}, 404, "not_found"},
			{"timeline 0 foreign externalId", "POST", "/contacts/timeline", otherToken, map[string]any{"contactId": 0, "externalId": "ext-1", "event": "x"}, 404, "not_found"},
			{"timeline externalId an object", "POST", "/contacts/timeline", "", map[string]any{"contactId": 0, "externalId": map[string]any{}, "event": "x"}, 400, "validation_error"},
			{"timeline contactId negative", "POST", "/contacts/timeline", "", map[string]any{"contactId": -1, "externalId": "ext-1", "event": "x"}, 400, "validation_error"},
		})
	})
}

func TestReplyButtonsAsSent(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		c, _ := startVisitor(t, e, "b@x.example", "hi")
		path := fmt.Sprintf("/conversations/%d/messages", c.ID)
		buttons := []map[string]any{
			{"label": "Yes please", "value": "yes", "type": "reply", "style": "primary"},
			{"label": "No", "value": "no-thanks", "style": "danger"},
			{"label": "Maybe"},
		}
		m := e.Call(t, "POST", path, map[string]any{"type": "chat", "body": "Interested?", "buttons": buttons}, http.StatusOK)["data"].(map[string]any)["messages"].([]any)[0].(map[string]any)
		want := `[map[label:Yes please style:primary type:reply value:yes] map[label:No style:danger type:reply value:no-thanks] map[label:Maybe type:reply value:Maybe]]`
		if fmt.Sprint(m["buttons"]) != want {
			t.Fatalf("buttons %v", m["buttons"])
		}
		listed := e.Call(t, "GET", path, nil, http.StatusOK)["data"].(map[string]any)["messages"].([]any)
		if got := listed[len(listed)-1].(map[string]any)["buttons"]; fmt.Sprint(got) != want {
			t.Fatalf("stored buttons %v", got)
		}
		// A visitor's click names the value and posts the label.
		click := e.Call(t, "POST", fmt.Sprintf("/driftwood/v1/simulate/conversations/%d/messages", c.ID),
			map[string]any{"button": map[string]any{"messageId": m["id"], "value": "no-thanks"}}, http.StatusOK)
		if body := click["data"].(map[string]any)["messages"].([]any)[0].(map[string]any)["body"]; body != "No" {
			t.Fatalf("click posted %v", body)
		}
		clicked := eventsOf(t, e, e.OrgID, events.ButtonClicked)
		if len(clicked) != 1 || fmt.Sprint(clicked[0]["button"]) != "map[label:No style:danger type:reply value:no-thanks]" {
			t.Fatalf("button_clicked %v", clicked)
		}
		checkBad(t, e, []badCase{
			{"click by label", "POST", fmt.Sprintf("/driftwood/v1/simulate/conversations/%d/messages", c.ID), "",
				map[string]any{"button": map[string]any{"messageId": m["id"], "value": "No"}}, 400, "validation_error"},
			{"style an object", "POST", path, "", map[string]any{"body": "x", "buttons": []map[string]any{{"label": "a", "style": map[string]any{}}}}, 400, "validation_error"},
			{"value a number", "POST", path, "", map[string]any{"body": "x", "buttons": []map[string]any{{"label": "a", "value": 3}}}, 400, "validation_error"},
		})
	})
}

func TestAutoAssignee(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		ada := e.NewAgent(t, e.OrgID, "Ada", "ada@example.com")
		bob := e.NewAgent(t, e.OrgID, "Bob", "bob@example.com")
		for i, assignee := range []any{ada, fmt.Sprint(ada)} {
			c := e.Call(t, "POST", "/conversations/new", map[string]any{"email": fmt.Sprintf("v%d@x.example", i),
				"message": map[string]any{"body": "Hello", "attributes": map[string]any{"autoAssigneeId": assignee, "integrationSource": "form"}}}, http.StatusOK)
			id := num(c["id"])
			if fmt.Sprint(c["participants"]) != fmt.Sprint([]any{json.Number(fmt.Sprint(ada))}) {
				t.Fatalf("participants %v", c["participants"])
			}
			got := dataObj(t, e.Call(t, "GET", fmt.Sprintf("/conversations/%d", id), nil, http.StatusOK))
			if fmt.Sprint(got["participants"]) != fmt.Sprint(c["participants"]) {
				t.Fatalf("stored participants %v", got["participants"])
			}
			var added []map[string]any
			for _, ev := range eventsOf(t, e, e.OrgID, events.ConversationParticipantAdded) {
				if num(ev["conversationId"]) == id {
					added = append(added, ev)
				}
			}
			if len(added) != 1 || fmt.Sprint(added[0]["addedParticipants"]) != fmt.Sprint([]any{json.Number(fmt.Sprint(ada))}) {
				t.Fatalf("participant events %v", added)
			}
			// An agent who posts joins the participants too.
			e.Call(t, "POST", fmt.Sprintf("/conversations/%d/messages", id), map[string]any{"type": "chat", "body": "Hi", "userId": bob}, http.StatusOK)
			got = dataObj(t, e.Call(t, "GET", fmt.Sprintf("/conversations/%d", id), nil, http.StatusOK))
			if fmt.Sprint(got["participants"]) != fmt.Sprint([]any{json.Number(fmt.Sprint(ada)), json.Number(fmt.Sprint(bob))}) {
				t.Fatalf("participants after bob posted %v", got["participants"])
			}
		}
		// 0 and null assign nobody.
		for i, none := range []any{0, nil} {
			c := e.Call(t, "POST", "/conversations/new", map[string]any{"email": fmt.Sprintf("n%d@x.example", i),
				"message": map[string]any{"body": "Hello", "attributes": map[string]any{"autoAssigneeId": none}}}, http.StatusOK)
			if len(c["participants"].([]any)) != 0 {
				t.Fatalf("participants %v", c["participants"])
			}
		}
		_, otherToken := e.NewOrg(t, "Other")
		foreign := num(dataObj(t, e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/users", Token: otherToken,
			Body: map[string]any{"name": "Foreign"}}).Object(t))["id"])
		bad := func(name string, v any) badCase {
			return badCase{name, "POST", "/conversations/new", "", map[string]any{"email": "refused@x.example",
				"message": map[string]any{"body": "Hello", "attributes": map[string]any{"autoAssigneeId": v}}}, 400, "validation_error"}
		}
		checkBad(t, e, []badCase{bad("unknown", 987654321), bad("foreign", foreign), bad("text", "ada"), bad("object", map[string]any{}),
			bad("negative", -5), bad("overflowing", strings.Repeat("9", 30)), bad("bool", true)})
		unknown := e.Do(t, apitest.Request{Method: "POST", Path: "/conversations/new", Token: e.Token, Body: bad("", 987654321).body})
		theirs := e.Do(t, apitest.Request{Method: "POST", Path: "/conversations/new", Token: e.Token, Body: bad("", foreign).body})
		if strings.ReplaceAll(string(theirs.Body), fmt.Sprint(foreign), "987654321") != string(unknown.Body) {
			t.Fatalf("another org's user answers otherwise than a missing one:\n%s\n%s", theirs.Body, unknown.Body)
		}
		if cs := dataList(t, e.Call(t, "GET", "/contacts?email=refused@x.example", nil, http.StatusOK)); len(cs) != 0 {
			t.Fatalf("a refused start wrote its contact: %v", cs)
		}
	})
}

func TestOAuthCamelCase(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		a := newOAuthApp(t, e, nil)
		_, custAdmin := e.NewOrg(t, "Customer")
		code := consentCode(t, e, authorizeForm(a, ""), custAdmin)
		jsonPost := func(body map[string]any) *apitest.Response {
			return e.Do(t, apitest.Request{Method: "POST", Path: "/oauth2/token", Body: body})
		}
		r := jsonPost(map[string]any{"grantType": "authorization_code", "clientId": a.ClientID, "clientSecret": a.ClientSecret,
			"code": code, "redirectUri": redirectURI, "codeVerifier": verifier})
		var tok tokenAnswer
		if r.Status != 200 {
			t.Fatalf("camelCase exchange: %d %s", r.Status, r.Body)
		}
		r.Decode(t, &tok)
		if status(t, e, tok.AccessToken) != 200 || tok.RefreshToken == "" {
			t.Fatalf("token %+v", tok)
		}
		// Refresh in camelCase; the same field twice alike is fine.
		r = jsonPost(map[string]any{"grantType": "refresh_token", "grant_type": "refresh_token", "clientId": a.ClientID,
			"clientSecret": a.ClientSecret, "refreshToken": tok.RefreshToken})
		var next tokenAnswer
		if r.Status != 200 {
			t.Fatalf("camelCase refresh: %d %s", r.Status, r.Body)
		}
		r.Decode(t, &next)
		if status(t, e, next.AccessToken) != 200 {
			t.Fatal("the refreshed token does not work")
		}
		wantOAuthError(t, jsonPost(map[string]any{"grantType": "refresh_token", "grant_type": "authorization_code", "clientId": a.ClientID,
			"clientSecret": a.ClientSecret, "refreshToken": next.RefreshToken}), 400, "invalid_request")
		wantOAuthError(t, jsonPost(map[string]any{"grantType": 5, "clientId": a.ClientID, "clientSecret": a.ClientSecret}), 400, "invalid_request")
		wantOAuthError(t, jsonPost(map[string]any{"grantType": "refresh_token", "clientId": a.ClientID, "clientSecret": "wrong",
			"refreshToken": next.RefreshToken}), 401, "invalid_client")
		wantOAuthError(t, jsonPost(map[string]any{"grantType": "password", "clientId": a.ClientID, "clientSecret": a.ClientSecret}), 400, "unsupported_grant_type")
		// The refused attempts left the grant working.
		if status(t, e, next.AccessToken) != 200 {
			t.Fatal("a refused request revoked the grant")
		}
	})
}

func TestReports(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		ada := e.NewAgent(t, e.OrgID, "Ada", "ada@example.com")
		c1, _ := startVisitor(t, e, "one@x.example", "Hello?")
		first := e.Call(t, "GET", fmt.Sprintf("/conversations/%d/messages", c1.ID), nil, http.StatusOK)["data"].(map[string]any)["messages"].([]any)[0].(map[string]any)
		reply := e.Call(t, "POST", fmt.Sprintf("/conversations/%d/messages", c1.ID), map[string]any{"type": "chat", "body": "Hi!", "userId": ada}, http.StatusOK)["data"].(map[string]any)["messages"].([]any)[0].(map[string]any)
		closed := dataObj(t, e.Call(t, "PATCH", fmt.Sprintf("/driftwood/v1/conversations/%d", c1.ID), map[string]any{"status": "closed"}, http.StatusOK))
		c2, _ := startVisitor(t, e, "two@x.example", "Anyone?")
		e.Call(t, "POST", fmt.Sprintf("/conversations/%d/messages", c2.ID), map[string]any{"type": "chat", "body": "I am a bot"}, http.StatusOK)
		c3, _ := startVisitor(t, e, "three@x.example", "Hm")
		_, otherToken := e.NewOrg(t, "Other")
		var theirs conversationAnswer
		r := e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/simulate/conversations", Token: otherToken, Body: map[string]any{"email": "o@x.example", "body": "x"}})
		r.Decode(t, &theirs)

		report := func(path string, body any) map[string]any { return e.Call(t, "POST", path, body, http.StatusOK) }
		// The documented example: conversations an agent took part in, between two dates.
		today := time.Now().UTC().Format(time.DateOnly)
		got := report("/reports/conversations", map[string]any{
			"filters": []map[string]any{{"property": "lastAgentId", "operation": "HAS_PROPERTY"},
				{"property": "firstCloseAt", "operation": "BETWEEN", "values": []any{today, today}}},
			"metrics": []string{"timeToCloseMillis", "timeToAgentResponseMillis", "firstAgentMessageAt", "relatedPlaybookId", "lastAgentId"},
		})
		rows := got["data"].([]any)
		if num(got["count"]) != 1 || len(rows) != 1 {
			t.Fatalf("report %v", got)
		}
		row := rows[0].(map[string]any)
		ms := row["metrics"].([]any)
		wantClose := num(closed["updatedAt"]) - c1.CreatedAt
		wantResponse := num(reply["createdAt"]) - num(first["createdAt"])
		if num(row["conversationId"]) != c1.ID || num(ms[0]) != wantClose || num(ms[1]) != wantResponse ||
			num(ms[2]) != num(reply["createdAt"]) || ms[3] != "NaN" || num(ms[4]) != ada {
			t.Fatalf("row %v, want close %d, response %d", row, wantClose, wantResponse)
		}
		// Epoch ms bounds, status, IN and comparisons.
		for _, c := range []struct {
			filters []map[string]any
			want    []int64
		}{
			{nil, []int64{c1.ID, c2.ID, c3.ID}},
			{[]map[string]any{{"property": "status", "operation": "EQUALS", "values": []any{"open"}}}, []int64{c2.ID, c3.ID}},
			{[]map[string]any{{"property": "status", "operation": "not_in", "values": []any{"OPEN", "PENDING"}}}, []int64{c1.ID}},
			{[]map[string]any{{"property": "conversationId", "operation": "IN", "values": []any{c2.ID, theirs.Data.ID, 987654321}}}, []int64{c2.ID}},
			{[]map[string]any{{"property": "botMessageCount", "operation": "GREATER_THAN", "values": []any{0}}}, []int64{c2.ID}},
			{[]map[string]any{{"property": "messageCount", "operation": "LTE", "values": []any{"1"}}}, []int64{c3.ID}},
			{[]map[string]any{{"property": "createdAt", "operation": "BETWEEN", "values": []any{c2.CreatedAt, c3.CreatedAt}}}, []int64{c2.ID, c3.ID}},
			{[]map[string]any{{"property": "firstCloseAt", "operation": "DOES_NOT_HAVE_PROPERTY"}}, []int64{c2.ID, c3.ID}},
		} {
			got := report("/reports/conversations", map[string]any{"filters": c.filters, "metrics": []string{"messageCount"}})
			var ids []int64
			for _, r := range got["data"].([]any) {
				ids = append(ids, num(r.(map[string]any)["conversationId"]))
			}
			if fmt.Sprint(ids) != fmt.Sprint(c.want) || num(got["count"]) != int64(len(c.want)) {
				t.Errorf("filters %v: %v (count %v), want %v", c.filters, ids, got["count"], c.want)
			}
		}
		// The summary sums each metric up over the matching conversations.
		sum := report("/reports/conversation-summary", map[string]any{"metrics": []string{"messageCount", "timeToCloseMillis", "relatedPlaybookId"}})
		if num(sum["count"]) != 3 {
			t.Fatalf("summary %v", sum)
		}
		want := fmt.Sprintf("[map[average:1.6666666666666667 count:3 max:2 metric:messageCount min:1 sum:5] map[average:%d count:1 max:%d metric:timeToCloseMillis min:%d sum:%d] map[average:NaN count:0 max:NaN metric:relatedPlaybookId min:NaN sum:NaN]]",
			wantClose, wantClose, wantClose, wantClose)
		if fmt.Sprint(sum["data"]) != want {
			t.Fatalf("summary data\n%v\nwant\n%s", sum["data"], want)
		}

		readOnly := e.NewToken(t, e.OrgID, auth.ContactRead)
		bad := func(name string, body any) badCase {
			return badCase{name, "POST", "/reports/conversations", "", body, 400, "validation_error"}
		}
		filter := func(f map[string]any) map[string]any {
			return map[string]any{"filters": []map[string]any{f}, "metrics": []string{}}
		}
		checkBad(t, e, []badCase{
			bad("empty", map[string]any{}),
			bad("unknown metric", map[string]any{"metrics": []string{"happiness"}}),
			bad("metric a number", map[string]any{"metrics": []any{5}}),
			bad("metrics a string", map[string]any{"metrics": "messageCount"}),
			bad("filters an object", map[string]any{"filters": map[string]any{}}),
			bad("unknown property", filter(map[string]any{"property": "mood", "operation": "EQUALS", "values": []any{1}})),
			bad("unknown operation", filter(map[string]any{"property": "createdAt", "operation": "NEAR", "values": []any{1}})),
			bad("between one value", filter(map[string]any{"property": "createdAt", "operation": "BETWEEN", "values": []any{1}})),
			bad("between backwards", filter(map[string]any{"property": "createdAt", "operation": "BETWEEN", "values": []any{2, 1}})),
			bad("not a date", filter(map[string]any{"property": "createdAt", "operation": "GT", "values": []any{"yesterday"}})),
			bad("value an object", filter(map[string]any{"property": "createdAt", "operation": "GT", "values": []any{map[string]any{}}})),
			bad("text comparison", filter(map[string]any{"property": "status", "operation": "GT", "values": []any{"OPEN"}})),
			bad("status a number", filter(map[string]any{"property": "status", "operation": "EQUALS", "values": []any{1}})),
			bad("no values", filter(map[string]any{"property": "conversationId", "operation": "IN", "values": []any{}})),
			bad("too many metrics", map[string]any{"metrics": slicesRepeat("messageCount", 51)}),
			bad("over-long property", filter(map[string]any{"property": strings.Repeat("p", 5000), "operation": "EQUALS", "values": []any{1}})),
			{"malformed", "POST", "/reports/conversation-summary", "", "{", 400, "bad_request"},
			{"summary unknown metric", "POST", "/reports/conversation-summary", "", map[string]any{"metrics": []string{"x"}}, 400, "validation_error"},
			{"no scope", "POST", "/reports/conversations", readOnly, map[string]any{"metrics": []string{"messageCount"}}, 403, "insufficient_scope"},
			{"no scope summary", "POST", "/reports/conversation-summary", readOnly, map[string]any{"metrics": []string{"messageCount"}}, 403, "insufficient_scope"},
		})
	})
}

func slicesRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}
