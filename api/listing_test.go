package api

import (
	"strings"
	"testing"
)

func TestOperations_SeedListing(t *testing.T) {
	ops := Operations(DriftListing)
	// The seed listing has 33 paths and 41 operations (drift-reference.md).
	paths := map[string]bool{}
	for _, op := range ops {
		paths[op.Path] = true
	}
	if len(paths) != 33 || len(ops) != 41 {
		t.Fatalf("read %d paths and %d operations, want 33 and 41", len(paths), len(ops))
	}
}

func TestDocument_AddsDriftwoodPaths(t *testing.T) {
	all := Operations(Document())
	drift := Operations(DriftListing)
	if len(all) <= len(drift) {
		t.Fatalf("Document has %d operations, the listing alone %d", len(all), len(drift))
	}
	for _, op := range all[len(drift):] {
		if !strings.HasPrefix(op.Path, "/driftwood/v1/") && !strings.HasPrefix(op.Path, "/oauth2/") && op.Path != "/authorize" {
			t.Errorf("%s %s is neither Driftwood's own API nor OAuth", op.Method, op.Path)
		}
	}
}
