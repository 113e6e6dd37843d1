package drift

// This file is Driftwood's own API, under /driftwood/v1/ and needing a
// token with the driftwood_admin scope. Drift has none of it: use it to
// drive a local Driftwood in development and tests.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Driftwood reaches Driftwood's own API. NOT Drift: these calls fail
// against driftapi.com.
type Driftwood struct{ c *Client }

// Driftwood returns the client's access to Driftwood's own API.
func (c *Client) Driftwood() *Driftwood { return &Driftwood{c} }

// SimulateConversation starts a conversation as a website visitor with
// email would in the chat widget (the contact is found or created), firing
// the same events.
func (d *Driftwood) SimulateConversation(ctx context.Context, email, body string) (*Conversation, error) {
	return doData[*Conversation](ctx, d.c, http.MethodPost, "/driftwood/v1/simulate/conversations",
		map[string]string{"email": email, "body": body})
}

// SimulateMessage posts body to conversation id as its contact.
func (d *Driftwood) SimulateMessage(ctx context.Context, id int64, body string) (*Message, error) {
	return d.c.postMessage(ctx, "/driftwood/v1/simulate/conversations/"+pathID(id)+"/messages",
		map[string]string{"body": body}, nil)
}

// SetConversationStatus opens, closes or pends conversation id, as an agent
// does in the inbox.
func (d *Driftwood) SetConversationStatus(ctx context.Context, id int64, status string) (*Conversation, error) {
	return doData[*Conversation](ctx, d.c, http.MethodPatch, "/driftwood/v1/conversations/"+pathID(id),
		map[string]string{"status": status})
}

// AppSpec registers an app: Drift's unit of integration.
type AppSpec struct {
	Name         string   `json:"name"`
	RedirectURIs []string `json:"redirectUris,omitempty"`
	Scopes       []string `json:"scopes,omitempty"`
	WebhookURL   string   `json:"webhookUrl,omitempty"`
	Events       []string `json:"events,omitempty"` // webhook event types
	Public       bool     `json:"public,omitempty"` // installable by other orgs through OAuth
}

// App is a registered app. ClientSecret is shown only when it is created.
type App struct {
	ID                int64    `json:"id"`
	OrgID             int64    `json:"orgId"`
	Name              string   `json:"name"`
	ClientID          string   `json:"clientId"`
	ClientSecret      string   `json:"clientSecret,omitempty"`
	VerificationToken string   `json:"verificationToken"`
	SigningSecret     string   `json:"signingSecret"` // whsec_…
	RedirectURIs      []string `json:"redirectUris"`
	Scopes            []string `json:"scopes"`
	WebhookURL        string   `json:"webhookUrl"`
	Events            []string `json:"events"`
	Public            bool     `json:"public"`
	CreatedAt         int64    `json:"createdAt"`
	UpdatedAt         int64    `json:"updatedAt"`
}

// CreateApp registers an app owned by the client's org.
func (d *Driftwood) CreateApp(ctx context.Context, spec AppSpec) (*App, error) {
	return doData[*App](ctx, d.c, http.MethodPost, "/driftwood/v1/apps", spec)
}

// Installation is an app installed in its own org, with its token.
type Installation struct {
	AccessToken string `json:"accessToken"` // shown once; does not expire
	Scope       string `json:"scope"`
	AppID       int64  `json:"appId"`
	OrgID       int64  `json:"orgId"`
}

// InstallApp installs an org-owned app in its own org (Drift's "install to
// Drift") and returns its access token. No scopes means the app's.
func (d *Driftwood) InstallApp(ctx context.Context, appID int64, scopes ...string) (*Installation, error) {
	return doData[*Installation](ctx, d.c, http.MethodPost, "/driftwood/v1/apps/"+pathID(appID)+"/tokens",
		map[string]any{"scopes": scopes})
}

// Authorize answers the OAuth consent page by script, as an admin of the
// client's org allowing the app, and returns the authorization code that
// the app exchanges with OAuthConfig.Exchange.
func (d *Driftwood) Authorize(ctx context.Context, clientID, redirectURI, state string, scopes ...string) (string, error) {
	form := url.Values{"client_id": {clientID}, "redirect_uri": {redirectURI}, "state": {state},
		"response_type": {"code"}, "decision": {"allow"}}
	if len(scopes) > 0 {
		form.Set("scope", strings.Join(scopes, " "))
	}
	resp, err := d.c.send(ctx, request{method: http.MethodPost, path: "/oauth2/authorize", noRedirect: true,
		body: []byte(form.Encode()), contentType: "application/x-www-form-urlencoded"})
	if err != nil {
		return "", err
	}
	loc, err := url.Parse(resp.header.Get("Location"))
	if err != nil || resp.status/100 != 3 {
		return "", fmt.Errorf("drift: authorize answered %d without a redirect", resp.status)
	}
	if e := loc.Query().Get("error"); e != "" {
		return "", &Error{Status: resp.status, Type: e, Message: loc.Query().Get("error_description")}
	}
	code := loc.Query().Get("code")
	if code == "" {
		return "", errors.New("drift: authorize redirected without a code")
	}
	return code, nil
}
