package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/playbook"
)

// driftwood playbook test FILE runs offline: the definition file with a
// visitor file, or one file holding both; a bad definition names its field.
func TestCLI_PlaybookTest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	def := "../../internal/playbook/testdata/qualify.json"
	visitor := write("visitor.json", `{"url":"https://acme.example/pricing","answers":["Support"]}`)
	stdout, stderr, err := runCLI(nil, "playbook", "test", "--visitor", visitor, def)
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	var run playbook.DryRun
	if err := json.Unmarshal([]byte(stdout), &run); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if !run.Fires || run.Outcome != "handoff" || len(run.Path) != 3 || run.Path[2].Bot != "Connecting you to support." {
		t.Fatalf("dry run: %s", stdout)
	}

	both := write("both.json", `{"definition":{"targeting":{"countries":["DE"]},"steps":[{"id":"a","kind":"message","text":"Hallo"}]},"visitor":{"url":"https://x.example/"}}`)
	stdout, _, err = runCLI(nil, "playbook", "test", both)
	if err != nil || !strings.Contains(stdout, `"rule": "targeting.countries"`) || !strings.Contains(stdout, "no country source") {
		t.Fatalf("%v: %s", err, stdout)
	}

	bad := write("bad.json", `{"steps":[{"id":"a","kind":"message","text":"hi","next":"b"},{"id":"b","kind":"branch","cases":[{"when":{"attribute":"x","op":"exists"},"next":"a"}]}]}`)
	if _, _, err := runCLI(nil, "playbook", "test", bad); err == nil || !strings.Contains(err.Error(), "steps[1].cases[0].next") {
		t.Fatalf("a loop without an answer: %v", err)
	}
	typo := write("typo.json", `{"steps":[{"id":"a","kind":"message","txt":"hi"}]}`)
	if _, _, err := runCLI(nil, "playbook", "test", typo); err == nil || !strings.Contains(err.Error(), "txt") {
		t.Fatalf("an unknown field: %v", err)
	}
	if _, _, err := runCLI(nil, "playbook", "test"); err == nil {
		t.Fatal("no FILE: no error")
	}
}
