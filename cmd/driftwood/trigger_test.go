package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/integration"
)

// TestTrigger checks that each trigger causes its event exactly once in the
// org's outbox, through the API of a running Driftwood.
func TestTrigger(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		getenv := func(k string) string { return map[string]string{"DRIFTWOOD_URL": e.URL, "DRIFTWOOD_TOKEN": e.Token}[k] }
		outbox := func(after int64) []events.Event {
			t.Helper()
			evs, err := e.App.DB.OrgEvents(context.Background(), e.OrgID, after, 1000)
			if err != nil {
				t.Fatal(err)
			}
			return evs
		}
		for _, typ := range triggerNames() {
			t.Run(typ, func(t *testing.T) {
				var mark int64
				if evs := outbox(0); len(evs) > 0 {
					mark = evs[len(evs)-1].ID
				}
				var out bytes.Buffer
				if err := run(context.Background(), []string{"trigger", typ}, getenv, &out, io.Discard); err != nil {
					t.Fatalf("trigger %s: %v", typ, err)
				}
				if !strings.HasSuffix(out.String(), typ+" triggered\n") {
					t.Fatalf("output %q", out.String())
				}
				want := events.Type(typ)
				if current, ok := events.Aliases[want]; ok {
					want = current // recorded under its current name
				}
				n := 0
				for _, ev := range outbox(mark) {
					if ev.Type == want {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("%d %s events in the outbox, want 1", n, typ)
				}
			})
		}
	})
}

func TestTrigger_Errors(t *testing.T) {
	t.Parallel()
	getenv := func(k string) string { return map[string]string{"DRIFTWOOD_TOKEN": "t"}[k] }
	err := run(context.Background(), []string{"trigger", "phone_captured"}, getenv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "nothing in this Driftwood causes it yet") {
		t.Fatalf("phone_captured: %v", err)
	}
	if err := run(context.Background(), []string{"trigger", "bogus"}, getenv, io.Discard, io.Discard); !isUsage(err) {
		t.Fatalf("an unknown event: %v", err)
	}
	var help bytes.Buffer
	if err := run(context.Background(), []string{"trigger", "--help"}, getenv, &help, io.Discard); err != nil || !strings.Contains(help.String(), "new_meeting") {
		t.Fatalf("help: %v %q", err, help.String())
	}
	// Every Drift event either has a trigger or is named as having no source.
	for typ := range integration.EventScope {
		if _, ok := triggers[typ]; ok {
			continue
		}
		switch typ {
		case events.ConversationInactive, events.PlaybookGoalMet, events.PhoneCaptured:
		default:
			t.Errorf("%s has a source in Driftwood but no trigger", typ)
		}
	}
}
