package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/config"
	"github.com/driftwood-chat/driftwood/internal/geo/geotest"
)

// Country targeting in the dry run follows what the server can know: with
// no country source the country given is ignored and the run says so; with
// one (a trusted header, or an IP database) it is used.
func TestDryRunCountrySource(t *testing.T) {
	t.Parallel()
	def := map[string]any{"targeting": map[string]any{"countries": []string{"de", "AT"}},
		"steps": []any{map[string]any{"id": "hi", "kind": "message", "text": "Hallo!", "next": "end"}, map[string]any{"id": "end", "kind": "end"}}}
	dryRun := func(t *testing.T, e *apitest.Env, country string, contains ...string) {
		pb := dataObj(t, e.Call(t, "POST", "/driftwood/v1/playbooks", map[string]any{"name": "DACH", "definition": def}, http.StatusCreated))
		apitest.Scenario{Method: "POST", Path: fmt.Sprintf("/driftwood/v1/playbooks/%d/test", num(pb["id"])),
			Body: map[string]any{"url": "https://acme.example/", "country": country}, Contains: contains}.Run(t, e)
	}
	dbPath := geotest.Write(t, map[string]string{"81.2.69.0/24": "GB"})
	for _, tc := range []struct {
		name     string
		cfg      func(*config.Config)
		country  string
		contains []string
	}{
		{"no source: never matches, and says so", func(*config.Config) {}, "DE",
			[]string{`"fires":false`, `"rule":"targeting.countries"`, "no country source", "the country given was ignored"}},
		{"trusted header", func(c *config.Config) { c.TrustedCountryHeader = "CF-IPCountry" }, "DE",
			[]string{`"fires":true`, `"bot":"Hallo!"`}},
		{"IP database", func(c *config.Config) { c.GeoIPDB = dbPath }, "at", []string{`"fires":true`}},
		{"a source, another country", func(c *config.Config) { c.GeoIPDB = dbPath }, "GB",
			[]string{`"fires":false`, `"the visitor's country GB is not targeted"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			apitest.Each(t, func(t *testing.T, e *apitest.Env) { dryRun(t, e, tc.country, tc.contains...) }, apitest.WithConfig(tc.cfg))
		})
	}
}

// In the widget the runtime targets by the country the server finds (here
// a trusted proxy's header): a playbook for DE greets a visitor from DE,
// not one from GB.
func TestPlaybookRuntime_Country(t *testing.T) {
	t.Parallel()
	def := map[string]any{"targeting": map[string]any{"countries": []string{"DE"}},
		"steps": []any{map[string]any{"id": "hi", "kind": "message", "text": "Hallo!", "next": "end"}, map[string]any{"id": "end", "kind": "end"}}}
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		e.Call(t, "POST", "/driftwood/v1/playbooks", map[string]any{"name": "DE", "definition": def}, http.StatusCreated)
		for country, want := range map[string]bool{"DE": true, "GB": false} {
			v := newVisitor(t, e, "")
			r := e.Do(t, apitest.Request{Method: "POST", Path: "/widget/v1/" + v.embed + "/playbook", Token: v.token,
				Header: map[string]string{"CF-IPCountry": country},
				Body:   map[string]any{"trigger": "page", "url": "https://acme.example/"}})
			if r.Status != http.StatusOK || r.Object(t)["data"].(map[string]any)["started"] != want {
				t.Errorf("a visitor from %s: %d %s, want started %v", country, r.Status, r.Body, want)
			}
		}
	}, apitest.WithConfig(func(c *config.Config) { c.TrustedCountryHeader = "CF-IPCountry" }))
}
