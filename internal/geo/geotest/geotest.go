// Package geotest writes small IP databases in MaxMind's format for tests:
// an IPv4 search tree of 24-bit records over GeoIP2-Country-shaped records
// ({"country": {"iso_code": "DE"}}), as the format's specification lays
// them out. No writer module is needed for so little.
package geotest

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// record is a search-tree record: empty, a node, or a country's data.
type record struct {
	node int    // > 0: the node index
	data string // != "": the country code
}

// Write writes a database mapping each IPv4 prefix to a country code into
// a temporary file and returns its path.
func Write(t testing.TB, countries map[string]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "countries.mmdb")
	if err := os.WriteFile(path, Build(countries), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Build returns the bytes of the database; prefixes must be IPv4 ("1.2.3.0/24").
func Build(countries map[string]string) []byte {
	nodes := [][2]record{{}}
	for p, cc := range countries {
		prefix := netip.MustParsePrefix(p).Masked()
		a := prefix.Addr().As4()
		bits := binary.BigEndian.Uint32(a[:])
		n := 0
		for i := 0; i < prefix.Bits(); i++ {
			side := (bits >> (31 - i)) & 1
			if i == prefix.Bits()-1 {
				nodes[n][side] = record{data: cc}
				break
			}
			if nodes[n][side].node == 0 {
				nodes = append(nodes, [2]record{})
				nodes[n][side] = record{node: len(nodes) - 1}
			}
			n = nodes[n][side].node
		}
	}
	// The data section: one record per country, addressed by offset.
	var data bytes.Buffer
	offsets := map[string]int{}
	for _, pair := range nodes {
		for _, r := range pair {
			if _, ok := offsets[r.data]; r.data != "" && !ok {
				offsets[r.data] = data.Len()
				writeMap(&data, 1)
				writeString(&data, "country")
				writeMap(&data, 1)
				writeString(&data, "iso_code")
				writeString(&data, r.data)
			}
		}
	}
	count := len(nodes)
	value := func(r record) uint32 {
		switch {
		case r.node > 0:
			return uint32(r.node)
		case r.data != "":
			return uint32(count + 16 + offsets[r.data])
		}
		return uint32(count) // empty
	}
	var out bytes.Buffer
	for _, pair := range nodes {
		for _, r := range pair {
			v := value(r)
			out.Write([]byte{byte(v >> 16), byte(v >> 8), byte(v)})
		}
	}
	out.Write(make([]byte, 16)) // the data section separator
	out.Write(data.Bytes())
	out.WriteString("\xAB\xCD\xEFMaxMind.com")
	writeMap(&out, 9)
	writeString(&out, "binary_format_major_version")
	writeUint(&out, 5, 2)
	writeString(&out, "binary_format_minor_version")
	writeUint(&out, 5, 0)
	writeString(&out, "build_epoch")
	writeUint(&out, 9, 1_700_000_000)
	writeString(&out, "database_type")
	writeString(&out, "Driftwood-Test-Country")
	writeString(&out, "description")
	writeMap(&out, 0)
	writeString(&out, "ip_version")
	writeUint(&out, 5, 4)
	writeString(&out, "languages")
	out.Write([]byte{0, 11 - 7}) // an empty array (an extended type)
	writeString(&out, "node_count")
	writeUint(&out, 6, uint64(count))
	writeString(&out, "record_size")
	writeUint(&out, 5, 24)
	return out.Bytes()
}

// writeControl writes a control byte of a type and a size under 29.
func writeControl(b *bytes.Buffer, typ, size int) {
	if typ > 7 {
		b.Write([]byte{byte(size), byte(typ - 7)})
		return
	}
	b.WriteByte(byte(typ<<5 | size))
}

func writeString(b *bytes.Buffer, s string) {
	writeControl(b, 2, len(s))
	b.WriteString(s)
}

func writeMap(b *bytes.Buffer, pairs int) { writeControl(b, 7, pairs) }

// writeUint writes v as an unsigned integer of a type (5: uint16, 6:
// uint32, 9: uint64) in as few bytes as it needs.
func writeUint(b *bytes.Buffer, typ int, v uint64) {
	var n []byte
	for ; v > 0; v >>= 8 {
		n = append([]byte{byte(v)}, n...)
	}
	writeControl(b, typ, len(n))
	b.Write(n)
}
