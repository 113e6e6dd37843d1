package report

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
)

func TestFacts(t *testing.T) {
	var f Facts
	f.AddMessage("contact", 7, false, "chat", 100)
	f.AddMessage("user", 1, true, "chat", 150) // the bot is no agent
	f.AddMessage("user", 2, false, "private_note", 160)
	f.AddMessage("user", 3, false, "chat", 300)
	f.AddMessage("user", 4, false, "chat", 400)
	f.AddStatus("closed", 500)
	f.AddStatus("open", 600)
	f.AddStatus("closed", 700)
	f.CreatedAt = 90
	want := map[string]float64{"timeToAgentResponseMillis": 200, "firstAgentId": 3, "lastAgentId": 4, "messageCount": 4,
		"agentMessageCount": 2, "botMessageCount": 1, "contactMessageCount": 1, "firstCloseAt": 500, "lastCloseAt": 700, "timeToCloseMillis": 410}
	for name, w := range want {
		if v, ok := Properties[name](&f); !ok || v != w {
			t.Errorf("%s = %v %v, want %v", name, v, ok, w)
		}
	}
	if _, ok := Properties["relatedPlaybookId"](&f); ok {
		t.Error("relatedPlaybookId is known")
	}
}

func TestDates(t *testing.T) {
	day := time.Date(2019, 7, 26, 0, 0, 0, 0, time.UTC)
	f := Filter{Property: "createdAt", Operation: "between", Values: []any{"2019-07-22", "2019-07-26"}}
	if err := f.validate("filters[0]"); err != nil {
		t.Fatal(err)
	}
	if f.nums[1] != float64(day.Add(24*time.Hour-time.Millisecond).UnixMilli()) || f.Operation != OpBetween {
		t.Fatalf("the upper day is not read to its end: %v", f.nums)
	}
	for _, v := range []any{json.Number("NaN"), "Inf", "2019-13-01", true, nil} {
		g := Filter{Property: "createdAt", Operation: "GT", Values: []any{v}}
		if err := g.validate("f"); !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("value %v: %v", v, err)
		}
	}
}

func TestSummarize(t *testing.T) {
	facts := []Facts{{ConversationID: 1, Messages: 2}, {ConversationID: 2, Messages: 5, FirstAgentID: 9}}
	q := Query{Metrics: []string{"messageCount", "firstAgentId", "relatedPlaybookId"}}
	if err := q.Validate(); err != nil {
		t.Fatal(err)
	}
	n, s := Summarize(facts, q)
	if n != 2 || s[0].Sum != 7.0 || s[0].Average != 3.5 || s[0].Min != 2.0 || s[0].Max != 5.0 ||
		s[1].Count != 1 || s[1].Sum != 9.0 || s[2].Count != 0 || s[2].Average != "NaN" {
		t.Fatalf("summary %d %+v", n, s)
	}
}
