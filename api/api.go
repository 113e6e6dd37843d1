// Package api embeds the API descriptions Driftwood serves: Drift's listing
// (copied verbatim from the seed; every path and method of it is routed) and
// Driftwood's own API.
package api

import _ "embed"

// DriftListing is drift-openapi.yaml, the seed listing of Drift's API.
//
//go:embed drift-openapi.yaml
var DriftListing []byte
