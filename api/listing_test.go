package api

import "testing"

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
