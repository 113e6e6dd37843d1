package httpapi

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/playbook"
	"github.com/driftwood-chat/driftwood/internal/widget"
	"github.com/driftwood-chat/driftwood/web/asset"
	webwidget "github.com/driftwood-chat/driftwood/web/widget"
)

var widgetPages = template.Must(template.ParseFS(webwidget.FS(), "*.html"))

// serveAsset writes a precompressed asset: gzipped to clients that take it.
func serveAsset(w http.ResponseWriter, r *http.Request, typ, cache string, raw, gz []byte) error {
	h := w.Header()
	h.Set("Content-Type", typ)
	h.Set("Cache-Control", cache)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Accept-Encoding")
	body := raw
	if gz != nil && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = gz
	}
	_, err := w.Write(body)
	return err
}

// widgetAsset serves GET /widget/assets/{file}: the frame's script and
// styles under content-hashed names, cached for a year (a new build has new
// names).
func (s *Server) widgetAsset(w http.ResponseWriter, r *http.Request) error {
	a := webwidget.ByHashedName(r.PathValue("file"))
	if a == nil || a.Name == "loader.js" {
		return apperr.NotFoundf("no widget asset %q", r.PathValue("file"))
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	return serveAsset(w, r, a.Type, "public, max-age=31536000, immutable", a.Raw, a.Gzip)
}

// loaderConfig is what the loader needs before any request: it is part of
// the script, so that drawing the launcher costs the page nothing more.
type loaderConfig struct {
	EmbedID          string                     `json:"embedId"`
	Base             string                     `json:"base"`
	FrameURL         string                     `json:"frameUrl"`
	Color            string                     `json:"color"`
	Position         string                     `json:"position"`
	Title            string                     `json:"title"`
	IsOnline         bool                       `json:"isOnline"`
	TeamAvailability map[string]map[string]bool `json:"teamAvailability"`
	Allowed          []string                   `json:"allowed"`
	// Playbooks tells that a playbook may greet the page's visitor: the
	// loader then connects at once and tells the frame the page.
	Playbooks bool `json:"playbooks"`
	// PageAsks are the times on the page, in seconds, at which the loader
	// asks again: the distinct least times on page of the playbooks'
	// targeting (0 asks at once), so a playbook that waits N seconds fires
	// after N seconds and the page loads nothing before.
	PageAsks []int `json:"pageAsks,omitempty"`
}

// maxPageAsks bounds the loader's asks on one page view.
const maxPageAsks = 5

// pageAsks are the distinct times on page the playbooks ps wait for,
// earliest first, at most maxPageAsks.
func pageAsks(ps []*playbook.Playbook) []int {
	var out []int
	for _, p := range ps {
		if p.Definition != nil {
			out = append(out, p.Definition.Targeting.TimeOnPage)
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	return out[:min(len(out), maxPageAsks)]
}

// widgetLoader serves GET /include/{bucket}/{file} ({embedId}.js: Drift's
// snippet path, the bucket a 5-minute cache buster) with the org's loader.
func (s *Server) widgetLoader(w http.ResponseWriter, r *http.Request) error {
	embed, ok := strings.CutSuffix(r.PathValue("file"), ".js")
	if !ok {
		return apperr.NotFoundf("no widget loader %q", r.PathValue("file"))
	}
	org, err := s.orgOfEmbed(embed)
	if err != nil {
		return err
	}
	ws, _, err := s.widgetSettings(r.Context(), org)
	if err != nil {
		return err
	}
	online, teams, _, err := s.availability(r.Context(), org, ws)
	if err != nil {
		return err
	}
	ps, err := s.cfg.Store.ListPlaybooks(r.Context(), org, false)
	if err != nil {
		return err
	}
	own, _ := widget.NormalizeOrigin(s.cfg.PublicURL)
	cfg := loaderConfig{Playbooks: slices.ContainsFunc(ps, func(p *playbook.Playbook) bool { return p.Definition != nil }), PageAsks: pageAsks(ps),
		EmbedID: ws.EmbedID, Base: s.cfg.PublicURL, FrameURL: s.cfg.PublicURL + "/widget/frame/" + ws.EmbedID,
		Color: ws.ThemeColor, Position: ws.Position, Title: ws.Title, IsOnline: online, TeamAvailability: teams,
		Allowed: append([]string{own}, ws.AllowedOrigins...)}
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	raw := append(bytes.Clone(webwidget.Get("loader.js").Raw), '(')
	raw = append(append(raw, b...), ");\n"...)
	w.Header().Set("Access-Control-Allow-Origin", "*")
	return serveAsset(w, r, "text/javascript; charset=utf-8", "public, max-age=300", raw, asset.Compress(raw))
}

// widgetScript serves GET /widget.js: Drift's snippet itself, on this
// Driftwood, loading the embed id of its script tag's data-embed-id.
func (s *Server) widgetScript(w http.ResponseWriter, r *http.Request) error {
	snippet := Snippet(s.cfg.PublicURL, "")
	js := strings.TrimSuffix(strings.TrimPrefix(snippet, "<script>\n"), "drift.load('');\n</script>")
	js += "(function(s){s&&s.dataset&&s.dataset.embedId&&drift.load(s.dataset.embedId);})(document.currentScript);\n"
	w.Header().Set("Access-Control-Allow-Origin", "*")
	return serveAsset(w, r, "text/javascript; charset=utf-8", "public, max-age=300", []byte(js), nil)
}

// framePage is the data of frame.html.
type framePage struct {
	Settings *widget.Settings
	CSS, JS  string
	Config   map[string]any
	FullPage bool
}

// widgetFrame serves GET /widget/frame/{embedId}, the chat in the loader's
// iframe: only the widget's allowed origins (and Driftwood's own) may frame
// it, and it runs only its own script.
func (s *Server) widgetFrame(w http.ResponseWriter, r *http.Request) error {
	return s.chatPage(w, r, false)
}

// widgetChat serves GET /chat/{embedId}: the chat as a whole page, a
// shareable link for conversational landing pages.
func (s *Server) widgetChat(w http.ResponseWriter, r *http.Request) error {
	return s.chatPage(w, r, true)
}

func (s *Server) chatPage(w http.ResponseWriter, r *http.Request, full bool) error {
	org, err := s.orgOfEmbed(r.PathValue("embedId"))
	if err != nil {
		return err
	}
	ws, _, err := s.widgetSettings(r.Context(), org)
	if err != nil {
		return err
	}
	online, _, _, err := s.availability(r.Context(), org, ws)
	if err != nil {
		return err
	}
	public := map[string]any{"title": ws.Title, "onlineGreeting": ws.OnlineGreeting, "offlineGreeting": ws.OfflineGreeting,
		"awayMessage": ws.AwayMessage, "askForEmail": ws.AskForEmail, "themeColor": ws.ThemeColor}
	page := framePage{Settings: ws, FullPage: full,
		CSS:    s.cfg.PublicURL + "/widget/assets/" + webwidget.Get("frame.css").HashedName(),
		JS:     s.cfg.PublicURL + "/widget/assets/" + webwidget.Get("frame.js").HashedName(),
		Config: map[string]any{"embedId": ws.EmbedID, "base": s.cfg.PublicURL, "isOnline": online, "settings": public}}
	ancestors := "'self'"
	if own, ok := widget.NormalizeOrigin(s.cfg.PublicURL); ok {
		ancestors += " " + own
	}
	for _, o := range ws.AllowedOrigins {
		ancestors += " " + o
	}
	if full {
		ancestors = "'none'"
	}
	var buf bytes.Buffer
	if err := widgetPages.ExecuteTemplate(&buf, "frame.html", page); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data: https:; "+
		"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors "+ancestors)
	h.Set("Referrer-Policy", "no-referrer")
	return serveAsset(w, r, "text/html; charset=utf-8", "no-cache", buf.Bytes(), nil)
}

// widgetDemo serves GET /widget/demo/{embedId}: a page of Driftwood's own
// that embeds the widget with Drift's snippet, as a site would.
func (s *Server) widgetDemo(w http.ResponseWriter, r *http.Request) error {
	org, err := s.orgOfEmbed(r.PathValue("embedId"))
	if err != nil {
		return err
	}
	snippet := Snippet(s.cfg.PublicURL, s.embedID(org))
	var buf bytes.Buffer
	if err := widgetPages.ExecuteTemplate(&buf, "demo.html", map[string]any{
		"Snippet": snippet, "SnippetHTML": template.HTML(snippet), // our own markup, with no user text
	}); err != nil {
		return err
	}
	return serveAsset(w, r, "text/html; charset=utf-8", "no-cache", buf.Bytes(), nil)
}
