package sse

import (
	"io"
	"strings"
	"testing"
)

func TestReader(t *testing.T) {
	t.Parallel()
	stream := ": connected\n\n" +
		"id: 7\nevent: new_message\ndata: {\"a\":1}\n\n" +
		"event: ignored\n\n" + // no data: not dispatched
		"data: line one\r\ndata:line two\r\n\r\n" + // CRLF, no space, default event, id kept
		"id: 9\nevent: x\ndata: tail" // no blank line: not dispatched
	r := NewReader(strings.NewReader(stream))
	for _, want := range []Message{
		{ID: "7", Event: "new_message", Data: `{"a":1}`},
		{ID: "7", Event: "message", Data: "line one\nline two"},
	} {
		got, err := r.Next()
		if err != nil || got != want {
			t.Fatalf("got %+v, %v; want %+v", got, err, want)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}
