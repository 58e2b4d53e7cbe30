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

package deployment

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// rollbackFixture: 4 pods of nginx:1 (revision 1) completed a rollout and
// are recorded as stable; the template was changed to nginx:bad, whose
// pods never become ready. Progress deadline 60s.
func rollbackFixture(t *testing.T, mutate func(d *v1alpha1.Deployment)) (*fixture, *v1alpha1.Deployment, *v1alpha1.ReplicaSet) {
	d := newDeployment("web", 4, intstr.FromInt32(1), intstr.FromInt32(0))
	d.Spec.ProgressDeadlineSeconds = ptr.To[int32](60)
	d.Spec.RollbackOnFailure = &v1alpha1.DeploymentRollbackOnFailure{}
	stable := newReplicaSetFor(d, "nginx:1", 1, 4, time.Hour)
	d.Status.RollbackOnFailure = &v1alpha1.RollbackOnFailureStatus{StablePodTemplateHash: podTemplateHash(stable)}
	d.Spec.Template = podTemplate("nginx:bad")
	d.Generation = 2
	if mutate != nil {
		mutate(d)
	}
	return newFixture(t, []*v1alpha1.Deployment{d}, []*v1alpha1.ReplicaSet{stable}, nil), d, stable
}

// failNewPods syncs until the new ReplicaSet exists and gives it pods that
// exist but never become available: waiting with reason, restarts each.
func (f *fixture) failNewPods(d *v1alpha1.Deployment, reason string, restarts int32) *v1alpha1.ReplicaSet {
	f.t.Helper()
	var newRS *v1alpha1.ReplicaSet
	for i := 0; i < 5; i++ {
		f.refresh()
		f.mustSync(f.getDeployment(d))
		for _, rs := range f.replicaSets() {
			if equalIgnoreHash(&rs.Spec.Template, &f.getDeployment(d).Spec.Template) {
				newRS = rs
				f.setRSStatus(rs, rsReplicas(rs), 0)
			}
		}
	}
	if newRS == nil {
		f.t.Fatal("no new ReplicaSet")
	}
	newRS = f.replicaSets()[newRS.Name]
	for i := int32(0); i < rsReplicas(newRS); i++ {
		p := newPod(fmt.Sprintf("%s-%d", newRS.Name, i), newRS, corev1.PodPending)
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", RestartCount: restarts,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}}
		f.add(f.podStore, p)
	}
	f.refresh()
	return newRS
}

func rolledBackCondition(d *v1alpha1.Deployment) *v1alpha1.DeploymentCondition {
	return getCondition(d.Status, v1alpha1.DeploymentRolledBackOnFailure)
}

