package firetest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/httpapi"
	"github.com/driftwood-chat/driftwood/internal/oauth"
	"github.com/driftwood-chat/driftwood/internal/scim"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// hostile is one generated bad request.
type hostile struct {
	what   string // what is wrong with it, for failure messages
	method string
	path   string
	body   []byte
	chunk  bool // send the body without a Content-Length
	header http.Header
	token  string
	noAuth bool
}

// Every route answers every generated bad request with a 4xx (never a 5xx
// or a panic, which answers 500), in Drift's error shape, and an error
// answer never leaves a write behind.
func TestHostileInput(t *testing.T) {
	skipIfShort(t)
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		w := newWorld(t, b)
		w.countWrites(t)
		total := 0
		start := time.Now()
		for _, rt := range ordered(w.e.App.API.Routes()) {
			total += w.fire(t, rt, hostileRequests(t, w, rt))
		}
		t.Logf("%d hostile requests in %v", total, time.Since(start).Round(time.Millisecond))
		if total < 10000 {
			t.Errorf("only %d hostile requests; the issue asks for at least 10 000", total)
		}
	})
}

// fire sends reqs to the route and checks every answer, and that no error
// answer wrote a row (see countWrites).
func (w *world) fire(t *testing.T, rt httpapi.Route, reqs []hostile) int {
	t.Helper()
	for _, h := range reqs {
		var body io.Reader = bytes.NewReader(h.body)
		if h.chunk {
			body = io.MultiReader(bytes.NewReader(h.body))
		}
		token := h.token
		if h.noAuth {
			token = ""
		}
		before := w.writes(t)
		rec := serve(w.e.App.API, h.method, h.path, token, body, h.header)
		desc := fmt.Sprintf("%s %s (%s: %s %.80q)", rt.Method, rt.Path, h.what, h.method, h.path)
		if rec.Code >= 500 {
			t.Errorf("%s: %d %.300s", desc, rec.Code, rec.Body)
		} else if problem := errorShape(rt, rec); rec.Code >= 400 && problem != "" {
			t.Errorf("%s: %d answer %s: %.200q", desc, rec.Code, problem, rec.Body)
		}
		if n := w.writes(t) - before; n > 0 && (rec.Code >= 400 || h.method == "GET") && !replayRefused(rt, rec) {
			t.Errorf("%s: answered %d but wrote %d rows", desc, rec.Code, n)
		}
	}
	return len(reqs)
}

