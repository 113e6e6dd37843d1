package httpapi

import (
	"bytes"
	"html/template"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/driftwood-chat/driftwood/api"
	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/logkey"
)

// The pages a person opens in a browser: / says what this server is, /docs
// is the API reference, rendered once from the served description.

// pageLink is a link of the index.
type pageLink struct {
	Key, Title, Path, About string
}

// indexLinks are what / links to. Links to pages of other parts (the
// inbox, the widget demo) are listed in laterPages and shown once their
// route is registered, so that / never links to a 404.
func (s *Server) indexLinks() []pageLink {
	links := []pageLink{
		{"docs", "API reference", "/docs", "Every operation, with its parameters and answers"},
		{"openapi", "OpenAPI description", "/openapi.yaml", "OpenAPI 3.1, to import into API tools and client generators"},
	}
	for _, l := range laterPages {
		if s.routed(l.Path) {
			links = append(links, l)
		}
	}
	if s.demoEmbedID != "" && s.routed("/widget/demo/{embedId}") {
		links = append(links, pageLink{"widgetDemo", "Widget demo", "/widget/demo/" + s.demoEmbedID,
			"The demo org's chat widget on a page, to try it as a visitor"})
	}
	return append(links, pageLink{"health", "Health", "/readyz", "Whether this server can take requests"})
}

// laterPages are pages other parts of Driftwood serve; / links to each once
// it is routed.
var laterPages = []pageLink{
	{"inbox", "Agent inbox", "/inbox", "Answer visitors in real time"},
}

// SetDemoEmbedID makes / link the widget demo page of the org with this
// embed id (the demo org seeded at first start); call it before serving.
func (s *Server) SetDemoEmbedID(embedID string) { s.demoEmbedID = embedID }

