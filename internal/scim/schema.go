package scim

import "strings"

// Attribute describes one attribute of a schema (RFC 7643 §7). The same
// table answers /Schemas and decides which PATCH paths exist.
type Attribute struct {
	Name          string      `json:"name"`
	Type          string      `json:"type"`
	MultiValued   bool        `json:"multiValued"`
	Description   string      `json:"description,omitempty"`
	Required      bool        `json:"required"`
	CaseExact     bool        `json:"caseExact"`
	Mutability    string      `json:"mutability"`
	Returned      string      `json:"returned"`
	Uniqueness    string      `json:"uniqueness"`
	SubAttributes []Attribute `json:"subAttributes,omitempty"`
}

func attr(name, typ, desc string) Attribute {
	return Attribute{Name: name, Type: typ, Description: desc, Mutability: "readWrite", Returned: "default", Uniqueness: "none"}
}

func multi(name, desc string, subs ...Attribute) Attribute {
	a := attr(name, "complex", desc)
	a.MultiValued = true
	a.SubAttributes = subs
	return a
}

var valueSubs = []Attribute{
	attr("value", "string", "The attribute's value."),
	attr("display", "string", "A human-readable name."),
	attr("type", "string", "A label indicating the attribute's function."),
	attr("primary", "boolean", "Whether this is the preferred value."),
}

// userAttributes are the User schema's attributes Driftwood keeps.
var userAttributes = func() []Attribute {
	id := attr("id", "string", "The user's Drift id.")
	id.CaseExact, id.Mutability, id.Returned, id.Uniqueness = true, "readOnly", "always", "server"
	userName := attr("userName", "string", "Unique identifier for the User, Drift's email.")
	userName.Required, userName.Uniqueness = true, "server"
	externalID := attr("externalId", "string", "The provisioning client's identifier.")
	externalID.CaseExact = true
	name := attr("name", "complex", "The components of the user's name.")
	name.SubAttributes = []Attribute{
		attr("formatted", "string", "The full name."),
		attr("familyName", "string", "The family name."),
		attr("givenName", "string", "The given name."),
	}
	meta := attr("meta", "complex", "Resource metadata.")
	meta.Mutability = "readOnly"
	meta.SubAttributes = []Attribute{
		attr("resourceType", "string", ""), attr("created", "dateTime", ""),
		attr("lastModified", "dateTime", ""), attr("location", "reference", ""), attr("version", "string", ""),
	}
	for i := range meta.SubAttributes {
		meta.SubAttributes[i].Mutability = "readOnly"
	}
	return []Attribute{
		id, externalID, userName, name,
		attr("displayName", "string", "The name shown in Drift."),
		attr("active", "boolean", "Whether the user may use Drift; false deprovisions."),
		multi("emails", "Email addresses; the primary one is the Drift email.", valueSubs...),
		multi("phoneNumbers", "Phone numbers; the primary one is the Drift phone.", valueSubs...),
		multi("photos", "Photos; the primary one is the Drift avatar.", valueSubs...),
		multi("roles", "Drift role: OWNER, ADMIN or MEMBER.", valueSubs...),
		attr("locale", "string", "The user's locale."),
		attr("timezone", "string", "The user's time zone."),
		meta,
	}
}()

// lookup finds an attribute by name, case-insensitively (RFC 7644 §3.10).
func lookup(attrs []Attribute, name string) (Attribute, bool) {
	for _, a := range attrs {
		if strings.EqualFold(a.Name, name) {
			return a, true
		}
	}
	return Attribute{}, false
}

// groupAttributes are the Group schema's attributes as Driftwood keeps
// them: a group is a Drift team.
var groupAttributes = func() []Attribute {
	id := attr("id", "string", "The team's Drift id.")
	id.CaseExact, id.Mutability, id.Returned, id.Uniqueness = true, "readOnly", "always", "server"
	externalID := attr("externalId", "string", "The provisioning client's identifier.")
	externalID.CaseExact = true
	displayName := attr("displayName", "string", "The team's name in Drift.")
	displayName.Required = true
	value := attr("value", "string", "The id of a Drift user of the org.")
	value.Mutability = "immutable"
	ref := attr("$ref", "reference", "The member's URI.")
	ref.Mutability = "immutable"
	typ := attr("type", "string", "Always User: a team's members are users.")
	typ.Mutability = "immutable"
	return []Attribute{id, externalID, displayName,
		multi("members", "The team's users.", value, ref, typ, attr("display", "string", "The name given to the membership, else the user's name."))}
}()

