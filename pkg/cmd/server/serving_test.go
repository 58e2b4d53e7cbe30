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
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	certutil "k8s.io/client-go/util/cert"
)

// recordingConn is the network side of a drainingConn in a unit test: it
// keeps what is written.
type recordingConn struct {
	net.Conn
	out bytes.Buffer
}

func (c *recordingConn) Write(p []byte) (int, error)          { return c.out.Write(p) }
func (c *recordingConn) ConnectionState() tls.ConnectionState { return tls.ConnectionState{} }

// TestDrainingConnPlacesGoAwayBetweenFrames writes a stream of frames split
// at random points, asks for the GOAWAY at a random write, and checks that
// the bytes on the wire are the same frames with exactly one GOAWAY (last
// stream ID 2^31-1) inserted at the first frame boundary after the request,
// never before the server's first frame.
func TestDrainingConnPlacesGoAwayBetweenFrames(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for round := range 500 {
		// The frames a server might write: SETTINGS first, then headers and
		// data of various sizes (some empty, some larger than a write).
		var stream bytes.Buffer
		fr := http2.NewFramer(&stream, nil)
		if err := fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 100}); err != nil {
			t.Fatal(err)
		}
		var boundaries []int // offsets where a frame ends
		boundaries = append(boundaries, stream.Len())
		frames := 1 + rng.Intn(8)
		for i := range frames {
			payload := make([]byte, rng.Intn(3000))
			rng.Read(payload)
			if err := fr.WriteData(uint32(2*i+1), i%2 == 0, payload); err != nil {
				t.Fatal(err)
			}
			boundaries = append(boundaries, stream.Len())
		}
		data := stream.Bytes()

		// Split into writes at random points.
		var writes [][]byte
		for rest := data; len(rest) > 0; {
			n := 1 + rng.Intn(min(len(rest), 4000))
			writes = append(writes, rest[:n])
			rest = rest[n:]
		}
		askAt := rng.Intn(len(writes) + 1) // GoAway before this write
		rec := &recordingConn{}
		dc := newDrainingConn(rec)
		offset := 0
		for i, w := range writes {
			if i == askAt {
				if err := dc.GoAway(); err != nil {
					t.Fatal(err)
				}
			}
			if n, err := dc.Write(w); err != nil || n != len(w) {
				t.Fatalf("round %d: write %d: n=%d err=%v, want %d", round, i, n, err, len(w))
			}
			offset += len(w)
		}
		askOffset := len(data)
		if askAt < len(writes) {
			askOffset = 0
			for _, w := range writes[:askAt] {
				askOffset += len(w)
			}
		}
		if askAt == len(writes) {
			if err := dc.GoAway(); err != nil {
				t.Fatal(err)
			}
		}
		if !dc.GoAwaySent() {
			t.Fatalf("round %d: GOAWAY not sent after all frames were complete", round)
		}
		// Where it must be: the first boundary at or after the request.
		want := -1
		for _, b := range boundaries {
			if b >= askOffset {
				want = b
				break
			}
		}

		got := rec.out.Bytes()
		var goaway bytes.Buffer
		if err := http2.NewFramer(&goaway, nil).WriteGoAway(http2MaxStreamID, http2.ErrCodeNo, nil); err != nil {
			t.Fatal(err)
		}
		expected := append(append(append([]byte{}, data[:want]...), goaway.Bytes()...), data[want:]...)
		if !bytes.Equal(got, expected) {
			t.Fatalf("round %d: GOAWAY asked at byte %d: wire differs from the frames with the GOAWAY at byte %d", round, askOffset, want)
		}
		// And it parses as frames, the GOAWAY among them.
		rd := http2.NewFramer(nil, bytes.NewReader(got))
		seen := 0
		for {
			f, err := rd.ReadFrame()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("round %d: reading the frames: %v", round, err)
			}
			if ga, ok := f.(*http2.GoAwayFrame); ok {
				seen++
				if ga.LastStreamID != http2MaxStreamID || ga.ErrCode != http2.ErrCodeNo {
					t.Fatalf("round %d: GOAWAY last stream %d code %v", round, ga.LastStreamID, ga.ErrCode)
				}
			}
		}
		if seen != 1 {
			t.Fatalf("round %d: %d GOAWAY frames, want 1", round, seen)
		}
	}
}

// h2client speaks HTTP/2 frames to the server directly, so that the test
// controls when each stream is sent relative to the GOAWAYs.
type h2client struct {
	t    *testing.T
	conn *tls.Conn
	fr   *http2.Framer
	enc  *hpack.Encoder
	hbuf bytes.Buffer
}

