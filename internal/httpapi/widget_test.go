package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/config"
	"github.com/driftwood-chat/driftwood/internal/sse"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
	"github.com/driftwood-chat/driftwood/internal/widget"
)

// visitorOf is one widget visitor: the embed id and a session token.
type visitorOf struct {
	e     *apitest.Env
	embed string
	token string
}

func newVisitor(t *testing.T, e *apitest.Env, token string) *visitorOf {
	t.Helper()
	embed := e.Call(t, "GET", "/driftwood/v1/widget", nil, 200)["data"].(map[string]any)["embedId"].(string)
	r := e.Do(t, apitest.Request{Method: "POST", Path: "/widget/v1/" + embed + "/sessions", Body: map[string]any{}})
	if r.Status != http.StatusCreated {
		t.Fatalf("session: %d %s", r.Status, r.Body)
	}
	return &visitorOf{e: e, embed: embed, token: r.Object(t)["data"].(map[string]any)["token"].(string)}
}

func (v *visitorOf) do(t *testing.T, method, path string, body any) *apitest.Response {
	t.Helper()
	return v.e.Do(t, apitest.Request{Method: method, Path: "/widget/v1/" + v.embed + path, Token: v.token, Body: body})
}

func (v *visitorOf) call(t *testing.T, method, path string, body any) map[string]any {
	t.Helper()
	r := v.do(t, method, path, body)
	if r.Status != 200 {
		t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
	}
	return r.Object(t)["data"].(map[string]any)
}

func idOf(v any) int64 {
	n, _ := v.(json.Number).Int64()
	return n
}

func TestWidgetSettings(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		got := e.Call(t, "GET", "/driftwood/v1/widget", nil, 200)["data"].(map[string]any)
		if got["identityMode"] != "DISABLED" || got["identitySecretSet"] != false || !strings.Contains(got["snippet"].(string), e.URL+"/include/") {
			t.Fatalf("defaults: %v", got)
		}
		for _, bad := range []map[string]any{
			{"themeColor": "red"}, {"position": "top"}, {"identityMode": "SOMETIMES"}, {"allowedOrigins": []string{"https://x.example/path"}},
			{"allowedOrigins": []string{"javascript:alert(1)"}}, {"hours": map[string]any{"mode": "scheduled", "timeZone": "Mars/Olympus"}},
			{"hours": map[string]any{"mode": "scheduled", "timeZone": "UTC", "schedule": []any{map[string]any{"day": "mon", "start": "18:00", "end": "09:00"}}}},
			{"onlineGreeting": strings.Repeat("x", 2000)},
		} {
			apitest.WantError(t, e.Do(t, apitest.Request{Method: "PATCH", Path: "/driftwood/v1/widget", Token: e.Token, Body: bad}), 400, "validation_error")
		}
		set := e.Call(t, "PATCH", "/driftwood/v1/widget", map[string]any{"identityMode": "REQUIRED", "allowedOrigins": []string{"HTTPS://WWW.Example.com/"}}, 200)["data"].(map[string]any)
		secret, _ := set["identitySecret"].(string)
		if !strings.HasPrefix(secret, "dwws_") || set["allowedOrigins"].([]any)[0] != "https://www.example.com" {
			t.Fatalf("first secret: %v", set)
		}
		again := e.Call(t, "GET", "/driftwood/v1/widget", nil, 200)["data"].(map[string]any)
		if _, shown := again["identitySecret"]; shown || again["identitySecretSet"] != true {
			t.Fatalf("the secret is shown again: %v", again)
		}
		rotated := e.Call(t, "PATCH", "/driftwood/v1/widget", map[string]any{"rotateIdentitySecret": true}, 200)["data"].(map[string]any)
		if s, _ := rotated["identitySecret"].(string); s == "" || s == secret {
			t.Fatalf("rotation: %v", rotated)
		}
		if len(e.RowsContaining(t, secret)) > 0 {
			t.Fatal("the identity secret is stored raw")
		}
	})
}

