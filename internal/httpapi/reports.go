package httpapi

import (
	"net/http"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/report"
)

// reportQuery reads and validates a reporting request's body.
func reportQuery(r *http.Request) (report.Query, error) {
	var q report.Query
	if err := decodeJSON(r, &q); err != nil {
		return q, err
	}
	if q.Metrics == nil && q.Filters == nil {
		return q, apperr.Invalidf("metrics", "give metrics and/or filters")
	}
	return q, q.Validate()
}

// conversationReport serves POST /reports/conversations (Drift's
// conversation reporting API): {count, data: [{conversationId, metrics}]},
// each metric a number or "NaN".
func (s *Server) conversationReport(w http.ResponseWriter, r *http.Request) error {
	q, err := reportQuery(r)
	if err != nil {
		return err
	}
	facts, err := s.cfg.Store.ConversationFacts(r.Context(), orgID(r))
	if err != nil {
		return err
	}
	count, rows := report.Conversations(facts, q)
	return writeJSON(w, http.StatusOK, map[string]any{"count": count, "data": rows})
}

// conversationSummary serves POST /reports/conversation-summary: the same
// query, each metric summed up over the matching conversations
// ({count, data: [{metric, count, sum, average, min, max}]}; Drift does not
// document this answer, so the shape is Driftwood's).
func (s *Server) conversationSummary(w http.ResponseWriter, r *http.Request) error {
	q, err := reportQuery(r)
	if err != nil {
		return err
	}
	facts, err := s.cfg.Store.ConversationFacts(r.Context(), orgID(r))
	if err != nil {
		return err
	}
	count, sums := report.Summarize(facts, q)
	return writeJSON(w, http.StatusOK, map[string]any{"count": count, "data": sums})
}
