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
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// ExpectationsTimeout is how long expectations are trusted. A controller
// whose expected watch events never arrive (e.g. a create that the API server
// accepted but whose event was lost) syncs again after this long.
const ExpectationsTimeout = 5 * time.Minute

// Expectations records, per controller key, how many pod creations and which
// pod deletions a controller is waiting to observe through its informers.
// While they are pending the controller must not create or delete more pods,
// so a late watch event never causes a duplicate create or delete.
//
// Creations are counted; deletions are tracked by pod key (namespace/name),
// so a delete event for a pod the controller did not delete is not counted.
// Expectations older than the TTL count as satisfied.
type Expectations struct {
	clock clock.PassiveClock
	ttl   time.Duration

	mu      sync.Mutex
	records map[string]*expectation
}

type expectation struct {
	adds      int64
	deletes   sets.Set[string]
	timestamp time.Time
}

func (e *expectation) fulfilled() bool {
	return e.adds <= 0 && e.deletes.Len() == 0
}

// NewExpectations returns Expectations with ExpectationsTimeout as TTL.
func NewExpectations(c clock.PassiveClock) *Expectations {
	return NewExpectationsWithTTL(c, ExpectationsTimeout)
}

// NewExpectationsWithTTL returns Expectations that expire after ttl.
func NewExpectationsWithTTL(c clock.PassiveClock, ttl time.Duration) *Expectations {
	if c == nil {
		c = clock.RealClock{}
	}
	return &Expectations{clock: c, ttl: ttl, records: map[string]*expectation{}}
}

// SatisfiedExpectations reports whether the controller identified by key may
// act: it has no record, every expected event was observed, or the record
// expired.
func (e *Expectations) SatisfiedExpectations(logger klog.Logger, key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	rec, ok := e.records[key]
	if !ok {
		return true
	}
	if rec.fulfilled() {
		logger.V(4).Info("Expectations satisfied", "controller", key)
		return true
	}
	if age := e.clock.Since(rec.timestamp); age > e.ttl {
		logger.V(2).Info("Expectations expired", "controller", key, "age", age,
			"pendingCreations", rec.adds, "pendingDeletions", rec.deletes.Len())
		return true
	}
	logger.V(4).Info("Waiting for expected pod events", "controller", key,
		"pendingCreations", rec.adds, "pendingDeletions", rec.deletes.Len())
	return false
}

// ExpectCreations replaces the record of key with n expected creations.
func (e *Expectations) ExpectCreations(logger klog.Logger, key string, n int) {
	e.set(logger, key, int64(n), nil)
}

// ExpectDeletions replaces the record of key with the deletion of the pods
// with the given keys (see PodKey).
func (e *Expectations) ExpectDeletions(logger klog.Logger, key string, podKeys []string) {
	e.set(logger, key, 0, podKeys)
}

func (e *Expectations) set(logger klog.Logger, key string, adds int64, podKeys []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.records[key] = &expectation{adds: adds, deletes: sets.New(podKeys...), timestamp: e.clock.Now()}
	logger.V(4).Info("Setting expectations", "controller", key, "creations", adds, "deletions", len(podKeys))
}

// CreationObserved records that one expected pod creation was seen (or will
// never happen, e.g. because the create failed).
func (e *Expectations) CreationObserved(logger klog.Logger, key string) {
	e.LowerExpectations(logger, key, 1)
}

// LowerExpectations lowers the expected creations of key by n, e.g. for the
// creations slow start skipped after an error.
func (e *Expectations) LowerExpectations(logger klog.Logger, key string, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if rec, ok := e.records[key]; ok {
		rec.adds -= int64(n)
		logger.V(4).Info("Lowered expected creations", "controller", key, "by", n, "pendingCreations", rec.adds)
	}
}

// DeletionObserved records that the pod with podKey is gone or terminating.
// Only pods the controller expected to delete lower its expectations.
func (e *Expectations) DeletionObserved(logger klog.Logger, key, podKey string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if rec, ok := e.records[key]; ok && rec.deletes.Has(podKey) {
		rec.deletes.Delete(podKey)
		logger.V(4).Info("Observed expected deletion", "controller", key, "pod", podKey, "pendingDeletions", rec.deletes.Len())
	}
}

// DeleteExpectations forgets key, e.g. when its controller object is deleted.
func (e *Expectations) DeleteExpectations(logger klog.Logger, key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.records, key)
}

// Pending returns the creations and deletions key still waits for (for
// tests and logging); ok is false when there is no record.
func (e *Expectations) Pending(key string) (creations int64, deletions []string, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	rec, ok := e.records[key]
	if !ok {
		return 0, nil, false
	}
	return rec.adds, sets.List(rec.deletes), true
}
