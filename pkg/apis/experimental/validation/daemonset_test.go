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

func TestValidateDaemonSet(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*experimental.DaemonSet)
		want   []wantErr
	}{
		{name: "valid", mutate: func(*experimental.DaemonSet) {}},
		{name: "valid OnDelete", mutate: func(ds *experimental.DaemonSet) {
			ds.Spec.UpdateStrategy = experimental.DaemonSetUpdateStrategy{Type: experimental.OnDeleteDaemonSetStrategyType}
		}},
		{name: "missing name", mutate: func(ds *experimental.DaemonSet) { ds.Name = "" },
			want: []wantErr{required("metadata.name")}},
		{name: "name not a DNS subdomain", mutate: func(ds *experimental.DaemonSet) { ds.Name = "Bad_Name" },
			want: []wantErr{invalid("metadata.name")}},
		{name: "missing namespace", mutate: func(ds *experimental.DaemonSet) { ds.Namespace = "" },
			want: []wantErr{required("metadata.namespace")}},
		{name: "invalid metadata label", mutate: func(ds *experimental.DaemonSet) { ds.Labels = map[string]string{"a": "b c"} },
			want: []wantErr{invalid("metadata.labels")}},
		{name: "missing selector", mutate: func(ds *experimental.DaemonSet) { ds.Spec.Selector = nil },
			want: []wantErr{required("spec.selector")}},
		{name: "empty selector", mutate: func(ds *experimental.DaemonSet) { ds.Spec.Selector = &metav1.LabelSelector{} },
			want: []wantErr{invalid("spec.selector")}},
		{name: "invalid selector", mutate: func(ds *experimental.DaemonSet) {
			ds.Spec.Selector.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn}}
		}, want: []wantErr{required("spec.selector.matchExpressions[0].values"), invalid("spec.selector")}},
		{name: "selector does not match template", mutate: func(ds *experimental.DaemonSet) { ds.Spec.Template.Labels = map[string]string{"app": "db"} },
			want: []wantErr{invalid("spec.template.metadata.labels")}},
		{name: "restart policy Never", mutate: func(ds *experimental.DaemonSet) { ds.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever },
			want: []wantErr{notSupported("spec.template.spec.restartPolicy")}},
		{name: "active deadline", mutate: func(ds *experimental.DaemonSet) { ds.Spec.Template.Spec.ActiveDeadlineSeconds = ptr.To[int64](5) },
			want: []wantErr{forbidden("spec.template.spec.activeDeadlineSeconds")}},
		{name: "invalid pod template", mutate: func(ds *experimental.DaemonSet) { ds.Spec.Template.Spec.Containers[0].Image = "" },
			want: []wantErr{required("spec.template.spec.containers[0].image")}},
		{name: "negative minReadySeconds", mutate: func(ds *experimental.DaemonSet) { ds.Spec.MinReadySeconds = -1 },
			want: []wantErr{invalid("spec.minReadySeconds")}},
		{name: "zero revisionHistoryLimit", mutate: func(ds *experimental.DaemonSet) { ds.Spec.RevisionHistoryLimit = ptr.To[int32](0) }},
		{name: "negative revisionHistoryLimit", mutate: func(ds *experimental.DaemonSet) { ds.Spec.RevisionHistoryLimit = ptr.To[int32](-1) },
			want: []wantErr{invalid("spec.revisionHistoryLimit")}},
		{name: "unsupported strategy type", mutate: func(ds *experimental.DaemonSet) { ds.Spec.UpdateStrategy.Type = "Recreate" },
			want: []wantErr{notSupported("spec.updateStrategy")}},
		{name: "missing rolling update", mutate: func(ds *experimental.DaemonSet) { ds.Spec.UpdateStrategy.RollingUpdate = nil },
			want: []wantErr{required("spec.updateStrategy.rollingUpdate")}},
		{name: "surge instead of unavailable", mutate: func(ds *experimental.DaemonSet) {
			ds.Spec.UpdateStrategy.RollingUpdate = &experimental.RollingUpdateDaemonSet{MaxUnavailable: intOrStr(intstr.FromInt32(0)), MaxSurge: intOrStr(intstr.FromString("10%"))}
		}},
		{name: "both surge and unavailable", mutate: func(ds *experimental.DaemonSet) {
			ds.Spec.UpdateStrategy.RollingUpdate.MaxSurge = intOrStr(intstr.FromInt32(1))
		}, want: []wantErr{invalid("spec.updateStrategy.rollingUpdate.maxSurge")}},
		{name: "neither surge nor unavailable", mutate: func(ds *experimental.DaemonSet) {
			ds.Spec.UpdateStrategy.RollingUpdate = &experimental.RollingUpdateDaemonSet{MaxUnavailable: intOrStr(intstr.FromString("0%"))}
		}, want: []wantErr{required("spec.updateStrategy.rollingUpdate.maxUnavailable")}},
		{name: "negative maxUnavailable", mutate: func(ds *experimental.DaemonSet) {
			ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = intOrStr(intstr.FromInt32(-1))
		}, want: []wantErr{invalid("spec.updateStrategy.rollingUpdate.maxUnavailable")}},
		{name: "maxUnavailable above 100%", mutate: func(ds *experimental.DaemonSet) {
			ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = intOrStr(intstr.FromString("101%"))
		}, want: []wantErr{invalid("spec.updateStrategy.rollingUpdate.maxUnavailable")}},
		{name: "maxSurge not a percentage", mutate: func(ds *experimental.DaemonSet) {
			ds.Spec.UpdateStrategy.RollingUpdate = &experimental.RollingUpdateDaemonSet{MaxSurge: intOrStr(intstr.FromString("ten"))}
		}, want: []wantErr{invalid("spec.updateStrategy.rollingUpdate.maxSurge"), required("spec.updateStrategy.rollingUpdate.maxUnavailable")}},
		{name: "progressive fields", mutate: func(ds *experimental.DaemonSet) {
			r := ds.Spec.UpdateStrategy.RollingUpdate
			r.Partition = intOrStr(intstr.FromString("50%"))
			r.Paused = true
			r.CanaryNodeSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"canary": "true"}}
			r.UnreadyNodePolicy = experimental.SkipUnreadyNodePolicy
		}},
		{name: "partition 0 and Block", mutate: func(ds *experimental.DaemonSet) {
			ds.Spec.UpdateStrategy.RollingUpdate.Partition = intOrStr(intstr.FromInt32(0))
			ds.Spec.UpdateStrategy.RollingUpdate.UnreadyNodePolicy = experimental.BlockUnreadyNodePolicy
		}},
		{name: "empty canary selector matches every node", mutate: func(ds *experimental.DaemonSet) {
			ds.Spec.UpdateStrategy.RollingUpdate.CanaryNodeSelector = &metav1.LabelSelector{}
		}},
		{name: "negative partition", mutate: func(ds *experimental.DaemonSet) {
			ds.Spec.UpdateStrategy.RollingUpdate.Partition = intOrStr(intstr.FromInt32(-1))
		}, want: []wantErr{invalid("spec.updateStrategy.rollingUpdate.partition")}},
		{name: "partition not a percentage", mutate: func(ds *experimental.DaemonSet) {
			ds.Spec.UpdateStrategy.RollingUpdate.Partition = intOrStr(intstr.FromString("half"))
		}, want: []wantErr{invalid("spec.updateStrategy.rollingUpdate.partition")}},
		{name: "partition above 100%", mutate: func(ds *experimental.DaemonSet) {
			ds.Spec.UpdateStrategy.RollingUpdate.Partition = intOrStr(intstr.FromString("150%"))
		}, want: []wantErr{invalid("spec.updateStrategy.rollingUpdate.partition")}},
		{name: "invalid canary selector", mutate: func(ds *experimental.DaemonSet) {
			ds.Spec.UpdateStrategy.RollingUpdate.CanaryNodeSelector = &metav1.LabelSelector{
				MatchLabels:      map[string]string{"bad key!": "x"},
				MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "zone", Operator: "Near", Values: []string{"a"}}},
			}
		}, want: []wantErr{invalid("spec.updateStrategy.rollingUpdate.canaryNodeSelector.matchLabels"),
			invalid("spec.updateStrategy.rollingUpdate.canaryNodeSelector.matchExpressions[0].operator")}},
		{name: "unknown unready node policy", mutate: func(ds *experimental.DaemonSet) {
			ds.Spec.UpdateStrategy.RollingUpdate.UnreadyNodePolicy = "Ignore"
		}, want: []wantErr{notSupported("spec.updateStrategy.rollingUpdate.unreadyNodePolicy")}},
		{name: "OnDelete with maxUnavailable (ignored, as in apps/v1)", mutate: func(ds *experimental.DaemonSet) {
			ds.Spec.UpdateStrategy.Type = experimental.OnDeleteDaemonSetStrategyType
		}},
		{name: "OnDelete with progressive fields", mutate: func(ds *experimental.DaemonSet) {
			ds.Spec.UpdateStrategy.Type = experimental.OnDeleteDaemonSetStrategyType
			r := ds.Spec.UpdateStrategy.RollingUpdate
			r.Partition = intOrStr(intstr.FromInt32(1))
			r.Paused = true
			r.CanaryNodeSelector = &metav1.LabelSelector{}
			r.UnreadyNodePolicy = experimental.SkipUnreadyNodePolicy
		}, want: []wantErr{
			forbidden("spec.updateStrategy.rollingUpdate.partition"),
			forbidden("spec.updateStrategy.rollingUpdate.paused"),
			forbidden("spec.updateStrategy.rollingUpdate.canaryNodeSelector"),
			forbidden("spec.updateStrategy.rollingUpdate.unreadyNodePolicy"),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := validDaemonSet()
			tc.mutate(ds)
			expectErrors(t, ValidateDaemonSet(ds), tc.want...)
		})
	}
}

