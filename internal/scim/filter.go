package scim

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Filter is a parsed SCIM filter expression (RFC 7644 §3.4.2.2).
type Filter interface {
	// Match reports whether the resource, as generic JSON, matches.
	Match(res map[string]any) bool
}

// AttrPath names an attribute and optionally one of its sub-attributes,
// with any schema URN prefix removed.
type AttrPath struct {
	Attr, Sub string
}

func (p AttrPath) String() string {
	if p.Sub == "" {
		return p.Attr
	}
	return p.Attr + "." + p.Sub
}

type (
	logical struct {
		and         bool
		left, right Filter
	}
	not        struct{ f Filter }
	comparison struct {
		path  AttrPath
		op    string // eq ne co sw ew gt ge lt le pr
		value any    // string, bool, float64 or nil
	}
	// valuePath is attr[filter]: some value of a multi-valued attribute matches.
	valuePath struct {
		attr string
		f    Filter
	}
)

// ParseFilter parses a filter. Driftwood is lenient where identity
// providers are loose: operators and attribute names in any case, and an
// unquoted value read up to the next space or parenthesis (Okta's 2017 test
// sends userName eq a@b.c). Malformed or too long filters are 400
// invalidFilter.
func ParseFilter(s string) (Filter, error) {
	if len(s) > MaxFilterLen {
		return nil, errorf(InvalidFilter, "filter is longer than %d bytes", MaxFilterLen)
	}
	p := &parser{s: s}
	f, err := p.or()
	if err == nil && p.skipSpace() < len(p.s) {
		err = p.errorf("unexpected %q", p.s[p.pos:])
	}
	if err != nil {
		return nil, errorf(InvalidFilter, "invalid filter %q: %v", s, err)
	}
	return f, nil
}

