// Package sse reads server-sent events (the text/event-stream format of the
// HTML standard, §9.2) from a stream: Driftwood's event stream as its
// clients (driftwood listen, tests) see it.
package sse

import (
	"bufio"
	"io"
	"strings"
)

// Message is one dispatched event.
type Message struct {
	ID    string // the last id field seen on the stream so far
	Event string // "message" when the event named none
	Data  string // the data lines, joined by "\n"
}

// Reader reads messages from a stream.
type Reader struct {
	s      *bufio.Scanner
	lastID string
}

// NewReader reads r; lines may be up to 1 MiB long.
func NewReader(r io.Reader) *Reader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	return &Reader{s: s}
}

// Next returns the next message, skipping comments and fields without data.
// At the end of the stream it returns io.EOF, or the read error.
func (r *Reader) Next() (Message, error) {
	var event string
	var data []string
	for r.s.Scan() {
		line := strings.TrimSuffix(r.s.Text(), "\r")
		if line == "" {
			if data != nil {
				if event == "" {
					event = "message"
				}
				return Message{ID: r.lastID, Event: event, Data: strings.Join(data, "\n")}, nil
			}
			event = ""
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			r.lastID = value
		case "event":
			event = value
		case "data":
			data = append(data, value)
		}
	}
	if err := r.s.Err(); err != nil {
		return Message{}, err
	}
	return Message{}, io.EOF
}
