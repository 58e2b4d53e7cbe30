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

package daemonset

import (
	"slices"
	"sort"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestFirstByCreationMatchesTheSortedOrder checks that firstByCreation picks
// the pod a sort by podsByCreation puts first, in every order of the input:
// scheduled before unscheduled, then older, then by name.
func TestFirstByCreationMatchesTheSortedOrder(t *testing.T) {
	mk := func(name, node string, age time.Duration) *corev1.Pod {
		p := &corev1.Pod{}
		p.Name, p.Spec.NodeName = name, node
		p.CreationTimestamp = metav1.NewTime(now.Add(-age))
		return p
	}
	for _, tc := range []struct {
		name string
		pods []*corev1.Pod
		want string
	}{
		{"one pod", []*corev1.Pod{mk("a", "n", time.Hour)}, "a"},
		{"older first", []*corev1.Pod{mk("new", "n", time.Minute), mk("old", "n", time.Hour)}, "old"},
		{"scheduled before an older unscheduled pod", []*corev1.Pod{mk("unscheduled", "", 2*time.Hour), mk("scheduled", "n", time.Minute)}, "scheduled"},
		{"same age: by name", []*corev1.Pod{mk("b", "n", time.Hour), mk("c", "n", time.Hour), mk("a", "n", time.Hour)}, "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Every rotation of the input gives the same answer, and the
			// sort's.
			for r := range tc.pods {
				pods := append(slices.Clone(tc.pods[r:]), tc.pods[:r]...)
				sorted := slices.Clone(pods)
				sort.Sort(podsByCreation(sorted))
				if got := firstByCreation(pods); got.Name != tc.want || got != sorted[0] {
					t.Errorf("rotation %d: got %s, want %s (the sort's first: %s)", r, got.Name, tc.want, sorted[0].Name)
				}
			}
		})
	}
}
