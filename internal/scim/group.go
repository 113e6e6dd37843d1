package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A SCIM Group is a Drift team: its displayName the team's name, its
// members the team's users. The team API (GET /teams/org) shows the same
// objects.

// GroupRecord is a team as SCIM manages it.
type GroupRecord struct {
	ID          int64
	OrgID       int64
	DisplayName string
	ExternalID  string
	Members     []GroupMember // by user id, ascending, once each
	CreatedAt   int64
	UpdatedAt   int64
}

// GroupMember is one user of a group. Display is the text the client gave
// the membership ("" shows the user's name); Name is the user's name, read
// with the group and never written.
type GroupMember struct {
	UserID  int64
	Display string
	Name    string
}

// GroupStore is the persistence of SCIM Groups. Another org's team reads as
// not found; a member that is not a user of the org is invalid.
type GroupStore interface {
	// SCIMGroups lists the org's teams by id.
	SCIMGroups(ctx context.Context, orgID int64) ([]*GroupRecord, error)
	SCIMGroup(ctx context.Context, orgID, id int64) (*GroupRecord, error)
	// CreateSCIMGroup inserts g, setting its ID and timestamps.
	CreateSCIMGroup(ctx context.Context, g *GroupRecord) error
	// UpdateSCIMGroup applies change to the group inside one transaction and
	// saves it. change may run more than once and must have no other effect.
	UpdateSCIMGroup(ctx context.Context, orgID, id int64, change func(*GroupRecord) error) (*GroupRecord, error)
	DeleteSCIMGroup(ctx context.Context, orgID, id int64) error
}

// Group is the SCIM Group resource (RFC 7643 §4.2).
type Group struct {
	Schemas     []string `json:"schemas,omitempty"`
	ID          string   `json:"id,omitempty"`
	ExternalID  string   `json:"externalId,omitempty"`
	DisplayName string   `json:"displayName"`
	Members     []Member `json:"members,omitempty"`
	Meta        *Meta    `json:"meta,omitempty"`
}

