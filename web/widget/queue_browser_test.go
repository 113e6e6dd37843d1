package widget_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/browsertest"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// waitingVisitor starts a conversation as a new widget visitor through
// the widget's API, and returns it.
func waitingVisitor(t *testing.T, e *apitest.Env, embed string) int64 {
	t.Helper()
	r := e.Do(t, apitest.Request{Method: "POST", Path: "/widget/v1/" + embed + "/sessions", Body: map[string]any{}})
	token := r.Object(t)["data"].(map[string]any)["token"].(string)
	r = e.Do(t, apitest.Request{Method: "POST", Path: "/widget/v1/" + embed + "/messages", Token: token, Body: map[string]any{"body": "hello"}})
	if r.Status != 200 {
		t.Fatalf("a visitor's first message: %d %s", r.Status, r.Body)
	}
	return num(r.Object(t)["data"].(map[string]any)["conversation"].(map[string]any)["id"])
}

// With the one agent busy, the visitor's conversation waits in the queue:
// the chat shows their place and offers the email form; the place counts
// down as conversations before it close, and goes once Ada takes it. On
// both stores.
func TestWidget_QueuePosition(t *testing.T) {
	storetest.Each(t, queuePosition)
}

func queuePosition(t *testing.T, b storetest.Backend) {
	ctx := browser(t)
	e := apitest.Start(t, b)
	ada := agent(t, e)
	for _, a := range e.Call(t, "GET", "/driftwood/v1/routing", nil, 200)["data"].(map[string]any)["agents"].([]any) {
		if id := num(a.(map[string]any)["userId"]); id != ada {
			e.Call(t, "PATCH", fmt.Sprintf("/users/update?userId=%d", id), map[string]any{"availability": "OFFLINE"}, 200)
		}
	}
	e.Call(t, "PATCH", "/driftwood/v1/routing", map[string]any{"routeNewConversations": true,
		"capacities": map[string]int{fmt.Sprint(ada): 1}}, 200)
	settings := setWidget(t, e, map[string]any{"title": "Acme"})
	embed := settings["embedId"].(string)
	host := hostPage(t, e.URL, embed, "")
	setWidget(t, e, map[string]any{"allowedOrigins": []string{host.URL}})
	served, waiting := waitingVisitor(t, e, embed), waitingVisitor(t, e, embed)

	do(t, ctx, chromedp.Navigate(host.URL), chromedp.Click(css("#drift-widget-launcher")))
	frame := frameNode(t, ctx)
	do(t, ctx, chromedp.SendKeys(css("#dw-input"), "Is anyone free?\n", in(frame)))
	waitLog(t, ctx, frame, "You are number 2 in the queue")
	place := func(want string) {
		t.Helper()
		// The line is empty exactly when hidden (frame.js's showQueue).
		got, ok := browsertest.Poll(ctx, chromedp.TextContent(css("#dw-queue"), in(frame)), func(s string) bool { return s == want })
		if !ok {
			t.Fatalf("the queue's line shows %q, want %q", got, want)
		}
		if want != "" {
			do(t, ctx, chromedp.WaitVisible(css("#dw-queue"), in(frame)))
		}
	}
	place("You are number 2 in the queue")
	do(t, ctx, chromedp.WaitVisible(css("#dw-email-input"), in(frame)))
	if label := run(t, ctx, chromedp.TextContent(css("#dw-email-label"), in(frame))); label != "Your email, so we can reply" {
		t.Fatalf("the email form while waiting: %q", label)
	}
	screenshot(t, ctx, "widget-queue.png")

	// The served conversation closes: the waiting one is taken, ours
	// moves up.
	e.Call(t, "PATCH", fmt.Sprintf("/driftwood/v1/conversations/%d", served), map[string]any{"status": "closed"}, 200)
	place("You are number 1 in the queue")
	do(t, ctx, chromedp.SendKeys(css("#dw-email-input"), "waiting.wendy@example.com\n", in(frame)))
	waitLog(t, ctx, frame, "We'll reply to waiting.wendy@example.com")
	do(t, ctx, chromedp.WaitNotVisible(css("#dw-email"), in(frame)))

	// Then Ada is free: she takes ours, and the place goes.
	e.Call(t, "PATCH", fmt.Sprintf("/driftwood/v1/conversations/%d", waiting), map[string]any{"status": "closed"}, 200)
	place("")
	conv := newestConversation(t, e)
	c := e.Call(t, "GET", fmt.Sprintf("/conversations/%d", conv), nil, 200)["data"].(map[string]any)
	if !strings.Contains(fmt.Sprint(c["participants"]), fmt.Sprint(ada)) {
		t.Fatalf("Ada is not in the conversation after the queue drained: %v", c)
	}
}
