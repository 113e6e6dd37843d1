package httpapi

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/meeting"
	"github.com/driftwood-chat/driftwood/internal/playbook"
	"github.com/driftwood-chat/driftwood/internal/seed"
	"github.com/driftwood-chat/driftwood/internal/team"
	"github.com/driftwood-chat/driftwood/internal/user"
)

// Driftwood's admin API for what Drift's REST API only reads: users, teams,
// playbooks and meetings, plus resetting and seeding an org for tests.
// Creations answer 201 with {"data": object}.

// adminCreateUser serves POST /driftwood/v1/users: an agent or a bot, with
// any of the User fields (name required; role and availability default to
// member and AVAILABLE).
func (s *Server) adminCreateUser(w http.ResponseWriter, r *http.Request) error {
	var u user.User
	if err := decodeJSON(r, &u); err != nil {
		return err
	}
	u = user.User{OrgID: orgID(r), Name: strings.TrimSpace(u.Name), Alias: u.Alias, Email: strings.TrimSpace(u.Email),
		Phone: u.Phone, Locale: u.Locale, Availability: u.Availability, Role: u.Role, TimeZone: u.TimeZone,
		AvatarURL: u.AvatarURL, Verified: u.Verified, Bot: u.Bot}
	if err := s.cfg.Store.CreateUser(r.Context(), &u); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, data(u))
}

// adminCreateTeam serves POST /driftwood/v1/teams {"name", "members": [userId]}.
func (s *Server) adminCreateTeam(w http.ResponseWriter, r *http.Request) error {
	var f team.Fields
	if err := decodeJSON(r, &f); err != nil {
		return err
	}
	t, err := s.cfg.Store.CreateTeam(r.Context(), orgID(r), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, data(t))
}

// adminUpdateTeam serves PATCH /driftwood/v1/teams/{id}: a new name, and
// members replacing the old list.
func (s *Server) adminUpdateTeam(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var f team.Fields
	if err := decodeJSON(r, &f); err != nil {
		return err
	}
	t, err := s.cfg.Store.UpdateTeam(r.Context(), orgID(r), id, f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(t))
}

func (s *Server) adminDeleteTeam(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.cfg.Store.DeleteTeam(r.Context(), orgID(r), id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, okBody)
}

// adminPlaybook shows a playbook with the flags Drift's shape hides.
type adminPlaybook struct {
	*playbook.Playbook
	Enabled     bool                 `json:"enabled"`
	LandingPage bool                 `json:"landingPage"`
	Definition  *playbook.Definition `json:"definition"`
	Version     int64                `json:"version"`
}

func newAdminPlaybook(p *playbook.Playbook) adminPlaybook {
	return adminPlaybook{p, p.Enabled, p.LandingPage, p.Definition, p.Version}
}

func showPlaybook(p *playbook.Playbook) map[string]any {
	return data(newAdminPlaybook(p))
}

// adminCreatePlaybook serves POST /driftwood/v1/playbooks {"name", "goals":
// [{"message", "id"?}], "enabled" (default true), "landingPage", "reportType",
// "interactionId", "meta", "authorId", "definition"}. Each write is a new
// version.
func (s *Server) adminCreatePlaybook(w http.ResponseWriter, r *http.Request) error {
	f, err := playbookFields(r)
	if err != nil {
		return err
	}
	p, err := s.cfg.Store.CreatePlaybook(r.Context(), orgID(r), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, showPlaybook(p))
}

func (s *Server) adminUpdatePlaybook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := playbookFields(r)
	if err != nil {
		return err
	}
	p, err := s.cfg.Store.UpdatePlaybook(r.Context(), orgID(r), id, f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, showPlaybook(p))
}

// adminBookMeeting serves POST /driftwood/v1/meetings (a meeting.Booking);
// it fires new_meeting.
func (s *Server) adminBookMeeting(w http.ResponseWriter, r *http.Request) error {
	var b meeting.Booking
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	m, err := s.cfg.Store.BookMeeting(r.Context(), orgID(r), b)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, data(m))
}

// adminRescheduleMeeting serves POST /driftwood/v1/meetings/{eventId}/reschedule
// {"slotStart", "slotEnd"}; it fires meeting_updated (rescheduled).
func (s *Server) adminRescheduleMeeting(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		SlotStart int64 `json:"slotStart"`
		SlotEnd   int64 `json:"slotEnd"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	m, err := s.cfg.Store.RescheduleMeeting(r.Context(), orgID(r), r.PathValue("eventId"), body.SlotStart, body.SlotEnd)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(m))
}

// adminCancelMeeting serves POST /driftwood/v1/meetings/{eventId}/cancel; it
// fires meeting_updated (canceled).
func (s *Server) adminCancelMeeting(w http.ResponseWriter, r *http.Request) error {
	m, err := s.cfg.Store.CancelMeeting(r.Context(), orgID(r), r.PathValue("eventId"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(m))
}

// adminReset serves POST /driftwood/v1/reset: the org's data is emptied, its
// tokens, apps and bot user are kept.
func (s *Server) adminReset(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Store.ResetOrg(r.Context(), orgID(r)); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, okBody)
}

// adminSeed serves POST /driftwood/v1/seed: the body is a fixtures file (see
// package seed); without a body, the demo fixtures are loaded.
func (s *Server) adminSeed(w http.ResponseWriter, r *http.Request) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return jsonError(err)
	}
	if hasNULEscape(b) { // as decodeJSON refuses: PostgreSQL cannot store NUL
		return apperr.New(apperr.BadRequest, `malformed JSON: strings must not contain \u0000`)
	}
	f, err := seed.Parse(demoIfEmpty(b))
	if err != nil {
		return err
	}
	if err := seed.Load(r.Context(), s.cfg.Store, orgID(r), f, time.Now()); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, okBody)
}

func demoIfEmpty(b []byte) []byte {
	if len(bytes.TrimSpace(b)) == 0 {
		return seed.DemoFixtures
	}
	return b
}
