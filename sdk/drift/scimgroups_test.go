package drift_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/sdk/drift"
)

// TestSCIMGroups drives SCIM Groups (Drift teams) through the SDK against a
// live Driftwood on both stores.
func TestSCIMGroups(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		x := newFx(t, e)
		ann, err := x.c.CreateSCIMUser(x.ctx, drift.SCIMUser{UserName: "ann.group@example.com", DisplayName: "Ann"})
		x.ok(err)
		bo, err := x.c.CreateSCIMUser(x.ctx, drift.SCIMUser{UserName: "bo.group@example.com", DisplayName: "Bo"})
		x.ok(err)
		g, err := x.c.CreateSCIMGroup(x.ctx, drift.SCIMGroup{DisplayName: "Support", Members: []drift.SCIMMember{{Value: ann.ID}}})
		x.ok(err)
		if g.ID == "" || len(g.Members) != 1 || g.Members[0].Value != ann.ID || g.Members[0].Display != "Ann" || g.Meta.ResourceType != "Group" {
			t.Fatalf("created %+v", g)
		}
		x.ok(x.c.PatchSCIMGroup(x.ctx, g.ID, drift.SCIMPatchOp{Op: "add", Path: "members", Value: []drift.SCIMMember{{Value: bo.ID}}}))
		x.ok(x.c.PatchSCIMGroup(x.ctx, g.ID, drift.SCIMPatchOp{Op: "remove", Path: fmt.Sprintf(`members[value eq "%s"]`, ann.ID)}))
		got, err := x.c.GetSCIMGroup(x.ctx, g.ID)
		x.ok(err)
		if len(got.Members) != 1 || got.Members[0].Value != bo.ID {
			t.Fatalf("after patches %+v", got)
		}
		l, err := x.c.ListSCIMGroups(x.ctx, drift.SCIMListOptions{Filter: `displayName eq "Support"`})
		x.ok(err)
		if l.TotalResults != 1 || l.Resources[0].ID != g.ID {
			t.Fatalf("list %+v", l)
		}
		got, err = x.c.ReplaceSCIMGroup(x.ctx, g.ID, drift.SCIMGroup{DisplayName: "Billing"})
		x.ok(err)
		if got.DisplayName != "Billing" || len(got.Members) != 0 {
			t.Fatalf("replaced %+v", got)
		}
		_, err = x.c.CreateSCIMGroup(x.ctx, drift.SCIMGroup{DisplayName: "Bad", Members: []drift.SCIMMember{{Value: "987654"}}})
		x.wantErr(err, http.StatusBadRequest, "invalidValue")
		x.ok(x.c.DeleteSCIMGroup(x.ctx, g.ID))
		_, err = x.c.GetSCIMGroup(x.ctx, g.ID)
		x.wantErr(err, http.StatusNotFound, "")
	})
}
