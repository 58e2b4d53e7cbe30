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

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

func qtyPtr(s string) *resource.Quantity { return ptr.To(resource.MustParse(s)) }

func averageValue(s string) experimental.MetricTarget {
	return experimental.MetricTarget{Type: experimental.AverageValueMetricType, AverageValue: qtyPtr(s)}
}

func objectMetric() experimental.MetricSpec {
	return experimental.MetricSpec{Type: experimental.ObjectMetricSourceType, Object: &experimental.ObjectMetricSource{
		DescribedObject: experimental.CrossVersionObjectReference{Kind: "Service", Name: "web", APIVersion: "v1"},
		Metric:          experimental.MetricIdentifier{Name: "requests-per-second"},
		Target:          experimental.MetricTarget{Type: experimental.ValueMetricType, Value: qtyPtr("100")},
	}}
}

func externalMetric() experimental.MetricSpec {
	return experimental.MetricSpec{Type: experimental.ExternalMetricSourceType, External: &experimental.ExternalMetricSource{
		Metric: experimental.MetricIdentifier{Name: "queue_depth", Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"queue": "jobs"}}},
		Target: averageValue("30"),
	}}
}

func podsMetric() experimental.MetricSpec {
	return experimental.MetricSpec{Type: experimental.PodsMetricSourceType, Pods: &experimental.PodsMetricSource{
		Metric: experimental.MetricIdentifier{Name: "packets-per-second"},
		Target: averageValue("1k"),
	}}
}

func containerResourceMetric() experimental.MetricSpec {
	return experimental.MetricSpec{Type: experimental.ContainerResourceMetricSourceType, ContainerResource: &experimental.ContainerResourceMetricSource{
		Name: corev1.ResourceMemory, Container: "main", Target: averageValue("500Mi"),
	}}
}

func withMetrics(metrics ...experimental.MetricSpec) func(*experimental.HorizontalPodAutoscaler) {
	return func(h *experimental.HorizontalPodAutoscaler) { h.Spec.Metrics = metrics }
}

func withMetric(mutate func(*experimental.MetricSpec), base experimental.MetricSpec) func(*experimental.HorizontalPodAutoscaler) {
	return func(h *experimental.HorizontalPodAutoscaler) {
		mutate(&base)
		h.Spec.Metrics = []experimental.MetricSpec{base}
	}
}

func validRules() *experimental.HPAScalingRules {
	return &experimental.HPAScalingRules{
		StabilizationWindowSeconds: ptr.To[int32](300),
		SelectPolicy:               ptr.To(experimental.MaxChangePolicySelect),
		Policies:                   []experimental.HPAScalingPolicy{{Type: experimental.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}},
		Tolerance:                  qtyPtr("0.05"),
	}
}

func withScaleDown(mutate func(*experimental.HPAScalingRules)) func(*experimental.HorizontalPodAutoscaler) {
	return func(h *experimental.HorizontalPodAutoscaler) {
		rules := validRules()
		mutate(rules)
		h.Spec.Behavior = &experimental.HorizontalPodAutoscalerBehavior{ScaleDown: rules}
	}
}

