// Package geo tells a website visitor's country, for playbook targeting and
// routing rules, from one of two sources the operator names: a header a
// trusted proxy sets (--trusted-country-header, e.g. Cloudflare's
// CF-IPCountry), or an IP database file in MaxMind's format (--geoip-db).
// Without either the country is unknown, and country targeting never
// matches.
package geo

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Locator finds a request's country. The zero Locator (or nil) knows none.
type Locator struct {
	// Header is the trusted proxy's country header; "" when none.
	Header string
	db     *maxminddb.Reader
}

// Open makes a Locator from the operator's settings: header names the
// trusted country header, dbPath a MaxMind-format database ("" for none).
func Open(header, dbPath string) (*Locator, error) {
	l := &Locator{Header: strings.TrimSpace(header)}
	if dbPath != "" {
		db, err := maxminddb.Open(dbPath)
		if err != nil {
			return nil, fmt.Errorf("--geoip-db %s: %w", dbPath, err)
		}
		l.db = db
	}
	return l, nil
}

// Close releases the database file.
func (l *Locator) Close() error {
	if l == nil || l.db == nil {
		return nil
	}
	return l.db.Close()
}

// Enabled reports whether the Locator has a source at all.
func (l *Locator) Enabled() bool { return l != nil && (l.Header != "" || l.db != nil) }

// Country is the ISO 3166 alpha-2 code (upper case) of the visitor making
// r, whose connection came from ip; "" when unknown. The trusted header
// wins over the database: the proxy saw the visitor's own address, the
// database here sees only the proxy's when there is one.
func (l *Locator) Country(r *http.Request, ip netip.Addr) string {
	if l == nil {
		return ""
	}
	if l.Header != "" {
		if c := Normalize(r.Header.Get(l.Header)); c != "" {
			return c
		}
	}
	return l.Lookup(ip)
}

// Lookup is the country of ip in the database; "" when unknown or without
// a database.
func (l *Locator) Lookup(ip netip.Addr) string {
	if l == nil || l.db == nil || !ip.IsValid() {
		return ""
	}
	var rec struct {
		Country struct {
			ISOCode string `maxminddb:"iso_code"`
		} `maxminddb:"country"`
	}
	if err := l.db.Lookup(ip.Unmap()).Decode(&rec); err != nil {
		return "" // an IPv6 address in an IPv4-only database, or a bad record
	}
	return Normalize(rec.Country.ISOCode)
}

// Normalize returns a two-letter country code in upper case, or "" for
// anything else: Cloudflare's XX (unknown) and T1 (Tor) are no country.
func Normalize(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 2 || s == "XX" || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' {
		return ""
	}
	return s
}
