package widget_test

import (
	"fmt"
	"io"
	"mime/quotedprintable"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/config"
	"github.com/driftwood-chat/driftwood/internal/offlinemail/smtptest"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// Offline access by email in the browser: a visitor who left gets the
// agent's answer by email (loopback SMTP); its link opens the full-page
// chat in a browser that never saw the visitor, and the conversation, the
// answer included, is there; the visitor writes on in it.
func TestWidget_OfflineEmailLink(t *testing.T) {
	ctx := browser(t)
	rcv := smtptest.Start(t)
	e := apitest.Start(t, storetest.Backends()[0], apitest.WithConfig(func(c *config.Config) {
		c.SMTPURL, c.SMTPFrom = "smtp://"+rcv.Addr, "Acme <support@acme.example>"
		c.EmailOfflineDelay, c.EmailOnlineDelay = 0, time.Hour
	}))
	ada := agent(t, e)
	conv := num(e.Call(t, "POST", "/driftwood/v1/simulate/conversations",
		map[string]any{"email": "grace@example.org", "body": "Please email me the answer"}, 200)["data"].(map[string]any)["id"])
	e.Call(t, "POST", fmt.Sprintf("/conversations/%d/messages", conv),
		map[string]any{"type": "chat", "body": "The answer is <b>42</b>", "userId": ada}, 200)

	var m smtptest.Message
	select {
	case m = <-rcv.Messages:
	case <-time.After(time.Minute):
		t.Fatal("no email reached the SMTP receiver")
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(m.Parsed(t).Body))
	link := regexp.MustCompile(`http://\S+/chat/\S+`).FindString(string(body))
	if link == "" {
		t.Fatalf("no link in the email:\n%s", body)
	}
	do(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(css("#dw-input")))
	waitText := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if strings.Contains(run(t, ctx, chromedp.TextContent(css("#dw-log"))), want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the full-page chat never showed %q", want)
			}
		}
	}
	waitText("The answer is 42")
	if loc := run(t, ctx, chromedp.Location()); strings.Contains(loc, "sig=") {
		t.Errorf("the signature stayed in the address bar: %s", loc)
	}
	do(t, ctx, chromedp.SendKeys(css("#dw-input"), "Thanks, got it\n"))
	waitText("Thanks, got it")
	msgs := messagesOf(t, e, conv)
	if last := msgs[len(msgs)-1]; last["body"] != "Thanks, got it" || last["author"].(map[string]any)["type"] != "contact" {
		t.Fatalf("the visitor's message did not land in the emailed conversation: %v", last)
	}
}