// A visitor's first message starts a conversation as a new anonymous
// contact and fires new_conversation and new_message (author the contact,
// context with the IP and user agent), as the REST API sees it; the visitor
// sees only their own conversations and files.
func TestWidgetVisitor(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		a, b := newVisitor(t, e, ""), newVisitor(t, e, "")
		r := e.Do(t, apitest.Request{Method: "POST", Path: "/widget/v1/" + a.embed + "/messages", Token: a.token,
			Body: map[string]any{"body": "<script>alert(1)</script> hi"}, Header: map[string]string{"User-Agent": "WidgetTest/1.0"}})
		if r.Status != 200 {
			t.Fatalf("first message: %d %s", r.Status, r.Body)
		}
		first := r.Object(t)["data"].(map[string]any)
		conv := idOf(first["conversation"].(map[string]any)["id"])
		if first["message"].(map[string]any)["text"] != "<script>alert(1)</script> hi" {
			t.Fatalf("the visitor's text: %v", first["message"])
		}
		msgs := e.Call(t, "GET", fmt.Sprintf("/conversations/%d/messages", conv), nil, 200)["data"].(map[string]any)["messages"].([]any)
		m := msgs[0].(map[string]any)
		if m["author"].(map[string]any)["type"] != "contact" || m["body"] != "&lt;script&gt;alert(1)&lt;/script&gt; hi" {
			t.Fatalf("through the API: %v", m)
		}
		var types []string
		var ctx map[string]any
		rows, err := e.RawDB(t).Query(`SELECT type, data FROM events WHERE org_id = $1 ORDER BY id`, e.OrgID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var typ, data string
			rows.Scan(&typ, &data)
			types = append(types, typ)
			if typ == "new_message" {
				var ev struct {
					Context map[string]any `json:"context"`
				}
				json.Unmarshal([]byte(data), &ev)
				ctx = ev.Context
			}
		}
		rows.Close()
		if strings.Join(types, ",") != "new_conversation,new_message" || ctx["userAgent"] != "WidgetTest/1.0" || ctx["ip"] == "" {
			t.Fatalf("events %v, context %v", types, ctx)
		}

		// B cannot post to, mark or read A's conversation, nor fetch its file.
		apitest.WantError(t, b.do(t, "POST", "/messages", map[string]any{"body": "x", "conversationId": conv}), 404, "not_found")
		apitest.WantError(t, b.do(t, "POST", "/read", map[string]any{"conversationId": conv, "messageId": 1}), 404, "not_found")
		if st := b.call(t, "GET", "/conversation", nil); st["conversation"] != nil {
			t.Fatalf("B sees %v", st["conversation"])
		}
		var mp bytes.Buffer
		mw := multipart.NewWriter(&mp)
		mw.WriteField("message", fmt.Sprintf(`{"body":"a file","conversationId":%d}`, conv))
		fw, _ := mw.CreateFormFile("file", "notes.txt")
		fw.Write([]byte("plain notes"))
		mw.Close()
		up := e.Do(t, apitest.Request{Method: "POST", Path: "/widget/v1/" + a.embed + "/messages", Token: a.token, Body: mp.Bytes(),
			Header: map[string]string{"Content-Type": mw.FormDataContentType()}})
		if up.Status != 200 {
			t.Fatalf("upload: %d %s", up.Status, up.Body)
		}
		file := idOf(up.Object(t)["data"].(map[string]any)["message"].(map[string]any)["attachments"].([]any)[0].(map[string]any)["id"])
		if r := a.do(t, "GET", fmt.Sprintf("/attachments/%d", file), nil); r.Status != 200 || string(r.Body) != "plain notes" {
			t.Fatalf("A's own file: %d %s", r.Status, r.Body)
		}
		apitest.WantError(t, b.do(t, "GET", fmt.Sprintf("/attachments/%d", file), nil), 404, "not_found")

		// Bad input, refused with nothing written.
		before := len(e.Call(t, "GET", fmt.Sprintf("/conversations/%d/messages", conv), nil, 200)["data"].(map[string]any)["messages"].([]any))
		for what, upload := range map[string][]byte{"html": []byte("<html><script>alert(1)</script></html>"), "zip": []byte("PK\x03\x04 a zip"),
			"oversize": bytes.Repeat([]byte("a"), 5<<20+1)} {
			var mp bytes.Buffer
			mw := multipart.NewWriter(&mp)
			mw.WriteField("message", fmt.Sprintf(`{"body":"bad file","conversationId":%d}`, conv))
			fw, _ := mw.CreateFormFile("file", what+".bin")
			fw.Write(upload)
			mw.Close()
			r := e.Do(t, apitest.Request{Method: "POST", Path: "/widget/v1/" + a.embed + "/messages", Token: a.token, Body: mp.Bytes(),
				Header: map[string]string{"Content-Type": mw.FormDataContentType()}})
			if r.Status != 415 && r.Status != 413 {
				t.Errorf("%s upload: %d %s", what, r.Status, r.Body)
			}
		}
		for name, tok := range map[string]string{"forged": "dwvs_forgedforgedforgedforgedforgedforged", "api token": e.Token, "none": ""} {
			r := e.Do(t, apitest.Request{Method: "POST", Path: "/widget/v1/" + a.embed + "/messages", Token: tok, Body: map[string]any{"body": "x"}})
			apitest.WantError(t, r, 401, "authentication_error")
			_ = name
		}
		otherOrg, otherTok := e.NewOrg(t, "Other")
		_ = otherOrg
		other := newVisitor(t, &apitest.Env{URL: e.URL, App: e.App, Server: e.Server, Token: otherTok}, "")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "GET", Path: "/widget/v1/" + a.embed + "/conversation", Token: other.token}), 401, "authentication_error")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "GET", Path: "/widget/v1/1-000000000000/conversation", Token: a.token}), 404, "not_found")
		if n := len(e.Call(t, "GET", fmt.Sprintf("/conversations/%d/messages", conv), nil, 200)["data"].(map[string]any)["messages"].([]any)); n != before {
			t.Fatalf("refused posts wrote: %d messages, want %d", n, before)
		}

		// Origins: Driftwood's own and allowed ones pass (CORS), others are refused.
		e.Call(t, "PATCH", "/driftwood/v1/widget", map[string]any{"allowedOrigins": []string{"https://shop.example"}}, 200)
		for origin, want := range map[string]int{"https://shop.example": 200, e.URL: 200, "https://evil.example": 403} {
			r := e.Do(t, apitest.Request{Method: "GET", Path: "/widget/v1/" + a.embed + "/conversation", Token: a.token, Header: map[string]string{"Origin": origin}})
			if r.Status != want || (want == 200 && r.Header.Get("Access-Control-Allow-Origin") != origin) {
				t.Errorf("origin %s: %d (ACAO %q), want %d", origin, r.Status, r.Header.Get("Access-Control-Allow-Origin"), want)
			}
		}
	})
}

