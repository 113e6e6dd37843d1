package geo_test

import (
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/geo"
	"github.com/driftwood-chat/driftwood/internal/geo/geotest"
)

func TestLocator(t *testing.T) {
	path := geotest.Write(t, map[string]string{"81.2.69.0/24": "GB", "2.125.160.0/19": "fr", "89.160.20.112/28": "SE"})
	withDB, err := geo.Open("", path)
	if err != nil {
		t.Fatal(err)
	}
	defer withDB.Close()
	both, err := geo.Open("CF-IPCountry", path)
	if err != nil {
		t.Fatal(err)
	}
	defer both.Close()
	header, _ := geo.Open("CF-IPCountry", "")
	none, _ := geo.Open("", "")

	tests := []struct {
		name    string
		l       *geo.Locator
		ip      string
		hdr     string
		country string
	}{
		{"database", withDB, "81.2.69.160", "", "GB"},
		{"database, lower case stored", withDB, "2.125.170.1", "", "FR"},
		{"database, edge of a /28", withDB, "89.160.20.127", "", "SE"},
		{"database, just outside the /28", withDB, "89.160.20.128", "", ""},
		{"database, IPv4-mapped IPv6", withDB, "::ffff:81.2.69.1", "", "GB"},
		{"database, IPv6 in an IPv4 database", withDB, "2001:db8::1", "", ""},
		{"database ignores the header when it trusts none", withDB, "10.0.0.1", "DE", ""},
		{"header wins over the database", both, "81.2.69.160", "de", "DE"},
		{"unknown header value falls back to the database", both, "81.2.69.160", "XX", "GB"},
		{"Tor is no country", header, "10.0.0.1", "T1", ""},
		{"header alone", header, "10.0.0.1", " at ", "AT"},
		{"garbage header", header, "10.0.0.1", "Germany", ""},
		{"no source", none, "81.2.69.160", "DE", ""},
		{"nil locator", nil, "81.2.69.160", "DE", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tt.hdr != "" {
				r.Header.Set("CF-IPCountry", tt.hdr)
			}
			if got := tt.l.Country(r, netip.MustParseAddr(tt.ip)); got != tt.country {
				t.Errorf("Country = %q, want %q", got, tt.country)
			}
		})
	}
	if none.Enabled() || !header.Enabled() || !withDB.Enabled() {
		t.Error("Enabled does not tell a locator with a source from one without")
	}
}

func TestOpenBadFile(t *testing.T) {
	bad := t.TempDir() + "/bad.mmdb"
	if _, err := geo.Open("", bad); err == nil {
		t.Error("a missing database file opened")
	}
}
