package playbook

import (
	"fmt"
	"testing"
)

func says(acts []Action) []string {
	var out []string
	for _, a := range acts {
		if a.Say != nil {
			out = append(out, a.Say.Text)
		}
	}
	return out
}

// The runtime moves one answer (or one timer) at a time, each step once:
// it waits at questions and captures, retries invalid answers without
// saying the question again, sleeps through delays until they are due,
// and stops for good when an agent takes over.
func TestRun_AnswersDelaysAndTakeover(t *testing.T) {
	p := &Playbook{ID: 7, Version: 3, Definition: &Definition{Steps: []Step{
		{ID: "ask", Kind: KindEmailCapture, Text: "Email?", Next: "wait"},
		{ID: "wait", Kind: KindDelay, Seconds: 60, Next: "later"},
		{ID: "later", Kind: KindMessage, Text: "Still there, {{email}}?", Next: "q"},
		{ID: "q", Kind: KindQuestion, Text: "Pick", Buttons: []Button{{Label: "A"}, {Label: "B", Next: "done"}}, Next: "route"},
		{ID: "route", Kind: KindRoute, Route: &Route{To: "team", TeamID: 4}},
		{ID: "done", Kind: KindEnd},
	}}}
	if err := p.Definition.Validate(); err != nil {
		t.Fatal(err)
	}
	r, acts := Start(p, Visitor{}, 1000)
	if r.Status != RunWaiting || r.Step != "ask" || r.Version != 3 || fmt.Sprint(says(acts)) != "[Email?]" {
		t.Fatalf("start: %+v %v", r, says(acts))
	}
	acts = r.Answer(p.Definition, Visitor{}, "nope", 2000)
	if r.Step != "ask" || fmt.Sprint(says(acts)) != "["+defaultEmailRetry+"]" {
		t.Fatalf("invalid email: %+v %v", r, says(acts))
	}
	acts = r.Answer(p.Definition, Visitor{}, "Ann@X.example", 3000)
	if r.Status != RunDelayed || r.Step != "later" || r.WakeAt != 3000+60_000 || len(acts) != 1 || acts[0].Captured != "email" || acts[0].Value != "ann@x.example" {
		t.Fatalf("valid email: %+v %+v", r, acts)
	}
	if acts := r.Answer(p.Definition, Visitor{}, "hello?", 4000); acts != nil || r.Status != RunDelayed {
		t.Fatalf("an answer during a delay moved the run: %+v %v", r, acts)
	}
	if acts := r.Wake(p.Definition, Visitor{}, 5000); acts != nil {
		t.Fatalf("woke early: %v", acts)
	}
	acts = r.Wake(p.Definition, Visitor{Attributes: map[string]string{"email": "ann@x.example"}}, 63_000)
	if r.Status != RunWaiting || r.Step != "q" || fmt.Sprint(says(acts)) != "[Still there, ann@x.example? Pick]" || len(acts[1].Say.Buttons) != 2 {
		t.Fatalf("after the delay: %+v %v", r, says(acts))
	}
	if acts := r.Wake(p.Definition, Visitor{}, 70_000); acts != nil {
		t.Fatalf("a second wake ran steps again: %v", acts)
	}
	acts = r.Answer(p.Definition, Visitor{}, "a", 71_000)
	if r.Status != RunDone || len(acts) != 1 || acts[0].Route == nil || acts[0].Route.TeamID != 4 || r.Answers["q"] != "A" {
		t.Fatalf("the button and the route: %+v %+v", r, acts)
	}
	if r.Stop() {
		t.Fatal("a finished run stopped again")
	}

	r, _ = Start(p, Visitor{}, 0)
	if !r.Stop() || r.Status != RunStopped || r.Answer(p.Definition, Visitor{}, "a@b.example", 1) != nil {
		t.Fatalf("after a takeover: %+v", r)
	}
}
