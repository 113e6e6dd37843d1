package drift_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/sdk/drift"
)

// Find a contact by email, and create it when there is none.
func ExampleClient_CreateContact() {
	ctx := context.Background()
	c := drift.NewClient(drift.DefaultBaseURL, drift.StaticToken(os.Getenv("DRIFT_TOKEN")))

	found, err := c.FindContactsByEmail(ctx, "ann@example.com", 1)
	if err != nil {
		log.Fatal(err)
	}
	var contact *drift.Contact
	if len(found) > 0 {
		contact = &found[0]
	} else if contact, err = c.CreateContact(ctx, drift.Attributes{"email": "ann@example.com", "name": "Ann Lee"}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(contact.ID, contact.Email(), drift.Time(contact.CreatedAt).Format(time.DateOnly))
}

// Start a conversation with a contact and post a message with reply
// buttons into it, as the org's bot.
func ExampleClient_PostMessage() {
	ctx := context.Background()
	c := drift.NewClient(drift.DefaultBaseURL, drift.StaticToken(os.Getenv("DRIFT_TOKEN")))

	conv, err := c.CreateConversation(ctx, drift.NewConversation{
		Email:   "ann@example.com",
		Message: drift.NewConversationMsg{Body: "<p>Thanks for signing up!</p>"},
	})
	if err != nil {
		log.Fatal(err)
	}
	m, err := c.PostMessage(ctx, conv.ID, drift.NewMessage{
		Type: drift.MessageChat,
		Body: "<p>Would you like a demo?</p>",
		Buttons: []drift.Button{
			{Label: "Yes", Value: "Yes", Type: drift.ButtonReply},
			{Label: "Not now", Value: "Not now", Type: drift.ButtonReply},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(conv.ID, m.ID)
}

// Walk every open conversation, page after page, and read each one's
// messages.
func ExampleClient_Conversations() {
	ctx := context.Background()
	c := drift.NewClient(drift.DefaultBaseURL, drift.StaticToken(os.Getenv("DRIFT_TOKEN")))

	opts := drift.ConversationListOptions{Limit: 100, Statuses: []drift.StatusID{drift.StatusIDOpen}}
	for conv, err := range c.Conversations(ctx, opts) {
		if err != nil {
			log.Fatal(err)
		}
		for m, err := range c.Messages(ctx, conv.ID) {
			if err != nil {
				log.Fatal(err)
			}
			fmt.Println(conv.ID, m.Author.Type, m.Body)
		}
	}
}

// Errors carry Drift's status, type and message.
func ExampleError() {
	ctx := context.Background()
	c := drift.NewClient(drift.DefaultBaseURL, drift.StaticToken(os.Getenv("DRIFT_TOKEN")))

	_, err := c.GetContact(ctx, 42)
	var de *drift.Error
	switch {
	case errors.Is(err, drift.ErrNotFound):
		fmt.Println("no such contact")
	case errors.As(err, &de):
		fmt.Println(de.Status, de.Type, de.Message)
	case err != nil:
		log.Fatal(err) // the network, or the context
	}
}

// Refresh OAuth tokens automatically, and keep the rotated refresh token.
func ExampleOAuthConfig_TokenSource() {
	conf := &drift.OAuthConfig{ClientID: os.Getenv("DRIFT_CLIENT_ID"), ClientSecret: os.Getenv("DRIFT_CLIENT_SECRET")}
	ts := conf.TokenSource(drift.OAuthToken{RefreshToken: os.Getenv("DRIFT_REFRESH_TOKEN")}, func(t drift.OAuthToken) {
		// Persist t.RefreshToken: the previous one may no longer work.
	})
	c := drift.NewClient(drift.DefaultBaseURL, ts)
	users, err := c.ListUsers(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(users))
}

// Verify webhooks in an HTTP handler and act on new messages.
func ExampleWebhookVerifier() {
	v := &drift.WebhookVerifier{
		VerificationToken: "the app's verification token",
		SigningSecret:     "whsec_c2lnbmluZyBzZWNyZXQgb2YgdGhlIGFwcA==",
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, err := v.Parse(r)
		if errors.Is(err, drift.ErrWebhookVerification) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		} else if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if m, ok := ev.Data.(*drift.Message); ok && m.Author.Type == drift.AuthorContact {
			fmt.Printf("conversation %d: %s\n", m.ConversationID, m.Body)
		}
		w.WriteHeader(http.StatusNoContent)
	})

	// A delivery, as Drift (token) and Driftwood (token and signature) send it.
	body := `{"type":"new_message","orgId":7,"token":"the app's verification token",` +
		`"data":{"id":1,"conversationId":42,"body":"<p>Hello</p>","type":"chat","author":{"id":5,"type":"contact"}}}`
	req := httptest.NewRequest(http.MethodPost, "/webhooks", strings.NewReader(body))
	now := time.Now()
	sig, _ := drift.SignWebhook(v.SigningSecret, "msg_1", now, []byte(body))
	req.Header.Set("webhook-id", "msg_1")
	req.Header.Set("webhook-timestamp", fmt.Sprint(now.Unix()))
	req.Header.Set("webhook-signature", sig)
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, req)
	fmt.Println(w.Code)
	// Output:
	// conversation 42: <p>Hello</p>
	// 204
}

// Play a website visitor against a local Driftwood (not Drift).
func ExampleDriftwood_SimulateConversation() {
	ctx := context.Background()
	c := drift.NewClient("http://127.0.0.1:7070", drift.StaticToken(os.Getenv("DRIFTWOOD_TOKEN")))

	conv, err := c.Driftwood().SimulateConversation(ctx, "visitor@example.com", "Hi, is anyone there?")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Driftwood().SimulateMessage(ctx, conv.ID, "Hello?"); err != nil {
		log.Fatal(err)
	}
}
