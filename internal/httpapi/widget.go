package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/secrets"
	"github.com/driftwood-chat/driftwood/internal/user"
	"github.com/driftwood-chat/driftwood/internal/widget"
)

// IdentitySecretPrefix marks widget identity secrets (HS256 keys), so that
// secret scanners and people recognise them.
const IdentitySecretPrefix = "dwws_"

// embedID is the org's public widget id: the org id in base 36 and a keyed
// tag, so that ids cannot be guessed by counting and need no stored row.
func (s *Server) embedID(orgID int64) string { return EmbedID(s.cfg.Tokens.Key, orgID) }

// EmbedID is the org's public widget id under key (see Server.embedID).
func EmbedID(key *secrets.Key, orgID int64) string {
	return strconv.FormatInt(orgID, 36) + "-" + embedTag(key, orgID)
}

func (s *Server) embedTag(orgID int64) string { return embedTag(s.cfg.Tokens.Key, orgID) }

func embedTag(key *secrets.Key, orgID int64) string {
	return key.Hash("driftwood widget embed id " + strconv.FormatInt(orgID, 10))[:12]
}

// orgOfEmbed reads an embed id; anything else is a 404, as a missing org.
func (s *Server) orgOfEmbed(id string) (int64, error) {
	notFound := apperr.NotFoundf("no widget with embed id %q", id)
	org, tag, ok := strings.Cut(id, "-")
	if !ok || len(org) > 13 {
		return 0, notFound
	}
	n, err := strconv.ParseInt(org, 36, 64)
	if err != nil || n <= 0 || tag != s.embedTag(n) {
		return 0, notFound
	}
	return n, nil
}

// widgetSettings loads an org's settings with its embed id filled in.
func (s *Server) widgetSettings(ctx context.Context, orgID int64) (*widget.Settings, string, error) {
	ws, sealed, err := s.cfg.Store.WidgetSettings(ctx, orgID)
	if err != nil {
		return nil, "", err
	}
	ws.EmbedID = s.embedID(orgID)
	return ws, sealed, nil
}

// widgetAnswer is the settings as the admin API answers them.
type widgetAnswer struct {
	*widget.Settings
	// IdentitySecret is shown once, in the answer of the PATCH that made it.
	IdentitySecret string `json:"identitySecret,omitempty"`
	// Snippet is Drift's snippet pointed at this Driftwood; DemoURL a page
	// of Driftwood's own that embeds it.
	Snippet string `json:"snippet"`
	DemoURL string `json:"demoUrl"`
	ChatURL string `json:"chatUrl"`
}

func (s *Server) widgetAnswer(ws *widget.Settings, secret string) map[string]any {
	return data(widgetAnswer{Settings: ws, IdentitySecret: secret, Snippet: Snippet(s.cfg.PublicURL, ws.EmbedID),
		DemoURL: s.cfg.PublicURL + "/widget/demo/" + ws.EmbedID, ChatURL: s.cfg.PublicURL + "/chat/" + ws.EmbedID})
}

// getWidget serves GET /driftwood/v1/widget.
func (s *Server) getWidget(w http.ResponseWriter, r *http.Request) error {
	ws, _, err := s.widgetSettings(r.Context(), orgID(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.widgetAnswer(ws, ""))
}

// patchWidget serves PATCH /driftwood/v1/widget. A new identity secret
// (asked for with rotateIdentitySecret, or made when an identity mode first
// needs one) is answered once and stored sealed with the secret key.
func (s *Server) patchWidget(w http.ResponseWriter, r *http.Request) error {
	var p widget.Patch
	if err := decodeJSON(r, &p); err != nil {
		return err
	}
	ws, _, err := s.widgetSettings(r.Context(), orgID(r))
	if err != nil {
		return err
	}
	newSecret, err := ws.Apply(p)
	if err != nil {
		return err
	}
	var raw, sealed string
	if newSecret {
		raw = secrets.RandomToken(IdentitySecretPrefix)
		sealed = s.cfg.Tokens.Key.Seal(raw)
		ws.IdentitySecretSet = true
	}
	if err := s.cfg.Store.SaveWidgetSettings(r.Context(), orgID(r), ws, sealed); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.widgetAnswer(ws, raw))
}

// Snippet is Drift's JavaScript snippet with only its host changed: what a
// site that used Drift pastes instead.
func Snippet(base, embedID string) string {
	return `<script>
"use strict";
!function() {
  var t = window.driftt = window.drift = window.driftt || [];
  if (!t.init) {
    if (t.invoked) return void (window.console && console.error && console.error("Drift snippet included twice."));
    t.invoked = !0, t.methods = [ "identify", "config", "track", "reset", "debug", "show", "ping", "page", "hide", "off", "on" ],
    t.factory = function(e) {
      return function() {
        var n = Array.prototype.slice.call(arguments);
        return n.unshift(e), t.push(n), t;
      };
    }, t.methods.forEach(function(e) {
      t[e] = t.factory(e);
    }), t.load = function(t) {
      var e = 3e5, n = Math.ceil(new Date() / e) * e, o = document.createElement("script");
      o.type = "text/javascript", o.async = !0, o.crossorigin = "anonymous", o.src = "` + base + `/include/" + n + "/" + t + ".js";
      var i = document.getElementsByTagName("script")[0];
      i.parentNode.insertBefore(o, i);
    };
  }
}();
drift.SNIPPET_VERSION = '0.3.1';
drift.load('` + embedID + `');
</script>`
}

// availability is whether the widget is online now, and each team's
// availability as Drift's ready payload has it ({teamId: {isOnline}}).
func (s *Server) availability(ctx context.Context, orgID int64, ws *widget.Settings) (bool, map[string]map[string]bool, []*user.User, error) {
	users, err := s.cfg.Store.ListUsers(ctx, orgID)
	if err != nil {
		return false, nil, nil, err
	}
	available := map[int64]bool{}
	any := false
	for _, u := range users {
		if !u.Bot && u.Availability == user.Available {
			available[u.ID], any = true, true
		}
	}
	online := ws.Online(time.Now(), any)
	teams, err := s.cfg.Store.ListTeams(ctx, orgID)
	if err != nil {
		return false, nil, nil, err
	}
	byTeam := map[string]map[string]bool{}
	for _, t := range teams {
		on := false
		for _, m := range t.Members {
			on = on || available[m]
		}
		byTeam[fmt.Sprint(t.ID)] = map[string]bool{"isOnline": online && on}
	}
	return online, byTeam, users, nil
}
