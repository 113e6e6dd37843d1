package drift_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/sdk/drift"
)

var hookSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("a signing key of the webhook tests"))

// signed builds a webhook request signed at ts.
func signed(t *testing.T, body string, ts time.Time, secret string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
	sig, err := drift.SignWebhook(secret, "msg_2f9", ts, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("webhook-id", "msg_2f9")
	r.Header.Set("webhook-timestamp", fmt.Sprint(ts.Unix()))
	r.Header.Set("webhook-signature", sig)
	return r
}

const newMessage = `{"type": "new_message", "orgId": 7, "token": "vtok", "data": {"id": 9007199254740993, "orgId": 7,
	"conversationId": 42, "body": "<p>Hi</p>", "type": "chat", "createdAt": 1700000000000,
	"author": {"id": 5, "type": "contact", "bot": false}}}`

func TestWebhookVerifier(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	v := &drift.WebhookVerifier{VerificationToken: "vtok", SigningSecret: hookSecret, Now: func() time.Time { return now }}

	ev, err := v.Parse(signed(t, newMessage, now, hookSecret))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := ev.Data.(*drift.Message)
	if !ok || ev.Type != drift.EventNewMessage || ev.OrgID != 7 || m.ID != 9007199254740993 || m.ConversationID != 42 || m.Author.Type != drift.AuthorContact {
		t.Fatalf("event %+v, data %+v", ev, ev.Data)
	}

	refused := map[string]*http.Request{
		"tampered body":      signed(t, newMessage, now, hookSecret),
		"other secret":       signed(t, newMessage, now, "whsec_"+base64.StdEncoding.EncodeToString([]byte("other"))),
		"too old":            signed(t, newMessage, now.Add(-6*time.Minute), hookSecret),
		"from the future":    signed(t, newMessage, now.Add(6*time.Minute), hookSecret),
		"wrong token":        signed(t, strings.Replace(newMessage, `"vtok"`, `"nope"`, 1), now, hookSecret),
		"wrong token header": signed(t, newMessage, now, hookSecret),
		"no signature":       httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(newMessage)),
	}
	refused["tampered body"].Body = httpBody(strings.Replace(newMessage, "Hi", "Bye", 1))
	refused["wrong token header"].Header.Set("X-Verification-Token", "nope")
	for name, r := range refused {
		if _, err := v.Parse(r); !errors.Is(err, drift.ErrWebhookVerification) {
			t.Errorf("%s: err %v, want ErrWebhookVerification", name, err)
		}
	}

	// Several signatures (during a secret rotation): one valid is enough.
	r := signed(t, newMessage, now, hookSecret)
	r.Header.Set("webhook-signature", "v1,bm90IGl0 "+r.Header.Get("webhook-signature"))
	if _, err := v.Parse(r); err != nil {
		t.Errorf("two signatures, the second valid: %v", err)
	}
	// The token alone, as Drift sends it.
	tokenOnly := &drift.WebhookVerifier{VerificationToken: "vtok"}
	r = httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(newMessage))
	r.Header.Set("X-Verification-Token", "vtok")
	if _, err := tokenOnly.Parse(r); err != nil {
		t.Errorf("token only: %v", err)
	}
	if _, err := (&drift.WebhookVerifier{}).Parse(r); err == nil || errors.Is(err, drift.ErrWebhookVerification) {
		t.Errorf("a verifier without credentials: %v", err)
	}
}

