package drift_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/sdk/drift"
)

// beyondListing exercises what real Drift clients call that the seed
// listing lacks or shapes otherwise (issue 16), through the SDK against a
// live Driftwood on both stores.
var beyondListing = map[string]exercise{
	"GET /users?userId=": {run: func(x *fx) {
		a, b := x.newUser("Map One"), x.newUser("Map Two")
		us, err := x.c.UsersByID(x.ctx, a, b, a+1_000_000)
		x.ok(err)
		x.shape(prefixed("data."+fmt.Sprint(a)+".", userShape("")))
		if len(us) != 2 || us[a].Name != "Map One" || us[b].ID != b {
			x.t.Fatalf("users by id %+v", us)
		}
	}},
	"GET /users/meetings/org?limit=": {run: func(x *fx) {
		agent := x.newUser("Limit Agent")
		ct := x.newContact("limit@example.com", nil)
		start := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
		for i := range 3 {
			slot := start.Add(time.Duration(i) * time.Minute)
			x.e.Call(x.t, http.MethodPost, "/driftwood/v1/meetings", map[string]any{"agentId": agent, "schedulerId": ct.ID,
				"slotStart": drift.Millis(slot), "slotEnd": drift.Millis(slot.Add(30 * time.Minute)), "eventId": fmt.Sprintf("evt-limit-%d", i)}, http.StatusCreated)
		}
		ms, err := x.c.ListMeetingsLimit(x.ctx, start, start.Add(time.Hour), 2)
		x.ok(err)
		if len(ms) != 2 || ms[0].EventID != "evt-limit-0" {
			x.t.Fatalf("meetings %+v", ms)
		}
	}},
}

func TestContractBeyondListing(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		for name, ex := range beyondListing {
			t.Run(name, func(t *testing.T) { ex.run(newFx(t, e)) })
		}
	})
}
