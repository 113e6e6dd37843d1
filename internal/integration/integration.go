// Package integration is Drift's app: the unit of integration a developer
// registers (name, OAuth client, scopes, webhook URL and subscribed events)
// and that orgs install. It is not named "app" because internal/app is the
// program itself; "integration" is what a Drift app is to its users.
//
// It holds the app's shape, the rules of its fields, which events an
// installation may receive, and Apps, the service that issues and seals the
// app's secrets. Webhook delivery lives in internal/webhook.
package integration

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/events"
)

// App is a registered app. Secret values are plaintext only in memory: the
// store keeps Sealed, and the client secret is shown once, at creation.
type App struct {
	ID                int64         `json:"id"`
	OrgID             int64         `json:"orgId"` // the owner
	Name              string        `json:"name"`
	ClientID          string        `json:"clientId"`
	ClientSecret      string        `json:"clientSecret,omitempty"`
	VerificationToken string        `json:"verificationToken"`
	SigningSecret     string        `json:"signingSecret"`
	RedirectURIs      []string      `json:"redirectUris"`
	Scopes            []auth.Scope  `json:"scopes"`
	WebhookURL        string        `json:"webhookUrl"`
	Events            []events.Type `json:"events"`
	Public            bool          `json:"public"`
	// AllowedIPs, when not empty, are the only client addresses (or CIDR
	// prefixes) from which the app's tokens work.
	AllowedIPs []string `json:"allowedIps"`
	// WebhookDisabledAt is set when the endpoint answered 410 Gone; setting
	// webhookUrl again clears it.
	WebhookDisabledAt int64 `json:"webhookDisabledAt,omitempty"`
	CreatedAt         int64 `json:"createdAt"`
	UpdatedAt         int64 `json:"updatedAt"`

	Sealed Sealed `json:"-"`
}

// Sealed are the app's secrets as stored: the client secret as a keyed hash
// (it is only ever compared), the others encrypted (they are sent in webhooks).
type Sealed struct {
	ClientSecretHash  string
	VerificationToken string
	SigningSecret     string
	// PreviousSigningSecret is the signing secret that SigningRotatedAt
	// (epoch ms) replaced; it still signs for SigningGrace after that.
	PreviousSigningSecret string
	SigningRotatedAt      int64
}

// SigningGrace is how long after a rotation deliveries carry a signature
// with the previous signing secret beside the new one (Standard Webhooks
// allows several), so that receivers can switch secrets without refusing
// any delivery.
const SigningGrace = 24 * time.Hour

// SigningSecrets returns the sealed secrets that sign a delivery at now
// (epoch ms): the current one, and the previous one during the grace period.
func (s Sealed) SigningSecrets(now int64) []string {
	if s.PreviousSigningSecret != "" && now < s.SigningRotatedAt+SigningGrace.Milliseconds() {
		return []string{s.SigningSecret, s.PreviousSigningSecret}
	}
	return []string{s.SigningSecret}
}

// Installation is an app installed in an org with a subset of its scopes.
// Webhooks go to every installation, for the events its scopes allow.
type Installation struct {
	ID            int64        `json:"id"`
	AppID         int64        `json:"appId"`
	OrgID         int64        `json:"orgId"`
	Scopes        []auth.Scope `json:"scopes"`
	CreatedAt     int64        `json:"createdAt"`
	UninstalledAt int64        `json:"uninstalledAt,omitempty"`
}

