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
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// echoBackend answers each line with "<name>\n" until closed.
type echoBackend struct {
	name  string
	l     net.Listener
	ready atomic.Bool
	// dead is set by kill: a probe of a dead process fails, as the real
	// /readyz probe's dial does.
	dead  atomic.Bool
	mu    sync.Mutex
	conns []net.Conn
}

func newEchoBackend(t *testing.T, name string) *echoBackend {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &echoBackend{name: name, l: l}
	b.ready.Store(true)
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns = append(b.conns, conn)
			b.mu.Unlock()
			go func() {
				r := bufio.NewReader(conn)
				for {
					if _, err := r.ReadString('\n'); err != nil {
						conn.Close()
						return
					}
					fmt.Fprintf(conn, "%s\n", b.name)
				}
			}()
		}
	}()
	t.Cleanup(b.kill)
	return b
}

// kill closes the listener and every connection, as a process death does.
func (b *echoBackend) kill() {
	b.dead.Store(true)
	b.l.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		c.Close()
	}
}

func ask(t *testing.T, conn net.Conn) (string, error) {
	t.Helper()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "who\n"); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "", err
	}
	return line[:len(line)-1], nil
}

func TestLoadBalancer(t *testing.T) {
	backends := []*echoBackend{newEchoBackend(t, "a"), newEchoBackend(t, "b"), newEchoBackend(t, "c")}
	byAddr := map[string]*echoBackend{}
	var addrs []string
	for _, b := range backends {
		byAddr[b.l.Addr().String()] = b
		addrs = append(addrs, b.l.Addr().String())
	}
	probe := func(_ context.Context, addr string) error {
		if b := byAddr[addr]; b.dead.Load() || !b.ready.Load() {
			return errors.New("not ready")
		}
		return nil
	}
	lb, err := newLoadBalancer(0, addrs, probe, 20*time.Millisecond, t)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range backends {
		if err := lb.WaitReady(ctx, i, true); err != nil {
			t.Fatal(err)
		}
	}

	dialAll := func(n int) (map[string]int, []net.Conn) {
		t.Helper()
		seen := map[string]int{}
		var conns []net.Conn
		for range n {
			conn, err := net.Dial("tcp", lb.Addr())
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, conn)
			name, err := ask(t, conn)
			if err != nil {
				t.Fatalf("asking through the balancer: %v", err)
			}
			seen[name]++
		}
		return seen, conns
	}

	seen, conns := dialAll(9)
	if seen["a"] != 3 || seen["b"] != 3 || seen["c"] != 3 {
		t.Errorf("9 connections over 3 ready backends went %v, want 3 each", seen)
	}
	var active int64
	for _, s := range lb.Stats() {
		active += s.Active
	}
	if active != 9 {
		t.Errorf("balancer counts %d active connections, want 9: %+v", active, lb.Stats())
	}

	// A backend that fails its probe gets no new connections.
	backends[1].ready.Store(false)
	if err := lb.WaitReady(ctx, 1, false); err != nil {
		t.Fatal(err)
	}
	seen, more := dialAll(6)
	conns = append(conns, more...)
	if seen["b"] != 0 || seen["a"]+seen["c"] != 6 {
		t.Errorf("with b not ready, 6 connections went %v", seen)
	}

	// A dead backend breaks its connections and refused dials go elsewhere
	// before the probe notices.
	backends[0].kill()
	broken := 0
	for _, conn := range conns[:9] {
		if _, err := ask(t, conn); err != nil {
			broken++
		}
	}
	if broken != 3 {
		t.Errorf("%d of the first 9 connections broke when a died, want its 3", broken)
	}
	seen, more = dialAll(4)
	conns = append(conns, more...)
	if seen["c"] != 4 {
		t.Errorf("with a dead and b not ready, 4 connections went %v, want all to c", seen)
	}
	if lb.Stats()[0].Ready {
		t.Errorf("a is still in rotation after it refused a connection")
	}
	for _, conn := range conns {
		conn.Close()
	}
}
