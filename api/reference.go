package api

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Reference is the description read for people: what /docs shows. It is
// read from the document itself, so the page and the description cannot
// disagree.
type Reference struct {
	Title, Version, Summary, Description string
	Server                               string
	Sections                             []Section
	Schemas                              []Schema
}

// Section is a tag's operations, in the document's order.
type Section struct {
	Tag, Description string
	Endpoints        []Endpoint
}

// Endpoint is one operation.
type Endpoint struct {
	Method, Path, ID     string
	Summary, Description string
	Public               bool     // no token
	Scopes               []string // the token's scope it needs
	Params               []Field
	Bodies               []Content
	Responses            []Response
}

// Field is a parameter or a schema's property.
type Field struct {
	Name, In    string
	Type        Type
	Required    bool
	Description string
}

// Content is a body of a media type.
type Content struct {
	Media string
	Type  Type
}

// Response is an operation's answer for a status ("default": any other,
// which is the errors).
type Response struct {
	Status, Description string
	Contents            []Content
}

// Schema is a named schema of components.
type Schema struct {
	Name, Description string
	Type              Type
	Fields            []Field
}

// Type is a schema written out for reading, in parts so that the names of
// components' schemas can become links.
type Type []TypePart

// TypePart is text, or the name of a components' schema (Ref).
type TypePart struct{ Text, Ref string }

// String is the type as plain text.
func (t Type) String() string {
	var b strings.Builder
	for _, p := range t {
		b.WriteString(p.Text + p.Ref)
	}
	return b.String()
}

// ReadReference reads a document made by Document.
func ReadReference(doc []byte) (*Reference, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil, err
	}
	if len(root.Content) != 1 {
		return nil, fmt.Errorf("not a YAML document")
	}
	d := root.Content[0]
	info := get(d, "info")
	ref := &Reference{Title: value(info, "title"), Version: value(info, "version"),
		Summary: value(info, "summary"), Description: value(info, "description")}
	if servers := get(d, "servers"); servers != nil && len(servers.Content) > 0 {
		ref.Server = value(servers.Content[0], "url")
	}
	r := reader{doc: d}
	sections := map[string]*Section{}
	var order []string
	if tags := get(d, "tags"); tags != nil {
		for _, t := range tags.Content {
			name := value(t, "name")
			sections[name] = &Section{Tag: name, Description: value(t, "description")}
			order = append(order, name)
		}
	}
	paths := get(d, "paths")
	for i := 0; paths != nil && i+1 < len(paths.Content); i += 2 {
		path, item := paths.Content[i].Value, paths.Content[i+1]
		shared := get(item, "parameters")
		for j := 0; j+1 < len(item.Content); j += 2 {
			method := item.Content[j].Value
			if !isMethod(method) {
				continue
			}
			e := r.endpoint(strings.ToUpper(method), path, item.Content[j+1], shared)
			tag := "Other"
			if tags := get(item.Content[j+1], "tags"); tags != nil && len(tags.Content) > 0 {
				tag = tags.Content[0].Value
			}
			s := sections[tag]
			if s == nil {
				s = &Section{Tag: tag}
				sections[tag] = s
				order = append(order, tag)
			}
			s.Endpoints = append(s.Endpoints, e)
		}
	}
	for _, name := range order {
		if s := sections[name]; len(s.Endpoints) > 0 {
			ref.Sections = append(ref.Sections, *s)
		}
	}
	schemas := get(get(d, "components"), "schemas")
	for i := 0; schemas != nil && i+1 < len(schemas.Content); i += 2 {
		s := r.resolve(schemas.Content[i+1])
		ref.Schemas = append(ref.Schemas, Schema{Name: schemas.Content[i].Value,
			Description: value(s, "description"), Type: r.typeOf(s, 0), Fields: r.fields(s)})
	}
	return ref, nil
}

func isMethod(s string) bool {
	switch s {
	case "get", "put", "post", "delete", "options", "head", "patch", "trace":
		return true
	}
	return false
}

type reader struct{ doc *yaml.Node }

func (r reader) endpoint(method, path string, op, shared *yaml.Node) Endpoint {
	e := Endpoint{Method: method, Path: path, ID: value(op, "operationId"),
		Summary: value(op, "summary"), Description: value(op, "description")}
	security := get(op, "security")
	if security == nil {
		security = get(r.doc, "security")
	}
	e.Public = security != nil && len(security.Content) == 0
	if security != nil {
		for _, req := range security.Content {
			for k := 1; k < len(req.Content); k += 2 {
				for _, scope := range req.Content[k].Content {
					e.Scopes = append(e.Scopes, scope.Value)
				}
			}
		}
	}
	var params []*yaml.Node
	if shared != nil {
		params = append(params, shared.Content...)
	}
	if own := get(op, "parameters"); own != nil {
		params = append(params, own.Content...)
	}
	for _, p := range params {
		p = r.resolve(p)
		e.Params = append(e.Params, Field{Name: value(p, "name"), In: value(p, "in"),
			Type: r.typeOf(get(p, "schema"), 0), Required: value(p, "required") == "true",
			Description: value(p, "description")})
	}
	if body := get(op, "requestBody"); body != nil {
		e.Bodies = r.contents(r.resolve(body))
	}
	responses := get(op, "responses")
	for i := 0; responses != nil && i+1 < len(responses.Content); i += 2 {
		resp := r.resolve(responses.Content[i+1])
		e.Responses = append(e.Responses, Response{Status: responses.Content[i].Value,
			Description: value(resp, "description"), Contents: r.contents(resp)})
	}
	return e
}

