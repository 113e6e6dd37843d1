package widget_test

// End-to-end tests of the widget in headless Chromium: a host page on
// another origin embeds Drift's snippet with only the host changed, and a
// visitor chats with an agent who answers through the REST API. They skip
// without a browser unless DRIFTWOOD_REQUIRE_BROWSER=1 (CI sets it).

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/app"
	"github.com/driftwood-chat/driftwood/internal/browsertest"
	"github.com/driftwood-chat/driftwood/internal/config"
	"github.com/driftwood-chat/driftwood/internal/httpapi"
	"github.com/driftwood-chat/driftwood/internal/secrets"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
	"github.com/driftwood-chat/driftwood/internal/widget"
)

// -screenshots rewrites the screenshots of docs/ (README's) from the tests.
var updateScreenshots = flag.Bool("screenshots", false, "write the widget's screenshots into docs/")

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(browsertest.Main(m, 1200, 840))
}

// browser opens a new browser (its own profile: no storage shared with
// other tests) for the test; the guard is long, as a loaded machine is slow.
func browser(t *testing.T) context.Context { return browsertest.New(t, 3*time.Minute) }

// do runs steps in the browser, failing the test on an error.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	browsertest.Do(t, ctx, steps...)
}

// run runs one action and returns its value, failing the test on an error.
func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	return browsertest.Run(t, ctx, a)
}

