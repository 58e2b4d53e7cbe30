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
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

func TestValidateReplicaSet(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*experimental.ReplicaSet)
		want   []wantErr
	}{
		{name: "valid", mutate: func(*experimental.ReplicaSet) {}},
		{name: "valid with defaulted restart policy", mutate: func(rs *experimental.ReplicaSet) { rs.Spec.Template.Spec.RestartPolicy = "" }},
		{name: "zero replicas", mutate: func(rs *experimental.ReplicaSet) { rs.Spec.Replicas = ptr.To[int32](0) }},
		{name: "name not a DNS subdomain", mutate: func(rs *experimental.ReplicaSet) { rs.Name = "web_1" },
			want: []wantErr{invalid("metadata.name")}},
		{name: "negative replicas", mutate: func(rs *experimental.ReplicaSet) { rs.Spec.Replicas = ptr.To[int32](-1) },
			want: []wantErr{invalid("spec.replicas")}},
		{name: "negative minReadySeconds", mutate: func(rs *experimental.ReplicaSet) { rs.Spec.MinReadySeconds = -5 },
			want: []wantErr{invalid("spec.minReadySeconds")}},
		{name: "missing selector", mutate: func(rs *experimental.ReplicaSet) { rs.Spec.Selector = nil },
			want: []wantErr{required("spec.selector")}},
		{name: "empty selector", mutate: func(rs *experimental.ReplicaSet) { rs.Spec.Selector = &metav1.LabelSelector{} },
			want: []wantErr{invalid("spec.selector")}},
		{name: "selector with match expression", mutate: func(rs *experimental.ReplicaSet) {
			rs.Spec.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpExists}}}
		}},
		{name: "selector does not match template", mutate: func(rs *experimental.ReplicaSet) { rs.Spec.Selector.MatchLabels["tier"] = "db" },
			want: []wantErr{invalid("spec.template.metadata.labels")}},
		{name: "restart policy OnFailure", mutate: func(rs *experimental.ReplicaSet) { rs.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure },
			want: []wantErr{notSupported("spec.template.spec.restartPolicy")}},
		{name: "active deadline", mutate: func(rs *experimental.ReplicaSet) { rs.Spec.Template.Spec.ActiveDeadlineSeconds = ptr.To[int64](5) },
			want: []wantErr{forbidden("spec.template.spec.activeDeadlineSeconds")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := validReplicaSet()
			tc.mutate(rs)
			expectErrors(t, ValidateReplicaSet(rs), tc.want...)
		})
	}
}

func TestReplicaSetErrorMessages(t *testing.T) {
	rs := validReplicaSet()
	rs.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
	rs.Spec.Template.Labels = map[string]string{"app": "db"}
	errs := ValidateReplicaSet(rs)
	expectErrorMessage(t, errs, `spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`)
	expectErrorMessage(t, errs, "spec.template.metadata.labels: Invalid value: {\"app\":\"db\"}: `selector` does not match template `labels`")
}

func TestValidateReplicaSetUpdate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*experimental.ReplicaSet)
		want   []wantErr
	}{
		{name: "scale", mutate: func(rs *experimental.ReplicaSet) { rs.Spec.Replicas = ptr.To[int32](10) }},
		{name: "selector change", mutate: func(rs *experimental.ReplicaSet) {
			rs.Spec.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpExists}}}
		}, want: []wantErr{invalid("spec.selector")}},
		{name: "invalid new spec", mutate: func(rs *experimental.ReplicaSet) { rs.Spec.Replicas = ptr.To[int32](-1) },
			want: []wantErr{invalid("spec.replicas")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := validReplicaSet()
			rs := old.DeepCopy()
			tc.mutate(rs)
			expectErrors(t, ValidateReplicaSetUpdate(rs, old), tc.want...)
		})
	}
}

func TestValidateReplicaSetStatusUpdate(t *testing.T) {
	tests := []struct {
		name   string
		status experimental.ReplicaSetStatus
		want   []wantErr
	}{
		{name: "valid", status: experimental.ReplicaSetStatus{Replicas: 3, FullyLabeledReplicas: 3, ReadyReplicas: 2, AvailableReplicas: 2, ObservedGeneration: 1, TerminatingReplicas: ptr.To[int32](1)}},
		{name: "negative counts", status: experimental.ReplicaSetStatus{
			Replicas: -1, FullyLabeledReplicas: -1, ReadyReplicas: -1, AvailableReplicas: -1, ObservedGeneration: -1, TerminatingReplicas: ptr.To[int32](-1),
		}, want: []wantErr{
			invalid("status.replicas"), invalid("status.fullyLabeledReplicas"), invalid("status.readyReplicas"),
			invalid("status.availableReplicas"), invalid("status.observedGeneration"), invalid("status.terminatingReplicas"),
		}},
		{name: "counts above replicas", status: experimental.ReplicaSetStatus{Replicas: 1, FullyLabeledReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 2},
			want: []wantErr{invalid("status.fullyLabeledReplicas"), invalid("status.readyReplicas"), invalid("status.availableReplicas")}},
		{name: "available above ready", status: experimental.ReplicaSetStatus{Replicas: 3, ReadyReplicas: 1, AvailableReplicas: 2},
			want: []wantErr{invalid("status.availableReplicas")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := validReplicaSet()
			rs := old.DeepCopy()
			rs.Status = tc.status
			expectErrors(t, ValidateReplicaSetStatusUpdate(rs, old), tc.want...)
		})
	}
	rs := validReplicaSet()
	rs.Status.Replicas = -1
	expectErrorMessage(t, ValidateReplicaSetStatusUpdate(rs, validReplicaSet()), "status.replicas: Invalid value: -1: must be greater than or equal to 0")
}

func TestWarningsForReplicaSet(t *testing.T) {
	rs := validReplicaSet()
	if w := WarningsForReplicaSet(rs); len(w) != 0 {
		t.Errorf("unexpected warnings %q", w)
	}
	rs.Name = "web.v1"
	w := WarningsForReplicaSet(rs)
	if len(w) != 1 || !strings.HasPrefix(w[0], "metadata.name: this is used in Pod names and hostnames") {
		t.Errorf("expected a name warning, got %q", w)
	}
}
