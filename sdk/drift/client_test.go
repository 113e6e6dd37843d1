package drift_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/sdk/drift"
)

// Retry and OAuth rotation are client behaviour against a remote that
// misbehaves on purpose; these tests use small fake remotes for that. All
// other SDK tests run against a live Driftwood.

// flaky answers the statuses in order (then 200 {"data": {"id": 1}}) and
// counts the requests.
func flaky(t *testing.T, header http.Header, statuses ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(statuses[i])
			fmt.Fprintf(w, `{"error": {"type": "t%d", "message": "try later"}}`, statuses[i])
			return
		}
		fmt.Fprint(w, `{"data": {"id": 1, "name": "ok"}}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

var fast = drift.WithRetry(drift.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Second})

func TestRetry(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	t.Run("idempotent request retried on 5xx", func(t *testing.T) {
		srv, n := flaky(t, nil, 503, 502)
		u, err := drift.NewClient(srv.URL, drift.StaticToken("x"), fast).GetUser(ctx, 1)
		if err != nil || u.Name != "ok" || n.Load() != 3 {
			t.Fatalf("user %+v, err %v, %d requests", u, err, n.Load())
		}
	})
	t.Run("attempts are bounded", func(t *testing.T) {
		srv, n := flaky(t, nil, 500, 500, 500, 500)
		_, err := drift.NewClient(srv.URL, drift.StaticToken("x"), fast).GetUser(ctx, 1)
		var de *drift.Error
		if !errors.As(err, &de) || de.Status != 500 || de.Type != "t500" || n.Load() != 3 {
			t.Fatalf("err %v after %d requests, want the 500 after 3", err, n.Load())
		}
	})
	t.Run("non-idempotent request not retried on 5xx", func(t *testing.T) {
		srv, n := flaky(t, nil, 503)
		_, err := drift.NewClient(srv.URL, drift.StaticToken("x"), fast).CreateContact(ctx, drift.Attributes{"email": "a@b.c"})
		if !errors.Is(err, &drift.Error{Status: 503}) || n.Load() != 1 {
			t.Fatalf("err %v after %d requests, want the 503 after 1", err, n.Load())
		}
	})
	t.Run("429 retried for any method, honouring Retry-After", func(t *testing.T) {
		srv, n := flaky(t, http.Header{"Retry-After": {"1"}}, 429)
		start := time.Now()
		_, err := drift.NewClient(srv.URL, drift.StaticToken("x"), fast).CreateContact(ctx, drift.Attributes{"email": "a@b.c"})
		if err != nil || n.Load() != 2 {
			t.Fatalf("err %v after %d requests", err, n.Load())
		}
		if waited := time.Since(start); waited < time.Second {
			t.Fatalf("retried after %s, before Retry-After's 1s", waited)
		}
	})
	t.Run("Retry-After beyond MaxDelay is not waited for", func(t *testing.T) {
		srv, n := flaky(t, http.Header{"Retry-After": {"3600"}}, 429)
		_, err := drift.NewClient(srv.URL, drift.StaticToken("x"), fast).GetUser(ctx, 1)
		var de *drift.Error
		if !errors.As(err, &de) || !errors.Is(err, drift.ErrRateLimited) || de.RetryAfter != time.Hour || n.Load() != 1 {
			t.Fatalf("err %+v after %d requests", err, n.Load())
		}
	})
	t.Run("client errors are not retried", func(t *testing.T) {
		srv, n := flaky(t, nil, 400)
		_, err := drift.NewClient(srv.URL, drift.StaticToken("x"), fast).GetUser(ctx, 1)
		if !errors.Is(err, drift.ErrBadRequest) || n.Load() != 1 {
			t.Fatalf("err %v after %d requests", err, n.Load())
		}
	})
	t.Run("canceled while backing off", func(t *testing.T) {
		srv, _ := flaky(t, http.Header{"Retry-After": {"2"}}, 503)
		ctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(20*time.Millisecond, cancel)
		_, err := drift.NewClient(srv.URL, drift.StaticToken("x"), fast).GetUser(ctx, 1)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
	})
}

// oauthRemote is a token endpoint that rotates both tokens on every
// refresh, and an API that accepts only the latest access token.
type oauthRemote struct {
	mu        sync.Mutex
	access    string
	refresh   string
	refreshes int
}

func (o *oauthRemote) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if r.URL.Path == "/oauth2/token" {
		if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.FormValue("grant_type") != "refresh_token" ||
			r.FormValue("client_id") != "cid" || r.FormValue("client_secret") != "csecret" || r.FormValue("refresh_token") != o.refresh {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error": "invalid_grant", "error_description": "unknown refresh token"}`)
			return
		}
		o.refreshes++
		o.access, o.refresh = fmt.Sprintf("access-%d", o.refreshes), fmt.Sprintf("refresh-%d", o.refreshes)
		fmt.Fprintf(w, `{"access_token": %q, "refresh_token": %q, "token_type": "bearer", "expires_in": 7200, "orgId": 9}`, o.access, o.refresh)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+o.access {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error": {"type": "authentication_error", "message": "expired"}}`)
		return
	}
	fmt.Fprint(w, `{"data": [{"id": 1, "name": "Bot", "bot": true}]}`)
}

