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
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

func pct(s string) *intstr.IntOrString { v := intstr.FromString(s); return &v }

// canarySteps is the example: 20% → pause → 50% → pause 20s → 100%.
func canarySteps() *v1alpha1.CanaryStrategy {
	return &v1alpha1.CanaryStrategy{Steps: []v1alpha1.CanaryStep{
		{Replicas: pct("20%")},
		{Pause: &v1alpha1.CanaryPause{}},
		{Replicas: pct("50%")},
		{Pause: &v1alpha1.CanaryPause{Duration: &metav1.Duration{Duration: 20 * time.Second}}},
		{Replicas: pct("100%")},
	}}
}

// canaryFixture is a 10-replica Deployment (maxSurge 25% = 3, maxUnavailable
// 25% = 2) whose 10 pods run nginx:1 (revision 1) and whose template was
// just changed to nginx:2 with canary steps.
func canaryFixture(t *testing.T) (*fixture, *v1alpha1.Deployment) {
	d := newDeployment("web", 10, intstr.FromString("25%"), intstr.FromString("25%"))
	old := newReplicaSetFor(d, "nginx:1", 1, 10, time.Hour)
	d.Spec.Template = podTemplate("nginx:2")
	d.Spec.Strategy.Canary = canarySteps()
	d.Generation = 2
	return newFixture(t, []*v1alpha1.Deployment{d}, []*v1alpha1.ReplicaSet{old}, nil), d
}

// converge plays deployment controller and ReplicaSet controller in turns
// (every pod is available as soon as it exists) until nothing changes,
// checking after every sync that the new ReplicaSet stays within maxNew and
// that surge and unavailability stay within their bounds. It returns the
// Deployment as stored.
func (f *fixture) converge(d *v1alpha1.Deployment, maxNew int32) *v1alpha1.Deployment {
	f.t.Helper()
	var last map[string]int32
	var lastStatus v1alpha1.DeploymentStatus
	lastAvailable := int32(-1)
	for i := 0; i < 40; i++ {
		f.refresh()
		cur := f.getDeployment(d)
		f.mustSync(cur)
		cur = f.getDeployment(d)
		sizes := map[string]int32{}
		var total, available int32
		for name, rs := range f.replicaSets() {
			sizes[name] = rsReplicas(rs)
			total += rsReplicas(rs)
			available += min(rsReplicas(rs), rs.Status.AvailableReplicas)
			if equalIgnoreHash(&rs.Spec.Template, &cur.Spec.Template) && rsReplicas(rs) > maxNew {
				f.t.Fatalf("sync %d: new ReplicaSet %s has %d pods, the step allows %d", i, name, rsReplicas(rs), maxNew)
			}
		}
		if limit := deploymentReplicas(cur) + maxSurge(cur); total > limit {
			f.t.Fatalf("sync %d: %d pods, maxSurge allows %d", i, total, limit)
		}
		// Pods that do not exist yet (first rollout, scale-up) cannot be
		// available; what the controller must not do is take available
		// pods below the floor.
		if floor := deploymentReplicas(cur) - maxUnavailable(cur); available < floor && lastAvailable >= 0 && available < lastAvailable {
			f.t.Fatalf("sync %d: %d available pods (was %d), maxUnavailable requires %d", i, available, lastAvailable, floor)
		}
		lastAvailable = available
		for _, rs := range f.replicaSets() {
			f.setRSStatus(rs, rsReplicas(rs), rsReplicas(rs))
		}
		if apiequality.Semantic.DeepEqual(sizes, last) && apiequality.Semantic.DeepEqual(cur.Status, lastStatus) {
			return cur
		}
		last, lastStatus = sizes, cur.Status
	}
	f.t.Fatal("the rollout did not settle in 40 syncs")
	return nil
}

// newAndOld returns the sizes of the ReplicaSet with d's template and of
// all others.
func (f *fixture) newAndOld(d *v1alpha1.Deployment) (newSize, oldSize int32) {
	for _, rs := range f.replicaSets() {
		if equalIgnoreHash(&rs.Spec.Template, &d.Spec.Template) {
			newSize += rsReplicas(rs)
		} else {
			oldSize += rsReplicas(rs)
		}
	}
	return newSize, oldSize
}