// css is a CSS selector, optionally inside the chat frame.
func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// hostPage serves a site page on its own origin embedding Drift's snippet
// pointed at base; the page records the widget's events in window.events.
func hostPage(t *testing.T, base, embedID, extra string) *httptest.Server {
	t.Helper()
	page := `<!doctype html><html><head><meta charset="utf-8"><title>Host site</title>
<style>body{font:16px system-ui;margin:40px;background:#f8fafc} button{all:unset}</style></head>
<body><h1>A host site</h1><p>Its own CSS must not reach the widget.</p>
<script>window.events=[];</script>
` + httpapi.Snippet(base, embedID) + `
<script>
for (const n of ["ready","chatOpen","chatClose","startConversation","message:sent","message","emailCapture",
  "awayMessage:open","welcomeMessage:open","conversation:firstInteraction"]) {
  drift.on(n, function (a, b) { window.events.push({name: n, payload: n === "ready" ? b : a}); });
}
` + extra + `
</script></body></html>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// setWidget patches the org's widget settings and returns the answer.
func setWidget(t *testing.T, e *apitest.Env, patch map[string]any) map[string]any {
	t.Helper()
	return e.Call(t, "PATCH", "/driftwood/v1/widget", patch, 200)["data"].(map[string]any)
}

// frameNode waits for the chat iframe and returns its node, to run actions
// inside it (same site as the host page here, so the same process).
func frameNode(t *testing.T, ctx context.Context) *chromedp.Node {
	t.Helper()
	do(t, ctx, chromedp.WaitVisible(css("#drift-widget-frame")))
	// The iframe shows before its document loads: a node taken then has no
	// content document (or about:blank's), and a query from it waits for
	// ever. A node taken again has the chat's.
	nodes, ok := browsertest.Poll(ctx, chromedp.Nodes(css("#drift-widget-frame")), func(n []*chromedp.Node) bool {
		return len(n) > 0 && n[0].ContentDocument != nil && strings.Contains(n[0].ContentDocument.DocumentURL, "/widget/frame/")
	})
	if !ok {
		t.Fatal("the chat frame never loaded")
	}
	return nodes[0]
}

// in runs a query inside the frame.
func in(frame *chromedp.Node) chromedp.QueryOption { return chromedp.FromNode(frame) }

// waitLog waits until the transcript in frame contains want.
func waitLog(t *testing.T, ctx context.Context, frame *chromedp.Node, want string) string {
	t.Helper()
	text, ok := browsertest.Poll(ctx, chromedp.TextContent(css("#dw-log"), in(frame)), func(s string) bool {
		return strings.Contains(s, want)
	})
	if !ok {
		t.Fatalf("the transcript never showed %q; it shows:\n%s", want, text)
	}
	return text
}

// screenshot saves the page as docs/name when -screenshots is given.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if !*updateScreenshots {
		return
	}
	time.Sleep(400 * time.Millisecond) // animations end
	png := run(t, ctx, chromedp.CaptureScreenshot())
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "docs")
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// newestConversation finds the org's newest conversation through the REST API.
func newestConversation(t *testing.T, e *apitest.Env) int64 {
	t.Helper()
	list := e.Call(t, "GET", "/conversations?limit=1", nil, 200)
	data := list["data"].([]any)
	if len(data) == 0 {
		t.Fatal("no conversation")
	}
	return num(data[0].(map[string]any)["id"])
}

func messagesOf(t *testing.T, e *apitest.Env, conv int64) []map[string]any {
	t.Helper()
	r := e.Call(t, "GET", fmt.Sprintf("/conversations/%d/messages", conv), nil, 200)
	var out []map[string]any
	for _, m := range r["data"].(map[string]any)["messages"].([]any) {
		out = append(out, m.(map[string]any))
	}
	return out
}

func agent(t *testing.T, e *apitest.Env) int64 {
	t.Helper()
	u := e.Call(t, "POST", "/driftwood/v1/users", map[string]any{"name": "Ada Lovelace", "alias": "Ada", "email": "ada@example.com",
		"role": "agent", "availability": "AVAILABLE"}, 201)
	if d, ok := u["data"].(map[string]any); ok {
		u = d
	}
	return num(u["id"])
}

// The whole visit: the launcher costs the page no connection; the visitor
// opens the chat and writes; the message reaches the REST API as the
// contact's; an agent's reply (HTML, with a reply button) appears as text;
// a click posts the answer; markup the visitor types stays text; a reload
// continues the conversation; after a close the next message starts a new
// one.
func TestWidget_Chat(t *testing.T) {
	ctx := browser(t)
	e := apitest.Start(t, storetest.Backends()[0])
	ada := agent(t, e)
	settings := setWidget(t, e, map[string]any{"title": "Acme support", "themeColor": "#6d28d9"})
	host := hostPage(t, e.URL, settings["embedId"].(string), "")
	setWidget(t, e, map[string]any{"allowedOrigins": []string{host.URL}})

	do(t, ctx, chromedp.Navigate(host.URL), chromedp.WaitVisible(css("#drift-widget-launcher")))
	frames := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("iframe").length`))
	tag := run(t, ctx, chromedp.Evaluate[string](`document.querySelector("#drift-widget-launcher").tagName`))
	label := run(t, ctx, chromedp.Evaluate[string](`document.querySelector("#drift-widget-launcher").getAttribute("aria-label")`))
	run(t, ctx, chromedp.Poll[bool](`window.events.some(e => e.name === "ready" && e.payload.isOnline === true && e.payload.chatOpen === false && e.payload.widgetVisible === true)`))
	if frames != 0 || tag != "BUTTON" || !strings.Contains(label, "Open chat") {
		t.Fatalf("before opening: %d iframes, launcher %s labelled %q", frames, tag, label)
	}
	screenshot(t, ctx, "widget-launcher.png")

	do(t, ctx, chromedp.Click(css("#drift-widget-launcher")))
	frame := frameNode(t, ctx)
	waitLog(t, ctx, frame, "How can we help?")
	typed := `<img src=x onerror="parent.pwned=1"> Hello from the browser`
	do(t, ctx, chromedp.SendKeys(css("#dw-input"), typed+"\n", in(frame)))
	waitLog(t, ctx, frame, typed)

	conv := newestConversation(t, e)
	msgs := messagesOf(t, e, conv)
	if len(msgs) != 1 || msgs[0]["author"].(map[string]any)["type"] != "contact" {
		t.Fatalf("the visitor's message through the API: %v", msgs)
	}
	e.Call(t, "POST", fmt.Sprintf("/conversations/%d/messages", conv), map[string]any{"type": "chat", "userId": ada,
		"body": "<p>Hi! <b>Which plan</b> are you on?</p>", "buttons": []any{map[string]any{"label": "Pro", "value": "Pro", "type": "reply"}}}, 200)
	waitLog(t, ctx, frame, "Hi! Which plan are you on?")
	waitLog(t, ctx, frame, "Ada")
	// Typing both ways: the agent's shows in the widget; the visitor's
	// reaches the org's event log.
	e.Call(t, "POST", fmt.Sprintf("/driftwood/v1/conversations/%d/typing", conv), map[string]any{"userId": ada}, 200)
	do(t, ctx, chromedp.WaitVisible(css("#dw-typing"), in(frame)))
	screenshot(t, ctx, "widget-conversation.png")
	do(t, ctx, chromedp.SendKeys(css("#dw-input"), "Thinking", in(frame)))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var n int
		e.RawDB(t).QueryRow(`SELECT COUNT(*) FROM events WHERE type = 'conversation_typing' AND data LIKE '%"type":"contact"%'`).Scan(&n)
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the visitor's typing never reached the event log")
		}
	}

	do(t, ctx, chromedp.Click(css(".dw-choice"), in(frame)))
	for deadline := time.Now().Add(10 * time.Second); len(messagesOf(t, e, conv)) < 3 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
	}
	msgs = messagesOf(t, e, conv)
	if len(msgs) != 3 || msgs[2]["body"] != "Pro" {
		t.Fatalf("after the click: %v", msgs)
	}
	if run(t, ctx, chromedp.Evaluate[bool](`!!window.pwned`)) {
		t.Fatal("the visitor's markup ran")
	}
	if n := len(run(t, ctx, chromedp.Nodes(css(".dw-log img"), in(frame), chromedp.AtLeast(0)))); n != 0 {
		t.Fatalf("the visitor's markup made %d images", n)
	}

	var events []map[string]any
	if err := json.Unmarshal(run(t, ctx, chromedp.Evaluate[[]byte](`window.events`)), &events); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ev := range events {
		seen[ev["name"].(string)] = true
	}
	for _, want := range []string{"ready", "chatOpen", "startConversation", "message:sent", "message", "welcomeMessage:open", "conversation:firstInteraction"} {
		if !seen[want] {
			t.Errorf("the page saw no %s event (it saw %v)", want, seen)
		}
	}

	// A reload continues the same conversation.
	do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(css("#drift-widget-launcher")), chromedp.Click(css("#drift-widget-launcher")))
	frame = frameNode(t, ctx)
	waitLog(t, ctx, frame, "Which plan are you on?")
	do(t, ctx, chromedp.SendKeys(css("#dw-input"), "Still here\n", in(frame)))
	waitLog(t, ctx, frame, "Still here")
	if got := newestConversation(t, e); got != conv {
		t.Fatalf("after a reload the message went to conversation %d, not %d", got, conv)
	}

	// Closed by the agent: the next message starts a new conversation.
	e.Call(t, "PATCH", fmt.Sprintf("/driftwood/v1/conversations/%d", conv), map[string]any{"status": "closed"}, 200)
	waitLog(t, ctx, frame, "conversation was closed")
	do(t, ctx, chromedp.SendKeys(css("#dw-input"), "One more question\n", in(frame)))
	waitLog(t, ctx, frame, "One more question")
	if got := newestConversation(t, e); got == conv {
		t.Fatal("a message after the close went to the closed conversation")
	}
}