func TestOAuthTokenSource(t *testing.T) {
	t.Parallel()
	remote := &oauthRemote{access: "current", refresh: "refresh-0"}
	srv := httptest.NewServer(remote)
	defer srv.Close()
	conf := &drift.OAuthConfig{ClientID: "cid", ClientSecret: "csecret", BaseURL: srv.URL}
	var rotated []string
	var mu sync.Mutex
	ts := conf.TokenSource(drift.OAuthToken{AccessToken: "stale", RefreshToken: "refresh-0"}, func(t drift.OAuthToken) {
		mu.Lock()
		rotated = append(rotated, t.RefreshToken)
		mu.Unlock()
	})
	c := drift.NewClient(srv.URL, ts, fast)

	// Many calls refused at once share one refresh.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := c.ListUsers(t.Context())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if remote.refreshes != 1 || ts.Current().AccessToken != "access-1" || ts.Current().OrgID != 9 {
		t.Fatalf("%d refreshes, token %+v", remote.refreshes, ts.Current())
	}
	// The access token is revoked: the next refresh uses the rotated refresh token.
	remote.mu.Lock()
	remote.access = "revoked"
	remote.mu.Unlock()
	if _, err := c.ListUsers(t.Context()); err != nil {
		t.Fatal(err)
	}
	if remote.refreshes != 2 || !slices.Equal(rotated, []string{"refresh-1", "refresh-2"}) {
		t.Fatalf("%d refreshes, rotated %v", remote.refreshes, rotated)
	}
	// A refresh token the endpoint refuses surfaces as an *Error.
	bad := conf.TokenSource(drift.OAuthToken{RefreshToken: "stolen"}, nil)
	_, err := drift.NewClient(srv.URL, bad).ListUsers(t.Context())
	var de *drift.Error
	if !errors.As(err, &de) || de.Type != "invalid_grant" || de.Message != "unknown refresh token" {
		t.Fatalf("err %v", err)
	}
}

// TestOAuthLive installs a public app through OAuth on a live Driftwood
// and lets an OAuthTokenSource refresh its token.
func TestOAuthLive(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		x := newFx(t, e)
		app, tok := x.installPublicApp("oauth live")
		conf := &drift.OAuthConfig{ClientID: app.ClientID, ClientSecret: app.ClientSecret, BaseURL: e.URL}
		var rotated int
		ts := conf.TokenSource(drift.OAuthToken{RefreshToken: tok.RefreshToken}, func(drift.OAuthToken) { rotated++ })
		us, err := x.client(ts).ListUsers(x.ctx)
		x.ok(err)
		if len(us) == 0 || rotated != 1 || ts.Current().AccessToken == tok.AccessToken {
			t.Fatalf("users %d, rotated %d, token %+v", len(us), rotated, ts.Current())
		}
		ti, err := x.client(nil).TokenInfo(x.ctx, ts.Current().AccessToken)
		x.ok(err)
		if ti.OrgID() != e.OrgID || ti.CredentialID == "" {
			t.Fatalf("token info %+v", ti)
		}
	})
}

