package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/scim"
)

// scimSegments are the spellings of SCIM's resource endpoints that the
// routes use, by their lower-case form.
var scimSegments = map[string]string{}

func init() {
	for _, seg := range []string{"Users", "Groups", "ServiceProviderConfig", "serviceConfiguration", "Schemas", "ResourceTypes"} {
		scimSegments[strings.ToLower(seg)] = seg
	}
}

// CanonicalSCIMPath spells a SCIM path's resource segments as the routes
// do, so that /scim/users reaches /scim/Users: SCIM clients are known to
// vary the case (RFC 7644 §3.10 makes attribute names case-insensitive,
// and identity providers treat endpoints alike). Ids are left as sent.
func CanonicalSCIMPath(p string) string {
	segs := strings.Split(p, "/")
	if len(segs) < 2 || !strings.EqualFold(segs[1], "scim") {
		return p
	}
	segs[1] = "scim"
	resource := 2
	if len(segs) > 2 && strings.EqualFold(segs[2], "v2") {
		segs[2], resource = "v2", 3
	}
	if len(segs) > resource {
		if c, ok := scimSegments[strings.ToLower(segs[resource])]; ok {
			segs[resource] = c
		}
	}
	return strings.Join(segs, "/")
}

// writeSCIM writes v with SCIM's content type.
func writeSCIM(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/scim+json; charset=utf-8")
	return writeJSONBody(w, status, v)
}

// scimBase is the SCIM base URL the request came in on (/scim or /scim/v2).
func (s *Server) scimBase(r *http.Request) string {
	p := strings.TrimPrefix(r.URL.Path, "/v1")
	if strings.HasPrefix(p, "/scim/v2/") {
		return s.cfg.PublicURL + "/scim/v2"
	}
	return s.cfg.PublicURL + "/scim"
}

// listResponse is SCIM's ListResponse, in the shape Drift documents.
func listResponse(resources []map[string]any, total, startIndex int) map[string]any {
	if resources == nil {
		resources = []map[string]any{}
	}
	return map[string]any{
		"schemas": []string{scim.ListResponse}, "totalResults": total, "Resources": resources,
		"startIndex": startIndex, "itemsPerPage": len(resources),
	}
}

func (s *Server) scimServiceProviderConfig(w http.ResponseWriter, r *http.Request) error {
	return writeSCIM(w, http.StatusOK, scim.ServiceProviderConfig(s.scimBase(r)))
}

func (s *Server) scimSchemas(w http.ResponseWriter, r *http.Request) error {
	docs := scim.Schemas(s.scimBase(r))
	return writeSCIM(w, http.StatusOK, listResponse(docs, len(docs), 1))
}

func (s *Server) scimResourceTypes(w http.ResponseWriter, r *http.Request) error {
	docs := scim.ResourceTypes(s.scimBase(r))
	return writeSCIM(w, http.StatusOK, listResponse(docs, len(docs), 1))
}

// scimDocument serves one Schema or ResourceType by id.
func (s *Server) scimDocument(list func(base string) []map[string]any) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		for _, d := range list(s.scimBase(r)) {
			if d["id"] == r.PathValue("id") {
				return writeSCIM(w, http.StatusOK, d)
			}
		}
		return apperr.NotFoundf("no document with id %q", r.PathValue("id"))
	}
}

// scimGroups serves GET /Groups: the org's teams as SCIM Groups, filtered
// (displayName eq "…", externalId, members[value eq "…"]) and paged as
// /Users is.
func (s *Server) scimGroups(w http.ResponseWriter, r *http.Request) error {
	groups, err := s.cfg.Store.SCIMGroups(r.Context(), orgID(r))
	if err != nil {
		return err
	}
	base := s.scimBase(r)
	return writeSCIMList(w, r, len(groups), func(i int) map[string]any {
		return scim.GroupResource(groups[i], base).Generic()
	})
}

