package httpapi_test

import (
	"fmt"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
)

// The inbox's search finds the org's conversations by their messages'
// words and contacts by name and email, a page at a time, as text; another
// org's never; bad queries are refused with the parameter named.
func TestInbox_Search(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		ada := e.NewAgent(t, e.OrgID, "Ada", "ada@search.example")
		a := e.SignIn(t, e.OrgID, ada, "ada@search.example", agentPassword)
		c, _ := startVisitor(t, e, "grace@navy.example", "<b>Invoice</b> 1234 is wrong, please refund <script>x</script>")
		_, otherToken := e.NewOrg(t, "Other")
		if r := e.Do(t, apitest.Request{Method: "POST", Path: "/driftwood/v1/simulate/conversations", Token: otherToken,
			Body: map[string]any{"email": "spy@other.example", "body": "invoice of the other org"}}); r.Status != 200 {
			t.Fatalf("the other org's conversation: %d %s", r.Status, r.Body)
		}
		for i := range 22 {
			e.Call(t, "POST", fmt.Sprintf("/driftwood/v1/simulate/conversations/%d/messages", c.ID),
				map[string]any{"body": fmt.Sprintf("refund number %d", i)}, 200)
		}

		found := inboxCall(a, "GET", "/inbox/api/search?q=INVO+12", nil)
		found.Contains = []string{fmt.Sprintf(`"conversationId":%d`, c.ID), `"contactEmail":"grace@navy.example"`,
			`"text":"Invoice 1234 is wrong, please refund x"`, `"type":"chat"`, `"next":""`}
		found.NotContains = []string{"other org", "<b>"}
		found.Run(t, e)

		var page struct {
			Data []struct{ MessageID int64 }
			Next string
		}
		first := inboxCall(a, "GET", "/inbox/api/search?q=refund&kind=messages", nil)
		first.Check = func(t testing.TB, r *apitest.Result) { r.Decode(t, &page) }
		first.Run(t, e)
		if len(page.Data) != 20 || page.Next == "" {
			t.Fatalf("the first page has %d hits and next %q, want 20 and a cursor", len(page.Data), page.Next)
		}
		last := page.Data[19].MessageID
		second := inboxCall(a, "GET", "/inbox/api/search?q=refund&cursor="+page.Next, nil)
		second.Check = func(t testing.TB, r *apitest.Result) {
			r.Decode(t, &page)
			if len(page.Data) != 3 || page.Next != "" || page.Data[0].MessageID >= last {
				t.Errorf("the second page is %+v (next %q), want the 3 older hits", page.Data, page.Next)
			}
		}
		second.Run(t, e)

		contacts := inboxCall(a, "GET", "/inbox/api/search?q=grace%40navy&kind=contacts", nil)
		contacts.Contains = []string{fmt.Sprintf(`"conversationId":%d`, c.ID), `"contactEmail":"grace@navy.example"`}
		contacts.Run(t, e)
		spy := inboxCall(a, "GET", "/inbox/api/search?q=spy&kind=contacts", nil)
		spy.Contains = []string{`"data":[]`}
		spy.Run(t, e)

		bad := func(query, param string) apitest.Scenario {
			s := inboxCall(a, "GET", "/inbox/api/search?"+query, nil)
			s.Name, s.Status, s.Error = query, 400, "validation_error"
			s.Contains = []string{fmt.Sprintf(`"param":%q`, param)}
			return s
		}
		apitest.RunScenarios(t, e, []apitest.Scenario{
			bad("q=", "q"), bad("q=%22*%3A%26", "q"), bad("q=a+b+c+d+e+f+g+h+i", "q"),
			bad("q=x&kind=people", "kind"), bad("q=x&cursor=-1", "cursor"), bad("q=x&cursor=abc", "cursor"),
			{Name: "no session", Method: "GET", Path: "/inbox/api/search?q=refund", Token: apitest.NoToken, Status: 401, Error: "authentication_error"},
		})
	})
}
