package httpapi_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/config"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/offlinemail"
	"github.com/driftwood-chat/driftwood/internal/offlinemail/smtptest"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// Offline access by email, end to end against an SMTP receiver on
// loopback: an agent's message the identified visitor has not read is
// emailed once, with the signed link to the full-page chat and a signed
// Reply-To; the visitor's reply, posted by the inbound relay, lands in the
// conversation as the contact, without the quoted email.
func TestOfflineEmail(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		rcv := smtptest.Start(t)
		e := apitest.Start(t, b, apitest.WithConfig(func(c *config.Config) {
			c.SMTPURL, c.SMTPFrom = "smtp://"+rcv.Addr, "Acme Support <support@acme.example>"
			c.EmailOfflineDelay, c.EmailOnlineDelay = 0, time.Hour // the visitor has no widget open: offline
		}))
		agent := e.NewAgent(t, e.OrgID, "Ada Agent", "ada@acme.example")
		v := newVisitor(t, e, "")
		first := v.call(t, "POST", "/messages", map[string]any{"body": "Can someone call me?", "email": "grace@example.org"})
		conv := idOf(first["conversation"].(map[string]any)["id"])
		e.Call(t, "POST", fmt.Sprintf("/conversations/%d/messages", conv),
			map[string]any{"type": "chat", "body": "<p>Hi Grace &amp; welcome</p>", "userId": agent}, 200)

		var got smtptest.Message
		select {
		case got = <-rcv.Messages:
		case <-time.After(time.Minute):
			t.Fatal("no email reached the SMTP receiver")
		}
		pm := got.Parsed(t)
		body, _ := io.ReadAll(quotedprintable.NewReader(pm.Body))
		replyTo := pm.Header.Get("Reply-To")
		link := fmt.Sprintf("%s/chat/%s?conversation=%d&until=", e.URL, v.embed, conv)
		if got.To[0] != "grace@example.org" || !strings.HasPrefix(replyTo, fmt.Sprintf("reply+%d.", conv)) ||
			!strings.HasSuffix(replyTo, "@acme.example") || !strings.Contains(string(body), "Ada Agent wrote:") ||
			!strings.Contains(string(body), "Hi Grace & welcome") || !strings.Contains(string(body), link) {
			t.Fatalf("the email: %+v\n%s", got, body)
		}
		// Once: the queue row is recorded sent (right after the delivery),
		// and another pass sends nothing.
		var sent int
		for deadline := time.Now().Add(time.Minute); sent == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			e.RawDB(t).QueryRow(`SELECT COUNT(*) FROM offline_emails WHERE outcome = 'sent' AND conversation_id = $1`, conv).Scan(&sent)
		}
		if n, err := e.App.Mailer.SendDue(context.Background()); err != nil || n != 0 {
			t.Fatalf("a second pass sent %d (%v)", n, err)
		}
		if sent != 1 || rcv.Count() != 1 {
			t.Fatalf("%d emails recorded sent, %d delivered; want 1", sent, rcv.Count())
		}

		// The link resumes the conversation in another browser's session.
		linkURL, err := url.Parse(regexp.MustCompile(`https?://\S+/chat/\S+`).FindString(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		until, sig := linkURL.Query().Get("until"), linkURL.Query().Get("sig")
		other := newVisitor(t, e, "")
		apitest.WantError(t, other.do(t, "POST", "/resume", map[string]any{"conversationId": conv, "until": until, "sig": strings.Repeat("0", 24)}), 404, "not_found")
		apitest.WantError(t, other.do(t, "POST", "/resume", map[string]any{"conversationId": conv + 1, "until": until, "sig": sig}), 404, "not_found")
		apitest.WantError(t, other.do(t, "POST", "/resume", map[string]any{"conversationId": conv, "until": until + "1", "sig": sig}), 404, "not_found")
		apitest.WantError(t, other.do(t, "POST", "/resume", map[string]any{"conversationId": conv, "sig": sig}), 400, "validation_error")
		expired := e.App.Mailer.Signer.Link("", v.embed, e.OrgID, conv, time.Now().Add(-offlinemail.LinkValidity-time.Second))
		eu, _ := url.Parse(expired)
		apitest.WantError(t, other.do(t, "POST", "/resume", map[string]any{"conversationId": conv, "until": eu.Query().Get("until"), "sig": eu.Query().Get("sig")}), 400, "validation_error")
		if r := other.do(t, "POST", "/resume", map[string]any{"conversationId": conv, "until": until, "sig": sig}); r.Status != 200 {
			t.Fatalf("resume: %d %s", r.Status, r.Body)
		}
		if st := other.call(t, "GET", "/conversation", nil); idOf(st["conversation"].(map[string]any)["id"]) != conv {
			t.Fatalf("after resuming, the session shows %v", st["conversation"])
		}
		stranger := newVisitor(t, e, "")
		stranger.call(t, "POST", "/messages", map[string]any{"body": "someone else"})
		apitest.WantError(t, stranger.do(t, "POST", "/resume", map[string]any{"conversationId": conv, "until": until, "sig": sig}), 409, "conflict")

		relay := e.NewToken(t, e.OrgID, auth.ConversationWrite)
		otherOrg, otherToken := e.NewOrg(t, "Other")
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("relay:"+relay))
		reply := map[string]any{"from": "Grace Hopper <GRACE@example.org>", "to": []string{"support@acme.example", replyTo},
			"subject": "Re: New reply", "text": "Tuesday works, thanks!\r\n\r\nOn Mon, Acme Support <support@acme.example> wrote:\r\n> Hi Grace"}
		with := func(k string, val any) map[string]any {
			m := map[string]any{}
			for kk, vv := range reply {
				m[kk] = vv
			}
			m[k] = val
			return m
		}
		forged := replyTo[:strings.Index(replyTo, ".")+1] + strings.Repeat("0", 24) + replyTo[strings.Index(replyTo, "@"):]
		apitest.RunScenarios(t, e, []apitest.Scenario{
			{Name: "the reply, with Basic auth", Method: "POST", Path: "/driftwood/v1/inbound-email", Token: apitest.NoToken,
				Header: map[string]string{"Authorization": basic}, Body: reply,
				Contains: []string{fmt.Sprintf(`"conversationId":%d`, conv)}, Events: []events.Type{events.NewMessage}},
			{Name: "in the conversation, as the contact, without the quote", Method: "GET", Path: fmt.Sprintf("/conversations/%d/messages", conv),
				Contains: []string{`"body":"Tuesday works, thanks!"`}, NotContains: []string{"Hi Grace\\u003e", "wrote:"}},
			{Name: "a bearer token works too", Method: "POST", Path: "/driftwood/v1/inbound-email", Token: relay,
				Body: with("text", "One more thing"), Events: []events.Type{events.NewMessage}},
			{Name: "a forged signature is a 404", Method: "POST", Path: "/driftwood/v1/inbound-email", Token: relay,
				Body: with("to", forged), Status: 404, Error: "not_found"},
			{Name: "another org's token is a 404", Method: "POST", Path: "/driftwood/v1/inbound-email", Token: otherToken, EventsOrg: otherOrg,
				Body: reply, Status: 404, Error: "not_found"},
			{Name: "no reply address", Method: "POST", Path: "/driftwood/v1/inbound-email", Token: relay,
				Body: with("to", "support@acme.example"), Status: 400, Error: "validation_error", Contains: []string{`"param":"to"`}},
			{Name: "another sender", Method: "POST", Path: "/driftwood/v1/inbound-email", Token: relay,
				Body: with("from", "mallory@example.org"), Status: 400, Error: "validation_error", Contains: []string{`"param":"from"`}},
			{Name: "only a quote", Method: "POST", Path: "/driftwood/v1/inbound-email", Token: relay,
				Body: with("text", "> Hi Grace"), Status: 400, Error: "validation_error", Contains: []string{`"param":"text"`}},
			{Name: "a token without conversation_write", Method: "POST", Path: "/driftwood/v1/inbound-email",
				Token: e.NewToken(t, e.OrgID, auth.ContactRead), Body: reply, Status: 403},
			{Name: "a wrong Basic password", Method: "POST", Path: "/driftwood/v1/inbound-email", Token: apitest.NoToken,
				Header: map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("relay:nope"))}, Body: reply, Status: 401},
		})
	})
}