func dialH2(t *testing.T, addr string) *h2client {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{http2.NextProtoTLS}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if p := conn.ConnectionState().NegotiatedProtocol; p != http2.NextProtoTLS {
		t.Fatalf("negotiated %q, want h2", p)
	}
	c := &h2client{t: t, conn: conn, fr: http2.NewFramer(conn, conn)}
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	c.enc = hpack.NewEncoder(&c.hbuf)
	if _, err := conn.Write([]byte(http2.ClientPreface)); err != nil {
		t.Fatal(err)
	}
	if err := c.fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	return c
}

// post sends a POST with a body on stream id.
func (c *h2client) post(id uint32, path string) {
	c.t.Helper()
	c.hbuf.Reset()
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "https"}, {":authority", "localhost"}, {":path", path}, {"content-type", "text/plain"}} {
		if err := c.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]}); err != nil {
			c.t.Fatal(err)
		}
	}
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.hbuf.Bytes(), EndHeaders: true}); err != nil {
		c.t.Fatal(err)
	}
	if err := c.fr.WriteData(id, true, []byte("body")); err != nil {
		c.t.Fatal(err)
	}
}

// next returns the next frame that is not SETTINGS, PING or WINDOW_UPDATE.
func (c *h2client) next() http2.Frame {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			c.t.Fatalf("reading a frame: %v", err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				if err := c.fr.WriteSettingsAck(); err != nil {
					c.t.Fatal(err)
				}
			}
			continue
		case *http2.PingFrame, *http2.WindowUpdateFrame:
			continue
		}
		return f
	}
}

// response waits for the response headers of stream id and returns them;
// it fails on a RST_STREAM or a GOAWAY in between.
func (c *h2client) response(id uint32) *http2.MetaHeadersFrame {
	c.t.Helper()
	for {
		switch f := c.next().(type) {
		case *http2.MetaHeadersFrame:
			if f.StreamID == id {
				return f
			}
		case *http2.DataFrame:
		case *http2.RSTStreamFrame:
			c.t.Fatalf("stream %d reset: %v", f.StreamID, f.ErrCode)
		case *http2.GoAwayFrame:
			c.t.Fatalf("GOAWAY (last stream %d) while waiting for the response of stream %d", f.LastStreamID, id)
		}
	}
}

// goAway waits for a GOAWAY, skipping the rest of earlier responses.
func (c *h2client) goAway() *http2.GoAwayFrame {
	c.t.Helper()
	for {
		switch f := c.next().(type) {
		case *http2.GoAwayFrame:
			return f
		case *http2.DataFrame, *http2.MetaHeadersFrame:
		default:
			c.t.Fatalf("unexpected %v while waiting for a GOAWAY", f.Header())
		}
	}
}

func startSecureServer(t *testing.T, handler http.Handler) (*secureServer, string) {
	t.Helper()
	certPEM, keyPEM, err := certutil.GenerateSelfSignedCertKey("localhost", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := dynamiccertificates.NewStaticCertKeyContent("serving", certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stopCh := make(chan struct{})
	ss, err := newSecureServer(&genericapiserver.SecureServingInfo{Listener: ln, Cert: cert}, handler, stopCh)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- ss.http.Serve(tls.NewListener(ln, ss.http.TLSConfig)) }()
	t.Cleanup(func() {
		close(stopCh)
		_ = ss.http.Close()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serving: %v", err)
		}
	})
	return ss, ln.Addr().String()
}

func testHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/close" {
			// What the generic server's retry-after and GOAWAY-chance
			// filters do.
			w.Header().Set("Connection", "close")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
}

// TestSecureServerShutsDownInTwoPhases drives a shutdown the way the generic
// server's graceful termination does and checks, frame by frame, that a
// stream the client opened after the server's first GOAWAY (one in flight
// as the GOAWAY was sent) is still served, and that the final GOAWAY names
// it as the last stream.
func TestSecureServerShutsDownInTwoPhases(t *testing.T) {
	ss, addr := startSecureServer(t, testHandler())
	c := dialH2(t, addr)

	c.post(1, "/ok")
	if st := c.response(1).PseudoValue("status"); st != "200" {
		t.Fatalf("stream 1: status %s", st)
	}

	ss.drain()
	first := c.goAway()
	if first.LastStreamID != http2MaxStreamID || first.ErrCode != http2.ErrCodeNo {
		t.Fatalf("first GOAWAY: last stream %d, code %v; want %d, NO_ERROR", first.LastStreamID, first.ErrCode, http2MaxStreamID)
	}

	// A request the client wrote before it read the GOAWAY.
	c.post(3, "/ok")
	if st := c.response(3).PseudoValue("status"); st != "200" {
		t.Fatalf("stream 3, sent after the first GOAWAY: status %s, want 200", st)
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		ss.shutdown(10 * time.Second)
	}()
	final := c.goAway()
	if final.LastStreamID != 3 || final.ErrCode != http2.ErrCodeNo {
		t.Fatalf("final GOAWAY: last stream %d, code %v; want 3, NO_ERROR", final.LastStreamID, final.ErrCode)
	}
	_ = c.conn.Close()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("shutdown did not finish")
	}
}

