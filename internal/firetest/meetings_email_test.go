package firetest_test

// Meetings in chat and offline email (api/openapi/areas/55-meetings-email.yaml):
// a user's availability, the slots and booking a visitor ({visitor}) asks
// for, and the inbound email relay's post.
func init() {
	v := "{visitor}"
	everyDay := `[{"day":"monday","start":"00:00","end":"24:00"},{"day":"tuesday","start":"00:00","end":"24:00"},` +
		`{"day":"wednesday","start":"00:00","end":"24:00"},{"day":"thursday","start":"00:00","end":"24:00"},` +
		`{"day":"friday","start":"00:00","end":"24:00"},{"day":"saturday","start":"00:00","end":"24:00"},{"day":"sunday","start":"00:00","end":"24:00"}]`
	for pattern, exs := range map[string][]example{
		"GET /driftwood/v1/users/{id}/availability": {{path: "/driftwood/v1/users/{user}/availability"}},
		"PUT /driftwood/v1/users/{id}/availability": {{path: "/driftwood/v1/users/{user}/availability",
			body: `{"timeZone":"Europe/Paris","workingHours":` + everyDay + `,"meetingTypes":[{"name":"Demo","minutes":30,"bufferMinutes":5,"minimumNoticeMinutes":0}]}`}},
		"GET /widget/v1/{embedId}/meetings/slots": {{path: "/widget/v1/{embedid}/meetings/slots?agentId={user}&meetingType=Demo&timeZone=Asia/Tokyo&from=1900000000000&to=1900086400000", token: v}},
		"POST /widget/v1/{embedId}/meetings": {{path: "/widget/v1/{embedid}/meetings", token: v,
			body: `{"agentId":{user},"meetingType":"Demo","slotStart":1900000800000,"timeZone":"Asia/Tokyo","conversationId":{visitorconv}}`}},
		"POST /widget/v1/{embedId}/resume": {{path: "/widget/v1/{embedid}/resume", token: v, want: 404,
			body: `{"conversationId":{visitorconv},"until":1900000000000,"sig":"0123456789abcdef01234567"}`}},
		// No offline email was sent in the fire world, so no reply address
		// verifies: the example reaches the signature check (a 404).
		"POST /driftwood/v1/inbound-email": {{want: 404,
			body: `{"from":"Visitor <{email}>","to":["reply+{visitorconv}.0123456789abcdef01234567@x.example"],"subject":"Re: hi","text":"thanks\n> quoted"}`}},
	} {
		examples[pattern] = exs
	}
	queryParams = append(queryParams, "agentId", "meetingType", "timeZone", "from", "to")
}
