package store

import (
	"encoding/json"
	"reflect"
	"testing"
)

// decodeIDs answers as json.Unmarshal does, for what the store writes and
// for what it does not.
func TestDecodeIDs_AsJSON(t *testing.T) {
	for _, s := range []string{"[]", "[1]", "[1,2,3]", "[-4,9223372036854775807]", "[ 1, 2 ]", "null", "[1,]", "[", "[9223372036854775808]", `["1"]`, "[1.5]"} {
		got, err := decodeIDs(s)
		var want []int64
		wantErr := json.Unmarshal([]byte(s), &want)
		if (err != nil) != (wantErr != nil) || err == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("decodeIDs(%q) = %#v, %v; json.Unmarshal: %#v, %v", s, got, err, want, wantErr)
		}
	}
}
