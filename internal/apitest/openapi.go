package apitest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/driftwood-chat/driftwood/api"
	"github.com/driftwood-chat/driftwood/internal/httpapi"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"go.yaml.in/yaml/v3"
)

// Every answer of the server under test is checked against /openapi.yaml
// (api.Document): its status must be described for its operation and its
// body must match the described schema, so that the description stays true
// to what the server sends. A mismatch fails the test that made the request.

// describedServer is the server URL the description is built for; requests
// are matched by path only, so any test server's address does.
const describedServer = "http://driftwood.test"

var openAPI struct {
	once      sync.Once
	mu        sync.Mutex // the validator's caches are filled on first use
	validator validator.Validator
	err       error
}

// responseValidator parses the description once for every test.
func responseValidator() (validator.Validator, error) {
	openAPI.once.Do(func() {
		doc, err := api.Document(describedServer)
		if err == nil {
			doc, err = withoutSlashPaths(doc)
		}
		if err != nil {
			openAPI.err = err
			return
		}
		parsed, err := libopenapi.NewDocument(doc)
		if err != nil {
			openAPI.err = err
			return
		}
		v, errs := validator.NewValidator(parsed)
		if len(errs) > 0 {
			openAPI.err = fmt.Errorf("building the validator: %v", errs)
			return
		}
		openAPI.validator = v
	})
	return openAPI.validator, openAPI.err
}

// validateResponses wraps the server's handler so that every answer is
// checked before it leaves: a test's request cannot finish, and so the test
// cannot end, before its answer was checked. Answers that stream (the event
// stream) pass through unchecked once they flush.
func validateResponses(t testing.TB, next http.Handler) http.Handler {
	v, err := responseValidator()
	if err != nil {
		t.Fatalf("/openapi.yaml: %v", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, target := r.Method, r.URL.RequestURI()
		rec := &recorder{w: w, header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if rec.streaming {
			return
		}
		if problem := checkResponse(v, method, target, rec); problem != "" {
			t.Errorf("%s %s answered %d, which /openapi.yaml does not describe: %s\nbody: %.600s",
				method, target, rec.status, problem, rec.body.Bytes())
		}
		rec.send()
	})
}

// checkResponse returns what is wrong with the answer, or "".
func checkResponse(v validator.Validator, method, target string, rec *recorder) string {
	// The server answers every path under /v1 too (httpapi.stripV1); the
	// description lists each path once.
	if rest, ok := strings.CutPrefix(target, "/v1/"); ok {
		target = "/" + rest
	}
	// SCIM's resource segments are answered in any case (/scim/users).
	path, query, _ := strings.Cut(target, "?")
	if c := httpapi.CanonicalSCIMPath(path); c != path {
		target = c
		if query != "" {
			target += "?" + query
		}
	}
	req, err := http.NewRequest(method, describedServer+target, nil)
	if err != nil {
		return "" // a target the test made unparsable on purpose
	}
	resp := &http.Response{
		StatusCode: rec.status,
		Header:     rec.header,
		Body:       io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		Request:    req,
	}
	openAPI.mu.Lock()
	ok, errs := v.ValidateHttpResponse(req, resp)
	openAPI.mu.Unlock()
	if ok {
		return ""
	}
	var msgs []string
	for _, e := range errs {
		if e.ValidationType == "path" && rec.status >= 300 && rec.status < 500 {
			// No operation for this path or method: the router's own 404
			// or 405, or its redirect of an unclean path, for a path the
			// description rightly does not list.
			return ""
		}
		m := e.Message
		if e.Reason != "" {
			m += ": " + e.Reason
		}
		for _, s := range e.SchemaValidationErrors {
			m += fmt.Sprintf("; at %s: %s", s.FieldPath, s.Reason)
		}
		msgs = append(msgs, m)
	}
	return strings.Join(msgs, " | ")
}

// recorder holds an answer until it was checked.
type recorder struct {
	w         http.ResponseWriter
	header    http.Header
	status    int
	wrote     bool
	body      bytes.Buffer
	streaming bool // flushed: passed through as written
}

func (r *recorder) Header() http.Header {
	if r.streaming {
		return r.w.Header()
	}
	return r.header
}

func (r *recorder) WriteHeader(status int) {
	if r.streaming {
		r.w.WriteHeader(status)
		return
	}
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.streaming {
		return r.w.Write(b)
	}
	r.wrote = true
	return r.body.Write(b)
}

// Flush switches to passing the answer through, as a stream must.
func (r *recorder) Flush() {
	if !r.streaming {
		r.send()
		r.streaming = true
	}
	if f, ok := r.w.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack and Unwrap reach the real connection and writer.
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(r.w).Hijack()
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.w }

// send writes the held answer.
func (r *recorder) send() {
	for k, v := range r.header {
		r.w.Header()[k] = v
	}
	r.w.WriteHeader(r.status)
	r.w.Write(r.body.Bytes())
}

// withoutSlashPaths leaves out the paths that end in a slash (/contacts/,
// /scim/Users/): the validator's router matches paths regardless of a
// trailing slash, and would look for POST /contacts under /contacts/. Their
// answers are those of the same path without the slash, which stays.
func withoutSlashPaths(doc []byte) ([]byte, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil, err
	}
	top := root.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value != "paths" {
			continue
		}
		paths := top.Content[i+1]
		var kept []*yaml.Node
		for j := 0; j+1 < len(paths.Content); j += 2 {
			if p := paths.Content[j].Value; p == "/" || !strings.HasSuffix(p, "/") {
				kept = append(kept, paths.Content[j], paths.Content[j+1])
			}
		}
		paths.Content = kept
	}
	return yaml.Marshal(&root)
}