// Keyboard only: the launcher is reached and opened with the keyboard,
// focus moves into the chat, Escape closes it and focus returns to the
// launcher; the transcript is a polite live log.
func TestWidget_Keyboard(t *testing.T) {
	ctx := browser(t)
	e := apitest.Start(t, storetest.Backends()[0])
	settings := setWidget(t, e, nil)
	host := hostPage(t, e.URL, settings["embedId"].(string), "")
	setWidget(t, e, map[string]any{"allowedOrigins": []string{host.URL}})

	do(t, ctx, chromedp.Navigate(host.URL), chromedp.WaitVisible(css("#drift-widget-launcher")),
		chromedp.Focus(css("#drift-widget-launcher")), chromedp.KeyEvent(kb.Enter))
	frame := frameNode(t, ctx)
	waitLog(t, ctx, frame, "How can we help?")
	role := run(t, ctx, chromedp.AttributeValue(css("#dw-log"), "role", in(frame))).Value
	live := run(t, ctx, chromedp.AttributeValue(css("#dw-log"), "aria-live", in(frame))).Value
	run(t, ctx, chromedp.Poll[bool](`document.activeElement.id === "drift-widget-frame"`, chromedp.WithPollingTimeout(10*time.Second)))
	if role != "log" || live != "polite" {
		t.Fatalf("transcript role=%q aria-live=%q", role, live)
	}
	// Typing goes to the composer, focused inside the frame.
	time.Sleep(200 * time.Millisecond)
	do(t, ctx, chromedp.KeyEvent("Typed with keys only"), chromedp.KeyEvent(kb.Enter))
	waitLog(t, ctx, frame, "Typed with keys only")
	do(t, ctx, chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(css("#drift-widget-frame")))
	active := run(t, ctx, chromedp.Evaluate[string](`document.activeElement.id`))
	expanded := run(t, ctx, chromedp.Evaluate[string](`document.querySelector("#drift-widget-launcher").getAttribute("aria-expanded")`))
	if active != "drift-widget-launcher" || expanded != "false" {
		t.Fatalf("after Escape: focus on %q, aria-expanded %q", active, expanded)
	}
}

