package httpapi

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/account"
	"github.com/driftwood-chat/driftwood/internal/apperr"
)

// Account list sizes (docs/design.md: default 10, max 65).
const (
	defaultAccountPage = 10
	maxAccountPage     = 65
)

// accountBody is the body of account create and update. ownerId arrives as
// a number or a numeric string, and as owner_id in the seed listing.
type accountBody struct {
	AccountID        *string             `json:"accountId"`
	OwnerID          any                 `json:"ownerId"`
	OwnerIDSnake     any                 `json:"owner_id"`
	Name             *string             `json:"name"`
	Domain           *string             `json:"domain"`
	CustomProperties *[]account.Property `json:"customProperties"`
	Targeted         *bool               `json:"targeted"`
}

func (b *accountBody) fields() (account.Fields, error) {
	f := account.Fields{Name: b.Name, Domain: b.Domain, CustomProperties: b.CustomProperties, Targeted: b.Targeted}
	param, owner := "ownerId", b.OwnerID
	if owner == nil {
		param, owner = "owner_id", b.OwnerIDSnake
	}
	if owner != nil {
		id, err := parseID(param, scalarString(owner))
		if err != nil {
			return f, err
		}
		f.OwnerID = &id
	}
	return f, nil
}

func (s *Server) createAccount(w http.ResponseWriter, r *http.Request) error {
	var body accountBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	f, err := body.fields()
	if err != nil {
		return err
	}
	a, err := s.cfg.Store.CreateAccount(r.Context(), orgID(r), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(a))
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := s.cfg.Store.GetAccount(r.Context(), orgID(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(a))
}

// listAccounts serves GET /accounts?index=&size=: data.accounts, and
// data.next, the relative path of the next page (clients both append it to
// their base URL and parse it), unless this is the last. A size over 65 is
// capped at 65, as Drift does.
func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) error {
	index, err := queryInt(r, "index", 0, 0, math.MaxInt32)
	if err != nil {
		return err
	}
	size, err := cappedQueryInt(r, "size", defaultAccountPage, maxAccountPage)
	if err != nil {
		return err
	}
	as, more, err := s.cfg.Store.ListAccounts(r.Context(), orgID(r), index, size)
	if err != nil {
		return err
	}
	page := map[string]any{"accounts": as}
	if more {
		q := url.Values{"index": {fmt.Sprint(index + size)}, "size": {fmt.Sprint(size)}}
		page["next"] = "/accounts?" + q.Encode()
	}
	return writeJSON(w, http.StatusOK, data(page))
}

// updateAccount serves PATCH /accounts/update: the account named by
// accountId in the body.
func (s *Server) updateAccount(w http.ResponseWriter, r *http.Request) error {
	var body accountBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.AccountID == nil || strings.TrimSpace(*body.AccountID) == "" {
		return apperr.Invalidf("accountId", "accountId is required")
	}
	f, err := body.fields()
	if err != nil {
		return err
	}
	a, err := s.cfg.Store.UpdateAccount(r.Context(), orgID(r), strings.TrimSpace(*body.AccountID), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(a))
}

// deleteAccount serves DELETE /accounts/{id}: a soft delete.
func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Store.DeleteAccount(r.Context(), orgID(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, okBody)
}
