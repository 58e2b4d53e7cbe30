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
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"k8s.io/apiserver/pkg/endpoints/responsewriter"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/klog/v2"
)

// http2DrainRoundTrip is how long the final GOAWAY of a connection waits after
// the first one: long enough for the client to have received the first GOAWAY
// and for every stream it opened before that to have arrived.
const http2DrainRoundTrip = time.Second

// Serve runs s until ctx is done, serving its secure port with HTTP/2
// connections that shut down in two phases (see drainingConn), and returns
// once the generic server's graceful termination and the secure port's have
// both finished.
//
// k8s.io/apiserver serves the secure port itself, with no way to reach the
// HTTP/2 connections. So the secure port is served here, by an http.Server
// with the generic server's handler chain, TLS settings and (reloaded)
// certificates, while the generic server is given a listener that never
// accepts: its graceful termination runs unchanged, and the moments it
// reaches drive the secure port's.
//
//   - SIGTERM: /readyz fails; everything is still served for
//     --shutdown-delay-duration, so the replica leaves the endpoints.
//   - End of the delay (a pre-shutdown hook, which holds back the generic
//     server's 429s for another http2DrainRoundTrip): each HTTP/2
//     connection gets the first GOAWAY. kube-apiserver opens a new connection, which reaches another
//     replica, for its next request; every request already on its way is
//     served here. A "Connection: close" the handlers set on an HTTP/2
//     response (--shutdown-send-retry-after, --goaway-chance) sends that same
//     first GOAWAY instead of Go's single final one.
//   - When the generic server stops its (never accepting) listener, which
//     with --shutdown-send-retry-after is after in-flight requests and
//     watches have drained: at least http2DrainRoundTrip after the first
//     GOAWAY, the secure port stops listening and http.Server.Shutdown sends
//     the final GOAWAY, which refuses nothing because no client opens
//     streams here any more.
func Serve(ctx context.Context, s *genericapiserver.GenericAPIServer) error {
	info := s.SecureServingInfo
	if info == nil || info.Listener == nil {
		return s.PrepareRun().RunWithContext(ctx)
	}
	prepared := s.PrepareRun()

	ss, err := newSecureServer(info, s.Handler, ctx.Done())
	if err != nil {
		return err
	}
	public := info.Listener
	parked := newParkedListener(public.Addr())
	info.Listener = parked

	delay := s.ShutdownDelayDuration
	if err := s.AddPreShutdownHook("workloads-http2-goaway", func() error {
		// Pre-shutdown hooks start with the shutdown and the generic server
		// stops accepting requests only once they have returned, so this
		// sends the first GOAWAY when the shutdown delay is over and before
		// any request is answered 429.
		time.Sleep(delay)
		ss.drain()
		// Requests already on their way are served, not answered 429:
		// clients that follow the GOAWAY (kube-apiserver's proxy and its
		// APIService availability checks among them) never see a 429.
		time.Sleep(http2DrainRoundTrip)
		return nil
	}); err != nil {
		return err
	}
	shutdownTimeout := s.ShutdownTimeout
	if s.ShutdownSendRetryAfter {
		// As the generic server: everything has drained by then.
		shutdownTimeout = 2 * time.Second
	}

	served := make(chan error, 1)
	go func() { served <- ss.http.Serve(tls.NewListener(public, ss.http.TLSConfig)) }()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-parked.closed
		ss.shutdown(shutdownTimeout)
	}()

	runErr := prepared.RunWithContext(ctx)
	// RunWithContext also returns early on a start-up error, before it closed
	// the parked listener.
	_ = parked.Close()
	<-stopped
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return errors.Join(runErr, fmt.Errorf("serving %s: %w", public.Addr(), err))
	}
	return runErr
}

// secureServer serves the secure port: an http.Server with the generic
// server's settings, whose HTTP/2 connections are drainingConns.
type secureServer struct {
	http *http.Server
	h2   *http2.Server

	mu sync.Mutex
	// conns are the open HTTP/2 connections.
	conns map[*drainingConn]struct{}
	// drained is when the first GOAWAY went out; zero until then.
	drained time.Time
}

type drainingConnKey struct{}

