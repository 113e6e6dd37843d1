// Package webhook delivers the outbox's events to the apps installed in each
// org, as Drift sends them (the {type, orgId, token, data} envelope and
// X-Verification-Token) and signed as Standard Webhooks specifies. It holds
// the delivery log's shapes, the retry rules and the Dispatcher, which any
// number of replicas may run against one PostgreSQL database.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/integration"
	"github.com/driftwood-chat/driftwood/internal/secrets"
)

// Status is where a delivery stands.
type Status string

// Delivery statuses.
const (
	Pending   Status = "pending"
	Succeeded Status = "succeeded"
	Failed    Status = "failed"
)

// ValidStatus reports whether s names a status.
func ValidStatus(s string) bool {
	return s == string(Pending) || s == string(Succeeded) || s == string(Failed)
}

// Outcome is what one attempt came to.
type Outcome string

// Attempt outcomes.
const (
	OutcomeSucceeded Outcome = "succeeded" // a 2xx answer
	OutcomeRetry     Outcome = "retry"     // failed; another attempt is scheduled
	OutcomeFailed    Outcome = "failed"    // failed for good (4xx, or the schedule is spent)
	OutcomeDisabled  Outcome = "disabled"  // 410 Gone: the endpoint is disabled
)

// Delivery is one event on its way to one installed app.
type Delivery struct {
	ID            int64       `json:"id"`
	AppID         int64       `json:"appId"`
	OrgID         int64       `json:"orgId"`
	EventID       int64       `json:"eventId"`
	EventType     events.Type `json:"eventType"`
	WebhookID     string      `json:"webhookId"`
	Status        Status      `json:"status"`
	AttemptCount  int         `json:"attemptCount"`
	NextAttemptAt int64       `json:"nextAttemptAt,omitempty"` // while pending
	LastStatus    int         `json:"lastStatusCode,omitempty"`
	LastError     string      `json:"lastError,omitempty"`
	DeliveredAt   int64       `json:"deliveredAt,omitempty"`
	CreatedAt     int64       `json:"createdAt"`
	UpdatedAt     int64       `json:"updatedAt"`
	Attempts      []Attempt   `json:"-"` // read for one delivery only
}

// Attempt is one POST of a delivery, kept for the delivery log.
type Attempt struct {
	ID          int64   `json:"id"`
	AttemptedAt int64   `json:"attemptedAt"`
	StatusCode  int     `json:"statusCode,omitempty"`
	LatencyMs   int64   `json:"latencyMs"`
	Response    string  `json:"response,omitempty"` // the first bytes of the answer
	Error       string  `json:"error,omitempty"`
	Outcome     Outcome `json:"outcome"`
}

// Filter selects deliveries for the log: zero fields select all. Deliveries
// come newest first, below Before when it is set.
type Filter struct {
	AppID     int64
	EventType events.Type
	Status    Status
	Before    int64
	Limit     int
}

// LogStore is the delivery log as the owner of the apps sees it: a delivery
// of another org's app reads as not found.
type LogStore interface {
	ListDeliveries(ctx context.Context, ownerOrgID int64, f Filter) ([]*Delivery, error)
	// GetDelivery returns a delivery with its attempts, oldest first.
	GetDelivery(ctx context.Context, ownerOrgID, id int64) (*Delivery, error)
	// RetryDelivery makes a delivery due now, with the whole retry schedule
	// ahead of it again, whatever its status. A delivery being attempted
	// right now is a conflict.
	RetryDelivery(ctx context.Context, ownerOrgID, id int64) (*Delivery, error)
}

// Job is a claimed delivery with what its attempt needs.
type Job struct {
	DeliveryID int64
	AppID      int64
	WebhookID  string
	Step       int // how many scheduled retries are already spent
	Event      events.Event
	URL        string
	Sealed     integration.Sealed // verification token and signing secret
	LeaseOwner string
}

// Result is an attempt's outcome, as the dispatcher records it.
type Result struct {
	Attempt
	NextAttemptAt int64 // when Outcome is OutcomeRetry
}

// Recorded is an attempt to record: the job it was made for and its result.
type Recorded struct {
	Job    Job
	Result Result
}

// Lease is what FanOutAndClaim leases: up to Max deliveries, to Owner,
// until Until (epoch ms).
type Lease struct {
	Owner string
	Max   int
	Until int64
}

// FannedOut is what FanOutAndClaim did.
type FannedOut struct {
	Events int   // events taken
	Jobs   []Job // deliveries made leased
	// LeftDue reports deliveries left due for a claim: others were due, or
	// more were made than leased.
	LeftDue bool
}

