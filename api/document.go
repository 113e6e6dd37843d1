package api

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The description is split by area so that a new area is a new file:
// openapi/base.yaml holds what every area shares (info, security, the
// error shapes), and each openapi/areas/*.yaml holds an area's tags, paths
// and components, as an OpenAPI document would. Files are read in name
// order, which is the order of the tags in /docs.
//
//go:embed openapi/base.yaml openapi/areas/*.yaml
var description embed.FS

// Document returns /openapi.yaml for a server that clients reach at
// publicURL: the base with every area's tags, paths and components merged
// in, and publicURL as its only server.
func Document(publicURL string) ([]byte, error) {
	root, err := readYAML("openapi/base.yaml")
	if err != nil {
		return nil, err
	}
	doc := root.Content[0]
	setKey(doc, "servers", serversNode(publicURL), "info")
	files, err := fs.Glob(description, "openapi/areas/*.yaml")
	if err != nil {
		return nil, err
	}
	for _, name := range files {
		area, err := readYAML(name)
		if err != nil {
			return nil, err
		}
		if err := merge(doc, area.Content[0]); err != nil {
			return nil, fmt.Errorf("%s: %w", path.Base(name), err)
		}
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return out.Bytes(), enc.Close()
}

func readYAML(name string) (*yaml.Node, error) {
	b, err := description.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		return nil, fmt.Errorf("%s: %w", path.Base(name), err)
	}
	if n.Kind != yaml.DocumentNode || len(n.Content) != 1 || n.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a YAML mapping", path.Base(name))
	}
	return &n, nil
}

// merge adds an area's tags, paths and components to doc. A path or
// component described twice is an error, not a silent override.
func merge(doc, area *yaml.Node) error {
	var aliases *yaml.Node
	for i := 0; i < len(area.Content); i += 2 {
		key, val := area.Content[i].Value, area.Content[i+1]
		switch key {
		case "tags":
			tags := ensure(doc, "tags", yaml.SequenceNode)
			tags.Content = append(tags.Content, val.Content...)
		case "paths":
			if err := addEntries(ensure(doc, "paths", yaml.MappingNode), val, "path"); err != nil {
				return err
			}
		case "components":
			comps := ensure(doc, "components", yaml.MappingNode)
			for j := 0; j < len(val.Content); j += 2 {
				section := ensure(comps, val.Content[j].Value, yaml.MappingNode)
				if err := addEntries(section, val.Content[j+1], val.Content[j].Value); err != nil {
					return err
				}
			}
		case "x-also-served-under":
			aliases = val // once the area's paths are in
		default:
			return fmt.Errorf("top-level key %q: an area holds only tags, paths, components and x-also-served-under", key)
		}
	}
	if aliases != nil {
		return addAliases(ensure(doc, "paths", yaml.MappingNode), aliases)
	}
	return nil
}

// addEntries appends the entries of mapping from to mapping to.
func addEntries(to, from *yaml.Node, what string) error {
	for i := 0; i < len(from.Content); i += 2 {
		if get(to, from.Content[i].Value) != nil {
			return fmt.Errorf("%s %s is described twice", what, from.Content[i].Value)
		}
		to.Content = append(to.Content, from.Content[i], from.Content[i+1])
	}
	return nil
}

// addAliases describes again, under another prefix, the paths that the
// server also serves there (SCIM at /scim and /scim/v2): each entry names a
// prefix, its alias and a suffix that keeps the copies' operationIds unique.
func addAliases(paths, aliases *yaml.Node) error {
	for _, a := range aliases.Content {
		prefix, alias, suffix := value(a, "prefix"), value(a, "alias"), value(a, "operationIdSuffix")
		if prefix == "" || alias == "" || suffix == "" {
			return fmt.Errorf("x-also-served-under needs prefix, alias and operationIdSuffix")
		}
		var copies []*yaml.Node
		for i := 0; i < len(paths.Content); i += 2 {
			rest, ok := strings.CutPrefix(paths.Content[i].Value, prefix)
			if !ok || !strings.HasPrefix(rest, "/") {
				continue
			}
			item := deepCopy(paths.Content[i+1])
			for j := 0; j < len(item.Content); j += 2 {
				if id := get(item.Content[j+1], "operationId"); id != nil {
					id.Value += suffix
				}
			}
			copies = append(copies, scalar(alias+rest), item)
		}
		if err := addEntries(paths, &yaml.Node{Kind: yaml.MappingNode, Content: copies}, "path"); err != nil {
			return err
		}
	}
	return nil
}

func serversNode(publicURL string) *yaml.Node {
	server := &yaml.Node{Kind: yaml.MappingNode}
	server.Content = append(server.Content, scalar("url"), scalar(publicURL),
		scalar("description"), scalar("This Driftwood server"))
	return &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{server}}
}

// get returns the value of key in mapping m, or nil.
func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// value returns the scalar value of key in mapping m, or "".
func value(m *yaml.Node, key string) string {
	if v := get(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// ensure returns the value of key in m, adding an empty node of kind.
func ensure(m *yaml.Node, key string, kind yaml.Kind) *yaml.Node {
	if v := get(m, key); v != nil {
		return v
	}
	v := &yaml.Node{Kind: kind}
	m.Content = append(m.Content, scalar(key), v)
	return v
}

// setKey sets key in m to v, placing a new key after the key after.
func setKey(m *yaml.Node, key string, v *yaml.Node, after string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	at := len(m.Content)
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == after {
			at = i + 2
		}
	}
	m.Content = slices.Insert(m.Content, at, scalar(key), v)
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func deepCopy(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, child := range n.Content {
		c.Content[i] = deepCopy(child)
	}
	return &c
}