func TestValidateDaemonSetUpdate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*experimental.DaemonSet)
		want   []wantErr
	}{
		{name: "template change", mutate: func(ds *experimental.DaemonSet) { ds.Spec.Template.Spec.Containers[0].Image = "nginx:1.28" }},
		{name: "selector change", mutate: func(ds *experimental.DaemonSet) {
			ds.Spec.Selector.MatchLabels["tier"] = "front"
			ds.Spec.Template.Labels["tier"] = "front"
		}, want: []wantErr{invalid("spec.selector")}},
		{name: "name change", mutate: func(ds *experimental.DaemonSet) { ds.Name = "other" },
			want: []wantErr{invalid("metadata.name")}},
		{name: "invalid new spec", mutate: func(ds *experimental.DaemonSet) { ds.Spec.MinReadySeconds = -1 },
			want: []wantErr{invalid("spec.minReadySeconds")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := validDaemonSet()
			ds := old.DeepCopy()
			tc.mutate(ds)
			errs := ValidateDaemonSetUpdate(ds, old)
			expectErrors(t, errs, tc.want...)
			for _, e := range errs {
				if e.Field == "spec.selector" && !strings.Contains(e.Error(), "field is immutable") {
					t.Errorf("unexpected selector error %v", e)
				}
			}
		})
	}
}

