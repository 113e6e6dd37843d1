// Package widget holds the website chat widget's browser code, embedded in
// the binary: the loader a site's page runs (loader.js), the chat frame's
// script and styles (frame.js, frame.css) and its pages (*.html templates).
// It is plain modern JavaScript and CSS, with no build step: what is here
// is what browsers get, compressed once at start and served under
// content-hashed names.
package widget

import (
	"embed"
	"io/fs"

	"github.com/driftwood-chat/driftwood/web/asset"
)

//go:embed *.js *.css *.html
var files embed.FS

// FS is every file of the widget, as embedded.
func FS() fs.FS { return files }

var assets = asset.MustLoad(files, "loader.js", "frame.js", "frame.css")

// Get returns the asset of that name (loader.js, frame.js, frame.css).
func Get(name string) *asset.Asset { return assets[name] }

// ByHashedName finds an asset by the name its URL gives it.
func ByHashedName(hashed string) *asset.Asset { return assets.ByHashedName(hashed) }
