package drift_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/sdk/drift"
)

// fx is one test's view of a live Driftwood: the SDK client with the org's
// admin token, and the last answer body, for asserting raw shapes.
type fx struct {
	t       *testing.T
	e       *apitest.Env
	c       *drift.Client
	rec     *recorder
	ctx     context.Context
	pending string // the issue building this operation; see ok
}

func newFx(t *testing.T, e *apitest.Env) *fx {
	t.Helper()
	rec := &recorder{}
	c := drift.NewClient(e.URL, drift.StaticToken(e.Token), drift.WithHTTPClient(&http.Client{Transport: rec}))
	return &fx{t: t, e: e, c: c, rec: rec, ctx: t.Context()}
}

// client returns a client of the same server with another token source
// (nil: no token).
func (x *fx) client(ts drift.TokenSource) *drift.Client {
	return drift.NewClient(x.e.URL, ts, drift.WithHTTPClient(&http.Client{Transport: x.rec}))
}

// ok fails the test on err, except that an operation still being built
// elsewhere (x.pending) skips when the server answers 501.
func (x *fx) ok(err error) {
	x.t.Helper()
	if err == nil {
		return
	}
	if x.pending != "" && errors.Is(err, drift.ErrNotImplemented) {
		x.t.Skipf("pending %s: the server answers 501 (%v)", x.pending, err)
	}
	x.t.Fatal(err)
}

// wantErr checks that err is a *drift.Error of status and type.
func (x *fx) wantErr(err error, status int, typ string) *drift.Error {
	x.t.Helper()
	var de *drift.Error
	if !errors.As(err, &de) {
		x.t.Fatalf("error %v, want a *drift.Error %d %s", err, status, typ)
	}
	if de.Status != status || de.Type != typ || de.Message == "" {
		x.t.Fatalf("error %+v, want status %d type %s with a message", de, status, typ)
	}
	return de
}

// shape checks the last answer's JSON: each path (dot-separated keys; a
// trailing [] walks every element of a non-empty array; a path of "" is the
// root) holds a value of the kind given ("number", "string", "bool",
// "object", "array", "null", or alternatives joined by |).
func (x *fx) shape(spec map[string]string) {
	x.t.Helper()
	var root any
	dec := json.NewDecoder(bytes.NewReader(x.rec.last()))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		x.t.Fatalf("answer is not JSON: %v: %s", err, x.rec.last())
	}
	for path, kinds := range spec {
		vals, err := lookup(root, path)
		if err != nil {
			x.t.Fatalf("shape: %s: %v in %s", path, err, x.rec.last())
		}
		for _, v := range vals {
			if !strings.Contains("|"+kinds+"|", "|"+kindOf(v)+"|") {
				x.t.Fatalf("shape: %s is %s, want %s in %s", path, kindOf(v), kinds, x.rec.last())
			}
		}
	}
}

func lookup(v any, path string) ([]any, error) {
	cur := []any{v}
	if path == "" {
		return cur, nil
	}
	for _, seg := range strings.Split(path, ".") {
		name, each := strings.CutSuffix(seg, "[]")
		var next []any
		for _, c := range cur {
			if name != "" {
				m, ok := c.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("%s: parent is %s, not an object", name, kindOf(c))
				}
				if c, ok = m[name]; !ok {
					return nil, fmt.Errorf("%s is missing", name)
				}
			}
			if !each {
				next = append(next, c)
				continue
			}
			arr, ok := c.([]any)
			if !ok || len(arr) == 0 {
				return nil, fmt.Errorf("%s is %s, want a non-empty array", seg, kindOf(c))
			}
			next = append(next, arr...)
		}
		cur = next
	}
	return cur, nil
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case json.Number:
		return "number"
	case string:
		return "string"
	case bool:
		return "bool"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

// admin calls Driftwood's admin API (for fixtures Drift's API only reads)
// and returns the id of the object it answers under data.
func (x *fx) admin(path string, body any) int64 {
	x.t.Helper()
	obj := x.e.Call(x.t, http.MethodPost, path, body, http.StatusCreated)
	data, _ := obj["data"].(map[string]any)
	n, _ := data["id"].(json.Number)
	id, err := n.Int64()
	if err != nil {
		x.t.Fatalf("POST %s: no data.id in %v", path, obj)
	}
	return id
}

// newUser creates an agent and returns its id.
func (x *fx) newUser(name string) int64 {
	x.t.Helper()
	return x.admin("/driftwood/v1/users", map[string]any{"name": name, "email": strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com"})
}

// newContact creates a contact with email through the SDK.
func (x *fx) newContact(email string, extra drift.Attributes) *drift.Contact {
	x.t.Helper()
	attrs := drift.Attributes{"email": email}
	for k, v := range extra {
		attrs[k] = v
	}
	ct, err := x.c.CreateContact(x.ctx, attrs)
	if err != nil {
		x.t.Fatal(err)
	}
	return ct
}

// recorder is an http.RoundTripper that keeps the last answer's body.
type recorder struct {
	mu   sync.Mutex
	body []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	r.mu.Lock()
	r.body = b
	r.mu.Unlock()
	return resp, nil
}

func (r *recorder) last() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.body
}