// Identity modes: DISABLED applies an identify to the visitor's own
// contact only; ENABLED ties a visitor with a valid signed identity to its
// contact (and its earlier conversations) and leaves the others anonymous;
// REQUIRED ignores unsigned identities. An unsigned identify naming an
// existing contact never reaches that contact or its conversations.
func TestWidgetIdentity(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		ct := e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": "known@acme.example", "externalId": "crm-42", "name": "Known"}}, 200)
		_ = ct
		old := e.Call(t, "POST", "/conversations/new", map[string]any{"email": "known@acme.example", "message": map[string]any{"body": "an old secret"}}, 200)
		oldConv := idOf(old["id"])

		// DISABLED: unsigned, naming the known contact: nothing of theirs.
		v := newVisitor(t, e, "")
		v.call(t, "POST", "/identify", map[string]any{"externalId": "crm-42", "attributes": map[string]any{"email": "known@acme.example", "name": "Impostor"}})
		st := v.call(t, "GET", "/conversation", nil)
		if st["conversation"] != nil || st["verified"] != false {
			t.Fatalf("unsigned identify reached %v", st)
		}
		apitest.WantError(t, v.do(t, "POST", "/messages", map[string]any{"body": "x", "conversationId": oldConv}), 404, "not_found")
		known := e.Call(t, "GET", "/contacts?email=known@acme.example", nil, 200)["data"].([]any)[0].(map[string]any)["attributes"].(map[string]any)
		if known["name"] != "Known" {
			t.Fatalf("the known contact changed: %v", known)
		}

		secret := e.Call(t, "PATCH", "/driftwood/v1/widget", map[string]any{"identityMode": "ENABLED"}, 200)["data"].(map[string]any)["identitySecret"].(string)
		good := widget.SignIdentity(widget.Identity{ExternalID: "crm-42", Email: "known@acme.example"}, secret, time.Now().Add(time.Hour))
		for name, jwt := range map[string]string{
			"wrong secret": widget.SignIdentity(widget.Identity{ExternalID: "crm-42"}, "dwws_other", time.Now().Add(time.Hour)),
			"expired":      widget.SignIdentity(widget.Identity{ExternalID: "crm-42"}, secret, time.Now().Add(-time.Minute)),
			"alg none":     "eyJhbGciOiJub25lIn0." + strings.Split(good, ".")[1] + ".",
			"garbage":      "not.a.jwt",
		} {
			v := newVisitor(t, e, "")
			got := v.call(t, "POST", "/identify", map[string]any{"externalId": "crm-42", "userJwt": jwt})
			if got["verified"] != false || v.call(t, "GET", "/conversation", nil)["conversation"] != nil {
				t.Errorf("ENABLED with a %s token: %v", name, got)
			}
		}
		signed := newVisitor(t, e, "")
		got := signed.call(t, "POST", "/identify", map[string]any{"externalId": "crm-42", "attributes": map[string]any{"plan": "pro"}, "userJwt": good})
		st = signed.call(t, "GET", "/conversation", nil)
		if got["verified"] != true || st["conversation"] == nil || idOf(st["conversation"].(map[string]any)["id"]) != oldConv {
			t.Fatalf("a signed identity: %v, state %v", got, st)
		}
		signed.call(t, "POST", "/messages", map[string]any{"body": "me again", "conversationId": oldConv})

		e.Call(t, "PATCH", "/driftwood/v1/widget", map[string]any{"identityMode": "REQUIRED"}, 200)
		req := newVisitor(t, e, "")
		if got := req.call(t, "POST", "/identify", map[string]any{"externalId": "someone-new", "attributes": map[string]any{"name": "Unsigned"}}); got["applied"] != false {
			t.Fatalf("REQUIRED applied an unsigned identity: %v", got)
		}
		if n := len(e.Call(t, "GET", "/contacts?email=nobody@x.example", nil, 200)["data"].([]any)); n != 0 {
			t.Fatal("unexpected contact")
		}
	})
}

