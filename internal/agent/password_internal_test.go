package agent

import (
	"strings"
	"testing"
)

// The dummy a sign-in of an unknown email is checked against must cost what
// a real hash costs: the same parameters and lengths as HashPassword's.
func TestDummyHashIsShapedLikeARealOne(t *testing.T) {
	real, dummy := strings.Split(HashPassword("a password"), "$"), strings.Split(dummyHash, "$")
	if len(dummy) != len(real) {
		t.Fatalf("dummy %q has %d parts, a hash %d", dummyHash, len(dummy), len(real))
	}
	for i := range real {
		if i < 4 && dummy[i] != real[i] || len(dummy[i]) != len(real[i]) {
			t.Errorf("part %d: dummy %q, a real hash %q", i, dummy[i], real[i])
		}
	}
	if CheckPassword(dummyHash, "") || CheckPassword(dummyHash, "driftwood: no such account") {
		t.Error("a password matched the dummy hash")
	}
}