// A page whose origin the widget does not allow gets no launcher, cannot
// frame the chat (frame-ancestors), and its requests are refused.
func TestWidget_DisallowedOrigin(t *testing.T) {
	ctx := browser(t)
	e := apitest.Start(t, storetest.Backends()[0])
	embed := setWidget(t, e, map[string]any{"allowedOrigins": []string{"https://only.example"}})["embedId"].(string)
	host := hostPage(t, e.URL, embed, `
window.refused = "pending";
fetch("`+e.URL+`/widget/v1/`+embed+`/sessions", {method: "POST", body: "{}", headers: {"Content-Type": "application/json"}})
  .then(r => window.refused = r.status, () => window.refused = "blocked");
`)
	do(t, ctx, chromedp.Navigate(host.URL))
	run(t, ctx, chromedp.Poll[bool](`window.refused !== "pending"`))
	launchers := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#drift-widget-launcher").length`))
	refused := run(t, ctx, chromedp.Evaluate[any](`window.refused`))
	if launchers != 0 || refused == float64(201) {
		t.Fatalf("a disallowed origin got %d launchers and a session request answered %v", launchers, refused)
	}
	// The frame says who may embed it: not this host.
	fr := e.Do(t, apitest.Request{Method: "GET", Path: "/widget/frame/" + embed})
	if csp := fr.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self' "+e.URL+" https://only.example") || strings.Contains(csp, host.URL) {
		t.Fatalf("the frame's CSP: %q", csp)
	}
	r := e.Do(t, apitest.Request{Method: "POST", Path: "/widget/v1/" + embed + "/sessions", Body: map[string]any{}, Header: map[string]string{"Origin": host.URL}})
	apitest.WantError(t, r, 403, "insufficient_scope")
}

