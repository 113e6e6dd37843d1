package httpapi_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/oauth"
)

const redirectURI = "https://app.example.com/oauth/callback"

// oauthApp is an app registered by the env's org, as an OAuth client sees it.
type oauthApp struct {
	ID           int64
	ClientID     string
	ClientSecret string
}

func newOAuthApp(t *testing.T, e *apitest.Env, spec map[string]any) oauthApp {
	t.Helper()
	body := map[string]any{"name": "Sync <b>&</b> Co", "redirectUris": []string{redirectURI},
		"scopes": []string{"contact_read", "contact_write"}, "public": true}
	for k, v := range spec {
		body[k] = v
	}
	d := e.Call(t, "POST", "/driftwood/v1/apps", body, 200)["data"].(map[string]any)
	id, _ := d["id"].(json.Number).Int64()
	return oauthApp{ID: id, ClientID: d["clientId"].(string), ClientSecret: d["clientSecret"].(string)}
}

func postForm(t *testing.T, e *apitest.Env, path string, form url.Values, header map[string]string) *apitest.Response {
	t.Helper()
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for k, v := range header {
		h[k] = v
	}
	return e.Do(t, apitest.Request{Method: "POST", Path: path, Body: form.Encode(), Header: h, KeepRedirect: true})
}

const verifier = "a-very-long-pkce-code-verifier-with-enough-entropy-0123456789"

// authorizeForm is the consent form of a PKCE authorization request.
func authorizeForm(a oauthApp, scope string) url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {a.ClientID}, "redirect_uri": {redirectURI},
		"state": {"st<&>ate"}, "scope": {scope}, "code_challenge": {oauth.S256(verifier)},
		"code_challenge_method": {"S256"}, "decision": {"allow"}}
}

// consentCode has the org of adminToken consent by script and returns the code.
func consentCode(t *testing.T, e *apitest.Env, form url.Values, adminToken string) string {
	t.Helper()
	r := postForm(t, e, "/oauth2/authorize", form, map[string]string{"Authorization": "Bearer " + adminToken})
	if r.Status != http.StatusFound {
		t.Fatalf("consent: %d %s", r.Status, r.Body)
	}
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirectURI+"?") || loc.Query().Get("state") != form.Get("state") {
		t.Fatalf("consent redirected to %q", r.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}

type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	OrgID        int64  `json:"orgId"`
	Scope        string `json:"scope"`
}

func exchange(t *testing.T, e *apitest.Env, a oauthApp, code string) tokenAnswer {
	t.Helper()
	r := postForm(t, e, "/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {a.ClientID},
		"client_secret": {a.ClientSecret}, "code": {code}, "redirect_uri": {redirectURI}, "code_verifier": {verifier}}, nil)
	if r.Status != 200 {
		t.Fatalf("token: %d %s", r.Status, r.Body)
	}
	var tok tokenAnswer
	r.Decode(t, &tok)
	return tok
}

func wantOAuthError(t *testing.T, r *apitest.Response, status int, code string) {
	t.Helper()
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if r.Status != status || json.Unmarshal(r.Body, &body) != nil || body.Error != code || body.Description == "" {
		t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, status, code)
	}
}

func status(t *testing.T, e *apitest.Env, token string) int {
	t.Helper()
	return e.Do(t, apitest.Request{Method: "GET", Path: "/contacts?email=nobody@example.com", Token: token}).Status
}

