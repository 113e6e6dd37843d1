// Package api embeds the API descriptions Driftwood serves: Drift's listing
// (copied verbatim from the seed; every path and method of it is routed) and
// Driftwood's own API, appended to it to make /openapi.yaml.
package api

import _ "embed"

// DriftListing is drift-openapi.yaml, the seed listing of Drift's API.
//
//go:embed drift-openapi.yaml
var DriftListing []byte

// driftwoodPaths are the path entries of Driftwood's own API, indented to
// sit under the listing's paths (the listing's last top-level key).
//
//go:embed driftwood-paths.yaml
var driftwoodPaths []byte

// Document is /openapi.yaml: Drift's listing with Driftwood's own paths.
func Document() []byte {
	doc := append([]byte{}, DriftListing...)
	if len(doc) > 0 && doc[len(doc)-1] != '\n' {
		doc = append(doc, '\n')
	}
	return append(doc, driftwoodPaths...)
}