// TestConnectionCloseOnHTTP2SendsFirstGoAway checks that a handler's
// "Connection: close" on an HTTP/2 response sends the first GOAWAY (last
// stream 2^31-1) instead of Go's final one, so that the client's next stream
// is still served, and that the header itself is not sent.
func TestConnectionCloseOnHTTP2SendsFirstGoAway(t *testing.T) {
	_, addr := startSecureServer(t, testHandler())
	c := dialH2(t, addr)

	c.post(1, "/close")
	// The GOAWAY and the response may come in either order.
	var resp *http2.MetaHeadersFrame
	var ga *http2.GoAwayFrame
	for resp == nil || ga == nil {
		switch f := c.next().(type) {
		case *http2.MetaHeadersFrame:
			if f.StreamID == 1 {
				resp = f
			}
		case *http2.GoAwayFrame:
			if ga != nil {
				t.Fatalf("second GOAWAY (last stream %d)", f.LastStreamID)
			}
			ga = f
		case *http2.DataFrame:
		default:
			t.Fatalf("unexpected %v", f.Header())
		}
	}
	if st := resp.PseudoValue("status"); st != "429" {
		t.Fatalf("stream 1: status %s, want 429", st)
	}
	for _, f := range resp.Fields {
		if f.Name == "connection" {
			t.Fatalf("response carries a connection header: %q", f.Value)
		}
	}
	if ga.LastStreamID != http2MaxStreamID {
		t.Fatalf("GOAWAY after Connection: close names last stream %d, want %d", ga.LastStreamID, http2MaxStreamID)
	}
	c.post(3, "/ok")
	if st := c.response(3).PseudoValue("status"); st != "200" {
		t.Fatalf("stream 3, sent after the GOAWAY: status %s, want 200", st)
	}
}

// TestConnectionMadeWhileDrainingGetsGoAway: a connection accepted after the
// first GOAWAYs went out is served, and told at once to open no more streams.
func TestConnectionMadeWhileDrainingGetsGoAway(t *testing.T) {
	ss, addr := startSecureServer(t, testHandler())
	ss.drain()
	c := dialH2(t, addr)
	ga := c.goAway()
	if ga.LastStreamID != http2MaxStreamID {
		t.Fatalf("GOAWAY on a new connection while draining names last stream %d, want %d", ga.LastStreamID, http2MaxStreamID)
	}
	c.post(1, "/ok")
	if st := c.response(1).PseudoValue("status"); st != "200" {
		t.Fatalf("stream 1: status %s, want 200", st)
	}
}

// discardConn is a connection that drops what is written.
type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error)          { return len(p), nil }
func (discardConn) ConnectionState() tls.ConnectionState { return tls.ConnectionState{} }

// BenchmarkDrainingConnWrite measures what following the frame headers costs
// per write, against writing to the connection directly: the HTTP/2 server's
// typical flush of a response (HEADERS and a few DATA frames, 4 KiB to
// 64 KiB). Compare the sub-benchmarks' ns/op.
func BenchmarkDrainingConnWrite(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10} {
		var buf bytes.Buffer
		fr := http2.NewFramer(&buf, nil)
		_ = fr.WriteSettings()
		for buf.Len() < size {
			_ = fr.WriteData(1, false, make([]byte, 16<<10))
		}
		frames := buf.Bytes()
		b.Run(fmt.Sprintf("direct/%dKiB", size>>10), func(b *testing.B) {
			var c tlsConn = discardConn{}
			b.SetBytes(int64(len(frames)))
			for b.Loop() {
				_, _ = c.Write(frames)
			}
		})
		b.Run(fmt.Sprintf("draining/%dKiB", size>>10), func(b *testing.B) {
			c := newDrainingConn(discardConn{})
			b.SetBytes(int64(len(frames)))
			for b.Loop() {
				_, _ = c.Write(frames)
			}
		})
	}
}
