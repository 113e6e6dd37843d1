// Package inbox holds the agent inbox's browser code, embedded in the
// binary: its pages (*.html templates, rendered by internal/httpapi), its
// script and its styles. Plain JavaScript and CSS with no build step: what
// is here is what browsers get, compressed once at start and served under
// content-hashed names.
package inbox

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

// FS is every file of the inbox, as embedded.
func FS() fs.FS { return files }

// Asset is a static file ready to serve.
type Asset struct {
	Name string // inbox.js or inbox.css
	Type string
	Hash string // first 16 hex digits of its SHA-256
	Raw  []byte
	Gzip []byte
}

// HashedName is the asset's name with its hash: inbox.0123456789abcdef.js.
func (a *Asset) HashedName() string {
	ext := path.Ext(a.Name)
	return strings.TrimSuffix(a.Name, ext) + "." + a.Hash + ext
}

var assets = map[string]*Asset{}

func init() {
	for _, name := range []string{"inbox.js", "inbox.css"} {
		raw, err := files.ReadFile(name)
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(raw)
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(raw)
		zw.Close()
		assets[name] = &Asset{Name: name, Type: mime.TypeByExtension(path.Ext(name)), Hash: hex.EncodeToString(sum[:8]),
			Raw: raw, Gzip: buf.Bytes()}
	}
}

// Get returns the asset of that name.
func Get(name string) *Asset { return assets[name] }

// ByHashedName finds an asset by the name its URL gives it.
func ByHashedName(hashed string) *Asset {
	for _, a := range assets {
		if a.HashedName() == hashed {
			return a
		}
	}
	return nil
}
