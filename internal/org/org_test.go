package org

import "testing"

func TestEmbedID(t *testing.T) {
	for _, id := range []int64{1, 42, 1 << 40} {
		e := EmbedID(id)
		if got, ok := ParseEmbedID(e); len(e) != 12 || !ok || got != id {
			t.Errorf("EmbedID(%d) = %q, parsed back %d %v", id, e, got, ok)
		}
	}
	for _, bad := range []string{"", "000000000000", "00000000001", "00000000000G", "00000000000A", "-00000000001"} {
		if id, ok := ParseEmbedID(bad); ok {
			t.Errorf("ParseEmbedID(%q) = %d", bad, id)
		}
	}
}
