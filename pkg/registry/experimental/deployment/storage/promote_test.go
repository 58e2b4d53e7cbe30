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

package storage

import (
	"testing"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apiserver/pkg/registry/rest"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

// canaryAtStep creates a Deployment with three canary steps whose status
// (as the controller writes it) is paused at step 1.
func canaryAtStep(t *testing.T, s *DeploymentStorage) *experimental.Deployment {
	t.Helper()
	d := validNewDeployment()
	twenty := intstr.FromString("20%")
	d.Spec.Strategy.Canary = &experimental.CanaryStrategy{Steps: []experimental.CanaryStep{
		{Replicas: &twenty}, {Pause: &experimental.CanaryPause{}}, {Replicas: &twenty},
	}}
	created := createDeployment(t, s, d)
	created.Status.ObservedGeneration = created.Generation
	created.Status.Canary = &experimental.CanaryStatus{PodTemplateHash: "abc", CurrentStepIndex: 1,
		PauseStartTime: &metav1.Time{Time: time.Unix(1000, 0)}}
	obj, _, err := s.Status.Update(newContext(s, "status"), name, rest.DefaultUpdatedObjectInfo(created),
		rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*experimental.Deployment)
}

func TestPromote(t *testing.T) {
	s := newStorage(t)
	clk := clocktesting.NewFakePassiveClock(time.Unix(2000, 0))
	s.Promote.clock = clk
	before := canaryAtStep(t, s)
	ctx := newContext(s, "promote")

	obj, err := s.Promote.Create(ctx, name, &experimental.DeploymentPromote{}, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("promote: %v", err)
	}
	got := obj.(*experimental.Deployment)
	if st := got.Status.Canary; st.CurrentStepIndex != 2 || st.PauseStartTime != nil || st.PauseEndTime != nil || st.PodTemplateHash != "abc" {
		t.Errorf("canary status after promote: %+v, want step 2 without pause", st)
	}
	var progressing *experimental.DeploymentCondition
	for i := range got.Status.Conditions {
		if got.Status.Conditions[i].Type == experimental.DeploymentProgressing {
			progressing = &got.Status.Conditions[i]
		}
	}
	if progressing == nil || progressing.Reason != ReasonCanaryStepPromoted || !progressing.LastUpdateTime.Time.Equal(clk.Now()) {
		t.Errorf("Progressing condition %+v, want %s at the promotion time", progressing, ReasonCanaryStepPromoted)
	}
	if got.Generation != before.Generation {
		t.Errorf("promote changed the generation: %d -> %d", before.Generation, got.Generation)
	}
	if !apiequality.Semantic.DeepEqual(got.Spec, before.Spec) {
		t.Errorf("promote changed the spec")
	}

	// --full goes past the last step; then there is nothing to promote.
	obj, err = s.Promote.Create(ctx, name, &experimental.DeploymentPromote{Full: true}, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("promote full: %v", err)
	}
	if i := obj.(*experimental.Deployment).Status.Canary.CurrentStepIndex; i != 3 {
		t.Errorf("step after a full promotion: %d, want 3", i)
	}
	_, err = s.Promote.Create(ctx, name, &experimental.DeploymentPromote{}, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if !apierrors.IsConflict(err) {
		t.Errorf("promote past the last step: want Conflict, got %v", err)
	}
}

func TestPromoteRefusals(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s, "promote")
	// No canary steps: 400.
	createDeployment(t, s, validNewDeployment())
	_, err := s.Promote.Create(ctx, name, &experimental.DeploymentPromote{}, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if !apierrors.IsBadRequest(err) {
		t.Errorf("promote without steps: want BadRequest, got %v", err)
	}
	// Unknown Deployment: 404.
	_, err = s.Promote.Create(ctx, "missing", &experimental.DeploymentPromote{}, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("promote of a missing deployment: want NotFound, got %v", err)
	}
	// A spec the controller has not observed: 409, nothing written.
	s2 := newStorage(t)
	d := canaryAtStep(t, s2)
	d.Spec.MinReadySeconds = 5
	if _, _, err := s2.Deployment.Update(newContext(s2), name, rest.DefaultUpdatedObjectInfo(d), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = s2.Promote.Create(newContext(s2, "promote"), name, &experimental.DeploymentPromote{}, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if !apierrors.IsConflict(err) {
		t.Errorf("promote before the controller observed the spec: want Conflict, got %v", err)
	}
	if i := getDeployment(t, s2, name).Status.Canary.CurrentStepIndex; i != 1 {
		t.Errorf("a refused promotion moved the step to %d", i)
	}
	// A dry run changes nothing.
	s3 := newStorage(t)
	canaryAtStep(t, s3)
	if _, err := s3.Promote.Create(newContext(s3, "promote"), name, &experimental.DeploymentPromote{}, rest.ValidateAllObjectFunc,
		&metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Fatalf("dry-run promote: %v", err)
	}
	if i := getDeployment(t, s3, name).Status.Canary.CurrentStepIndex; i != 1 {
		t.Errorf("a dry-run promotion moved the step to %d", i)
	}
}
