package drift

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is Drift's API. Point a client at Driftwood with its own
// address instead, e.g. "http://127.0.0.1:7070".
const DefaultBaseURL = "https://driftapi.com"

// Client calls Drift's API. It is safe for concurrent use.
type Client struct {
	base      string
	hc        *http.Client
	tokens    TokenSource
	retry     RetryPolicy
	userAgent string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client requests go through (default
// http.DefaultClient). Use it for timeouts, proxies or test transports.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithRetry sets the retry policy (default [DefaultRetryPolicy]).
func WithRetry(p RetryPolicy) Option { return func(c *Client) { c.retry = p } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// NewClient returns a client of the API at baseURL (such as [DefaultBaseURL])
// that authenticates with tokens. A nil TokenSource sends no Authorization
// header.
func NewClient(baseURL string, tokens TokenSource, opts ...Option) *Client {
	c := &Client{
		base:      strings.TrimRight(baseURL, "/"),
		hc:        http.DefaultClient,
		tokens:    tokens,
		retry:     DefaultRetryPolicy,
		userAgent: "driftwood-sdk-go/1",
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// BaseURL returns the API's base URL, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// RetryPolicy bounds how a client retries. A request is retried when the
// server answered 429 (it was not processed), or when it is idempotent
// (GET, HEAD, PUT, DELETE, OPTIONS) and failed on the network or with a
// 5xx. The wait is the server's Retry-After when given, else exponential
// backoff with full jitter.
type RetryPolicy struct {
	// MaxAttempts counts the first try; 1 disables retries.
	MaxAttempts int
	// BaseDelay is the backoff before the second attempt; it doubles after.
	BaseDelay time.Duration
	// MaxDelay caps each wait. A Retry-After longer than MaxDelay is not
	// waited for: the call fails with the 429 or 503 at once.
	MaxDelay time.Duration
}

// DefaultRetryPolicy makes up to four attempts, waiting about 0.25s, 0.5s
// and 1s between them, or what Retry-After says up to 30s.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 4, BaseDelay: 250 * time.Millisecond, MaxDelay: 30 * time.Second}

// backoff returns the jittered wait after the given failed attempt (1-based).
func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.BaseDelay << (attempt - 1)
	if d <= 0 || d > p.MaxDelay {
		d = p.MaxDelay
	}
	return rand.N(d + 1)
}

// request is one API call, with its body kept so it can be sent again.
type request struct {
	method      string
	path        string // with its query, from the base URL
	body        []byte
	contentType string
	noRedirect  bool // answer a redirect instead of following it
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// send performs req with retries and one token refresh, and returns the
// answer of a 2xx or 3xx status; any other status is an *Error.
func (c *Client) send(ctx context.Context, req request) (*response, error) {
	refreshed := false
	for attempt := 1; ; attempt++ {
		token, err := c.token(ctx)
		if err != nil {
			return nil, err
		}
		resp, err := c.roundTrip(ctx, req, token)
		if err != nil {
			if ctx.Err() != nil || !idempotent(req.method) || attempt >= c.retry.MaxAttempts {
				return nil, err
			}
			if err := sleep(ctx, c.retry.backoff(attempt)); err != nil {
				return nil, err
			}
			continue
		}
		if resp.status < 400 {
			return resp, nil
		}
		apiErr := parseError(resp)
		if r, ok := c.tokens.(Refresher); ok && !refreshed && (resp.status == http.StatusUnauthorized || resp.status == http.StatusForbidden) {
			// Drift's clients refresh on 401 and on 403: try once with a new token.
			refreshed = true
			if _, err := r.Refresh(ctx, token); err != nil {
				return nil, err
			}
			attempt--
			continue
		}
		retryable := resp.status == http.StatusTooManyRequests || (resp.status >= 500 && idempotent(req.method))
		if !retryable || attempt >= c.retry.MaxAttempts {
			return nil, apiErr
		}
		wait := c.retry.backoff(attempt)
		if apiErr.RetryAfter > 0 {
			if apiErr.RetryAfter > c.retry.MaxDelay {
				return nil, apiErr
			}
			wait = apiErr.RetryAfter
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func (c *Client) token(ctx context.Context) (string, error) {
	if c.tokens == nil {
		return "", nil
	}
	return c.tokens.Token(ctx)
}

func (c *Client) roundTrip(ctx context.Context, req request, token string) (*response, error) {
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, c.base+req.path, body)
	if err != nil {
		return nil, fmt.Errorf("drift: %w", err)
	}
	if req.body != nil {
		hr.Header.Set("Content-Type", req.contentType)
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", c.userAgent)
	if token != "" {
		hr.Header.Set("Authorization", "Bearer "+token)
	}
	hc := c.hc
	if req.noRedirect {
		cp := *hc
		cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		hc = &cp
	}
	resp, err := hc.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("drift: %s %s: %w", req.method, req.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("drift: %s %s: reading the answer: %w", req.method, req.path, err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Do sends a JSON request to path (which may carry a query) and decodes
// the JSON answer into out, when out is not nil. A nil in sends no body; a
// []byte in is sent as is. Do is for the forms of the API this package has
// no method for, such as the seed listing's POST /contacts/{id}; it
// authenticates, retries and reports errors like every other method.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	req := request{method: method, path: path}
	if in != nil {
		b, ok := in.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(in); err != nil {
				return fmt.Errorf("drift: encoding the request: %w", err)
			}
		}
		req.body, req.contentType = b, "application/json"
	}
	resp, err := c.send(ctx, req)
	if err != nil {
		return err
	}
	return decode(resp, out)
}

// decode decodes a JSON answer into out. Numbers inside interface values
// (contact attributes, custom properties) decode as json.Number, so int64
// ids keep their precision.
func decode(resp *response, out any) error {
	if out == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(resp.body))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("drift: decoding the answer (status %d): %w", resp.status, err)
	}
	return nil
}

// get is Do for GET with a query.
func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	return c.Do(ctx, http.MethodGet, withQuery(path, q), nil, out)
}

// getData decodes the {"data": …} envelope of a GET.
func getData[T any](ctx context.Context, c *Client, path string, q url.Values) (T, error) {
	var env struct{ Data T }
	err := c.get(ctx, path, q, &env)
	return env.Data, err
}

// doData decodes the {"data": …} envelope of a request with a JSON body.
func doData[T any](ctx context.Context, c *Client, method, path string, in any) (T, error) {
	var env struct{ Data T }
	err := c.Do(ctx, method, path, in, &env)
	return env.Data, err
}

func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

func pathID(id int64) string { return strconv.FormatInt(id, 10) }

// okResult is Drift's answer to deletes and other actions: {"result": "OK", "ok": true}.
type okResult struct {
	Result string `json:"result"`
	OK     bool   `json:"ok"`
}

// doOK sends a request answered by okResult and checks it.
func (c *Client) doOK(ctx context.Context, method, path string, in any) error {
	var r okResult
	if err := c.Do(ctx, method, path, in, &r); err != nil {
		return err
	}
	if !r.OK && r.Result != "OK" {
		return errors.New("drift: " + method + " " + path + ": the answer is not {\"ok\": true}")
	}
	return nil
}

// Time converts Drift's epoch milliseconds to a time.Time; 0 is the zero Time.
func Time(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// Millis converts t to Drift's epoch milliseconds; the zero Time is 0.
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
