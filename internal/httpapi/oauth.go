package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/audit"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/integration"
	"github.com/driftwood-chat/driftwood/internal/oauth"
)

// The consent page has three steps, all on /oauth2/authorize: GET shows the
// app and its scopes and asks for an admin token of the consenting org; the
// form posts it back (no decision yet) and the page then names the org too,
// with Allow and Deny; the decision posts the form once more. A script does
// the last step alone, with the token in the Authorization header. The token
// travels in the form, never in a cookie, so there is no session to forge.
var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{if .App}}Authorize {{.App.Name}}{{else}}Cannot authorize{{end}} · Driftwood</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}
code{background:#f3f3f3;padding:0 .2em}.error{color:#b00020}button{margin-right:.5rem;padding:.4rem 1rem}</style></head>
<body>
{{if .Error}}<h1>Cannot authorize</h1><p class="error">{{.Error}}</p>{{else}}
<h1>Authorize {{.App.Name}}</h1>
{{if .Org}}<p><strong>{{.App.Name}}</strong> asks to be installed in the org <strong>{{.Org.Name}}</strong> (id {{.Org.ID}}) with access to:</p>
{{else}}<p><strong>{{.App.Name}}</strong> asks to be installed in your org with access to:</p>{{end}}
<ul>{{range .Scopes}}<li><code>{{.}}</code></li>{{end}}</ul>
{{if .TokenError}}<p class="error">{{.TokenError}}</p>{{end}}
<form method="post" action="/oauth2/authorize">
<input type="hidden" name="response_type" value="code">
<input type="hidden" name="client_id" value="{{.Req.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.Req.RedirectURI}}">
<input type="hidden" name="state" value="{{.Req.State}}">
<input type="hidden" name="scope" value="{{.Req.Scope}}">
<input type="hidden" name="code_challenge" value="{{.Req.CodeChallenge}}">
<input type="hidden" name="code_challenge_method" value="{{.Req.CodeChallengeMethod}}">
{{if .Org}}<input type="hidden" name="token" value="{{.Token}}">
<p>You will be sent back to <code>{{.Req.RedirectURI}}</code>.</p>
<button type="submit" name="decision" value="allow">Allow</button><button type="submit" name="decision" value="deny">Deny</button>
{{else}}<p><label>An admin API token of your org (scope <code>driftwood_admin</code>):<br>
<input type="password" name="token" size="40" autocomplete="off" required></label></p>
<button type="submit">Continue</button>{{end}}
</form>{{end}}
</body></html>
`))

type consentView struct {
	App        *integration.App
	Scopes     []auth.Scope
	Req        oauth.Request
	Org        any
	Token      string
	Error      string
	TokenError string
}

// authRequest reads an authorization request from the query or the form.
func authRequest(v url.Values) oauth.Request {
	return oauth.Request{
		ResponseType: v.Get("response_type"), ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"),
		State: v.Get("state"), Scope: v.Get("scope"),
		CodeChallenge: v.Get("code_challenge"), CodeChallengeMethod: v.Get("code_challenge_method"),
	}
}

// authorize serves GET /oauth2/authorize (and Drift's /authorize): the first
// step of the consent page.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) error {
	c, ok := s.checkAuthorization(w, r, authRequest(r.URL.Query()))
	if !ok {
		return nil
	}
	return renderConsent(w, http.StatusOK, consentView{App: c.App, Scopes: c.Scopes, Req: c.Request})
}

// consent serves POST /oauth2/authorize: the consent form's later steps,
// and the whole consent of a script.
func (s *Server) consent(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.BadRequest, "the consent form could not be read: %v", err)
	}
	if name, ok := plainValues(r.PostForm); !ok {
		return apperr.Invalidf(name, "form fields must be UTF-8 text without NUL")
	}
	c, ok := s.checkAuthorization(w, r, authRequest(r.PostForm))
	if !ok {
		return nil
	}
	view := consentView{App: c.App, Scopes: c.Scopes, Req: c.Request}
	raw := r.PostForm.Get("token")
	if raw == "" {
		if r.Header.Get("Authorization") == "" {
			view.TokenError = "Enter an admin API token of your org."
			return renderConsent(w, http.StatusUnauthorized, view)
		}
		if _, bearer, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " "); ok {
			raw = strings.TrimSpace(bearer)
		}
	}
	p, err := s.cfg.Tokens.Authenticate(r.Context(), raw, clientIP(r))
	if p.TokenID != 0 {
		defer s.auditUse(w, r, p, err)
	}
	if err == nil && !p.Has(auth.Admin) {
		err = apperr.New(apperr.Forbidden, "this token lacks the driftwood_admin scope")
	}
	if apperr.CodeOf(err) == apperr.Unauthenticated || apperr.CodeOf(err) == apperr.Forbidden {
		view.TokenError = "That token is not a valid admin token (scope driftwood_admin) of an org."
		return renderConsent(w, http.StatusUnauthorized, view)
	}
	if err != nil {
		return err
	}
	switch r.PostForm.Get("decision") {
	case "":
		o, err := s.cfg.Store.GetOrg(r.Context(), p.OrgID)
		if err != nil {
			return err
		}
		view.Org, view.Token = o, raw
		return renderConsent(w, http.StatusOK, view)
	case "allow":
		to, err := s.cfg.OAuth.Approve(r.Context(), c, p.OrgID)
		var oe *oauth.Error
		if errors.As(err, &oe) {
			to = c.ErrorURL(oe)
			defer s.auditRefused(w, r, c.App, oe)
		} else if err != nil {
			return err
		}
		http.Redirect(w, r, to, http.StatusFound)
	case "deny":
		http.Redirect(w, r, c.ErrorURL(&oauth.Error{Code: oauth.AccessDenied, Description: "the org declined"}), http.StatusFound)
	default:
		return apperr.Invalidf("decision", "decision must be allow or deny")
	}
	return nil
}

// checkAuthorization checks req. When it fails, it answers (an error page
// when the client or its redirect URI is wrong, else a redirect carrying the
// error), records the refusal, and returns false.
func (s *Server) checkAuthorization(w http.ResponseWriter, r *http.Request, req oauth.Request) (*oauth.Consent, bool) {
	c, err := s.cfg.OAuth.Check(r.Context(), req)
	if err == nil {
		return c, true
	}
	var oe *oauth.Error
	if !errors.As(err, &oe) {
		s.writeError(w, r, err)
		return nil, false
	}
	w.Header().Set("Cache-Control", "no-store")
	if c == nil || !c.Redirectable {
		consentHeaders(w.Header())
		s.writeError(w, r, &consentError{oe: oe})
		var app *integration.App
		if c != nil {
			app = c.App
		}
		s.auditRefused(w, r, app, oe)
		return nil, false
	}
	http.Redirect(w, r, c.ErrorURL(oe), http.StatusFound)
	s.auditRefused(w, r, c.App, oe)
	return nil, false
}

func renderConsent(w http.ResponseWriter, status int, v consentView) error {
	consentHeaders(w.Header())
	w.WriteHeader(status)
	return consentPage.Execute(w, v)
}

// consentHeaders are the headers of every consent page: not cached, not
// framed, no script, no referrer.
func consentHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
}

// consentError is an authorization request refused before there is a
// client to send the error back to (RFC 6749 §4.1.2.1: the client or its
// redirect URI is wrong): the person at the browser reads it on the
// consent page. Its answer needs consentHeaders.
type consentError struct{ oe *oauth.Error }

func (e *consentError) Error() string { return e.oe.Error() }
func (e *consentError) Unwrap() error { return e.oe }

func (e *consentError) WireError() (status int, contentType string, body []byte) {
	var b bytes.Buffer
	if err := consentPage.Execute(&b, consentView{Error: e.oe.Description}); err != nil {
		panic(err) // the template is fixed and its data plain: cannot fail
	}
	return http.StatusBadRequest, "text/html; charset=utf-8", b.Bytes()
}

// camelOAuthFields are the camelCase spellings of the token endpoint's
// fields that JSON clients send, with RFC 6749's names.
var camelOAuthFields = map[string]string{
	"clientId": "client_id", "clientSecret": "client_secret", "grantType": "grant_type",
	"redirectUri": "redirect_uri", "refreshToken": "refresh_token", "codeVerifier": "code_verifier",
}

// tokenForm reads the token and revoke endpoints' parameters: a form
// (RFC 6749's encoding, what Drift documents) or a JSON object of strings,
// its fields in snake_case or camelCase. Client credentials come from HTTP
// Basic or the body.
func tokenForm(r *http.Request) (url.Values, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, &oauth.Error{Code: oauth.InvalidRequest, Status: http.StatusRequestEntityTooLarge, Description: "the body is too large"}
		}
		return nil, err
	}
	bad := func(format string) error {
		return &oauth.Error{Code: oauth.InvalidRequest, Status: http.StatusBadRequest, Description: format}
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var v url.Values
	switch {
	case mt == "application/json" || mt == "" && strings.HasPrefix(strings.TrimSpace(string(body)), "{"):
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, bad("the body is not a JSON object")
		}
		v = url.Values{}
		for k, x := range m {
			str, ok := x.(string)
			if !ok {
				return nil, bad(k + " must be a string")
			}
			name := k
			if snake, ok := camelOAuthFields[k]; ok {
				name = snake
			}
			if v.Has(name) && v.Get(name) != str {
				return nil, bad("send " + name + " once, in snake_case or camelCase")
			}
			v.Set(name, str)
		}
	case mt == "application/x-www-form-urlencoded" || mt == "":
		if v, err = url.ParseQuery(string(body)); err != nil {
			return nil, bad("the form body is malformed")
		}
	default:
		return nil, bad("send application/x-www-form-urlencoded or application/json")
	}
	if id, secret, ok := r.BasicAuth(); ok {
		// RFC 6749 §2.3.1: Basic credentials are form-encoded first.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		if (v.Get("client_id") != "" && v.Get("client_id") != id) || v.Get("client_secret") != "" {
			return nil, bad("send client credentials once: in HTTP Basic or in the body")
		}
		v.Set("client_id", id)
		v.Set("client_secret", secret)
	}
	if _, ok := plainValues(v); !ok {
		return nil, bad("parameters must be UTF-8 text without NUL")
	}
	return v, nil
}

// oauthClient reads the request's parameters and authenticates its client,
// which must call from an address its IP allowlist allows.
func (s *Server) oauthClient(r *http.Request) (url.Values, *integration.App, error) {
	v, err := tokenForm(r)
	if err != nil {
		return nil, nil, err
	}
	app, err := s.cfg.OAuth.Client(r.Context(), v.Get("client_id"), v.Get("client_secret"))
	if err == nil && !auth.IPAllowed(app.AllowedIPs, clientIP(r)) {
		err = &oauth.Error{Code: oauth.InvalidClient, Status: http.StatusUnauthorized, Description: "this address is not in the app's IP allowlist"}
	}
	return v, app, err
}

// token serves POST /oauth2/token: authorization_code and refresh_token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) error {
	v, app, err := s.oauthClient(r)
	var resp *oauth.TokenResponse
	if err == nil {
		switch v.Get("grant_type") {
		case "authorization_code":
			resp, err = s.cfg.OAuth.Exchange(r.Context(), app, v.Get("code"), v.Get("redirect_uri"), v.Get("code_verifier"))
		case "refresh_token":
			resp, err = s.cfg.OAuth.Refresh(r.Context(), app, v.Get("refresh_token"))
		case "":
			err = &oauth.Error{Code: oauth.InvalidRequest, Status: http.StatusBadRequest, Description: "grant_type is required"}
		default:
			err = &oauth.Error{Code: oauth.UnsupportedGrantType, Status: http.StatusBadRequest,
				Description: "grant_type must be authorization_code or refresh_token"}
		}
	}
	if err != nil {
		return s.refuseOAuth(w, r, app, err)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	return writeJSON(w, http.StatusOK, resp)
}

// revoke serves POST /oauth2/revoke (RFC 7009): 200 whether or not the
// token was known, so that nothing is learnt from the answer.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) error {
	v, app, err := s.oauthClient(r)
	if err == nil {
		err = s.cfg.OAuth.Revoke(r.Context(), app, v.Get("token"))
	}
	if err != nil {
		return s.refuseOAuth(w, r, app, err)
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, map[string]any{})
}

// refuseOAuth answers err as an OAuth error (RFC 6749 §5.2; a fault of the
// server is its server_error) and records the refusal.
func (s *Server) refuseOAuth(w http.ResponseWriter, r *http.Request, app *integration.App, err error) error {
	var oe *oauth.Error
	var ae *apperr.Error
	if err = s.unavailable(err); errors.As(err, &ae) && ae.Code == apperr.Unavailable {
		oe = &oauth.Error{Code: "temporarily_unavailable", Status: http.StatusServiceUnavailable,
			Description: ae.Message, Err: err}
	} else if !errors.As(err, &oe) {
		oe = oauth.ServerError(err)
	}
	if oe.Code == oauth.InvalidClient {
		if _, _, basic := r.BasicAuth(); basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="driftwood"`)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeError(w, r, oe)
	s.auditRefused(w, r, app, oe)
	return nil
}

// auditRefused records a refused OAuth request in the log of the app's
// owner (org 0 when the client is unknown).
func (s *Server) auditRefused(w http.ResponseWriter, r *http.Request, app *integration.App, oe *oauth.Error) {
	e := s.auditEntry(w, r, audit.Refused)
	if e.Status == 0 {
		e.Status = oe.Status
	}
	if app != nil {
		e.OrgID, e.AppID = app.OrgID, app.ID
	}
	e.Detail = oe.Code + ": " + oe.Description
	s.cfg.Audit.Record(e)
}
