// Package report is Drift's conversation reporting API (devdocs,
// "conversation reporting"): a query of filters and metrics over an org's
// conversations, answered per conversation (POST /reports/conversations) or
// summed up (POST /reports/conversation-summary). The facts are computed
// from the stored conversations, their messages and their status changes.
package report

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
)

// Facts is what Driftwood knows of one conversation for reporting. A zero
// time or id is unknown (a metric of it answers "NaN").
type Facts struct {
	ConversationID int64
	ContactID      int64
	Status         string // open, closed, pending
	CreatedAt      int64
	UpdatedAt      int64
	Participants   int

	FirstCloseAt, LastCloseAt int64

	FirstContactMessageAt int64
	FirstAgentMessageAt   int64
	LastAgentMessageAt    int64
	FirstAgentID          int64
	LastAgentID           int64

	Messages, ContactMessages, AgentMessages, BotMessages int
}

// AddMessage folds a message into f, in the order messages were posted.
// Only chat messages count; an agent is a user who is not a bot.
func (f *Facts) AddMessage(authorType string, authorID int64, bot bool, typ string, at int64) {
	if typ != "chat" {
		return
	}
	f.Messages++
	switch {
	case authorType == "contact":
		f.ContactMessages++
		if f.FirstContactMessageAt == 0 {
			f.FirstContactMessageAt = at
		}
	case bot:
		f.BotMessages++
	default:
		f.AgentMessages++
		if f.FirstAgentMessageAt == 0 {
			f.FirstAgentMessageAt, f.FirstAgentID = at, authorID
		}
		f.LastAgentMessageAt, f.LastAgentID = at, authorID
	}
}

// AddStatus folds a status change into f, in the order they happened.
func (f *Facts) AddStatus(status string, at int64) {
	if status != "closed" {
		return
	}
	if f.FirstCloseAt == 0 {
		f.FirstCloseAt = at
	}
	f.LastCloseAt = at
}

// since is end-start when both are known.
func since(start, end int64) (float64, bool) {
	if start == 0 || end == 0 || end < start {
		return 0, false
	}
	return float64(end - start), true
}

func known(n int64) (float64, bool) { return float64(n), n != 0 }

// Properties are the numeric properties a query filters on and asks for as
// metrics, by Drift's names.
var Properties = map[string]func(f *Facts) (float64, bool){
	"conversationId":            func(f *Facts) (float64, bool) { return known(f.ConversationID) },
	"contactId":                 func(f *Facts) (float64, bool) { return known(f.ContactID) },
	"createdAt":                 func(f *Facts) (float64, bool) { return known(f.CreatedAt) },
	"updatedAt":                 func(f *Facts) (float64, bool) { return known(f.UpdatedAt) },
	"firstCloseAt":              func(f *Facts) (float64, bool) { return known(f.FirstCloseAt) },
	"lastCloseAt":               func(f *Facts) (float64, bool) { return known(f.LastCloseAt) },
	"timeToCloseMillis":         func(f *Facts) (float64, bool) { return since(f.CreatedAt, f.FirstCloseAt) },
	"firstContactMessageAt":     func(f *Facts) (float64, bool) { return known(f.FirstContactMessageAt) },
	"firstAgentMessageAt":       func(f *Facts) (float64, bool) { return known(f.FirstAgentMessageAt) },
	"lastAgentMessageAt":        func(f *Facts) (float64, bool) { return known(f.LastAgentMessageAt) },
	"timeToAgentResponseMillis": func(f *Facts) (float64, bool) { return since(f.FirstContactMessageAt, f.FirstAgentMessageAt) },
	"firstAgentId":              func(f *Facts) (float64, bool) { return known(f.FirstAgentID) },
	"lastAgentId":               func(f *Facts) (float64, bool) { return known(f.LastAgentID) },
	"messageCount":              func(f *Facts) (float64, bool) { return float64(f.Messages), true },
	"contactMessageCount":       func(f *Facts) (float64, bool) { return float64(f.ContactMessages), true },
	"agentMessageCount":         func(f *Facts) (float64, bool) { return float64(f.AgentMessages), true },
	"botMessageCount":           func(f *Facts) (float64, bool) { return float64(f.BotMessages), true },
	"participantCount":          func(f *Facts) (float64, bool) { return float64(f.Participants), true },
	// Driftwood does not record which playbook started a conversation.
	"relatedPlaybookId": func(f *Facts) (float64, bool) { return 0, false },
}

// StringProperties are filter-only properties with text values.
var StringProperties = map[string]func(f *Facts) string{
	"status": func(f *Facts) string { return strings.ToUpper(f.Status) },
}

// The operations of a filter.
const (
	OpEquals         = "EQUALS"
	OpNotEquals      = "NOT_EQUALS"
	OpIn             = "IN"
	OpNotIn          = "NOT_IN"
	OpGreater        = "GREATER_THAN"
	OpGreaterOrEqual = "GREATER_THAN_OR_EQUAL"
	OpLess           = "LESS_THAN"
	OpLessOrEqual    = "LESS_THAN_OR_EQUAL"
	OpBetween        = "BETWEEN"
	OpHasProperty    = "HAS_PROPERTY"
	OpNoProperty     = "DOES_NOT_HAVE_PROPERTY"
)