// promote does what the deployments/promote subresource does.
func (f *fixture) promote(d *v1alpha1.Deployment, full bool) {
	f.t.Helper()
	d = f.getDeployment(d)
	if full {
		d.Status.Canary.CurrentStepIndex = int32(len(d.Spec.Strategy.Canary.Steps))
	} else {
		d.Status.Canary.CurrentStepIndex++
	}
	d.Status.Canary.PauseStartTime, d.Status.Canary.PauseEndTime = nil, nil
	if _, err := f.client.ExperimentalV1alpha1().Deployments(d.Namespace).UpdateStatus(f.ctx, d, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

func progressing(d *v1alpha1.Deployment) v1alpha1.DeploymentCondition {
	if c := getCondition(d.Status, v1alpha1.DeploymentProgressing); c != nil {
		return *c
	}
	return v1alpha1.DeploymentCondition{}
}

// TestCanaryStepTransitions walks the steps: 2 new pods, a pause
// until promoted, 5, a 20s pause that expires on the fake clock, then all.
func TestCanaryStepTransitions(t *testing.T) {
	f, d := canaryFixture(t)

	got := f.converge(d, 2)
	if n, o := f.newAndOld(got); n != 2 || o != 8 {
		t.Fatalf("step 0 (20%%): new %d old %d, want 2 and 8", n, o)
	}
	if st := got.Status.Canary; st == nil || st.CurrentStepIndex != 1 || st.PauseStartTime == nil || st.PauseEndTime != nil {
		t.Fatalf("want paused at step 1 until promoted, got %+v", got.Status.Canary)
	}
	if c := progressing(got); c.Reason != ReasonCanaryStepPaused || c.Status != corev1.ConditionUnknown {
		t.Errorf("Progressing = %s/%s, want Unknown/%s", c.Status, c.Reason, ReasonCanaryStepPaused)
	}
	events := f.events()
	if !hasEvent(events, ReasonCanaryStepCompleted) || !hasEvent(events, ReasonCanaryStepPaused) {
		t.Errorf("events %v: want %s and %s", events, ReasonCanaryStepCompleted, ReasonCanaryStepPaused)
	}
	// Hours at an indefinite pause are not a lack of progress.
	f.clock.Step(time.Hour)
	got = f.converge(d, 2)
	if c := progressing(got); c.Reason != ReasonCanaryStepPaused {
		t.Fatalf("after an hour paused: Progressing reason %s, want %s", c.Reason, ReasonCanaryStepPaused)
	}

	f.promote(d, false)
	got = f.converge(d, 5)
	if n, o := f.newAndOld(got); n != 5 || o != 5 {
		t.Fatalf("step 2 (50%%): new %d old %d, want 5 and 5", n, o)
	}
	st := got.Status.Canary
	if st.CurrentStepIndex != 3 || st.PauseEndTime == nil || !st.PauseEndTime.Time.Equal(f.clock.Now().Add(20*time.Second)) {
		t.Fatalf("want paused at step 3 for 20s from now, got %+v", st)
	}
	if after := f.requeuedAfter[keyOf(d)]; after != 20*time.Second {
		t.Errorf("requeued after %v, want the 20s of the pause", after)
	}

	f.clock.Step(19 * time.Second)
	got = f.converge(d, 5)
	if got.Status.Canary.CurrentStepIndex != 3 {
		t.Fatalf("pause left after 19s of 20s: step %d", got.Status.Canary.CurrentStepIndex)
	}
	f.clock.Step(time.Second)
	got = f.converge(d, 10)
	if n, o := f.newAndOld(got); n != 10 || o != 0 {
		t.Fatalf("after the last step: new %d old %d, want 10 and 0", n, o)
	}
	if got.Status.Canary.CurrentStepIndex != 5 {
		t.Errorf("step index %d, want 5 (all done)", got.Status.Canary.CurrentStepIndex)
	}
	if c := progressing(got); c.Reason != ReasonNewRSAvailable {
		t.Errorf("Progressing reason %s, want %s", c.Reason, ReasonNewRSAvailable)
	}
}

// TestCanaryPromoteFull skips every remaining step.
func TestCanaryPromoteFull(t *testing.T) {
	f, d := canaryFixture(t)
	f.converge(d, 2)
	f.promote(d, true)
	got := f.converge(d, 10)
	if n, o := f.newAndOld(got); n != 10 || o != 0 {
		t.Fatalf("after a full promotion: new %d old %d, want 10 and 0", n, o)
	}
	if c := progressing(got); c.Reason != ReasonNewRSAvailable {
		t.Errorf("Progressing reason %s, want %s", c.Reason, ReasonNewRSAvailable)
	}
}

// TestCanaryFirstRolloutSkipsSteps: nothing runs yet, so the steps do not
// apply and the Deployment comes up at once.
func TestCanaryFirstRolloutSkipsSteps(t *testing.T) {
	d := newDeployment("web", 10, intstr.FromString("25%"), intstr.FromString("25%"))
	d.Spec.Strategy.Canary = canarySteps()
	f := newFixture(t, []*v1alpha1.Deployment{d}, nil, nil)
	got := f.converge(d, 10)
	if n, _ := f.newAndOld(got); n != 10 {
		t.Fatalf("new ReplicaSet has %d pods, want 10", n)
	}
	if st := got.Status.Canary; st == nil || st.CurrentStepIndex != 5 {
		t.Errorf("canary status %+v, want the steps skipped (index 5)", st)
	}
}

// TestCanaryNewTemplateRestartsAtStepZero: a template change in the middle
// of the steps starts over, for the newest ReplicaSet.
func TestCanaryNewTemplateRestartsAtStepZero(t *testing.T) {
	f, d := canaryFixture(t)
	f.converge(d, 2)
	f.promote(d, false)
	f.converge(d, 5)

	cur := f.getDeployment(d)
	cur.Spec.Template = podTemplate("nginx:3")
	cur.Generation++
	if _, err := f.client.ExperimentalV1alpha1().Deployments(cur.Namespace).Update(f.ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	got := f.converge(cur, 2)
	if n, _ := f.newAndOld(got); n != 2 {
		t.Fatalf("nginx:3 has %d pods, want the 2 of step 0", n)
	}
	if st := got.Status.Canary; st.CurrentStepIndex != 1 || st.PodTemplateHash != computeHash(&cur.Spec.Template, nil) {
		t.Errorf("canary status %+v, want step 1 of the nginx:3 template", st)
	}
}

// TestCanaryScaleKeepsProportion: scaling from 10 to 20 while paused at 20%
// gives 4 new pods and 16 old; scaling down to 5 gives 1 and 4.
func TestCanaryScaleKeepsProportion(t *testing.T) {
	f, d := canaryFixture(t)
	f.converge(d, 2)
	for _, tc := range []struct{ replicas, wantNew, wantOld int32 }{{20, 4, 16}, {5, 1, 4}} {
		cur := f.getDeployment(d)
		cur.Spec.Replicas = ptr.To(tc.replicas)
		cur.Generation++
		if _, err := f.client.ExperimentalV1alpha1().Deployments(cur.Namespace).Update(f.ctx, cur, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		got := f.converge(cur, tc.wantNew)
		if n, o := f.newAndOld(got); n != tc.wantNew || o != tc.wantOld {
			t.Errorf("scaled to %d: new %d old %d, want %d and %d", tc.replicas, n, o, tc.wantNew, tc.wantOld)
		}
		if got.Status.Canary.CurrentStepIndex != 1 {
			t.Errorf("scaled to %d: step %d, want still paused at 1", tc.replicas, got.Status.Canary.CurrentStepIndex)
		}
	}
}

// TestCanaryStepWaitsForAvailability: a step is done only when its new pods
// are available.
func TestCanaryStepWaitsForAvailability(t *testing.T) {
	f, d := canaryFixture(t)
	f.mustSync(d) // creates the new ReplicaSet at 0
	for i := 0; i < 5; i++ {
		f.refresh()
		f.mustSync(f.getDeployment(d))
	}
	got := f.getDeployment(d)
	if n, _ := f.newAndOld(got); n != 2 {
		t.Fatalf("new ReplicaSet has %d pods, want 2", n)
	}
	if got.Status.Canary.CurrentStepIndex != 0 {
		t.Errorf("step %d with no new pod available, want 0", got.Status.Canary.CurrentStepIndex)
	}
}

func TestStepReplicasRounding(t *testing.T) {
	for _, tc := range []struct {
		v        intstr.IntOrString
		replicas int32
		want     int32
	}{
		{intstr.FromString("20%"), 10, 2},
		{intstr.FromString("25%"), 7, 2},  // 1.75 rounds up, as maxSurge
		{intstr.FromString("33%"), 3, 1},  // 0.99
		{intstr.FromString("1%"), 10, 1},  // 0.1
		{intstr.FromString("0%"), 10, 0},  // nothing
		{intstr.FromString("50%"), 0, 0},  // scaled to zero
		{intstr.FromInt32(3), 10, 3},      // a number
		{intstr.FromInt32(15), 10, 10},    // capped at spec.replicas
		{intstr.FromString("100%"), 9, 9}, // all
	} {
		if got := stepReplicas(&tc.v, tc.replicas); got != tc.want {
			t.Errorf("stepReplicas(%s, %d) = %d, want %d", tc.v.String(), tc.replicas, got, tc.want)
		}
	}
}

// TestCanaryPausedDeploymentKeepsTheStep: spec.paused in the middle of a
// step, with surge pods, changes no ReplicaSet.
func TestCanaryPausedDeploymentKeepsTheStep(t *testing.T) {
	f, d := canaryFixture(t)
	f.mustSync(d) // new ReplicaSet created, then scaled up within maxSurge
	f.refresh()
	cur := f.getDeployment(d)
	newSize, oldSize := f.newAndOld(cur)
	if newSize == 0 || newSize+oldSize <= 10 {
		t.Fatalf("setup: new %d old %d, want surge pods", newSize, oldSize)
	}
	cur.Spec.Paused = true
	cur.Generation++
	if _, err := f.client.ExperimentalV1alpha1().Deployments(cur.Namespace).Update(f.ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	f.mustSync(f.getDeployment(d))
	if n := len(f.actions("update", "replicasets")); n != 0 {
		t.Errorf("%d ReplicaSet updates while paused, want none", n)
	}
}