// stream opens the visitor's event stream from last (empty: from now);
// cancel leaves it.
func (v *visitorOf) stream(t *testing.T, last string) (<-chan sse.Message, context.CancelFunc) {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + v.token}}
	if last != "" {
		h.Set("Last-Event-ID", last)
	}
	ctx, cancel := context.WithCancel(t.Context())
	return v.e.Stream(t, ctx, "/widget/v1/"+v.embed+"/stream", h), cancel
}

// nextSSE waits for the stream's next event (id-only position updates
// skipped).
func nextSSE(t *testing.T, ch <-chan sse.Message) sse.Message {
	t.Helper()
	for {
		select {
		case m := <-ch:
			if m.Event == "" && m.Data == "" {
				continue
			}
			return m
		case <-time.After(20 * time.Second):
			t.Fatal("no event")
		}
		return sse.Message{}
	}
}

// A stream opened before the visitor's first message (no contact yet)
// shows the conversation that message starts and its replies, and nothing
// of another visitor's conversation, started before or after.
func TestWidgetStream_FirstMessage(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		v, other := newVisitor(t, e, ""), newVisitor(t, e, "")
		before := idOf(other.call(t, "POST", "/messages", map[string]any{"body": "other before"})["conversation"].(map[string]any)["id"])
		ch, cancel := v.stream(t, "")
		defer cancel()
		otherCh, cancelOther := other.stream(t, "")
		defer cancelOther()
		after := idOf(other.call(t, "POST", "/messages", map[string]any{"body": "other after"})["conversation"].(map[string]any)["id"])
		conv := idOf(v.call(t, "POST", "/messages", map[string]any{"body": "my first"})["conversation"].(map[string]any)["id"])
		for _, c := range []int64{before, after} {
			e.Call(t, "POST", fmt.Sprintf("/conversations/%d/messages", c), map[string]any{"type": "chat", "body": "to the other one"}, 200)
		}
		e.Call(t, "POST", fmt.Sprintf("/conversations/%d/messages", conv), map[string]any{"type": "chat", "body": "reply to mine"}, 200)
		for _, want := range []string{"my first", "reply to mine"} {
			if m := nextSSE(t, ch); m.Event != "message" || !strings.Contains(m.Data, want) {
				t.Fatalf("got %+v, want %s", m, want)
			}
		}
		// The other visitor's stream saw its own two replies: everything
		// before reply to mine has been delivered.
		for range 3 {
			if m := nextSSE(t, otherCh); strings.Contains(m.Data, "mine") || strings.Contains(m.Data, "my first") {
				t.Fatalf("the other visitor saw %+v", m)
			}
		}
		select {
		case m := <-ch:
			if m.Event != "" {
				t.Fatalf("then: %+v", m)
			}
		default:
		}
	})
}