// opAliases are other spellings clients send.
var opAliases = map[string]string{
	"EQ": OpEquals, "EQUAL": OpEquals, "NE": OpNotEquals, "NOT_EQUAL": OpNotEquals, "NEQ": OpNotEquals,
	"GT": OpGreater, "GTE": OpGreaterOrEqual, "LT": OpLess, "LTE": OpLessOrEqual,
	"GREATER_THAN_OR_EQUAL_TO": OpGreaterOrEqual, "LESS_THAN_OR_EQUAL_TO": OpLessOrEqual,
	"NOT_HAS_PROPERTY": OpNoProperty, "HAS_NO_PROPERTY": OpNoProperty,
}

// Operations lists the operations, for errors and docs.
var Operations = []string{OpEquals, OpNotEquals, OpIn, OpNotIn, OpGreater, OpGreaterOrEqual, OpLess, OpLessOrEqual,
	OpBetween, OpHasProperty, OpNoProperty}

// Limits of a query.
const (
	MaxFilters = 50
	MaxMetrics = 50
	MaxValues  = 1000
	// MaxRows is the most conversations /reports/conversations lists;
	// count still says how many matched.
	MaxRows = 10000
)

// Filter is one condition of a query.
type Filter struct {
	Property  string `json:"property"`
	Operation string `json:"operation"`
	Values    []any  `json:"values"`

	nums []float64 // Values as numbers (dates as epoch ms), for numeric properties
	strs []string  // Values as upper-case text, for string properties
}

// Query is a reporting request: every filter must hold (no filter: every
// conversation), and metrics name the numbers to report.
type Query struct {
	Filters []Filter `json:"filters"`
	Metrics []string `json:"metrics"`
}