func TestOAuth_AuthorizeTokenRefreshRevoke(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		a := newOAuthApp(t, e, nil)
		custID, custAdmin := e.NewOrg(t, "Customer <Org>")
		form := authorizeForm(a, "contact_read")

		// The consent page names the app and its scopes, escaped, then the org.
		q := url.Values{}
		for k, v := range form {
			if k != "decision" {
				q[k] = v
			}
		}
		for _, path := range []string{"/oauth2/authorize?", "/authorize?"} {
			page := e.Do(t, apitest.Request{Method: "GET", Path: path + q.Encode(), KeepRedirect: true})
			body := string(page.Body)
			if page.Status != 200 || !strings.Contains(body, "Sync &lt;b&gt;&amp;&lt;/b&gt; Co") || strings.Contains(body, "<b>&</b>") ||
				!strings.Contains(body, "contact_read") || strings.Contains(body, "contact_write") || !strings.Contains(body, `value="st&lt;&amp;&gt;ate"`) ||
				page.Header.Get("X-Frame-Options") != "DENY" {
				t.Fatalf("consent page %d %v:\n%s", page.Status, page.Header, body)
			}
		}
		step2 := url.Values{}
		for k, v := range q {
			step2[k] = v
		}
		step2.Set("token", custAdmin)
		page := postForm(t, e, "/oauth2/authorize", step2, nil)
		if page.Status != 200 || !strings.Contains(string(page.Body), "Customer &lt;Org&gt;") || !strings.Contains(string(page.Body), `value="allow"`) {
			t.Fatalf("second step %d:\n%s", page.Status, page.Body)
		}

		tok := exchange(t, e, a, consentCode(t, e, form, custAdmin))
		if tok.TokenType != "bearer" || tok.ExpiresIn != 7200 || tok.OrgID != custID || tok.Scope != "contact_read" ||
			!strings.HasPrefix(tok.AccessToken, "dwat_") || !strings.HasPrefix(tok.RefreshToken, "dwrt_") {
			t.Fatalf("token answer %+v", tok)
		}
		// The token acts in the consenting org, with the granted scope only.
		if s := status(t, e, tok.AccessToken); s != 200 {
			t.Fatalf("API call: %d", s)
		}
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/contacts", Token: tok.AccessToken,
			Body: map[string]any{"attributes": map[string]any{"email": "a@b.c"}}}), 403, "insufficient_scope")
		var installed int
		queryRow(t, e, `SELECT COUNT(*) FROM installations WHERE app_id = $1 AND org_id = $2 AND uninstalled_at = 0`,
			[]any{a.ID, custID}, &installed)
		if installed != 1 {
			t.Fatal("the OAuth flow did not install the app in the consenting org")
		}

		// Refresh (JSON, credentials in HTTP Basic) rotates both tokens.
		r := e.Do(t, apitest.Request{Method: "POST", Path: "/oauth2/token", Body: fmt.Sprintf(`{"grant_type":"refresh_token","refresh_token":%q}`, tok.RefreshToken),
			Header: map[string]string{"Content-Type": "application/json", "Authorization": "Basic " + basic(a.ClientID, a.ClientSecret)}, KeepRedirect: true})
		var next tokenAnswer
		if r.Status != 200 {
			t.Fatalf("refresh: %d %s", r.Status, r.Body)
		}
		r.Decode(t, &next)
		if next.RefreshToken == tok.RefreshToken || next.AccessToken == tok.AccessToken || next.OrgID != custID {
			t.Fatalf("refresh answer %+v", next)
		}
		if status(t, e, tok.AccessToken) != 401 || status(t, e, next.AccessToken) != 200 {
			t.Fatal("after refresh the old access token must stop and the new one work")
		}

		// Revoke (RFC 7009): the grant's tokens stop; unknown tokens are fine.
		for _, raw := range []string{next.AccessToken, "dwat_unknown", next.AccessToken} {
			if r := postForm(t, e, "/oauth2/revoke", url.Values{"token": {raw}, "client_id": {a.ClientID},
				"client_secret": {a.ClientSecret}}, nil); r.Status != 200 {
				t.Fatalf("revoke: %d %s", r.Status, r.Body)
			}
		}
		if status(t, e, next.AccessToken) != 401 {
			t.Fatal("revoked access token still works")
		}
		wantOAuthError(t, postForm(t, e, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {a.ClientID},
			"client_secret": {a.ClientSecret}, "refresh_token": {next.RefreshToken}}, nil), 400, "invalid_grant")
	})
}

