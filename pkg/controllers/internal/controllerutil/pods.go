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
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/kubectl/pkg/util/podutils"
)

// PodDeletionCostAnnotation ranks the pods of a ReplicaSet for scale-down:
// pods with a lower cost are deleted first (as in apps/v1).
const PodDeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost"

// PodKey is the key expectations track deletions by: namespace/name.
func PodKey(pod *corev1.Pod) string {
	return pod.Namespace + "/" + pod.Name
}

// PodKeys returns the PodKey of each pod.
func PodKeys(pods []*corev1.Pod) []string {
	keys := make([]string, 0, len(pods))
	for _, p := range pods {
		keys = append(keys, PodKey(p))
	}
	return keys
}

// IsPodActive reports whether a pod counts towards a controller's replicas:
// not Succeeded, not Failed and not being deleted.
func IsPodActive(p *corev1.Pod) bool {
	return p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed && p.DeletionTimestamp == nil
}

// IsPodTerminal reports whether a pod reached Succeeded or Failed.
func IsPodTerminal(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

// IsPodTerminating reports whether a pod is being deleted and has not yet
// reached a terminal phase.
func IsPodTerminating(p *corev1.Pod) bool {
	return p.DeletionTimestamp != nil && !IsPodTerminal(p)
}

// IsPodReady reports whether the pod's Ready condition is True.
func IsPodReady(p *corev1.Pod) bool {
	return podutils.IsPodReady(p)
}

// IsPodAvailable reports whether the pod has been ready for at least
// minReadySeconds at now.
func IsPodAvailable(p *corev1.Pod, minReadySeconds int32, now time.Time) bool {
	return podutils.IsPodAvailable(p, minReadySeconds, metav1.NewTime(now))
}

// AvailableIn returns how long from now a ready pod becomes available, and
// false when it is not ready. Zero means it is available already.
func AvailableIn(p *corev1.Pod, minReadySeconds int32, now time.Time) (time.Duration, bool) {
	if !IsPodReady(p) {
		return 0, false
	}
	if IsPodAvailable(p, minReadySeconds, now) {
		return 0, true
	}
	since := podReadyTime(p)
	if since == nil || since.IsZero() {
		// Ready without a transition time: it never becomes available by time
		// alone; check again after the full minReadySeconds.
		return time.Duration(minReadySeconds) * time.Second, true
	}
	remaining := since.Add(time.Duration(minReadySeconds) * time.Second).Sub(now)
	if remaining <= 0 {
		// IsPodAvailable wants strictly more than minReadySeconds.
		remaining = time.Second
	}
	return remaining, true
}

// FilterActivePods returns the pods that are active (see IsPodActive).
func FilterActivePods(pods []*corev1.Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		if IsPodActive(p) {
			out = append(out, p)
		}
	}
	return out
}

// FilterTerminatingPods returns the pods that are terminating (see
// IsPodTerminating).
func FilterTerminatingPods(pods []*corev1.Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		if IsPodTerminating(p) {
			out = append(out, p)
		}
	}
	return out
}

// FilterClaimedPods returns the pods controlled by owner whose labels match
// selector.
func FilterClaimedPods(owner metav1.Object, selector labels.Selector, pods []*corev1.Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		if metav1.IsControlledBy(p, owner) && selector.Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	return out
}

func podReadyTime(p *corev1.Pod) *metav1.Time {
	for i := range p.Status.Conditions {
		c := &p.Status.Conditions[i]
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return &c.LastTransitionTime
		}
	}
	return nil
}

func maxRestarts(p *corev1.Pod) int32 {
	var m int32
	for _, statuses := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for _, s := range statuses {
			m = max(m, s.RestartCount)
		}
	}
	return m
}

// deletionCost returns the pod-deletion-cost annotation; absent or invalid
// values count as 0.
func deletionCost(p *corev1.Pod) int32 {
	v, ok := p.Annotations[PodDeletionCostAnnotation]
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0
	}
	return int32(n)
}

var phaseOrdinal = map[corev1.PodPhase]int{
	corev1.PodPending: 0,
	corev1.PodUnknown: 1,
	corev1.PodRunning: 2,
}

// ActivePodsWithRanks sorts pods so that the ones to delete first come first,
// as apps/v1 controllers choose scale-down victims. Rank[i] is the number of
// related active pods on the node of Pods[i] (see RankPodsByColocation).
//
// Order: unscheduled < scheduled; Pending < Unknown < Running; not ready <
// ready; lower pod-deletion-cost < higher; higher rank (more co-located pods)
// < lower; more recently ready < ready for longer; more container restarts <
// fewer; newer < older.
type ActivePodsWithRanks struct {
	Pods []*corev1.Pod
	Rank []int
}

func (s ActivePodsWithRanks) Len() int { return len(s.Pods) }

func (s ActivePodsWithRanks) Swap(i, j int) {
	s.Pods[i], s.Pods[j] = s.Pods[j], s.Pods[i]
	s.Rank[i], s.Rank[j] = s.Rank[j], s.Rank[i]
}

func (s ActivePodsWithRanks) Less(i, j int) bool {
	pi, pj := s.Pods[i], s.Pods[j]
	if (pi.Spec.NodeName == "") != (pj.Spec.NodeName == "") {
		return pi.Spec.NodeName == ""
	}
	if oi, oj := phaseOrdinal[pi.Status.Phase], phaseOrdinal[pj.Status.Phase]; oi != oj {
		return oi < oj
	}
	ri, rj := IsPodReady(pi), IsPodReady(pj)
	if ri != rj {
		return !ri
	}
	if ci, cj := deletionCost(pi), deletionCost(pj); ci != cj {
		return ci < cj
	}
	if s.Rank[i] != s.Rank[j] {
		return s.Rank[i] > s.Rank[j]
	}
	if ri && rj {
		ti, tj := podReadyTime(pi), podReadyTime(pj)
		if ti != nil && tj != nil && !ti.Equal(tj) {
			return afterOrZero(ti, tj)
		}
	}
	if mi, mj := maxRestarts(pi), maxRestarts(pj); mi != mj {
		return mi > mj
	}
	if !pi.CreationTimestamp.Equal(&pj.CreationTimestamp) {
		return afterOrZero(&pi.CreationTimestamp, &pj.CreationTimestamp)
	}
	return false
}

// afterOrZero reports whether t1 is after t2, a zero time being after any
// other.
func afterOrZero(t1, t2 *metav1.Time) bool {
	if t1.IsZero() || t2.IsZero() {
		return t1.IsZero()
	}
	return t1.After(t2.Time)
}

// RankPodsByColocation returns pods with, for each, the number of active
// related pods on the same node (including itself). Related pods are those
// of the same owner, or of the owners sharing its controller (e.g. all
// ReplicaSets of a Deployment).
func RankPodsByColocation(pods, related []*corev1.Pod) ActivePodsWithRanks {
	perNode := map[string]int{}
	for _, p := range related {
		if p.Spec.NodeName != "" && IsPodActive(p) {
			perNode[p.Spec.NodeName]++
		}
	}
	ranks := make([]int, len(pods))
	for i, p := range pods {
		ranks[i] = perNode[p.Spec.NodeName]
	}
	return ActivePodsWithRanks{Pods: pods, Rank: ranks}
}
