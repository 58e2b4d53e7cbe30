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
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// progressiveFixture runs ds over nodes n0..n<len-1>, each with an available
// pod of the current revision.
func progressiveFixture(t *testing.T, ds *v1alpha1.DaemonSet, nodes []*corev1.Node) *fixture {
	t.Helper()
	hash := currentHash(ds)
	var pods []*corev1.Pod
	for _, n := range nodes {
		pods = append(pods, newPod("old-"+n.Name, ds, n.Name, bound(n.Name), readyAt(now.Add(-time.Hour)), withHash(hash)))
	}
	return newFixture(t, []*v1alpha1.DaemonSet{ds}, nodes, pods)
}

func readyNodes(n int, opts ...nodeOpt) []*corev1.Node {
	var out []*corev1.Node
	for i := range n {
		out = append(out, newNode(fmt.Sprintf("n%d", i), append([]nodeOpt{readyNode(corev1.ConditionTrue)}, opts...)...))
	}
	return out
}

// settle syncs ds until a sync writes no pod, binding and readying every new
// pod after each sync (the scheduler and kubelet), and checks that no sync
// deletes more than maxDeletes pods. It returns the revision hash per node.
func (f *fixture) settle(name string, maxDeletes int) map[string]string {
	f.t.Helper()
	for round := 0; ; round++ {
		if round > 40 {
			f.t.Fatal("DaemonSet did not settle in 40 syncs")
		}
		f.mustSync(f.ds(name))
		deleted, created := len(f.deletedPods()), len(f.createdPods())
		if deleted > maxDeletes {
			f.t.Fatalf("sync %d deleted %d pods, at most %d allowed", round, deleted, maxDeletes)
		}
		f.observe()
		f.clock.Step(time.Second)
		f.scheduleAll(true)
		if deleted+created == 0 {
			break
		}
	}
	// One more sync for the status of the settled state.
	f.mustSync(f.ds(name))
	f.observe()
	out := map[string]string{}
	for node, pods := range f.podsByNode() {
		if len(pods) != 1 {
			f.t.Fatalf("node %s has %d pods after settling", node, len(pods))
		}
		out[node] = pods[0].Labels[revisionHashLabel]
	}
	return out
}

// setRollingUpdate changes rollingUpdate of ds (in the client and the cache)
// and raises its generation.
func (f *fixture) setRollingUpdate(name string, mutate func(*v1alpha1.RollingUpdateDaemonSet)) {
	f.t.Helper()
	ds := f.ds(name).DeepCopy()
	mutate(ds.Spec.UpdateStrategy.RollingUpdate)
	ds.Generation++
	_, err := f.client.ExperimentalV1alpha1().DaemonSets(ns).Update(f.ctx, ds, metav1.UpdateOptions{})
	f.must(err)
	f.observe()
}

// updatedNodes returns the sorted nodes whose pod has hash.
func updatedNodes(byNode map[string]string, hash string) []string {
	var out []string
	for _, node := range slices.Sorted(maps.Keys(byNode)) {
		if byNode[node] == hash {
			out = append(out, node)
		}
	}
	return out
}

func progressingOf(t *testing.T, ds *v1alpha1.DaemonSet) v1alpha1.DaemonSetCondition {
	t.Helper()
	for _, c := range ds.Status.Conditions {
		if c.Type == v1alpha1.DaemonSetProgressing {
			return c
		}
	}
	t.Fatalf("DaemonSet %s has no Progressing condition: %+v", ds.Name, ds.Status.Conditions)
	return v1alpha1.DaemonSetCondition{}
}

