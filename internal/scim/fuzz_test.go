package scim

import (
	"encoding/json"
	"errors"
	"testing"
)

// A filter parses or fails with a SCIM error, and a parsed one matches
// without panicking.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{`userName eq "ann@example.com"`, `emails[type eq "work" and value co "ann"]`,
		`not (active eq true) or name.givenName sw "A"`, `meta.lastModified gt "2011-05-13T04:42:34Z"`, `userName pr`,
		`((((`, `emails[`, `a eq`, `userName eq ann@example.com`} {
		f.Add(s)
	}
	res := Resource(testRecord(), "").Generic()
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s)
		if err != nil {
			var typ Type
			if !errors.As(err, &typ) {
				t.Fatalf("%q: error %v is not a SCIM error", s, err)
			}
			return
		}
		flt.Match(res)
	})
}

// A PATCH path parses or fails with a SCIM error; a parsed one applies to
// a user, with any value, without panicking.
func FuzzPatchPath(f *testing.F) {
	for _, s := range []string{"active", "name.givenName", `emails[type eq "work"].value`, `emails[type eq "work"]`,
		"urn:ietf:params:scim:schemas:core:2.0:User:userName", "meta.created", "emails[", "]"} {
		f.Add(s, `"x"`)
	}
	f.Add("emails", `[{"value":"a@b.c","type":"work","primary":true}]`)
	f.Fuzz(func(t *testing.T, path, value string) {
		if _, err := ParsePath(path); err != nil {
			var typ Type
			if !errors.As(err, &typ) {
				t.Fatalf("%q: error %v is not a SCIM error", path, err)
			}
			return
		}
		var v any
		if json.Unmarshal([]byte(value), &v) != nil {
			return
		}
		for _, op := range []string{"add", "replace", "remove"} {
			req := &PatchRequest{Operations: []Operation{{Op: op, Path: path, Value: v}}}
			PatchUser(req, testRecord())
		}
	})
}
