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
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func obj(uid types.UID, rv string) *metav1.ObjectMeta {
	return &metav1.ObjectMeta{UID: uid, ResourceVersion: rv}
}

func TestConsistencyStore(t *testing.T) {
	tests := []struct {
		name   string
		writes []*metav1.ObjectMeta
		clear  bool
		cached *metav1.ObjectMeta
		want   bool
		// wantPending is what Pending returns.
		wantPending bool
	}{
		{name: "nothing written", cached: obj("a", "1"), want: false},
		{name: "cache shows the write", writes: []*metav1.ObjectMeta{obj("a", "5")}, cached: obj("a", "5"), want: false, wantPending: true},
		{name: "cache older than the write", writes: []*metav1.ObjectMeta{obj("a", "5")}, cached: obj("a", "4"), want: true, wantPending: true},
		{name: "cache newer than the write (another writer)", writes: []*metav1.ObjectMeta{obj("a", "5")}, cached: obj("a", "6"), want: true, wantPending: true},
		{name: "last write counts", writes: []*metav1.ObjectMeta{obj("a", "5"), obj("a", "7")}, cached: obj("a", "5"), want: true, wantPending: true},
		{name: "last write shown", writes: []*metav1.ObjectMeta{obj("a", "5"), obj("a", "7")}, cached: obj("a", "7"), want: false, wantPending: true},
		{name: "write of a replaced object", writes: []*metav1.ObjectMeta{obj("a", "5")}, cached: obj("b", "9"), want: false},
		{name: "cleared", writes: []*metav1.ObjectMeta{obj("a", "5")}, clear: true, cached: obj("a", "4"), want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// setup
			s := NewConsistencyStore[string]()
			for _, w := range tc.writes {
				s.WroteAt("ns/x", w)
			}
			if tc.clear {
				s.Clear("ns/x")
			}
			// execute
			got := s.Lagging("ns/x", tc.cached)
			// assert
			if got != tc.want {
				t.Errorf("Lagging = %v, want %v", got, tc.want)
			}
			if got := s.Pending("ns/x", tc.cached); got != tc.wantPending {
				t.Errorf("Pending = %v, want %v", got, tc.wantPending)
			}
			if s.Lagging("ns/other", tc.cached) || s.Pending("ns/other", tc.cached) {
				t.Errorf("Lagging or Pending of a key never written = true")
			}
		})
	}
}

func TestConsistencyStoreClearLeavesNothing(t *testing.T) {
	s := NewConsistencyStore[types.UID]()
	s.WroteAt("u1", obj("u1", "1"))
	s.WroteAt("u2", obj("u2", "1"))
	s.Clear("u1")
	if s.Len() != 1 {
		t.Fatalf("Len after Clear = %d, want 1", s.Len())
	}
	s.Clear("u2")
	s.Clear("never")
	if s.Len() != 0 {
		t.Fatalf("Len after clearing every key = %d, want 0", s.Len())
	}
}