func TestPartitionKeepsFirstNodesByName(t *testing.T) {
	ds := newDS("agent")
	ds.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To(intstr.FromInt32(4))
	// Created out of name order: the partition follows names, not order.
	nodes := readyNodes(6)
	slices.Reverse(nodes)
	f := progressiveFixture(t, ds, nodes)
	oldHash := currentHash(ds)
	f.settle("agent", 0)
	if c := progressingOf(t, f.ds("agent")); c.Reason != v1alpha1.DaemonSetRolloutCompleteReason || c.Status != corev1.ConditionTrue {
		t.Errorf("before the update, Progressing = %+v, want True/RolloutComplete", c)
	}

	newHash := currentHash(f.updateTemplate(ds, "agent:2"))
	got := f.settle("agent", 1)
	if u := updatedNodes(got, newHash); !slices.Equal(u, []string{"n4", "n5"}) {
		t.Fatalf("with partition 4, updated nodes = %v, want [n4 n5]", u)
	}
	if old := updatedNodes(got, oldHash); !slices.Equal(old, []string{"n0", "n1", "n2", "n3"}) {
		t.Fatalf("with partition 4, old nodes = %v, want [n0 n1 n2 n3]", old)
	}
	s := f.ds("agent").Status
	if s.UpdatedNumberScheduled != 2 || s.NumberAvailable != 6 {
		t.Errorf("status = %+v, want 2 updated, 6 available", s)
	}
	c := progressingOf(t, f.ds("agent"))
	if c.Status != corev1.ConditionTrue || c.Reason != v1alpha1.DaemonSetPartiallyRolledOutReason || !strings.Contains(c.Message, "4 pods keep their revision") {
		t.Errorf("Progressing = %+v, want True/PartiallyRolledOut naming 4 kept pods", c)
	}

	// Lowering the partition continues the rollout.
	f.setRollingUpdate("agent", func(r *v1alpha1.RollingUpdateDaemonSet) { r.Partition = ptr.To(intstr.FromInt32(2)) })
	if u := updatedNodes(f.settle("agent", 1), newHash); !slices.Equal(u, []string{"n2", "n3", "n4", "n5"}) {
		t.Fatalf("with partition 2, updated nodes = %v, want [n2 n3 n4 n5]", u)
	}
	// Raising it again never rolls a pod back.
	f.setRollingUpdate("agent", func(r *v1alpha1.RollingUpdateDaemonSet) { r.Partition = ptr.To(intstr.FromInt32(5)) })
	if u := updatedNodes(f.settle("agent", 0), newHash); len(u) != 4 {
		t.Fatalf("after raising the partition, updated nodes = %v, want the same 4", u)
	}
	f.setRollingUpdate("agent", func(r *v1alpha1.RollingUpdateDaemonSet) { r.Partition = ptr.To(intstr.FromInt32(0)) })
	if u := updatedNodes(f.settle("agent", 1), newHash); len(u) != 6 {
		t.Fatalf("with partition 0, updated nodes = %v, want all 6", u)
	}
	if c := progressingOf(t, f.ds("agent")); c.Reason != v1alpha1.DaemonSetRolloutCompleteReason {
		t.Errorf("after the full rollout, Progressing = %+v, want RolloutComplete", c)
	}
}

func TestPartitionPercentRoundsUp(t *testing.T) {
	for _, tc := range []struct {
		partition   string
		wantUpdated []string
	}{
		{"50%", []string{"n3", "n4"}},             // 2.5 of 5 rounds up to 3 kept
		{"10%", []string{"n1", "n2", "n3", "n4"}}, // 0.5 rounds up to 1 kept
		{"0%", []string{"n0", "n1", "n2", "n3", "n4"}},
		{"100%", nil},
	} {
		t.Run(tc.partition, func(t *testing.T) {
			ds := newDS("agent")
			ds.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To(intstr.FromString(tc.partition))
			f := progressiveFixture(t, ds, readyNodes(5))
			newHash := currentHash(f.updateTemplate(ds, "agent:2"))
			if u := updatedNodes(f.settle("agent", 1), newHash); !slices.Equal(u, tc.wantUpdated) {
				t.Errorf("partition %s: updated nodes = %v, want %v", tc.partition, u, tc.wantUpdated)
			}
		})
	}
}

