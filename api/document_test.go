package api

import (
	"os"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

// The description loads in a real OpenAPI parser and is valid OpenAPI 3.1
// against the specification's own schema, with every $ref resolved.
func TestDocument_ValidOpenAPI31(t *testing.T) {
	doc, err := Document("https://driftwood.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if path := os.Getenv("DRIFTWOOD_WRITE_OPENAPI"); path != "" {
		os.WriteFile(path, doc, 0o644)
	}
	parsed, err := libopenapi.NewDocument(doc)
	if err != nil {
		t.Fatal(err)
	}
	if v := parsed.GetVersion(); v != "3.1.0" {
		t.Fatalf("version %q, want 3.1.0", v)
	}
	model, err := parsed.BuildV3Model()
	if err != nil {
		t.Fatalf("building the model: %v", err)
	}
	if n := model.Index.GetReferenceIndexErrors(); len(n) > 0 {
		t.Fatalf("unresolved references: %v", n)
	}
	if s := model.Model.Servers; len(s) != 1 || s[0].URL != "https://driftwood.example.com" {
		t.Fatalf("servers %v, want the public URL alone", s)
	}
	v, errs := validator.NewValidator(parsed)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("%s: %s", e.Message, e.Reason)
			for _, s := range e.SchemaValidationErrors {
				t.Errorf("  at %s: %s", s.FieldPath, s.Reason)
			}
		}
	}
}

// Every operation has a summary, a tag the document declares, an
// operationId, a security requirement and a response for errors, so that
// /docs and generated clients have what they need.
func TestDocument_EveryOperationComplete(t *testing.T) {
	doc, err := Document("http://localhost:7777")
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := libopenapi.NewDocument(doc)
	if err != nil {
		t.Fatal(err)
	}
	model, err := parsed.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]bool{}
	for _, tag := range model.Model.Tags {
		tags[tag.Name] = true
	}
	ids := map[string]string{}
	n := 0
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			n++
			name := strings.ToUpper(method) + " " + path
			if op.Summary == "" || op.OperationId == "" {
				t.Errorf("%s: no summary or operationId", name)
			}
			if prev, dup := ids[op.OperationId]; dup {
				t.Errorf("%s: operationId %s is also %s's", name, op.OperationId, prev)
			}
			ids[op.OperationId] = name
			if len(op.Tags) != 1 || !tags[op.Tags[0]] {
				t.Errorf("%s: tags %v, want one declared tag", name, op.Tags)
			}
			if op.Security == nil {
				t.Errorf("%s: no security requirement (use [] for none)", name)
			}
			if op.Responses == nil || op.Responses.Default == nil {
				t.Errorf("%s: no default (error) response", name)
			}
		}
	}
	if n < 100 {
		t.Errorf("only %d operations", n)
	}
}

// An area that describes a path twice is refused, not silently merged.
func TestMerge_RefusesDuplicates(t *testing.T) {
	root, err := readYAML("openapi/base.yaml")
	if err != nil {
		t.Fatal(err)
	}
	area, err := readYAML("openapi/areas/10-system.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := merge(root.Content[0], area.Content[0]); err != nil {
		t.Fatal(err)
	}
	err = merge(root.Content[0], area.Content[0])
	if err == nil || !strings.Contains(err.Error(), "described twice") {
		t.Fatalf("merging twice: %v", err)
	}
}
