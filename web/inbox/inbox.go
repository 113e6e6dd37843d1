// Package inbox holds the agent inbox's browser code, embedded in the
// binary: its pages (*.html templates, rendered by internal/httpapi), its
// script and its styles. Plain JavaScript and CSS with no build step: what
// is here is what browsers get, compressed once at start and served under
// content-hashed names.
package inbox

import (
	"embed"
	"io/fs"

	"github.com/driftwood-chat/driftwood/web/asset"
)

//go:embed *.js *.css *.html
var files embed.FS

// FS is every file of the inbox, as embedded.
func FS() fs.FS { return files }

var assets = asset.MustLoad(files, "inbox.js", "inbox.css")

// Get returns the asset of that name (inbox.js, inbox.css).
func Get(name string) *asset.Asset { return assets[name] }

// ByHashedName finds an asset by the name its URL gives it.
func ByHashedName(hashed string) *asset.Asset { return assets.ByHashedName(hashed) }
