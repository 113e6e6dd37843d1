package account

import (
	"encoding/json"
	"testing"
)

func TestCheckValue(t *testing.T) {
	t.Parallel()
	n := func(s string) json.Number { return json.Number(s) }
	for _, c := range []struct {
		typ string
		v   any
		ok  bool
	}{
		{TypeString, "x", true}, {TypeString, n("1"), false},
		{TypeEnum, "gold", true}, {TypeEnum, true, false},
		{TypeEmail, "a@b.example", true}, {TypeEmail, "A <a@b.example>", false},
		{TypeNumber, n("1.5"), true}, {TypeNumber, "42", true}, {TypeNumber, "4x", false},
		{TypeTeamMember, n("7"), true}, {TypeTeamMember, "7", true}, {TypeTeamMember, n("-7"), false},
		{TypeDate, "2026-03-31", true}, {TypeDate, n("1748790000000"), true}, {TypeDate, "2026-13-01", false},
		{TypeDateTime, "2026-03-31T10:00:00Z", true}, {TypeDateTime, n("1748790000000"), true}, {TypeDateTime, "yesterday", false},
		{TypeLatLon, "48.85, 2.35", true}, {TypeLatLon, "95,0", false}, {TypeLatLon, n("1"), false},
		{TypeLat, n("-90"), true}, {TypeLat, n("90.1"), false},
		{TypeLon, "180", true}, {TypeLon, n("-181"), false},
		{TypePhone, "+1 (555) 010-0100", true}, {TypePhone, "call me", false},
		{TypeURL, "https://acme.example/x", true}, {TypeURL, "acme.example", false}, {TypeURL, "ftp://acme.example", false},
		{TypeEnumArray, []any{"a", "b"}, true}, {TypeEnumArray, []any{"a", n("1")}, false}, {TypeEnumArray, "a", false},
	} {
		if err := checkValue(c.typ, c.v); (err == nil) != c.ok {
			t.Errorf("checkValue(%s, %#v) = %v, want ok=%v", c.typ, c.v, err, c.ok)
		}
	}
}

func TestValidDomain(t *testing.T) {
	t.Parallel()
	for d, ok := range map[string]bool{
		"acme.example": true, "a-b.co.uk": true, "localhost": false, "-a.example": false,
		"a..example": false, "https://a.example": false, "a_b.example": false,
	} {
		if validDomain(d) != ok {
			t.Errorf("validDomain(%q) = %v", d, !ok)
		}
	}
}