func TestOAuth_ReplayedRefreshTokenKillsTheGrant(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		a := newOAuthApp(t, e, nil)
		_, custAdmin := e.NewOrg(t, "Customer")
		tok := exchange(t, e, a, consentCode(t, e, authorizeForm(a, ""), custAdmin))
		refresh := func(raw string) *apitest.Response {
			return postForm(t, e, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {a.ClientID},
				"client_secret": {a.ClientSecret}, "refresh_token": {raw}}, nil)
		}
		r := refresh(tok.RefreshToken)
		var next tokenAnswer
		r.Decode(t, &next)
		if r.Status != 200 || next.Scope != "contact_read contact_write" {
			t.Fatalf("refresh: %d %s", r.Status, r.Body)
		}
		// The thief (or the client) presents the used token again.
		wantOAuthError(t, refresh(tok.RefreshToken), 400, "invalid_grant")
		if status(t, e, next.AccessToken) != 401 {
			t.Fatal("a replayed refresh token must revoke the grant's access tokens")
		}
		wantOAuthError(t, refresh(next.RefreshToken), 400, "invalid_grant")

		// A second grant of the same app is untouched.
		other := exchange(t, e, a, consentCode(t, e, authorizeForm(a, ""), custAdmin))
		if status(t, e, other.AccessToken) != 200 {
			t.Fatal("another grant was revoked")
		}
	})
}

