package firetest_test

import "testing"

// skipIfShort skips a suite that takes minutes: go test -short ./... is the
// inner loop, and the full run (and CI) runs these suites.
func skipIfShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("a long suite under fire: runs without -short")
	}
}
