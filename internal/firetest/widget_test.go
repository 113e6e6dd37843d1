package firetest_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	webwidget "github.com/driftwood-chat/driftwood/web/widget"
)

// The widget's routes take no API token: the loader, pages and assets are
// public, and the visitor endpoints take a visitor session ({visitor}, a
// session of the org's widget that has a conversation {visitorconv} with a
// file {visitorattachment}). The stream never ends: httpapi's TestWidgetStream covers
// it, as TestEventStream_BadInput covers the org's.
func init() {
	missing["visitorconv"] = "987654321987"
	missing["visitorattachment"] = "987654321987"
	v := "{visitor}"
	for pattern, exs := range map[string][]example{
		"PATCH /driftwood/v1/widget": {{body: `{"identityMode":"ENABLED","rotateIdentitySecret":true,"allowedOrigins":["https://fire.example"],` +
			`"hours":{"mode":"scheduled","timeZone":"Europe/Paris","schedule":[{"day":"mon","start":"09:00","end":"17:30"}]},"themeColor":"#112233"}`}},
		"GET /include/{bucket}/{file}":          {{path: "/include/1700000000/{embedid}.js"}},
		"GET /widget/assets/{file}":             {{path: "/widget/assets/" + webwidget.Get("frame.js").HashedName()}},
		"GET /widget/frame/{embedId}":           {{path: "/widget/frame/{embedid}"}},
		"GET /widget/demo/{embedId}":            {{path: "/widget/demo/{embedid}"}},
		"GET /chat/{embedId}":                   {{path: "/chat/{embedid}"}},
		"POST /widget/v1/{embedId}/sessions":    {{path: "/widget/v1/{embedid}/sessions", body: `{}`}},
		"GET /widget/v1/{embedId}/conversation": {{path: "/widget/v1/{embedid}/conversation", token: v}},
		"POST /widget/v1/{embedId}/messages": {
			{path: "/widget/v1/{embedid}/messages", token: v, body: `{"body":"<b>more</b> from the visitor","conversationId":{visitorconv}}`},
			{path: "/widget/v1/{embedid}/messages", token: v, body: `{"body":"a new conversation","email":"fire-visitor@x.example"}`},
		},
		"POST /widget/v1/{embedId}/identify":           {{path: "/widget/v1/{embedid}/identify", token: v, body: `{"externalId":"fire-visitor","attributes":{"name":"Fire Visitor","plan":"pro"}}`}},
		"POST /widget/v1/{embedId}/email":              {{path: "/widget/v1/{embedid}/email", token: v, body: `{"email":"fire-captured@x.example"}`}},
		"POST /widget/v1/{embedId}/playbook":           {{path: "/widget/v1/{embedid}/playbook", token: v, body: `{"trigger":"page","url":"https://x.example/pricing","referrer":"https://r.example/","visitCount":1}`}},
		"POST /widget/v1/{embedId}/read":               {{path: "/widget/v1/{embedid}/read", token: v, body: `{"conversationId":{visitorconv},"messageId":1}`}},
		"POST /widget/v1/{embedId}/typing":             {{path: "/widget/v1/{embedid}/typing", token: v, body: `{"conversationId":{visitorconv}}`}},
		"POST /driftwood/v1/conversations/{id}/typing": {{path: "/driftwood/v1/conversations/{conversation}/typing", body: `{"userId":{user}}`}},
		"GET /widget/v1/{embedId}/attachments/{id}":    {{path: "/widget/v1/{embedid}/attachments/{visitorattachment}", token: v}},
		"GET /widget/v1/{embedId}/stream":              {{path: "/widget/v1/{embedid}/stream", token: v}},
	} {
		examples[pattern] = exs
	}
}

// fillWidget gives o a widget visitor with a conversation and a file.
func (w *world) fillWidget(t testing.TB, o *org, ids map[string]string) {
	t.Helper()
	r := w.do("GET", "/driftwood/v1/widget", o.token, nil, nil)
	ids["embedid"] = find(decode(t, r.Body.Bytes()), "embedId")
	r = w.do("POST", "/widget/v1/"+ids["embedid"]+"/sessions", "", []byte(`{}`), nil)
	if r.Code != http.StatusCreated {
		t.Fatalf("a visitor session: %d %s", r.Code, r.Body)
	}
	ids["visitor"] = find(decode(t, r.Body.Bytes()), "token")
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("message", `{"body": "hello from the widget"}`)
	fw, _ := mw.CreateFormFile("file", "note.txt")
	fw.Write([]byte("a visitor's note for " + ids["email"]))
	mw.Close()
	r = w.do("POST", "/widget/v1/"+ids["embedid"]+"/messages", ids["visitor"], mp.Bytes(), http.Header{"Content-Type": {mw.FormDataContentType()}})
	if r.Code != http.StatusOK {
		t.Fatalf("a visitor's first message: %d %s", r.Code, r.Body)
	}
	body := decode(t, r.Body.Bytes())
	ids["visitorconv"] = find(find2(body, "conversation"), "id")
	ids["visitorattachment"] = find(find2(find2(body, "message"), "attachments"), "id")
	if ids["visitorattachment"] == "" || strings.Contains(ids["visitorattachment"], "{") {
		t.Fatalf("no visitor attachment in %s", r.Body)
	}
}