func TestValidateHorizontalPodAutoscaler(t *testing.T) {
	const m0 = "spec.metrics[0]"
	tests := []struct {
		name   string
		mutate func(*experimental.HorizontalPodAutoscaler)
		want   []wantErr
	}{
		{name: "valid", mutate: func(*experimental.HorizontalPodAutoscaler) {}},
		{name: "valid without minReplicas and metrics", mutate: func(h *experimental.HorizontalPodAutoscaler) { h.Spec.MinReplicas, h.Spec.Metrics = nil, nil }},
		{name: "valid with all metric types", mutate: withMetrics(objectMetric(), externalMetric(), podsMetric(), containerResourceMetric())},
		{name: "name not a DNS subdomain", mutate: func(h *experimental.HorizontalPodAutoscaler) { h.Name = "Web" },
			want: []wantErr{invalid("metadata.name")}},

		// scale target
		{name: "missing scale target kind and name", mutate: func(h *experimental.HorizontalPodAutoscaler) {
			h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name = "", ""
		}, want: []wantErr{required("spec.scaleTargetRef.kind"), required("spec.scaleTargetRef.name")}},
		{name: "scale target with slash", mutate: func(h *experimental.HorizontalPodAutoscaler) {
			h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name = "a/b", ".."
		}, want: []wantErr{invalid("spec.scaleTargetRef.kind"), invalid("spec.scaleTargetRef.name")}},
		{name: "scale target without API group", mutate: func(h *experimental.HorizontalPodAutoscaler) { h.Spec.ScaleTargetRef.APIVersion = "v1" },
			want: []wantErr{invalid("spec.scaleTargetRef.apiVersion")}},
		{name: "ReplicationController scale target in the core group", mutate: func(h *experimental.HorizontalPodAutoscaler) {
			h.Spec.ScaleTargetRef = experimental.CrossVersionObjectReference{Kind: "ReplicationController", Name: "rc", APIVersion: "v1"}
		}},
		{name: "malformed scale target API version", mutate: func(h *experimental.HorizontalPodAutoscaler) { h.Spec.ScaleTargetRef.APIVersion = "a/b/c" },
			want: []wantErr{invalid("spec.scaleTargetRef.apiVersion")}},

		// replicas
		{name: "minReplicas 0 with an Object metric", mutate: func(h *experimental.HorizontalPodAutoscaler) {
			h.Spec.MinReplicas = ptr.To[int32](0)
			h.Spec.Metrics = []experimental.MetricSpec{objectMetric()}
		}},
		{name: "minReplicas 0 with an External metric", mutate: func(h *experimental.HorizontalPodAutoscaler) {
			h.Spec.MinReplicas = ptr.To[int32](0)
			h.Spec.Metrics = []experimental.MetricSpec{podsMetric(), externalMetric()}
		}},
		{name: "minReplicas 0 with resource metrics only", mutate: func(h *experimental.HorizontalPodAutoscaler) { h.Spec.MinReplicas = ptr.To[int32](0) },
			want: []wantErr{forbidden("spec.metrics")}},
		{name: "negative minReplicas", mutate: func(h *experimental.HorizontalPodAutoscaler) { h.Spec.MinReplicas = ptr.To[int32](-1) },
			want: []wantErr{invalid("spec.minReplicas")}},
		{name: "missing maxReplicas", mutate: func(h *experimental.HorizontalPodAutoscaler) { h.Spec.MaxReplicas = 0 },
			want: []wantErr{required("spec.maxReplicas"), invalid("spec.maxReplicas")}},
		{name: "negative maxReplicas", mutate: func(h *experimental.HorizontalPodAutoscaler) { h.Spec.MinReplicas, h.Spec.MaxReplicas = nil, -1 },
			want: []wantErr{invalid("spec.maxReplicas")}},
		{name: "maxReplicas below minReplicas", mutate: func(h *experimental.HorizontalPodAutoscaler) { h.Spec.MinReplicas = ptr.To[int32](6) },
			want: []wantErr{invalid("spec.maxReplicas")}},
		{name: "maxReplicas equal to minReplicas", mutate: func(h *experimental.HorizontalPodAutoscaler) { h.Spec.MinReplicas = ptr.To[int32](5) }},

		// metric types and sources
		{name: "missing metric type", mutate: withMetric(func(m *experimental.MetricSpec) { m.Type = "" }, podsMetric()),
			want: []wantErr{required(m0 + ".type")}},
		{name: "unknown metric type", mutate: withMetric(func(m *experimental.MetricSpec) { m.Type = "Custom" }, podsMetric()),
			want: []wantErr{notSupported(m0 + ".type")}},
		{name: "type without its source", mutate: withMetric(func(m *experimental.MetricSpec) { m.Type = experimental.ExternalMetricSourceType }, podsMetric()),
			want: []wantErr{required(m0 + ".external"), forbidden(m0 + ".pods")}},
		{name: "two sources", mutate: withMetric(func(m *experimental.MetricSpec) { m.Object = objectMetric().Object }, podsMetric()),
			want: []wantErr{forbidden(m0 + ".object")}},

		// targets
		{name: "missing target type", mutate: withMetric(func(m *experimental.MetricSpec) { m.Pods.Target.Type = "" }, podsMetric()),
			want: []wantErr{required(m0 + ".pods.target.type")}},
		{name: "unknown target type", mutate: withMetric(func(m *experimental.MetricSpec) { m.Pods.Target.Type = "Median" }, podsMetric()),
			want: []wantErr{invalid(m0 + ".pods.target.type")}},
		{name: "utilization of a pods metric", mutate: withMetric(func(m *experimental.MetricSpec) {
			m.Pods.Target = experimental.MetricTarget{Type: experimental.UtilizationMetricType, AverageUtilization: ptr.To[int32](50)}
		}, podsMetric()), want: []wantErr{notSupported(m0 + ".pods.target.type")}},
		{name: "utilization of an object metric", mutate: withMetric(func(m *experimental.MetricSpec) {
			m.Object.Target = experimental.MetricTarget{Type: experimental.UtilizationMetricType, AverageUtilization: ptr.To[int32](50)}
		}, objectMetric()), want: []wantErr{notSupported(m0 + ".object.target.type")}},
		{name: "value target without value", mutate: withMetric(func(m *experimental.MetricSpec) {
			m.Object.Target = experimental.MetricTarget{Type: experimental.ValueMetricType, AverageValue: qtyPtr("1")}
		}, objectMetric()), want: []wantErr{required(m0 + ".object.target.value")}},
		{name: "utilization target without utilization", mutate: withMetric(func(m *experimental.MetricSpec) {
			m.Resource.Target = experimental.MetricTarget{Type: experimental.UtilizationMetricType}
		}, validHPA().Spec.Metrics[0]), want: []wantErr{required(m0 + ".resource.target.averageUtilization")}},
		{name: "average value target without average value", mutate: withMetric(func(m *experimental.MetricSpec) {
			m.Pods.Target.AverageValue = nil
		}, podsMetric()), want: []wantErr{required(m0 + ".pods.target.averageValue")}},
		{name: "non-positive quantities", mutate: withMetric(func(m *experimental.MetricSpec) {
			m.External.Target = experimental.MetricTarget{Type: experimental.ValueMetricType, Value: qtyPtr("0")}
		}, externalMetric()), want: []wantErr{invalid(m0 + ".external.target.value")}},
		{name: "zero utilization", mutate: withMetric(func(m *experimental.MetricSpec) {
			m.Resource.Target.AverageUtilization = ptr.To[int32](0)
		}, validHPA().Spec.Metrics[0]), want: []wantErr{invalid(m0 + ".resource.target.averageUtilization")}},
		{name: "utilization and average value", mutate: withMetric(func(m *experimental.MetricSpec) {
			m.Resource.Target.AverageValue = qtyPtr("100m")
		}, validHPA().Spec.Metrics[0]), want: []wantErr{forbidden(m0 + ".resource.target.averageValue")}},
		{name: "external value and average value", mutate: withMetric(func(m *experimental.MetricSpec) {
			m.External.Target.Value = qtyPtr("5")
		}, externalMetric()), want: []wantErr{forbidden(m0 + ".external.target.value")}},

		// source details
		{name: "resource metric without name", mutate: withMetric(func(m *experimental.MetricSpec) { m.Resource.Name = "" }, validHPA().Spec.Metrics[0]),
			want: []wantErr{required(m0 + ".resource.name")}},
		{name: "resource metric with invalid name", mutate: withMetric(func(m *experimental.MetricSpec) { m.Resource.Name = "disk" }, validHPA().Spec.Metrics[0]),
			want: []wantErr{invalid(m0 + ".resource.name")}},
		{name: "container resource without container", mutate: withMetric(func(m *experimental.MetricSpec) { m.ContainerResource.Container = "" }, containerResourceMetric()),
			want: []wantErr{required(m0 + ".containerResource.container")}},
		{name: "container resource with invalid container", mutate: withMetric(func(m *experimental.MetricSpec) { m.ContainerResource.Container = "Main" }, containerResourceMetric()),
			want: []wantErr{invalid(m0 + ".containerResource.container")}},
		{name: "pods metric without name", mutate: withMetric(func(m *experimental.MetricSpec) { m.Pods.Metric.Name = "" }, podsMetric()),
			want: []wantErr{required(m0 + ".pods.metric.name")}},
		{name: "external metric with invalid selector", mutate: withMetric(func(m *experimental.MetricSpec) {
			m.External.Metric.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"queue": "a b"}}
		}, externalMetric()), want: []wantErr{invalid(m0 + ".external.metric.selector.matchLabels")}},
		{name: "object metric without described object", mutate: withMetric(func(m *experimental.MetricSpec) {
			m.Object.DescribedObject = experimental.CrossVersionObjectReference{}
		}, objectMetric()), want: []wantErr{required(m0 + ".object.describedObject.kind"), required(m0 + ".object.describedObject.name")}},
		{name: "object metric with invalid metric name", mutate: withMetric(func(m *experimental.MetricSpec) { m.Object.Metric.Name = "a/b" }, objectMetric()),
			want: []wantErr{invalid(m0 + ".object.metric.name")}},

		// behavior
		{name: "valid behavior", mutate: func(h *experimental.HorizontalPodAutoscaler) {
			h.Spec.Behavior = &experimental.HorizontalPodAutoscalerBehavior{ScaleUp: validRules(), ScaleDown: validRules()}
		}},
		{name: "disabled scale down", mutate: withScaleDown(func(r *experimental.HPAScalingRules) { r.SelectPolicy = ptr.To(experimental.DisabledPolicySelect) })},
		{name: "negative stabilization window", mutate: withScaleDown(func(r *experimental.HPAScalingRules) { r.StabilizationWindowSeconds = ptr.To[int32](-1) }),
			want: []wantErr{invalid("spec.behavior.scaleDown.stabilizationWindowSeconds")}},
		{name: "stabilization window above one hour", mutate: withScaleDown(func(r *experimental.HPAScalingRules) { r.StabilizationWindowSeconds = ptr.To[int32](3601) }),
			want: []wantErr{invalid("spec.behavior.scaleDown.stabilizationWindowSeconds")}},
		{name: "unknown select policy", mutate: withScaleDown(func(r *experimental.HPAScalingRules) {
			r.SelectPolicy = ptr.To[experimental.ScalingPolicySelect]("Avg")
		}),
			want: []wantErr{notSupported("spec.behavior.scaleDown.selectPolicy")}},
		{name: "no policies", mutate: withScaleDown(func(r *experimental.HPAScalingRules) { r.Policies = nil }),
			want: []wantErr{required("spec.behavior.scaleDown.policies")}},
		{name: "invalid policy", mutate: withScaleDown(func(r *experimental.HPAScalingRules) {
			r.Policies = []experimental.HPAScalingPolicy{{Type: "Nodes", Value: 0, PeriodSeconds: 1801}}
		}), want: []wantErr{
			notSupported("spec.behavior.scaleDown.policies[0].type"), invalid("spec.behavior.scaleDown.policies[0].value"),
			invalid("spec.behavior.scaleDown.policies[0].periodSeconds"),
		}},
		{name: "zero policy period", mutate: withScaleDown(func(r *experimental.HPAScalingRules) { r.Policies[0].PeriodSeconds = 0 }),
			want: []wantErr{invalid("spec.behavior.scaleDown.policies[0].periodSeconds")}},
		{name: "zero tolerance", mutate: withScaleDown(func(r *experimental.HPAScalingRules) { r.Tolerance = qtyPtr("0") })},
		{name: "negative tolerance", mutate: withScaleDown(func(r *experimental.HPAScalingRules) { r.Tolerance = qtyPtr("-0.1") }),
			want: []wantErr{invalid("spec.behavior.scaleDown.tolerance")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hpa := validHPA()
			tc.mutate(hpa)
			expectErrors(t, ValidateHorizontalPodAutoscaler(hpa), tc.want...)
		})
	}
}

