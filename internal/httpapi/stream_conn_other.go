//go:build !unix

package httpapi

import "net"

// peerClosed cannot peek here: a gone client is noticed when a write fails.
func peerClosed(net.Conn) bool { return false }