type parser struct {
	s   string
	pos int
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("at byte %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *parser) skipSpace() int {
	for p.pos < len(p.s) && p.s[p.pos] == ' ' {
		p.pos++
	}
	return p.pos
}

// word reads a run of characters up to a space, parenthesis, bracket or quote.
func (p *parser) word() string {
	start := p.skipSpace()
	for p.pos < len(p.s) && !strings.ContainsRune(" ()[]\"", rune(p.s[p.pos])) {
		p.pos++
	}
	return p.s[start:p.pos]
}

// keyword consumes the next word if it equals kw (in any case).
func (p *parser) keyword(kw string) bool {
	save := p.pos
	if strings.EqualFold(p.word(), kw) {
		return true
	}
	p.pos = save
	return false
}

func (p *parser) char(c byte) bool {
	if p.skipSpace() < len(p.s) && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *parser) or() (Filter, error) {
	left, err := p.and()
	for err == nil && p.keyword("or") {
		var right Filter
		if right, err = p.and(); err == nil {
			left = logical{left: left, right: right}
		}
	}
	return left, err
}

func (p *parser) and() (Filter, error) {
	left, err := p.unary()
	for err == nil && p.keyword("and") {
		var right Filter
		if right, err = p.unary(); err == nil {
			left = logical{and: true, left: left, right: right}
		}
	}
	return left, err
}

func (p *parser) unary() (Filter, error) {
	if p.keyword("not") {
		if !p.char('(') {
			return nil, p.errorf("expected ( after not")
		}
		f, err := p.group()
		return not{f}, err
	}
	if p.char('(') {
		return p.group()
	}
	return p.attrExpr()
}

// group parses the rest of a parenthesized filter.
func (p *parser) group() (Filter, error) {
	f, err := p.or()
	if err == nil && !p.char(')') {
		err = p.errorf("expected )")
	}
	return f, err
}

func (p *parser) attrExpr() (Filter, error) {
	path, err := p.attrPath()
	if err != nil {
		return nil, err
	}
	if path.Sub == "" && p.char('[') {
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.char(']') {
			return nil, p.errorf("expected ]")
		}
		return valuePath{attr: path.Attr, f: inner}, nil
	}
	op := strings.ToLower(p.word())
	switch op {
	case "pr":
		return comparison{path: path, op: op}, nil
	case "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le":
		v, err := p.value()
		return comparison{path: path, op: op, value: v}, err
	case "":
		return nil, p.errorf("expected an operator after %s", path)
	}
	return nil, p.errorf("unknown operator %q", op)
}

// attrPath reads [URN:]attr[.sub].
func (p *parser) attrPath() (AttrPath, error) {
	w := p.word()
	if w == "" {
		return AttrPath{}, p.errorf("expected an attribute name")
	}
	return splitPath(w)
}

// splitPath splits "urn:…:User:name.givenName" into name and givenName.
func splitPath(w string) (AttrPath, error) {
	if i := strings.LastIndexByte(w, ':'); i >= 0 {
		w = w[i+1:]
	}
	attr, sub, _ := strings.Cut(w, ".")
	if !validName(attr) || (sub != "" && !validName(sub)) {
		return AttrPath{}, fmt.Errorf("%q is not an attribute name", w)
	}
	return AttrPath{Attr: attr, Sub: sub}, nil
}

// validName checks RFC 7643's ATTRNAME = ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA;
// "$ref" is the one name outside it.
func validName(s string) bool {
	if s == "$ref" {
		return true
	}
	for i, r := range s {
		alpha := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !alpha && (i == 0 || !(r == '-' || r == '_' || r >= '0' && r <= '9')) {
			return false
		}
	}
	return s != ""
}

func (p *parser) value() (any, error) {
	if p.skipSpace() < len(p.s) && p.s[p.pos] == '"' {
		dec := json.NewDecoder(strings.NewReader(p.s[p.pos:]))
		var s string
		if err := dec.Decode(&s); err != nil {
			return nil, p.errorf("bad quoted value: %v", err)
		}
		p.pos += int(dec.InputOffset())
		return s, nil
	}
	w := p.word()
	switch strings.ToLower(w) {
	case "":
		return nil, p.errorf("expected a value")
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	return w, nil // a number or an unquoted string: both compare as text
}

func (f logical) Match(res map[string]any) bool {
	if f.and {
		return f.left.Match(res) && f.right.Match(res)
	}
	return f.left.Match(res) || f.right.Match(res)
}

func (f not) Match(res map[string]any) bool { return !f.f.Match(res) }

func (f valuePath) Match(res map[string]any) bool {
	for _, v := range asList(field(res, f.attr)) {
		if m, ok := v.(map[string]any); ok && f.f.Match(m) {
			return true
		}
	}
	return false
}

func (f comparison) Match(res map[string]any) bool {
	vals := values(res, f.path)
	switch {
	case f.op == "pr":
		return len(vals) > 0
	case f.value == nil && (f.op == "eq" || f.op == "ne"):
		return (len(vals) == 0) == (f.op == "eq")
	case f.op == "ne":
		return !comparison{path: f.path, op: "eq", value: f.value}.Match(res)
	}
	caseExact := false
	if a, ok := lookup(userAttributes, f.path.Attr); ok && f.path.Sub == "" {
		caseExact = a.CaseExact
	}
	for _, v := range vals {
		if compare(v, f.op, f.value, caseExact) {
			return true
		}
	}
	return false
}

// values returns the non-empty values at path: for a multi-valued complex
// attribute without a sub-attribute, the "value" of each of its values.
func values(res map[string]any, path AttrPath) []any {
	v := field(res, path.Attr)
	sub := path.Sub
	if _, isList := v.([]any); isList && sub == "" {
		sub = "value"
	}
	var out []any
	for _, x := range asList(v) {
		if sub != "" {
			m, _ := x.(map[string]any)
			x = field(m, sub)
		}
		if x != nil && x != "" {
			out = append(out, x)
		}
	}
	return out
}

// field reads a key of m case-insensitively.
func field(m map[string]any, name string) any {
	if v, ok := m[name]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

func asList(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

// compare applies op to an attribute value and a filter value. Dates
// compare as instants; everything else compares as text.
func compare(attr any, op string, want any, caseExact bool) bool {
	a, w := fmt.Sprint(attr), fmt.Sprint(want)
	if ta, err := time.Parse(time.RFC3339Nano, a); err == nil {
		if tw, err := time.Parse(time.RFC3339Nano, w); err == nil {
			return order(ta.Compare(tw), op)
		}
	}
	if !caseExact {
		a, w = strings.ToLower(a), strings.ToLower(w)
	}
	switch op {
	case "co":
		return strings.Contains(a, w)
	case "sw":
		return strings.HasPrefix(a, w)
	case "ew":
		return strings.HasSuffix(a, w)
	}
	return order(strings.Compare(a, w), op)
}

func order(c int, op string) bool {
	switch op {
	case "eq":
		return c == 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false // co/sw/ew on dates
}
