package httpapi_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/api"
	"github.com/driftwood-chat/driftwood/internal/apitest"
)

// /openapi.yaml describes every registered route, with the scope it needs,
// and nothing that is not routed. A route's {$} (an exact trailing slash) is
// described as the path with that slash; the /v1 aliases are not listed.
func TestOpenAPI_DescribesEveryRoute(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetestSQLite())
	r := e.Do(t, apitest.Request{Method: "GET", Path: "/openapi.yaml"})
	if r.Status != 200 {
		t.Fatalf("/openapi.yaml: %d", r.Status)
	}
	ref, err := api.ReadReference(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Server != e.URL {
		t.Errorf("servers names %q, want the public URL %q", ref.Server, e.URL)
	}
	described := map[string]api.Endpoint{}
	for _, s := range ref.Sections {
		for _, ep := range s.Endpoints {
			described[ep.Method+" "+ep.Path] = ep
		}
	}
	routed := map[string]bool{}
	for _, route := range e.App.API.Routes() {
		key := route.Method + " " + strings.TrimSuffix(route.Path, "{$}")
		routed[key] = true
		ep, ok := described[key]
		switch {
		case !ok:
			t.Errorf("%s is routed but not described", key)
		case route.Scope == "" && !(ep.Public || key == "POST /app/uninstall"):
			// /app/uninstall checks its bearer token itself.
			t.Errorf("%s needs no token, described as needing %v", key, ep.Scopes)
		case route.Scope != "" && !slices.Equal(ep.Scopes, []string{string(route.Scope)}):
			t.Errorf("%s needs scope %s, described as %v", key, route.Scope, ep.Scopes)
		}
	}
	for key := range described {
		if !routed[key] {
			t.Errorf("%s is described but not routed", key)
		}
	}
}

// /docs is rendered from the same description: every operation and schema
// is on it, and the description's text arrives escaped.
func TestDocs_ShowsEveryOperation(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetestSQLite())
	r := e.Do(t, apitest.Request{Method: "GET", Path: "/docs"})
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/docs: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	page := string(r.Body)
	description := e.Do(t, apitest.Request{Method: "GET", Path: "/openapi.yaml"})
	ref, err := api.ReadReference(description.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ref.Sections {
		for _, ep := range s.Endpoints {
			if !strings.Contains(page, `id="op-`+ep.ID+`"`) {
				t.Errorf("/docs lacks %s %s", ep.Method, ep.Path)
			}
		}
	}
	for _, s := range ref.Schemas {
		if !strings.Contains(page, `id="schema-`+s.Name+`"`) {
			t.Errorf("/docs lacks schema %s", s.Name)
		}
	}
	// The description's own markup-like text (`{"error": …}`) is escaped.
	if !strings.Contains(page, "{&#34;error&#34;") || strings.Contains(page, "<script") {
		t.Errorf("/docs does not escape the description's text")
	}
}

// / is a page for a browser and a JSON index for an API client; a bad
// Accept header, or a path under /docs that does not exist, is a 4xx.
func TestIndex(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetestSQLite())
	page := e.Do(t, apitest.Request{Method: "GET", Path: "/", Header: map[string]string{
		"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}})
	if page.Status != 200 || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/ for a browser: %d %s", page.Status, page.Header.Get("Content-Type"))
	}
	for _, link := range []string{`href="/docs"`, `href="/openapi.yaml"`} {
		if !strings.Contains(string(page.Body), link) {
			t.Errorf("/ has no link %s", link)
		}
	}
	for _, accept := range []string{"application/json", "application/json, text/html;q=0.5"} {
		r := e.Do(t, apitest.Request{Method: "GET", Path: "/", Header: map[string]string{"Accept": accept}})
		if r.Status != 200 {
			t.Fatalf("/ with Accept %q: %d %s", accept, r.Status, r.Body)
		}
		links, _ := r.Object(t)["links"].(map[string]any)
		if links["docs"] != e.URL+"/docs" || links["openapi"] != e.URL+"/openapi.yaml" {
			t.Errorf("/ as JSON: links %v", links)
		}
	}
	for _, path := range []string{"/", "/docs"} {
		for _, accept := range []string{"text/html;q=2", "text/html;q=x", "html", "text/html; =", "/"} {
			r := e.Do(t, apitest.Request{Method: "GET", Path: path, Header: map[string]string{"Accept": accept}})
			apitest.WantError(t, r, 400, "bad_request")
		}
	}
	for _, path := range []string{"/docs/", "/docs/nope", "/docs/../etc/passwd", "/index.html"} {
		r := e.Do(t, apitest.Request{Method: "GET", Path: path})
		if r.Status < 400 || r.Status >= 500 {
			t.Errorf("GET %s: %d, want a 4xx", path, r.Status)
		}
	}
}