// Offline (outside the widget's hours): the away greeting, the visitor's
// message still accepted, then the away message and the email capture,
// whose email identifies the contact.
func TestWidget_Offline(t *testing.T) {
	ctx := browser(t)
	e := apitest.Start(t, storetest.Backends()[0])
	embed := setWidget(t, e, map[string]any{"hours": map[string]any{"mode": "scheduled", "timeZone": "UTC", "schedule": []any{}}})["embedId"].(string)
	host := hostPage(t, e.URL, embed, "")
	setWidget(t, e, map[string]any{"allowedOrigins": []string{host.URL}})
	do(t, ctx, chromedp.Navigate(host.URL), chromedp.Click(css("#drift-widget-launcher")))
	frame := frameNode(t, ctx)
	waitLog(t, ctx, frame, "We're away right now")
	do(t, ctx, chromedp.SendKeys(css("#dw-input"), "Anyone there?\n", in(frame)))
	waitLog(t, ctx, frame, "we'll reply by email")
	do(t, ctx, chromedp.WaitVisible(css("#dw-email-input"), in(frame)))
	screenshot(t, ctx, "widget-offline.png")
	do(t, ctx, chromedp.SendKeys(css("#dw-email-input"), "night.owl@example.com\n", in(frame)))
	waitLog(t, ctx, frame, "We'll reply to night.owl@example.com")
	conv := newestConversation(t, e)
	c := e.Call(t, "GET", fmt.Sprintf("/conversations/%d", conv), nil, 200)["data"].(map[string]any)
	ct := e.Call(t, "GET", fmt.Sprintf("/contacts/%d", num(c["contactId"])), nil, 200)["data"].(map[string]any)
	if ct["attributes"].(map[string]any)["email"] != "night.owl@example.com" {
		t.Fatalf("the captured email is not the contact's: %v", ct)
	}
}

// node is a Driftwood that a test can stop and start again on the same
// address and database, as a restart would.
type node struct {
	cfg    config.Config
	app    *app.App
	cancel context.CancelFunc
	done   chan error
}

func startNode(t *testing.T, cfg config.Config) *node {
	t.Helper()
	a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var ln net.Listener
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if ln, err = net.Listen("tcp", cfg.Addr); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &node{cfg: cfg, app: a, cancel: cancel, done: make(chan error, 1)}
	a.Start(ctx)
	go func() { n.done <- a.Serve(ctx, ln) }()
	return n
}

func (n *node) stop() {
	n.cancel()
	<-n.done
	n.app.Close()
}

// A restart mid-conversation loses and duplicates nothing: replies posted
// while the server is down (by a second process on the same database) and
// after it is back all appear in the widget, each once.
func TestWidget_RestartLosesNothing(t *testing.T) {
	ctx := browser(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cfg := config.Config{DB: storetest.SQLiteDSN(t), Addr: addr, PublicURL: "http://" + addr, SecretKey: secrets.Generate().String(),
		BootstrapToken: secrets.RandomToken("test_"), WebhookTimeout: time.Second}
	cfg.WebhookRetry, _ = config.ParseSchedule("1s")
	n := startNode(t, cfg)
	defer func() { n.stop() }()
	call := func(method, path string, body any) map[string]any {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = strings.NewReader(string(b))
		}
		req, _ := http.NewRequest(method, cfg.PublicURL+path, rd)
		req.Header.Set("Authorization", "Bearer "+cfg.BootstrapToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, out)
		}
		return out
	}
	embed := call("GET", "/driftwood/v1/widget", nil)["data"].(map[string]any)["embedId"].(string)
	host := hostPage(t, cfg.PublicURL, embed, "")
	call("PATCH", "/driftwood/v1/widget", map[string]any{"allowedOrigins": []string{host.URL}})
	do(t, ctx, chromedp.Navigate(host.URL), chromedp.Click(css("#drift-widget-launcher")))
	frame := frameNode(t, ctx)
	do(t, ctx, chromedp.SendKeys(css("#dw-input"), "Before the restart\n", in(frame)))
	waitLog(t, ctx, frame, "Before the restart")
	list := call("GET", "/conversations?limit=1", nil)["data"].([]any)
	conv := num(list[0].(map[string]any)["id"])
	reply := func(text string) {
		call("POST", fmt.Sprintf("/conversations/%d/messages", conv), map[string]any{"type": "chat", "body": text})
	}
	reply("Reply one")
	waitLog(t, ctx, frame, "Reply one")

	n.stop()
	// While it is down, another process writes to the same database.
	other := cfg
	ln2, _ := net.Listen("tcp", "127.0.0.1:0")
	other.Addr = ln2.Addr().String()
	ln2.Close()
	other.PublicURL = "http://" + other.Addr
	o := startNode(t, other)
	base := cfg.PublicURL
	cfg.PublicURL = other.PublicURL
	call2 := func(text string) {
		b, _ := json.Marshal(map[string]any{"type": "chat", "body": text})
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/conversations/%d/messages", other.PublicURL, conv), strings.NewReader(string(b)))
		req.Header.Set("Authorization", "Bearer "+cfg.BootstrapToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("posting while down: %v %v", err, resp)
		}
		resp.Body.Close()
	}
	call2("Reply two, while the server was down")
	o.stop()
	cfg.PublicURL = base
	n = startNode(t, cfg)
	reply("Reply three, after the restart")
	text := waitLog(t, ctx, frame, "Reply three, after the restart")
	for _, want := range []string{"Reply one", "Reply two, while the server was down", "Before the restart"} {
		if c := strings.Count(text, want); c != 1 {
			t.Errorf("%q shows %d times in:\n%s", want, c, text)
		}
	}
}

