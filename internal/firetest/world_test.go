package firetest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/httpapi"
	"github.com/driftwood-chat/driftwood/internal/seed"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/postgres"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// world is a running Driftwood with two orgs holding the same kinds of data:
// the demo fixtures, plus one object of every kind that only that org has.
type world struct {
	e    *apitest.Env
	a, b *org
	raw  *sql.DB          // a connection of its own, for snapshots
	hook *httptest.Server // every app's webhook receiver
	pg   bool
}

// org is one org of the world, its all-scopes token and its ids by kind.
type org struct {
	id    int64
	token string
	ids   map[string]string
}

// missing holds, by kind, an id that names nothing in any org.
var missing = map[string]string{
	"contact": "987654321987", "user": "987654321987", "conversation": "987654321987",
	"message": "987654321987", "attachment": "987654321987", "team": "987654321987",
	"playbook": "987654321987", "gdpr": "987654321987", "app": "987654321987", "delivery": "987654321987",
	"account": "987654321_missing.example", "meeting": "missing-meeting-event",
	"email": "nobody-at-all@missing.example", "useremail": "nobody-user@missing.example",
}

// newWorld starts Driftwood on backend b (with opts) and fills both orgs.
func newWorld(t testing.TB, b storetest.Backend, opts ...apitest.Option) *world {
	t.Helper()
	e := apitest.Start(t, b, opts...)
	w := &world{e: e, pg: b.Name == "postgres"}
	w.hook = httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(w.hook.Close)
	w.a = &org{id: e.OrgID, token: e.Token}
	w.fill(t, w.a)
	w.b = w.newOrg(t)
	dsn := e.App.Config.DB
	var err error
	if w.pg {
		if dsn, err = postgres.ConnDSN(dsn); err != nil {
			t.Fatal(err)
		}
		w.raw, err = sql.Open("pgx", dsn)
	} else {
		w.raw, err = sql.Open("sqlite", "file:"+strings.TrimPrefix(dsn, "sqlite:")+"?_pragma=busy_timeout(10000)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.raw.Close() })
	return w
}

// newOrg adds a filled org.
func (w *world) newOrg(t testing.TB) *org {
	t.Helper()
	id, tok := w.e.NewOrg(t, "Other")
	o := &org{id: id, token: tok}
	w.fill(t, o)
	return o
}

// fill seeds o with the demo fixtures and one object of every kind, named
// after the org so that no other org has it.
func (w *world) fill(t testing.TB, o *org) {
	t.Helper()
	tag := fmt.Sprintf("o%d", o.id)
	if err := seed.Demo(context.Background(), w.e.App.DB, o.id); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	call := func(method, path string, body any) any {
		t.Helper()
		var b []byte
		if body != nil {
			b, _ = json.Marshal(body)
		}
		r := w.do(method, path, o.token, b, nil)
		if r.Code >= 300 {
			t.Fatalf("filling org: %s %s: %d %s", method, path, r.Code, r.Body)
		}
		return decode(t, r.Body.Bytes())
	}
	ids["email"] = "only-" + tag + "@" + tag + ".example"
	ids["contact"] = find(call("POST", "/contacts", map[string]any{"attributes": map[string]any{"email": ids["email"], "name": "Only " + tag}}), "id")
	ids["useremail"] = "only-" + tag + "-user@" + tag + ".example"
	ids["user"] = find(call("POST", "/driftwood/v1/users", map[string]any{"name": "Only " + tag, "email": ids["useremail"], "role": "agent"}), "id")
	ids["conversation"] = find(call("POST", "/driftwood/v1/simulate/conversations", map[string]any{"email": ids["email"], "body": "<p>hello</p>"}), "id")

	// A visitor's message with a file: a message and an attachment id.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("message", `{"body": "see attached"}`)
	fw, _ := mw.CreateFormFile("file", "note.txt")
	fw.Write([]byte("a note from " + tag))
	mw.Close()
	r := w.do("POST", "/driftwood/v1/simulate/conversations/"+ids["conversation"]+"/messages", o.token, mp.Bytes(),
		http.Header{"Content-Type": {mw.FormDataContentType()}})
	if r.Code != 200 {
		t.Fatalf("posting an attachment: %d %s", r.Code, r.Body)
	}
	msg := decode(t, r.Body.Bytes())
	ids["message"] = find(call("POST", "/conversations/"+ids["conversation"]+"/messages", map[string]any{"type": "chat", "body": "Pick one",
		"userId": json.RawMessage(ids["user"]), "buttons": []any{map[string]any{"label": "Yes", "value": "Yes", "type": "reply"}}}), "id")
	url := find(find2(msg, "attachments"), "url") // …/attachments/{id}/data
	ids["attachment"] = strings.TrimSuffix(url[strings.LastIndex(url, "/attachments/")+len("/attachments/"):], "/data")

	ids["team"] = find(call("POST", "/driftwood/v1/teams", map[string]any{"name": "Only " + tag, "members": []json.RawMessage{json.RawMessage(ids["user"])}}), "id")
	ids["account"] = find(call("POST", "/accounts/create", map[string]any{"ownerId": json.RawMessage(ids["user"]), "name": "Only " + tag, "domain": tag + ".example"}), "accountId")
	ids["playbook"] = find(call("POST", "/driftwood/v1/playbooks", map[string]any{"name": "Only " + tag, "definition": map[string]any{
		"targeting": map[string]any{"urls": []any{map[string]any{"match": "contains", "value": "/" + tag}}},
		"steps": []any{map[string]any{"id": "hi", "kind": "message", "text": "Only " + tag + " {{name}}", "next": "ask"},
			map[string]any{"id": "ask", "kind": "email_capture", "text": "Email?", "next": "goal"},
			map[string]any{"id": "goal", "kind": "goal", "goal": "Only " + tag}}}}), "id")
	ids["meeting"] = find(call("POST", "/driftwood/v1/meetings", map[string]any{"agentId": json.RawMessage(ids["user"]),
		"schedulerId": json.RawMessage(ids["contact"]), "slotStart": 1900000000000, "slotEnd": 1900000900000, "eventId": "only-" + tag + "-meeting"}), "eventId")
	ids["app"] = find(call("POST", "/driftwood/v1/apps", map[string]any{"name": "Only " + tag, "webhookUrl": w.hook.URL,
		"events": []string{"contact_updated"}, "scopes": []string{"all_contact_read"}}), "id")
	call("POST", "/driftwood/v1/apps/"+ids["app"]+"/tokens", map[string]any{"scopes": []string{"all_contact_read"}})
	w.fillOAuth(t, o, ids, call)
	call("PATCH", "/contacts/"+ids["contact"], map[string]any{"attributes": map[string]any{"name": "Only " + tag + " again"}})
	for start := time.Now(); ids["delivery"] == "" && time.Since(start) < 20*time.Second; time.Sleep(20 * time.Millisecond) {
		ids["delivery"] = find(call("GET", "/driftwood/v1/deliveries", nil), "id")
	}
	ids["gdpr"] = find(call("POST", "/gdpr/retrieve", map[string]any{"email": ids["email"]}), "requestId")
	w.fillWidget(t, o, ids)
	w.fillInbox(t, o, ids)
	for k, v := range ids {
		if v == "" {
			t.Fatalf("filling org: no %s id", k)
		}
	}
	o.ids = ids
}

// fireRedirect is the redirect URI of every org's OAuth client.
const fireRedirect = "https://fire.example/cb"

// fillOAuth registers an OAuth client in o and adds to ids its credentials
// (clientid, clientsecret), a token of its installation (apptoken), the
// tokens of a grant (access, refresh), an unused code (code), and o's own
// token (token, for /app/token_info).
func (w *world) fillOAuth(t testing.TB, o *org, ids map[string]string, call func(method, path string, body any) any) {
	t.Helper()
	app := call("POST", "/driftwood/v1/apps", map[string]any{"name": "OAuth " + ids["email"], "redirectUris": []string{fireRedirect},
		"scopes": []string{"contact_read", "contact_write"}})
	ids["clientid"], ids["clientsecret"] = find(app, "clientId"), find(app, "clientSecret")
	ids["apptoken"] = find(call("POST", "/driftwood/v1/apps/"+find(app, "id")+"/tokens", nil), "accessToken")
	ids["token"] = o.token
	code := func() string {
		form := url.Values{"response_type": {"code"}, "client_id": {ids["clientid"]}, "redirect_uri": {fireRedirect},
			"state": {"s"}, "scope": {"contact_read"}, "decision": {"allow"}}
		r := w.do("POST", "/oauth2/authorize", o.token, []byte(form.Encode()), formHeader)
		loc, err := url.Parse(r.Header().Get("Location"))
		if r.Code != http.StatusFound || err != nil || loc.Query().Get("code") == "" {
			t.Fatalf("filling org: consent: %d %q %s", r.Code, r.Header().Get("Location"), r.Body)
		}
		return loc.Query().Get("code")
	}
	grant := call("POST", "/oauth2/token", map[string]any{"grant_type": "authorization_code", "client_id": ids["clientid"],
		"client_secret": ids["clientsecret"], "code": code(), "redirect_uri": fireRedirect})
	ids["access"], ids["refresh"] = find(grant, "access_token"), find(grant, "refresh_token")
	ids["code"] = code()
}

var formHeader = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}

// do serves one request in process.
func (w *world) do(method, target, token string, body []byte, h http.Header) *httptest.ResponseRecorder {
	return serve(w.e.App.API, method, target, token, bytes.NewReader(body), h)
}

// serve sends one request to api in process. A nil-length body reader with
// unknown size is sent chunked.
func serve(api *httpapi.Server, method, target, token string, body io.Reader, h http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://driftwood.test"+target, body)
	if h, ok := sessionHeader(token); ok { // an inbox session (inbox_test.go)
		req.Header = h
	} else if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if _, ok := body.(*bytes.Reader); ok && req.ContentLength > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range h {
		req.Header.Del(k)
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	return rec
}

func decode(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("not JSON (%v): %s", err, b)
	}
	return v
}

// find returns the first value of key in v (depth first), as text.
func find(v any, key string) string {
	if x := find2(v, key); x != nil {
		return fmt.Sprint(x)
	}
	return ""
}

func find2(v any, key string) any {
	switch v := v.(type) {
	case map[string]any:
		if x, ok := v[key]; ok {
			return x
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if x := find2(v[k], key); x != nil {
				return x
			}
		}
	case []any:
		for _, e := range v {
			if x := find2(e, key); x != nil {
				return x
			}
		}
	}
	return nil
}

// countWrites installs triggers that count every row written to any table,
// so that a test can tell, in one cheap read, whether a request wrote.
func (w *world) countWrites(t testing.TB) {
	t.Helper()
	tables := w.tables(t)
	stmts := []string{`CREATE TABLE fire_writes (n BIGINT NOT NULL)`, `INSERT INTO fire_writes VALUES (0)`}
	if w.pg {
		stmts = append(stmts, `CREATE FUNCTION fire_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE fire_writes SET n = n + 1; RETURN NULL; END $$`)
	}
	for _, table := range tables {
		if bookkeeping[table] {
			continue
		}
		for _, op := range []string{"INSERT", "UPDATE", "DELETE"} {
			name := "fire_" + table + "_" + strings.ToLower(op)
			if op == "UPDATE" {
				cols := slices.DeleteFunc(w.columns(t, table), func(c string) bool { return bookkeeping[table+"."+c] })
				op += " OF " + strings.Join(cols, ", ")
			}
			if w.pg {
				stmts = append(stmts, fmt.Sprintf(`CREATE TRIGGER %s AFTER %s ON %s FOR EACH ROW EXECUTE FUNCTION fire_count()`, name, op, table))
			} else {
				stmts = append(stmts, fmt.Sprintf(`CREATE TRIGGER %s AFTER %s ON %s BEGIN UPDATE fire_writes SET n = n + 1; END`, name, op, table))
			}
		}
	}
	for _, s := range stmts {
		if _, err := w.raw.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// bookkeeping are the tables and columns written in the background,
// whatever the requests: countWrites leaves them out. The webhook
// dispatcher writes its deliveries; the audit recorder appends a row for
// every request made with a token, refused ones included, in batches a
// second later (so a row can land during a later request); and the token
// store notes when a token was last used, also on requests it then refuses
// (a missing scope, a bad body). /readyz rewrites write_probe's one row
// when no write told lately whether the database takes writes.
var bookkeeping = map[string]bool{
	"deliveries": true, "delivery_attempts": true, "events.fanned_out": true, "apps.webhook_disabled_at": true,
	"audit_log": true, "tokens.last_used_at": true, "write_probe": true,
	// A session's last use, noted at most once a minute (as a token's).
	"user_sessions.last_seen_at": true,
}

// writes is the number of rows written since countWrites.
func (w *world) writes(t testing.TB) int64 {
	t.Helper()
	var n int64
	if err := w.raw.QueryRow(`SELECT n FROM fire_writes`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// tables lists the database's tables.
func (w *world) tables(t testing.TB) []string {
	t.Helper()
	// Ordinary tables: not FTS5's virtual and shadow ones (search_fts),
	// which change only with search_entries and take no triggers.
	q := `SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if w.pg {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	return queryStrings(t, w.raw, q)
}

func queryStrings(t testing.TB, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// snapshot is a digest of table contents, by table.
type snapshot map[string]string

// snapshot digests every row of every table; with orgID > 0, only that
// org's rows.
func (w *world) snapshot(t testing.TB, orgID int64) snapshot {
	t.Helper()
	s := snapshot{}
	for _, table := range w.tables(t) {
		if bookkeeping[table] {
			continue // written in the background, whatever the requests
		}
		cols := slices.DeleteFunc(w.columns(t, table), func(c string) bool { return bookkeeping[table+"."+c] })
		q, args := "SELECT "+strings.Join(cols, ", ")+" FROM "+table, []any{}
		if orgID > 0 {
			switch {
			case table == "orgs":
				q, args = q+" WHERE id = $1", []any{orgID}
			case slices.Contains(cols, "org_id"):
				q, args = q+" WHERE org_id = $1", []any{orgID}
			case slices.Contains(cols, "team_id"):
				q, args = q+" WHERE team_id IN (SELECT id FROM teams WHERE org_id = $1)", []any{orgID}
			}
		}
		s[table] = w.digest(t, q, args...)
	}
	return s
}

func (w *world) columns(t testing.TB, table string) []string {
	t.Helper()
	rows, err := w.raw.Query("SELECT * FROM " + table + " WHERE 1 = 0")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

// digest hashes the rows of a query, in any order.
func (w *world) digest(t testing.TB, q string, args ...any) string {
	t.Helper()
	var hashes []string
	w.eachRow(t, q, args, func(vals []any) {
		h := sha256.New()
		for _, v := range vals {
			fmt.Fprintf(h, "%T:%v\x00", v, v)
		}
		hashes = append(hashes, hex.EncodeToString(h.Sum(nil)))
	})
	slices.Sort(hashes)
	return fmt.Sprintf("%d rows %x", len(hashes), sha256.Sum256([]byte(strings.Join(hashes, ""))))
}

func (w *world) eachRow(t testing.TB, q string, args []any, fn func(vals []any)) {
	t.Helper()
	rows, err := w.raw.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if err := store.EachRow(rows, func(_ []string, vals []any) error { fn(vals); return nil }); err != nil {
		t.Fatal(err)
	}
}

// diff names the tables whose digests differ.
func (s snapshot) diff(o snapshot) []string {
	var out []string
	for k, v := range s {
		if o[k] != v {
			out = append(out, fmt.Sprintf("%s (%s -> %s)", k, v[:min(len(v), 12)], o[k][:min(len(o[k]), 12)]))
		}
	}
	for k := range o {
		if _, ok := s[k]; !ok {
			out = append(out, k+" (new)")
		}
	}
	slices.Sort(out)
	return out
}
