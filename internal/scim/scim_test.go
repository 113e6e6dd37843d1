package scim

import (
	"errors"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/user"
)

func testRecord() *Record {
	return &Record{
		User: user.User{ID: 7, OrgID: 1, Name: "Ann Employee", Email: "ann@example.com", Role: user.RoleMember,
			CreatedAt: 1700000000000, UpdatedAt: 1700000000000},
		Active: true, UserName: "Ann@Example.com", GivenName: "Ann", FamilyName: "Employee", ExternalID: "ext-1",
	}
}

func TestParseFilter_Match(t *testing.T) {
	t.Parallel()
	res := Resource(testRecord(), "").Generic()
	tests := []struct {
		filter string
		want   bool
	}{
		{`userName eq "ann@example.com"`, true}, // case-insensitive
		{`userName eq ann@example.com`, true},   // Okta 2017: unquoted
		{`USERNAME EQ "ann@example.com"`, true},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ann@example.com"`, true},
		{`userName ne "ann@example.com"`, false},
		{`userName co "example"`, true},
		{`userName sw "ann"`, true},
		{`userName ew ".com"`, true},
		{`emails co "ann@"`, true},
		{`emails.value eq "ann@example.com"`, true},
		{`emails[type eq "work" and value co "ann"]`, true},
		{`emails[type eq "home"]`, false},
		{`externalId eq "ext-1"`, true},
		{`externalId eq "EXT-1"`, false}, // caseExact
		{`displayName eq "ann employee"`, true},
		{`active eq true`, true},
		{`active eq false`, false},
		{`(ActiVe eq true) and meta.lastModified ge "2021-09-23T19:35:41.8420572Z"`, true},
		{`meta.created gt 2015-10-10T14:38:21.8617979-07:00`, true},
		{`name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)`, true},
		{`title pr`, false},
		{`userName pr and not (active eq false)`, true},
		{`id eq "7"`, true},
		{`phoneNumbers eq null`, true},
		{`userName eq "x" or externalId eq "ext-1"`, true},
	}
	for _, tt := range tests {
		f, err := ParseFilter(tt.filter)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tt.filter, err)
			continue
		}
		if got := f.Match(res); got != tt.want {
			t.Errorf("%q matched %v, want %v", tt.filter, got, tt.want)
		}
	}
}

func TestParseFilter_Malformed(t *testing.T) {
	t.Parallel()
	for _, f := range []string{
		`userName eq`, `userName`, `ANN@EXAMPLE.COM`, `userName xx "a"`, `(userName eq "a"`, `userName eq "a")`,
		`userName eq "a" and`, `not userName eq "a"`, `emails[type eq "work"`, `userName eq "unterminated`,
		`1abc eq "a"`, strings.Repeat(`userName eq "a" or `, 100) + `userName eq "a"`,
	} {
		_, err := ParseFilter(f)
		var typ Type
		if !errors.As(err, &typ) || typ != InvalidFilter {
			t.Errorf("ParseFilter(%.40q) = %v, want invalidFilter", f, err)
		}
	}
}

func TestPatchUser(t *testing.T) {
	t.Parallel()
	r := testRecord()
	req := &PatchRequest{Operations: []Operation{
		{Op: "Replace", Path: "active", Value: "False"},
		{Op: "replace", Path: "name.givenName", Value: "Anna"},
		{Op: "replace", Path: `emails[type eq "work"].value`, Value: "anna@example.com"},
		{Op: "add", Path: `phoneNumbers[type eq "mobile"].value`, Value: "+1 555"},
		{Op: "replace", Value: map[string]any{"displayName": "Anna E", "id": "99", "externalId": "ext-2"}},
		{Op: "add", Path: "roles", Value: []any{map[string]any{"value": "ADMIN", "primary": true}}},
		{Op: "remove", Path: "locale"},
	}}
	if err := PatchUser(req, r); err != nil {
		t.Fatal(err)
	}
	if r.Active || r.GivenName != "Anna" || r.Email != "anna@example.com" || r.Phone != "+1 555" ||
		r.Name != "Anna E" || r.ExternalID != "ext-2" || r.ID != 7 || r.Role != user.RoleAdmin {
		t.Fatalf("patched record: %+v", r)
	}
}