// The queue is durable and claimed with a lease: a claimed email is no
// other replica's until its lease ends (then it is sent again: at least
// once), a finished one is never claimed again, and the next agent message
// queues a new email covering only what is new.
func TestOfflineEmailQueue(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		t.Parallel()
		db := e.App.DB
		db.QueueOfflineEmails(true) // the env has no SMTP: no mailer competes
		agent := e.NewAgent(t, e.OrgID, "Ada Agent", "ada@acme.example")
		v := newVisitor(t, e, "")
		conv := idOf(v.call(t, "POST", "/messages", map[string]any{"body": "hi", "email": "grace@example.org"})["conversation"].(map[string]any)["id"])
		post := func(body string) {
			e.Call(t, "POST", fmt.Sprintf("/conversations/%d/messages", conv), map[string]any{"type": "chat", "body": body, "userId": agent}, 200)
		}
		post("first")
		post("second") // joins the pending email
		e.Call(t, "POST", fmt.Sprintf("/conversations/%d/messages", conv), map[string]any{"type": "private_note", "body": "not for the visitor", "userId": agent}, 200)
		ctx := context.Background()
		now := time.Now().Add(time.Hour).UnixMilli()
		lease := int64(2 * 60 * 1000)
		claim := func(at int64) int {
			ps, err := db.ClaimOfflineEmails(ctx, at, at+lease, at-90_000, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) == 1 && len(ps[0].Unread) != 2 && at < now+2*lease {
				t.Fatalf("unread %d messages, want the two chat messages", len(ps[0].Unread))
			}
			return len(ps)
		}
		if n := claim(now); n != 1 {
			t.Fatalf("claimed %d, want the one pending email", n)
		}
		if n := claim(now + 1000); n != 0 {
			t.Fatalf("claimed a leased email again (%d)", n)
		}
		ps, err := db.ClaimOfflineEmails(ctx, now+lease+1, now+2*lease+1, 0, 10)
		if err != nil || len(ps) != 1 {
			t.Fatalf("after the lease: %d, %v; want it back", len(ps), err)
		}
		if err := db.FinishOfflineEmail(ctx, ps[0].ID, "sent", ps[0].Through); err != nil {
			t.Fatal(err)
		}
		if n := claim(now + 10*lease); n != 0 {
			t.Fatalf("a sent email claimed again (%d)", n)
		}
		post("third")
		ps, err = db.ClaimOfflineEmails(ctx, now+20*lease, now+21*lease, 0, 10)
		if err != nil || len(ps) != 1 || len(ps[0].Unread) != 1 || !strings.Contains(ps[0].Unread[0].Body, "third") {
			t.Fatalf("the next email: %+v, %v; want only the new message", ps, err)
		}
	})
}
