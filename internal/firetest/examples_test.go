package firetest_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/httpapi"
)

// example is a good request to a route: its path and query, and its JSON
// body. {kind} placeholders (contact, user, …: see missing, and the OAuth
// values of fillOAuth) are replaced with an org's ids; hostile requests are
// mutations of it.
type example struct {
	path  string // with its query; "" is the route's path as registered
	body  string
	form  bool   // the body is a form (application/x-www-form-urlencoded), not JSON
	token string // the bearer token, when not the org's own
	want  int    // the example's status, when it is not a success
}

// header is the example's Content-Type, when it is not JSON.
func (ex example) header() http.Header {
	if ex.form {
		return formHeader
	}
	return nil
}

// bearer is the token the example is sent with, as org o.
func (ex example) bearer(o *org) string {
	if ex.token != "" {
		return render(ex.token, o.ids)
	}
	return o.token
}

// The OAuth examples' parameters; the hostile suite sends a form example's
// values through the same mutations as a JSON body's.
const (
	fireRedirectQ = "redirect_uri=https%3A%2F%2Ffire.example%2Fcb"
	authorizeQ    = "?response_type=code&client_id={clientid}&" + fireRedirectQ + "&state=st&scope=contact_read"
)

const scimUser = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"scim-fire@x.example",` +
	`"name":{"givenName":"Sam","familyName":"Fire"},"emails":[{"value":"scim-fire@x.example","primary":true}],"active":true}`

const scimPatch = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],` +
	`"Operations":[{"op":"replace","path":"name.givenName","value":"Sammy"},{"op":"replace","value":{"displayName":"S F"}}]}`