func TestOAuth_BadInput(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		a := newOAuthApp(t, e, nil)
		b := newOAuthApp(t, e, map[string]any{"name": "Other"})
		private := newOAuthApp(t, e, map[string]any{"name": "Private", "public": false})
		_, custAdmin := e.NewOrg(t, "Customer")
		_, custReader := e.NewOrg(t, "Reader", auth.ContactRead)
		admin := map[string]string{"Authorization": "Bearer " + custAdmin}

		// Authorization: the client or the redirect URI wrong -> an error page, no redirect.
		for name, change := range map[string]url.Values{
			"unknown client":        {"client_id": {"nope"}},
			"redirect one char off": {"redirect_uri": {redirectURI + "x"}},
			"redirect other host":   {"redirect_uri": {"https://evil.example.com/oauth/callback"}},
		} {
			form := authorizeForm(a, "contact_read")
			for k, v := range change {
				form[k] = v
			}
			for _, r := range []*apitest.Response{postForm(t, e, "/oauth2/authorize", form, admin),
				e.Do(t, apitest.Request{Method: "GET", Path: "/oauth2/authorize?" + form.Encode(), KeepRedirect: true})} {
				if r.Status != 400 || r.Header.Get("Location") != "" || !strings.Contains(string(r.Body), "Cannot authorize") {
					t.Fatalf("%s: %d %v %s", name, r.Status, r.Header, r.Body)
				}
			}
		}
		// Anything else -> back to the client with error and state.
		for name, c := range map[string]struct {
			change url.Values
			token  string
			want   string
		}{
			"public app without PKCE": {url.Values{"code_challenge": nil, "code_challenge_method": nil}, custAdmin, "invalid_request"},
			"plain PKCE":              {url.Values{"code_challenge_method": {"plain"}}, custAdmin, "invalid_request"},
			"scope beyond the app's":  {url.Values{"scope": {"contact_read gdpr_write"}}, custAdmin, "invalid_scope"},
			"unknown scope":           {url.Values{"scope": {"everything"}}, custAdmin, "invalid_scope"},
			"response_type token":     {url.Values{"response_type": {"token"}}, custAdmin, "unsupported_response_type"},
			"denied":                  {url.Values{"decision": {"deny"}}, custAdmin, "access_denied"},
			"private app, other org":  {url.Values{"client_id": {private.ClientID}}, custAdmin, "access_denied"},
		} {
			form := authorizeForm(a, "contact_read")
			for k, v := range c.change {
				form[k] = v
			}
			r := postForm(t, e, "/oauth2/authorize", form, map[string]string{"Authorization": "Bearer " + c.token})
			loc, _ := url.Parse(r.Header.Get("Location"))
			if r.Status != 302 || loc == nil || loc.Query().Get("error") != c.want || loc.Query().Get("state") != "st<&>ate" {
				t.Fatalf("%s: %d %v", name, r.Status, r.Header)
			}
		}
		// A token that is not an org admin's cannot consent.
		for _, tok := range []string{custReader, "dwat_bogus"} {
			r := postForm(t, e, "/oauth2/authorize", authorizeForm(a, ""), map[string]string{"Authorization": "Bearer " + tok})
			if r.Status != 401 || r.Header.Get("Location") != "" {
				t.Fatalf("consent with a non-admin token: %d %v", r.Status, r.Header)
			}
		}

		// Token endpoint.
		tokenReq := func(code string, change url.Values) *apitest.Response {
			form := url.Values{"grant_type": {"authorization_code"}, "client_id": {a.ClientID}, "client_secret": {a.ClientSecret},
				"code": {code}, "redirect_uri": {redirectURI}, "code_verifier": {verifier}}
			for k, v := range change {
				form[k] = v
			}
			return postForm(t, e, "/oauth2/token", form, nil)
		}
		code := func() string { return consentCode(t, e, authorizeForm(a, ""), custAdmin) }
		wantOAuthError(t, tokenReq(code(), url.Values{"client_secret": {a.ClientSecret + "x"}}), 401, "invalid_client")
		wantOAuthError(t, tokenReq(code(), url.Values{"client_id": {"nope"}}), 401, "invalid_client")
		wantOAuthError(t, tokenReq(code(), url.Values{"client_secret": nil}), 401, "invalid_client")
		wantOAuthError(t, tokenReq(code(), url.Values{"redirect_uri": {redirectURI + "x"}}), 400, "invalid_grant")
		wantOAuthError(t, tokenReq(code(), url.Values{"code_verifier": {strings.Replace(verifier, "a", "b", 1)}}), 400, "invalid_grant")
		wantOAuthError(t, tokenReq(code(), url.Values{"code_verifier": nil}), 400, "invalid_request")
		wantOAuthError(t, tokenReq("dwac_unknown", nil), 400, "invalid_grant")
		wantOAuthError(t, tokenReq(code(), url.Values{"grant_type": {"password"}}), 400, "unsupported_grant_type")
		wantOAuthError(t, tokenReq(code(), url.Values{"grant_type": nil}), 400, "invalid_request")
		// Another client's code.
		wantOAuthError(t, tokenReq(code(), url.Values{"client_id": {b.ClientID}, "client_secret": {b.ClientSecret}}), 400, "invalid_grant")
		// Malformed bodies.
		wantOAuthError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/oauth2/token", Body: `{"grant_type":`, Header: map[string]string{"Content-Type": "application/json"}, KeepRedirect: true}), 400, "invalid_request")
		wantOAuthError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/oauth2/token", Body: `{"grant_type":1}`, Header: map[string]string{"Content-Type": "application/json"}, KeepRedirect: true}), 400, "invalid_request")
		wantOAuthError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/oauth2/token", Body: `grant_type=x`, Header: map[string]string{"Content-Type": "text/plain"}, KeepRedirect: true}), 400, "invalid_request")
		wantOAuthError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/oauth2/token", Body: `grant_type=%zz`, Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, KeepRedirect: true}), 400, "invalid_request")

		// An expired code.
		expired := code()
		execSQL(t, e, `UPDATE oauth_codes SET expires_at = 1 WHERE used_at = 0`)
		wantOAuthError(t, tokenReq(expired, nil), 400, "invalid_grant")

		// A code used twice: refused, and the tokens it gave are revoked.
		reused := code()
		first := tokenReq(reused, nil)
		var tok tokenAnswer
		first.Decode(t, &tok)
		wantOAuthError(t, tokenReq(reused, nil), 400, "invalid_grant")
		if status(t, e, tok.AccessToken) != 401 {
			t.Fatal("a reused code must revoke the tokens issued for it")
		}

		// A refresh token presented by another client: refused, grant intact.
		tok = exchange(t, e, a, code())
		wantOAuthError(t, postForm(t, e, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {b.ClientID},
			"client_secret": {b.ClientSecret}, "refresh_token": {tok.RefreshToken}}, nil), 400, "invalid_grant")
		if status(t, e, tok.AccessToken) != 200 {
			t.Fatal("another client's attempt revoked the grant")
		}
		// Revoke needs the client's credentials; another client's token is left alone.
		wantOAuthError(t, postForm(t, e, "/oauth2/revoke", url.Values{"token": {tok.AccessToken}}, nil), 401, "invalid_client")
		postForm(t, e, "/oauth2/revoke", url.Values{"token": {tok.AccessToken}, "client_id": {b.ClientID}, "client_secret": {b.ClientSecret}}, nil)
		if status(t, e, tok.AccessToken) != 200 {
			t.Fatal("another client revoked the token")
		}

		// Every refusal is in the app owner's audit log.
		apitest.Eventually(t, func() bool {
			details := strings.Join(auditDetails(t, e, e.Token, "kind=refused", 100), "\n")
			for _, want := range []string{"invalid_client", "redirect_uri", "code_verifier does not match", "already used",
				"expired", "not issued to this client", "invalid_scope", "access_denied"} {
				if !strings.Contains(details, want) {
					return false
				}
			}
			return true
		})
	})
}