func TestPartitionWithSurge(t *testing.T) {
	ds := newDS("agent")
	ds.Spec.UpdateStrategy = rollingUpdate(0, 1)
	ds.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To(intstr.FromInt32(2))
	f := progressiveFixture(t, ds, readyNodes(4))
	newHash := currentHash(f.updateTemplate(ds, "agent:2"))
	if u := updatedNodes(f.settle("agent", 1), newHash); !slices.Equal(u, []string{"n2", "n3"}) {
		t.Fatalf("surge with partition 2: updated nodes = %v, want [n2 n3]", u)
	}
}

func TestPausedReplacesNothingButPlacesNewNodes(t *testing.T) {
	ds := newDS("agent")
	ds.Spec.UpdateStrategy.RollingUpdate.Paused = true
	f := progressiveFixture(t, ds, readyNodes(3))
	oldHash := currentHash(ds)
	ds = f.updateTemplate(ds, "agent:2")
	newHash := currentHash(ds)
	// An old pod that is not available would be replaced at once without
	// the pause.
	p := f.podsByNode()["n0"][0].DeepCopy()
	p.Status.Conditions[0].Status = corev1.ConditionFalse
	_, err := f.kube.CoreV1().Pods(ns).Update(f.ctx, p, metav1.UpdateOptions{})
	f.must(err)
	f.observe()

	got := f.settle("agent", 0)
	if u := updatedNodes(got, newHash); len(u) != 0 {
		t.Fatalf("paused: updated nodes = %v, want none", u)
	}
	c := progressingOf(t, f.ds("agent"))
	if c.Status != corev1.ConditionUnknown || c.Reason != v1alpha1.DaemonSetRolloutPausedReason {
		t.Errorf("paused: Progressing = %+v, want Unknown/RolloutPaused", c)
	}

	// A node added while paused gets a pod of the newest revision.
	n3 := newNode("n3", readyNode(corev1.ConditionTrue))
	f.must(f.nodeStore.Add(n3))
	_, err = f.kube.CoreV1().Nodes().Create(f.ctx, n3, metav1.CreateOptions{})
	f.must(err)
	got = f.settle("agent", 0)
	if got["n3"] != newHash {
		t.Errorf("new node n3 runs revision %q while paused, want the newest %q", got["n3"], newHash)
	}
	if old := updatedNodes(got, oldHash); len(old) != 3 {
		t.Errorf("paused: old nodes = %v, want n0..n2", old)
	}

	f.setRollingUpdate("agent", func(r *v1alpha1.RollingUpdateDaemonSet) { r.Paused = false })
	if u := updatedNodes(f.settle("agent", 1), newHash); len(u) != 4 {
		t.Fatalf("resumed: updated nodes = %v, want all 4", u)
	}
}

func TestCanaryNodeSelector(t *testing.T) {
	ds := newDS("agent")
	ds.Spec.UpdateStrategy.RollingUpdate.CanaryNodeSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"canary": "true"}}
	nodes := readyNodes(4)
	nodes[1].Labels["canary"] = "true"
	nodes[3].Labels["canary"] = "true"
	f := progressiveFixture(t, ds, nodes)
	newHash := currentHash(f.updateTemplate(ds, "agent:2"))
	if u := updatedNodes(f.settle("agent", 1), newHash); !slices.Equal(u, []string{"n1", "n3"}) {
		t.Fatalf("canary selector: updated nodes = %v, want [n1 n3]", u)
	}
	if c := progressingOf(t, f.ds("agent")); c.Reason != v1alpha1.DaemonSetPartiallyRolledOutReason {
		t.Errorf("canary done: Progressing = %+v, want PartiallyRolledOut", c)
	}
	// Combined with a partition: n1 is in the partition (first 2 by name).
	f.setRollingUpdate("agent", func(r *v1alpha1.RollingUpdateDaemonSet) {
		r.CanaryNodeSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "canary", Operator: metav1.LabelSelectorOpDoesNotExist}}}
		r.Partition = ptr.To(intstr.FromInt32(3))
	})
	if u := updatedNodes(f.settle("agent", 1), newHash); !slices.Equal(u, []string{"n1", "n3"}) {
		t.Fatalf("canary n0,n2 with partition 3: updated nodes = %v, want [n1 n3] (n0 and n2 are partitioned)", u)
	}
	f.setRollingUpdate("agent", func(r *v1alpha1.RollingUpdateDaemonSet) { r.CanaryNodeSelector, r.Partition = nil, nil })
	if u := updatedNodes(f.settle("agent", 1), newHash); len(u) != 4 {
		t.Fatalf("without canary selector: updated nodes = %v, want all 4", u)
	}
}