// The consent page of a public app opens at AuthCodeURLPKCE's address;
// AuthCodeURL's, without a PKCE challenge, is sent back to the app with
// invalid_request.
func TestAuthCodeURLPKCE(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		x := newFx(t, e)
		const redirect = "https://app.example/callback"
		app, err := x.c.Driftwood().CreateApp(x.ctx, drift.AppSpec{Name: "consent", Public: true,
			RedirectURIs: []string{redirect}, Scopes: []string{"user_read"}})
		x.ok(err)
		conf := &drift.OAuthConfig{ClientID: app.ClientID, AuthorizeURL: e.URL + "/oauth2/authorize"}
		browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		get := func(u string) *http.Response {
			resp, err := browser.Get(u)
			x.ok(err)
			resp.Body.Close()
			return resp
		}
		if resp := get(conf.AuthCodeURLPKCE("st4te", redirect, drift.NewPKCE())); resp.StatusCode != http.StatusOK {
			t.Errorf("consent page with PKCE: %d, want 200", resp.StatusCode)
		}
		resp := get(conf.AuthCodeURL("st4te", redirect))
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 != 3 || !strings.Contains(loc, "error=invalid_request") {
			t.Errorf("consent page without PKCE: %d to %q, want a redirect with invalid_request", resp.StatusCode, loc)
		}
	})
}

func TestErrors(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		x := newFx(t, e)
		_, err := x.client(drift.StaticToken("wrong")).ListUsers(x.ctx)
		x.wantErr(err, http.StatusUnauthorized, "authentication_error")
		_, err = x.client(drift.StaticToken(e.NewToken(t, e.OrgID, "contact_read"))).ListUsers(x.ctx)
		x.wantErr(err, http.StatusForbidden, "insufficient_scope")
		if !errors.Is(err, drift.ErrInsufficientScope) || !errors.Is(err, drift.ErrForbidden) || errors.Is(err, drift.ErrNotFound) {
			t.Fatalf("errors.Is on %v", err)
		}
		_, err = x.c.UpdateUser(x.ctx, 1, drift.UserUpdate{Availability: "NAPPING"})
		de := x.wantErr(err, http.StatusBadRequest, "validation_error")
		if de.Param != "availability" || !errors.Is(err, drift.ErrValidation) {
			t.Fatalf("validation error %+v", de)
		}
		// Another org's contact reads exactly like a missing one.
		_, other := e.NewOrg(t, "other")
		ct, err := x.client(drift.StaticToken(other)).CreateContact(x.ctx, drift.Attributes{"email": "theirs@example.com"})
		x.ok(err)
		_, err = x.c.GetContact(x.ctx, ct.ID)
		x.wantErr(err, http.StatusNotFound, "not_found")
		// SCIM answers in its own error schema.
		_, err = x.c.GetSCIMUser(x.ctx, "not-a-number")
		if de := x.wantErr(err, http.StatusNotFound, ""); de.Message == "" {
			t.Fatalf("SCIM error %+v", de)
		}
	})
}

func TestTimeHelpers(t *testing.T) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)
	if ms := drift.Millis(at); ms != 1714979289123 || !drift.Time(ms).Equal(at) {
		t.Fatalf("Millis %d, Time %v", ms, drift.Time(ms))
	}
	if !drift.Time(0).IsZero() || drift.Millis(time.Time{}) != 0 {
		t.Fatal("zero values do not round-trip")
	}
}
