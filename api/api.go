// Package api holds the API description Driftwood serves at /openapi.yaml
// (OpenAPI 3.1, one YAML file per area under openapi/, assembled by
// Document) and Drift's seed listing, which tests use to check that every
// path and method of Drift's API is routed.
package api

import _ "embed"

// DriftListing is drift-openapi.yaml, the seed listing of Drift's API
// (OpenAPI 3.0 as scraped, not served): every path and method of it is
// routed (internal/httpapi's and sdk/drift's tests).
//
//go:embed drift-openapi.yaml
var DriftListing []byte