func TestAppAdmin_TokenInfoAndUninstall(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		a := newOAuthApp(t, e, nil)
		b := newOAuthApp(t, e, map[string]any{"name": "Other"})
		custID, custAdmin := e.NewOrg(t, "Customer")
		tok := exchange(t, e, a, consentCode(t, e, authorizeForm(a, "contact_read contact_write"), custAdmin))

		for _, key := range []string{"access_token", "accessToken"} {
			info := e.Do(t, apitest.Request{Method: "POST", Path: "/app/token_info", Body: map[string]any{key: tok.AccessToken}})
			if info.Status != 200 {
				t.Fatalf("token_info: %d %s", info.Status, info.Body)
			}
			m := info.Object(t)
			exp, _ := m["expires_in"].(json.Number).Int64()
			if m["access_token"] != tok.AccessToken || m["authenticated_userid"] != fmt.Sprintf("orgId:%d", custID) ||
				m["credential_id"] != fmt.Sprint(a.ID) || m["token_type"] != "bearer" || m["scope"] != "contact_read contact_write" ||
				exp <= 0 || exp > 7200*1000 || m["id"] == "" || m["created_at"] == nil {
				t.Fatalf("token_info %v", m)
			}
		}
		info := e.Do(t, apitest.Request{Method: "POST", Path: "/app/token_info", Body: map[string]any{"access_token": e.Token}}).Object(t)
		if info["credential_id"] != "" || info["expires_in"] != json.Number("0") {
			t.Fatalf("token_info of an org token: %v", info)
		}
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/app/token_info", Body: map[string]any{"access_token": "dwat_x"}}), 400, "bad_request")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/app/token_info", Body: map[string]any{}}), 400, "validation_error")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/app/token_info", Body: "{"}), 400, "bad_request")

		uninstall := func(c oauthApp, secret, token string) *apitest.Response {
			return e.Do(t, apitest.Request{Method: "POST", Token: token,
				Path: "/app/uninstall?" + url.Values{"clientId": {c.ClientID}, "clientSecret": {secret}}.Encode()})
		}
		apitest.WantError(t, uninstall(a, "wrong", tok.AccessToken), 401, "authentication_error")
		apitest.WantError(t, uninstall(a, a.ClientSecret, "dwat_bogus"), 401, "authentication_error")
		apitest.WantError(t, uninstall(b, b.ClientSecret, tok.AccessToken), 400, "bad_request")
		if status(t, e, tok.AccessToken) != 200 {
			t.Fatal("a refused uninstall changed something")
		}
		second := exchange(t, e, a, consentCode(t, e, authorizeForm(a, ""), custAdmin))
		r := uninstall(a, a.ClientSecret, tok.AccessToken)
		if r.Status != 200 || string(r.Body) != `{"ok":true,"result":"OK"}`+"\n" {
			t.Fatalf("uninstall: %d %s", r.Status, r.Body)
		}
		for _, raw := range []string{tok.AccessToken, second.AccessToken} {
			if status(t, e, raw) != 401 {
				t.Fatal("a token of the uninstalled app still works")
			}
		}
		wantOAuthError(t, postForm(t, e, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {a.ClientID},
			"client_secret": {a.ClientSecret}, "refresh_token": {second.RefreshToken}}, nil), 400, "invalid_grant")
		var uninstalled int
		queryRow(t, e, `SELECT COUNT(*) FROM installations WHERE app_id = $1 AND org_id = $2 AND uninstalled_at <> 0`,
			[]any{a.ID, custID}, &uninstalled)
		if uninstalled != 1 {
			t.Fatal("the installation is not marked uninstalled (its webhooks would go on)")
		}
		// The org's own tokens are untouched.
		if status(t, e, custAdmin) != 200 {
			t.Fatal("uninstall revoked the org's own token")
		}
	})
}

