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

package apps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

const (
	imageV1 = "registry.example/app:1.0"
	imageV2 = "registry.example/app:2.0"
)

// dsProgressing returns the Progressing condition of ds, or nil.
func dsProgressing(ds *v1alpha1.DaemonSet) *v1alpha1.DaemonSetCondition {
	for i := range ds.Status.Conditions {
		if ds.Status.Conditions[i].Type == v1alpha1.DaemonSetProgressing {
			return &ds.Status.Conditions[i]
		}
	}
	return nil
}

// dsWaitCondition waits until the DaemonSet has observed its generation and
// reports a Progressing condition with reason, and returns it.
func (e *env) dsWaitCondition(t *testing.T, ns, name, reason string) (*v1alpha1.DaemonSet, v1alpha1.DaemonSetCondition) {
	t.Helper()
	var ds *v1alpha1.DaemonSet
	var last string
	pollFor(t, fmt.Sprintf("DaemonSet %s/%s Progressing reason %s", ns, name, reason), dsSettleTimeout, func(ctx context.Context) (bool, error) {
		var err error
		ds, err = e.client.ExperimentalV1alpha1().DaemonSets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		c := dsProgressing(ds)
		last = fmt.Sprintf("%+v, status %+v", c, ds.Status)
		return ds.Status.ObservedGeneration == ds.Generation && c != nil && c.Reason == reason, nil
	})
	t.Logf("DaemonSet %s/%s: %s", ns, name, last)
	return ds, *dsProgressing(ds)
}

// dsPodsByNode returns the live (not terminating) pods of the DaemonSet by
// target node.
func (e *env) dsPodsByNode(t *testing.T, ds *v1alpha1.DaemonSet) map[string]corev1.Pod {
	t.Helper()
	pods, err := e.ownedPods(context.Background(), ds.Namespace, ds.UID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]corev1.Pod{}
	for _, p := range pods {
		if p.DeletionTimestamp == nil {
			out[dsTargetNode(&p)] = p
		}
	}
	return out
}

// dsPatch applies a merge patch to the DaemonSet's spec with kubectl.
func (e *env) dsPatch(t *testing.T, ns, name, patch string) {
	t.Helper()
	e.kubectl(t, "-n", ns, "patch", "xds", name, "--type=merge", "-p", patch)
}

// dsConsistently fails the test when cond stops holding within d. It is
// the check that a stuck rollout stays stuck.
func dsConsistently(t *testing.T, what string, d time.Duration, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), pollInterval, d, true, func(window context.Context) (bool, error) {
		// Each check gets its own deadline, not the window's: the shared
		// client's rate limiter refuses a request it cannot send before
		// the window's deadline, which says nothing about the condition.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		ok, err := cond(ctx)
		if err != nil {
			return false, err
		}
		return !ok, nil
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%s stopped holding within %v (err %v)", what, d, err)
	}
}

