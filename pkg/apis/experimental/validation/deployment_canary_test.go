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

package validation

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

func TestValidateDeploymentCanaryAndRollbackOnFailure(t *testing.T) {
	int32p := func(v int32) *int32 { return &v }
	pause := func(d time.Duration) *experimental.CanaryPause {
		return &experimental.CanaryPause{Duration: &metav1.Duration{Duration: d}}
	}
	tests := []struct {
		name   string
		mutate func(d *experimental.Deployment)
		want   []wantErr
	}{
		{name: "valid steps", mutate: func(d *experimental.Deployment) {
			d.Spec.Strategy.Canary = &experimental.CanaryStrategy{Steps: []experimental.CanaryStep{
				{Replicas: intOrStr(intstr.FromString("20%"))}, {Pause: &experimental.CanaryPause{}},
				{Replicas: intOrStr(intstr.FromInt32(5))}, {Pause: pause(20 * time.Second)}, {Replicas: intOrStr(intstr.FromString("100%"))},
			}}
			d.Spec.RollbackOnFailure = &experimental.DeploymentRollbackOnFailure{MaxRestarts: int32p(3)}
		}},
		{name: "empty rollbackOnFailure", mutate: func(d *experimental.Deployment) {
			d.Spec.RollbackOnFailure = &experimental.DeploymentRollbackOnFailure{}
		}},
		{name: "no steps", mutate: func(d *experimental.Deployment) {
			d.Spec.Strategy.Canary = &experimental.CanaryStrategy{}
		}, want: []wantErr{required("spec.strategy.canary.steps")}},
		{name: "too many steps", mutate: func(d *experimental.Deployment) {
			d.Spec.Strategy.Canary = &experimental.CanaryStrategy{Steps: make([]experimental.CanaryStep, maxCanarySteps+1)}
			for i := range d.Spec.Strategy.Canary.Steps {
				d.Spec.Strategy.Canary.Steps[i].Pause = &experimental.CanaryPause{}
			}
		}, want: []wantErr{tooMany("spec.strategy.canary.steps")}},
		{name: "empty step", mutate: func(d *experimental.Deployment) {
			d.Spec.Strategy.Canary = &experimental.CanaryStrategy{Steps: []experimental.CanaryStep{{}}}
		}, want: []wantErr{required("spec.strategy.canary.steps[0]")}},
		{name: "both replicas and pause", mutate: func(d *experimental.Deployment) {
			d.Spec.Strategy.Canary = &experimental.CanaryStrategy{Steps: []experimental.CanaryStep{
				{Replicas: intOrStr(intstr.FromInt32(1)), Pause: &experimental.CanaryPause{}}}}
		}, want: []wantErr{forbidden("spec.strategy.canary.steps[0].pause")}},
		{name: "bad replicas", mutate: func(d *experimental.Deployment) {
			d.Spec.Strategy.Canary = &experimental.CanaryStrategy{Steps: []experimental.CanaryStep{
				{Replicas: intOrStr(intstr.FromInt32(-1))}, {Replicas: intOrStr(intstr.FromString("120%"))}, {Replicas: intOrStr(intstr.FromString("half"))}}}
		}, want: []wantErr{invalid("spec.strategy.canary.steps[0].replicas"), invalid("spec.strategy.canary.steps[1].replicas"), invalid("spec.strategy.canary.steps[2].replicas")}},
		{name: "non-positive pause", mutate: func(d *experimental.Deployment) {
			d.Spec.Strategy.Canary = &experimental.CanaryStrategy{Steps: []experimental.CanaryStep{{Pause: pause(0)}, {Pause: pause(-time.Second)}}}
		}, want: []wantErr{invalid("spec.strategy.canary.steps[0].pause.duration"), invalid("spec.strategy.canary.steps[1].pause.duration")}},
		{name: "canary with Recreate", mutate: func(d *experimental.Deployment) {
			d.Spec.Strategy = experimental.DeploymentStrategy{Type: experimental.RecreateDeploymentStrategyType,
				Canary: &experimental.CanaryStrategy{Steps: []experimental.CanaryStep{{Pause: &experimental.CanaryPause{}}}}}
		}, want: []wantErr{forbidden("spec.strategy.canary")}},
		{name: "negative restart budget", mutate: func(d *experimental.Deployment) {
			d.Spec.RollbackOnFailure = &experimental.DeploymentRollbackOnFailure{MaxRestarts: int32p(-1)}
		}, want: []wantErr{invalid("spec.rollbackOnFailure.maxRestarts")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := validDeployment()
			tc.mutate(d)
			expectErrors(t, ValidateDeployment(d), tc.want...)
		})
	}
}

func TestValidateDeploymentCanaryStatus(t *testing.T) {
	old := validDeployment()
	d := old.DeepCopy()
	d.Status.Canary = &experimental.CanaryStatus{CurrentStepIndex: -1}
	d.Status.RollbackOnFailure = &experimental.RollbackOnFailureStatus{FailedRevision: -2}
	expectErrors(t, ValidateDeploymentStatusUpdate(d, old),
		invalid("status.canary.currentStepIndex"), invalid("status.rollbackOnFailure.failedRevision"))
}