// The visitor's stream carries the events of their conversations with
// each event's id; reconnecting with Last-Event-ID resumes right after it,
// with nothing lost or repeated; private notes never reach it.
func TestWidgetStream(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		v := newVisitor(t, e, "")
		st := v.call(t, "GET", "/conversation", nil)
		conv := idOf(v.call(t, "POST", "/messages", map[string]any{"body": "hello"})["conversation"].(map[string]any)["id"])
		reply := func(typ, body string) {
			e.Call(t, "POST", fmt.Sprintf("/conversations/%d/messages", conv), map[string]any{"type": typ, "body": body}, 200)
		}
		open := func(last string) (<-chan sse.Message, context.CancelFunc) { return v.stream(t, last) }
		next := func(ch <-chan sse.Message) sse.Message { t.Helper(); return nextSSE(t, ch) }
		ch, cancel := open(st["lastEventId"].(string))
		if m := next(ch); m.Event != "message" || !strings.Contains(m.Data, `"text":"hello"`) {
			t.Fatalf("first: %+v", m)
		}
		reply("private_note", "they look like a good lead")
		reply("chat", "<p>first reply</p>")
		m := next(ch)
		if m.Event != "message" || !strings.Contains(m.Data, "first reply") || strings.Contains(m.Data, "good lead") {
			t.Fatalf("second: %+v", m)
		}
		agent := e.Call(t, "POST", "/driftwood/v1/users", map[string]any{"name": "Typing Agent", "email": "typist@example.com"}, 201)["data"].(map[string]any)["id"]
		e.Call(t, "POST", fmt.Sprintf("/driftwood/v1/conversations/%d/typing", conv), map[string]any{"userId": agent}, 200)
		if m = next(ch); m.Event != "typing" || !strings.Contains(m.Data, "Typing Agent") {
			t.Fatalf("typing: %+v", m)
		}
		cancel()
		reply("chat", "while away one")
		reply("chat", "while away two")
		e.Call(t, "PATCH", fmt.Sprintf("/driftwood/v1/conversations/%d", conv), map[string]any{"status": "closed"}, 200)
		ch, cancel = open(m.ID)
		defer cancel()
		for _, want := range []string{"while away one", "while away two", `"status":"closed"`} {
			if m := next(ch); !strings.Contains(m.Data, want) {
				t.Fatalf("after resuming: %+v, want %s", m, want)
			}
		}
		r := e.Do(t, apitest.Request{Method: "GET", Path: "/widget/v1/" + v.embed + "/stream", Token: v.token, Header: map[string]string{"Last-Event-ID": "abc"}})
		apitest.WantError(t, r, 400, "validation_error")
	})
}