// unreadyFixture: n0..n2 Ready, n1 then NotReady and tainted by the node
// lifecycle controller, its old pod stuck terminating (a kubelet that is
// gone never confirms the deletion).
func unreadyFixture(t *testing.T, policy v1alpha1.DaemonSetUnreadyNodePolicy, mutate ...func(*v1alpha1.DaemonSet)) (*fixture, string) {
	t.Helper()
	ds := newDS("agent")
	ds.Spec.UpdateStrategy.RollingUpdate.UnreadyNodePolicy = policy
	for _, m := range mutate {
		m(ds)
	}
	nodes := readyNodes(3)
	nodes[1].Status.Conditions[0].Status = corev1.ConditionFalse
	nodes[1].Spec.Taints = []corev1.Taint{
		{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule},
		{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute},
	}
	hash := currentHash(ds)
	var pods []*corev1.Pod
	for _, n := range nodes {
		pods = append(pods, newPod("old-"+n.Name, ds, n.Name, bound(n.Name), readyAt(now.Add(-time.Hour)), withHash(hash)))
	}
	pods[1].DeletionTimestamp = ptr.To(metav1.NewTime(now.Add(-time.Minute)))
	pods[1].Status.Conditions[0].Status = corev1.ConditionFalse
	f := newFixture(t, []*v1alpha1.DaemonSet{ds}, nodes, pods)
	return f, currentHash(f.updateTemplate(ds, "agent:2"))
}

func TestUnreadyNodePolicyBlock(t *testing.T) {
	f, newHash := unreadyFixture(t, v1alpha1.BlockUnreadyNodePolicy)
	got := f.settle("agent", 1)
	if u := updatedNodes(got, newHash); len(u) != 0 {
		t.Fatalf("Block: updated nodes = %v, want none (n1's stuck pod uses up maxUnavailable)", u)
	}
	c := progressingOf(t, f.ds("agent"))
	if c.Status != corev1.ConditionFalse || c.Reason != v1alpha1.DaemonSetRolloutBlockedReason || !strings.Contains(c.Message, "n1 (NotReady)") {
		t.Errorf("Block: Progressing = %+v, want False/RolloutBlocked naming n1 (NotReady)", c)
	}
	if n := countEvents(f.recorder, v1alpha1.DaemonSetRolloutBlockedReason); n != 1 {
		t.Errorf("Block: %d RolloutBlocked events, want 1", n)
	}
}

func TestUnreadyNodeDoesNotBlockSurge(t *testing.T) {
	// With maxSurge the rolling update deletes the unavailable old pod of
	// the not-ready node it no longer places on, and a pod stuck
	// terminating there spends no surge budget: no RolloutBlocked.
	f, newHash := unreadyFixture(t, v1alpha1.BlockUnreadyNodePolicy, func(ds *v1alpha1.DaemonSet) {
		ds.Spec.UpdateStrategy = rollingUpdate(0, 1)
		ds.Spec.UpdateStrategy.RollingUpdate.UnreadyNodePolicy = v1alpha1.BlockUnreadyNodePolicy
	})
	for round := range 6 {
		f.mustSync(f.ds("agent"))
		f.observe()
		if c := progressingOf(t, f.ds("agent")); c.Reason == v1alpha1.DaemonSetRolloutBlockedReason {
			t.Fatalf("sync %d: Progressing = %+v, want not blocked", round, c)
		}
		f.clock.Step(time.Second)
		f.scheduleAll(true)
	}
	got := f.settle("agent", 1)
	if u := updatedNodes(got, newHash); !slices.Equal(u, []string{"n0", "n2"}) {
		t.Fatalf("surge with a not-ready node: updated nodes = %v, want [n0 n2]", u)
	}
}