// errorShape says what is wrong with an error answer of rt ("" if nothing):
// Drift's {"error":{"type","message"}} everywhere, SCIM's error schema
// under /scim; RFC 6749's {"error","error_description"} on /oauth2/* too,
// and the consent routes may also answer an HTML error page, as a browser
// is on the other end.
func errorShape(rt httpapi.Route, rec *httptest.ResponseRecorder) string {
	if (strings.HasSuffix(rt.Path, "authorize") || rt.Path == "/login" || strings.HasPrefix(rt.Path, "/invite/")) &&
		strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		if !strings.Contains(rec.Body.String(), "Cannot authorize") && !strings.Contains(rec.Body.String(), `class="error"`) {
			return "is an HTML page without an error"
		}
		return ""
	}
	var body struct {
		Error       json.RawMessage `json:"error"`
		Description string          `json:"error_description"`
		Schemas     []string        `json:"schemas"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		return "is not a JSON object"
	}
	var drift struct{ Type, Message string }
	var oauthCode string
	switch {
	case json.Unmarshal(body.Error, &drift) == nil && drift.Type != "" && drift.Message != "":
	case strings.HasPrefix(rt.Path, "/oauth2/") && json.Unmarshal(body.Error, &oauthCode) == nil && oauthCode != "" && body.Description != "":
	case strings.HasPrefix(rt.Path, "/scim/") && slices.Contains(body.Schemas, scim.ErrorSchema):
	default:
		return "is not in the route's error shape"
	}
	return ""
}

// replayRefused reports whether rec refuses a replayed authorization code
// or refresh token. That refusal writes on purpose: it revokes every token
// of the grant, as one of its holders is a thief (RFC 6749 §10.5, §10.4).
func replayRefused(rt httpapi.Route, rec *httptest.ResponseRecorder) bool {
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	return rt.Path == "/oauth2/token" && json.Unmarshal(rec.Body.Bytes(), &body) == nil &&
		body.Error == oauth.ErrReplay.Code && body.Description == oauth.ErrReplay.Description
}

// hostileRequests generates the bad requests for one route from its
// examples (rendered with org A's ids).
func hostileRequests(t testing.TB, w *world, rt httpapi.Route) []hostile {
	var out []hostile
	for _, ex := range examplesOf(t, rt) {
		token := ex.bearer(w.a)
		add := func(what, method, path string, body []byte, h http.Header) {
			if h == nil {
				h = ex.header()
			}
			out = append(out, hostile{what: what, method: method, path: path, body: body, header: h, token: token})
		}
		path := render(ex.path, w.a.ids)
		body := []byte(render(ex.body, w.a.ids))
		base, query, _ := strings.Cut(path, "?")
		if query != "" {
			query = "?" + query
		}

		// Bad ids in every path parameter.
		segs := strings.Split(base, "/")
		for i, pat := range strings.Split(strings.ReplaceAll(rt.Path, "{$}", ""), "/") {
			if !strings.HasPrefix(pat, "{") || i >= len(segs) {
				continue
			}
			for _, bad := range badIDs {
				s := append([]string(nil), segs...)
				s[i] = bad
				add("path "+pat, rt.Method, strings.Join(s, "/")+query, body, nil)
			}
		}

		// Bad query parameters (on reads, and on writes that take a query).
		if rt.Method == "GET" || query != "" {
			values := append(badQueryValues, forgedTokens(w)...)
			for i, p := range queryParams {
				for j, v := range values {
					if long || (i+j+len(out))%6 == 0 { // a rotating sixth in CI
						add("query "+p, rt.Method, base+addQuery(query, p, v), body, nil)
					}
				}
			}
		}

		// Bad bodies: every method may carry one; the ones that read it
		// must refuse it.
		if rt.Method != "GET" {
			for _, m := range malformed {
				add("malformed body", rt.Method, path, []byte(m), nil)
			}
			for i := 1; i < len(body); i += max(1, len(body)/12) {
				add("truncated body", rt.Method, path, body[:i], nil)
			}
			if len(body) > 0 {
				for _, m := range bodyMutations(t, rt, ex, body) {
					add("body "+m.what, rt.Method, path, m.body, nil)
				}
			}
			for _, ct := range badContentTypes {
				add("content type "+ct, rt.Method, path, body, http.Header{"Content-Type": {ct}})
			}
			over := []byte(`{"x":"` + strings.Repeat("a", httpapi.MaxBodyBytes) + `"}`)
			add("body over the limit", rt.Method, path, over, nil)
			out = append(out, hostile{what: "chunked body over the limit", method: rt.Method, path: path, body: over, chunk: true, token: token})
		}

		// Header abuse.
		for name, h := range badHeaders(w.a.token) {
			out = append(out, hostile{what: "header " + name, method: rt.Method, path: path, body: body, header: h, noAuth: true})
		}
		for _, m := range []string{"PUT", "PROPFIND", "TRACE"} {
			if m != rt.Method {
				add("method "+m, m, path, body, nil)
			}
		}
	}
	return out
}

var badIDs = []string{
	"abc", "-1", "0", "1.5", "1e3", "0x10", "+1", "%201", "1%20", "99999999999999999999999",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808", "%00", "%FF%FE", "..%2F..",
	"%E2%80%AE1", "null", "'%20OR%201=1--", "1;DROP%20TABLE%20contacts", strings.Repeat("9", 4000),
	"%F0%9F%94%A5", "1_missing.example",
}

// queryParams are every query parameter some route reads.
var queryParams = []string{
	"limit", "size", "index", "page_token", "next", "statusId", "appId", "status", "email", "id", "idType", "userId",
	"min_start_time", "max_start_time", "filter", "startIndex", "count", "attributes", "excludedAttributes",
}

var badQueryValues = []string{
	"-1", "0", "-99999999999", "99999999999999999999", "2147483648", "abc", "", "1e9", "1.5", "%zz",
	strings.Repeat("x", 10000), "%00", "userName+eq+%22a%22+and+(", "not+(((((((((", "emails[type+eq+%22work%22+and+value+co+%22@%22]",
	strings.Repeat("(", 5000), "meta.lastModified+gt+%222011-05-13T04:42:34Z%22",
}

// forgedTokens are page tokens no list issued in this shape: garbage, a
// token with a made-up body, and a genuine token of another list.
func forgedTokens(w *world) []string {
	body := base64.RawURLEncoding.EncodeToString([]byte(`{"e":99999999999,"p":{"a":1}}`))
	toks := []string{"abc", "abc.def", body + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 32)), body + ".", "." + body}
	if next := find(decodeOrNil(w.do("GET", "/conversations?limit=1", w.a.token, nil, nil).Body.Bytes()), "next"); next != "" {
		if _, q, ok := strings.Cut(next, "?"); ok {
			for _, kv := range strings.Split(q, "&") {
				if k, v, _ := strings.Cut(kv, "="); k == "page_token" || k == "next" {
					toks = append(toks, v, v+"x", strings.ToUpper(v))
				}
			}
		}
	}
	return toks
}

func decodeOrNil(b []byte) any {
	var v any
	json.Unmarshal(b, &v)
	return v
}

func addQuery(query, p, v string) string {
	if query == "" {
		return "?" + p + "=" + v
	}
	return query + "&" + p + "=" + v
}

var malformed = []string{
	"{", "}", `{"a":`, "[", "nul", "tru", `"abc`, `{"a":1,}`, `{'a':1}`, `{"a":1}{"b":2}`, `{"a":1} x`,
	"\x00", "\xff\xfe{}", "NaN", "1e999", " ", "[]", "null", "0", `"str"`, "true", `{"a":"\ud800"}`,
	`{"a":"\x01"}`, "\ufeff{}", `{"a" 1}`, `{1:2}`, strings.Repeat("[", 100000), strings.Repeat(`{"a":`, 50000),
}

var badContentTypes = []string{
	"text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data",
	"multipart/form-data; boundary=xyz", "application/json; charset=utf-16", ";;;", "application/",
}

func badHeaders(token string) map[string]http.Header {
	return map[string]http.Header{
		"no authorization":    {},
		"bare bearer":         {"Authorization": {"Bearer"}},
		"bearer space":        {"Authorization": {"Bearer "}},
		"basic":               {"Authorization": {"Basic dXNlcjpwYXNz"}},
		"huge token":          {"Authorization": {"Bearer " + strings.Repeat("A", 60000)}},
		"token and more":      {"Authorization": {"Bearer " + token + " extra"}},
		"token prefix":        {"Authorization": {"Bearer dwat_" + strings.Repeat("0", 40)}},
		"token twice":         {"Authorization": {"Bearer x", "Bearer " + token}},
		"token in query form": {"Authorization": {"access_token=" + token}},
		"huge request id":     {"Authorization": {"Bearer " + token}, "X-Request-Id": {strings.Repeat("r", 50000)}},
		"many headers":        manyHeaders(token),
	}
}

func manyHeaders(token string) http.Header {
	h := http.Header{"Authorization": {"Bearer " + token}}
	for i := range 500 {
		h.Set(fmt.Sprintf("X-Junk-%d", i), strings.Repeat("j", 100))
	}
	return h
}

// bodyMutations are the mutations of an example's body: of its JSON, or of
// its form's values taken as a JSON object of strings.
func bodyMutations(t testing.TB, rt httpapi.Route, ex example, body []byte) []mutation {
	if !ex.form {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("%s %s: example body is not JSON: %v", rt.Method, rt.Path, err)
		}
		return mutations(v)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatalf("%s %s: example body is not a form: %v", rt.Method, rt.Path, err)
	}
	v := map[string]any{}
	for k := range form {
		v[k] = form.Get(k)
	}
	out := mutations(v)
	for i, m := range out {
		var obj map[string]any
		json.Unmarshal(m.body, &obj)
		f := url.Values{}
		for k, x := range obj {
			if s, ok := x.(string); ok {
				f.Set(k, s)
			} else {
				b, _ := json.Marshal(x)
				f.Set(k, string(b))
			}
		}
		out[i].body = []byte(f.Encode())
	}
	return out
}