// EventScope is the scope an installation needs to receive each event
// (docs/drift-reference.md §5). An event absent here cannot be subscribed to.
var EventScope = map[events.Type]auth.Scope{
	events.NewMessage:                   auth.ConversationRead,
	events.NewCommandMessage:            auth.ConversationRead,
	events.NewConversation:              auth.ConversationRead,
	events.ContactIdentified:            auth.ContactRead,
	events.ContactUpdated:               auth.AllContactRead,
	events.ConversationStatusUpdated:    auth.ConversationRead,
	events.ConversationParticipantAdded: auth.ConversationRead,
	events.ConversationParticipantRem:   auth.ConversationRead,
	events.ConversationInactive:         auth.ConversationRead,
	events.ConversationPush:             auth.ConversationRead,
	events.ButtonAction:                 auth.ConversationRead,
	events.ButtonClicked:                auth.ConversationRead,
	events.PlaybookGoalMet:              auth.ConversationRead,
	events.PhoneCaptured:                auth.ConversationRead,
	events.NewMeeting:                   auth.ConversationRead,
	events.MeetingUpdated:               auth.ConversationRead,
	events.UserAvailabilityUpdated:      auth.UserRead,
	events.UserUnsubscribed:             auth.UserRead,
	events.UserUnsubscribe:              auth.UserRead,
}

// Wants reports whether an app subscribed to subscribed events, installed
// with scopes, receives an event of type typ.
func Wants(subscribed []events.Type, scopes []auth.Scope, typ events.Type) bool {
	_, ok := DeliveredAs(subscribed, scopes, typ)
	return ok
}

// DeliveredAs is the name under which an app subscribed to subscribed
// events, installed with scopes, receives an event of type typ: typ itself,
// or an older name of it the app subscribed to instead (user_unsubscribe).
// false when the app does not receive it.
func DeliveredAs(subscribed []events.Type, scopes []auth.Scope, typ events.Type) (events.Type, bool) {
	need, ok := EventScope[typ]
	if !ok || !(auth.Principal{Scopes: scopes}).Has(need) {
		return "", false
	}
	return events.SubscribedAs(subscribed, typ)
}

// Spec is the body of app create and update requests: a nil field is left
// as it is (on create, as empty).
type Spec struct {
	Name         *string   `json:"name"`
	RedirectURIs *[]string `json:"redirectUris"`
	Scopes       *[]string `json:"scopes"`
	WebhookURL   *string   `json:"webhookUrl"`
	Events       *[]string `json:"events"`
	Public       *bool     `json:"public"`
	AllowedIPs   *[]string `json:"allowedIps"`
}

const (
	maxNameLen = 200
	maxURLLen  = 2048
	maxURIs    = 20
	maxIPRules = 100
)

// Apply validates s and sets its fields on a, all or nothing. The result
// must have a name, and each event's scope must be among the app's scopes.
func (a *App) Apply(s Spec, now int64) error {
	next := *a
	if s.Name != nil {
		next.Name = strings.TrimSpace(*s.Name)
	}
	if next.Name == "" || len(next.Name) > maxNameLen {
		return apperr.Invalidf("name", "name is required, at most %d characters", maxNameLen)
	}
	if s.RedirectURIs != nil {
		if len(*s.RedirectURIs) > maxURIs {
			return apperr.Invalidf("redirectUris", "at most %d redirectUris", maxURIs)
		}
		next.RedirectURIs = []string{}
		for _, u := range *s.RedirectURIs {
			if err := CheckURL(u); err != nil {
				return apperr.Invalidf("redirectUris", "redirectUris: %q %s", u, err.Message)
			}
			next.RedirectURIs = append(next.RedirectURIs, u)
		}
	}
	if s.Scopes != nil {
		next.Scopes = []auth.Scope{}
		for _, sc := range *s.Scopes {
			if !auth.ValidScope(sc) || auth.Scope(sc) == auth.Admin {
				return apperr.Invalidf("scopes", "%q is not a scope an app can hold", sc)
			}
			if !slices.Contains(next.Scopes, auth.Scope(sc)) {
				next.Scopes = append(next.Scopes, auth.Scope(sc))
			}
		}
	}
	if s.WebhookURL != nil {
		u := strings.TrimSpace(*s.WebhookURL)
		if u != "" {
			if err := CheckURL(u); err != nil {
				return apperr.Invalidf("webhookUrl", "webhookUrl %s", err.Message)
			}
		}
		next.WebhookURL, next.WebhookDisabledAt = u, 0
	}
	if s.Events != nil {
		next.Events = []events.Type{}
		for _, e := range *s.Events {
			if _, ok := EventScope[events.Type(e)]; !ok {
				return apperr.Invalidf("events", "%q is not a Drift webhook event", e)
			}
			if !slices.Contains(next.Events, events.Type(e)) {
				next.Events = append(next.Events, events.Type(e))
			}
		}
	}
	for _, e := range next.Events {
		if need := EventScope[e]; !(auth.Principal{Scopes: next.Scopes}).Has(need) {
			return apperr.Invalidf("events", "the %s event needs the %s scope in scopes", e, need)
		}
	}
	if s.Public != nil {
		next.Public = *s.Public
	}
	if s.AllowedIPs != nil {
		if len(*s.AllowedIPs) > maxIPRules {
			return apperr.Invalidf("allowedIps", "at most %d allowedIps", maxIPRules)
		}
		next.AllowedIPs = []string{}
		for _, rule := range *s.AllowedIPs {
			p, err := auth.ParseIPRule(strings.TrimSpace(rule))
			if err != nil {
				return apperr.Invalidf("allowedIps", "allowedIps: %q is neither an IP address nor a CIDR prefix", rule)
			}
			next.AllowedIPs = append(next.AllowedIPs, p.String())
		}
	}
	next.UpdatedAt = now
	*a = next
	return nil
}