func TestPatchUser_BadPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		op   Operation
		want Type
	}{
		{Operation{Op: "replace", Path: "favouriteColour", Value: "x"}, InvalidPath},
		{Operation{Op: "replace", Path: "name.middleName", Value: "x"}, InvalidPath},
		{Operation{Op: "replace", Path: "urn:example:custom:2.0:User:manager", Value: "x"}, InvalidPath},
		{Operation{Op: "replace", Path: `userName[value eq "x"]`, Value: "x"}, InvalidPath},
		{Operation{Op: "replace", Path: `emails[type eq]`, Value: "x"}, InvalidPath},
		{Operation{Op: "replace", Path: "id", Value: "1"}, Mutability},
		{Operation{Op: "replace", Path: "active", Value: "maybe"}, InvalidValue},
		{Operation{Op: "remove"}, NoTarget},
		{Operation{Op: "move", Path: "userName"}, InvalidSyntax},
		{Operation{Op: "replace", Path: "userName", Value: ""}, InvalidValue},
	}
	for _, tt := range tests {
		err := PatchUser(&PatchRequest{Operations: []Operation{tt.op}}, testRecord())
		var typ Type
		if !errors.As(err, &typ) || typ != tt.want {
			t.Errorf("%+v: %v, want %s", tt.op, err, tt.want)
		}
	}
}

// TestPatchUser_KeepsOnlyWhatWasSent: names derived for display are not
// written back, removals stick (RFC 7644 §3.5.2.2), operations on
// attributes Driftwood does not keep change nothing and let the rest apply,
// and every email is kept.
func TestPatchUser_KeepsOnlyWhatWasSent(t *testing.T) {
	t.Parallel()
	// A user whose family name was never given: display derives none for a
	// SCIM user, and a PATCH of something else writes none.
	r := testRecord()
	r.FamilyName, r.Name = "", "Ann Employee"
	if err := PatchUser(&PatchRequest{Operations: []Operation{{Op: "replace", Path: "active", Value: false}}}, r); err != nil {
		t.Fatal(err)
	}
	if r.FamilyName != "" || r.GivenName != "Ann" || r.Formatted != "" {
		t.Fatalf("derived names written back: %+v", r)
	}
	for _, path := range []string{"name.givenName", "name"} {
		r := testRecord()
		if err := PatchUser(&PatchRequest{Operations: []Operation{{Op: "remove", Path: path}}}, r); err != nil {
			t.Fatal(err)
		}
		if r.GivenName != "" || (path == "name") != (r.FamilyName == "") {
			t.Fatalf("remove %s: %+v", path, r)
		}
		if n := Resource(r, "").Name; n != nil && n.GivenName != "" {
			t.Fatalf("remove %s: shown as %+v", path, n)
		}
	}

	r = testRecord()
	req := &PatchRequest{Operations: []Operation{
		{Op: "replace", Path: "title", Value: "Engineer"},
		{Op: "add", Path: `addresses[type eq "work"].country`, Value: "Germany"},
		{Op: "replace", Path: "preferredLanguage", Value: "de"},
		{Op: "replace", Path: "password", Value: "secret"},
		{Op: "replace", Path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", Value: map[string]any{"value": "1"}},
		{Op: "replace", Value: map[string]any{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"department": "R&D"},
			"title": "Boss", "displayName": "Ann E"}},
		{Op: "add", Path: "emails", Value: []any{map[string]any{"value": "ann@home.example", "type": "home"}}},
	}}
	if err := PatchUser(req, r); err != nil {
		t.Fatal(err)
	}
	if r.Name != "Ann E" || len(r.Emails) != 2 || r.Emails[1].Value != "ann@home.example" || r.Email != "ann@example.com" {
		t.Fatalf("patched: %+v", r)
	}
	req = &PatchRequest{Operations: []Operation{{Op: "remove", Path: `emails[type eq "work"]`}}}
	if err := PatchUser(req, r); err != nil {
		t.Fatal(err)
	}
	if len(r.Emails) != 1 || r.Email != "ann@home.example" {
		t.Fatalf("after removing the work email: %+v", r)
	}
	req = &PatchRequest{Operations: []Operation{{Op: "remove", Path: `emails[type eq "home"]`}}}
	if err := PatchUser(req, r); err != nil {
		t.Fatal(err)
	}
	if r.Emails == nil || len(r.Emails) != 0 || r.Email != "" || len(Resource(r, "").Emails) != 0 {
		t.Fatalf("after removing every email: %+v", r)
	}
}

func TestUserNameKey(t *testing.T) {
	t.Parallel()
	for _, pair := range [][2]string{{"ÅSA@example.com", "åsa@EXAMPLE.com"}, {"ΣΊΣΥΦΟΣ", "σίσυφος"}, {"Å", "A\u030a"}, {"KELVIN", "\u212aelvin"}} {
		a, b := pair[0], pair[1]
		if UserNameKey(a) != UserNameKey(b) {
			t.Errorf("UserNameKey(%q) = %q, UserNameKey(%q) = %q", a, UserNameKey(a), b, UserNameKey(b))
		}
	}
	if UserNameKey("ann") == UserNameKey("anne") {
		t.Error("different names share a key")
	}
}
