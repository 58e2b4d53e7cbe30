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
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/klog/v2"
)

// watchRecorder matches writes (an object's name and the resourceVersion the
// write returned) with the watch events that carry them, on a watch of its
// own connection.
type watchRecorder struct {
	target string

	mu       sync.Mutex
	writes   map[string]time.Time // name@resourceVersion -> write response received
	arrivals map[string]time.Time // name@resourceVersion -> event received
	err      error                // why the watch ended early
}

func eventKey(name, rv string) string { return name + "@" + rv }

// startWatch lists the target's namespace for a resourceVersion and watches
// from there until ctx ends, re-establishing the watch if the server closes
// it.
func startWatch(ctx context.Context, t *Target) (*watchRecorder, error) {
	_, rv, err := t.watcher.list(ctx, metav1.ListOptions{Limit: 1})
	if err != nil {
		return nil, err
	}
	w := &watchRecorder{target: t.Key, writes: map[string]time.Time{}, arrivals: map[string]time.Time{}}
	first, err := t.watcher.watch(ctx, metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true})
	if err != nil {
		return nil, err
	}
	go w.run(ctx, t, first, rv)
	return w, nil
}

func (w *watchRecorder) run(ctx context.Context, t *Target, wi watch.Interface, rv string) {
	logger := klog.FromContext(ctx).WithValues("target", w.target)
	for {
		rv = w.consume(ctx, wi, rv)
		wi.Stop()
		if ctx.Err() != nil {
			return
		}
		if w.failed() {
			return
		}
		logger.V(2).Info("Watch closed by the server, re-establishing", "resourceVersion", rv)
		var err error
		wi, err = t.watcher.watch(ctx, metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true})
		if err != nil {
			if ctx.Err() == nil {
				w.fail(fmt.Errorf("re-establishing the watch at resourceVersion %s: %w", rv, err))
			}
			return
		}
	}
}

// consume records events until the watch ends and returns the last
// resourceVersion seen.
func (w *watchRecorder) consume(ctx context.Context, wi watch.Interface, rv string) string {
	for {
		select {
		case <-ctx.Done():
			return rv
		case ev, ok := <-wi.ResultChan():
			if !ok {
				return rv
			}
			now := time.Now()
			switch ev.Type {
			case watch.Added, watch.Modified, watch.Deleted, watch.Bookmark:
				obj, err := meta.Accessor(ev.Object)
				if err != nil {
					continue
				}
				rv = obj.GetResourceVersion()
				if ev.Type != watch.Bookmark {
					w.mu.Lock()
					w.arrivals[eventKey(obj.GetName(), rv)] = now
					w.mu.Unlock()
				}
			case watch.Error:
				w.fail(fmt.Errorf("watch error: %w", apierrors.FromObject(ev.Object)))
				return rv
			}
		}
	}
}

func (w *watchRecorder) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

func (w *watchRecorder) failed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err != nil
}

// wrote records that a write's response carrying obj arrived at at.
func (w *watchRecorder) wrote(out runtime.Object, at time.Time) {
	obj, err := meta.Accessor(out)
	if err != nil {
		w.fail(err)
		return
	}
	w.mu.Lock()
	w.writes[eventKey(obj.GetName(), obj.GetResourceVersion())] = at
	w.mu.Unlock()
}

// latencies waits up to timeout for an event for every recorded write and
// returns, per write, the time from its response to its event (0 when the
// event came first), and how many writes saw no event.
func (w *watchRecorder) latencies(ctx context.Context, timeout time.Duration) ([]time.Duration, int, error) {
	deadline := time.Now().Add(timeout)
	for {
		w.mu.Lock()
		missing := 0
		for k := range w.writes {
			if _, ok := w.arrivals[k]; !ok {
				missing++
			}
		}
		err := w.err
		w.mu.Unlock()
		if err != nil {
			return nil, missing, err
		}
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, missing, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]time.Duration, 0, len(w.writes))
	missing := 0
	for k, wrote := range w.writes {
		arrived, ok := w.arrivals[k]
		if !ok {
			missing++
			continue
		}
		out = append(out, max(0, arrived.Sub(wrote)))
	}
	return out, missing, nil
}
