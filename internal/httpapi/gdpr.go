package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/gdpr"
	"github.com/driftwood-chat/driftwood/internal/logkey"
)

// firstParty reports whether p may use the GDPR API: Drift grants it only
// to apps the org owns itself, never to third-party apps (reference §9).
// Tokens of no app (the org's admin and CLI tokens) are the org's own.
func (s *Server) firstParty(ctx context.Context, p auth.Principal) (bool, error) {
	if p.AppID == 0 {
		return true, nil
	}
	_, err := s.cfg.Apps.Get(ctx, p.OrgID, p.AppID) // only the owner org finds it
	if errors.Is(err, apperr.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (s *Server) gdprRetrieve(w http.ResponseWriter, r *http.Request) error {
	return s.gdprRequest(w, r, gdpr.Retrieve)
}

func (s *Server) gdprDelete(w http.ResponseWriter, r *http.Request) error {
	return s.gdprRequest(w, r, gdpr.Delete)
}

// gdprRequest accepts a request as a durable job and, once it is recorded,
// carries it out at once; if that fails, the GDPR worker finishes it.
func (s *Server) gdprRequest(w http.ResponseWriter, r *http.Request, kind gdpr.Kind) error {
	p, _ := auth.FromContext(r.Context())
	if ok, err := s.firstParty(r.Context(), p); err != nil {
		return err
	} else if !ok {
		return apperr.New(apperr.Forbidden, "only apps owned by this org may use the GDPR API")
	}
	var body struct {
		Email string `json:"email"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	req, err := gdpr.NewRequest(p.OrgID, kind, body.Email)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.CreateGDPRRequest(r.Context(), req); err != nil {
		return err
	}
	if err := s.cfg.Store.ProcessGDPRRequest(r.Context(), req.ID); err != nil {
		s.log.Warn("gdpr request left for the worker", logkey.RequestID, requestID(r.Context()), logkey.GDPRRequestID, req.ID, logkey.Err, err)
	}
	// requestId is Driftwood's addition: the export is served at
	// /driftwood/v1/gdpr/requests/{requestId}.
	return writeJSON(w, http.StatusOK, data(map[string]any{"message": kind.Message(), "requestId": req.ID}))
}

func (s *Server) getGDPRRequest(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	req, err := s.cfg.Store.GDPRRequest(r.Context(), orgID(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(req))
}

func (s *Server) listGDPRRequests(w http.ResponseWriter, r *http.Request) error {
	reqs, err := s.cfg.Store.GDPRRequests(r.Context(), orgID(r))
	if err != nil {
		return err
	}
	if reqs == nil {
		reqs = []*gdpr.Request{}
	}
	return writeJSON(w, http.StatusOK, data(reqs))
}