// Schemas answers /Schemas: the User and Group schemas.
func Schemas(base string) []map[string]any {
	groupAttrs := groupAttributes
	return []map[string]any{
		schemaDoc(base, UserSchema, "User", "User Account", userAttributes),
		schemaDoc(base, GroupSchema, "Group", "Group", groupAttrs),
	}
}

func schemaDoc(base, id, name, desc string, attrs []Attribute) map[string]any {
	return map[string]any{
		"schemas": []string{SchemaSchema}, "id": id, "name": name, "description": desc, "attributes": attrs,
		"meta": map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + id},
	}
}

// ResourceTypes answers /ResourceTypes.
func ResourceTypes(base string) []map[string]any {
	doc := func(id, endpoint, schema string) map[string]any {
		return map[string]any{
			"schemas": []string{ResourceSchema}, "id": id, "name": id, "endpoint": endpoint,
			"description": id, "schema": schema,
			"meta": map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/" + id},
		}
	}
	user, group := doc("User", "/Users", UserSchema), doc("Group", "/Groups", GroupSchema)
	user["description"], group["description"] = "A Drift user", "A Drift team; its members are users"
	return []map[string]any{user, group}
}

// Limits Driftwood advertises and enforces.
const (
	MaxResults   = 200  // most resources one list answer holds
	MaxFilterLen = 1000 // longest filter accepted, in bytes
)

// ServiceProviderConfig answers /ServiceProviderConfig (RFC 7643 §5).
func ServiceProviderConfig(base string) map[string]any {
	no := map[string]any{"supported": false}
	return map[string]any{
		"schemas":          []string{SPConfigSchema},
		"documentationUri": "https://github.com/driftwood-chat/driftwood",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": MaxResults},
		"changePassword":   no,
		"sort":             no,
		"etag":             no,
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": true,
			"description": "A Driftwood API token with the driftwood_admin scope, as Authorization: Bearer <token>.",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": base + "/ServiceProviderConfig"},
	}
}

// Project applies the attributes and excludedAttributes parameters
// (RFC 7644 §3.4.2.5, §3.10) to a resource as generic JSON. id and schemas
// are always returned; names are in any case, optionally URN-qualified; a
// sub-attribute (name.givenName) selects or excludes only itself within
// its attribute, and a value filter (emails[type eq "work"]) its attribute.
func Project(res map[string]any, attributes, excluded string) {
	keep, drop := names(attributes), names(excluded)
	for k, v := range res {
		lk := strings.ToLower(k)
		if lk == "id" || lk == "schemas" {
			continue
		}
		if len(keep) > 0 {
			subs, ok := keep[lk]
			if !ok {
				delete(res, k)
				continue
			}
			if subs != nil {
				if !projectSubs(v, func(sub string) bool { return !subs[sub] }) {
					delete(res, k)
					continue
				}
			}
		}
		if subs, ok := drop[lk]; ok {
			if subs == nil {
				delete(res, k)
			} else {
				projectSubs(v, func(sub string) bool { return subs[sub] })
			}
		}
	}
}

// projectSubs deletes the sub-attributes for which gone is true from a
// complex value or from each value of a multi-valued one, and reports
// whether anything is left.
func projectSubs(v any, gone func(lowerSub string) bool) bool {
	left := false
	prune := func(m map[string]any) {
		for k := range m {
			if gone(strings.ToLower(k)) {
				delete(m, k)
			}
		}
		left = left || len(m) > 0
	}
	switch v := v.(type) {
	case map[string]any:
		prune(v)
	case []any:
		for _, x := range v {
			if m, ok := x.(map[string]any); ok {
				prune(m)
			}
		}
	}
	return left
}

// names parses a comma-separated attribute list into lower-cased
// top-level attribute names, each with the lower-cased sub-attributes
// named, or nil when the whole attribute is named.
func names(list string) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		n, _, _ = strings.Cut(strings.TrimSpace(n), "[")
		p, err := splitPath(n)
		if err != nil {
			continue
		}
		attr := strings.ToLower(p.Attr)
		subs, seen := out[attr]
		switch {
		case p.Sub == "" || (seen && subs == nil):
			out[attr] = nil
		case !seen:
			out[attr] = map[string]bool{strings.ToLower(p.Sub): true}
		default:
			subs[strings.ToLower(p.Sub)] = true
		}
	}
	return out
}
