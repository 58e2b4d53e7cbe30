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

package api

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

// OpFanout is the watch fan-out measurement: many watchers of one
// namespace, writes at a steady rate, the delay of every event at every
// watcher.
const OpFanout = "watch-fanout"

// Fanout sizes the watch fan-out measurement.
type Fanout struct {
	// Targets are the keys of the targets measured; none disables it.
	Targets []string
	// Watchers watch the target's namespace at once.
	Watchers int
	// Writes are creates issued at Rate per second.
	Writes int
	Rate   float64
	// Timeout bounds the wait for the last deliveries.
	Timeout time.Duration
}

// Validate reports a configuration that cannot run.
func (f Fanout) Validate() error {
	if len(f.Targets) == 0 {
		return nil
	}
	var errs []error
	if f.Watchers < 1 {
		errs = append(errs, fmt.Errorf("fan-out watchers must be positive, got %d", f.Watchers))
	}
	if f.Writes < 1 {
		errs = append(errs, fmt.Errorf("fan-out writes must be positive, got %d", f.Writes))
	}
	if f.Rate <= 0 {
		errs = append(errs, fmt.Errorf("fan-out rate must be positive, got %g", f.Rate))
	}
	return errors.Join(errs...)
}

// fanoutName names the objects the fan-out creates (and deletes after):
// fanout-00000, fanout-00001, ...
const (
	fanoutName   = "fanout"
	fanoutPrefix = fanoutName + "-"
)

// fanoutWatcher records when each fan-out object's ADDED event arrived. It
// reads the watch as raw JSON lines and only looks for the object's name:
// decoding up to 100 000 events a second in the benchmark's own process
// would measure the client, not the servers.
type fanoutWatcher struct {
	mu       sync.Mutex
	arrivals map[string]time.Time
	resumed  int
	err      error
}

// The markers the watch lines are scanned for. The object's own name and
// resourceVersion are the first of their kind in an event's JSON
// (metadata comes before spec).
var (
	addedMarker = []byte(`"type":"ADDED"`)
	errorMarker = []byte(`"type":"ERROR"`)
	nameMarker  = []byte(`"name":"`)
	rvMarker    = []byte(`"resourceVersion":"`)
)

// openRawWatch starts a JSON watch of t's namespace from rv and returns its
// body once the server has answered.
func openRawWatch(ctx context.Context, t *Target, rv string) (io.ReadCloser, error) {
	q := url.Values{"watch": {"true"}, "resourceVersion": {rv}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.listURL+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := t.watchHTTP.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return nil, fmt.Errorf("watch %s: HTTP %d: %s", t.listURL, resp.StatusCode, body)
	}
	return resp.Body, nil
}

// consume records arrivals until ctx ends. When the server ends the watch
// (kube-apiserver's watch cache closes watchers that fall behind), it
// resumes from the last resourceVersion it saw with reopen, as an informer
// would, and counts the resumption; an error event or a failed resumption
// ends it.
func (w *fanoutWatcher) consume(ctx context.Context, body io.ReadCloser, rv string, reopen func(ctx context.Context, rv string) (io.ReadCloser, error)) {
	for {
		var err error
		rv, err = w.read(body, rv)
		body.Close()
		if ctx.Err() != nil {
			return
		}
		if err == nil || reopen == nil {
			w.fail(fmt.Errorf("the watch ended at resourceVersion %s: %w", rv, err))
			return
		}
		w.mu.Lock()
		w.resumed++
		w.mu.Unlock()
		if body, err = reopen(ctx, rv); err != nil {
			if ctx.Err() == nil {
				w.fail(fmt.Errorf("resuming the watch at resourceVersion %s: %w", rv, err))
			}
			return
		}
	}
}

// read scans watch events from body until it ends, and returns the last
// resourceVersion seen and why it ended (nil for an error event).
func (w *fanoutWatcher) read(body io.Reader, rv string) (string, error) {
	r := bufio.NewReaderSize(body, 64<<10)
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A longer line than the buffer: not one of ours.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = r.ReadSlice('\n')
			}
			continue
		}
		if err != nil {
			return rv, err
		}
		now := time.Now()
		if v, ok := jsonStringAfter(line, rvMarker); ok {
			rv = v
		}
		if !bytes.Contains(line, addedMarker) {
			if bytes.Contains(line, errorMarker) {
				w.fail(fmt.Errorf("watch error: %s", bytes.TrimSpace(line)))
				return rv, nil
			}
			continue
		}
		if name, ok := jsonStringAfter(line, nameMarker); ok && strings.HasPrefix(name, fanoutPrefix) {
			w.mu.Lock()
			w.arrivals[name] = now
			w.mu.Unlock()
		}
	}
}

// jsonStringAfter returns the string value that follows the first marker in line.
func jsonStringAfter(line, marker []byte) (string, bool) {
	i := bytes.Index(line, marker)
	if i < 0 {
		return "", false
	}
	rest := line[i+len(marker):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return "", false
	}
	return string(rest[:end]), true
}

func (w *fanoutWatcher) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

func (w *fanoutWatcher) count() (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.arrivals), w.err
}

// FanoutResult is what runFanout measured beyond the latencies.
type FanoutResult struct {
	Stats
	// Deliveries expected (watchers × writes) and missing at the end.
	Deliveries, Missing int
	// Resumed counts the watches the server ended that were resumed from
	// their last resourceVersion; ClosedWatches could not be resumed, and
	// FirstClose says why the first of them ended.
	Resumed       int
	ClosedWatches int
	FirstClose    string
	// WriteWall is how long the writes took (at Rate, about Writes/Rate).
	WriteWall time.Duration
	// Terminated is how many watchers the server's watch cache closed for
	// falling behind during the fan-out; -1 when it could not be read.
	Terminated int
}

