// Package gdpr is Drift's Data Privacy API: retrieving or deleting
// everything an org holds about one email address. Each request is a
// durable job: recorded as pending in the transaction that accepts it, and
// carried out later in one transaction of its own, so a request accepted
// before a crash is completed after the restart.
package gdpr

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/logkey"
)

// Kind is what a request asks for.
type Kind string

// Request kinds.
const (
	Retrieve Kind = "retrieve"
	Delete   Kind = "delete"
)

// Status values of a request.
const (
	Pending = "pending"
	Done    = "done"
)

// Request is one GDPR job.
type Request struct {
	ID     int64  `json:"id"`
	OrgID  int64  `json:"orgId"`
	Kind   Kind   `json:"kind"`
	Email  string `json:"email"` // "" once a delete of it has completed
	Status string `json:"status"`
	// Export is the retrieved data, a JSON object with one key per table
	// holding the rows tied to the email. Retrieve only.
	Export    json.RawMessage `json:"export,omitempty"`
	CreatedAt int64           `json:"createdAt"`
	UpdatedAt int64           `json:"updatedAt"`
}

// NewRequest validates a request for kind on email.
func NewRequest(orgID int64, kind Kind, email string) (*Request, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return nil, apperr.Invalidf("email", "email is required")
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return nil, apperr.Invalidf("email", "email %q is not an email address", email)
	}
	return &Request{OrgID: orgID, Kind: kind, Email: email, Status: Pending}, nil
}

// Message is what Drift answers when it accepts a request.
func (k Kind) Message() string {
	if k == Delete {
		return "Your delete is processing"
	}
	return "Your retrieval is processing"
}

// Store is the persistence of GDPR requests. Another org's request reads
// as not found.
type Store interface {
	// CreateGDPRRequest records r as pending, setting its ID and timestamps.
	CreateGDPRRequest(ctx context.Context, r *Request) error
	GDPRRequest(ctx context.Context, orgID, id int64) (*Request, error)
	// GDPRRequests lists the org's requests, newest first, without exports.
	GDPRRequests(ctx context.Context, orgID int64) ([]*Request, error)
	// PendingGDPRRequests lists the ids of pending requests of every org.
	PendingGDPRRequests(ctx context.Context) ([]int64, error)
	// ProcessGDPRRequest carries out a pending request and marks it done,
	// all in one transaction; a request that is done already, or that
	// another worker holds, is left alone.
	ProcessGDPRRequest(ctx context.Context, id int64) error
}

// Worker completes pending requests: those left by a crash or a restart
// when it starts, and then, every Interval, those a handler did not
// complete itself (it processes each request right after accepting it).
type Worker struct {
	Store    Store
	Log      *slog.Logger
	Interval time.Duration
}

// Run processes pending requests until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		w.RunPending(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunPending processes every pending request once.
func (w *Worker) RunPending(ctx context.Context) {
	ids, err := w.Store.PendingGDPRRequests(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.Log.Error("listing pending gdpr requests", logkey.Err, err)
		}
		return
	}
	for _, id := range ids {
		if err := w.Store.ProcessGDPRRequest(ctx, id); err != nil && ctx.Err() == nil {
			w.Log.Error("processing gdpr request", logkey.GDPRRequestID, id, logkey.Err, err)
		}
	}
}
