package httpapi

import (
	"net/http/httptest"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/geo"
	"github.com/driftwood-chat/driftwood/internal/geo/geotest"
)

// visitorCountry reads the trusted header first, then the connection's
// address in the IP database, and knows nothing without a source.
func TestVisitorCountry(t *testing.T) {
	loc, err := geo.Open("CF-IPCountry", geotest.Write(t, map[string]string{"81.2.69.0/24": "GB"}))
	if err != nil {
		t.Fatal(err)
	}
	defer loc.Close()
	r := httptest.NewRequest("GET", "/widget/v1/x/conversation", nil)
	r.RemoteAddr = "81.2.69.160:51000"
	s := &Server{cfg: Config{Geo: loc}}
	if got := s.visitorCountry(r); got != "GB" {
		t.Errorf("from the database: %q", got)
	}
	r.Header.Set("CF-IPCountry", "ch")
	if got := s.visitorCountry(r); got != "CH" {
		t.Errorf("from the header: %q", got)
	}
	if got := (&Server{}).visitorCountry(r); got != "" {
		t.Errorf("no source: %q", got)
	}
}
