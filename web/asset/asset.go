// Package asset prepares the browser files embedded in the binary (the
// widget's, the inbox's) for serving: each is compressed once at start and
// named by a hash of its content, so that its URL can be cached for ever.
package asset

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
)

// Asset is a static file ready to serve: its bytes, gzipped bytes and a
// content hash that names its immutable URL.
type Asset struct {
	Name string // e.g. frame.js
	Type string // its Content-Type
	Hash string // first 16 hex digits of its SHA-256
	Raw  []byte
	Gzip []byte
}

// HashedName is the asset's name with its hash, as its URL names it:
// frame.0123456789abcdef.js.
func (a *Asset) HashedName() string {
	ext := path.Ext(a.Name)
	return strings.TrimSuffix(a.Name, ext) + "." + a.Hash + ext
}

// Set is the assets of one web package, by name.
type Set map[string]*Asset

// MustLoad reads the named files of fsys into a Set; a missing file is a
// build mistake, so it panics.
func MustLoad(fsys fs.FS, names ...string) Set {
	set := Set{}
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(raw)
		set[name] = &Asset{Name: name, Type: mime.TypeByExtension(path.Ext(name)), Hash: hex.EncodeToString(sum[:8]),
			Raw: raw, Gzip: Compress(raw)}
	}
	return set
}

// ByHashedName finds an asset by the name its URL gives it; a stale or
// unknown hash finds nothing.
func (s Set) ByHashedName(hashed string) *Asset {
	for _, a := range s {
		if a.HashedName() == hashed {
			return a
		}
	}
	return nil
}

// Compress gzips b at the best compression: assets are compressed once.
func Compress(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}
