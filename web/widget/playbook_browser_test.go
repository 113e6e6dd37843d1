package widget_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/browsertest"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// A proactive playbook greets the visitor on a targeted page and not on
// another; the visitor answers with a button, gives an email (a wrong one
// first: the bot's retry prompt) and a phone number, is routed to the
// agent the answers point to, and books a meeting on that agent's calendar
// from the slot picker (the slot first picked was just taken by someone
// else: a note and fresh slots). The agent, signed in to the inbox in a
// browser of their own, sees the conversation. On both stores.
func TestWidget_ProactivePlaybook(t *testing.T) {
	storetest.Each(t, proactivePlaybook)
}

func proactivePlaybook(t *testing.T, b storetest.Backend) {
	ctx := browser(t)
	e := apitest.Start(t, b)
	ada := agent(t, e)
	bo := e.NewAgent(t, e.OrgID, "Bo Small", "bo@example.com")
	var hours []any
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		hours = append(hours, map[string]any{"day": d, "start": "00:00", "end": "24:00"})
	}
	e.Call(t, "PUT", fmt.Sprintf("/driftwood/v1/users/%d/availability", ada), map[string]any{"timeZone": "UTC", "workingHours": hours,
		"meetingTypes": []any{map[string]any{"name": "Intro call", "minutes": 30}}}, 200)
	pb := e.Call(t, "POST", "/driftwood/v1/playbooks", map[string]any{"name": "Pricing concierge", "definition": map[string]any{
		"targeting": map[string]any{"urls": []any{map[string]any{"match": "contains", "value": "/pricing"}}},
		"steps": []any{
			map[string]any{"id": "hi", "kind": "message", "text": "Hi {{first_name|there}}, welcome to pricing!", "next": "size"},
			map[string]any{"id": "size", "kind": "question", "text": "How big is your team?", "attribute": "team_size",
				"buttons": []any{map[string]any{"label": "1-10"}, map[string]any{"label": "11 or more"}}, "next": "email"},
			map[string]any{"id": "email", "kind": "email_capture", "text": "What is your work email?", "next": "phone"},
			map[string]any{"id": "phone", "kind": "phone_capture", "text": "And your phone number?", "next": "won"},
			map[string]any{"id": "won", "kind": "goal", "goal": "Qualified", "next": "which"},
			map[string]any{"id": "which", "kind": "branch", "cases": []any{
				map[string]any{"when": map[string]any{"attribute": "team_size", "op": "equals", "value": "11 or more"}, "next": "to-ada"},
				map[string]any{"when": map[string]any{"attribute": "team_size", "op": "exists"}, "next": "to-bo"}}},
			map[string]any{"id": "to-bo", "kind": "route", "route": map[string]any{"to": "agent", "userId": bo}, "next": "bye"},
			map[string]any{"id": "to-ada", "kind": "route", "route": map[string]any{"to": "agent", "userId": ada}, "next": "meet"},
			map[string]any{"id": "meet", "kind": "meeting", "text": "Want to talk it through? Pick a time with Ada:", "next": "bye"},
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
	do(t, ctx, chromedp.WaitVisible(css(".dw-buttons button"), in(frame)))
	screenshot(t, ctx, "widget-playbook.png")
	do(t, ctx, chromedp.Click(css(".dw-buttons button:last-child"), in(frame)))
	waitLog(t, ctx, frame, "What is your work email?")
	do(t, ctx, chromedp.SendKeys(css("#dw-input"), "pat@\n", in(frame)))
	waitLog(t, ctx, frame, "doesn't look like an email address")
	do(t, ctx, chromedp.SendKeys(css("#dw-input"), "pat@acme.example\n", in(frame)))
	waitLog(t, ctx, frame, "And your phone number?")
	do(t, ctx, chromedp.SendKeys(css("#dw-input"), "call me\n", in(frame)))
	waitLog(t, ctx, frame, "doesn't look like a phone number")
	do(t, ctx, chromedp.SendKeys(css("#dw-input"), "+1 555 010 9999\n", in(frame)))

	// The meeting step: Ada's free slots, by day, in the visitor's zone.
	waitLog(t, ctx, frame, "Pick a time with Ada")
	do(t, ctx, chromedp.WaitVisible(css(".dw-slots .dw-slot"), in(frame)))
	label := run(t, ctx, chromedp.AttributeValue(css(".dw-slots"), "aria-label", in(frame))).Value
	zone := label[strings.LastIndex(label, "(")+1 : len(label)-1]
	first := run(t, ctx, chromedp.AttributeValue(css(".dw-slots .dw-slot"), "aria-label", in(frame))).Value
	if !strings.HasPrefix(first, "Book ") || zone == "" {
		t.Fatalf("the slot picker: %q, first slot %q", label, first)
	}
	screenshot(t, ctx, "widget-slot-picker.png")
	// Someone else books the first slot meanwhile: the visitor's pick of
	// it is refused, told so, and fresh slots are shown.
	conv := newestConversation(t, e)
	c := e.Call(t, "GET", fmt.Sprintf("/conversations/%d", conv), nil, 200)["data"].(map[string]any)
	start := num(json.Number(run(t, ctx, chromedp.AttributeValue(css(".dw-slots .dw-slot"), "data-start", in(frame))).Value))
	e.Call(t, "POST", "/driftwood/v1/meetings", map[string]any{"agentId": ada, "schedulerId": num(c["contactId"]),
		"slotStart": start, "slotEnd": start + 30*60_000}, 201)
	// The picker works from the keyboard: focus a slot, Enter books it.
	do(t, ctx, chromedp.Focus(css(".dw-slots .dw-slot"), in(frame)), chromedp.KeyEvent("\r"))
	waitLog(t, ctx, frame, "That time was just taken.")
	fresh, ok := browsertest.Poll(ctx, chromedp.AttributeValue(css(".dw-slots .dw-slot"), "data-start", in(frame)), func(a chromedp.AttributeResult) bool {
		return a.Value != "" && num(json.Number(a.Value)) != start
	})
	if !ok {
		t.Fatalf("the taken slot %d is still offered first (%s)", start, fresh.Value)
	}
	booked := run(t, ctx, chromedp.AttributeValue(css(".dw-slots .dw-slot"), "aria-label", in(frame))).Value
	do(t, ctx, chromedp.Focus(css(".dw-slots .dw-slot"), in(frame)), chromedp.KeyEvent("\r"))
	waitLog(t, ctx, frame, "You're booked with Ada on "+strings.TrimPrefix(booked, "Book ")+" ("+zone+")")
	waitLog(t, ctx, frame, "Ada will be right with you.")

	c = e.Call(t, "GET", fmt.Sprintf("/conversations/%d", conv), nil, 200)["data"].(map[string]any)
	ct := e.Call(t, "GET", fmt.Sprintf("/contacts/%d", num(c["contactId"])), nil, 200)["data"].(map[string]any)["attributes"].(map[string]any)
	if ct["email"] != "pat@acme.example" || ct["phone"] != "+15550109999" || ct["team_size"] != "11 or more" {
		t.Fatalf("the contact after the playbook: %v", ct)
	}
	var participants []int64
	for _, p := range c["participants"].([]any) {
		participants = append(participants, num(p))
	}
	if !slices.Contains(participants, ada) || slices.Contains(participants, bo) {
		t.Fatalf("the conversation's participants are %v, want Ada (%d), not Bo (%d)", participants, ada, bo)
	}
	meetings := e.Call(t, "GET", fmt.Sprintf("/users/meetings/org?min_start_time=%d&max_start_time=%d", start, start+8*24*3600_000), nil, 200)
	if got := fmt.Sprint(meetings["data"]); strings.Count(got, "CONVERSATION") != 1 || !strings.Contains(got, fmt.Sprintf("conversationId:%d", conv)) {
		t.Fatalf("the booked meeting: %s", got)
	}
	want := strings.Replace(booked, "Book ", "Booked: ", 1)
	if note, ok := browsertest.Poll(ctx, chromedp.TextContent(css(".dw-slots"), in(frame)), func(s string) bool { return s == want }); !ok {
		t.Fatalf("under the offer: %q, want %q", note, want)
	}
	if n := run(t, ctx, chromedp.Nodes(css(".dw-slot"), in(frame), chromedp.AtLeast(0))); len(n) != 0 {
		t.Fatalf("the slot picker still offers %d slots after booking", len(n))
	}

	// Ada's inbox, in a browser of her own, shows the conversation as hers.
	inbox := browser(t)
	e.SetPassword(t, e.Invite(t, e.OrgID, ada), "correct horse battery staple")
	do(t, inbox, chromedp.Navigate(e.URL+"/login"), chromedp.WaitVisible(css("#email")),
		chromedp.SendKeys(css("#email"), "ada@example.com"), chromedp.SendKeys(css("#password"), "correct horse battery staple\n"),
		chromedp.WaitVisible(css("#convs")))
	item := fmt.Sprintf(`#convs [data-id="%d"]`, conv)
	if text, ok := browsertest.Poll(inbox, chromedp.TextContent(css(item)), func(s string) bool {
		return strings.Contains(s, "pat@acme.example") || strings.Contains(s, "Ada will be right with you.")
	}); !ok {
		t.Fatalf("Ada's inbox does not list the conversation: %q", text)
	}
}