func TestTokenHygiene_IdleTimeoutAndLastUse(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		orgID, idle := e.NewOrg(t, "Idle")
		fresh := e.NewToken(t, orgID, auth.ContactRead)
		for range 2 { // two uses
			if status(t, e, fresh) != 200 {
				t.Fatal("fresh token refused")
			}
		}
		var lastUsed int64
		queryRow(t, e, `SELECT MAX(last_used_at) FROM tokens WHERE org_id = $1`, []any{orgID}, &lastUsed)
		if lastUsed == 0 {
			t.Fatal("last_used_at not recorded")
		}
		// idle was issued two hours "ago" and never used since; the timeout is one hour.
		execSQL(t, e, `UPDATE tokens SET created_at = created_at - 7200000, last_used_at = 0 WHERE org_id = $1 AND last_used_at = 0`, orgID)
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "GET", Path: "/contacts?email=x@y.z", Token: idle}), 401, "authentication_error")
		if status(t, e, fresh) != 200 {
			t.Fatal("a token in use was retired")
		}
		// token_info agrees.
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "POST", Path: "/app/token_info", Body: map[string]any{"access_token": idle}}), 400, "bad_request")
		if d := strings.Join(auditDetails(t, e, e.Token, "", 50), "\n"); strings.Contains(d, "idle") {
			t.Fatal("another org's refusal shows in this org's audit log")
		}
		admin := e.NewToken(t, orgID)
		apitest.Eventually(t, func() bool {
			return strings.Contains(strings.Join(auditDetails(t, e, admin, "kind=use", 50), "\n"), "refused: idle")
		})
	}, apitest.WithConfig(func(c *cfgT) { c.TokenIdleTimeout = time.Hour }))
}

func TestTokenHygiene_IPAllowlist(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		a := newOAuthApp(t, e, map[string]any{"public": false, "allowedIps": []string{"203.0.113.0/24", "2001:db8::1"}})
		path := fmt.Sprintf("/driftwood/v1/apps/%d", a.ID)
		if ips := e.Call(t, "GET", path, nil, 200)["data"].(map[string]any)["allowedIps"]; fmt.Sprint(ips) != "[203.0.113.0/24 2001:db8::1/128]" {
			t.Fatalf("allowedIps %v", ips)
		}
		raw := e.Call(t, "POST", path+"/tokens", nil, 200)["data"].(map[string]any)["accessToken"].(string)
		if status(t, e, raw) != 401 {
			t.Fatal("a token used from outside its app's allowlist works")
		}
		wantOAuthError(t, postForm(t, e, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {a.ClientID},
			"client_secret": {a.ClientSecret}, "refresh_token": {"x"}}, nil), 401, "invalid_client")
		e.Call(t, "PATCH", path, map[string]any{"allowedIps": []string{"127.0.0.1"}}, 200)
		if status(t, e, raw) != 200 {
			t.Fatal("a token used from its allowlist is refused")
		}
		e.Call(t, "PATCH", path, map[string]any{"allowedIps": []string{}}, 200)
		if status(t, e, raw) != 200 {
			t.Fatal("an empty allowlist must allow every address")
		}
		for _, bad := range []any{[]string{"not-an-ip"}, []string{"10.0.0.0/33"}, "127.0.0.1", []any{1}} {
			apitest.WantError(t, e.Do(t, apitest.Request{Method: "PATCH", Path: path, Token: e.Token,
				Body: map[string]any{"allowedIps": bad}}), 400, "validation_error")
		}
	})
}

