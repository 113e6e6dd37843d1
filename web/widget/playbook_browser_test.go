package widget_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// A proactive playbook greets the visitor on a targeted page and not on
// another; the visitor answers with a button, gives an email (a wrong one
// first: the bot's retry prompt) and a phone number, and is routed to the
// agent the playbook names, whose inbox shows the conversation as theirs.
func TestWidget_ProactivePlaybook(t *testing.T) {
	ctx := browser(t)
	e := apitest.Start(t, storetest.Backends()[0])
	ada := agent(t, e)
	pb := e.Call(t, "POST", "/driftwood/v1/playbooks", map[string]any{"name": "Pricing concierge", "definition": map[string]any{
		"targeting": map[string]any{"urls": []any{map[string]any{"match": "contains", "value": "/pricing"}}},
		"steps": []any{
			map[string]any{"id": "hi", "kind": "message", "text": "Hi {{first_name|there}}, welcome to pricing!", "next": "size"},
			map[string]any{"id": "size", "kind": "question", "text": "How big is your team?", "attribute": "team_size",
				"buttons": []any{map[string]any{"label": "1-10"}, map[string]any{"label": "11 or more"}}, "next": "email"},
			map[string]any{"id": "email", "kind": "email_capture", "text": "What is your work email?", "next": "phone"},
			map[string]any{"id": "phone", "kind": "phone_capture", "text": "And your phone number?", "next": "won"},
			map[string]any{"id": "won", "kind": "goal", "goal": "Qualified", "next": "route"},
			map[string]any{"id": "route", "kind": "route", "route": map[string]any{"to": "agent", "userId": ada}, "next": "bye"},
			map[string]any{"id": "bye", "kind": "message", "text": "Thanks! Ada will be right with you."},
		}}}, 201)
	if pb["data"] == nil {
		t.Fatalf("playbook: %v", pb)
	}
	settings := setWidget(t, e, map[string]any{"title": "Acme"})
	host := hostPage(t, e.URL, settings["embedId"].(string), "")
	setWidget(t, e, map[string]any{"allowedOrigins": []string{host.URL}})

	// Not on the blog: the frame asks, nothing fires, the chat stays shut.
	do(t, ctx, chromedp.Navigate(host.URL+"/blog/post"), chromedp.WaitReady(css("#drift-widget-frame")))
	frame := run(t, ctx, chromedp.Nodes(css("#drift-widget-frame")))[0]
	do(t, ctx, chromedp.WaitReady(css(`html[data-playbook="page:none"]`), in(frame)))
	if shown := run(t, ctx, chromedp.Evaluate[string](`document.querySelector("#drift-widget-frame").style.display`)); shown != "none" {
		t.Fatalf("the chat opened on an untargeted page (display %q)", shown)
	}
	if list := e.Call(t, "GET", "/conversations?limit=1", nil, 200)["data"].([]any); len(list) != 0 {
		t.Fatalf("a conversation started on an untargeted page: %v", list)
	}

	// On the pricing page the bot greets at once, in the opened chat.
	do(t, ctx, chromedp.Navigate(host.URL+"/pricing?plan=team"))
	frame = frameNode(t, ctx)
	waitLog(t, ctx, frame, "Hi there, welcome to pricing!")
	waitLog(t, ctx, frame, "How big is your team?")
	screenshot(t, ctx, "widget-playbook.png")
	do(t, ctx, chromedp.Click(css(".dw-buttons button:last-child"), in(frame)))
	waitLog(t, ctx, frame, "What is your work email?")
	do(t, ctx, chromedp.SendKeys(css("#dw-input"), "pat@\n", in(frame)))
	waitLog(t, ctx, frame, "doesn't look like an email address")
	do(t, ctx, chromedp.SendKeys(css("#dw-input"), "pat@acme.example\n", in(frame)))
	waitLog(t, ctx, frame, "And your phone number?")
	do(t, ctx, chromedp.SendKeys(css("#dw-input"), "+1 555 010 9999\n", in(frame)))
	waitLog(t, ctx, frame, "Ada will be right with you.")

	conv := newestConversation(t, e)
	c := e.Call(t, "GET", fmt.Sprintf("/conversations/%d", conv), nil, 200)["data"].(map[string]any)
	ct := e.Call(t, "GET", fmt.Sprintf("/contacts/%d", num(c["contactId"])), nil, 200)["data"].(map[string]any)["attributes"].(map[string]any)
	if ct["email"] != "pat@acme.example" || ct["phone"] != "+15550109999" || ct["team_size"] != "11 or more" {
		t.Fatalf("the contact after the playbook: %v", ct)
	}
	// The agent's inbox shows the conversation as theirs.
	a := e.SignIn(t, e.OrgID, ada, "ada@example.com", "correct horse battery staple")
	r := e.Do(t, apitest.Request{Method: "GET", Path: "/inbox/api/conversations?view=mine", Header: a.Header()})
	if r.Status != 200 || !strings.Contains(string(r.Body), fmt.Sprintf(`"id":%d`, conv)) {
		t.Fatalf("Ada's inbox: %d %s", r.Status, r.Body)
	}
}