// writeSCIMList answers a list request over n resources (resource(i) gives
// the i-th): the ones its filter matches, paged by startIndex and count,
// each projected by attributes and excludedAttributes.
func writeSCIMList(w http.ResponseWriter, r *http.Request, n int, resource func(i int) map[string]any) error {
	filter, start, count, err := scimListParams(r)
	if err != nil {
		return err
	}
	var matched []map[string]any
	for i := range n {
		res := resource(i)
		if filter == nil || filter.Match(res) {
			matched = append(matched, res)
		}
	}
	page := matched[min(start-1, len(matched)):min(start-1+count, len(matched))]
	q := r.URL.Query()
	for _, res := range page {
		scim.Project(res, q.Get("attributes"), q.Get("excludedAttributes"))
	}
	return writeSCIM(w, http.StatusOK, listResponse(page, len(matched), start))
}

// scimListParams reads a list's filter, startIndex and count.
func scimListParams(r *http.Request) (scim.Filter, int, int, error) {
	var filter scim.Filter
	if f := r.URL.Query().Get("filter"); f != "" {
		var err error
		if filter, err = scim.ParseFilter(f); err != nil {
			return nil, 0, 0, err
		}
	}
	// RFC 7644 §3.4.2.4: startIndex below 1 means 1, count below 0 means 0.
	start, err := queryInt(r, "startIndex", 1, -1<<31, 1<<31-1)
	if err != nil {
		return nil, 0, 0, err
	}
	count, err := queryInt(r, "count", scim.MaxResults, -1<<31, 1<<31-1)
	if err != nil {
		return nil, 0, 0, err
	}
	return filter, max(start, 1), min(max(count, 0), scim.MaxResults), nil
}

// scimGroupID reads the group id in the path: like a user's, an id that
// is not a Drift id names no group.
func scimGroupID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.NotFoundf("no group with id %q", r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) scimGroup(w http.ResponseWriter, r *http.Request) error {
	id, err := scimGroupID(r)
	if err != nil {
		return err
	}
	g, err := s.cfg.Store.SCIMGroup(r.Context(), orgID(r), id)
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, http.StatusOK, g)
}

// writeGroup answers a group, projected by attributes and excludedAttributes.
func (s *Server) writeGroup(w http.ResponseWriter, r *http.Request, status int, g *scim.GroupRecord) error {
	res := scim.GroupResource(g, s.scimBase(r)).Generic()
	scim.Project(res, r.URL.Query().Get("attributes"), r.URL.Query().Get("excludedAttributes"))
	return writeSCIM(w, status, res)
}

func (s *Server) createSCIMGroup(w http.ResponseWriter, r *http.Request) error {
	var g scim.Group
	if err := decodeJSON(r, &g); err != nil {
		return err
	}
	rec := &scim.GroupRecord{OrgID: orgID(r)}
	if err := g.Apply(rec); err != nil {
		return err
	}
	if err := s.cfg.Store.CreateSCIMGroup(r.Context(), rec); err != nil {
		return err
	}
	w.Header().Set("Location", s.scimBase(r)+"/Groups/"+strconv.FormatInt(rec.ID, 10))
	return s.writeGroup(w, r, http.StatusCreated, rec)
}

func (s *Server) replaceSCIMGroup(w http.ResponseWriter, r *http.Request) error {
	id, err := scimGroupID(r)
	if err != nil {
		return err
	}
	var g scim.Group
	if err := decodeJSON(r, &g); err != nil {
		return err
	}
	rec, err := s.cfg.Store.UpdateSCIMGroup(r.Context(), orgID(r), id, g.Apply)
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, http.StatusOK, rec)
}

