/*
Copyright The workloads-apiserver Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package server

import (
	"bytes"
	"crypto/tls"
	"net"
	"sync"

	"golang.org/x/net/http2"
)

// http2FrameHeaderLen is the size of an HTTP/2 frame header (RFC 9113 §4.1).
const http2FrameHeaderLen = 9

// http2MaxStreamID is the largest stream identifier, the last stream ID of
// the first GOAWAY of a graceful shutdown (RFC 9113 §6.8).
const http2MaxStreamID = 1<<31 - 1

// drainingConn is the TLS connection of one HTTP/2 server connection, wrapped
// so that the first GOAWAY of a two-phase graceful shutdown can be written
// between two frames of the HTTP/2 server.
//
// Go's HTTP/2 server (golang.org/x/net/http2) shuts a connection down with a
// single GOAWAY that names the last stream it has read. A request the client
// sent before that GOAWAY reached it is refused, and a client that has
// already streamed the request body cannot replay it: kube-apiserver's
// aggregation proxy then answers its own client 503. RFC 9113 §6.8 prescribes
// the remedy: a GOAWAY with the largest stream ID first, which tells the
// client to open no new streams on the connection but refuses nothing, and
// the final GOAWAY only after a round trip. The HTTP/2 server offers no hook
// for that first frame, so it is written here: the wrapper follows the frame
// headers of everything the server writes and places the GOAWAY at the next
// frame boundary.
type drainingConn struct {
	tlsConn

	mu sync.Mutex
	// header collects the bytes of a frame header split over writes.
	header  [http2FrameHeaderLen]byte
	headerN int
	// payloadLeft is how many payload bytes of the current frame are still to
	// be written.
	payloadLeft int
	// started is set once the server's first frame (its SETTINGS, the server
	// connection preface) has been written: nothing may precede it.
	started bool
	// pending asks for the GOAWAY at the next frame boundary; sent records it
	// was written.
	pending, sent bool
}

// tlsConn is a *tls.Conn: the HTTP/2 server reads the TLS state of the
// connection through ConnectionState.
type tlsConn interface {
	net.Conn
	ConnectionState() tls.ConnectionState
}

func newDrainingConn(c tlsConn) *drainingConn {
	return &drainingConn{tlsConn: c}
}

// atBoundaryLocked reports whether every frame written so far is complete
// and at least one frame has been written.
func (c *drainingConn) atBoundaryLocked() bool {
	return c.started && c.headerN == 0 && c.payloadLeft == 0
}

// advanceLocked follows the frames in p, which the server is about to write.
// With stopAtBoundary it stops after the first byte that completes a frame and
// returns how many bytes of p that took (len(p) when p ends inside a frame).
func (c *drainingConn) advanceLocked(p []byte, stopAtBoundary bool) int {
	i := 0
	for i < len(p) {
		if c.payloadLeft > 0 {
			n := min(c.payloadLeft, len(p)-i)
			c.payloadLeft -= n
			i += n
		} else {
			n := copy(c.header[c.headerN:], p[i:])
			c.headerN += n
			i += n
			if c.headerN < http2FrameHeaderLen {
				continue
			}
			c.payloadLeft = int(c.header[0])<<16 | int(c.header[1])<<8 | int(c.header[2])
			c.headerN = 0
			c.started = true
		}
		if stopAtBoundary && c.atBoundaryLocked() {
			return i
		}
	}
	return i
}

// Write writes frames of the HTTP/2 server, with a requested GOAWAY at the
// first frame boundary.
func (c *drainingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	written := 0
	if c.pending {
		n := 0
		if !c.atBoundaryLocked() {
			n = c.advanceLocked(p, true)
		}
		if !c.atBoundaryLocked() {
			// p ends inside a frame; the GOAWAY waits for the next write.
			return c.tlsConn.Write(p)
		}
		if n > 0 {
			w, err := c.tlsConn.Write(p[:n])
			written += w
			if err != nil {
				return written, err
			}
		}
		if err := c.writeGoAwayLocked(); err != nil {
			return written, err
		}
		p = p[n:]
	}
	c.advanceLocked(p, false)
	w, err := c.tlsConn.Write(p)
	return written + w, err
}

// GoAway sends the first GOAWAY of a graceful shutdown (last stream ID
// 2^31-1, NO_ERROR) at the next frame boundary: the client opens no further
// streams on this connection, and every stream it has opened or is opening
// is still served. It returns at once; calling it again does nothing.
func (c *drainingConn) GoAway() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sent || c.pending {
		return nil
	}
	if !c.atBoundaryLocked() {
		c.pending = true
		return nil
	}
	return c.writeGoAwayLocked()
}

// GoAwaySent reports whether the first GOAWAY has been written.
func (c *drainingConn) GoAwaySent() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent
}

func (c *drainingConn) writeGoAwayLocked() error {
	var frame bytes.Buffer
	if err := http2.NewFramer(&frame, nil).WriteGoAway(http2MaxStreamID, http2.ErrCodeNo, nil); err != nil {
		return err
	}
	c.pending, c.sent = false, true
	_, err := c.tlsConn.Write(frame.Bytes())
	return err
}