func TestAudit_ListAndBulkRevoke(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		a := newOAuthApp(t, e, map[string]any{"public": false})
		path := fmt.Sprintf("/driftwood/v1/apps/%d/tokens", a.ID)
		d := e.Call(t, "POST", path, nil, 200)["data"].(map[string]any)
		raw, tokenID := d["accessToken"].(string), d["tokenId"].(json.Number).String()
		for _, email := range []string{"a@x.io", "b@x.io"} {
			e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": email}}, 200)
		}
		e.Do(t, apitest.Request{Method: "GET", Path: "/contacts?email=a@x.io", Token: raw})
		e.Do(t, apitest.Request{Method: "GET", Path: "/contacts/999999", Token: raw})

		var got []map[string]any
		apitest.Eventually(t, func() bool {
			got = auditPage(t, e, e.Token, "token="+tokenID+"&limit=1", nil)
			return len(got) == 1 && got[0]["route"] == "GET /contacts/{id}"
		})
		if got[0]["status"] != json.Number("404") || got[0]["rows"] != json.Number("0") || got[0]["clientIp"] != "127.0.0.1" ||
			got[0]["kind"] != "use" || got[0]["tokenId"] != json.Number(tokenID) || got[0]["appId"] != json.Number(fmt.Sprint(a.ID)) {
			t.Fatalf("audit entry %v", got[0])
		}
		var page map[string]any
		auditPage(t, e, e.Token, "token="+tokenID+"&limit=1", &page)
		next := page["next"].(string)
		second := auditPage(t, e, e.Token, "token="+tokenID+"&limit=1&next="+next, nil)
		if len(second) != 1 || second[0]["route"] != "GET /contacts" || second[0]["status"] != json.Number("200") || second[0]["rows"] != json.Number("1") {
			t.Fatalf("second page %v", second)
		}
		// Another org sees none of it; nothing can delete it.
		_, other := e.NewOrg(t, "Other")
		if rows := auditPage(t, e, other, "token="+tokenID, nil); len(rows) != 0 {
			t.Fatalf("another org reads the audit log: %v", rows)
		}
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "DELETE", Path: "/driftwood/v1/audit", Token: e.Token}), 405, "method_not_allowed")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "GET", Path: "/driftwood/v1/audit?kind=x", Token: e.Token}), 400, "validation_error")
		apitest.WantError(t, e.Do(t, apitest.Request{Method: "GET", Path: "/driftwood/v1/audit", Token: raw}), 403, "insufficient_scope")

		// Bulk revocation by app (driftwood token revoke --app).
		if n, err := e.App.DB.RevokeAll(context.Background(), a.ID, 0); err != nil || n != 1 {
			t.Fatalf("RevokeAll = %d, %v", n, err)
		}
		if status(t, e, raw) != 401 || status(t, e, e.Token) != 200 {
			t.Fatal("revoking the app's tokens must leave the org's own")
		}
	})
}

func TestTokenHygiene_NoRawSecretInDatabase(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		a := newOAuthApp(t, e, nil)
		_, custAdmin := e.NewOrg(t, "Customer")
		code := consentCode(t, e, authorizeForm(a, ""), custAdmin)
		tok := exchange(t, e, a, code)
		r := postForm(t, e, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {a.ClientID},
			"client_secret": {a.ClientSecret}, "refresh_token": {tok.RefreshToken}}, nil)
		var next tokenAnswer
		r.Decode(t, &next)
		own := newOAuthApp(t, e, map[string]any{"public": false})
		install := e.Call(t, "POST", fmt.Sprintf("/driftwood/v1/apps/%d/tokens", own.ID), nil, 200)["data"].(map[string]any)["accessToken"].(string)
		status(t, e, next.AccessToken)
		apitest.Eventually(t, func() bool { return len(auditPage(t, e, custAdmin, "kind=use", nil)) > 0 })

		for name, raw := range map[string]string{"client secret": a.ClientSecret, "code": code, "access token": tok.AccessToken,
			"refresh token": tok.RefreshToken, "rotated access": next.AccessToken, "rotated refresh": next.RefreshToken,
			"install token": install, "org token": custAdmin, "bootstrap token": e.Token, "other secret": own.ClientSecret} {
			if raw == "" {
				t.Fatalf("%s is empty", name)
			}
			if found := e.RowsContaining(t, raw); len(found) > 0 {
				t.Errorf("the raw %s is stored: %v", name, found)
			}
		}
	})
}

