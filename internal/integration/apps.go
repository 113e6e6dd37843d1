package integration

import (
	"context"
	"fmt"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/secrets"
)

// Prefixes make app credentials recognisable to secret scanners.
const (
	ClientSecretPrefix = "dwcs_"
	clientIDBytes      = 12
)

// Apps manages apps: it issues their credentials, seals the secrets that
// must be read back and opens them again for the owner and the dispatcher.
type Apps struct {
	Store  Store
	Key    *secrets.Key
	Tokens *auth.Tokens
	Now    func() int64 // epoch ms
}

// Create registers an app of org from s. The answer carries the client
// secret, which is never shown again.
func (as *Apps) Create(ctx context.Context, orgID int64, s Spec) (*App, error) {
	now := as.Now()
	a := &App{OrgID: orgID, RedirectURIs: []string{}, Scopes: []auth.Scope{}, Events: []events.Type{}, AllowedIPs: []string{}, CreatedAt: now}
	if err := a.Apply(s, now); err != nil {
		return nil, err
	}
	a.ClientID = secrets.RandomToken("")[:2*clientIDBytes]
	a.ClientSecret = secrets.RandomToken(ClientSecretPrefix)
	a.VerificationToken = secrets.RandomToken("")
	a.SigningSecret = NewSigningSecret()
	a.Sealed = Sealed{
		ClientSecretHash:  as.Key.Hash(a.ClientSecret),
		VerificationToken: as.Key.Seal(a.VerificationToken),
		SigningSecret:     as.Key.Seal(a.SigningSecret),
	}
	if err := as.Store.InsertApp(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// Get returns an app of org with its secrets opened.
func (as *Apps) Get(ctx context.Context, orgID, id int64) (*App, error) {
	a, err := as.Store.GetApp(ctx, orgID, id)
	if err != nil {
		return nil, err
	}
	return a, as.Open(a)
}

// List returns the org's apps with their secrets opened.
func (as *Apps) List(ctx context.Context, orgID int64) ([]*App, error) {
	apps, err := as.Store.ListApps(ctx, orgID)
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		if err := as.Open(a); err != nil {
			return nil, err
		}
	}
	return apps, nil
}

// Update applies s to an app of org.
func (as *Apps) Update(ctx context.Context, orgID, id int64, s Spec) (*App, error) {
	a, err := as.Store.UpdateApp(ctx, orgID, id, func(a *App) error { return a.Apply(s, as.Now()) })
	if err != nil {
		return nil, err
	}
	return a, as.Open(a)
}

// Rotate replaces the app's verification token, signing secret, or both.
// Deliveries made after it commits carry the new values; for SigningGrace
// they are also signed with the replaced signing secret.
func (as *Apps) Rotate(ctx context.Context, orgID, id int64, token, signing bool) (*App, error) {
	a, err := as.Store.UpdateApp(ctx, orgID, id, func(a *App) error {
		if token {
			a.Sealed.VerificationToken = as.Key.Seal(secrets.RandomToken(""))
		}
		now := as.Now()
		if signing {
			a.Sealed.PreviousSigningSecret, a.Sealed.SigningRotatedAt = a.Sealed.SigningSecret, now
			a.Sealed.SigningSecret = as.Key.Seal(NewSigningSecret())
		}
		a.UpdatedAt = now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, as.Open(a)
}

// DefaultInstallTokenTTL is the lifetime of an install token issued without
// an explicit choice. Drift's never expire; Driftwood's do unless asked not to.
const DefaultInstallTokenTTL = 90 * 24 * time.Hour

// InstallOwn installs an org-owned app in its own org with scopes (all the
// app's when empty) and issues the installation's access token, valid for
// ttl (0: until revoked), whose raw value is returned once. Public apps are
// installed through OAuth.
func (as *Apps) InstallOwn(ctx context.Context, orgID, id int64, scopes []string, ttl time.Duration) (string, *auth.Token, error) {
	a, err := as.Store.GetApp(ctx, orgID, id)
	if err != nil {
		return "", nil, err
	}
	if a.Public {
		return "", nil, apperr.New(apperr.BadRequest, "app %d is public: orgs install it through OAuth", id)
	}
	granted, err := a.InstallScopes(scopes)
	if err != nil {
		return "", nil, err
	}
	if len(granted) == 0 {
		return "", nil, apperr.Invalidf("scopes", "the app has no scopes to grant")
	}
	t := auth.Token{OrgID: orgID, AppID: a.ID, Name: a.Name, Scopes: granted}
	if ttl > 0 {
		t.ExpiresAt = as.Now() + ttl.Milliseconds()
	}
	raw, hash, tok, err := as.Tokens.Prepare(t)
	if err != nil {
		return "", nil, err
	}
	if err := as.Store.Install(ctx, &Installation{AppID: a.ID, OrgID: orgID, Scopes: granted}, tok, hash); err != nil {
		return "", nil, err
	}
	return raw, tok, nil
}

// Open decrypts a's sealed secrets into its plaintext fields.
func (as *Apps) Open(a *App) error {
	var err error
	if a.VerificationToken, err = as.Key.Open(a.Sealed.VerificationToken); err != nil {
		return fmt.Errorf("app %d verification token: %w", a.ID, err)
	}
	if a.SigningSecret, err = as.Key.Open(a.Sealed.SigningSecret); err != nil {
		return fmt.Errorf("app %d signing secret: %w", a.ID, err)
	}
	return nil
}
