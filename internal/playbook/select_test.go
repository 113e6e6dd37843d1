package playbook_test

import (
	"testing"

	"github.com/driftwood-chat/driftwood/internal/playbook"
)

func TestSelect_Priority(t *testing.T) {
	pb := func(id int64, priority int, urlContains string, enabled bool) *playbook.Playbook {
		d := &playbook.Definition{Priority: priority, Steps: []playbook.Step{{ID: "a", Kind: playbook.KindEnd}}}
		if urlContains != "" {
			d.Targeting.URLs = []playbook.URLRule{{Match: "contains", Value: urlContains}}
		}
		return &playbook.Playbook{ID: id, Enabled: enabled, Definition: d}
	}
	ps := []*playbook.Playbook{pb(1, 0, "", true), pb(2, 5, "/pricing", true), pb(3, 5, "/pricing", true),
		pb(4, 9, "/pricing", false), pb(5, 1, "/blog", true), {ID: 6, Enabled: true}}
	for url, want := range map[string]int64{"https://a.example/pricing": 2, "https://a.example/blog/x": 5, "https://a.example/": 1} {
		if got := playbook.Select(ps, playbook.Visitor{URL: url}); got == nil || got.ID != want {
			t.Errorf("%s: %v, want playbook %d", url, got, want)
		}
	}
	if got := playbook.Select(ps[1:2], playbook.Visitor{URL: "https://a.example/"}); got != nil {
		t.Errorf("fired %d off target", got.ID)
	}
}