// runFanout starts f.Watchers watches of t's namespace, creates f.Writes
// objects at f.Rate per second, and returns the delay from each create's
// start to its ADDED event at every watcher. startCPU is called once the
// watches are established, right before the first write. The created
// objects are deleted afterwards, unmeasured.
func runFanout(ctx context.Context, f Fanout, concurrency int, t *Target, startCPU func()) (FanoutResult, error) {
	logger := klog.FromContext(ctx).WithValues("target", t.Key)
	_, rv, err := t.watcher.list(ctx, metav1.ListOptions{Limit: 1})
	if err != nil {
		return FanoutResult{}, fmt.Errorf("listing for a resourceVersion: %w", err)
	}
	terminatedBefore := terminatedWatchers(ctx, t)
	watchCtx, stop := context.WithCancel(ctx)
	defer stop()
	watchers := make([]*fanoutWatcher, f.Watchers)
	began := time.Now()
	// Establish the watches a few at a time; each returns once the server
	// answered its request.
	if _, err := measure(ctx, f.Watchers, 32, func(ctx context.Context, i int) error {
		body, err := openRawWatch(watchCtx, t, rv)
		if err != nil {
			return fmt.Errorf("watch %d: %w", i, err)
		}
		w := &fanoutWatcher{arrivals: make(map[string]time.Time, f.Writes)}
		watchers[i] = w
		go w.consume(watchCtx, body, rv, func(ctx context.Context, rv string) (io.ReadCloser, error) {
			return openRawWatch(ctx, t, rv)
		})
		return nil
	}); err != nil {
		return FanoutResult{}, err
	}
	logger.Info("Fan-out watches established", "watchers", f.Watchers, "took", time.Since(began))

	issued := make([]time.Time, f.Writes)
	startCPU()
	writeStart := time.Now()
	interval := time.Duration(float64(time.Second) / f.Rate)
	var wg sync.WaitGroup
	var writeErr atomic.Pointer[error]
	sem := make(chan struct{}, max(concurrency, 1))
	for i := range f.Writes {
		if d := time.Until(writeStart.Add(time.Duration(i) * interval)); d > 0 {
			select {
			case <-ctx.Done():
				return FanoutResult{}, ctx.Err()
			case <-time.After(d):
			}
		}
		if p := writeErr.Load(); p != nil {
			break
		}
		u, err := NewDeployment(t.APIVersion, t.Namespace, objectName(fanoutName, i))
		if err != nil {
			return FanoutResult{}, err
		}
		obj, err := t.client.prepare(u)
		if err != nil {
			return FanoutResult{}, err
		}
		sem <- struct{}{}
		issued[i] = time.Now()
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := t.client.create(ctx, obj); err != nil {
				err = fmt.Errorf("fan-out create %d: %w", i, err)
				writeErr.CompareAndSwap(nil, &err)
			}
		})
	}
	wg.Wait()
	writeWall := time.Since(writeStart)
	if p := writeErr.Load(); p != nil {
		return FanoutResult{}, *p
	}

	// Wait for every delivery, or until the timeout.
	deadline := time.Now().Add(f.Timeout)
	for {
		delivered, closed := 0, 0
		for _, w := range watchers {
			n, err := w.count()
			delivered += n
			if err != nil {
				closed++
			}
		}
		if closed == f.Watchers {
			break // nothing more can arrive
		}
		if delivered == f.Watchers*f.Writes || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return FanoutResult{}, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	stop()

	res := FanoutResult{Deliveries: f.Watchers * f.Writes, WriteWall: writeWall, Terminated: -1}
	if after := terminatedWatchers(ctx, t); terminatedBefore >= 0 && after >= 0 {
		res.Terminated = int(after - terminatedBefore)
	}
	lat := make([]time.Duration, 0, res.Deliveries)
	var firstClose error
	for _, w := range watchers {
		w.mu.Lock()
		res.Resumed += w.resumed
		if w.err != nil {
			res.ClosedWatches++
			if firstClose == nil {
				firstClose = w.err
			}
		}
		for i := range f.Writes {
			arrived, ok := w.arrivals[objectName(fanoutName, i)]
			if !ok {
				res.Missing++
				continue
			}
			lat = append(lat, max(0, arrived.Sub(issued[i])))
		}
		w.mu.Unlock()
	}
	res.Stats = Summarize(lat, 0)
	if firstClose != nil {
		res.FirstClose = firstClose.Error()
	}
	logger.Info("Fan-out measured", "deliveries", len(lat), "missing", res.Missing, "closedWatches", res.ClosedWatches, "terminatedByServer", res.Terminated, "firstClose", res.FirstClose,
		"p50", res.P50, "p99", res.P99, "writeWall", writeWall)

	// Leave the namespace as it was for the list phases.
	if _, err := measure(ctx, f.Writes, concurrency, func(ctx context.Context, i int) error {
		err := t.client.delete(ctx, objectName(fanoutName, i))
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}); err != nil {
		return FanoutResult{}, fmt.Errorf("deleting the fan-out objects: %w", err)
	}
	return res, nil
}

// terminatedWatchers reads t.TerminatedWatchers, or returns -1 when it is
// unset or fails (the report then says the count is unknown).
func terminatedWatchers(ctx context.Context, t *Target) float64 {
	if t.TerminatedWatchers == nil {
		return -1
	}
	n, err := t.TerminatedWatchers(ctx)
	if err != nil {
		klog.FromContext(ctx).Error(err, "Reading the terminated watchers", "target", t.Key)
		return -1
	}
	return n
}