// TestRollbackOnProgressDeadline: past the deadline the template returns to
// the stable one, with a Warning event and a condition naming the failed
// revision and the pods' dominant waiting reason; a second failure of the
// same template is reported but never rolled back again.
func TestRollbackOnProgressDeadline(t *testing.T) {
	f, d, stable := rollbackFixture(t, nil)
	bad := f.failNewPods(d, "ImagePullBackOff", 0)

	// Before the deadline nothing happens.
	f.clock.Step(30 * time.Second)
	f.mustSync(f.getDeployment(d))
	if got := f.getDeployment(d); rolledBackCondition(got) != nil || got.Spec.Template.Spec.Containers[0].Image != "nginx:bad" {
		t.Fatalf("rolled back before the deadline: %+v", got.Status.Conditions)
	}

	f.clock.Step(31 * time.Second)
	f.refresh()
	f.mustSync(f.getDeployment(d))
	got := f.getDeployment(d)
	if img := got.Spec.Template.Spec.Containers[0].Image; img != "nginx:1" {
		t.Fatalf("template image %q, want the stable nginx:1", img)
	}
	if !equalIgnoreHash(&got.Spec.Template, &stable.Spec.Template) {
		t.Errorf("template differs from the stable ReplicaSet's")
	}
	cond := rolledBackCondition(got)
	if cond == nil || cond.Status != corev1.ConditionTrue || cond.Reason != ReasonTimedOut {
		t.Fatalf("RolledBackOnFailure condition %+v, want True/%s", cond, ReasonTimedOut)
	}
	for _, want := range []string{"revision 2", bad.Name, "revision 1", "ImagePullBackOff (1 of 1 new pods)"} {
		if !strings.Contains(cond.Message, want) {
			t.Errorf("condition message %q does not mention %q", cond.Message, want)
		}
	}
	if rb := got.Status.RollbackOnFailure; rb == nil || rb.FailedPodTemplateHash != podTemplateHash(bad) || rb.FailedRevision != 2 ||
		rb.StablePodTemplateHash != podTemplateHash(stable) {
		t.Errorf("status.rollbackOnFailure %+v", got.Status.RollbackOnFailure)
	}
	if events := f.events(); !hasEvent(events, ReasonRolledBackOnFailure) {
		t.Errorf("events %v: want %s", events, ReasonRolledBackOnFailure)
	}

	// The rollout back to nginx:1 goes on; more syncs roll nothing back.
	for i := 0; i < 5; i++ {
		f.refresh()
		f.mustSync(f.getDeployment(d))
	}
	if n := len(f.actions("update", "deployments")); n != 0 {
		t.Errorf("%d more Deployment updates after the rollback, want none", n)
	}

	// Someone applies nginx:bad again: it fails again, and stays.
	cur := f.getDeployment(d)
	cur.Spec.Template = podTemplate("nginx:bad")
	cur.Generation++
	if _, err := f.client.ExperimentalV1alpha1().Deployments(cur.Namespace).Update(f.ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.events()
	f.failNewPods(d, "ImagePullBackOff", 0)
	f.clock.Step(61 * time.Second)
	f.refresh()
	f.mustSync(f.getDeployment(d))
	f.refresh()
	f.mustSync(f.getDeployment(d))
	got = f.getDeployment(d)
	if img := got.Spec.Template.Spec.Containers[0].Image; img != "nginx:bad" {
		t.Fatalf("the same failed template was rolled back twice (image now %q)", img)
	}
	if c := progressing(got); c.Reason != ReasonTimedOut {
		t.Errorf("Progressing reason %s, want %s", c.Reason, ReasonTimedOut)
	}
	if events := f.events(); hasEvent(events, ReasonRolledBackOnFailure) {
		t.Errorf("a second rollback event: %v", events)
	}
}

// TestRollbackNeverRollsBackTheStableTemplate: when the stable template
// itself cannot progress, there is nothing to go back to.
func TestRollbackNeverRollsBackTheStableTemplate(t *testing.T) {
	f, d, _ := rollbackFixture(t, func(d *v1alpha1.Deployment) {
		d.Spec.Template = podTemplate("nginx:1")
		d.Spec.Replicas = ptr.To[int32](6)
	})
	f.failNewPods(d, "Unschedulable", 0)
	f.clock.Step(61 * time.Second)
	f.refresh()
	f.mustSync(f.getDeployment(d))
	got := f.getDeployment(d)
	if rolledBackCondition(got) != nil || got.Spec.Template.Spec.Containers[0].Image != "nginx:1" {
		t.Errorf("the stable template was rolled back: %+v", got.Status.Conditions)
	}
}

// TestRollbackWithoutOptInKeepsUpstreamBehaviour: without
// spec.rollbackOnFailure a timed-out rollout stays.
func TestRollbackWithoutOptInKeepsUpstreamBehaviour(t *testing.T) {
	f, d, _ := rollbackFixture(t, func(d *v1alpha1.Deployment) {
		d.Spec.RollbackOnFailure = nil
		d.Status.RollbackOnFailure = nil
	})
	f.failNewPods(d, "ImagePullBackOff", 0)
	f.clock.Step(61 * time.Second)
	f.refresh()
	f.mustSync(f.getDeployment(d))
	got := f.getDeployment(d)
	if got.Spec.Template.Spec.Containers[0].Image != "nginx:bad" || rolledBackCondition(got) != nil || got.Status.RollbackOnFailure != nil {
		t.Errorf("rolled back without opting in: %+v", got.Status)
	}
	if c := progressing(got); c.Reason != ReasonTimedOut {
		t.Errorf("Progressing reason %s, want %s", c.Reason, ReasonTimedOut)
	}
}

// TestRollbackOnRestartBudget: during a canary step, new pods restarting
// more than maxRestarts times in total fail the rollout before any
// deadline.
func TestRollbackOnRestartBudget(t *testing.T) {
	f, d, _ := rollbackFixture(t, func(d *v1alpha1.Deployment) {
		d.Spec.RollbackOnFailure.MaxRestarts = ptr.To[int32](2)
		d.Spec.Strategy.Canary = &v1alpha1.CanaryStrategy{Steps: []v1alpha1.CanaryStep{{Replicas: pct("50%")}, {Pause: &v1alpha1.CanaryPause{}}}}
	})
	f.failNewPods(d, "CrashLoopBackOff", 3) // one surge pod (maxUnavailable 0), 3 restarts
	f.refresh()
	f.mustSync(f.getDeployment(d))
	got := f.getDeployment(d)
	if img := got.Spec.Template.Spec.Containers[0].Image; img != "nginx:1" {
		t.Fatalf("template image %q, want the stable nginx:1", img)
	}
	cond := rolledBackCondition(got)
	if cond == nil || cond.Reason != ReasonRestartBudgetExceeded || !strings.Contains(cond.Message, "CrashLoopBackOff (1 of 1 new pods)") {
		t.Errorf("RolledBackOnFailure condition %+v", cond)
	}
	// The return to the stable template skips the canary steps.
	f.refresh()
	f.mustSync(f.getDeployment(d))
	if st := f.getDeployment(d).Status.Canary; st == nil || st.CurrentStepIndex != 2 {
		t.Errorf("canary status %+v after the rollback, want the steps skipped", st)
	}
}

func TestDominantPodReason(t *testing.T) {
	waiting := func(reason string) *corev1.Pod {
		return &corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{
			{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}}}}
	}
	notReady := &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
		{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady"}}}}
	for _, tc := range []struct {
		pods []*corev1.Pod
		want string
	}{
		{nil, ""},
		{[]*corev1.Pod{waiting("ErrImagePull"), waiting("ImagePullBackOff"), waiting("ImagePullBackOff")}, "ImagePullBackOff (2 of 3 new pods)"},
		{[]*corev1.Pod{notReady, notReady}, "ContainersNotReady (2 of 2 new pods)"},
		{[]*corev1.Pod{waiting("B"), waiting("A")}, "A (1 of 2 new pods)"},
	} {
		if got := dominantPodReason(tc.pods); got != tc.want {
			t.Errorf("dominantPodReason = %q, want %q", got, tc.want)
		}
	}
}

