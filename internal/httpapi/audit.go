package httpapi

import (
	"errors"
	"net/http"
	"net/netip"
	"reflect"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/audit"
	"github.com/driftwood-chat/driftwood/internal/auth"
)

// clientIP is the address the request came from: the connection's peer.
// Proxy headers (X-Forwarded-For) are not trusted, so that an IP allowlist
// cannot be talked past.
func clientIP(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// auditUse records a request made with the token of p, once the answer is
// written; authErr is why the token was refused, if it was.
func (s *Server) auditUse(w http.ResponseWriter, r *http.Request, p auth.Principal, authErr error) {
	e := s.auditEntry(w, r, audit.Use)
	e.OrgID, e.TokenID, e.AppID = p.OrgID, p.TokenID, p.AppID
	var ae *apperr.Error
	if errors.As(authErr, &ae) && ae.Err != nil {
		e.Detail = "refused: " + ae.Err.Error()
	}
	s.cfg.Audit.Record(e)
}

// auditEntry describes the request and its answer so far.
func (s *Server) auditEntry(w http.ResponseWriter, r *http.Request, kind audit.Kind) audit.Entry {
	e := audit.Entry{Kind: kind, At: time.Now().UnixMilli(), Method: r.Method, Route: r.Pattern}
	if ip := clientIP(r); ip.IsValid() {
		e.ClientIP = ip.String()
	}
	if rec, ok := w.(*recorder); ok {
		e.Status, e.Rows = rec.status, rec.rows
	}
	return e
}

// noteRows tells the audit log how many rows a successful answer carries:
// the length of its list (at the top, under "data", or under the one list
// inside "data"), else one object.
func noteRows(w http.ResponseWriter, status int, v any) {
	rec, ok := w.(*recorder)
	if !ok || status >= 300 {
		return
	}
	rv := reflect.ValueOf(v)
	for range 2 { // unwrap {"data": …} and then {"data": {"messages": […]}}
		if rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String {
			if d := rv.MapIndex(reflect.ValueOf("data")); d.IsValid() {
				rv = reflect.ValueOf(d.Interface())
				continue
			}
			for _, k := range rv.MapKeys() {
				if el := reflect.ValueOf(rv.MapIndex(k).Interface()); el.Kind() == reflect.Slice {
					rv = el
					break
				}
			}
		}
	}
	if rv.Kind() == reflect.Slice {
		rec.rows = int64(rv.Len())
	} else {
		rec.rows = 1
	}
}

// listAudit serves GET /driftwood/v1/audit, the org's audit log, newest
// first: ?token=ID&kind=use|refused|anomaly&limit=N&next=CURSOR. There is
// no API to change or delete an entry.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var f audit.Filter
	var err error
	if q.Has("token") {
		if f.TokenID, err = parseID("token", q.Get("token")); err != nil {
			return err
		}
	}
	if f.Kind = audit.Kind(q.Get("kind")); f.Kind != "" && !audit.ValidKind(f.Kind) {
		return apperr.Invalidf("kind", "kind must be use, refused or anomaly, got %q", f.Kind)
	}
	if q.Get("next") != "" {
		if f.Before, err = parseID("next", q.Get("next")); err != nil {
			return err
		}
	}
	if f.Limit, err = queryInt(r, "limit", 50, 1, 500); err != nil {
		return err
	}
	limit := f.Limit
	f.Limit++ // one more tells whether there is a next page
	es, err := s.cfg.Store.ListAudit(r.Context(), orgID(r), f)
	if err != nil {
		return err
	}
	es, page := cursorPage(es, limit, func(e audit.Entry) int64 { return e.ID })
	return writeJSON(w, http.StatusOK, map[string]any{"data": es, "pagination": page})
}