func TestUnreadyNodePolicySkip(t *testing.T) {
	f, newHash := unreadyFixture(t, v1alpha1.SkipUnreadyNodePolicy)
	got := f.settle("agent", 1)
	if u := updatedNodes(got, newHash); !slices.Equal(u, []string{"n0", "n2"}) {
		t.Fatalf("Skip: updated nodes = %v, want [n0 n2]", u)
	}
	if p := f.podsByNode()["n1"][0]; p.DeletionTimestamp == nil {
		t.Errorf("Skip: the pod on n1 was replaced")
	}
	s := f.ds("agent").Status
	if s.DesiredNumberScheduled != 2 || s.UpdatedNumberScheduled != 2 || s.NumberAvailable != 2 {
		t.Errorf("Skip: status = %+v, want 2 desired, updated and available", s)
	}
	c := progressingOf(t, f.ds("agent"))
	if c.Status != corev1.ConditionTrue || c.Reason != v1alpha1.DaemonSetPartiallyRolledOutReason || !strings.Contains(c.Message, "n1 (NotReady)") {
		t.Errorf("Skip: Progressing = %+v, want True/PartiallyRolledOut naming the skipped n1", c)
	}
}

func TestUnreadyNodeSkipDoesNotCountAgainstMaxUnavailable(t *testing.T) {
	// A not-ready node whose pod is unavailable but not being deleted: with
	// Skip it is neither replaced nor counted, so the others still roll.
	ds := newDS("agent")
	ds.Spec.UpdateStrategy.RollingUpdate.UnreadyNodePolicy = v1alpha1.SkipUnreadyNodePolicy
	nodes := readyNodes(3)
	nodes[0].Status.Conditions[0].Status = corev1.ConditionUnknown
	f := progressiveFixture(t, ds, nodes)
	p := f.podsByNode()["n0"][0].DeepCopy()
	p.Status.Conditions[0].Status = corev1.ConditionFalse
	_, err := f.kube.CoreV1().Pods(ns).Update(f.ctx, p, metav1.UpdateOptions{})
	f.must(err)
	f.observe()
	oldHash := currentHash(ds)
	newHash := currentHash(f.updateTemplate(ds, "agent:2"))
	// settle readies every pod it sees bound; n0's old pod stays unready
	// since it is never rebound.
	got := f.settle("agent", 1)
	if u := updatedNodes(got, newHash); !slices.Equal(u, []string{"n1", "n2"}) || got["n0"] != oldHash {
		t.Fatalf("Skip: revisions by node = %v, want n1 and n2 updated, n0 untouched", got)
	}
	if c := progressingOf(t, f.ds("agent")); !strings.Contains(c.Message, "n0 (Unknown)") {
		t.Errorf("Skip: Progressing = %+v, want the skipped n0 (Unknown) named", c)
	}
}

func TestNoProgressingConditionWithoutProgressiveFields(t *testing.T) {
	ds := newDS("agent")
	f := progressiveFixture(t, ds, readyNodes(2))
	f.updateTemplate(ds, "agent:2")
	f.settle("agent", 1)
	if c := f.ds("agent").Status.Conditions; len(c) != 0 {
		t.Errorf("apps/v1-style DaemonSet reports conditions %+v, want none", c)
	}
	// Setting a field adds the condition, removing it removes it again.
	f.setRollingUpdate("agent", func(r *v1alpha1.RollingUpdateDaemonSet) { r.UnreadyNodePolicy = v1alpha1.BlockUnreadyNodePolicy })
	f.settle("agent", 0)
	progressingOf(t, f.ds("agent"))
	f.setRollingUpdate("agent", func(r *v1alpha1.RollingUpdateDaemonSet) { r.UnreadyNodePolicy = "" })
	f.settle("agent", 0)
	if c := f.ds("agent").Status.Conditions; len(c) != 0 {
		t.Errorf("after removing unreadyNodePolicy, conditions = %+v, want none", c)
	}
}
