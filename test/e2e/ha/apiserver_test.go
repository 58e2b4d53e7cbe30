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

package ha

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

const (
	loadWriters = 4
	loadReaders = 2
)

// waitSuccesses waits until the load has n more successful requests that
// started after since.
func (l *load) waitSuccesses(t *testing.T, since time.Time, n int) {
	t.Helper()
	l.waitOps(t, since, n)
}

// waitWrites waits until the load has n more successful writes (creates
// and patches) that started after since.
func (l *load) waitWrites(t *testing.T, since time.Time, n int) {
	t.Helper()
	l.waitOps(t, since, n, "create", "patch")
}

func (l *load) waitOps(t *testing.T, since time.Time, n int, ops ...string) {
	t.Helper()
	pollFor(t, fmt.Sprintf("%d successful requests %v", n, ops), pollTimeout, func(context.Context) (bool, error) {
		l.rec.mu.Lock()
		defer l.rec.mu.Unlock()
		ok := 0
		for _, o := range l.rec.outcomes {
			if o.err == nil && o.start.After(since) && (len(ops) == 0 || slices.Contains(ops, o.op)) {
				ok++
			}
		}
		return ok >= n, nil
	})
}

// TestRollingRestart restarts every replica in turn (SIGTERM, wait for the
// exit, start, wait until ready and back in the balancer) while writers and
// readers run and 200 watches follow the objects: no acknowledged write is
// lost, every watcher, resuming from its last resourceVersion, ends equal to
// a fresh list, and no request fails.
func TestRollingRestart(t *testing.T) {
	e := sharedEnv(t)
	e.requireHealthy(t)
	ns := e.namespace(t, "rolling")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// kube-apiserver answers 503 for every request while it considers the
	// APIService unavailable; a replica going away must never make it so.
	unavailable := e.watchAPIServiceUnavailable(ctx)

	began := time.Now()
	l := startLoad(e.client, ns, loadWriters, loadReaders)
	defer l.stop()
	l.waitSuccesses(t, began, 20)

	const watchers = 200
	initial, rv, err := snapshot(ctx, e.client, ns)
	if err != nil {
		t.Fatal(err)
	}
	var ws []*watcher
	for range watchers {
		w, err := startWatcher(ctx, e.client, ns, rv, initial)
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}

	for i := range e.c.WorkloadsAPIServerReplicaCount() {
		start := time.Now()
		if err := e.c.StopWorkloadsAPIServerReplica(i); err != nil {
			t.Fatal(err)
		}
		stopped := time.Since(start)
		if err := e.c.StartWorkloadsAPIServerReplica(i); err != nil {
			t.Fatalf("starting replica %d again: %v", i, err)
		}
		result(t, "rolling-restart-step", "replica", i, "sigterm_at", start.UTC().Format("15:04:05.000"),
			"exit_after_sigterm", stopped, "restart_total", time.Since(start))
	}
	l.waitSuccesses(t, time.Now(), 20)
	l.stop()

	total, failed, window := l.rec.summary()
	acked, lost := l.lostWrites(t)
	bad, sample, err := watchersMatch(ctx, e.client, ns, ws, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	events := 0
	for _, w := range ws {
		w.mu.Lock()
		events += w.events
		w.mu.Unlock()
	}
	result(t, "rolling-restart", "replicas", e.c.WorkloadsAPIServerReplicaCount(), "requests", total, "failed", len(failed),
		"error_window", window, "acked_writes", acked, "lost_writes", len(lost), "watches", watchers,
		"watch_events", events, "watches_diverged", bad, "duration", time.Since(began))
	// No request may fail: a replica leaves the balancer during its
	// shutdown delay, then sends each HTTP/2 connection a first GOAWAY that
	// refuses nothing, so kube-apiserver moves to a new connection (another
	// replica) before the final GOAWAY; requests that still arrive get 429
	// and Retry-After, which client-go retries.
	if len(failed) > 0 {
		t.Errorf("%d of %d requests failed during the rolling restart:\n%s", len(failed), total, describeFailures(failed))
	}
	if len(unavailable.list()) > 0 {
		t.Errorf("APIService %s went unavailable during the rolling restart: %s",
			framework.WorkloadsAPIServiceName, strings.Join(unavailable.list(), "; "))
	}
	if window > time.Second {
		t.Errorf("clients saw errors for %s in a row, want at most 1s", window)
	}
	if len(lost) > 0 {
		t.Errorf("%d acknowledged writes lost: %v", len(lost), lost)
	}
	if bad > 0 {
		t.Errorf("%d of %d watchers differ from a fresh list after resuming; e.g. %s", bad, watchers, sample)
	}
}

// TestReplicaCrash kills (SIGKILL) the replica holding the most balancer
// connections under load: clients see errors for at most a few seconds and
// no acknowledged write is lost.
func TestReplicaCrash(t *testing.T) {
	e := sharedEnv(t)
	e.requireHealthy(t)
	ns := e.namespace(t, "crash")

	began := time.Now()
	l := startLoad(e.client, ns, loadWriters, loadReaders)
	defer l.stop()
	l.waitSuccesses(t, began, 40)

	stats := e.c.LoadBalancer().Stats()
	victim := 0
	for _, s := range stats {
		if s.Active > stats[victim].Active {
			victim = s.Index
		}
	}
	killed := time.Now()
	if err := e.c.KillWorkloadsAPIServerReplica(victim); err != nil {
		t.Fatal(err)
	}
	// The load runs on for at least 5 s (the target error window) and 40
	// successes after the kill.
	l.waitSuccesses(t, killed.Add(5*time.Second), 40)
	l.stop()

	total, failed, window := l.rec.summary()
	acked, lost := l.lostWrites(t)
	result(t, "replica-crash", "victim", victim, "victim_connections", stats[victim].Active, "requests", total,
		"failed", len(failed), "error_window", window, "acked_writes", acked, "lost_writes", len(lost))
	if len(failed) > 0 {
		t.Logf("failed requests:\n%s", describeFailures(failed))
	}

	restart := time.Now()
	if err := e.c.StartWorkloadsAPIServerReplica(victim); err != nil {
		t.Fatalf("starting replica %d again: %v", victim, err)
	}
	result(t, "replica-crash-recovery", "victim", victim, "back_in_rotation_after", time.Since(restart))

	if window > 5*time.Second {
		t.Errorf("clients saw errors for %s, want at most 5s", window)
	}
	if len(lost) > 0 {
		t.Errorf("%d acknowledged writes lost: %v", len(lost), lost)
	}
}

// TestWatchSpread opens 1000 concurrent watches on experimental resources
// through kube-apiserver: every one is established and delivers the next
// event in time, and the test reports how they spread over the replicas.
func TestWatchSpread(t *testing.T) {
	e := sharedEnv(t)
	e.requireHealthy(t)
	ns := e.namespace(t, "watches")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	before := e.replicaWatchCounts(t)
	_, rv, err := snapshot(ctx, e.client, ns)
	if err != nil {
		t.Fatal(err)
	}
	const watches = 1000
	const parallel = 50
	const timeout = 30 * time.Second
	var (
		mu       sync.Mutex
		opened   []watch.Interface
		failures []error
		wg       sync.WaitGroup
		next     atomic.Int64
		// slowestOpen is the longest a Watch call took to return.
		slowestOpen time.Duration
	)
	began := time.Now()
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= watches {
				start := time.Now()
				w, err := e.client.ExperimentalV1alpha1().CronJobs(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: rv})
				took := time.Since(start)
				mu.Lock()
				switch {
				case err != nil:
					failures = append(failures, err)
				case took > timeout:
					failures = append(failures, fmt.Errorf("opening a watch took %s", took))
					opened = append(opened, w)
				default:
					opened = append(opened, w)
				}
				slowestOpen = max(slowestOpen, took)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	openTook := time.Since(began)
	defer func() {
		for _, w := range opened {
			w.Stop()
		}
	}()
	if len(failures) > 0 {
		t.Fatalf("%d of %d watches failed to open, e.g. %v", len(failures), watches, failures[0])
	}

	// Every watch delivers the next event.
	created := time.Now()
	if _, err := e.client.ExperimentalV1alpha1().CronJobs(ns).Create(ctx, newCronJob("spread"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var timeouts, received atomic.Int64
	var slowest atomic.Int64
	for _, w := range opened {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case ev, ok := <-w.ResultChan():
				if ok && ev.Type == watch.Added {
					received.Add(1)
					d := int64(time.Since(created))
					for {
						cur := slowest.Load()
						if d <= cur || slowest.CompareAndSwap(cur, d) {
							break
						}
					}
					return
				}
				timeouts.Add(1)
			case <-time.After(timeout):
				timeouts.Add(1)
			}
		}()
	}
	wg.Wait()

	after := e.replicaWatchCounts(t)
	var perReplica []string
	sum := 0
	for i := range after {
		d := after[i] - before[i]
		sum += d
		perReplica = append(perReplica, strconv.Itoa(d))
	}
	var conns []string
	for _, s := range e.c.LoadBalancer().Stats() {
		conns = append(conns, fmt.Sprintf("%d/%d", s.Active, s.Total))
	}
	result(t, "watch-spread", "watches", watches, "open_took", openTook, "slowest_open", slowestOpen, "timeouts", timeouts.Load(),
		"received", received.Load(), "slowest_event", time.Duration(slowest.Load()),
		"cronjob_watches_per_replica", strings.Join(perReplica, ","),
		"balancer_conns_active/total", strings.Join(conns, ","))
	if timeouts.Load() > 0 {
		t.Errorf("%d of %d watches timed out or ended before delivering the ADDED event", timeouts.Load(), watches)
	}
	if sum < watches {
		t.Errorf("the replicas count %d new cronjob watches (%s), want at least %d", sum, strings.Join(perReplica, ","), watches)
	}
	// kube-apiserver multiplexes all it proxies to the Service over one
	// HTTP/2 connection per address, so the watches land on the replica
	// that connection reached; the result reports the distribution
	// (--goaway-chance would move the connection now and then, see
	// framework.HAShutdownArgs for why it stays 0).
}

// replicaWatchCounts reads each replica's apiserver_longrunning_requests
// gauge for WATCH on cronjobs.
func (e *env) replicaWatchCounts(t *testing.T) []int {
	t.Helper()
	out := make([]int, e.c.WorkloadsAPIServerReplicaCount())
	for i := range out {
		code, body, err := e.replicaGet(context.Background(), i, "/metrics")
		if err != nil || code != http.StatusOK {
			t.Fatalf("GET /metrics of replica %d: %d %v", i, code, err)
		}
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "apiserver_longrunning_requests{") ||
				!strings.Contains(line, `resource="cronjobs"`) || !strings.Contains(line, `verb="WATCH"`) {
				continue
			}
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err == nil {
				out[i] += int(v)
			}
		}
	}
	return out
}

// transitions collects what a watch saw.
type transitions struct {
	mu    sync.Mutex
	items []string
}

func (tr *transitions) add(s string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.items = append(tr.items, s)
}

func (tr *transitions) list() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.items)
}

// watchAPIServiceUnavailable records every time the workloads APIService
// is seen with Available other than True, until ctx is done.
func (e *env) watchAPIServiceUnavailable(ctx context.Context) *transitions {
	tr := &transitions{}
	apiServices := e.c.AggregatorClient().ApiregistrationV1().APIServices()
	w, err := apiServices.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + framework.WorkloadsAPIServiceName})
	if err != nil {
		tr.add(fmt.Sprintf("watch failed: %v", err))
		return tr
	}
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			as, ok := ev.Object.(*apiregistrationv1.APIService)
			if !ok {
				continue
			}
			for _, c := range as.Status.Conditions {
				if c.Type == apiregistrationv1.Available && c.Status != apiregistrationv1.ConditionTrue {
					tr.add(fmt.Sprintf("%s %s/%s: %s", time.Now().UTC().Format("15:04:05.000"), c.Status, c.Reason, c.Message))
				}
			}
		}
	}()
	return tr
}
