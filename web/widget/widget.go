// Package widget holds the website chat widget's browser code, embedded in
// the binary: the loader a site's page runs (loader.js), the chat frame's
// script and styles (frame.js, frame.css) and its pages (*.html templates).
// It is plain modern JavaScript and CSS, with no build step: what is here
// is what browsers get, compressed once at start and served under
// content-hashed names.
package widget

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
)

//go:embed *.js *.css *.html
var files embed.FS

// FS is every file of the widget, as embedded.
func FS() fs.FS { return files }

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

var assets = map[string]*Asset{}

func init() {
	for _, name := range []string{"loader.js", "frame.js", "frame.css"} {
		raw, err := files.ReadFile(name)
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(raw)
		assets[name] = &Asset{Name: name, Type: mime.TypeByExtension(path.Ext(name)), Hash: hex.EncodeToString(sum[:8]),
			Raw: raw, Gzip: Compress(raw)}
	}
}

// Get returns the asset of that name (loader.js, frame.js, frame.css).
func Get(name string) *Asset { return assets[name] }

// ByHashedName finds an asset by the name its URL gives it; a stale or
// unknown hash finds nothing.
func ByHashedName(hashed string) *Asset {
	for _, a := range assets {
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