func TestDaemonSetPartition(t *testing.T) {
	e := sharedEnv(t)
	ns := e.namespace(t, "ds-partition")
	const pool = "partition"
	nodes := e.dsAddNodes(t, 6, pool)
	sorted := slices.Sorted(slices.Values(nodes))

	e.dsNew(t, ns, "agent", pool, func(ds *v1alpha1.DaemonSet) {
		ds.Spec.UpdateStrategy = v1alpha1.DaemonSetUpdateStrategy{
			Type: v1alpha1.RollingUpdateDaemonSetStrategyType,
			RollingUpdate: &v1alpha1.RollingUpdateDaemonSet{
				MaxUnavailable: ptr.To(intstr.FromInt32(1)),
				Partition:      ptr.To(intstr.FromInt32(4)),
			},
		}
	})
	before := e.dsWaitSettled(t, ns, "agent", nodes, imageV1)
	sampler := e.dsSample(t, ns, nodes)
	e.dsPatchImage(t, ns, "agent", imageV2)

	ds, c := e.dsWaitCondition(t, ns, "agent", v1alpha1.DaemonSetPartiallyRolledOutReason)
	// The condition is written as soon as the 2 selected nodes run updated
	// pods; the count of available pods follows once the last of them is
	// ready (status writes that change only counts are spaced), so wait for
	// it, with the partition still holding the other 4.
	pollFor(t, "2 of 6 updated and 6 available with partition 4", dsSettleTimeout, func(ctx context.Context) (bool, error) {
		var err error
		ds, err = e.client.ExperimentalV1alpha1().DaemonSets(ns).Get(ctx, "agent", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if ds.Status.UpdatedNumberScheduled != 2 || ds.Status.DesiredNumberScheduled != 6 {
			return false, fmt.Errorf("with partition 4: status %+v, want 2 of 6 updated", ds.Status)
		}
		return ds.Status.NumberAvailable == 6, nil
	})
	if !strings.Contains(c.Message, "4 pods keep their revision") {
		t.Errorf("Progressing message %q does not say 4 pods keep their revision", c.Message)
	}
	_, _, _, distinct := sampler.stop()
	if distinct != 6+2 {
		t.Errorf("%d distinct pods during the partitioned update, want 8 (exactly 2 replaced)", distinct)
	}
	byNode := e.dsPodsByNode(t, ds)
	for i, node := range sorted {
		p := byNode[node]
		if i < 4 {
			if p.UID != before[node].UID || p.Spec.Containers[0].Image != imageV1 {
				t.Errorf("partitioned node %s (#%d by name): pod %s runs %s, want the untouched old pod", node, i, p.Name, p.Spec.Containers[0].Image)
			}
		} else if p.Spec.Containers[0].Image != imageV2 {
			t.Errorf("node %s (#%d by name) runs %s, want %s", node, i, p.Spec.Containers[0].Image, imageV2)
		}
	}
	out := e.kubectl(t, "-n", ns, "get", "xds", "agent", "-o", "jsonpath={.spec.updateStrategy.rollingUpdate.partition}")
	if out != "4" {
		t.Errorf("kubectl get partition = %q, want 4", out)
	}

	// Lowering the partition to 0 rolls out everywhere.
	e.dsPatch(t, ns, "agent", `{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}`)
	e.dsWaitSettled(t, ns, "agent", nodes, imageV2)
	e.dsWaitCondition(t, ns, "agent", v1alpha1.DaemonSetRolloutCompleteReason)
}

func TestDaemonSetPaused(t *testing.T) {
	e := sharedEnv(t)
	ns := e.namespace(t, "ds-paused")
	const pool = "paused"
	nodes := e.dsAddNodes(t, 2, pool)
	e.dsNew(t, ns, "agent", pool, func(ds *v1alpha1.DaemonSet) {
		ds.Spec.UpdateStrategy = v1alpha1.DaemonSetUpdateStrategy{
			Type:          v1alpha1.RollingUpdateDaemonSetStrategyType,
			RollingUpdate: &v1alpha1.RollingUpdateDaemonSet{MaxUnavailable: ptr.To(intstr.FromInt32(1)), Paused: true},
		}
	})
	before := e.dsWaitSettled(t, ns, "agent", nodes, imageV1)
	e.dsPatchImage(t, ns, "agent", imageV2)
	ds, _ := e.dsWaitCondition(t, ns, "agent", v1alpha1.DaemonSetRolloutPausedReason)

	// A node added while paused gets a pod of the newest revision.
	added := e.dsAddNodes(t, 1, pool)[0]
	var byNode map[string]corev1.Pod
	pollFor(t, "a pod of the new revision on the added node "+added, dsSettleTimeout, func(ctx context.Context) (bool, error) {
		pods, err := e.ownedPods(ctx, ns, ds.UID)
		if err != nil {
			return false, err
		}
		byNode = map[string]corev1.Pod{}
		for _, p := range pods {
			byNode[dsTargetNode(&p)] = p
		}
		p, ok := byNode[added]
		return ok && p.Spec.NodeName == added && podReady(&p) && p.Spec.Containers[0].Image == imageV2, nil
	})
	for _, node := range nodes {
		if p := byNode[node]; p.UID != before[node].UID || p.DeletionTimestamp != nil {
			t.Errorf("paused: the pod on %s was replaced or is terminating (%s, deleting=%v)", node, p.Name, p.DeletionTimestamp != nil)
		}
	}
	// The status follows the pod the controller saw become ready.
	var updated int32
	pollFor(t, "the status to count the added node's pod as updated", dsSettleTimeout, func(ctx context.Context) (bool, error) {
		ds, err := e.client.ExperimentalV1alpha1().DaemonSets(ns).Get(ctx, "agent", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		updated = ds.Status.UpdatedNumberScheduled
		if updated > 1 {
			return false, fmt.Errorf("paused: %d pods updated, want 1 (the added node's)", updated)
		}
		return updated == 1, nil
	})

	e.dsPatch(t, ns, "agent", `{"spec":{"updateStrategy":{"rollingUpdate":{"paused":false}}}}`)
	e.dsWaitSettled(t, ns, "agent", append(slices.Clone(nodes), added), imageV2)
}

func TestDaemonSetCanaryNodes(t *testing.T) {
	e := sharedEnv(t)
	ns := e.namespace(t, "ds-canary")
	const pool = "canary"
	nodes := e.dsAddNodes(t, 3, pool)
	canary := nodes[1]
	e.kubectl(t, "label", "node", canary, "ds.e2e.experimental/canary=true")

	e.dsNew(t, ns, "agent", pool, func(ds *v1alpha1.DaemonSet) {
		ds.Spec.UpdateStrategy = v1alpha1.DaemonSetUpdateStrategy{
			Type: v1alpha1.RollingUpdateDaemonSetStrategyType,
			RollingUpdate: &v1alpha1.RollingUpdateDaemonSet{
				MaxUnavailable:     ptr.To(intstr.FromInt32(1)),
				CanaryNodeSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"ds.e2e.experimental/canary": "true"}},
			},
		}
	})
	before := e.dsWaitSettled(t, ns, "agent", nodes, imageV1)
	e.dsPatchImage(t, ns, "agent", imageV2)
	ds, _ := e.dsWaitCondition(t, ns, "agent", v1alpha1.DaemonSetPartiallyRolledOutReason)
	if ds.Status.UpdatedNumberScheduled != 1 {
		t.Errorf("canary: %d pods updated, want 1", ds.Status.UpdatedNumberScheduled)
	}
	for node, p := range e.dsPodsByNode(t, ds) {
		want := imageV1
		if node == canary {
			want = imageV2
		} else if p.UID != before[node].UID {
			t.Errorf("canary: the pod on non-canary node %s was replaced", node)
		}
		if p.Spec.Containers[0].Image != want {
			t.Errorf("canary: node %s runs %s, want %s", node, p.Spec.Containers[0].Image, want)
		}
	}
	// Dropping the selector finishes the rollout.
	e.dsPatch(t, ns, "agent", `{"spec":{"updateStrategy":{"rollingUpdate":{"canaryNodeSelector":null}}}}`)
	e.dsWaitSettled(t, ns, "agent", nodes, imageV2)
}