func httpBody(s string) *readCloser { return &readCloser{bytes.NewReader([]byte(s))} }

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func TestParseEvent(t *testing.T) {
	t.Parallel()
	for typ, tc := range map[string]struct {
		data  string
		check func(any) bool
	}{
		drift.EventNewConversation: {`{"id": 3, "status": "open", "contactId": 4, "relatedPlaybookId": 12}`, func(d any) bool {
			c, ok := d.(*drift.Conversation)
			return ok && c.ID == 3 && c.RelatedPlaybookID == "12"
		}},
		drift.EventContactIdentified: {`{"id": 4, "createdAt": 1, "attributes": {"email": "a@b.c"}}`, func(d any) bool {
			c, ok := d.(*drift.Contact)
			return ok && c.Email() == "a@b.c"
		}},
		drift.EventContactUpdated: {`{"endUserId": 4, "timestamp": 2, "orgId": 7, "diff": [{"name": "attributes.name", "previous": null, "updated": "Ann"}]}`, func(d any) bool {
			c, ok := d.(*drift.ContactUpdate)
			return ok && c.EndUserID == 4 && len(c.Diff) == 1 && c.Diff[0].Updated == "Ann"
		}},
		drift.EventConversationStatusUpdated: {`{"conversationId": 3, "status": "closed", "changedAt": 5}`, func(d any) bool {
			c, ok := d.(*drift.StatusChange)
			return ok && c.Status == drift.StatusClosed
		}},
		drift.EventConversationParticipantRemoved: {`{"conversationId": 3, "removedParticipants": [8], "changedAt": 5}`, func(d any) bool {
			c, ok := d.(*drift.ParticipantChange)
			return ok && len(c.RemovedParticipants) == 1 && c.RemovedParticipants[0] == 8
		}},
		drift.EventButtonClicked: {`{"conversationId": 3, "author": {"type": "contact", "id": 4}, "sourceMessageId": 11, "button": {"label": "Yes", "value": "Yes", "type": "reply"}}`, func(d any) bool {
			c, ok := d.(*drift.ButtonClick)
			return ok && c.SourceMessageID == 11 && c.Button.Value == "Yes"
		}},
		drift.EventNewMeeting: {`{"agentId": 2, "eventId": "e1", "slotStart": 10, "slotEnd": 20}`, func(d any) bool {
			m, ok := d.(*drift.Meeting)
			return ok && m.EventID == "e1"
		}},
		drift.EventUserAvailabilityUpdated: {`{"userId": 2, "updatedAt": 3, "availability": "OFFLINE"}`, func(d any) bool {
			a, ok := d.(*drift.AvailabilityChange)
			return ok && a.Availability == drift.Offline
		}},
		drift.EventUserUnsubscribed: {`{"id": 4, "attributes": {"email": "a@b.c"}}`, func(d any) bool {
			_, ok := d.(*drift.Contact)
			return ok
		}},
		drift.EventConversationPush: {`{"conversationId": 3, "contactId": 4, "lastUpdated": 5, "trigger": "manual"}`, func(d any) bool {
			p, ok := d.(*drift.PushedConversation)
			return ok && p.ConversationID == 3 && p.Trigger == "manual"
		}},
		"chat_to_call": {`{"anything": true}`, func(d any) bool {
			raw, ok := d.(json.RawMessage)
			return ok && strings.Contains(string(raw), "anything")
		}},
	} {
		ev, err := drift.ParseEvent([]byte(fmt.Sprintf(`{"type": %q, "orgId": 7, "token": "t", "data": %s}`, typ, tc.data)))
		if err != nil {
			t.Errorf("%s: %v", typ, err)
			continue
		}
		if !tc.check(ev.Data) {
			t.Errorf("%s: data %#v", typ, ev.Data)
		}
	}
	if _, err := drift.ParseEvent([]byte(`{"orgId": 7}`)); err == nil {
		t.Error("an event without a type parsed")
	}
	ev, err := drift.ParseEvent([]byte(`{"type": "new_message", "orgId": 7, "timeStamp": 1700000000123, "data": {"id": 1, "conversationId": 3, "endUserId": 4}}`))
	if m, ok := ev.Data.(*drift.Message); err != nil || ev.TimeStamp != 1700000000123 || !ok || m.EndUserID != 4 {
		t.Errorf("new_message with timeStamp and endUserId: %+v, %v", ev, err)
	}
	if _, err := drift.ParseEvent([]byte(`{"type": "new_message", "data": {"id": "x"}}`)); err == nil {
		t.Error("a message with a string id parsed")
	}
}
