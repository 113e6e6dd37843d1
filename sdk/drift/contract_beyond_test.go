package drift_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/sdk/drift"
)

// beyondListing exercises what real Drift clients call that the seed
// listing lacks or shapes otherwise (issue 16), through the SDK against a
// live Driftwood on both stores.
var beyondListing = map[string]exercise{
	"POST /reports/conversations": {run: func(x *fx) {
		agent := x.newUser("Report Agent")
		conv := x.newConversation("report@example.com", "Hello?")
		_, err := x.c.PostMessage(x.ctx, conv.ID, drift.NewMessage{Type: drift.MessageChat, Body: "Hi", UserID: agent})
		x.ok(err)
		day := time.Now().UTC().Format(time.DateOnly)
		rep, err := x.c.ReportConversations(x.ctx, drift.ReportQuery{
			Filters: []drift.ReportFilter{{Property: "lastAgentId", Operation: "HAS_PROPERTY"},
				{Property: "createdAt", Operation: "BETWEEN", Values: []any{day, day}}},
			Metrics: []string{"timeToAgentResponseMillis", "firstAgentMessageAt", "relatedPlaybookId", "lastAgentId"}})
		x.ok(err)
		x.shape(map[string]string{"count": "number", "data": "array", "data[].conversationId": "number", "data[].metrics": "array"})
		if rep.Count != 1 || len(rep.Data) != 1 || rep.Data[0].ConversationID != conv.ID {
			x.t.Fatalf("report %+v", rep)
		}
		row := rep.Data[0]
		if v, ok := row.Metric(0); !ok || v < 0 {
			x.t.Fatalf("timeToAgentResponseMillis %v", row.Metrics)
		}
		if _, ok := row.Metric(2); ok || row.Metrics[2] != "NaN" {
			x.t.Fatalf("relatedPlaybookId %v", row.Metrics[2])
		}
		if v, _ := row.Metric(3); int64(v) != agent {
			x.t.Fatalf("lastAgentId %v, want %d", row.Metrics[3], agent)
		}
		_, err = x.c.ReportConversations(x.ctx, drift.ReportQuery{Metrics: []string{"happiness"}})
		x.wantErr(err, http.StatusBadRequest, "validation_error")
	}},
	"POST /reports/conversation-summary": {run: func(x *fx) {
		x.newConversation("summary1@example.com", "One")
		x.newConversation("summary2@example.com", "Two")
		sum, err := x.c.SummarizeConversations(x.ctx, drift.ReportQuery{Metrics: []string{"messageCount", "relatedPlaybookId"},
			Filters: []drift.ReportFilter{{Property: "status", Operation: "EQUALS", Values: []any{"OPEN"}}}})
		x.ok(err)
		x.shape(map[string]string{"count": "number", "data[].metric": "string", "data[].count": "number"})
		if sum.Count < 2 || len(sum.Data) != 2 || sum.Data[0].Metric != "messageCount" {
			x.t.Fatalf("summary %+v", sum)
		}
		if avg, ok := sum.Data[0].Number(sum.Data[0].Average); !ok || avg < 1 {
			x.t.Fatalf("average %v", sum.Data[0].Average)
		}
		if _, ok := sum.Data[1].Number(sum.Data[1].Sum); ok || sum.Data[1].Count != 0 {
			x.t.Fatalf("relatedPlaybookId summary %+v", sum.Data[1])
		}
	}},
	"POST /conversations/new (autoAssigneeId)": {run: func(x *fx) {
		agent := x.newUser("Assigned Agent")
		conv, err := x.c.CreateConversation(x.ctx, drift.NewConversation{Email: "assigned@example.com",
			Message: drift.NewConversationMsg{Body: "Hi", Attributes: map[string]any{"autoAssigneeId": agent}}})
		x.ok(err)
		if !slices.Equal(conv.Participants, []int64{agent}) {
			x.t.Fatalf("participants %v, want [%d]", conv.Participants, agent)
		}
	}},
	"GET /contacts (all)": {run: func(x *fx) {
		var made []int64
		for i := range 5 {
			made = append(made, x.newContact(fmt.Sprintf("all%d@example.com", i), nil).ID)
		}
		p, err := x.c.ListContacts(x.ctx, 2, "")
		x.ok(err)
		x.shape(contactShape("data[]."))
		x.shape(map[string]string{"pagination.more": "bool", "pagination.next": "string", "links.next": "string"})
		if len(p.Data) != 2 || p.Data[0].ID != made[4] || !p.Pagination.More {
			x.t.Fatalf("first page %+v", p)
		}
		var seen []int64
		for ct, err := range x.c.Contacts(x.ctx, 2) {
			x.ok(err)
			seen = append(seen, ct.ID)
		}
		for i, id := range made {
			if !slices.Contains(seen, id) || (i > 0 && slices.Index(seen, id) > slices.Index(seen, made[i-1])) {
				x.t.Fatalf("iterated %v, made %v (newest first)", seen, made)
			}
		}
	}},
	"POST /contacts/timeline (contactId 0)": {run: func(x *fx) {
		a := x.newContact("tlzero@example.com", drift.Attributes{"externalId": "tl-zero"})
		var out struct{ Data drift.TimelineEvent }
		x.ok(x.c.Do(x.ctx, http.MethodPost, "/contacts/timeline", map[string]any{"contactId": 0, "externalId": "tl-zero", "event": "visited"}, &out))
		if out.Data.ContactID != a.ID {
			x.t.Fatalf("posted %+v", out.Data)
		}
	}},
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