func newSecureServer(info *genericapiserver.SecureServingInfo, handler http.Handler, stopCh <-chan struct{}) (*secureServer, error) {
	tlsConfig := servingTLSConfig(info, stopCh)
	ss := &secureServer{conns: map[*drainingConn]struct{}{}}
	ss.http = &http.Server{
		Addr:              info.Listener.Addr().String(),
		Handler:           withHTTP2ConnectionClose(handler),
		MaxHeaderBytes:    1 << 20,
		TLSConfig:         tlsConfig,
		IdleTimeout:       90 * time.Second,
		ReadHeaderTimeout: 32 * time.Second,
		ErrorLog:          log.New(handshakeErrorWriter{}, "", 0),
	}
	if info.DisableHTTP2 {
		return ss, nil
	}
	// The same HTTP/2 limits as k8s.io/apiserver's secure serving: frames and
	// per-stream buffers sized for nearly every API request body (256 KiB),
	// 100 concurrent streams unless --http2-max-streams-per-connection says
	// otherwise, and a connection buffer for all of them.
	const requestBody = 256 * 1024
	ss.h2 = &http2.Server{
		IdleTimeout:              90 * time.Second,
		MaxUploadBufferPerStream: requestBody,
		MaxReadFrameSize:         requestBody,
		MaxConcurrentStreams:     100,
	}
	if info.HTTP2MaxStreamsPerConnection > 0 {
		ss.h2.MaxConcurrentStreams = uint32(info.HTTP2MaxStreamsPerConnection)
	}
	ss.h2.MaxUploadBufferPerConnection = ss.h2.MaxUploadBufferPerStream * int32(ss.h2.MaxConcurrentStreams)
	if err := http2.ConfigureServer(ss.http, ss.h2); err != nil {
		return nil, fmt.Errorf("configuring HTTP/2: %w", err)
	}
	// Replaces the handler ConfigureServer installed, which serves the
	// *tls.Conn as it is.
	ss.http.TLSNextProto[http2.NextProtoTLS] = ss.serveHTTP2
	return ss, nil
}

// serveHTTP2 serves one HTTP/2 connection through a drainingConn.
func (ss *secureServer) serveHTTP2(hs *http.Server, c *tls.Conn, h http.Handler) {
	dc := newDrainingConn(c)
	ss.mu.Lock()
	ss.conns[dc] = struct{}{}
	draining := !ss.drained.IsZero()
	ss.mu.Unlock()
	defer func() {
		ss.mu.Lock()
		delete(ss.conns, dc)
		ss.mu.Unlock()
	}()
	if draining {
		// A connection made during the shutdown is served, but the client
		// is told at once to open no more streams on it.
		_ = dc.GoAway()
	}

	ctx := context.Background()
	// net/http hands over a handler that carries the connection's base
	// context (http.Server.BaseContext and ConnContext).
	if bc, ok := h.(interface{ BaseContext() context.Context }); ok {
		ctx = bc.BaseContext()
	}
	ss.h2.ServeConn(dc, &http2.ServeConnOpts{
		Context:    context.WithValue(ctx, drainingConnKey{}, dc),
		Handler:    h,
		BaseConfig: hs,
	})
}

// drain sends the first GOAWAY on every HTTP/2 connection, once:
// connections accepted afterwards get it in serveHTTP2.
func (ss *secureServer) drain() {
	ss.mu.Lock()
	if !ss.drained.IsZero() {
		ss.mu.Unlock()
		return
	}
	ss.drained = time.Now()
	conns := make([]*drainingConn, 0, len(ss.conns))
	for dc := range ss.conns {
		conns = append(conns, dc)
	}
	ss.mu.Unlock()
	for _, dc := range conns {
		if err := dc.GoAway(); err != nil {
			klog.V(2).InfoS("First GOAWAY not sent", "remote", dc.RemoteAddr(), "err", err)
		}
	}
	klog.InfoS("[graceful-termination] sent the first GOAWAY to HTTP/2 clients", "connections", len(conns))
}

// shutdown stops listening and ends the connections: HTTP/2 ones with the
// final GOAWAY, at least http2DrainRoundTrip after the first (sent here if
// the pre-shutdown hook has not sent it).
func (ss *secureServer) shutdown(timeout time.Duration) {
	ss.drain()
	ss.mu.Lock()
	wait := time.Until(ss.drained.Add(http2DrainRoundTrip))
	ss.mu.Unlock()
	if wait > 0 {
		time.Sleep(wait)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := ss.http.Shutdown(ctx); err != nil {
		klog.InfoS("[graceful-termination] closing the connections still open", "timeout", timeout, "err", err)
		_ = ss.http.Close()
	}
}

// withHTTP2ConnectionClose turns a "Connection: close" response header on an
// HTTP/2 connection into the connection's first GOAWAY. Go's HTTP/2 server
// would answer it with its single, final GOAWAY and refuse whatever the
// client sent meanwhile.
func withHTTP2ConnectionClose(handler http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dc, ok := r.Context().Value(drainingConnKey{}).(*drainingConn)
		if !ok {
			handler.ServeHTTP(w, r)
			return
		}
		handler.ServeHTTP(responsewriter.WrapForHTTP1Or2(&connectionCloseWriter{ResponseWriter: w, conn: dc}), r)
	})
}