func (r reader) contents(n *yaml.Node) []Content {
	var out []Content
	content := get(n, "content")
	for i := 0; content != nil && i+1 < len(content.Content); i += 2 {
		out = append(out, Content{Media: content.Content[i].Value, Type: r.typeOf(get(content.Content[i+1], "schema"), 0)})
	}
	return out
}

// resolve follows a local $ref.
func (r reader) resolve(n *yaml.Node) *yaml.Node {
	for range 10 {
		ref := value(n, "$ref")
		if ref == "" {
			return n
		}
		n = r.pointer(ref)
	}
	return n
}

// pointer finds a "#/a/b/c" reference in the document.
func (r reader) pointer(ref string) *yaml.Node {
	n := r.doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		n = get(n, strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~"))
	}
	return n
}

// typeOf writes a schema out: a components' schema by its name, an array
// as "array of", an object as its properties in braces (two levels deep).
func (r reader) typeOf(s *yaml.Node, depth int) Type {
	if s == nil {
		return Type{{Text: "any"}}
	}
	if ref := value(s, "$ref"); ref != "" {
		if name, ok := strings.CutPrefix(ref, "#/components/schemas/"); ok {
			return Type{{Ref: name}}
		}
		return r.typeOf(r.resolve(s), depth)
	}
	for _, combo := range []struct{ key, sep string }{{"allOf", " & "}, {"anyOf", " | "}, {"oneOf", " | "}} {
		if list := get(s, combo.key); list != nil {
			var t Type
			for i, sub := range list.Content {
				if i > 0 {
					t = append(t, TypePart{Text: combo.sep})
				}
				t = append(t, r.typeOf(sub, depth)...)
			}
			return t
		}
	}
	var kinds []string
	nullable := false
	if typ := get(s, "type"); typ != nil {
		if typ.Kind == yaml.SequenceNode {
			for _, k := range typ.Content {
				if k.Value == "null" {
					nullable = true
				} else {
					kinds = append(kinds, k.Value)
				}
			}
		} else {
			kinds = append(kinds, typ.Value)
		}
	}
	var t Type
	switch {
	case len(kinds) == 1 && kinds[0] == "array":
		t = append(Type{{Text: "array of "}}, r.typeOf(get(s, "items"), depth)...)
	case len(kinds) == 1 && kinds[0] == "object" && get(s, "properties") != nil && depth < 2:
		t = Type{{Text: "{"}}
		props := get(s, "properties")
		for i := 0; i+1 < len(props.Content); i += 2 {
			if i > 0 {
				t = append(t, TypePart{Text: ", "})
			}
			t = append(t, TypePart{Text: props.Content[i].Value + ": "})
			t = append(t, r.typeOf(props.Content[i+1], depth+1)...)
		}
		t = append(t, TypePart{Text: "}"})
	case len(kinds) > 0:
		text := strings.Join(kinds, " or ")
		if c := get(s, "const"); c != nil {
			text += " " + fmt.Sprintf("%q", c.Value)
		} else if enum := get(s, "enum"); enum != nil {
			var vs []string
			for _, v := range enum.Content {
				vs = append(vs, v.Value)
			}
			text += " (" + strings.Join(vs, ", ") + ")"
		}
		t = Type{{Text: text}}
	default:
		t = Type{{Text: "any"}}
	}
	if nullable {
		t = append(t, TypePart{Text: " or null"})
	}
	return t
}

// fields lists an object schema's properties (of each part of an allOf).
func (r reader) fields(s *yaml.Node) []Field {
	if list := get(s, "allOf"); list != nil {
		var out []Field
		for _, sub := range list.Content {
			out = append(out, r.fields(r.resolve(sub))...)
		}
		return out
	}
	required := map[string]bool{}
	if req := get(s, "required"); req != nil {
		for _, n := range req.Content {
			required[n.Value] = true
		}
	}
	var out []Field
	props := get(s, "properties")
	for i := 0; props != nil && i+1 < len(props.Content); i += 2 {
		p := props.Content[i+1]
		out = append(out, Field{Name: props.Content[i].Value, Type: r.typeOf(p, 1),
			Required: required[props.Content[i].Value], Description: value(p, "description")})
	}
	return out
}
