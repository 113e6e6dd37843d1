package playbook

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Visitor is what is known of a website visitor when a playbook may fire,
// and, for a dry run, the answers they would give, in order.
type Visitor struct {
	URL        string            `json:"url"`
	Referrer   string            `json:"referrer,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"` // the contact's
	// Country is the visitor's ISO 3166 alpha-2 code; "" when no country
	// source (a trusted header or an IP database) knows it.
	Country    string `json:"country,omitempty"`
	VisitCount int    `json:"visitCount,omitempty"` // this visit included
	TimeOnPage int    `json:"timeOnPage,omitempty"` // seconds
	Identified bool   `json:"identified,omitempty"` // a known contact (an email, or a signed identity)
	// AgentsOnline is whether an agent of the org is available.
	AgentsOnline bool     `json:"agentsOnline,omitempty"`
	Answers      []string `json:"answers,omitempty"`
	// AccountOwnerID is the owner of the contact's account, 0 when none.
	AccountOwnerID int64 `json:"accountOwnerId,omitempty"`
	// Account is the contact's account's attributes, which routing rules'
	// account conditions read (a dry run's; the runtime reads the account).
	Account map[string]string `json:"account,omitempty"`
}

// Miss is why targeting does not hold: the rule (a field of Targeting) and
// what it wanted.
type Miss struct {
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// Match reports whether the targeting holds for v; when not, the first
// rule that failed, in the order of the Targeting fields.
func (t *Targeting) Match(v *Visitor) *Miss {
	if len(t.URLs) > 0 && !anyURL(t.URLs, v.URL) {
		return &Miss{"targeting.urls", fmt.Sprintf("the page URL %q matches none of the URL rules", v.URL)}
	}
	if len(t.Referrers) > 0 && !anyURL(t.Referrers, v.Referrer) {
		return &Miss{"targeting.referrers", fmt.Sprintf("the referrer %q matches none of the referrer rules", v.Referrer)}
	}
	if len(t.UTM) > 0 {
		var q url.Values
		if u, err := url.Parse(v.URL); err == nil {
			q = u.Query()
		}
		for _, k := range slices.Sorted(maps.Keys(t.UTM)) {
			if got := q.Get("utm_" + k); !strings.EqualFold(got, t.UTM[k]) {
				return &Miss{"targeting.utm." + k, fmt.Sprintf("utm_%s is %q, not %q", k, got, t.UTM[k])}
			}
		}
	}
	visits := max(v.VisitCount, 1)
	if r := t.VisitCount; r != nil && (visits < r.Min || (r.Max > 0 && visits > r.Max)) {
		return &Miss{"targeting.visitCount", fmt.Sprintf("visit %d is outside %d..%d", visits, r.Min, r.Max)}
	}
	if v.TimeOnPage < t.TimeOnPage {
		return &Miss{"targeting.timeOnPage", fmt.Sprintf("%d seconds on the page, fewer than %d", v.TimeOnPage, t.TimeOnPage)}
	}
	switch {
	case t.Visitors == "new" && visits > 1:
		return &Miss{"targeting.visitors", "the visitor is returning, not new"}
	case t.Visitors == "returning" && visits <= 1:
		return &Miss{"targeting.visitors", "the visitor is new, not returning"}
	case t.Visitors == "identified" && !v.identified():
		return &Miss{"targeting.visitors", "the visitor is not identified"}
	}
	for i, c := range t.Attributes {
		if !c.holds(v.Attributes, nil) {
			return &Miss{fmt.Sprintf("targeting.attributes[%d]", i), fmt.Sprintf("attribute %q is %q: not %s %q",
				c.Attribute, v.Attributes[c.Attribute], c.Op, c.Value)}
		}
	}
	if len(t.Countries) > 0 {
		if v.Country == "" {
			return &Miss{"targeting.countries", "the visitor's country is unknown (no country source: set --trusted-country-header or --geoip-db), so country targeting never matches"}
		}
		found := false
		for _, c := range t.Countries {
			found = found || strings.EqualFold(c, v.Country)
		}
		if !found {
			return &Miss{"targeting.countries", fmt.Sprintf("the visitor's country %s is not targeted", strings.ToUpper(v.Country))}
		}
	}
	switch {
	case t.Availability == "online" && !v.AgentsOnline:
		return &Miss{"targeting.availability", "no agent is online; the playbook fires only when one is"}
	case t.Availability == "offline" && v.AgentsOnline:
		return &Miss{"targeting.availability", "an agent is online; the playbook fires only when none is"}
	}
	return nil
}

func (v *Visitor) identified() bool {
	return v.Identified || v.Attributes["email"] != ""
}

func anyURL(rules []URLRule, s string) bool {
	for _, r := range rules {
		if r.matches(s) {
			return true
		}
	}
	return false
}

// matches reports whether s matches r. Exact and contains ignore case, as
// URLs' hosts do; wildcard and regex match the whole URL (a regex anchors
// itself if it wants to).
func (r URLRule) matches(s string) bool {
	switch r.Match {
	case "exact":
		return strings.EqualFold(strings.TrimSuffix(s, "/"), strings.TrimSuffix(r.Value, "/"))
	case "contains":
		return strings.Contains(strings.ToLower(s), strings.ToLower(r.Value))
	case "wildcard":
		parts := strings.Split(r.Value, "*")
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		re, err := regexp.Compile(`(?i)^` + strings.Join(parts, ".*") + `$`)
		return err == nil && re.MatchString(s)
	case "regex":
		re, err := regexp.Compile(r.Value)
		return err == nil && re.MatchString(s)
	}
	return false
}

// holds tests c on attributes, or on answers by question step id.
func (c Condition) holds(attributes, answers map[string]string) bool {
	var got string
	var ok bool
	if c.Answer != "" {
		got, ok = answers[c.Answer]
	} else {
		got, ok = attributes[c.Attribute]
	}
	ok = ok && got != ""
	switch c.Op {
	case "exists":
		return ok
	case "not_exists":
		return !ok
	case "equals":
		return strings.EqualFold(got, c.Value)
	case "not_equals":
		return !strings.EqualFold(got, c.Value)
	case "contains":
		return ok && strings.Contains(strings.ToLower(got), strings.ToLower(c.Value))
	case "gt", "lt":
		a, err1 := strconv.ParseFloat(got, 64)
		b, err2 := strconv.ParseFloat(c.Value, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return (c.Op == "gt" && a > b) || (c.Op == "lt" && a < b)
	}
	return false
}
