package httpapi_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/events"
)

// An agent's files go with the reply under the REST API's rules: stored,
// listed with inbox URLs, found by name; too many is refused, nothing
// written.
func TestInbox_Attachments(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		ada := e.NewAgent(t, e.OrgID, "Ada", "ada@files.example")
		a := e.SignIn(t, e.OrgID, ada, "ada@files.example", agentPassword)
		c, _ := startVisitor(t, e, "files@visitor.example", "send me the invoice")
		withType := func(ct string) map[string]string {
			h := a.Header()
			h["Content-Type"] = ct
			return h
		}
		path := fmt.Sprintf("/inbox/api/conversations/%d/messages", c.ID)
		form := func(message string, n int) ([]byte, string) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			mw.WriteField("message", message)
			for i := range n {
				fw, _ := mw.CreateFormFile("file", fmt.Sprintf("invoice-%d.txt", i))
				fw.Write([]byte("Invoice total: 42 EUR"))
			}
			mw.Close()
			return buf.Bytes(), mw.FormDataContentType()
		}
		body, ct := form(`{"body": ""}`, 1)
		post := inboxCall(a, "POST", path, body)
		post.Header = withType(ct)
		post.Events = []events.Type{events.NewMessage, events.ConversationParticipantAdded}
		post.Contains = []string{`"fileName":"invoice-0.txt"`, `"mimeType":"text/plain; charset=utf-8"`, `"url":"/inbox/api/attachments/`}
		post.Run(t, e)
		found := inboxCall(a, "GET", "/inbox/api/search?q=invoice+0+txt", nil)
		found.Contains = []string{fmt.Sprintf(`"conversationId":%d`, c.ID)}
		found.Run(t, e)

		body, ct = form(`{"body": "eleven"}`, conversation.MaxAttachments+1)
		tooMany := inboxCall(a, "POST", path, body)
		tooMany.Header = withType(ct)
		tooMany.Status, tooMany.Error = 400, "validation_error"
		tooMany.Run(t, e)
		if !strings.Contains(string(body), "eleven") {
			t.Fatal("the form lost its message")
		}
	})
}