// routed reports whether GET path has a route.
func (s *Server) routed(path string) bool {
	for _, r := range s.routeList {
		if r.Method == http.MethodGet && strings.TrimSuffix(r.Path, "{$}") == path {
			return true
		}
	}
	return false
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Driftwood</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222;line-height:1.5}
a{color:#0b57d0}code{background:#f3f3f3;padding:0 .2em}</style></head>
<body><main>
<h1>Driftwood</h1>
<p>This is a Driftwood server: Drift's REST API and webhooks, self-hosted. Point a Drift client at
<code>{{.Base}}</code> instead of <code>https://driftapi.com</code>; API calls need a bearer token.</p>
<ul>{{range .Links}}<li><a href="{{.Path}}">{{.Title}}</a> — {{.About}}</li>{{end}}</ul>
</main></body></html>
`))

// index serves GET /: a page for a browser, a JSON index for a client that
// asks for JSON.
func (s *Server) index(w http.ResponseWriter, r *http.Request) error {
	asJSON, err := prefersJSON(r.Header.Values("Accept"))
	if err != nil {
		return err
	}
	links := s.indexLinks()
	if asJSON {
		urls := map[string]string{}
		for _, l := range links {
			urls[l.Key] = s.cfg.PublicURL + l.Path
		}
		return writeJSON(w, http.StatusOK, map[string]any{
			"name":        "Driftwood",
			"description": "Drift's REST API and webhooks, self-hosted.",
			"links":       urls,
		})
	}
	var page bytes.Buffer
	if err := indexPage.Execute(&page, map[string]any{"Base": s.cfg.PublicURL, "Links": links}); err != nil {
		return err
	}
	return writeHTML(w, page.Bytes())
}

// docs serves GET /docs, the reference rendered on its first request.
func (s *Server) docs(w http.ResponseWriter, r *http.Request) error {
	if _, err := prefersJSON(r.Header.Values("Accept")); err != nil {
		return err
	}
	page, err := s.docsPage()
	if err != nil {
		s.log.Error("rendering /docs from the API description", logkey.Err, err)
		return apperr.New(apperr.Internal, "the API reference could not be rendered; see /openapi.yaml")
	}
	return writeHTML(w, page)
}

func writeHTML(w http.ResponseWriter, page []byte) error {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'")
	_, err := w.Write(page)
	return err
}

// prefersJSON reads Accept headers: whether application/json is preferred
// to HTML. A header that is not a list of media ranges is a 400.
func prefersJSON(accept []string) (bool, error) {
	var jsonQ, htmlQ float64
	for _, header := range accept {
		for _, item := range strings.Split(header, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			mt, params, err := mime.ParseMediaType(item)
			if err != nil || strings.Count(mt, "/") != 1 {
				return false, apperr.New(apperr.BadRequest, "the Accept header is not a list of media types: %q", item)
			}
			q := 1.0
			if v, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(v, 64); err != nil || q < 0 || q > 1 {
					return false, apperr.New(apperr.BadRequest, "the Accept header has a q value that is not from 0 to 1: %q", item)
				}
			}
			switch mt {
			case "application/json":
				jsonQ = max(jsonQ, q)
			case "text/html", "text/*", "*/*":
				htmlQ = max(htmlQ, q)
			}
		}
	}
	return jsonQ > 0 && jsonQ > htmlQ, nil
}

// renderDocs renders the reference of the served description.
func renderDocs(description []byte) ([]byte, error) {
	ref, err := api.ReadReference(description)
	if err != nil {
		return nil, err
	}
	var page bytes.Buffer
	if err := docsPage.Execute(&page, ref); err != nil {
		return nil, err
	}
	return page.Bytes(), nil
}

var docsPage = template.Must(template.New("docs").Funcs(template.FuncMap{
	"lower": strings.ToLower,
	"slug":  func(s string) string { return strings.ReplaceAll(strings.ToLower(s), " ", "-") },
}).Parse(`{{define "type"}}{{range .}}{{if .Ref}}<a href="#schema-{{.Ref}}">{{.Ref}}</a>{{else}}{{.Text}}{{end}}{{end}}{{end -}}
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} API reference</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#222;line-height:1.45}
.wrap{display:flex;align-items:flex-start}
nav{position:sticky;top:0;max-height:100vh;overflow:auto;width:17rem;flex:none;padding:1rem;background:#f6f7f9;border-right:1px solid #ddd;font-size:.9rem;box-sizing:border-box}
nav ul{list-style:none;padding-left:.6rem;margin:.2rem 0 .8rem}
main{padding:1rem 2rem;max-width:60rem;min-width:0}
a{color:#0b57d0}
code,.path{font-family:ui-monospace,monospace;font-size:.92em}
.op{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
.op h3{margin:.1rem 0;font-size:1rem;word-break:break-all}
.method{display:inline-block;min-width:4.2rem;font-weight:700}
.get{color:#0a6b2d}.post{color:#8a4b00}.patch{color:#5b2a86}.put{color:#1a4f99}.delete{color:#a00}
table{border-collapse:collapse;width:100%;margin:.3rem 0;font-size:.92rem}
th,td{text-align:left;vertical-align:top;border-bottom:1px solid #eee;padding:.25rem .5rem}
.desc{white-space:pre-line}
.scope{background:#eef3fd;border-radius:3px;padding:0 .3rem;font-family:ui-monospace,monospace;font-size:.85em}
@media (max-width:50rem){.wrap{display:block}nav{position:static;width:auto;max-height:none}}
</style></head>
<body><div class="wrap">
<nav aria-label="Contents"><strong>{{.Title}} API</strong>
<ul>{{range .Sections}}<li><a href="#tag-{{slug .Tag}}">{{.Tag}}</a></li>{{end}}<li><a href="#schemas">Schemas</a></li></ul>
</nav>
<main>
<h1>{{.Title}} API reference</h1>
<p>Version {{.Version}} · server <code>{{.Server}}</code> · <a href="/openapi.yaml">openapi.yaml</a></p>
<div class="desc">{{.Description}}</div>
{{range .Sections}}
<section id="tag-{{slug .Tag}}" aria-labelledby="h-{{slug .Tag}}"><h2 id="h-{{slug .Tag}}">{{.Tag}}</h2>
{{if .Description}}<p>{{.Description}}</p>{{end}}
{{range .Endpoints}}<div class="op" id="op-{{.ID}}">
<h3><span class="method {{lower .Method}}">{{.Method}}</span> <span class="path">{{.Path}}</span></h3>
<p>{{.Summary}}{{if .Public}} · <em>no token</em>{{else}}{{range .Scopes}} · scope <span class="scope">{{.}}</span>{{end}}{{end}}</p>
{{if .Description}}<p class="desc">{{.Description}}</p>{{end}}
{{if .Params}}<table><caption hidden>Parameters</caption><thead><tr><th scope="col">Parameter</th><th scope="col">In</th><th scope="col">Type</th><th scope="col">About</th></tr></thead><tbody>
{{range .Params}}<tr><td><code>{{.Name}}</code>{{if .Required}} (required){{end}}</td><td>{{.In}}</td><td>{{template "type" .Type}}</td><td>{{.Description}}</td></tr>
{{end}}</tbody></table>{{end}}
{{range .Bodies}}<p>Body ({{.Media}}): {{template "type" .Type}}</p>{{end}}
<table><caption hidden>Responses</caption><thead><tr><th scope="col">Status</th><th scope="col">Answer</th></tr></thead><tbody>
{{range .Responses}}<tr><td>{{if eq .Status "default"}}errors{{else}}{{.Status}}{{end}}</td><td>{{.Description}}{{range .Contents}}<br><code>{{.Media}}</code>: {{template "type" .Type}}{{end}}</td></tr>
{{end}}</tbody></table>
</div>
{{end}}</section>
{{end}}
<section id="schemas" aria-labelledby="h-schemas"><h2 id="h-schemas">Schemas</h2>
{{range .Schemas}}<div class="op" id="schema-{{.Name}}"><h3>{{.Name}}</h3>
{{if .Description}}<p>{{.Description}}</p>{{end}}
{{if .Fields}}<table><thead><tr><th scope="col">Field</th><th scope="col">Type</th><th scope="col">About</th></tr></thead><tbody>
{{range .Fields}}<tr><td><code>{{.Name}}</code>{{if .Required}} (always){{end}}</td><td>{{template "type" .Type}}</td><td>{{.Description}}</td></tr>
{{end}}</tbody></table>{{else}}<p>{{template "type" .Type}}</p>{{end}}
</div>
{{end}}</section>
</main></div></body></html>
`))
