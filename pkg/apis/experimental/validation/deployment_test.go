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
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

func TestValidateDeployment(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*experimental.Deployment)
		want   []wantErr
	}{
		{name: "valid", mutate: func(*experimental.Deployment) {}},
		{name: "valid Recreate", mutate: func(d *experimental.Deployment) {
			d.Spec.Strategy = experimental.DeploymentStrategy{Type: experimental.RecreateDeploymentStrategyType}
		}},
		{name: "name not a DNS subdomain", mutate: func(d *experimental.Deployment) { d.Name = "-web" },
			want: []wantErr{invalid("metadata.name")}},
		{name: "negative replicas", mutate: func(d *experimental.Deployment) { d.Spec.Replicas = ptr.To[int32](-1) },
			want: []wantErr{invalid("spec.replicas")}},
		{name: "missing selector", mutate: func(d *experimental.Deployment) { d.Spec.Selector = nil },
			want: []wantErr{required("spec.selector")}},
		{name: "empty selector", mutate: func(d *experimental.Deployment) { d.Spec.Selector = &metav1.LabelSelector{} },
			want: []wantErr{invalid("spec.selector")}},
		{name: "invalid selector label", mutate: func(d *experimental.Deployment) {
			d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web!"}}
		}, want: []wantErr{invalid("spec.selector.matchLabels"), invalid("spec.selector")}},
		{name: "selector does not match template", mutate: func(d *experimental.Deployment) { d.Spec.Template.Labels = nil },
			want: []wantErr{invalid("spec.template.metadata.labels")}},
		{name: "restart policy Never", mutate: func(d *experimental.Deployment) { d.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever },
			want: []wantErr{notSupported("spec.template.spec.restartPolicy")}},
		{name: "active deadline", mutate: func(d *experimental.Deployment) { d.Spec.Template.Spec.ActiveDeadlineSeconds = ptr.To[int64](5) },
			want: []wantErr{forbidden("spec.template.spec.activeDeadlineSeconds")}},
		{name: "invalid template", mutate: func(d *experimental.Deployment) { d.Spec.Template.Spec.Containers = nil },
			want: []wantErr{required("spec.template.spec.containers")}},
		{name: "unsupported strategy", mutate: func(d *experimental.Deployment) { d.Spec.Strategy.Type = "BlueGreen" },
			want: []wantErr{notSupported("spec.strategy")}},
		{name: "Recreate with rolling update", mutate: func(d *experimental.Deployment) { d.Spec.Strategy.Type = experimental.RecreateDeploymentStrategyType },
			want: []wantErr{forbidden("spec.strategy.rollingUpdate")}},
		{name: "RollingUpdate without parameters", mutate: func(d *experimental.Deployment) { d.Spec.Strategy.RollingUpdate = nil },
			want: []wantErr{required("spec.strategy.rollingUpdate")}},
		{name: "integer surge and unavailable", mutate: func(d *experimental.Deployment) {
			d.Spec.Strategy.RollingUpdate = &experimental.RollingUpdateDeployment{MaxUnavailable: intOrStr(intstr.FromInt32(0)), MaxSurge: intOrStr(intstr.FromInt32(2))}
		}},
		{name: "surge and unavailable both zero", mutate: func(d *experimental.Deployment) {
			d.Spec.Strategy.RollingUpdate = &experimental.RollingUpdateDeployment{MaxUnavailable: intOrStr(intstr.FromInt32(0)), MaxSurge: intOrStr(intstr.FromString("0%"))}
		}, want: []wantErr{invalid("spec.strategy.rollingUpdate.maxUnavailable")}},
		{name: "negative surge", mutate: func(d *experimental.Deployment) {
			d.Spec.Strategy.RollingUpdate.MaxSurge = intOrStr(intstr.FromInt32(-1))
		}, want: []wantErr{invalid("spec.strategy.rollingUpdate.maxSurge")}},
		{name: "invalid percentage", mutate: func(d *experimental.Deployment) {
			d.Spec.Strategy.RollingUpdate.MaxSurge = intOrStr(intstr.FromString("25"))
		}, want: []wantErr{invalid("spec.strategy.rollingUpdate.maxSurge")}},
		{name: "maxUnavailable above 100%", mutate: func(d *experimental.Deployment) {
			d.Spec.Strategy.RollingUpdate.MaxUnavailable = intOrStr(intstr.FromString("150%"))
		}, want: []wantErr{invalid("spec.strategy.rollingUpdate.maxUnavailable")}},
		{name: "maxSurge above 100%", mutate: func(d *experimental.Deployment) {
			d.Spec.Strategy.RollingUpdate.MaxSurge = intOrStr(intstr.FromString("150%"))
		}},
		{name: "negative minReadySeconds", mutate: func(d *experimental.Deployment) { d.Spec.MinReadySeconds = -1 },
			want: []wantErr{invalid("spec.minReadySeconds")}},
		{name: "negative revisionHistoryLimit", mutate: func(d *experimental.Deployment) { d.Spec.RevisionHistoryLimit = ptr.To[int32](-1) },
			want: []wantErr{invalid("spec.revisionHistoryLimit")}},
		{name: "rollback to last revision", mutate: func(d *experimental.Deployment) { d.Spec.RollbackTo = &experimental.RollbackConfig{} }},
		{name: "negative rollback revision", mutate: func(d *experimental.Deployment) { d.Spec.RollbackTo = &experimental.RollbackConfig{Revision: -1} },
			want: []wantErr{invalid("spec.rollbackTo.revision")}},
		{name: "progress deadline not above minReadySeconds", mutate: func(d *experimental.Deployment) {
			d.Spec.MinReadySeconds = 600
		}, want: []wantErr{invalid("spec.progressDeadlineSeconds")}},
		{name: "negative progress deadline", mutate: func(d *experimental.Deployment) { d.Spec.ProgressDeadlineSeconds = ptr.To[int32](-1) },
			want: []wantErr{invalid("spec.progressDeadlineSeconds"), invalid("spec.progressDeadlineSeconds")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := validDeployment()
			tc.mutate(d)
			expectErrors(t, ValidateDeployment(d), tc.want...)
		})
	}
}