// Store is what the dispatcher needs from the database.
type Store interface {
	// FanOut turns up to limit outbox events not yet fanned out into one
	// pending delivery per subscribed installation, each event exactly once
	// however many dispatchers run. It returns the number of events taken.
	FanOut(ctx context.Context, limit int) (int, error)
	// FanOutAndClaim is FanOut, but the first deliveries it makes (up to
	// lease.Max) are made leased, as ClaimDeliveries leases, and returned:
	// fresh deliveries need no claim of their own. It leases none while
	// other deliveries are due, which a claim takes first.
	FanOutAndClaim(ctx context.Context, limit int, lease Lease) (FannedOut, error)
	// ClaimDeliveries leases up to limit due deliveries to owner until
	// leaseUntil (epoch ms) and commits the lease before returning. A
	// delivery whose lease expired is due again.
	ClaimDeliveries(ctx context.Context, owner string, limit int, leaseUntil int64) ([]Job, error)
	// RecordAttempts stores attempts and their deliveries' new states, in
	// order and in one transaction. A delivery whose lease passed to another
	// owner meanwhile keeps only the attempt. OutcomeDisabled also disables
	// the app's webhook and fails its other pending deliveries.
	RecordAttempts(ctx context.Context, rs []Recorded) error
	// OldestPending returns the creation time (epoch ms) of the oldest
	// pending delivery, or 0.
	OldestPending(ctx context.Context) (int64, error)
}

// Envelope is Drift's webhook body. Event streams send it without a token.
// TimeStamp is when the event happened (epoch ms), as Drift's own
// deliveries carry it.
type Envelope struct {
	Type      events.Type     `json:"type"`
	OrgID     int64           `json:"orgId"`
	Token     string          `json:"token,omitempty"`
	TimeStamp int64           `json:"timeStamp"`
	Data      json.RawMessage `json:"data"`
}

// Body renders the body Drift posts for ev, carrying token.
func Body(ev events.Event, token string) ([]byte, error) {
	return json.Marshal(Envelope{Type: ev.Type, OrgID: ev.OrgID, Token: token, TimeStamp: ev.CreatedAt, Data: ev.Data})
}

// Sign returns the Standard Webhooks webhook-signature header value: for
// each secret, "v1," and the base64 HMAC-SHA256 of "id.timestamp.body"
// keyed with the decoded part of the whsec_ secret, separated by spaces
// (several during a rotation's grace period; a receiver accepts any one).
func Sign(secrets []string, id string, timestamp int64, body []byte) (string, error) {
	if len(secrets) == 0 {
		return "", errors.New("webhook: no signing secret")
	}
	sigs := make([]string, len(secrets))
	for i, secret := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, integration.SigningSecretPrefix))
		if err != nil {
			return "", errors.New("webhook: signing secret is not whsec_ and base64")
		}
		m := hmac.New(sha256.New, key)
		fmt.Fprintf(m, "%s.%d.", id, timestamp)
		m.Write(body)
		sigs[i] = "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	return strings.Join(sigs, " "), nil
}

// After is the state of j's delivery after an attempt with result r: its
// status, retry step, next attempt (0: none) and delivery time (0: not
// delivered).
func (j Job) After(r Result) (status Status, step int, next, delivered int64) {
	switch r.Outcome {
	case OutcomeSucceeded:
		return Succeeded, j.Step, 0, r.AttemptedAt
	case OutcomeRetry:
		return Pending, j.Step + 1, r.NextAttemptAt, 0
	}
	return Failed, j.Step, 0, 0
}

// CheckRetry refuses a manual retry of delivery id while an attempt holds
// its lease (until leasedUntil) at now: the attempt's result would
// overwrite the retry.
func CheckRetry(id, leasedUntil, now int64) error {
	if leasedUntil > now {
		return apperr.New(apperr.Conflict, "delivery %d is being attempted right now; retry it once the attempt is recorded", id)
	}
	return nil
}

// NewWebhookID returns a webhook-id: unique per delivery, the same for
// every attempt of it, so receivers can drop repeats.
func NewWebhookID() string { return secrets.RandomToken("msg_") }

// maxRetryAfter bounds how long a receiver's Retry-After may postpone a retry.
const maxRetryAfter = time.Hour

// NextDelay is the wait before the retry after step scheduled retries have
// been spent, or false when the schedule is spent. It is the schedule's
// delay with ±20 % jitter, so receivers recovering from an outage are not hit
// by every delivery at once, and never less than a Retry-After (bounded to
// an hour).
func NextDelay(schedule []time.Duration, step int, retryAfter time.Duration) (time.Duration, bool) {
	if step >= len(schedule) {
		return 0, false
	}
	d := schedule[step]
	d += time.Duration((rand.Float64()*0.4 - 0.2) * float64(d))
	return max(d, min(retryAfter, maxRetryAfter)), true
}