type connectionCloseWriter struct {
	http.ResponseWriter
	conn    *drainingConn
	checked bool
}

func (w *connectionCloseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *connectionCloseWriter) check() {
	if w.checked {
		return
	}
	w.checked = true
	h := w.ResponseWriter.Header()
	if _, ok := h["Connection"]; !ok {
		return
	}
	closeConn := strings.EqualFold(strings.TrimSpace(h.Get("Connection")), "close")
	h.Del("Connection")
	if closeConn {
		_ = w.conn.GoAway()
	}
}

func (w *connectionCloseWriter) WriteHeader(code int) {
	w.check()
	w.ResponseWriter.WriteHeader(code)
}

func (w *connectionCloseWriter) Write(b []byte) (int, error) {
	w.check()
	return w.ResponseWriter.Write(b)
}

func (w *connectionCloseWriter) Flush() {
	w.check()
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// servingTLSConfig is the TLS configuration k8s.io/apiserver's secure serving
// builds from the same settings: TLS 1.2 or later, h2 unless disabled, the
// configured ciphers and curves, client certificates requested (verified by
// the authenticators, not the handshake), and serving certificates, SNI
// certificates and the client CA reloaded whenever their providers change.
// The providers themselves are run by the generic server.
func servingTLSConfig(info *genericapiserver.SecureServingInfo, stopCh <-chan struct{}) *tls.Config {
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{http2.NextProtoTLS, "http/1.1"},
	}
	if info.DisableHTTP2 {
		cfg.NextProtos = []string{"http/1.1"}
	}
	if info.MinTLSVersion > 0 {
		cfg.MinVersion = info.MinTLSVersion
	}
	if len(info.CipherSuites) > 0 {
		cfg.CipherSuites = info.CipherSuites
	}
	if len(info.CurvePreferences) > 0 {
		cfg.CurvePreferences = info.CurvePreferences
	}
	if info.ClientCA != nil {
		cfg.ClientAuth = tls.RequestClientCert
	}
	if info.ClientCA == nil && info.Cert == nil && len(info.SNICerts) == 0 {
		return cfg
	}
	certs := dynamiccertificates.NewDynamicServingCertificateController(cfg, info.ClientCA, info.Cert, info.SNICerts, nil)
	if info.ClientCA != nil {
		info.ClientCA.AddListener(certs)
	}
	if info.Cert != nil {
		info.Cert.AddListener(certs)
	}
	for _, sni := range info.SNICerts {
		sni.AddListener(certs)
	}
	if err := certs.RunOnce(); err != nil {
		klog.InfoS("Initial serving certificates not loaded yet; handshakes fail until they are", "err", err)
	}
	go certs.Run(1, stopCh)
	cfg.GetConfigForClient = certs.GetConfigForClient
	return cfg
}

// handshakeErrorWriter logs the http.Server's own errors: TLS handshake
// failures (port scans, load balancer probes) only at V(5), as
// k8s.io/apiserver does.
type handshakeErrorWriter struct{}

func (handshakeErrorWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	if strings.Contains(msg, "TLS handshake error") {
		klog.V(5).InfoS(msg)
	} else {
		klog.ErrorS(nil, msg)
	}
	return len(p), nil
}

// parkedListener is the listener the generic server is given: it never
// accepts a connection, and closing it is the generic server's signal that
// its graceful termination has reached the point where it stops its HTTP
// server.
type parkedListener struct {
	addr   net.Addr
	once   sync.Once
	closed chan struct{}
}

func newParkedListener(addr net.Addr) *parkedListener {
	return &parkedListener{addr: addr, closed: make(chan struct{})}
}

func (l *parkedListener) Accept() (net.Conn, error) {
	<-l.closed
	return nil, net.ErrClosed
}

func (l *parkedListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *parkedListener) Addr() net.Addr { return l.addr }