// patchSCIMGroup answers 204, as Entra and Okta expect of a group PATCH
// (RFC 7644 §3.5.2 allows it), or 200 with the group when the request asks
// for attributes.
func (s *Server) patchSCIMGroup(w http.ResponseWriter, r *http.Request) error {
	id, err := scimGroupID(r)
	if err != nil {
		return err
	}
	var req scim.PatchRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	rec, err := s.cfg.Store.UpdateSCIMGroup(r.Context(), orgID(r), id, func(g *scim.GroupRecord) error {
		return scim.PatchGroup(&req, g)
	})
	if err != nil {
		return err
	}
	if q := r.URL.Query(); q.Has("attributes") || q.Has("excludedAttributes") {
		return s.writeGroup(w, r, http.StatusOK, rec)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) deleteSCIMGroup(w http.ResponseWriter, r *http.Request) error {
	id, err := scimGroupID(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.DeleteSCIMGroup(r.Context(), orgID(r), id); err != nil {
		if apperr.CodeOf(err) == apperr.NotFound {
			return apperr.NotFoundf("no group with id %d", id)
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listSCIMUsers(w http.ResponseWriter, r *http.Request) error {
	records, err := s.cfg.Store.SCIMUsers(r.Context(), orgID(r))
	if err != nil {
		return err
	}
	base := s.scimBase(r)
	return writeSCIMList(w, r, len(records), func(i int) map[string]any {
		return scim.Resource(records[i], base).Generic()
	})
}

// scimUserID reads the user id in the path. An id that is not a Drift id
// names no user: 404, as SCIM ids are opaque strings.
func scimUserID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.NotFoundf("no user with id %q", r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) getSCIMUser(w http.ResponseWriter, r *http.Request) error {
	id, err := scimUserID(r)
	if err != nil {
		return err
	}
	rec, err := s.cfg.Store.SCIMUser(r.Context(), orgID(r), id)
	if err != nil {
		return err
	}
	res := scim.Resource(rec, s.scimBase(r)).Generic()
	scim.Project(res, r.URL.Query().Get("attributes"), r.URL.Query().Get("excludedAttributes"))
	return writeSCIM(w, http.StatusOK, res)
}

func (s *Server) createSCIMUser(w http.ResponseWriter, r *http.Request) error {
	var u scim.User
	if err := decodeJSON(r, &u); err != nil {
		return err
	}
	rec := &scim.Record{}
	rec.OrgID = orgID(r)
	if err := u.Apply(rec); err != nil {
		return err
	}
	if err := s.cfg.Store.CreateSCIMUser(r.Context(), rec); err != nil {
		return err
	}
	res := scim.Resource(rec, s.scimBase(r))
	w.Header().Set("Location", res.Meta.Location)
	return writeSCIM(w, http.StatusCreated, res)
}

// replaceSCIMUser serves PUT /Users/{id} and the seed's PUT /Users, which
// names the user by the body's id or userName.
func (s *Server) replaceSCIMUser(w http.ResponseWriter, r *http.Request) error {
	var u scim.User
	if err := decodeJSON(r, &u); err != nil {
		return err
	}
	id, err := s.scimTarget(r, u.ID, u.UserName)
	if err != nil {
		return err
	}
	rec, err := s.cfg.Store.UpdateSCIMUser(r.Context(), orgID(r), id, u.Apply)
	if err != nil {
		return err
	}
	return writeSCIM(w, http.StatusOK, scim.Resource(rec, s.scimBase(r)))
}

func (s *Server) patchSCIMUser(w http.ResponseWriter, r *http.Request) error {
	id, err := scimUserID(r)
	if err != nil {
		return err
	}
	var req scim.PatchRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	rec, err := s.cfg.Store.UpdateSCIMUser(r.Context(), orgID(r), id, func(rec *scim.Record) error {
		return scim.PatchUser(&req, rec)
	})
	if err != nil {
		return err
	}
	return writeSCIM(w, http.StatusOK, scim.Resource(rec, s.scimBase(r)))
}

// deleteSCIMUser serves DELETE /Users/{id} and the seed's DELETE /Users
// with the user's id or userName in the body.
func (s *Server) deleteSCIMUser(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		ID       string `json:"id"`
		UserName string `json:"userName"`
	}
	if r.PathValue("id") == "" {
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
	}
	id, err := s.scimTarget(r, body.ID, body.UserName)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.DeleteSCIMUser(r.Context(), orgID(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// scimTarget finds the user a write names: the path's id, else the body's
// id, else the body's userName (the seed's id-less forms).
func (s *Server) scimTarget(r *http.Request, bodyID, userName string) (int64, error) {
	if r.PathValue("id") != "" {
		return scimUserID(r)
	}
	if bodyID != "" {
		r.SetPathValue("id", bodyID)
		return scimUserID(r)
	}
	if userName == "" {
		return 0, apperr.Invalidf("id", "name the user by id in the path, or by id or userName in the body")
	}
	records, err := s.cfg.Store.SCIMUsers(r.Context(), orgID(r))
	if err != nil {
		return 0, err
	}
	for _, rec := range records {
		if strings.EqualFold(scim.Resource(rec, "").UserName, userName) {
			return rec.ID, nil
		}
	}
	return 0, apperr.NotFoundf("no user with userName %q", userName)
}