func TestValidateDaemonSetStatusUpdate(t *testing.T) {
	tests := []struct {
		name      string
		oldStatus experimental.DaemonSetStatus
		mutate    func(*experimental.DaemonSetStatus)
		want      []wantErr
	}{
		{name: "valid", mutate: func(s *experimental.DaemonSetStatus) {
			*s = experimental.DaemonSetStatus{CurrentNumberScheduled: 3, DesiredNumberScheduled: 3, NumberReady: 2, ObservedGeneration: 2, CollisionCount: ptr.To[int32](1)}
		}},
		{name: "negative counts", mutate: func(s *experimental.DaemonSetStatus) {
			*s = experimental.DaemonSetStatus{
				CurrentNumberScheduled: -1, NumberMisscheduled: -1, DesiredNumberScheduled: -1, NumberReady: -1, ObservedGeneration: -1,
				UpdatedNumberScheduled: -1, NumberAvailable: -1, NumberUnavailable: -1, CollisionCount: ptr.To[int32](-1),
			}
		}, want: []wantErr{
			invalid("status.currentNumberScheduled"), invalid("status.numberMisscheduled"), invalid("status.desiredNumberScheduled"),
			invalid("status.numberReady"), invalid("status.observedGeneration"), invalid("status.updatedNumberScheduled"),
			invalid("status.numberAvailable"), invalid("status.numberUnavailable"), invalid("status.collisionCount"),
		}},
		{name: "collision count decremented", oldStatus: experimental.DaemonSetStatus{CollisionCount: ptr.To[int32](2)},
			mutate: func(s *experimental.DaemonSetStatus) { s.CollisionCount = ptr.To[int32](1) },
			want:   []wantErr{invalid("status.collisionCount")}},
		{name: "collision count cleared", oldStatus: experimental.DaemonSetStatus{CollisionCount: ptr.To[int32](2)},
			mutate: func(s *experimental.DaemonSetStatus) { s.CollisionCount = nil },
			want:   []wantErr{invalid("status.collisionCount")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := validDaemonSet()
			old.Status = tc.oldStatus
			ds := old.DeepCopy()
			tc.mutate(&ds.Status)
			expectErrors(t, ValidateDaemonSetStatusUpdate(ds, old), tc.want...)
		})
	}
}

func TestWarningsForDaemonSet(t *testing.T) {
	ds := validDaemonSet()
	ds.Name = "my.daemon"
	if w := WarningsForDaemonSet(ds); len(w) != 0 {
		t.Errorf("unexpected warnings %q", w)
	}
	ds.Spec.Template.Spec.NodeSelector = map[string]string{"beta.kubernetes.io/os": "linux"}
	if w := WarningsForDaemonSet(ds); len(w) != 1 {
		t.Errorf("expected one warning, got %q", w)
	}
}
