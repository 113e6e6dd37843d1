package scim

import (
	"maps"
	"slices"
	"strings"
)

// PatchRequest is a PATCH body (RFC 7644 §3.5.2).
type PatchRequest struct {
	Schemas    []string    `json:"schemas"`
	Operations []Operation `json:"Operations"`
}

// Operation is one PATCH operation. Op is matched in any case, as Microsoft
// Entra sends "Replace".
type Operation struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// Path is a parsed PATCH path: attr, attr.sub, attr[filter] or attr[filter].sub.
type Path struct {
	Attr   Attribute // the schema's attribute, canonical name
	Sub    *Attribute
	Filter Filter // nil without [filter]
	// Ignored is set for an attribute of the User schema or of an extension
	// that Driftwood does not keep: operations on it are accepted and
	// change nothing, as POST and PUT ignore it.
	Ignored bool
}

// unkept are the attributes of RFC 7643's User schema (§4.1) that
// Driftwood does not keep.
var unkept = []string{"nickName", "profileUrl", "title", "userType", "preferredLanguage", "password",
	"ims", "addresses", "entitlements", "x509Certificates"}

// extensionPrefix starts the URN of every schema extension, such as the
// enterprise User (RFC 7643 §4.3), none of which Driftwood keeps.
const extensionPrefix = "urn:ietf:params:scim:schemas:extension:"

// ParsePath parses a PATCH path against the User schema. A path naming an
// attribute Driftwood does not have is 400 invalidPath; a read-only one
// is 400 mutability.
func ParsePath(s string) (Path, error) {
	if len(s) > MaxFilterLen {
		return Path{}, errorf(InvalidPath, "path is longer than %d bytes", MaxFilterLen)
	}
	if len(s) > len(extensionPrefix) && strings.EqualFold(s[:len(extensionPrefix)], extensionPrefix) {
		return Path{Ignored: true}, nil
	}
	head, rest, bracket := strings.Cut(s, "[")
	var filterText, subText string
	if bracket {
		end := strings.LastIndexByte(rest, ']')
		if end < 0 {
			return Path{}, errorf(InvalidPath, "path %q has [ without ]", s)
		}
		filterText, subText = rest[:end], rest[end+1:]
		if subText != "" && !strings.HasPrefix(subText, ".") {
			return Path{}, errorf(InvalidPath, "path %q: expected .subAttribute after ]", s)
		}
		subText = strings.TrimPrefix(subText, ".")
	}
	ap, err := splitPath(strings.TrimSpace(head))
	if err != nil || (bracket && ap.Sub != "") {
		return Path{}, errorf(InvalidPath, "path %q is not a valid attribute path", s)
	}
	if bracket {
		ap.Sub = subText
	}
	if slices.ContainsFunc(unkept, func(n string) bool { return strings.EqualFold(n, ap.Attr) }) &&
		(strings.HasPrefix(strings.ToLower(s), strings.ToLower(ap.Attr)) || hasUserURN(s)) {
		return Path{Ignored: true}, nil
	}
	a, ok := lookup(userAttributes, ap.Attr)
	if !ok || !strings.HasPrefix(strings.ToLower(s), strings.ToLower(ap.Attr)) && !hasUserURN(s) {
		return Path{}, errorf(InvalidPath, "path %q names no attribute of %s", s, UserSchema)
	}
	if a.Mutability == "readOnly" {
		return Path{}, errorf(Mutability, "%s is read-only", a.Name)
	}
	p := Path{Attr: a}
	if ap.Sub != "" {
		sub, ok := lookup(a.SubAttributes, ap.Sub)
		if !ok {
			return Path{}, errorf(InvalidPath, "path %q: %s has no sub-attribute %q", s, a.Name, ap.Sub)
		}
		p.Sub = &sub
	}
	if bracket {
		if !a.MultiValued {
			return Path{}, errorf(InvalidPath, "path %q filters %s, which is not multi-valued", s, a.Name)
		}
		if p.Filter, err = ParseFilter(filterText); err != nil {
			return Path{}, errorf(InvalidPath, "path %q: %v", s, err)
		}
	}
	return p, nil
}