func TestValidateDeploymentUpdate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*experimental.Deployment)
		want   []wantErr
	}{
		{name: "new image", mutate: func(d *experimental.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "nginx:1.28" }},
		{name: "paused", mutate: func(d *experimental.Deployment) { d.Spec.Paused = true }},
		{name: "selector change", mutate: func(d *experimental.Deployment) {
			d.Spec.Selector.MatchLabels = map[string]string{"app": "web", "v": "2"}
		},
			want: []wantErr{invalid("spec.selector"), invalid("spec.template.metadata.labels")}},
		{name: "invalid strategy", mutate: func(d *experimental.Deployment) { d.Spec.Strategy.Type = "" },
			want: []wantErr{notSupported("spec.strategy")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := validDeployment()
			d := old.DeepCopy()
			tc.mutate(d)
			errs := ValidateDeploymentUpdate(d, old)
			expectErrors(t, errs, tc.want...)
			for _, e := range errs {
				if e.Field == "spec.selector" && !strings.HasSuffix(e.Error(), "field is immutable") {
					t.Errorf("unexpected selector error %v", e)
				}
			}
		})
	}
}

func TestValidateDeploymentStatusUpdate(t *testing.T) {
	tests := []struct {
		name      string
		oldStatus experimental.DeploymentStatus
		status    experimental.DeploymentStatus
		want      []wantErr
	}{
		{name: "valid", status: experimental.DeploymentStatus{ObservedGeneration: 1, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 2, UnavailableReplicas: 1}},
		{name: "negative counts", status: experimental.DeploymentStatus{
			ObservedGeneration: -1, Replicas: -1, UpdatedReplicas: -1, ReadyReplicas: -1, AvailableReplicas: -1, UnavailableReplicas: -1,
			TerminatingReplicas: ptr.To[int32](-1), CollisionCount: ptr.To[int32](-1),
		}, want: []wantErr{
			invalid("status.observedGeneration"), invalid("status.replicas"), invalid("status.updatedReplicas"), invalid("status.readyReplicas"),
			invalid("status.availableReplicas"), invalid("status.unavailableReplicas"), invalid("status.terminatingReplicas"), invalid("status.collisionCount"),
		}},
		{name: "counts above replicas", status: experimental.DeploymentStatus{Replicas: 1, UpdatedReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 2},
			want: []wantErr{invalid("status.updatedReplicas"), invalid("status.readyReplicas"), invalid("status.availableReplicas")}},
		{name: "available above ready", status: experimental.DeploymentStatus{Replicas: 3, ReadyReplicas: 1, AvailableReplicas: 2},
			want: []wantErr{invalid("status.availableReplicas")}},
		{name: "collision count incremented", oldStatus: experimental.DeploymentStatus{CollisionCount: ptr.To[int32](1)},
			status: experimental.DeploymentStatus{CollisionCount: ptr.To[int32](2)}},
		{name: "collision count decremented", oldStatus: experimental.DeploymentStatus{CollisionCount: ptr.To[int32](2)},
			status: experimental.DeploymentStatus{CollisionCount: ptr.To[int32](1)},
			want:   []wantErr{invalid("status.collisionCount")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := validDeployment()
			old.Status = tc.oldStatus
			d := old.DeepCopy()
			d.Status = tc.status
			expectErrors(t, ValidateDeploymentStatusUpdate(d, old), tc.want...)
		})
	}
}

func TestValidateDeploymentRollback(t *testing.T) {
	tests := []struct {
		name     string
		rollback experimental.DeploymentRollback
		want     []wantErr
	}{
		{name: "valid", rollback: experimental.DeploymentRollback{Name: "web", RollbackTo: experimental.RollbackConfig{Revision: 2}}},
		{name: "valid last revision", rollback: experimental.DeploymentRollback{Name: "web", UpdatedAnnotations: map[string]string{"reason": "bad release"}}},
		{name: "missing name", rollback: experimental.DeploymentRollback{RollbackTo: experimental.RollbackConfig{Revision: 2}},
			want: []wantErr{required("name")}},
		{name: "negative revision", rollback: experimental.DeploymentRollback{Name: "web", RollbackTo: experimental.RollbackConfig{Revision: -1}},
			want: []wantErr{invalid("rollbackTo.revision")}},
		{name: "invalid annotation", rollback: experimental.DeploymentRollback{Name: "web", UpdatedAnnotations: map[string]string{"a b": ""}},
			want: []wantErr{invalid("updatedAnnotations")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expectErrors(t, ValidateDeploymentRollback(&tc.rollback), tc.want...)
		})
	}
}

func TestWarningsForDeployment(t *testing.T) {
	d := validDeployment()
	if w := WarningsForDeployment(d); len(w) != 0 {
		t.Errorf("unexpected warnings %q", w)
	}
	d.Name = "web.example"
	d.Spec.Template.Annotations = map[string]string{"security.alpha.kubernetes.io/sysctls": "a=b"}
	if w := WarningsForDeployment(d); len(w) != 2 {
		t.Errorf("expected a name and an annotation warning, got %q", w)
	}
}
