package httpapi

import (
	"net/http"

	"github.com/driftwood-chat/driftwood/internal/playbook"
)

// visitorCountry is the country of the visitor making r, from the trusted
// proxy header or the IP database the operator named; "" when neither
// knows it (or neither is set), and then country targeting never matches.
// The playbook runtime and routing rules take it from here.
func (s *Server) visitorCountry(r *http.Request) string {
	return s.cfg.Geo.Country(r, clientIP(r))
}

// noCountrySource is the dry run's note when this server cannot know a
// visitor's country.
const noCountrySource = "this server has no country source (--trusted-country-header or --geoip-db): live, a visitor's country is never known, so the country given was ignored"

// dryRunCountry makes a dry run's visitor tell what this server would know:
// without a country source, no country, and the run says why.
func (s *Server) dryRunCountry(v *playbook.Visitor) (note string) {
	if s.cfg.Geo.Enabled() || v.Country == "" {
		return ""
	}
	v.Country = ""
	return noCountrySource
}
