package apitest

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/events"
)

// NoToken as a Scenario's Token sends no Authorization header.
const NoToken = "-"

// Scenario is one request to the API and everything its answer must be, in
// the spirit of pocketbase's ApiScenario: the status, the error type,
// fragments of the body, and the events the request appended to the
// outbox, with no other event in any org of the env. Run it alone (Run), or
// a table of them in order (RunScenarios).
type Scenario struct {
	Name         string // the subtest's name in RunScenarios; "METHOD PATH" when ""
	Method       string
	Path         string
	Token        string // "" is the env's admin token; NoToken sends none
	Body         any    // as Request.Body
	Header       map[string]string
	KeepRedirect bool // answer a redirect as it is instead of following it

	Status int // the status the answer must have; 0 is 200
	// Error is the type the answer's Drift error body must have, with a
	// message (and, for validation_error, one errors[] item naming its
	// param); "" checks no error body.
	Error       string
	ContentType string   // the media type the answer must have, if set
	Contains    []string // fragments the body must contain
	NotContains []string // fragments the body must not contain
	// Events are the types of the events the request must append to the
	// outbox of EventsOrg (the env's org when 0), in order. Every other org
	// of the env (its own and those of NewOrg) must get none: nil expects
	// no event anywhere.
	Events    []events.Type
	EventsOrg int64
	// Check makes further assertions on the answer, if set.
	Check func(t testing.TB, r *Result)
}

// Result is a scenario's answer and the events its request appended.
type Result struct {
	*Response
	Events []events.Event // those of the scenario's EventsOrg, in order
}

// RunScenarios runs each scenario as a subtest of t, in order: one's writes
// may be the next one's setup.
func RunScenarios(t *testing.T, e *Env, scenarios []Scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name(), func(t *testing.T) { sc.Run(t, e) })
	}
}

func (sc Scenario) name() string {
	if sc.Name != "" {
		return sc.Name
	}
	return sc.Method + " " + sc.Path
}

// Run sends the scenario's request to e, fails t unless the answer and the
// outbox are as the scenario says, and returns the answer.
func (sc Scenario) Run(t testing.TB, e *Env) *Result {
	t.Helper()
	eventsOrg := sc.EventsOrg
	if eventsOrg == 0 {
		eventsOrg = e.OrgID
	}
	orgs := e.orgs()
	if !slices.Contains(orgs, eventsOrg) {
		orgs = append(orgs, eventsOrg)
	}
	marks := map[int64]int64{}
	for _, o := range orgs {
		marks[o] = e.LastEventID(t, o)
	}

	req := Request{Method: sc.Method, Path: sc.Path, Token: sc.Token, Body: sc.Body, Header: sc.Header, KeepRedirect: sc.KeepRedirect}
	switch sc.Token {
	case "":
		req.Token = e.Token
	case NoToken:
		req.Token = ""
	}
	r := e.Do(t, req)
	desc := sc.name()
	status := sc.Status
	if status == 0 {
		status = 200
	}
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d: %.2000s", desc, r.Status, status, r.Body)
	}
	if sc.Error != "" {
		WantError(t, r, status, sc.Error)
		if sc.Error == "validation_error" {
			errs, _ := r.Object(t)["errors"].([]any)
			if len(errs) != 1 {
				t.Fatalf("%s: validation error without one errors[] item: %s", desc, r.Body)
			}
			if item, _ := errs[0].(map[string]any); item["param"] == nil || item["param"] == "" {
				t.Fatalf("%s: validation error without a param: %s", desc, r.Body)
			}
		}
	}
	if ct := r.Header.Get("Content-Type"); sc.ContentType != "" && !strings.HasPrefix(ct, sc.ContentType) {
		t.Fatalf("%s: Content-Type %q, want %s", desc, ct, sc.ContentType)
	}
	for _, s := range sc.Contains {
		if !strings.Contains(string(r.Body), s) {
			t.Fatalf("%s: the answer lacks %q: %.2000s", desc, s, r.Body)
		}
	}
	for _, s := range sc.NotContains {
		if strings.Contains(string(r.Body), s) {
			t.Fatalf("%s: the answer contains %q: %.2000s", desc, s, r.Body)
		}
	}

	res := &Result{Response: r}
	for _, o := range orgs {
		evs := e.Outbox(t, o, marks[o])
		if o == eventsOrg {
			res.Events = evs
			if got := EventTypes(evs); !slices.Equal(got, sc.Events) {
				t.Fatalf("%s: events %v in org %d, want %v", desc, got, o, sc.Events)
			}
		} else if len(evs) > 0 {
			t.Fatalf("%s: events %v in org %d, want none there", desc, EventTypes(evs), o)
		}
	}
	if sc.Check != nil {
		sc.Check(t, res)
	}
	return res
}

// EventTypes lists the types of evs, in order.
func EventTypes(evs []events.Event) []events.Type {
	var out []events.Type
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

// Outbox returns the events of org after the event afterID (0: all), in
// order, settled or not.
func (e *Env) Outbox(t testing.TB, orgID, afterID int64) []events.Event {
	t.Helper()
	var out []events.Event
	for {
		evs, err := e.App.DB.OrgEvents(context.Background(), orgID, afterID, 1000)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, evs...)
		if len(evs) < 1000 {
			break
		}
		afterID = evs[len(evs)-1].ID
	}
	e.seen.mu.Lock()
	defer e.seen.mu.Unlock()
	if len(out) > 0 && out[len(out)-1].ID > e.seen.lastEvent[orgID] {
		e.seen.lastEvent[orgID] = out[len(out)-1].ID
	}
	return out
}

// LastEventID returns the id of orgID's newest event (0 when there is
// none), reading on from the newest one seen before.
func (e *Env) LastEventID(t testing.TB, orgID int64) int64 {
	t.Helper()
	e.seen.mu.Lock()
	seen := e.seen.lastEvent[orgID]
	e.seen.mu.Unlock()
	if evs := e.Outbox(t, orgID, seen); len(evs) > 0 {
		return evs[len(evs)-1].ID
	}
	return seen
}

// orgs lists the env's org and those NewOrg made.
func (e *Env) orgs() []int64 {
	e.seen.mu.Lock()
	defer e.seen.mu.Unlock()
	return append([]int64{e.OrgID}, e.seen.otherOrgs...)
}
