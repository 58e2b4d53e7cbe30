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

package framework

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// LoadBalancer is a TEST UTILITY, not part of the product: a loopback TCP
// load balancer that plays the Service and kube-proxy in front of the
// workloads-apiserver replicas of an HA test cluster
// (Options.WorkloadsAPIServerReplicas > 1). The APIService's ExternalName
// Service points at its port.
//
// Behaviour, modelled on a Service with a readiness probe:
//   - each new connection goes to the next ready backend, round robin;
//   - a backend is ready while its readiness probe (GET /readyz, every
//     ProbeInterval) answers 200; one failed probe takes it out of rotation,
//     as an Endpoint leaves an EndpointSlice once its pod is not ready;
//   - a backend whose port refuses a connection is taken out at once and the
//     connection is offered to the next ready backend (a dead pod's Endpoint
//     is removed without waiting for the probe);
//   - connections are plain byte pipes (TLS passes through): when a replica
//     dies its connections break, and when one side closes, both are closed;
//   - with no ready backend a new connection is closed at once.
//
// It counts active and total connections per backend.
type LoadBalancer struct {
	listener net.Listener
	backends []*lbBackend
	probe    func(ctx context.Context, addr string) error
	interval time.Duration
	logger   Logger

	next   atomic.Uint64
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type lbBackend struct {
	addr   string
	ready  atomic.Bool
	active atomic.Int64
	total  atomic.Int64
	// probed is closed and replaced whenever a probe of this backend ends,
	// so callers can wait for the next probe result.
	mu     sync.Mutex
	probed chan struct{}
}

// BackendStats is one backend's state as the balancer sees it.
type BackendStats struct {
	// Index is the replica index; Addr its host:port.
	Index int
	Addr  string
	// Ready is whether new connections may go to it.
	Ready bool
	// Active is the number of open connections; Total those ever opened.
	Active int64
	Total  int64
}

// defaultProbeInterval is how often the balancer probes each backend.
const defaultProbeInterval = 500 * time.Millisecond

// newLoadBalancer listens on 127.0.0.1:port (0: any free port) and balances
// over backends (host:port), probing each with probe.
func newLoadBalancer(port int, backends []string, probe func(ctx context.Context, addr string) error, interval time.Duration, logger Logger) (*LoadBalancer, error) {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, fmt.Errorf("load balancer: listening: %w", err)
	}
	if interval <= 0 {
		interval = defaultProbeInterval
	}
	lb := &LoadBalancer{listener: l, probe: probe, interval: interval, logger: logger}
	lb.ctx, lb.cancel = context.WithCancel(context.Background())
	for _, addr := range backends {
		lb.backends = append(lb.backends, &lbBackend{addr: addr, probed: make(chan struct{})})
	}
	for _, b := range lb.backends {
		lb.wg.Add(1)
		go lb.probeLoop(b)
	}
	lb.wg.Add(1)
	go lb.acceptLoop()
	return lb, nil
}

// Addr is the balancer's host:port.
func (lb *LoadBalancer) Addr() string { return lb.listener.Addr().String() }

// Port is the balancer's port.
func (lb *LoadBalancer) Port() int { return lb.listener.Addr().(*net.TCPAddr).Port }

// Stats returns every backend's state, in replica order.
func (lb *LoadBalancer) Stats() []BackendStats {
	out := make([]BackendStats, len(lb.backends))
	for i, b := range lb.backends {
		out[i] = BackendStats{Index: i, Addr: b.addr, Ready: b.ready.Load(), Active: b.active.Load(), Total: b.total.Load()}
	}
	return out
}

// WaitReady waits until backend i is ready (true) or out of rotation (false)
// in the balancer's view.
func (lb *LoadBalancer) WaitReady(ctx context.Context, i int, ready bool) error {
	if i < 0 || i >= len(lb.backends) {
		return fmt.Errorf("load balancer: no backend %d", i)
	}
	b := lb.backends[i]
	for {
		b.mu.Lock()
		probed := b.probed
		b.mu.Unlock()
		if b.ready.Load() == ready {
			return nil
		}
		select {
		case <-probed:
		case <-ctx.Done():
			return fmt.Errorf("load balancer: waiting for backend %d (%s) ready=%t: %w", i, b.addr, ready, ctx.Err())
		}
	}
}

// Close stops accepting, stops the probes and closes every connection.
func (lb *LoadBalancer) Close() error {
	lb.cancel()
	err := lb.listener.Close()
	lb.wg.Wait()
	return err
}

func (lb *LoadBalancer) probeLoop(b *lbBackend) {
	defer lb.wg.Done()
	t := time.NewTicker(lb.interval)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(lb.ctx, 2*lb.interval+time.Second)
		err := lb.probe(ctx, b.addr)
		cancel()
		if lb.ctx.Err() != nil {
			return
		}
		was := b.ready.Swap(err == nil)
		if was != (err == nil) && lb.logger != nil {
			lb.logger.Logf("load balancer: backend %s ready=%t%s", b.addr, err == nil, briefError(err))
		}
		b.mu.Lock()
		close(b.probed)
		b.probed = make(chan struct{})
		b.mu.Unlock()
		select {
		case <-lb.ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (lb *LoadBalancer) acceptLoop() {
	defer lb.wg.Done()
	for {
		conn, err := lb.listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || lb.ctx.Err() != nil {
				return
			}
			continue
		}
		lb.wg.Add(1)
		go func() {
			defer lb.wg.Done()
			lb.serve(conn)
		}()
	}
}

// pick dials the next ready backend, skipping (and taking out) those that
// refuse the connection.
func (lb *LoadBalancer) pick() (*lbBackend, net.Conn) {
	n := len(lb.backends)
	start := int(lb.next.Add(1) % uint64(n))
	for k := range n {
		b := lb.backends[(start+k)%n]
		if !b.ready.Load() {
			continue
		}
		conn, err := (&net.Dialer{Timeout: time.Second}).DialContext(lb.ctx, "tcp", b.addr)
		if err != nil {
			if b.ready.Swap(false) && lb.logger != nil {
				lb.logger.Logf("load balancer: backend %s refused a connection, out of rotation: %v", b.addr, err)
			}
			continue
		}
		return b, conn
	}
	return nil, nil
}

func (lb *LoadBalancer) serve(client net.Conn) {
	b, backend := lb.pick()
	if backend == nil {
		client.Close()
		return
	}
	b.active.Add(1)
	b.total.Add(1)
	defer b.active.Add(-1)

	var once sync.Once
	closeBoth := func() {
		once.Do(func() {
			client.Close()
			backend.Close()
		})
	}
	stop := context.AfterFunc(lb.ctx, closeBoth)
	defer stop()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		closeBoth()
		done <- struct{}{}
	}
	go pipe(backend, client)
	go pipe(client, backend)
	<-done
	<-done
}

// briefError shortens a probe error for the log: its first line and the
// failed checks of a /readyz body ("[-]..." lines).
func briefError(err error) string {
	if err == nil {
		return ""
	}
	lines := strings.Split(err.Error(), "\n")
	out := []string{lines[0]}
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "[-]") {
			out = append(out, l)
		}
	}
	return " (" + strings.Join(out, "; ") + ")"
}
