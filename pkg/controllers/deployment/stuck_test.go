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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// completeFixture is a Deployment of 3 pods whose rollout completed.
func completeFixture(t *testing.T) (*fixture, *v1alpha1.Deployment, *v1alpha1.ReplicaSet) {
	d := newDeployment("web", 3, intstr.FromInt32(1), intstr.FromInt32(0))
	rs := newReplicaSetFor(d, "nginx:1", 1, 3, time.Hour)
	d.Annotations = map[string]string{RevisionAnnotation: "1"}
	d.Status = v1alpha1.DeploymentStatus{ObservedGeneration: 1, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3,
		TerminatingReplicas: ptr.To[int32](0),
		Conditions: []v1alpha1.DeploymentCondition{
			newCondition(v1alpha1.DeploymentAvailable, corev1.ConditionTrue, ReasonMinimumReplicasAvailable, "Deployment has minimum availability.", t0.Add(-time.Hour)),
			newCondition(v1alpha1.DeploymentProgressing, corev1.ConditionTrue, ReasonNewRSAvailable, `ReplicaSet "x" has successfully progressed.`, t0.Add(-time.Hour)),
		}}
	return newFixture(t, []*v1alpha1.Deployment{d}, []*v1alpha1.ReplicaSet{rs}, nil), d, rs
}

// TestRecoveryWithoutProgressTimesOut: a completed Deployment loses a pod
// that is never replaced by an available one; after progressDeadlineSeconds
// it reports ProgressDeadlineExceeded (kubernetes/kubernetes#106054).
func TestRecoveryWithoutProgressTimesOut(t *testing.T) {
	f, d, rs := completeFixture(t)
	f.setRSStatus(rs, 3, 2)
	f.refresh()
	f.mustSync(f.getDeployment(d))
	c := progressing(f.getDeployment(d))
	if c.Reason != ReasonReplicaSetUpdated || !c.LastUpdateTime.Time.Equal(t0) {
		t.Fatalf("after losing a pod: Progressing %+v, want %s from now", c, ReasonReplicaSetUpdated)
	}
	f.clock.Step(599 * time.Second)
	f.refresh()
	f.mustSync(f.getDeployment(d))
	if c := progressing(f.getDeployment(d)); c.Reason != ReasonReplicaSetUpdated {
		t.Fatalf("before the deadline: %s", c.Reason)
	}
	f.clock.Step(2 * time.Second)
	f.refresh()
	f.mustSync(f.getDeployment(d))
	if c := progressing(f.getDeployment(d)); c.Reason != ReasonTimedOut || c.Status != corev1.ConditionFalse {
		t.Fatalf("past the deadline: Progressing %+v, want False/%s", c, ReasonTimedOut)
	}
	// Recovery ends it.
	f.setRSStatus(f.replicaSets()[rs.Name], 3, 3)
	f.refresh()
	f.mustSync(f.getDeployment(d))
	if c := progressing(f.getDeployment(d)); c.Reason != ReasonNewRSAvailable {
		t.Errorf("after the recovery: %s, want %s", c.Reason, ReasonNewRSAvailable)
	}
}

// TestScaleUpWithoutProgressTimesOut: scaling up a completed Deployment
// whose new pods never become available times out too.
func TestScaleUpWithoutProgressTimesOut(t *testing.T) {
	f, d, rs := completeFixture(t)
	cur := f.getDeployment(d)
	cur.Spec.Replicas = ptr.To[int32](5)
	cur.Generation++
	if _, err := f.client.ExperimentalV1alpha1().Deployments(cur.Namespace).Update(f.ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	f.mustSync(f.getDeployment(d)) // the scaling event
	f.setRSStatus(f.replicaSets()[rs.Name], 5, 3)
	for i := 0; i < 2; i++ {
		f.refresh()
		f.mustSync(f.getDeployment(d))
	}
	if c := progressing(f.getDeployment(d)); c.Reason != ReasonReplicaSetUpdated {
		t.Fatalf("scaling up: Progressing %s, want %s", c.Reason, ReasonReplicaSetUpdated)
	}
	f.clock.Step(601 * time.Second)
	f.refresh()
	f.mustSync(f.getDeployment(d))
	if c := progressing(f.getDeployment(d)); c.Reason != ReasonTimedOut {
		t.Fatalf("scale-up past the deadline: Progressing %+v, want %s", c, ReasonTimedOut)
	}
}

// TestCompleteDeploymentKeepsItsCondition: nothing missing, nothing
// changes.
func TestCompleteDeploymentKeepsItsCondition(t *testing.T) {
	f, d, _ := completeFixture(t)
	f.clock.Step(time.Hour)
	f.mustSync(d)
	if c := progressing(f.getDeployment(d)); c.Reason != ReasonNewRSAvailable || !c.LastUpdateTime.Time.Equal(t0.Add(-time.Hour)) {
		t.Errorf("Progressing %+v, want NewReplicaSetAvailable untouched", c)
	}
}
