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

package keystate

import (
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ConsistencyStore remembers, per key, the object a controller last wrote
// (its UID and the resourceVersion the write returned), so that a sync can
// tell when the informer cache does not show that write yet.
//
// The zero value is not usable; use NewConsistencyStore.
type ConsistencyStore[K comparable] struct {
	mu      sync.Mutex
	written map[K]writtenVersion
}

type writtenVersion struct {
	uid             types.UID
	resourceVersion string
}

// NewConsistencyStore returns an empty store.
func NewConsistencyStore[K comparable]() *ConsistencyStore[K] {
	return &ConsistencyStore[K]{written: map[K]writtenVersion{}}
}

// WroteAt records written, as a write for key returned it, replacing
// what was recorded for key before.
func (s *ConsistencyStore[K]) WroteAt(key K, written metav1.Object) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.written[key] = writtenVersion{uid: written.GetUID(), resourceVersion: written.GetResourceVersion()}
}

// Lagging reports whether cached, the informer's copy of the object of key,
// is not the version last recorded with WroteAt: the cache has not caught
// up with that write yet, or another writer changed the object since. It is
// false when nothing is recorded for key, or what is recorded is of another
// object (another UID: the object was replaced).
func (s *ConsistencyStore[K]) Lagging(key K, cached metav1.Object) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.written[key]
	return ok && w.uid == cached.GetUID() && w.resourceVersion != cached.GetResourceVersion()
}

// Pending reports whether a write of cached's object (same UID) is recorded
// for key and not cleared yet, whatever the versions. It is for writes that
// the caller recognises in the cache by their content (a condition it set)
// rather than by resourceVersion: it calls Clear when it sees that content.
func (s *ConsistencyStore[K]) Pending(key K, cached metav1.Object) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.written[key]
	return ok && w.uid == cached.GetUID()
}

// Clear forgets what was recorded for key.
func (s *ConsistencyStore[K]) Clear(key K) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.written, key)
}

// Len returns how many keys have a recorded write.
func (s *ConsistencyStore[K]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.written)
}