// hasUserURN reports whether a path is qualified with the User schema's URN
// (either spelling), the only schema whose attributes Driftwood keeps.
func hasUserURN(s string) bool {
	i := strings.LastIndexByte(s, ':')
	return i >= 0 && isUserSchema(s[:i])
}

// Patch applies the operations to res, the user as generic JSON.
func (req *PatchRequest) Patch(res map[string]any) error {
	if len(req.Operations) == 0 {
		return errorf(InvalidSyntax, "Operations must hold at least one operation")
	}
	for _, op := range req.Operations {
		if err := op.apply(res); err != nil {
			return err
		}
	}
	return nil
}

func (op Operation) apply(res map[string]any) error {
	kind := strings.ToLower(op.Op)
	if kind != "add" && kind != "replace" && kind != "remove" {
		return errorf(InvalidSyntax, "op %q is not add, replace or remove", op.Op)
	}
	if op.Path == "" {
		if kind == "remove" {
			return errorf(NoTarget, "remove needs a path")
		}
		obj, ok := op.Value.(map[string]any)
		if !ok {
			return errorf(InvalidValue, "%s without a path needs an object value", kind)
		}
		// Each key is a path of its own (Entra sends "name.givenName" keys).
		for k, v := range obj {
			if a, _ := splitPath(k); isServerOwned(a.Attr) {
				continue // clients echo id, schemas and meta back; they cannot change them
			}
			if err := (Operation{Op: kind, Path: k, Value: v}).apply(res); err != nil {
				return err
			}
		}
		return nil
	}
	p, err := ParsePath(op.Path)
	if err != nil || p.Ignored {
		return err
	}
	if kind != "remove" {
		if op.Value, err = coerce(p, op.Value); err != nil {
			return err
		}
	}
	name := p.Attr.Name
	switch {
	case p.Filter != nil:
		return patchMatching(res, kind, p, op.Value)
	case p.Sub != nil && p.Attr.MultiValued:
		list := asList(res[name])
		if len(list) == 0 && kind != "remove" {
			list = []any{map[string]any{"primary": true}}
		}
		for _, v := range list {
			if m, ok := v.(map[string]any); ok {
				setOrDelete(m, kind, p.Sub.Name, op.Value)
			}
		}
		res[name] = list
	case p.Sub != nil:
		m, _ := res[name].(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		setOrDelete(m, kind, p.Sub.Name, op.Value)
		res[name] = m
	case kind == "add" && p.Attr.MultiValued:
		res[name] = appendValues(asList(res[name]), asValues(op.Value))
	case kind != "remove" && p.Attr.Type == "complex" && !p.Attr.MultiValued:
		// Sub-attributes not given are left unchanged (RFC 7644 §3.5.2.3).
		m, _ := res[name].(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		patch, ok := op.Value.(map[string]any)
		if !ok {
			return errorf(InvalidValue, "%s needs an object value", name)
		}
		maps.Copy(m, patch)
		res[name] = m
	case kind != "remove" && p.Attr.MultiValued:
		res[name] = asValues(op.Value)
	default:
		setOrDelete(res, kind, name, op.Value)
	}
	return nil
}

// patchMatching applies an operation to the values of a multi-valued
// attribute that match the path's filter. add and replace with no match
// add a value built from the filter's equality tests, as Entra expects
// (replace emails[type eq "work"].value on a user without a work email).
func patchMatching(res map[string]any, kind string, p Path, value any) error {
	name := p.Attr.Name
	kept := []any{} // all removed is an empty list, not "never written"
	matched := false
	for _, v := range asList(res[name]) {
		m, ok := v.(map[string]any)
		if !ok || !p.Filter.Match(m) {
			kept = append(kept, v)
			continue
		}
		matched = true
		switch {
		case kind == "remove" && p.Sub == nil:
			continue // drop the value
		case p.Sub != nil:
			setOrDelete(m, kind, p.Sub.Name, value)
		default:
			obj, ok := value.(map[string]any)
			if !ok {
				return errorf(InvalidValue, "%s needs an object value", p.Attr.Name)
			}
			maps.Copy(m, obj)
		}
		kept = append(kept, m)
	}
	if !matched && kind != "remove" {
		m := equalities(p.Filter)
		if p.Sub != nil {
			m[p.Sub.Name] = value
		} else if obj, ok := value.(map[string]any); ok {
			maps.Copy(m, obj)
		} else {
			return errorf(InvalidValue, "%s needs an object value", p.Attr.Name)
		}
		kept = append(kept, m)
	}
	res[name] = kept
	return nil
}

// equalities collects the attr eq value tests of an and-only filter.
func equalities(f Filter) map[string]any {
	m := map[string]any{}
	var walk func(Filter)
	walk = func(f Filter) {
		switch f := f.(type) {
		case logical:
			if f.and {
				walk(f.left)
				walk(f.right)
			}
		case comparison:
			if f.op == "eq" && f.path.Sub == "" {
				m[f.path.Attr] = f.value
			}
		}
	}
	walk(f)
	return m
}

func setOrDelete(m map[string]any, kind, key string, value any) {
	if kind == "remove" || value == nil {
		delete(m, key)
		return
	}
	m[key] = value
}

// asValues turns a PATCH value for a multi-valued attribute into its list
// of values; a bare string is taken as one value's "value".
func asValues(v any) []any {
	list := asList(v)
	for i, x := range list {
		if _, ok := x.(map[string]any); !ok {
			list[i] = map[string]any{"value": x}
		}
	}
	return list
}

// appendValues adds values to a multi-valued attribute. A new primary
// value takes the mark from the old ones (RFC 7643 §2.4).
func appendValues(old, added []any) []any {
	for _, v := range added {
		if m, _ := v.(map[string]any); m["primary"] == true {
			for _, o := range old {
				if om, ok := o.(map[string]any); ok {
					delete(om, "primary")
				}
			}
		}
	}
	return append(old, added...)
}

// coerce checks a PATCH value against the attribute's type, accepting the
// strings "True" and "False" for booleans as Entra sends them.
func coerce(p Path, v any) (any, error) {
	a := p.Attr
	if p.Sub != nil {
		a = *p.Sub
	}
	if a.Type == "boolean" {
		if s, ok := v.(string); ok {
			switch strings.ToLower(s) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
		if _, ok := v.(bool); !ok {
			return nil, errorf(InvalidValue, "%s must be a boolean", a.Name)
		}
	}
	if a.Type == "complex" && !a.MultiValued && p.Sub == nil {
		if m, ok := v.(map[string]any); ok {
			return coerceObject(a, m)
		}
	}
	return v, nil
}

// coerceObject checks the sub-attributes of a complex value.
func coerceObject(a Attribute, m map[string]any) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range m {
		sub, ok := lookup(a.SubAttributes, k)
		if !ok {
			return nil, errorf(InvalidValue, "%s has no sub-attribute %q", a.Name, k)
		}
		out[sub.Name] = v
	}
	return out, nil
}

func isServerOwned(attr string) bool {
	return strings.EqualFold(attr, "id") || strings.EqualFold(attr, "meta") || strings.EqualFold(attr, "schemas")
}

// PatchUser applies req to the user r and writes the result back onto it.
// The user is patched as stored, without the name parts Resource derives
// for display, so that only what was sent changes.
func PatchUser(req *PatchRequest, r *Record) error {
	res := render(r, "", false).Generic()
	if err := req.Patch(res); err != nil {
		return err
	}
	if _, ok := res["emails"]; !ok {
		res["emails"] = []any{} // removed: no email, not the userName standing in
	}
	u, err := DecodeUser(res)
	if err != nil {
		return err
	}
	u.Schemas = nil // the resource's own schemas, not the request's
	return u.Apply(r)
}
