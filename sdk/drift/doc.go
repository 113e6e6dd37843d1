// Package drift is a Go client for Drift's REST API (driftapi.com) and for
// Driftwood, which serves the same API: only the base URL differs.
//
// A [Client] covers every operation of Drift's API listing — contacts,
// users, meetings, teams, conversations and messages, accounts, playbooks,
// app administration, GDPR and SCIM users — and what real Drift clients
// call beyond it (users by id, the contact list, conversation reporting),
// with typed requests and answers, and iterators that walk every paginated
// list:
//
//	c := drift.NewClient(drift.DefaultBaseURL, drift.StaticToken(os.Getenv("DRIFT_TOKEN")))
//	for conv, err := range c.Conversations(ctx, drift.ConversationListOptions{}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(conv.ID, conv.Status)
//	}
//
// Conventions follow Drift's: ids of contacts, conversations and messages
// are int64; timestamps are epoch milliseconds as int64 ([Time] and
// [Millis] convert); an account's id is a string.
//
// Every call takes a context. Requests answered 429, and idempotent
// requests answered 5xx or lost on the network, are retried with
// exponential backoff and jitter, honouring Retry-After (see
// [RetryPolicy]). A failed call returns an [*Error] carrying the HTTP status
// and Drift's error type and message; errors.Is matches it against
// [ErrNotFound] and the other sentinels.
//
// Tokens come from a [TokenSource]: a [StaticToken] (an app's install token
// or a Driftwood token), or an [OAuthTokenSource], which refreshes the access
// token with the refresh token when it expires or the API refuses it.
//
// Webhooks: a [WebhookVerifier] checks an incoming request (verification
// token, Standard Webhooks signature) and parses it into an [Event] whose
// Data is typed per event type.
//
// Driftwood's own API, which Drift does not have (simulating a website
// visitor, registering apps), is reached through [Client.Driftwood].
package drift