// num reads a JSON number, as apitest (json.Number) or encoding/json
// (float64) decodes it.
func num(v any) int64 {
	switch n := v.(type) {
	case json.Number:
		i, _ := n.Int64()
		return i
	case float64:
		return int64(n)
	}
	return 0
}

// Driftwood's own demo page embeds the widget with Drift's snippet (no
// allowed origins needed: it is Driftwood's origin), and the full-page chat
// at /chat/{embedId} is the same chat without a host page.
func TestWidget_DemoAndFullPage(t *testing.T) {
	ctx := browser(t)
	e := apitest.Start(t, storetest.Backends()[0])
	w := setWidget(t, e, map[string]any{"title": "Acme support"})
	do(t, ctx, chromedp.Navigate(w["demoUrl"].(string)), chromedp.Click(css("#drift-widget-launcher")))
	frame := frameNode(t, ctx)
	do(t, ctx, chromedp.SendKeys(css("#dw-input"), "Hello from the demo page\n", in(frame)))
	waitLog(t, ctx, frame, "Hello from the demo page")
	screenshot(t, ctx, "widget-demo.png")
	if msgs := messagesOf(t, e, newestConversation(t, e)); len(msgs) != 1 || msgs[0]["body"] != "Hello from the demo page" {
		t.Fatalf("the demo page's message through the API: %v", msgs)
	}

	// The shareable URL opens in a tab of its own, as a link does. (Navigating
	// the demo page's tab away while its chat streams made chromedp wait
	// for a load event that, about one run in twenty on a loaded machine,
	// it never saw.)
	page := browsertest.NewTab(t, ctx)
	do(t, page, chromedp.Navigate(w["chatUrl"].(string)), chromedp.WaitVisible(css("#dw-input")),
		chromedp.SendKeys(css("#dw-input"), "Hello from the full page\n"))
	if _, ok := browsertest.Poll(page, chromedp.TextContent(css("#dw-log")), func(s string) bool {
		return strings.Contains(s, "Hello from the full page")
	}); !ok {
		t.Fatal("the full-page chat never showed the message")
	}
	screenshot(t, page, "widget-fullpage.png")
}