// Validate checks q and prepares its filters' values. Operations are read
// in any case.
func (q *Query) Validate() error {
	if len(q.Filters) > MaxFilters {
		return apperr.Invalidf("filters", "at most %d filters, got %d", MaxFilters, len(q.Filters))
	}
	if len(q.Metrics) > MaxMetrics {
		return apperr.Invalidf("metrics", "at most %d metrics, got %d", MaxMetrics, len(q.Metrics))
	}
	for i, m := range q.Metrics {
		if _, ok := Properties[m]; !ok {
			return apperr.Invalidf(fmt.Sprintf("metrics[%d]", i), "metrics[%d] is not a numeric property Driftwood reports (%s)", i, names())
		}
	}
	for i := range q.Filters {
		if err := q.Filters[i].validate(fmt.Sprintf("filters[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

func names() string {
	var ns []string
	for n := range Properties {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return strings.Join(ns, ", ")
}

func (f *Filter) validate(param string) error {
	_, numeric := Properties[f.Property]
	_, text := StringProperties[f.Property]
	if !numeric && !text {
		return apperr.Invalidf(param+".property", "%s.property is not a property Driftwood reports (%s, status)", param, names())
	}
	op := strings.ToUpper(strings.TrimSpace(f.Operation))
	if alias, ok := opAliases[op]; ok {
		op = alias
	}
	if !slices.Contains(Operations, op) {
		return apperr.Invalidf(param+".operation", "%s.operation must be one of %s", param, strings.Join(Operations, ", "))
	}
	f.Operation = op
	if len(f.Values) > MaxValues {
		return apperr.Invalidf(param+".values", "at most %d values, got %d", MaxValues, len(f.Values))
	}
	want := -1 // any number, at least one
	switch op {
	case OpHasProperty, OpNoProperty:
		want = 0
	case OpBetween:
		want = 2
	case OpEquals, OpNotEquals, OpGreater, OpGreaterOrEqual, OpLess, OpLessOrEqual:
		want = 1
	}
	switch {
	case want >= 0 && len(f.Values) != want:
		return apperr.Invalidf(param+".values", "%s takes %d value(s), got %d", op, want, len(f.Values))
	case want < 0 && len(f.Values) == 0:
		return apperr.Invalidf(param+".values", "%s takes at least one value", op)
	}
	if text && op != OpHasProperty && op != OpNoProperty && op != OpEquals && op != OpNotEquals && op != OpIn && op != OpNotIn {
		return apperr.Invalidf(param+".operation", "%s is a text property: EQUALS, NOT_EQUALS, IN, NOT_IN or HAS_PROPERTY", f.Property)
	}
	for i, v := range f.Values {
		vp := fmt.Sprintf("%s.values[%d]", param, i)
		if text {
			s, ok := v.(string)
			if !ok {
				return apperr.Invalidf(vp, "%s must be a string", vp)
			}
			f.strs = append(f.strs, strings.ToUpper(s))
			continue
		}
		n, ok := numberOf(v, op == OpBetween && i == 1 || op == OpLessOrEqual)
		if !ok {
			return apperr.Invalidf(vp, "%s must be a number, or a date (YYYY-MM-DD or RFC 3339)", vp)
		}
		f.nums = append(f.nums, n)
	}
	if op == OpBetween && f.nums[0] > f.nums[1] {
		return apperr.Invalidf(param+".values", "BETWEEN's first value is after its second")
	}
	return nil
}

// numberOf reads a filter value: a JSON number, a numeric string, or a
// date (epoch ms; a day as an upper bound means its end).
func numberOf(v any, upper bool) (float64, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	default:
		return 0, false
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return n, !math.IsNaN(n) && !math.IsInf(n, 0)
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		if upper {
			d = d.Add(24*time.Hour - time.Millisecond)
		}
		return float64(d.UnixMilli()), true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return float64(t.UnixMilli()), true
	}
	return 0, false
}

// matches reports whether f holds for the conversation facts.
func (f *Filter) matches(facts *Facts) bool {
	if get, ok := StringProperties[f.Property]; ok {
		v := get(facts)
		switch f.Operation {
		case OpHasProperty:
			return v != ""
		case OpNoProperty:
			return v == ""
		case OpEquals, OpIn:
			return slices.Contains(f.strs, v)
		default: // NOT_EQUALS, NOT_IN
			return !slices.Contains(f.strs, v)
		}
	}
	v, ok := Properties[f.Property](facts)
	switch f.Operation {
	case OpHasProperty:
		return ok
	case OpNoProperty:
		return !ok
	case OpNotEquals, OpNotIn:
		return !ok || !slices.Contains(f.nums, v)
	}
	if !ok {
		return false
	}
	switch f.Operation {
	case OpEquals, OpIn:
		return slices.Contains(f.nums, v)
	case OpGreater:
		return v > f.nums[0]
	case OpGreaterOrEqual:
		return v >= f.nums[0]
	case OpLess:
		return v < f.nums[0]
	case OpLessOrEqual:
		return v <= f.nums[0]
	default: // BETWEEN, both ends included
		return v >= f.nums[0] && v <= f.nums[1]
	}
}

// Row is one conversation of /reports/conversations: its metrics in the
// order asked, each a number or "NaN" when the conversation has none.
type Row struct {
	ConversationID int64 `json:"conversationId"`
	Metrics        []any `json:"metrics"`
}

// Conversations answers /reports/conversations: how many conversations
// match, and the rows of the first MaxRows of them by id.
func Conversations(facts []Facts, q Query) (count int, rows []Row) {
	rows = []Row{}
	for i := range facts {
		f := &facts[i]
		if !q.matches(f) {
			continue
		}
		count++
		if len(rows) == MaxRows {
			continue
		}
		r := Row{ConversationID: f.ConversationID, Metrics: make([]any, len(q.Metrics))}
		for j, m := range q.Metrics {
			r.Metrics[j] = "NaN"
			if v, ok := Properties[m](f); ok {
				r.Metrics[j] = v
			}
		}
		rows = append(rows, r)
	}
	return count, rows
}

// Summary is one metric summed up over the matching conversations that
// have it (Count of them); the rest are "NaN" when none has it.
type Summary struct {
	Metric  string `json:"metric"`
	Count   int    `json:"count"`
	Sum     any    `json:"sum"`
	Average any    `json:"average"`
	Min     any    `json:"min"`
	Max     any    `json:"max"`
}

// Summarize answers /reports/conversation-summary: how many conversations
// match, and each metric summed up over them.
func Summarize(facts []Facts, q Query) (count int, out []Summary) {
	out = make([]Summary, len(q.Metrics))
	sums := make([]float64, len(q.Metrics))
	mins := make([]float64, len(q.Metrics))
	maxs := make([]float64, len(q.Metrics))
	for i := range facts {
		f := &facts[i]
		if !q.matches(f) {
			continue
		}
		count++
		for j, m := range q.Metrics {
			v, ok := Properties[m](f)
			if !ok {
				continue
			}
			if out[j].Count == 0 || v < mins[j] {
				mins[j] = v
			}
			if out[j].Count == 0 || v > maxs[j] {
				maxs[j] = v
			}
			sums[j] += v
			out[j].Count++
		}
	}
	for j, m := range q.Metrics {
		s := &out[j]
		s.Metric, s.Sum, s.Average, s.Min, s.Max = m, "NaN", "NaN", "NaN", "NaN"
		if s.Count > 0 {
			s.Sum, s.Average, s.Min, s.Max = sums[j], sums[j]/float64(s.Count), mins[j], maxs[j]
		}
	}
	return count, out
}

func (q *Query) matches(f *Facts) bool {
	for i := range q.Filters {
		if !q.Filters[i].matches(f) {
			return false
		}
	}
	return true
}

// Store reads the facts of an org's conversations, ordered by id.
type Store interface {
	ConversationFacts(ctx context.Context, orgID int64) ([]Facts, error)
}
