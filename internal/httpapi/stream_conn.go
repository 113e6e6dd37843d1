package httpapi

import (
	"net"
	"strconv"
	"time"
)

// connSSE writes a stream's messages straight to a connection taken over
// from net/http after the answer's head (see visitorStream): as HTTP/1.1
// chunks, as net/http began the body, or raw for HTTP/1.0, whose body ends
// when the connection closes.
type connSSE struct {
	conn    net.Conn
	chunked bool
}

func (c *connSSE) send(msg string) error {
	if err := c.conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil {
		return err
	}
	b := make([]byte, 0, len(msg)+12)
	if c.chunked {
		b = strconv.AppendInt(b, int64(len(msg)), 16)
		b = append(b, "\r\n"...)
	}
	b = append(b, msg...)
	if c.chunked {
		b = append(b, "\r\n"...)
	}
	_, err := c.conn.Write(b)
	return err
}

// close ends the answer (the last chunk) and the connection.
func (c *connSSE) close() {
	if c.chunked {
		c.conn.SetWriteDeadline(time.Now().Add(time.Second))
		c.conn.Write([]byte("0\r\n\r\n"))
	}
	c.conn.Close()
}

// gone reports whether the client has closed the connection, without
// waiting: no goroutine reads a taken-over connection (that would cost a
// stack per stream), so the heartbeat asks.
func (c *connSSE) gone() bool { return peerClosed(c.conn) }
