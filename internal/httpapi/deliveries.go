package httpapi

import (
	"net/http"
	"strconv"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/integration"
	"github.com/driftwood-chat/driftwood/internal/webhook"
)

// listDeliveries serves the delivery log of the org's apps, newest first:
// ?app=ID&event=TYPE&status=pending|succeeded|failed&limit=N&next=CURSOR.
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := webhook.Filter{EventType: events.Type(q.Get("event")), Status: webhook.Status(q.Get("status"))}
	var err error
	if q.Has("app") {
		if f.AppID, err = parseID("app", q.Get("app")); err != nil {
			return err
		}
	}
	if _, ok := integration.EventScope[f.EventType]; f.EventType != "" && !ok {
		return apperr.Invalidf("event", "%q is not a Drift webhook event", f.EventType)
	}
	if f.Status != "" && !webhook.ValidStatus(string(f.Status)) {
		return apperr.Invalidf("status", "status must be pending, succeeded or failed, got %q", f.Status)
	}
	if q.Get("next") != "" {
		if f.Before, err = parseID("next", q.Get("next")); err != nil {
			return err
		}
	}
	if f.Limit, err = queryInt(r, "limit", 25, 1, 100); err != nil {
		return err
	}
	limit := f.Limit
	f.Limit++ // one more tells whether there is a next page
	ds, err := s.cfg.Store.ListDeliveries(r.Context(), orgID(r), f)
	if err != nil {
		return err
	}
	page := map[string]any{"more": len(ds) > limit}
	if len(ds) > limit {
		ds = ds[:limit]
		page["next"] = strconv.FormatInt(ds[limit-1].ID, 10)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"data": ds, "pagination": page})
}

func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.cfg.Store.GetDelivery(r.Context(), orgID(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(struct {
		*webhook.Delivery
		Attempts []webhook.Attempt `json:"attempts"`
	}{d, d.Attempts}))
}

// retryDelivery serves POST /driftwood/v1/deliveries/{id}/retry: the delivery
// is attempted again now (a replay, when it had succeeded).
func (s *Server) retryDelivery(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.cfg.Store.RetryDelivery(r.Context(), orgID(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(d))
}