func TestDaemonSetUnreadyNodePolicy(t *testing.T) {
	e := sharedEnv(t)
	ns := e.namespace(t, "ds-unready")
	const pool = "unready"
	nodes := e.dsAddNodes(t, 3, pool)
	down := nodes[1]
	healthy := []string{nodes[0], nodes[2]}
	for _, policy := range []v1alpha1.DaemonSetUnreadyNodePolicy{v1alpha1.BlockUnreadyNodePolicy, v1alpha1.SkipUnreadyNodePolicy} {
		e.dsNew(t, ns, strings.ToLower(string(policy)), pool, func(ds *v1alpha1.DaemonSet) {
			ds.Spec.UpdateStrategy = v1alpha1.DaemonSetUpdateStrategy{
				Type:          v1alpha1.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &v1alpha1.RollingUpdateDaemonSet{MaxUnavailable: ptr.To(intstr.FromInt32(1)), UnreadyNodePolicy: policy},
			}
		})
	}
	e.dsWaitSettled(t, ns, "block", nodes, imageV1)
	skipBefore := e.dsWaitSettled(t, ns, "skip", nodes, imageV1)

	ctx := context.Background()
	if err := e.c.SetKubeletDown(ctx, down, true); err != nil {
		t.Fatal(err)
	}
	// Registered after the namespace, so it runs before the namespace is
	// deleted: the frozen pods must be released to go away.
	t.Cleanup(func() { _ = e.c.SetKubeletDown(ctx, down, false) })

	e.dsPatchImage(t, ns, "block", imageV2)
	e.dsPatchImage(t, ns, "skip", imageV2)

	// Skip: the rollout finishes on the Ready nodes; the pod on the
	// NotReady node is left alone and named in the condition.
	skip, c := e.dsWaitCondition(t, ns, "skip", v1alpha1.DaemonSetPartiallyRolledOutReason)
	if !strings.Contains(c.Message, down+" (NotReady)") {
		t.Errorf("Skip: Progressing message %q does not name %s (NotReady)", c.Message, down)
	}
	pollFor(t, "the Skip DaemonSet rolled out on the Ready nodes", dsSettleTimeout, func(ctx context.Context) (bool, error) {
		ds, err := e.client.ExperimentalV1alpha1().DaemonSets(ns).Get(ctx, "skip", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		s := ds.Status
		return s.DesiredNumberScheduled == 2 && s.UpdatedNumberScheduled == 2 && s.NumberAvailable == 2, nil
	})
	byNode := e.dsPodsByNode(t, skip)
	for _, node := range healthy {
		if img := byNode[node].Spec.Containers[0].Image; img != imageV2 {
			t.Errorf("Skip: Ready node %s runs %s, want %s", node, img, imageV2)
		}
	}
	if p := byNode[down]; p.UID != skipBefore[down].UID {
		t.Errorf("Skip: the pod on NotReady node %s was replaced or deleted", down)
	}

	// Block: the old pod on the NotReady node is replaced first and never
	// goes away, using up maxUnavailable: nothing else is updated.
	block, c := e.dsWaitCondition(t, ns, "block", v1alpha1.DaemonSetRolloutBlockedReason)
	if c.Status != corev1.ConditionFalse || !strings.Contains(c.Message, down+" (NotReady)") {
		t.Errorf("Block: Progressing = %+v, want False naming %s (NotReady)", c, down)
	}
	if block.Status.UpdatedNumberScheduled != 0 {
		t.Errorf("Block: %d pods updated, want 0", block.Status.UpdatedNumberScheduled)
	}
	dsConsistently(t, "Block: no pod updated", 5*time.Second, func(ctx context.Context) (bool, error) {
		ds, err := e.client.ExperimentalV1alpha1().DaemonSets(ns).Get(ctx, "block", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return ds.Status.UpdatedNumberScheduled == 0, nil
	})
	if out := e.kubectl(t, "-n", ns, "get", "events", "--field-selector", "involvedObject.name=block,reason=RolloutBlocked", "-o", "name"); out == "" {
		t.Errorf("Block: no RolloutBlocked event")
	}

	// Once the node is back, the Block rollout completes too.
	if err := e.c.SetKubeletDown(ctx, down, false); err != nil {
		t.Fatal(err)
	}
	e.dsWaitSettled(t, ns, "block", nodes, imageV2)
	e.dsWaitSettled(t, ns, "skip", nodes, imageV2)
}

func TestDaemonSetProgressiveFieldsValidationAndExplain(t *testing.T) {
	e := sharedEnv(t)
	ns := e.namespace(t, "ds-progressive-validation")
	const pool = "validation"
	e.dsNew(t, ns, "agent", pool, nil)
	for _, tc := range []struct {
		patch, want string
	}{
		{`{"spec":{"updateStrategy":{"rollingUpdate":{"partition":-1}}}}`,
			`spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0`},
		{`{"spec":{"updateStrategy":{"rollingUpdate":{"partition":"half"}}}}`,
			`spec.updateStrategy.rollingUpdate.partition: Invalid value: "half"`},
		{`{"spec":{"updateStrategy":{"rollingUpdate":{"unreadyNodePolicy":"Ignore"}}}}`,
			`spec.updateStrategy.rollingUpdate.unreadyNodePolicy: Unsupported value: "Ignore": supported values: "Block", "Skip"`},
		{`{"spec":{"updateStrategy":{"rollingUpdate":{"canaryNodeSelector":{"matchExpressions":[{"key":"zone","operator":"Near"}]}}}}}`,
			`spec.updateStrategy.rollingUpdate.canaryNodeSelector.matchExpressions[0].operator: Invalid value: "Near"`},
		{`{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":{"paused":true}}}}`,
			`spec.updateStrategy.rollingUpdate.paused: Forbidden: may only be set when type is RollingUpdate`},
	} {
		out, errOut, err := e.c.Kubectl("-n", ns, "patch", "xds", "agent", "--type=merge", "-p", tc.patch)
		if err == nil || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, "is invalid") {
			t.Errorf("patch %s: err %v, stderr %q (stdout %q), want a 422 with %q", tc.patch, err, errOut, out, tc.want)
		}
	}
	// kube-apiserver aggregates our OpenAPI a few seconds after the
	// APIService becomes available.
	var explain string
	pollFor(t, "kubectl explain of the DaemonSet rolling update", pollTimeout, func(ctx context.Context) (bool, error) {
		out, _, err := e.c.Kubectl("explain", "xds.spec.updateStrategy.rollingUpdate")
		explain = out
		return err == nil, nil
	})
	for _, want := range []string{"partition", "paused", "canaryNodeSelector", "unreadyNodePolicy", "of them are not replaced", "rounded up", "Skip"} {
		if !strings.Contains(explain, want) {
			t.Errorf("kubectl explain xds.spec.updateStrategy.rollingUpdate lacks %q:\n%s", want, explain)
		}
	}
	// A DaemonSet without the fields stores none of them.
	raw := e.kubectl(t, "-n", ns, "get", "xds", "agent", "-o", "jsonpath={.spec.updateStrategy.rollingUpdate}")
	for _, field := range []string{"partition", "paused", "canaryNodeSelector", "unreadyNodePolicy"} {
		if strings.Contains(raw, field) {
			t.Errorf("rollingUpdate of a DaemonSet without progressive fields stores %s: %s", field, raw)
		}
	}
}
