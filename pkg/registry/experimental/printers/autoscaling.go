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

package printers

import (
	"fmt"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

var _ rest.TableConvertor = tableConvertor[*experimental.HorizontalPodAutoscaler]{}

// HorizontalPodAutoscalers: NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE

var horizontalPodAutoscalerColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	{Name: "Reference", Type: "string", Description: autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["scaleTargetRef"]},
	{Name: "Targets", Type: "string", Description: autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["metrics"]},
	// Upstream declares the numeric columns as strings; MinPods really is one
	// ("<unset>" when absent), MaxPods and Replicas carry integers.
	{Name: "MinPods", Type: "string", Description: autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["minReplicas"]},
	{Name: "MaxPods", Type: "string", Description: autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["maxReplicas"]},
	{Name: "Replicas", Type: "string", Description: autoscalingv2.HorizontalPodAutoscalerStatus{}.SwaggerDoc()["currentReplicas"]},
	ageColumn(),
}

// NewHorizontalPodAutoscalerTableConvertor returns the table convertor for
// horizontal pod autoscalers.
func NewHorizontalPodAutoscalerTableConvertor() rest.TableConvertor {
	return newTableConvertor(horizontalPodAutoscalerColumns, horizontalPodAutoscalerRow)
}

func horizontalPodAutoscalerRow(hpa *experimental.HorizontalPodAutoscaler) []interface{} {
	minPods := "<unset>"
	if hpa.Spec.MinReplicas != nil {
		minPods = fmt.Sprintf("%d", *hpa.Spec.MinReplicas)
	}
	return []interface{}{
		hpa.Name,
		hpa.Spec.ScaleTargetRef.Kind + "/" + hpa.Spec.ScaleTargetRef.Name,
		formatHPAMetrics(hpa.Spec.Metrics, hpa.Status.CurrentMetrics),
		minPods,
		int64(hpa.Spec.MaxReplicas),
		int64(hpa.Status.CurrentReplicas),
		translateTimestampSince(hpa.CreationTimestamp),
	}
}

const (
	// maxShownHPAMetrics is how many metrics the TARGETS cell spells out
	// before summarising the rest as "+ N more...".
	maxShownHPAMetrics = 2
	unknownMetricValue = "<unknown>"
	unknownMetricType  = "<unknown type>"
)

// formatHPAMetrics renders "current/target" for the first few metrics. The
// status entry at the same index as a spec is taken as its current value.
func formatHPAMetrics(specs []experimental.MetricSpec, statuses []experimental.MetricStatus) string {
	if len(specs) == 0 {
		return "<none>"
	}
	shown := min(len(specs), maxShownHPAMetrics)
	parts := make([]string, 0, shown)
	for i := range shown {
		var status *experimental.MetricStatus
		if i < len(statuses) {
			status = &statuses[i]
		}
		parts = append(parts, formatHPAMetric(&specs[i], status))
	}
	out := strings.Join(parts, ", ")
	if hidden := len(specs) - shown; hidden > 0 {
		out += fmt.Sprintf(" + %d more...", hidden)
	}
	return out
}

// formatHPAMetric renders a single metric; status may be nil when the
// autoscaler has not reported a value for it yet. A spec whose source does
// not match its type is shown as an unknown type rather than failing.
func formatHPAMetric(spec *experimental.MetricSpec, status *experimental.MetricStatus) string {
	switch spec.Type {
	case experimental.ExternalMetricSourceType:
		if spec.External == nil {
			return unknownMetricType
		}
		var current *experimental.MetricValueStatus
		if status != nil && status.External != nil {
			current = &status.External.Current
		}
		return formatValueMetric(spec.External.Target, current)
	case experimental.ObjectMetricSourceType:
		if spec.Object == nil {
			return unknownMetricType
		}
		var current *experimental.MetricValueStatus
		if status != nil && status.Object != nil {
			current = &status.Object.Current
		}
		return formatValueMetric(spec.Object.Target, current)
	case experimental.PodsMetricSourceType:
		if spec.Pods == nil {
			return unknownMetricType
		}
		current := unknownMetricValue
		if status != nil && status.Pods != nil {
			current = status.Pods.Current.AverageValue.String()
		}
		return current + "/" + spec.Pods.Target.AverageValue.String()
	case experimental.ResourceMetricSourceType:
		if spec.Resource == nil {
			return unknownMetricType
		}
		var current *experimental.MetricValueStatus
		if status != nil && status.Resource != nil {
			current = &status.Resource.Current
		}
		return formatResourceMetric(spec.Resource.Name, spec.Resource.Target, current)
	case experimental.ContainerResourceMetricSourceType:
		if spec.ContainerResource == nil {
			return unknownMetricType
		}
		var current *experimental.MetricValueStatus
		if status != nil && status.ContainerResource != nil {
			current = &status.ContainerResource.Current
		}
		return formatResourceMetric(spec.ContainerResource.Name, spec.ContainerResource.Target, current)
	default:
		return unknownMetricType
	}
}

// formatValueMetric renders object and external metrics, which target either
// an average value (suffixed "(avg)") or a plain value.
func formatValueMetric(target experimental.MetricTarget, current *experimental.MetricValueStatus) string {
	if target.AverageValue != nil {
		value := unknownMetricValue
		if current != nil && current.AverageValue != nil {
			value = current.AverageValue.String()
		}
		return value + "/" + target.AverageValue.String() + " (avg)"
	}
	value := unknownMetricValue
	if current != nil {
		value = current.Value.String()
	}
	return value + "/" + target.Value.String()
}

// formatResourceMetric renders resource and container resource metrics as
// "name: current/target", using percentages for utilization targets.
func formatResourceMetric(name corev1.ResourceName, target experimental.MetricTarget, current *experimental.MetricValueStatus) string {
	if target.AverageValue != nil {
		value := unknownMetricValue
		if current != nil {
			value = current.AverageValue.String()
		}
		return fmt.Sprintf("%s: %s/%s", name, value, target.AverageValue.String())
	}
	value := unknownMetricValue
	if current != nil && current.AverageUtilization != nil {
		value = fmt.Sprintf("%d%%", *current.AverageUtilization)
	}
	goal := "<auto>"
	if target.AverageUtilization != nil {
		goal = fmt.Sprintf("%d%%", *target.AverageUtilization)
	}
	return fmt.Sprintf("%s: %s/%s", name, value, goal)
}
