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

func TestDocument_AddsDriftwoodPaths(t *testing.T) {
	all := Operations(Document())
	drift := Operations(DriftListing)
	if len(all) <= len(drift) {
		t.Fatalf("Document has %d operations, the listing alone %d", len(all), len(drift))
	}
	for _, op := range all[len(drift):] {
		if len(op.Path) < len("/driftwood/v1/") || op.Path[:len("/driftwood/v1/")] != "/driftwood/v1/" {
			t.Errorf("%s %s is not under /driftwood/v1/", op.Method, op.Path)
		}
	}
}
