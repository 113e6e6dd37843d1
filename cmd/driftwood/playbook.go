package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/driftwood-chat/driftwood/internal/playbook"
)

// runPlaybook serves `driftwood playbook test FILE`: the dry run of a
// playbook definition for a visitor, offline (no database, no server).
func runPlaybook(_ context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "test" {
		if len(args) > 0 && isHelp(args[0]) {
			args = []string{"test", args[0]}
		} else {
			return usagef("usage: driftwood playbook test FILE [--visitor FILE]")
		}
	}
	fs := newFlagSet("playbook test", "playbook test [--visitor VISITOR.json] FILE\n\n"+
		"Prints, as JSON, what the playbook in FILE would do for a visitor: whether it fires\n"+
		"(or which targeting rule fails), the bot's path step by step, goals met and routing.\n"+
		"FILE holds a definition, or {\"definition\": …, \"visitor\": …} (an admin API\n"+
		"playbook works too); --visitor names a file with the visitor context instead.", stderr)
	visitorFile := fs.String("visitor", "", "a JSON file with the visitor context (url, referrer, attributes, country, visitCount, timeOnPage, identified, agentsOnline, answers)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("playbook test takes one FILE, got %d", fs.NArg())
	}
	def, visitor, err := readPlaybookFile(fs.Arg(0))
	if err != nil {
		return err
	}
	if *visitorFile != "" {
		b, err := os.ReadFile(*visitorFile)
		if err != nil {
			return err
		}
		visitor = &playbook.Visitor{}
		if err := decodeStrict(b, visitor); err != nil {
			return fmt.Errorf("%s: %w", *visitorFile, err)
		}
	}
	if visitor == nil {
		visitor = &playbook.Visitor{}
	}
	if err := def.Validate(); err != nil {
		return fmt.Errorf("%s: invalid definition: %w", fs.Arg(0), err)
	}
	out, err := json.MarshalIndent(def.Run(*visitor), "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", out)
	return err
}

// readPlaybookFile reads a bare definition, or an object holding one under
// "definition" (with a "visitor", or an admin API answer under "data").
func readPlaybookFile(name string) (*playbook.Definition, *playbook.Visitor, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, nil, err
	}
	var doc struct {
		Steps      json.RawMessage      `json:"steps"`
		Definition *playbook.Definition `json:"definition"`
		Visitor    *playbook.Visitor    `json:"visitor"`
		Data       *struct {
			Definition *playbook.Definition `json:"definition"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case doc.Steps != nil:
		var d playbook.Definition
		if err := decodeStrict(b, &d); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		return &d, nil, nil
	case doc.Definition != nil:
		return doc.Definition, doc.Visitor, nil
	case doc.Data != nil && doc.Data.Definition != nil:
		return doc.Data.Definition, nil, nil
	}
	return nil, nil, fmt.Errorf("%s: no playbook definition (steps, or a definition object)", name)
}

// decodeStrict decodes JSON refusing unknown fields, so a typo in a
// definition is not silently ignored.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