// CheckURL checks that s is an absolute http or https URL with a host.
func CheckURL(s string) *apperr.Error {
	if len(s) > maxURLLen {
		return apperr.Invalidf("", "is longer than %d characters", maxURLLen)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return apperr.Invalidf("", "must be an absolute http or https URL")
	}
	return nil
}

// InstallScopes returns the scopes an installation of a gets when asked for
// want: all the app's scopes when want is empty, else want, each of which
// the app must hold.
func (a *App) InstallScopes(want []string) ([]auth.Scope, error) {
	if len(want) == 0 {
		return a.Scopes, nil
	}
	var out []auth.Scope
	for _, s := range want {
		if !slices.Contains(a.Scopes, auth.Scope(s)) {
			return nil, apperr.Invalidf("scopes", "%q is not among the app's scopes %v", s, a.Scopes)
		}
		if !slices.Contains(out, auth.Scope(s)) {
			out = append(out, auth.Scope(s))
		}
	}
	return out, nil
}

// SigningSecretPrefix marks a Standard Webhooks signing secret.
const SigningSecretPrefix = "whsec_"

// NewSigningSecret returns "whsec_" and 32 random bytes in standard base64,
// the form Standard Webhooks libraries read.
func NewSigningSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return SigningSecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// Store is the persistence of apps and installations. An app of another org
// reads as not found.
type Store interface {
	InsertApp(ctx context.Context, a *App) error
	GetApp(ctx context.Context, orgID, id int64) (*App, error)
	ListApps(ctx context.Context, orgID int64) ([]*App, error)
	// UpdateApp runs fn on the app, locked, and saves what fn left.
	UpdateApp(ctx context.Context, orgID, id int64, fn func(a *App) error) (*App, error)
	// DeleteApp deletes the app, its installations and deliveries, and
	// revokes the tokens issued to it.
	DeleteApp(ctx context.Context, orgID, id int64) error
	// Install installs the app in inst.OrgID with inst.Scopes, or updates
	// the scopes of (and reinstates) an existing installation, and stores
	// tok, the installation's access token, under hash: one transaction.
	Install(ctx context.Context, inst *Installation, tok *auth.Token, hash string) error
	// Uninstall marks the app's installation in org uninstalled (its
	// webhooks stop) and revokes every token and grant of it, at once.
	Uninstall(ctx context.Context, appID, orgID int64) error
}
