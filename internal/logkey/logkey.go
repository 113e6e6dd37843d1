// Package logkey names the attributes of Driftwood's log lines, one spelling
// each, so that every line about an org carries org_id, every line about a
// request carries request_id, and a search for one finds them all.
package logkey

// Identities: what a line is about.
const (
	RequestID     = "request_id"      // the request's X-Request-Id
	OrgID         = "org_id"          // an org
	TokenID       = "token_id"        // an API token
	AppID         = "app_id"          // an app
	DeliveryID    = "delivery_id"     // a webhook delivery
	GDPRRequestID = "gdpr_request_id" // a GDPR retrieve or delete request
	Event         = "event"           // an event type, such as new_message
	Subsystem     = "subsystem"       // http, webhook, audit or gdpr
	// ConversationID is a conversation (an offline email's).
	ConversationID = "conversation_id"
)

// What happened.
const (
	Err      = "err"      // the error of a failed operation
	Panic    = "panic"    // a recovered panic's value
	Stack    = "stack"    // its goroutine's stack
	Count    = "count"    // how many things a line counts
	Attempts = "attempts" // webhook attempts in a batch
	Status   = "status"   // an HTTP status
	Outcome  = "outcome"  // a webhook attempt's outcome
	Ms       = "ms"       // a duration in milliseconds
	Bytes    = "bytes"    // an answer's size
)

// Requests, in the access log and in errors.
const (
	Method = "method"
	Path   = "path"
	Route  = "route"  // the ServeMux pattern that matched
	Remote = "remote" // the connection's address
)

// The process.
const (
	Addr    = "addr"    // a listening address
	DB      = "db"      // sqlite or postgres
	Version = "version" // the build's version
	File    = "file"    // a file it created
)

// The audit log's volume anomaly.
const (
	RowsThisHour     = "rows_this_hour"
	UsualRowsPerHour = "usual_rows_per_hour"
)
