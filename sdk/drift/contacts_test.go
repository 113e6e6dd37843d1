package drift_test

import (
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/sdk/drift"
)

func TestContactTags(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		x := newFx(t, e)
		ct := x.newContact("tags@example.com", nil)
		tags, err := x.c.AddContactTags(x.ctx, ct.ID, drift.Tag{Name: "vip", Color: "#f00"}, drift.Tag{Name: "trial"}, drift.Tag{Name: "beta"})
		x.ok(err)
		if len(tags) != 3 || tags[0] != (drift.Tag{Name: "vip", Color: "#f00"}) {
			t.Fatalf("after add: %+v", tags)
		}
		if tags, err = x.c.RemoveContactTags(x.ctx, ct.ID, "trial"); err != nil || len(tags) != 2 {
			t.Fatalf("after removing one: %+v, %v", tags, err)
		}
		if tags, err = x.c.RemoveContactTags(x.ctx, ct.ID, "vip", "beta"); err != nil || len(tags) != 0 {
			t.Fatalf("after removing the rest: %+v, %v", tags, err)
		}
		tags, err = x.c.ContactTags(x.ctx, ct.ID)
		x.ok(err)
		if len(tags) != 0 {
			t.Fatalf("listed %+v", tags)
		}
	})
}