func TestValidateHorizontalPodAutoscalerUpdate(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(*experimental.HorizontalPodAutoscaler)
		mutate  func(*experimental.HorizontalPodAutoscaler)
		want    []wantErr
	}{
		{name: "raise maxReplicas", mutate: func(h *experimental.HorizontalPodAutoscaler) { h.Spec.MaxReplicas = 10 }},
		{name: "stored API version without group", prepare: func(h *experimental.HorizontalPodAutoscaler) { h.Spec.ScaleTargetRef.APIVersion = "" },
			mutate: func(h *experimental.HorizontalPodAutoscaler) { h.Spec.MaxReplicas = 10 }},
		{name: "new API version without group", mutate: func(h *experimental.HorizontalPodAutoscaler) { h.Spec.ScaleTargetRef.APIVersion = "v2" },
			want: []wantErr{invalid("spec.scaleTargetRef.apiVersion")}},
		{name: "stored invalid described object", prepare: func(h *experimental.HorizontalPodAutoscaler) {
			m := objectMetric()
			m.Object.DescribedObject.APIVersion = "a/b/c"
			h.Spec.Metrics = []experimental.MetricSpec{m}
		}, mutate: func(h *experimental.HorizontalPodAutoscaler) { h.Spec.MaxReplicas = 10 }},
		{name: "invalid update", mutate: func(h *experimental.HorizontalPodAutoscaler) { h.Spec.MaxReplicas = -1 },
			want: []wantErr{invalid("spec.maxReplicas"), invalid("spec.maxReplicas")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := validHPA()
			if tc.prepare != nil {
				tc.prepare(old)
			}
			hpa := old.DeepCopy()
			tc.mutate(hpa)
			expectErrors(t, ValidateHorizontalPodAutoscalerUpdate(hpa, old), tc.want...)
		})
	}
}

func TestValidateHorizontalPodAutoscalerStatusUpdate(t *testing.T) {
	tests := []struct {
		name   string
		status experimental.HorizontalPodAutoscalerStatus
		want   []wantErr
	}{
		{name: "valid", status: experimental.HorizontalPodAutoscalerStatus{ObservedGeneration: ptr.To[int64](1), CurrentReplicas: 2, DesiredReplicas: 3}},
		{name: "negative counts", status: experimental.HorizontalPodAutoscalerStatus{ObservedGeneration: ptr.To[int64](-1), CurrentReplicas: -1, DesiredReplicas: -1},
			want: []wantErr{invalid("status.observedGeneration"), invalid("status.currentReplicas"), invalid("status.desiredReplicas")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := validHPA()
			hpa := old.DeepCopy()
			hpa.Status = tc.status
			expectErrors(t, ValidateHorizontalPodAutoscalerStatusUpdate(hpa, old), tc.want...)
		})
	}
}