// Floods from one address get 429 with Retry-After, and write nothing.
func TestWidgetRateLimit(t *testing.T) {
	e := apitest.Start(t, storetest.Backends()[0], apitest.WithConfig(func(c *config.Config) { c.RateLimit, c.RateBurst = 100, 200 }))
	embed := e.Call(t, "GET", "/driftwood/v1/widget", nil, 200)["data"].(map[string]any)["embedId"].(string)
	limited := 0
	for i := 0; i < 60; i++ {
		r := e.Do(t, apitest.Request{Method: "POST", Path: "/widget/v1/" + embed + "/sessions", Body: map[string]any{}})
		if r.Status == 429 {
			limited++
			if r.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
	}
	var sessions int
	e.RawDB(t).QueryRow(`SELECT COUNT(*) FROM visitor_sessions`).Scan(&sessions)
	if limited == 0 || sessions+limited != 60 {
		t.Fatalf("%d of 60 new sessions limited, %d written", limited, sessions)
	}
}

// A visitor session idle longer than --visitor-session-ttl stops working
// (401: the widget starts a new one) and is deleted; each use slides the
// limit, so a session in use lives on past it.
func TestWidgetSessionExpiry(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		db := e.RawDB(t)
		idle, busy, fresh := newVisitor(t, e, ""), newVisitor(t, e, ""), newVisitor(t, e, "")
		conv := idOf(idle.call(t, "POST", "/messages", map[string]any{"body": "hello"})["conversation"].(map[string]any)["id"])
		day := (24 * time.Hour).Milliseconds()
		now := time.Now().UnixMilli()
		session := func(v *visitorOf) (id int64) {
			t.Helper()
			if err := db.QueryRow(`SELECT id FROM visitor_sessions WHERE token_hash = $1`, e.App.Tokens.Key.Hash(v.token)).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		idleID, busyID := session(idle), session(busy)
		// idle: made 40 days ago, last used 31 days ago; busy: made 40
		// days ago, last used 29 days ago.
		for id, used := range map[int64]int64{idleID: now - 31*day, busyID: now - 29*day} {
			if _, err := db.Exec(`UPDATE visitor_sessions SET created_at = $1, last_used_at = $2 WHERE id = $3`, now-40*day, used, id); err != nil {
				t.Fatal(err)
			}
		}
		apitest.WantError(t, idle.do(t, "GET", "/conversation", nil), 401, "authentication_error")
		apitest.WantError(t, idle.do(t, "POST", "/messages", map[string]any{"body": "still there?", "conversationId": conv}), 401, "authentication_error")
		busy.call(t, "GET", "/conversation", nil)
		fresh.call(t, "GET", "/conversation", nil)
		var n int
		var used int64
		db.QueryRow(`SELECT COUNT(*) FROM visitor_sessions WHERE id = $1`, idleID).Scan(&n)
		db.QueryRow(`SELECT last_used_at FROM visitor_sessions WHERE id = $1`, busyID).Scan(&used)
		if n != 0 || used < now {
			t.Fatalf("the expired session's rows: %d (want 0); the used one's last use %d (want ≥ %d)", n, used, now)
		}
		// The conversation stays: it is its contact's.
		if msgs := e.Call(t, "GET", fmt.Sprintf("/conversations/%d/messages", conv), nil, 200)["data"].(map[string]any)["messages"].([]any); len(msgs) != 1 {
			t.Fatalf("the expired visitor's conversation has %d messages", len(msgs))
		}
	}, apitest.WithConfig(func(c *config.Config) { c.VisitorSessionTTL = 30 * 24 * time.Hour }))
}
