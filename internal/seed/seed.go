// Package seed fills an org with a little realistic data, so that a first
// start of Driftwood has something to show and try the API on.
package seed

import (
	"context"
	"fmt"

	"github.com/driftwood-chat/driftwood/internal/contact"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/user"
)

// Store is what seeding writes through: the same API the handlers use.
type Store interface {
	contact.Store
	conversation.Store
	user.Store
}

// Demo adds agents, contacts and a conversation to the org.
func Demo(ctx context.Context, s Store, orgID int64) error {
	agents := []user.User{
		{Name: "Ada Agent", Alias: "Ada", Email: "ada@example.com", Role: user.RoleAdmin, TimeZone: "Europe/London", Locale: "en-GB", Verified: true},
		{Name: "Bo Sales", Alias: "Bo", Email: "bo@example.com", Role: user.RoleAgent, TimeZone: "America/New_York", Locale: "en-US", Verified: true},
		{Name: "Cy Support", Alias: "Cy", Email: "cy@example.com", Role: user.RoleMember, TimeZone: "Asia/Tokyo", Locale: "ja-JP", Availability: user.Offline},
	}
	for i := range agents {
		agents[i].OrgID = orgID
		if err := s.CreateUser(ctx, &agents[i]); err != nil {
			return fmt.Errorf("seed: user %s: %w", agents[i].Email, err)
		}
	}
	contacts := []map[string]any{
		{"email": "jane@acme.example", "name": "Jane Doe", "first_name": "Jane", "last_name": "Doe", "phone": "+1 555 0100", "employment_name": "Acme"},
		{"email": "raj@globex.example", "name": "Raj Patel", "externalId": "crm-1001", "employment_name": "Globex"},
		{"email": "li@initech.example", "name": "Li Wei", "lead_score": 42},
	}
	for _, attrs := range contacts {
		if _, err := s.CreateContact(ctx, orgID, attrs); err != nil {
			return fmt.Errorf("seed: contact %v: %w", attrs["email"], err)
		}
	}
	return demoConversation(ctx, s, orgID, agents[0].ID)
}

// demoConversation has Jane ask on the website and an agent answer.
func demoConversation(ctx context.Context, s Store, orgID, agentID int64) error {
	c, _, err := s.StartConversation(ctx, orgID, conversation.Start{
		Email: "jane@acme.example", Body: "<p>Hi! Do you offer a free trial?</p>", Visitor: true,
	})
	if err != nil {
		return fmt.Errorf("seed: conversation: %w", err)
	}
	replies := []conversation.Post{
		{Type: conversation.Chat, UserID: agentID, Body: "<p>Hi Jane, yes: 14 days, no card needed. Want me to set it up?</p>",
			Buttons: []conversation.Button{{Label: "Yes please", Type: conversation.ButtonReply}, {Label: "Not now", Type: conversation.ButtonReply}}},
		{Type: conversation.PrivateNote, UserID: agentID, Body: "<p>Acme is a good fit for the Team plan.</p>"},
	}
	for _, p := range replies {
		if _, err := s.PostMessage(ctx, orgID, c.ID, p); err != nil {
			return fmt.Errorf("seed: message: %w", err)
		}
	}
	return nil
}
