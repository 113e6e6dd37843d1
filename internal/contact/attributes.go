package contact

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// Attribute types of Drift's custom attribute definitions.
const (
	TypeString   = "STRING"
	TypeNumeric  = "NUMERIC"
	TypeBoolean  = "BOOLEAN"
	TypeDatetime = "DATETIME"
	TypeDate     = "DATE"
)

// AttributeDef is one entry of GET /contacts/attributes.
type AttributeDef struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Type        string `json:"type"`
}

var dateOnly = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// InferType returns the attribute type a value suggests, or "" for values
// that define no attribute (null, objects, arrays, and Drift's bookkeeping).
func InferType(name string, v any) string {
	if strings.HasPrefix(name, "_") || name == attrTags || name == attrEvents || name == attrSocial || name == attrExternalID2 {
		return ""
	}
	switch x := v.(type) {
	case bool:
		return TypeBoolean
	case json.Number, float64:
		// Epoch-millisecond values under a date-like name are datetimes.
		if strings.HasSuffix(name, "_date") || strings.HasSuffix(name, "_at") || strings.HasSuffix(name, "At") || name == "last_active" {
			return TypeDatetime
		}
		return TypeNumeric
	case string:
		if dateOnly.MatchString(x) {
			return TypeDate
		}
		if _, err := time.Parse(time.RFC3339, x); err == nil {
			return TypeDatetime
		}
		return TypeString
	}
	return ""
}

// MergeType combines the type already recorded for an attribute with the type
// of a new value: values that disagree make it a STRING.
func MergeType(old, seen string) string {
	if old == "" || old == seen {
		return seen
	}
	return TypeString
}

// DisplayName turns first_name or firstName into "First Name".
func DisplayName(name string) string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	for i, r := range name {
		switch {
		case r == '_' || r == '-' || r == ' ' || r == '.':
			flush()
			continue
		case unicode.IsUpper(r) && i > 0:
			flush()
		}
		if len(cur) == 0 {
			r = unicode.ToUpper(r)
		}
		cur = append(cur, r)
	}
	flush()
	return strings.Join(words, " ")
}
