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

package controllerutil

import (
	"context"
	"fmt"
	"sync"
	"time"

	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/metrics"
)

// MaxRetries is how often a key is retried with backoff before it is dropped
// from the queue. A dropped key is synced again on its next watch event or
// informer resync.
const MaxRetries = 15

// NewRateLimitingQueue returns a rate-limited workqueue named name (the name
// labels the workqueue metrics) with client-go's default controller rate
// limiter: per-item exponential backoff from 5ms to 1000s, and an overall
// token bucket.
func NewRateLimitingQueue(name string) workqueue.TypedRateLimitingInterface[string] {
	return workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: name},
	)
}

// KeyFunc returns the namespace/name key of an object, or of the object of a
// cache.DeletedFinalStateUnknown tombstone.
func KeyFunc(obj any) (string, error) {
	return cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
}

// FromTombstone returns obj as a T, unwrapping a
// cache.DeletedFinalStateUnknown tombstone; ok is false when it is neither.
func FromTombstone[T any](obj any) (T, bool) {
	if t, ok := obj.(T); ok {
		return t, true
	}
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		t, ok := tomb.Obj.(T)
		return t, ok
	}
	var zero T
	return zero, false
}

// Worker runs a controller's sync function over its queue with retries,
// logging and sync metrics.
type Worker struct {
	// Name is the controller name, used in logs and metrics.
	Name string
	// Queue holds the keys to sync.
	Queue workqueue.TypedRateLimitingInterface[string]
	// Sync reconciles one key. Returning an error retries the key with
	// backoff, up to MaxRetries times.
	Sync func(ctx context.Context, key string) error
	// MaxRetries overrides the package's MaxRetries when positive.
	MaxRetries int
}

// Run starts workers goroutines and blocks until ctx is cancelled. Then the
// workers stop taking keys and Run shuts the queue down with drain: it waits
// for the syncs in flight (whose API calls see the cancelled context) to
// finish before returning. Keys still queued are not lost: the next leader
// syncs every object when its informers start.
func (w *Worker) Run(ctx context.Context, workers int) {
	metrics.Register()
	metrics.InitController(w.Name)
	logger := klog.FromContext(ctx)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil && w.ProcessNextWorkItem(ctx) {
			}
		})
	}
	<-ctx.Done()
	logger.Info("Shutting down controller", "controller", w.Name, "queued", w.Queue.Len())
	w.Queue.ShutDownWithDrain()
	wg.Wait()
	logger.Info("Controller stopped", "controller", w.Name)
}

// ProcessNextWorkItem syncs one key; it returns false once the queue is shut
// down and empty.
func (w *Worker) ProcessNextWorkItem(ctx context.Context) bool {
	key, quit := w.Queue.Get()
	if quit {
		return false
	}
	defer w.Queue.Done(key)
	start := time.Now()
	err := w.Sync(ctx, key)
	metrics.ObserveSync(w.Name, start, err)
	w.HandleErr(ctx, key, err)
	return true
}

// HandleErr forgets key after success, and requeues it with backoff after an
// error until it failed MaxRetries times, when it is dropped with a log line.
func (w *Worker) HandleErr(ctx context.Context, key string, err error) {
	if err == nil {
		w.Queue.Forget(key)
		return
	}
	logger := klog.FromContext(ctx)
	limit := MaxRetries
	if w.MaxRetries > 0 {
		limit = w.MaxRetries
	}
	if n := w.Queue.NumRequeues(key); n < limit {
		logger.V(2).Info("Sync failed, will retry", "controller", w.Name, "key", key, "retries", n, "err", err)
		w.Queue.AddRateLimited(key)
		return
	}
	utilruntime.HandleErrorWithContext(ctx, err, "Dropping key out of the queue after too many retries",
		"controller", w.Name, "key", key, "retries", limit)
	w.Queue.Forget(key)
}

// Enqueue adds the key of obj to queue, reporting objects without a key
// through logger.
func Enqueue(logger klog.Logger, queue workqueue.TypedInterface[string], obj any) {
	key, err := KeyFunc(obj)
	if err != nil {
		utilruntime.HandleErrorWithLogger(logger, err, "Computing the queue key", "type", fmt.Sprintf("%T", obj))
		return
	}
	queue.Add(key)
}

// WaitForCacheSync waits for the informers of a controller to sync and logs
// the outcome; it returns false when ctx ended first.
func WaitForCacheSync(ctx context.Context, controller string, synced ...cache.InformerSynced) bool {
	logger := klog.FromContext(ctx)
	logger.Info("Waiting for caches to sync", "controller", controller)
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		logger.Info("Caches did not sync before shutdown", "controller", controller)
		return false
	}
	logger.Info("Caches are synced", "controller", controller)
	return true
}