// TestPodRestartEnqueuesBudgetedDeployment: a restart of a pod wakes its
// Deployment up only when it has a restart budget.
func TestPodRestartEnqueuesBudgetedDeployment(t *testing.T) {
	d := newDeployment("web", 1, intstr.FromInt32(1), intstr.FromInt32(0))
	d.Spec.RollbackOnFailure = &v1alpha1.DeploymentRollbackOnFailure{MaxRestarts: ptr.To[int32](3)}
	rs := newReplicaSetFor(d, "nginx:1", 1, 1, time.Hour)
	f := newFixture(t, []*v1alpha1.Deployment{d}, []*v1alpha1.ReplicaSet{rs}, nil)
	logger := klog.FromContext(f.ctx)
	old := newPod("p", rs, corev1.PodRunning)
	old.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", RestartCount: 1}}
	cur := old.DeepCopy()
	cur.ResourceVersion = "2"
	f.c.updatePod(logger, old, old.DeepCopy())
	if n := f.c.queue.Len(); n != 0 {
		t.Fatalf("pod update without a restart queued %d", n)
	}
	cur.Status.ContainerStatuses[0].RestartCount = 2
	f.c.updatePod(logger, old, cur)
	if n := f.c.queue.Len(); n != 1 {
		t.Fatalf("pod restart queued %d, want the Deployment", n)
	}
	k, _ := f.c.queue.Get()
	f.c.queue.Done(k)

	// Without a budget restarts are left to the ReplicaSet status.
	dd := f.getDeployment(d)
	dd.Spec.RollbackOnFailure = nil
	if err := f.dStore.Update(dd); err != nil {
		t.Fatal(err)
	}
	f.c.updatePod(logger, old, cur)
	if n := f.c.queue.Len(); n != 0 {
		t.Errorf("pod restart of a Deployment without a budget queued %d", n)
	}
}