// Member is one value of a Group's members. DisplayName is read as
// Display, as the Microsoft reference collection sends it.
type Member struct {
	Value       string `json:"value"`
	Ref         string `json:"$ref,omitempty"`
	Type        string `json:"type,omitempty"`
	Display     string `json:"display,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
}

// Limits of a group.
const (
	maxGroupName    = 200
	MaxGroupMembers = 10000
)

// GroupResource renders g as a SCIM Group; base is the SCIM base URL.
func GroupResource(g *GroupRecord, base string) *Group {
	id := strconv.FormatInt(g.ID, 10)
	res := &Group{
		Schemas: []string{GroupSchema}, ID: id, ExternalID: g.ExternalID, DisplayName: g.DisplayName,
		Meta: &Meta{ResourceType: "Group", Created: Time(g.CreatedAt), LastModified: Time(g.UpdatedAt),
			Location: base + "/Groups/" + id, Version: fmt.Sprintf(`W/"%d"`, g.UpdatedAt)},
	}
	for _, m := range g.Members {
		uid := strconv.FormatInt(m.UserID, 10)
		res.Members = append(res.Members, Member{Value: uid, Ref: base + "/Users/" + uid, Type: "User",
			Display: cmpOr(m.Display, m.Name)})
	}
	return res
}

// Generic renders g as generic JSON, the form filters and projections work on.
func (g *Group) Generic() map[string]any {
	b, _ := json.Marshal(g) // a Group always encodes
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// Apply writes g, a whole resource from a create or a replace, onto r.
func (g *Group) Apply(r *GroupRecord) error {
	if len(g.Schemas) > 0 && !slices.ContainsFunc(g.Schemas, func(s string) bool { return strings.EqualFold(s, GroupSchema) }) {
		return errorf(InvalidValue, "schemas must include %s", GroupSchema)
	}
	if err := r.setName(g.DisplayName); err != nil {
		return err
	}
	if len(g.ExternalID) > maxUserNameBytes {
		return errorf(InvalidValue, "externalId must be at most %d bytes", maxUserNameBytes)
	}
	r.ExternalID = g.ExternalID
	members, err := parseMembers(g.Members)
	if err != nil {
		return err
	}
	r.Members = nil
	return r.addMembers(members)
}

func (r *GroupRecord) setName(name string) error {
	name = strings.TrimSpace(name)
	if name == "" {
		return errorf(InvalidValue, "displayName is required")
	}
	if len(name) > maxGroupName {
		return errorf(InvalidValue, "displayName must be at most %d bytes", maxGroupName)
	}
	r.DisplayName = name
	return nil
}

// parseMembers reads member values: each a user id.
func parseMembers(ms []Member) ([]GroupMember, error) {
	out := make([]GroupMember, 0, len(ms))
	for i, m := range ms {
		id, err := strconv.ParseInt(strings.TrimSpace(m.Value), 10, 64)
		if err != nil || id <= 0 {
			return nil, errorf(InvalidValue, "members[%d].value %q is not a user id", i, m.Value)
		}
		display := cmpOr(m.Display, m.DisplayName)
		if len(display) > maxGroupName {
			return nil, errorf(InvalidValue, "members[%d].display must be at most %d bytes", i, maxGroupName)
		}
		out = append(out, GroupMember{UserID: id, Display: display})
	}
	return out, nil
}

// addMembers adds members not yet in r (a member already there keeps its
// place, with the display newly given if any), keeping them by id.
func (r *GroupRecord) addMembers(ms []GroupMember) error {
	for _, m := range ms {
		i, found := slices.BinarySearchFunc(r.Members, m.UserID, func(g GroupMember, id int64) int { return cmpInt(g.UserID, id) })
		switch {
		case found && m.Display != "":
			r.Members[i].Display = m.Display
		case !found:
			r.Members = slices.Insert(r.Members, i, m)
		}
	}
	if len(r.Members) > MaxGroupMembers {
		return errorf(InvalidValue, "a group has at most %d members", MaxGroupMembers)
	}
	return nil
}

func (r *GroupRecord) removeMembers(ids []int64) {
	r.Members = slices.DeleteFunc(r.Members, func(m GroupMember) bool { return slices.Contains(ids, m.UserID) })
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// PatchGroup applies a PATCH (RFC 7644 §3.5.2) to a group, in the forms
// Microsoft Entra and Okta send: add, remove and replace of members (a
// list of values; remove by members[value eq "id"] or with the values to
// remove; remove of members without either removes all), replace of
// displayName and externalId, with a path or as an object without one.
func PatchGroup(req *PatchRequest, r *GroupRecord) error {
	if len(req.Operations) == 0 {
		return errorf(InvalidSyntax, "Operations must hold at least one operation")
	}
	for _, op := range req.Operations {
		if err := op.applyGroup(r); err != nil {
			return err
		}
	}
	return nil
}

func (op Operation) applyGroup(r *GroupRecord) error {
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
		for k, v := range obj {
			if isServerOwned(k) {
				continue
			}
			if err := (Operation{Op: kind, Path: k, Value: v}).applyGroup(r); err != nil {
				return err
			}
		}
		return nil
	}
	path := op.Path
	if i := strings.LastIndexByte(path, ':'); i >= 0 && strings.EqualFold(path[:i], GroupSchema) {
		path = path[i+1:]
	}
	head, filterText, hasFilter := strings.Cut(path, "[")
	switch {
	case strings.EqualFold(head, "members"):
		return r.patchMembers(kind, op.Value, filterText, hasFilter)
	case hasFilter:
		return errorf(InvalidPath, "path %q filters an attribute that is not multi-valued", op.Path)
	case strings.EqualFold(head, "displayName"):
		if kind == "remove" {
			return errorf(Mutability, "displayName is required")
		}
		s, ok := op.Value.(string)
		if !ok {
			return errorf(InvalidValue, "displayName must be a string")
		}
		return r.setName(s)
	case strings.EqualFold(head, "externalId"):
		if kind == "remove" {
			r.ExternalID = ""
			return nil
		}
		s, ok := op.Value.(string)
		if !ok || len(s) > maxUserNameBytes {
			return errorf(InvalidValue, "externalId must be a string of at most %d bytes", maxUserNameBytes)
		}
		r.ExternalID = s
		return nil
	case strings.EqualFold(head, "id") || strings.EqualFold(head, "meta"):
		return errorf(Mutability, "%s is read-only", head)
	}
	return errorf(InvalidPath, "path %q names no attribute of %s", op.Path, GroupSchema)
}

// patchMembers applies one operation on members.
func (r *GroupRecord) patchMembers(kind string, value any, filterText string, hasFilter bool) error {
	if hasFilter {
		end := strings.LastIndexByte(filterText, ']')
		if kind != "remove" || end < 0 || strings.TrimSpace(filterText[end+1:]) != "" {
			return errorf(InvalidPath, "members[filter] is supported for remove only, as members[value eq \"id\"]")
		}
		f, err := ParseFilter(filterText[:end])
		if err != nil {
			return errorf(InvalidPath, "members filter: %v", err)
		}
		var gone []int64
		for _, m := range r.Members {
			if f.Match(map[string]any{"value": strconv.FormatInt(m.UserID, 10), "type": "User", "display": cmpOr(m.Display, m.Name)}) {
				gone = append(gone, m.UserID)
			}
		}
		r.removeMembers(gone)
		return nil
	}
	if kind == "remove" && value == nil {
		r.Members = nil
		return nil
	}
	ms, err := memberValues(value)
	if err != nil {
		return err
	}
	members, err := parseMembers(ms)
	if err != nil {
		return err
	}
	switch kind {
	case "add":
		return r.addMembers(members)
	case "replace":
		r.Members = nil
		return r.addMembers(members)
	}
	var ids []int64
	for _, m := range members {
		ids = append(ids, m.UserID)
	}
	r.removeMembers(ids)
	return nil
}

// memberValues reads a PATCH value for members: a list of member objects,
// or one object.
func memberValues(v any) ([]Member, error) {
	if obj, ok := v.(map[string]any); ok {
		v = []any{obj}
	}
	list, ok := v.([]any)
	if !ok {
		return nil, errorf(InvalidValue, `members must be a list of {"value": "user id"} objects`)
	}
	b, _ := json.Marshal(list)
	var ms []Member
	if err := json.Unmarshal(b, &ms); err != nil {
		return nil, errorf(InvalidValue, `members must be a list of {"value": "user id"} objects: %v`, err)
	}
	return ms, nil
}
