package inbox_test

// End-to-end tests of the inbox in headless Chromium, two browsers at once:
// agents sign in with the form, a visitor's conversation appears live, a
// reply shows in the REST API and in the other agent's inbox, assignment
// and status changes work, and a deactivated agent's session ends. They
// skip without a browser unless DRIFTWOOD_REQUIRE_BROWSER=1 (CI sets it).

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/browsertest"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(browsertest.Main(m, 1360, 820)) }

// browser opens a new browser (its own profile and cookies) for the test.
func browser(t *testing.T) context.Context { return browsertest.New(t, 120*time.Second) }

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// waitText waits until the text of sel contains want.
func waitText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	var text string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		text = run(t, ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)||{}).textContent||""`, sel)))
		if strings.Contains(text, want) {
			return
		}
	}
	t.Fatalf("%s never showed %q; it shows:\n%s", sel, want, text)
}

// -screenshots rewrites the inbox's screenshots of docs/ (README's) from the tests.
var updateScreenshots = flag.Bool("screenshots", false, "write the inbox's screenshots into docs/")

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if !*updateScreenshots {
		return
	}
	time.Sleep(300 * time.Millisecond)
	png := run(t, ctx, chromedp.CaptureScreenshot())
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "docs")
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// login signs in through the form.
func login(t *testing.T, ctx context.Context, base, email, password string) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), password+"\n"),
		chromedp.WaitVisible(chromedp.CSS("#convs")))
	waitText(t, ctx, "#live", "Live")
}

const password = "correct horse battery"

func TestInbox_TwoAgents(t *testing.T) {
	ada, bo := browser(t), browser(t)
	e := apitest.Start(t, storetest.Backends()[0])
	adaID := e.NewAgent(t, e.OrgID, "Ada Lovelace", "ada@inbox.example")
	boID := e.NewAgent(t, e.OrgID, "Bo Sales", "bo@inbox.example")
	e.SetPassword(t, e.Invite(t, e.OrgID, adaID), password)
	e.SetPassword(t, e.Invite(t, e.OrgID, boID), password)
	e.Call(t, "POST", "/driftwood/v1/canned-replies", map[string]any{"shortcut": "trial", "body": "Our trial lasts 14 days, no card needed."}, 201)

	do(t, ada, chromedp.Navigate(e.URL+"/login"), chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "ada@inbox.example"), chromedp.SendKeys(chromedp.CSS("#password"), "wrong password\n"),
		chromedp.WaitVisible(chromedp.CSS(".error")))
	waitText(t, ada, ".error", "Wrong email or password")
	screenshot(t, ada, "inbox-login.png")
	// Grace has an earlier, closed conversation, an account and a timeline.
	early := e.Call(t, "POST", "/driftwood/v1/simulate/conversations",
		map[string]any{"email": "grace@visitor.example", "body": "An earlier question about invoices"}, 200)
	earlyID := early["data"].(map[string]any)["id"]
	e.Call(t, "PATCH", fmt.Sprintf("/driftwood/v1/conversations/%v", earlyID), map[string]any{"status": "closed"}, 200)
	e.Call(t, "POST", "/accounts/create", map[string]any{"ownerId": boID, "name": "Visitor Corp", "domain": "visitor.example"}, 200)
	e.Call(t, "POST", "/contacts/timeline", map[string]any{"contactId": early["data"].(map[string]any)["contactId"], "event": "Watched the demo"}, 200)

	team := e.Call(t, "POST", "/driftwood/v1/teams", map[string]any{"name": "Support", "members": []int64{adaID, boID}}, 201)
	teamID := team["data"].(map[string]any)["id"]

	login(t, ada, e.URL, "ada@inbox.example", password)
	login(t, bo, e.URL, "bo@inbox.example", password)

	// A visitor's new conversation appears in both inboxes, live.
	var conv struct{ Data struct{ ID int64 } }
	apitest.Scenario{Method: "POST", Path: "/driftwood/v1/simulate/conversations",
		Body:   map[string]any{"email": "grace@visitor.example", "body": "<img src=x onerror=alert(1)>Do you have a free trial?"},
		Events: []events.Type{events.ContactIdentified, events.NewConversation, events.NewMessage},
		Check:  func(t testing.TB, r *apitest.Result) { r.Decode(t, &conv) }}.Run(t, e)
	waitText(t, ada, "#convs", "grace@visitor.example")
	waitText(t, bo, "#convs", "Do you have a free trial?")
	if n := run(t, ada, chromedp.Evaluate[int](`document.querySelectorAll("#conv img, #convs img").length`)); n != 0 {
		t.Errorf("the visitor's markup became %d elements", n)
	}
	if title := run(t, ada, chromedp.Evaluate[string](`document.title`)); !strings.HasPrefix(title, "(1) ") {
		t.Errorf("the tab title is %q, want the unread count first", title)
	}

	// Ada finds it by searching, with the keyboard only: / to the search
	// box, the words, Tab to the first hit, Enter; Escape empties the box.
	// (chromedp sends the key's character apart from its keydown, which
	// a browser would not type once the page took the key: drop it.)
	do(t, ada, chromedp.KeyEvent("/"), chromedp.WaitReady(chromedp.CSS("#q:focus")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#q").value = ""`),
		chromedp.SendKeys(chromedp.CSS("#q"), "free TRI"))
	waitText(t, ada, "#results", "Do you have a free trial?")
	screenshot(t, ada, "inbox-search.png")
	if n := run(t, ada, chromedp.Evaluate[int](`document.querySelectorAll("#results img").length`)); n != 0 {
		t.Errorf("the search shows the visitor's markup as %d elements", n)
	}
	do(t, ada, chromedp.Focus(chromedp.CSS(`#results ul[aria-labelledby="hits-messages"] button`)), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(".composer textarea")))
	waitText(t, ada, ".conv-head h2", "grace@visitor.example")
	do(t, ada, chromedp.SendKeys(chromedp.CSS("#q"), "\x1b"), chromedp.WaitVisible(chromedp.CSS("#convs")))

	// Both open it; Ada takes it and answers; Bo sees the answer live.
	item := chromedp.CSS(fmt.Sprintf(`#convs button[data-id="%d"]`, conv.Data.ID))
	do(t, bo, chromedp.Click(item), chromedp.WaitVisible(chromedp.CSS(".composer textarea")))
	waitText(t, ada, "#count-unassigned", "1")
	do(t, ada, chromedp.Click(chromedp.CSS(".actions .btn"))) // Assign to me
	waitText(t, bo, "#convs", "Ada Lovelace")
	waitText(t, ada, "#count-mine", "1 awaiting a reply")
	// Bo's team view lists what Ada, of his team, has.
	do(t, bo, chromedp.Click(chromedp.CSS(`[data-view="team"]`)))
	waitText(t, bo, "#list-title", "Team Support")
	waitText(t, bo, "#convs", "Ada Lovelace")
	waitText(t, bo, fmt.Sprintf("#count-team-%v", teamID), "1")

	// The sidebar: the account, the earlier conversation, the timeline;
	// Ada renames Grace (Drift's contact_updated) and Bo's list follows.
	waitText(t, ada, "aside.contact", "Visitor Corp")
	waitText(t, ada, "aside.contact .others", "An earlier question about invoices")
	waitText(t, ada, "aside.contact .timeline", "watched the demo")
	do(t, ada, chromedp.Click(chromedp.CSS(".side-head button")), chromedp.WaitVisible(chromedp.CSS("form.edit")))
	do(t, ada, chromedp.SendKeys(chromedp.CSS(`form.edit input[name="name"]`), "<i>Grace</i> Hopper"),
		chromedp.Click(chromedp.CSS("form.edit .btn.primary")))
	waitText(t, bo, "#convs", "<i>Grace</i> Hopper")
	waitText(t, ada, ".conv-head h2", "<i>Grace</i> Hopper")
	waitText(t, bo, ".conv-head h2", "<i>Grace</i> Hopper")
	if n := run(t, bo, chromedp.Evaluate[int](`document.querySelectorAll("#convs i, aside i, .conv-head i").length`)); n != 0 {
		t.Errorf("the contact's name became %d elements", n)
	}
	screenshot(t, ada, "inbox-contact.png")

	// Typing shows both ways: the visitor's (as the widget tells it) in
	// both inboxes, Ada's in Bo's (the widget shows it from the same event).
	c, err := e.App.DB.GetConversation(context.Background(), e.OrgID, conv.Data.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.App.DB.RecordTyping(context.Background(), e.OrgID, c.ID, conversation.Author{Type: conversation.AuthorContact, ID: c.ContactID}); err != nil {
		t.Fatal(err)
	}
	waitText(t, ada, "#typing", "<i>Grace</i> Hopper is typing")
	waitText(t, bo, "#typing", "<i>Grace</i> Hopper is typing")
	do(t, ada, chromedp.SendKeys(chromedp.CSS(".composer textarea"), "Yes: 14 days"))
	waitText(t, bo, "#typing", "Ada Lovelace")
	do(t, ada, chromedp.SendKeys(chromedp.CSS(".composer textarea"), ", no card needed.\n"))
	waitText(t, bo, ".log", "Yes: 14 days, no card needed.")
	msgs := e.Call(t, "GET", fmt.Sprintf("/conversations/%d/messages", conv.Data.ID), nil, 200)
	if !strings.Contains(fmt.Sprint(msgs), "Yes: 14 days, no card needed.") {
		t.Errorf("the REST API does not list Ada's reply: %v", msgs)
	}
	// A private note, marked as one.
	do(t, ada, chromedp.Click(chromedp.CSS(".tabs button:nth-child(2)")),
		chromedp.SendKeys(chromedp.CSS(".composer textarea"), "Enterprise lead, loop in sales\n"))
	waitText(t, bo, ".msg.note", "private note")
	// The visitor answers; both see it.
	e.Call(t, "POST", fmt.Sprintf("/driftwood/v1/simulate/conversations/%d/messages", conv.Data.ID),
		map[string]any{"body": "Great, thanks! Can I invite my team?"}, 200)
	waitText(t, ada, ".log", "Can I invite my team?")
	screenshot(t, ada, "inbox.png")

	// A canned reply: / and its shortcut, then Tab.
	do(t, ada, chromedp.Click(chromedp.CSS(".tabs button:nth-child(1)")),
		chromedp.SendKeys(chromedp.CSS(".composer textarea"), "/tri"), chromedp.WaitVisible(chromedp.CSS(".canned")))
	screenshot(t, ada, "inbox-canned.png")
	do(t, ada, chromedp.SendKeys(chromedp.CSS(".composer textarea"), "\t"))
	if v := run(t, ada, chromedp.Evaluate[string](`document.querySelector(".composer textarea").value`)); v != "Our trial lasts 14 days, no card needed." {
		t.Errorf("the composer holds %q after picking the canned reply", v)
	}
	do(t, ada, chromedp.Evaluate[chromedp.Void](`document.querySelector(".composer textarea").value = ""`))

	// A file goes with a reply; Bo sees it listed.
	file := filepath.Join(t.TempDir(), "price-list.txt")
	if err := os.WriteFile(file, []byte("Pro: 20 EUR a month"), 0o644); err != nil {
		t.Fatal(err)
	}
	do(t, ada, chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{file}))
	waitText(t, ada, ".chosen", "price-list.txt")
	do(t, ada, chromedp.SendKeys(chromedp.CSS(".composer textarea"), "Our prices\n"))
	waitText(t, bo, ".log a.file", "price-list.txt")

	// Close and reopen, seen by the other agent.
	do(t, ada, chromedp.Click(chromedp.CSS(".actions .btn.primary")))
	waitText(t, bo, ".badge", "closed")
	do(t, bo, chromedp.Click(chromedp.CSS(".actions .btn.primary")))
	waitText(t, ada, ".badge", "open")

	// Bo is deactivated: his session stops working at once.
	e.Call(t, "PATCH", fmt.Sprintf("/scim/v2/Users/%d", boID), map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "path": "active", "value": false}}}, 200)
	do(t, bo, chromedp.Navigate(e.URL+"/inbox"), chromedp.WaitVisible(chromedp.CSS("#email")))
	if url := run(t, bo, chromedp.Evaluate[string](`location.pathname`)); url != "/login" {
		t.Errorf("a deactivated agent's inbox is at %s, want /login", url)
	}
}