// mutation is a good body with one thing made wrong.
type mutation struct {
	what string
	body []byte
}

// wrongValues replace each value of a good body in turn.
var wrongValues = []any{
	"str", "", 0, -1, 1.5, json.Number("1e308"), json.Number("-9223372036854775809"), json.Number("99999999999999999999"),
	true, false, nil, []any{}, map[string]any{}, []any{1, "a", nil}, map[string]any{"x": map[string]any{"y": 1}},
	strings.Repeat("h", 70000), hugeArray(), deep(3000), "<script>alert(1)</script>", "\u0000\u202e", "' OR 1=1 --",
}

func hugeArray() []any {
	a := make([]any, 20000)
	for i := range a {
		a[i] = i
	}
	return a
}

// tooDeep stands, in a body, for nesting deeper than encoding/json can
// marshal (see mutations).
type tooDeep int

func (n tooDeep) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `"\u0000deep%d"`, int(n)), nil
}

func deep(n int) json.RawMessage {
	return json.RawMessage(strings.Repeat(`{"a":[`, n) + strings.Repeat(`]}`, n))
}

// mutations walks v and, at every value, replaces it with every wrong
// value; it also removes each object field and adds an unknown one.
func mutations(v any) []mutation {
	var out []mutation
	var walk func(path string, set func(any), cur any)
	root := v
	emit := func(what string) {
		b, err := json.Marshal(root)
		if err != nil {
			panic(err)
		}
		for _, wv := range wrongValues {
			if n, ok := wv.(tooDeep); ok {
				b = bytes.ReplaceAll(b, fmt.Appendf(nil, `"\u0000deep%d"`, int(n)), deep(int(n)))
			}
		}
		out = append(out, mutation{what, b})
	}
	walk = func(path string, set func(any), cur any) {
		for _, wv := range wrongValues {
			set(wv)
			emit(fmt.Sprintf("%s=%.20v", path, wv))
		}
		set(cur)
		switch c := cur.(type) {
		case map[string]any:
			for k, sub := range c {
				walk(path+"."+k, func(x any) { c[k] = x }, sub)
				delete(c, k)
				emit("without " + path + "." + k)
				c[k] = sub
			}
			c["zzUnknown"] = 1
			emit("unknown field in " + path)
			delete(c, "zzUnknown")
		case []any:
			for i, sub := range c {
				walk(fmt.Sprintf("%s[%d]", path, i), func(x any) { c[i] = x }, sub)
			}
		}
	}
	walk("body", func(x any) { root = x }, v)
	return out
}

// long selects the long forms of the suites (README, "Proof under fire").
var long = os.Getenv("DRIFTWOOD_FIRE_LONG") == "1"

// The long form (DRIFTWOOD_FIRE_LONG=1) also sends values near the body
// limit and far deeper nesting.
func init() {
	if long {
		wrongValues = append(wrongValues, strings.Repeat("L", 900000), tooDeep(20000))
	}
}