// auditPage lists the audit log with token and query.
func auditPage(t *testing.T, e *apitest.Env, token, query string, page *map[string]any) []map[string]any {
	t.Helper()
	r := e.Do(t, apitest.Request{Method: "GET", Path: "/driftwood/v1/audit?" + query, Token: token})
	if r.Status != 200 {
		t.Fatalf("audit: %d %s", r.Status, r.Body)
	}
	var body struct {
		Data       []map[string]any `json:"data"`
		Pagination map[string]any   `json:"pagination"`
	}
	dec := json.NewDecoder(strings.NewReader(string(r.Body)))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		t.Fatal(err)
	}
	if page != nil {
		*page = body.Pagination
	}
	return body.Data
}

// auditDetails waits until the audit log (written asynchronously) has at
// least one entry for query, then returns every entry's detail.
func auditDetails(t *testing.T, e *apitest.Env, token, query string, limit int) []string {
	t.Helper()
	var out []string
	apitest.Eventually(t, func() bool {
		out = nil
		for _, row := range auditPage(t, e, token, fmt.Sprintf("%s&limit=%d", query, limit), nil) {
			d, _ := row["detail"].(string)
			out = append(out, d)
		}
		return len(out) > 0
	})
	return out
}

func basic(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret)))
}

// rawDB opens the env's database directly, to age rows and check state the
// API does not show.
func rawDB(t *testing.T, e *apitest.Env) *sql.DB { return e.RawDB(t) }

func execSQL(t *testing.T, e *apitest.Env, query string, args ...any) {
	t.Helper()
	if _, err := rawDB(t, e).Exec(query, args...); err != nil {
		t.Fatal(err)
	}
}

func queryRow(t *testing.T, e *apitest.Env, query string, args []any, dest ...any) {
	t.Helper()
	if err := rawDB(t, e).QueryRow(query, args...).Scan(dest...); err != nil {
		t.Fatal(err)
	}
}

// NUL, which PostgreSQL cannot even compare, is refused in every OAuth
// parameter (form, JSON or HTTP Basic) with a 400, never a 500.
func TestOAuth_NULRefused(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		a := newOAuthApp(t, e, nil)
		for _, path := range []string{"/oauth2/token", "/oauth2/revoke"} {
			wantOAuthError(t, e.Do(t, apitest.Request{Method: "POST", Path: path, Body: `{"client_id":"x\u0000","client_secret":"s","token":"t"}`, Header: map[string]string{"Content-Type": "application/json"}, KeepRedirect: true}), 400, "invalid_request")
			wantOAuthError(t, postForm(t, e, path, url.Values{"client_id": {a.ClientID}, "client_secret": {"s\x00"}, "token": {"t"}}, nil), 400, "invalid_request")
			wantOAuthError(t, e.Do(t, apitest.Request{Method: "POST", Path: path, Body: "token=t",
				Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic " + basic("x\x00", "s")}, KeepRedirect: true}), 400, "invalid_request")
		}
		form := authorizeForm(a, "contact_read")
		form.Set("client_id", "x\x00")
		if r := postForm(t, e, "/oauth2/authorize", form, map[string]string{"Authorization": "Bearer " + e.Token}); r.Status != 400 {
			t.Fatalf("consent with NUL: %d %s", r.Status, r.Body)
		}
	})
}
