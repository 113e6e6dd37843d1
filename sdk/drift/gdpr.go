package drift

import (
	"context"
	"net/http"
)

// GDPRResult acknowledges a GDPR request, which runs asynchronously.
type GDPRResult struct {
	Message string `json:"message"`
	// RequestID is Driftwood's addition: the request's id under
	// /driftwood/v1/gdpr/requests. Drift sends none (0).
	RequestID int64 `json:"requestId,omitempty"`
}

// GDPRRetrieve asks for an export of everything held about email (scope
// gdpr_read; only apps the org owns).
func (c *Client) GDPRRetrieve(ctx context.Context, email string) (*GDPRResult, error) {
	return doData[*GDPRResult](ctx, c, http.MethodPost, "/gdpr/retrieve", map[string]string{"email": email})
}

// GDPRDelete permanently deletes the contacts and users with email and all
// their data (scope gdpr_write; only apps the org owns).
func (c *Client) GDPRDelete(ctx context.Context, email string) (*GDPRResult, error) {
	return doData[*GDPRResult](ctx, c, http.MethodPost, "/gdpr/delete", map[string]string{"email": email})
}