// examples gives, by route pattern, the requests that reach deep into the
// handler. A route with a wildcard must have one (TestExamples_Cover).
var examples = map[string][]example{
	"POST /contacts":                        {{body: `{"attributes":{"email":"fire@x.example","name":"Fire","externalId":"ext-1","lead_score":3,"tags":["a"]}}`}},
	"GET /contacts":                         {{path: "/contacts?email={email}&limit=5"}, {path: "/contacts?idType=external&id=crm-1001&id={contact}"}, {path: "/contacts?limit=5"}},
	"GET /contacts/{$}":                     {{path: "/contacts/?email={email}"}},
	"GET /contacts/{id}":                    {{path: "/contacts/{contact}"}},
	"PATCH /contacts/{id}":                  {{path: "/contacts/{contact}", body: `{"attributes":{"name":"Renamed","lead_score":9,"tags":["x"]}}`}},
	"DELETE /contacts/{id}":                 {{path: "/contacts/{contact}"}},
	"POST /contacts/{id}":                   {{path: "/contacts/{contact}"}},
	"PATCH /contacts/normalize":             {{path: "/contacts/normalize?idType=drift&id={contact}", body: `{"attributes":{"tier":"silver"}}`}},
	"POST /contacts/timeline":               {{body: `{"contactId":{contact},"event":"Signed up","createdAt":1700000000000,"attributes":{"plan":"pro"}}`}},
	"POST /emails/unsubscribe":              {{body: `["{email}"]`}},
	"GET /contacts/{id}/tags":               {{path: "/contacts/{contact}/tags"}},
	"POST /contacts/{id}/tags":              {{path: "/contacts/{contact}/tags", body: `[{"name":"vip","color":"#ff0000"},{"name":"beta"}]`}},
	"DELETE /contacts/{id}/tags/{name}":     {{path: "/contacts/{contact}/tags/vip"}},
	"POST /contacts/{id}/tags/delete/_bulk": {{path: "/contacts/{contact}/tags/delete/_bulk", body: `["beta",{"name":"vip"}]`}},

	// Issue 16: GET /users's map, and Drift's conversation reporting API.
	"GET /users": {{path: "/users"}, {path: "/users?userId={user}&userId=1"}},
	"POST /reports/conversations": {{body: `{"filters":[{"property":"conversationId","operation":"IN","values":[{conversation}]},` +
		`{"property":"createdAt","operation":"BETWEEN","values":["2020-01-01","2100-01-01"]}],"metrics":["timeToCloseMillis","messageCount"]}`}},
	"POST /reports/conversation-summary": {{body: `{"filters":[{"property":"status","operation":"EQUALS","values":["OPEN"]}],"metrics":["messageCount"]}`}},

	"GET /users/{id}":                  {{path: "/users/{user}"}},
	"PATCH /users/update":              {{path: "/users/update?userId={user}", body: `{"name":"Renamed","availability":"OFFLINE","locale":"en-GB"}`}},
	"GET /users/meetings/org":          {{path: "/users/meetings/org?min_start_time=1899000000000&max_start_time=1901000000000&limit=50"}},
	"GET /teams/users/{id}":            {{path: "/teams/users/{user}"}},
	"POST /conversations/new":          {{body: `{"email":"jane@acme.example","message":{"body":"<p>hi</p>","attributes":{"source":"fire"}}}`}, {body: `{"email":"jane@acme.example","message":{"body":"hi","attributes":{"autoAssigneeId":{user}}}}`}},
	"GET /conversations":               {{path: "/conversations?limit=2&statusId=1&statusId=2"}},
	"GET /conversations/list":          {{path: "/conversations/list?limit=2"}},
	"GET /conversations/{id}":          {{path: "/conversations/{conversation}"}},
	"GET /conversations/{id}/messages": {{path: "/conversations/{conversation}/messages"}},
	"POST /conversations/{id}/messages": {
		{path: "/conversations/{conversation}/messages", body: `{"type":"chat","body":"<p>reply</p>","userId":{user},"buttons":[{"label":"Yes","value":"Yes","type":"reply"}]}`},
	},
	"GET /conversations/{id}/transcript":         {{path: "/conversations/{conversation}/transcript"}},
	"GET /conversations/{id}/json_transcript":    {{path: "/conversations/{conversation}/json_transcript"}},
	"GET /attachments/{id}/data":                 {{path: "/attachments/{attachment}/data"}},
	"PATCH /driftwood/v1/conversations/{id}":     {{path: "/driftwood/v1/conversations/{conversation}", body: `{"status":"pending"}`}},
	"POST /driftwood/v1/conversations/{id}/push": {{path: "/driftwood/v1/conversations/{conversation}/push"}},
	"POST /driftwood/v1/simulate/conversations":  {{body: `{"email":"visitor@x.example","body":"<b>hello</b>"}`}},
	"POST /driftwood/v1/simulate/conversations/{id}/messages": {
		{path: "/driftwood/v1/simulate/conversations/{conversation}/messages", body: `{"body":"more"}`},
		{path: "/driftwood/v1/simulate/conversations/{conversation}/messages", body: `{"button":{"messageId":{message},"value":"Yes"}}`},
	},

	"POST /accounts/create": {{body: `{"ownerId":{user},"name":"Fire Co","domain":"fire.example","targeted":true,` +
		`"customProperties":[{"name":"tier","label":"Tier","type":"ENUM","value":"gold"},{"name":"csm","type":"TEAMMEMBER","value":{user}}]}`}},
	"GET /accounts":          {{path: "/accounts?index=0&size=10"}},
	"GET /accounts/{id}":     {{path: "/accounts/{account}"}},
	"DELETE /accounts/{id}":  {{path: "/accounts/{account}"}},
	"PATCH /accounts/update": {{body: `{"accountId":"{account}","ownerId":{user},"name":"Renamed","customProperties":[{"name":"tier","type":"ENUM","value":"silver"}]}`}},

	"POST /driftwood/v1/users":        {{body: `{"name":"Fire Agent","email":"fire-agent@x.example","role":"agent","bot":false}`}},
	"POST /driftwood/v1/teams":        {{body: `{"name":"Fire team","members":[{user}]}`}},
	"PATCH /driftwood/v1/teams/{id}":  {{path: "/driftwood/v1/teams/{team}", body: `{"name":"Renamed team","members":[{user}]}`}},
	"DELETE /driftwood/v1/teams/{id}": {{path: "/driftwood/v1/teams/{team}"}},
	"POST /driftwood/v1/playbooks":    {{body: `{"name":"Fire","reportType":"BOOK_MORE_MEETINGS","enabled":true,"goals":[{"message":"Booked"}],"meta":{"k":"v"}}`}},
	"PATCH /driftwood/v1/playbooks/{id}": {{path: "/driftwood/v1/playbooks/{playbook}", body: `{"name":"Renamed","enabled":false,"authorId":{user}}`},
		{path: "/driftwood/v1/playbooks/{playbook}", body: `{"definition":{"priority":2,"targeting":{"urls":[{"match":"regex","value":"^https://x\\.example/"}],` +
			`"countries":["DE"],"attributes":[{"attribute":"plan","op":"equals","value":"pro"}]},"steps":[{"id":"q","kind":"question","text":"Hi {{name}}?",` +
			`"buttons":[{"label":"Yes","next":"r"}]},{"id":"r","kind":"route","route":{"to":"agent","userId":{user}}}]}}`}},
	"GET /driftwood/v1/playbooks":         {{path: "/driftwood/v1/playbooks?limit=5"}},
	"GET /driftwood/v1/playbooks/{id}":    {{path: "/driftwood/v1/playbooks/{playbook}"}},
	"DELETE /driftwood/v1/playbooks/{id}": {{path: "/driftwood/v1/playbooks/{playbook}"}},
	"POST /driftwood/v1/playbooks/{id}/test": {{path: "/driftwood/v1/playbooks/{playbook}/test", body: `{"url":"https://x.example/{email}","referrer":"https://r.example/",` +
		`"attributes":{"name":"Fire","email":"{email}"},"country":"DE","visitCount":2,"timeOnPage":5,"agentsOnline":true,"answers":["{email}","x@y.example"]}`}},
	"PATCH /driftwood/v1/routing": {{body: `{"routeNewConversations":false,"capacities":{"{user}":3}}`},
		{body: `{"rules":[{"name":"Fire","conditions":[{"source":"country","op":"in","value":"DE,FR"}],"teamId":{team}},{"name":"Rest","userId":{user}}]}`}},
	"POST /driftwood/v1/meetings": {{body: `{"agentId":{user},"schedulerId":{contact},"slotStart":1900000000000,"slotEnd":1900000600000,` +
		`"conversationId":{conversation},"bookedBy":{user},"meetingType":"Intro"}`}},
	"POST /driftwood/v1/meetings/{eventId}/reschedule": {{path: "/driftwood/v1/meetings/{meeting}/reschedule", body: `{"slotStart":1900001000000,"slotEnd":1900001600000}`}},
	"POST /driftwood/v1/meetings/{eventId}/cancel":     {{path: "/driftwood/v1/meetings/{meeting}/cancel"}},
	"POST /driftwood/v1/seed":                          {{body: `{"users":[{"name":"Seeded","email":"seeded@x.example"}]}`}},

	"POST /gdpr/retrieve":                  {{body: `{"email":"{email}"}`}},
	"POST /gdpr/delete":                    {{body: `{"email":"{email}"}`}},
	"GET /driftwood/v1/gdpr/requests/{id}": {{path: "/driftwood/v1/gdpr/requests/{gdpr}"}},

	"POST /driftwood/v1/apps": {{body: `{"name":"Fire app","webhookUrl":"http://127.0.0.1:9/hook","events":["new_message","contact_updated"],` +
		`"scopes":["all_contact_read","conversation_read"],"redirectUris":["https://fire.example/cb"],"public":false}`}},
	"GET /driftwood/v1/apps/{id}":              {{path: "/driftwood/v1/apps/{app}"}},
	"PATCH /driftwood/v1/apps/{id}":            {{path: "/driftwood/v1/apps/{app}", body: `{"name":"Renamed app","events":["contact_updated"]}`}},
	"DELETE /driftwood/v1/apps/{id}":           {{path: "/driftwood/v1/apps/{app}"}},
	"POST /driftwood/v1/apps/{id}/tokens":      {{path: "/driftwood/v1/apps/{app}/tokens", body: `{"scopes":["all_contact_read"]}`}},
	"POST /driftwood/v1/apps/{id}/rotate":      {{path: "/driftwood/v1/apps/{app}/rotate", body: `{"signingSecret":true,"verificationToken":true}`}},
	"GET /driftwood/v1/deliveries/{id}":        {{path: "/driftwood/v1/deliveries/{delivery}"}},
	"POST /driftwood/v1/deliveries/{id}/retry": {{path: "/driftwood/v1/deliveries/{delivery}/retry"}},
	"GET /driftwood/v1/deliveries":             {{path: "/driftwood/v1/deliveries?appId={app}&status=succeeded&limit=5"}},

	"POST /app/token_info":   {{body: `{"access_token":"{token}"}`}},
	"POST /app/uninstall":    {{path: "/app/uninstall?clientId={clientid}&clientSecret={clientsecret}", token: "{apptoken}"}},
	"GET /oauth2/authorize":  {{path: "/oauth2/authorize" + authorizeQ}},
	"GET /authorize":         {{path: "/authorize" + authorizeQ}},
	"POST /oauth2/authorize": {{body: authorizeQ[1:] + "&decision=allow", form: true}},
	"POST /oauth2/token": {
		{body: `{"grant_type":"refresh_token","client_id":"{clientid}","client_secret":"{clientsecret}","refresh_token":"{refresh}"}`},
		{body: "grant_type=authorization_code&client_id={clientid}&client_secret={clientsecret}&code={code}&" + fireRedirectQ, form: true},
	},
	"POST /oauth2/revoke": {{body: `{"client_id":"{clientid}","client_secret":"{clientsecret}","token":"{access}"}`}},

	"GET /scim/Users":              {{path: `/scim/Users?filter=userName+eq+%22{useremail}%22&startIndex=1&count=5&attributes=userName`}},
	"POST /scim/Users":             {{body: scimUser}},
	"PUT /scim/Users":              {{body: `{"id":"{user}","userName":"put-fire@x.example","active":true}`}},
	"DELETE /scim/Users":           {{body: `{"id":"{user}"}`}},
	"GET /scim/Users/{id}":         {{path: "/scim/Users/{user}?excludedAttributes=emails"}},
	"PUT /scim/Users/{id}":         {{path: "/scim/Users/{user}", body: `{"userName":"put-fire@x.example","name":{"givenName":"Put"},"active":true}`}},
	"PATCH /scim/Users/{id}":       {{path: "/scim/Users/{user}", body: scimPatch}},
	"DELETE /scim/Users/{id}":      {{path: "/scim/Users/{user}"}},
	"GET /scim/Groups/{id}":        {{path: "/scim/Groups/{team}?excludedAttributes=members"}},
	"GET /scim/Groups":             {{path: "/scim/Groups?filter=displayName+eq+%22Support%22&startIndex=1&count=5"}},
	"POST /scim/Groups":            {{body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Fire group","members":[{"value":"{user}"}]}`}},
	"PUT /scim/Groups/{id}":        {{path: "/scim/Groups/{team}", body: `{"displayName":"Put group","members":[{"value":"{user}"}]}`}},
	"PATCH /scim/Groups/{id}":      {{path: "/scim/Groups/{team}", body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"{user}"}]}]}`}},
	"DELETE /scim/Groups/{id}":     {{path: "/scim/Groups/{team}"}},
	"GET /scim/Schemas/{id}":       {{path: "/scim/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"}},
	"GET /scim/ResourceTypes/{id}": {{path: "/scim/ResourceTypes/User"}},
}

// examplesOf returns the examples of route: the table's (the /scim/v2 forms
// share those of /scim), else the bare path.
func examplesOf(t testing.TB, rt httpapi.Route) []example {
	t.Helper()
	key := rt.Method + " " + strings.Replace(rt.Path, "/scim/v2/", "/scim/", 1)
	exs, ok := examples[key]
	if !ok {
		if strings.Contains(strings.ReplaceAll(rt.Path, "{$}", ""), "{") {
			t.Fatalf("route %s %s has a wildcard but no example", rt.Method, rt.Path)
		}
		return []example{{path: strings.ReplaceAll(rt.Path, "{$}", "")}}
	}
	out := make([]example, len(exs))
	for i, ex := range exs {
		if ex.path == "" {
			ex.path = strings.ReplaceAll(rt.Path, "{$}", "")
		}
		if strings.HasPrefix(rt.Path, "/scim/v2/") && !strings.HasPrefix(ex.path, "/scim/v2/") {
			ex.path = strings.Replace(ex.path, "/scim/", "/scim/v2/", 1)
		}
		out[i] = ex
	}
	return out
}

var placeholder = regexp.MustCompile(`\{([a-z]+)\}`)

// Placeholders stand for references to existing objects, never for values
// a request stores: the missing ids must stay missing.

// render replaces the placeholders of s with ids.
func render(s string, ids map[string]string) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := ids[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// kinds lists the placeholders of an example, each once.
func (ex example) kinds() []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(ex.path+" "+ex.body, -1) {
		if _, known := missing[m[1]]; known && !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

// destructive routes delete what later requests use, so they run last.
func destructive(rt httpapi.Route) bool {
	return rt.Method == "DELETE" || strings.HasSuffix(rt.Path, "/reset") || strings.HasSuffix(rt.Path, "/seed") ||
		strings.HasSuffix(rt.Path, "/cancel") || rt.Path == "/gdpr/delete" || (rt.Method == "POST" && rt.Path == "/contacts/{id}") ||
		rt.Path == "/app/uninstall" || rt.Path == "/oauth2/revoke"
}

// ordered returns routes with the destructive ones last.
func ordered(routes []httpapi.Route) []httpapi.Route {
	var safe, last []httpapi.Route
	for _, rt := range routes {
		if rt.Path == "/driftwood/v1/events/stream" || rt.Path == "/widget/v1/{embedId}/stream" || rt.Path == "/inbox/api/events" {
			continue // never ends; TestEventStream_BadInput and TestIsolation's scope probe cover it
		}
		if destructive(rt) {
			last = append(last, rt)
		} else {
			safe = append(safe, rt)
		}
	}
	return append(safe, last...)
}
