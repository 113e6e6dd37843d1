package drift

import (
	"context"
	"encoding/json"
	"net/http"
)

// ReportQuery is a conversation reporting query (Drift's conversation
// reporting API): every filter must hold, and Metrics names the numeric
// properties to report, such as timeToCloseMillis,
// timeToAgentResponseMillis, firstAgentMessageAt or relatedPlaybookId.
type ReportQuery struct {
	Filters []ReportFilter `json:"filters,omitempty"`
	Metrics []string       `json:"metrics"`
}

// ReportFilter is one condition: Property, an Operation (EQUALS, IN,
// BETWEEN, HAS_PROPERTY, GREATER_THAN, …) and its Values (numbers, epoch
// ms, or dates such as "2019-07-22").
type ReportFilter struct {
	Property  string `json:"property"`
	Operation string `json:"operation"`
	Values    []any  `json:"values,omitempty"`
}

// ConversationReport is the answer of POST /reports/conversations.
type ConversationReport struct {
	Count int         `json:"count"` // conversations that matched
	Data  []ReportRow `json:"data"`
}

// ReportRow is one conversation's metrics, in the order asked. A metric
// the conversation lacks is the string "NaN"; the others are json.Number
// (read them with Metric).
type ReportRow struct {
	ConversationID int64 `json:"conversationId"`
	Metrics        []any `json:"metrics"`
}

// Metric returns the i-th metric as a number, false when it is "NaN".
func (r ReportRow) Metric(i int) (float64, bool) {
	if i < 0 || i >= len(r.Metrics) {
		return 0, false
	}
	return reportNumber(r.Metrics[i])
}

// reportNumber reads a reported value: a number, or "NaN" (false).
func reportNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	}
	return 0, false
}

// ReportConversations runs q over the org's conversations, one row each.
func (c *Client) ReportConversations(ctx context.Context, q ReportQuery) (*ConversationReport, error) {
	var out ConversationReport
	if err := c.Do(ctx, http.MethodPost, "/reports/conversations", q, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ConversationSummary is the answer of POST /reports/conversation-summary:
// each metric summed up over the conversations that matched.
type ConversationSummary struct {
	Count int             `json:"count"`
	Data  []MetricSummary `json:"data"`
}

// MetricSummary sums one metric up over the Count conversations that have
// it. Sum, Average, Min and Max are json.Number, or "NaN" when none has it
// (read them with Number).
type MetricSummary struct {
	Metric  string `json:"metric"`
	Count   int    `json:"count"`
	Sum     any    `json:"sum"`
	Average any    `json:"average"`
	Min     any    `json:"min"`
	Max     any    `json:"max"`
}

// Number reads one of the summary's values (Sum, Average, Min or Max),
// false when it is "NaN".
func (MetricSummary) Number(v any) (float64, bool) { return reportNumber(v) }

// SummarizeConversations runs q over the org's conversations, summed up.
func (c *Client) SummarizeConversations(ctx context.Context, q ReportQuery) (*ConversationSummary, error) {
	var out ConversationSummary
	if err := c.Do(ctx, http.MethodPost, "/reports/conversation-summary", q, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
