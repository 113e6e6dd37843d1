package contact

import (
	"encoding/json"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/events"
)

// Update returns contact_updated with the diff, and no event when nothing
// changed; Unsubscribe always announces itself.
func TestContact_UpdateAndUnsubscribeEvents(t *testing.T) {
	c, err := New(map[string]any{AttrEmail: "ada@example.com"}, 100)
	if err != nil {
		t.Fatal(err)
	}
	c.ID, c.OrgID = 7, 1
	evs, err := c.Update(map[string]any{"plan": "pro"}, 200)
	if err != nil || len(evs) != 1 || evs[0].Type != events.ContactUpdated || evs[0].OrgID != 1 {
		t.Fatalf("update: %+v, %v", evs, err)
	}
	var p UpdatedPayload
	if err := json.Unmarshal(evs[0].Data, &p); err != nil || p.EndUserID != 7 || p.Timestamp != 200 ||
		len(p.Diff) != 1 || p.Diff[0].Name != "attributes.plan" {
		t.Fatalf("contact_updated payload %+v (%v)", p, err)
	}
	if evs, err := c.Update(map[string]any{"plan": "pro"}, 300); err != nil || len(evs) != 0 {
		t.Fatalf("an update that changes nothing: %+v, %v", evs, err)
	}
	for range 2 {
		evs, err := c.Unsubscribe(400)
		if err != nil || len(evs) != 1 || evs[0].Type != events.UserUnsubscribed || c.Attributes[unsubscribedAttr] != true {
			t.Fatalf("unsubscribe: %+v, %v, %v", evs, err, c.Attributes)
		}
	}
}