// Identity modes, with the page's own drift.identify: in ENABLED mode a
// JWT signed with the widget secret makes the visitor the known contact,
// who sees and continues their earlier conversation; an invalid one leaves
// the visitor anonymous (their attributes may go on their own contact,
// never the known one's identity); in REQUIRED mode an unsigned identify is ignored; in
// DISABLED mode a signature is not even checked, so it grants nothing.
func TestWidget_Identity(t *testing.T) {
	e := apitest.Start(t, storetest.Backends()[0])
	known := num(e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": "known@acme.example", "externalId": "crm-42", "name": "Known"}}, 200)["data"].(map[string]any)["id"])
	old := num(e.Call(t, "POST", "/conversations/new", map[string]any{"email": "known@acme.example", "message": map[string]any{"body": "An old secret"}}, 200)["id"])
	w := setWidget(t, e, map[string]any{"identityMode": "ENABLED"})
	embed, secret := w["embedId"].(string), w["identitySecret"].(string)
	good := widget.SignIdentity(widget.Identity{ExternalID: "crm-42", Email: "known@acme.example"}, secret, time.Now().Add(time.Hour))
	forged := widget.SignIdentity(widget.Identity{ExternalID: "crm-42", Email: "known@acme.example"}, "dwws_not-the-secret", time.Now().Add(time.Hour))

	// chat opens the host page calling identify, writes text, and returns
	// the transcript and the contact of the conversation it went to.
	chat := func(t *testing.T, mode, identify, text string) (string, int64, map[string]any) {
		ctx := browser(t)
		host := hostPage(t, e.URL, embed, identify)
		setWidget(t, e, map[string]any{"identityMode": mode, "allowedOrigins": []string{host.URL}})
		do(t, ctx, chromedp.Navigate(host.URL), chromedp.Click(css("#drift-widget-launcher")))
		frame := frameNode(t, ctx)
		do(t, ctx, chromedp.WaitVisible(css("#dw-input"), in(frame)))
		do(t, ctx, chromedp.SendKeys(css("#dw-input"), text+"\n", in(frame)))
		log := waitLog(t, ctx, frame, text)
		conv := newestConversation(t, e)
		c := e.Call(t, "GET", fmt.Sprintf("/conversations/%d", conv), nil, 200)["data"].(map[string]any)
		ct := e.Call(t, "GET", fmt.Sprintf("/contacts/%d", num(c["contactId"])), nil, 200)["data"].(map[string]any)
		return log, conv, ct
	}
	identify := func(jwt string) string {
		return `drift.identify("crm-42", {plan: "trial", name: "Impostor"}, {userJwt: "` + jwt + `"});`
	}

	t.Run("enabled, signed", func(t *testing.T) {
		log, conv, ct := chat(t, "ENABLED", identify(good), "It is me again")
		if !strings.Contains(log, "An old secret") || conv != old || num(ct["id"]) != known {
			t.Fatalf("a signed identity: conversation %d (want %d), contact %v, transcript:\n%s", conv, old, ct, log)
		}
	})
	t.Run("enabled, forged", func(t *testing.T) {
		log, conv, ct := chat(t, "ENABLED", identify(forged), "Who am I")
		attrs := ct["attributes"].(map[string]any)
		// The visitor stays anonymous: their own contact (which may keep the
		// attributes), not the known one, and no identity on it.
		if strings.Contains(log, "An old secret") || conv == old || num(ct["id"]) == known || attrs["externalId"] == "crm-42" || attrs["email"] == "known@acme.example" {
			t.Fatalf("a forged identity reached: conversation %d, contact %v, transcript:\n%s", conv, ct, log)
		}
	})
	t.Run("required, unsigned", func(t *testing.T) {
		log, conv, ct := chat(t, "REQUIRED", `drift.identify("someone-new", {name: "Unsigned"});`, "Hello there")
		attrs := ct["attributes"].(map[string]any)
		if strings.Contains(log, "An old secret") || conv == old || attrs["externalId"] == "someone-new" || attrs["name"] == "Unsigned" {
			t.Fatalf("REQUIRED applied an unsigned identity: contact %v", ct)
		}
	})
	t.Run("disabled, signed", func(t *testing.T) {
		log, conv, ct := chat(t, "DISABLED", identify(good), "Just browsing")
		if strings.Contains(log, "An old secret") || conv == old || num(ct["id"]) == known {
			t.Fatalf("DISABLED honoured a signature: conversation %d, contact %v", conv, ct)
		}
	})
	e.Call(t, "PATCH", "/driftwood/v1/widget", map[string]any{"identityMode": "DISABLED"}, 200)
}
