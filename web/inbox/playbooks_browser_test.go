package inbox_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// On both stores, an admin and an agent in two browsers: the agent's
// unread badges and tab title rise with a visitor's messages and fall when
// the agent opens the conversation; the agent has no Playbooks view (and
// its API refuses him); the admin's editor names the invalid field and
// saves nothing, saves once fixed, runs a dry run, creates and deletes a
// playbook. Every name and text is rendered as text.
func TestInbox_PlaybooksAndUnread(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		admin, agent := browser(t), browser(t)
		e := apitest.Start(t, b)
		var u struct{ Data struct{ ID int64 } }
		apitest.Scenario{Method: "POST", Path: "/driftwood/v1/users", Status: 201,
			Body: map[string]any{"name": "Ines Admin", "email": "ines@inbox.example", "role": "admin"}}.Run(t, e).Decode(t, &u)
		e.SetPassword(t, e.Invite(t, e.OrgID, u.Data.ID), password)
		adaID := e.NewAgent(t, e.OrgID, "Ada Lovelace", "ada@inbox.example")
		e.SetPassword(t, e.Invite(t, e.OrgID, adaID), password)

		steps := []map[string]any{
			{"id": "hi", "kind": "question", "text": "Hi {{name|there}}, sales or support?", "buttons": []map[string]any{
				{"label": "Sales", "next": "mail"}, {"label": "Support", "next": "bye"}}},
			{"id": "mail", "kind": "email_capture", "text": "Your email?", "next": "won"},
			{"id": "won", "kind": "goal", "goal": "Lead", "next": "bye"},
			{"id": "bye", "kind": "end"},
		}
		made := e.Call(t, "POST", "/driftwood/v1/playbooks", map[string]any{"name": "<b>Welcome</b>", "enabled": true,
			"definition": map[string]any{"priority": 3, "targeting": map[string]any{"urls": []map[string]any{{"match": "contains", "value": "/pricing"}}},
				"steps": steps}}, 201)
		pbPath := fmt.Sprintf("/driftwood/v1/playbooks/%v", made["data"].(map[string]any)["id"])

		login(t, admin, e.URL, "ines@inbox.example", password)
		login(t, agent, e.URL, "ada@inbox.example", password)

		// The agent sees no Playbooks view, and its API refuses him.
		if n := run(t, agent, chromedp.Evaluate[int](`document.querySelectorAll('[data-view="playbooks"], #pbs button').length`)); n != 0 {
			t.Errorf("an agent's inbox shows %d playbook controls", n)
		}
		if s := run(t, agent, chromedp.Evaluate[int](`fetch("/inbox/api/playbooks").then(r => r.status)`, chromedp.EvalAwaitPromise)); s != 403 {
			t.Errorf("an agent's GET /inbox/api/playbooks: %d, want 403", s)
		}

		// Unread: a visitor's message raises the conversation's badge, the
		// views' and the title; a second conversation raises the title.
		simulate := func(body string) string {
			r := e.Call(t, "POST", "/driftwood/v1/simulate/conversations", map[string]any{"email": "grace@visitor.example", "body": body}, 200)
			return fmt.Sprint(r["data"].(map[string]any)["id"])
		}
		first := simulate("<i>Hello</i>, is anyone there?")
		firstBadge := fmt.Sprintf(`#convs button[data-id="%s"] .unread-n`, first)
		waitText(t, agent, firstBadge, "1 unread")
		waitText(t, agent, "#unread-all", "1 unread")
		waitText(t, agent, "#unread-unassigned", "1 unread")
		waitTitle(t, agent, "(1) Inbox · Driftwood")
		e.Call(t, "POST", fmt.Sprintf("/driftwood/v1/simulate/conversations/%s/messages", first), map[string]any{"body": "About pricing"}, 200)
		waitText(t, agent, firstBadge, "2 unread")
		second := simulate("And a second question")
		waitText(t, agent, "#unread-all", "2 unread")
		waitTitle(t, agent, "(2) Inbox · Driftwood")
		if n := run(t, agent, chromedp.Evaluate[int](`document.querySelectorAll("#convs i").length`)); n != 0 {
			t.Errorf("the visitor's markup became %d elements", n)
		}

		// Opening it marks it read: its badge goes, the counts fall.
		do(t, agent, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#convs button[data-id="%s"]`, first))))
		waitText(t, agent, ".log", "About pricing")
		waitTitle(t, agent, "(1) Inbox · Driftwood")
		waitText(t, agent, "#unread-all", "1 unread")
		waitGone(t, agent, firstBadge)
		waitText(t, agent, fmt.Sprintf(`#convs button[data-id="%s"] .unread-n`, second), "1 unread")

		// The admin's Playbooks view lists the playbook by its name, as text.
		do(t, admin, chromedp.Click(chromedp.CSS(`[data-view="playbooks"]`)))
		waitText(t, admin, "#list-title", "Playbooks")
		waitText(t, admin, "#pbs", "<b>Welcome</b>")
		if n := run(t, admin, chromedp.Evaluate[int](`document.querySelectorAll("#pbs b").length`)); n != 0 {
			t.Errorf("the playbook's name became %d elements", n)
		}
		do(t, admin, chromedp.Click(chromedp.CSS("#pbs button")), chromedp.WaitVisible(chromedp.CSS("#pb-json")))
		if l := run(t, admin, chromedp.Evaluate[string](`document.querySelector("#pb-json").labels[0].textContent`)); l != "Playbook JSON" {
			t.Errorf("the editor's label is %q", l)
		}

		// Not JSON, then a step that goes nowhere: the error names the field
		// beside the editor and nothing is saved.
		edit := func(js string) {
			do(t, admin, chromedp.Evaluate[chromedp.Void](`(ta => { ta.value = `+js+`; ta.dispatchEvent(new Event("input")) })(document.querySelector("#pb-json"))`),
				chromedp.Click(chromedp.CSS(".pb-edit .btn.primary")))
		}
		edit(`ta.value.replace("{", "{,")`)
		waitText(t, admin, "#pb-error", "Not valid JSON")
		edit(`ta.value.replace("{,", "{").replace('"next": "won"', '"next": "nowhere"')`)
		waitText(t, admin, "#pb-error code", "definition.steps[1].next")
		waitText(t, admin, "#pb-error", "nowhere")
		if v := run(t, admin, chromedp.Evaluate[string](`document.querySelector("#pb-json").getAttribute("aria-invalid")`)); v != "true" {
			t.Errorf("the editor's aria-invalid is %q after a refusal", v)
		}
		if v := e.Call(t, "GET", pbPath, nil, 200)["data"].(map[string]any)["version"]; fmt.Sprint(v) != "1" {
			t.Errorf("after a refused edit the playbook is at version %v, want 1", v)
		}
		// Fixed, with a new priority: saved as version 2.
		edit(`ta.value.replace('"next": "nowhere"', '"next": "won"').replace('"priority": 3', '"priority": 7')`)
		waitText(t, admin, ".pb-saved", "Saved as version 2.")
		waitText(t, admin, "#pbs", "v2 · priority 7")
		if got := e.Call(t, "GET", pbPath, nil, 200)["data"].(map[string]any)["definition"].(map[string]any)["priority"]; fmt.Sprint(got) != "7" {
			t.Errorf("the saved priority is %v, want 7", got)
		}

		// The dry run: the visitor's context in, the bot's path out.
		do(t, admin, chromedp.SetValue(chromedp.CSS("#pb-visitor"),
			`{"url": "https://x.example/pricing", "attributes": {"name": "<i>Jo</i>"}, "answers": ["Sales", "not an email", "jo@x.example"]}`),
			chromedp.Click(chromedp.CSS(".pb-dry .btn")))
		waitText(t, admin, ".pb-out", "Fires.")
		waitText(t, admin, ".pb-out .path", "Bot: Hi <i>Jo</i>, sales or support?")
		waitText(t, admin, ".pb-out .path", "Visitor: not an email (refused)")
		waitText(t, admin, ".pb-out dl", "Lead")
		waitText(t, admin, ".pb-out dl", "ended")
		if n := run(t, admin, chromedp.Evaluate[int](`document.querySelectorAll(".pb-out i").length`)); n != 0 {
			t.Errorf("the dry run's bot text became %d elements", n)
		}
		if b.Name == "sqlite" {
			screenshot(t, admin, "inbox-playbooks.png")
		}
		do(t, admin, chromedp.SetValue(chromedp.CSS("#pb-visitor"), `{"url": "https://x.example/about"}`),
			chromedp.Click(chromedp.CSS(".pb-dry .btn")))
		waitText(t, admin, ".pb-out", "Does not fire: targeting.urls")

		// A new playbook from the template, then deleted.
		do(t, admin, chromedp.Click(chromedp.CSS("#pb-new")), chromedp.WaitVisible(chromedp.CSS("#pb-json")),
			chromedp.Click(chromedp.CSS(".pb-edit .btn.primary")))
		waitText(t, admin, ".pb-saved", "Saved as version 1.")
		waitText(t, admin, "#pbs", "New playbook")
		do(t, admin, chromedp.Click(chromedp.CSS(".conv-head .actions .btn")))
		waitText(t, admin, ".conv-head .actions .btn", "Really delete?")
		do(t, admin, chromedp.Click(chromedp.CSS(".conv-head .actions .btn")))
		waitText(t, admin, "#conv", "deleted")
		if n := len(e.Call(t, "GET", "/driftwood/v1/playbooks", nil, 200)["data"].([]any)); n != 1 {
			t.Errorf("%d playbooks after creating one and deleting it, want 1", n)
		}

		// Back to a conversation view: the list and its counts return.
		do(t, admin, chromedp.Click(chromedp.CSS(`[data-view="all"]`)))
		waitText(t, admin, "#convs", "And a second question")
		waitTitle(t, admin, "(2) Inbox · Driftwood")
	})
}

// waitTitle waits until the tab's title is want.
func waitTitle(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	waitJS(t, ctx, fmt.Sprintf(`document.title === %q`, want), "the title "+want)
}

// waitGone waits until nothing matches sel.
func waitGone(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	waitJS(t, ctx, fmt.Sprintf(`!document.querySelector(%q)`, sel), sel+" gone")
}

// waitJS waits until the expression is true; what says what was awaited.
func waitJS(t *testing.T, ctx context.Context, expr, what string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if run(t, ctx, chromedp.Evaluate[bool](expr)) {
			return
		}
	}
	t.Fatalf("never saw %s (the title is %q)", what, run(t, ctx, chromedp.Evaluate[string](`document.title`)))
}
