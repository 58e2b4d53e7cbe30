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

package podautoscaler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// metricCondition is the ScalingActive=False condition a failed metric
// proposes.
type metricCondition struct {
	reason, message string
}

// ReasonScaleDownBlockedByMissingMetrics is the reason of ScalingActive=False
// (and of a warning event) when some metrics could not be computed and the
// others propose fewer replicas than the target has: the autoscaler does
// not scale down on partial information.
const ReasonScaleDownBlockedByMissingMetrics = "ScaleDownBlockedByMissingMetrics"

// computeReplicasForMetrics returns the highest replica proposal over the
// autoscaler's metrics, the metric that made it and the status of every
// metric. It sets ScalingActive.
//
// Never scale down blind: when some metrics fail, the others may still
// scale the target up (or hold it), but never down.
//   - Every metric failed: ScalingActive=False with the first failure's
//     reason (FailedGetResourceMetric, FailedGetExternalMetric, ...); it
//     returns -1 and the error.
//   - Some failed and the others propose fewer replicas than the target
//     has: ScalingActive=False, reason ScaleDownBlockedByMissingMetrics, a
//     message naming every missing metric (index, type, name) and the error,
//     and a warning event of the same reason; it returns -1 and the error.
//   - Some failed and the others propose as many or more: ScalingActive=True,
//     ValidMetricFound, the message naming the missing metrics; it returns
//     the proposal and the error (the caller must not let the proposal fall
//     below the current replicas).
//
// At zero replicas (reached only with minReplicas 0) Resource,
// ContainerResource and Pods metrics cannot be computed, there are no pods:
// they are absent, not failed, and the Object and External metrics alone
// decide whether to scale up from zero.
func (c *Controller) computeReplicasForMetrics(ctx context.Context, hpa *v1alpha1.HorizontalPodAutoscaler, s *autoscalingv1.Scale, opts Options) (int32, string, []v1alpha1.MetricStatus, time.Time, error) {
	selector, err := c.validateAndParseSelector(hpa, s.Status.Selector)
	if err != nil {
		return -1, "", nil, time.Time{}, err
	}
	specReplicas, statusReplicas := s.Spec.Replicas, s.Status.Replicas
	if opts.RolloutAware && statusReplicas > specReplicas {
		// Surge pods of a rollout, or pods of a scale-down still going:
		// per-pod averages are taken over spec.replicas (see Options).
		statusReplicas = specReplicas
	}
	statuses := make([]v1alpha1.MetricStatus, len(hpa.Spec.Metrics))
	var (
		replicas     int32
		metric       string
		timestamp    time.Time
		computed     int
		invalid      int
		firstErr     error
		firstInvalid metricCondition
		missing      []string
	)
	for i, spec := range hpa.Spec.Metrics {
		if specReplicas == 0 && isPodMetric(spec.Type) {
			statuses[i] = v1alpha1.MetricStatus{Type: spec.Type}
			continue
		}
		proposal, name, ts, cond, err := c.computeReplicasForMetric(ctx, hpa, spec, specReplicas, statusReplicas, selector, &statuses[i], opts)
		if err != nil {
			if invalid == 0 {
				firstErr, firstInvalid = err, cond
			}
			invalid++
			missing = append(missing, fmt.Sprintf("%s: %v", describeMetric(i, spec), err))
			continue
		}
		if computed == 0 || proposal > replicas {
			replicas, metric, timestamp = proposal, name, ts
		}
		computed++
	}
	if firstErr != nil {
		firstErr = fmt.Errorf("invalid metrics (%d invalid out of %d), first error is: %w", invalid, len(hpa.Spec.Metrics), firstErr)
	}
	switch {
	case computed == 0 && invalid == 0:
		// Only pod metrics at zero replicas: validation forbids it
		// (minReplicas 0 needs an Object or External metric).
		err := errors.New("no metric can be computed at zero replicas: minReplicas 0 needs an Object or External metric")
		c.setCondition(hpa, v1alpha1.ScalingActive, corev1.ConditionFalse, "ScalingDisabled", "%v", err)
		return -1, "", statuses, time.Time{}, err
	case computed == 0:
		c.setCondition(hpa, v1alpha1.ScalingActive, corev1.ConditionFalse, firstInvalid.reason, "%s", firstInvalid.message)
		return -1, "", statuses, time.Time{}, firstErr
	case invalid > 0 && replicas < specReplicas:
		msg := fmt.Sprintf("the HPA will not scale down below %d replicas while %d of %d metrics cannot be computed (the others propose %d, from %s); missing: %s",
			specReplicas, invalid, len(hpa.Spec.Metrics), replicas, metric, strings.Join(missing, "; "))
		// The event marks the transition only: with a short sync period the
		// per-metric failure events already use up much of client-go's
		// per-object event budget (a burst of 25, then one per 5 minutes),
		// and the condition carries the current state.
		if !c.hasCondition(hpa, v1alpha1.ScalingActive, corev1.ConditionFalse, ReasonScaleDownBlockedByMissingMetrics) {
			c.recorder.Event(hpa, corev1.EventTypeWarning, ReasonScaleDownBlockedByMissingMetrics, msg)
		}
		c.setCondition(hpa, v1alpha1.ScalingActive, corev1.ConditionFalse, ReasonScaleDownBlockedByMissingMetrics, "%s", msg)
		klog.FromContext(ctx).V(2).Info("Scale-down blocked by missing metrics", "hpa", klog.KObj(hpa),
			"currentReplicas", specReplicas, "proposal", replicas, "missing", invalid)
		return -1, "", statuses, time.Time{}, firstErr
	case invalid > 0:
		c.setCondition(hpa, v1alpha1.ScalingActive, corev1.ConditionTrue, "ValidMetricFound",
			"the HPA was able to successfully calculate a replica count from %s; it will not scale down while %d of %d metrics cannot be computed; missing: %s",
			metric, invalid, len(hpa.Spec.Metrics), strings.Join(missing, "; "))
		return replicas, metric, statuses, timestamp, firstErr
	}
	c.setCondition(hpa, v1alpha1.ScalingActive, corev1.ConditionTrue, "ValidMetricFound", "the HPA was able to successfully calculate a replica count from %s", metric)
	return replicas, metric, statuses, timestamp, nil
}

// isPodMetric reports whether a metric type is computed from the target's
// pods (and so cannot be computed without pods).
func isPodMetric(t v1alpha1.MetricSourceType) bool {
	return t == v1alpha1.ResourceMetricSourceType || t == v1alpha1.ContainerResourceMetricSourceType || t == v1alpha1.PodsMetricSourceType
}

// describeMetric names metric i of an autoscaler for conditions and events:
// its field path, type and name, e.g. "spec.metrics[1] (External
// queue_length)".
func describeMetric(i int, spec v1alpha1.MetricSpec) string {
	var name string
	switch {
	case spec.Type == v1alpha1.ResourceMetricSourceType && spec.Resource != nil:
		name = string(spec.Resource.Name)
	case spec.Type == v1alpha1.ContainerResourceMetricSourceType && spec.ContainerResource != nil:
		name = fmt.Sprintf("%s of container %s", spec.ContainerResource.Name, spec.ContainerResource.Container)
	case spec.Type == v1alpha1.PodsMetricSourceType && spec.Pods != nil:
		name = spec.Pods.Metric.Name
	case spec.Type == v1alpha1.ObjectMetricSourceType && spec.Object != nil:
		name = fmt.Sprintf("%s on %s/%s", spec.Object.Metric.Name, spec.Object.DescribedObject.Kind, spec.Object.DescribedObject.Name)
	case spec.Type == v1alpha1.ExternalMetricSourceType && spec.External != nil:
		name = spec.External.Metric.Name
	}
	if name == "" {
		return fmt.Sprintf("spec.metrics[%d] (%s)", i, spec.Type)
	}
	return fmt.Sprintf("spec.metrics[%d] (%s %s)", i, spec.Type, name)
}

// validateAndParseSelector parses the target's status.selector and checks
// that no other autoscaler selects the same pods. Failures set
// ScalingActive=False with reason InvalidSelector or AmbiguousSelector.
func (c *Controller) validateAndParseSelector(hpa *v1alpha1.HorizontalPodAutoscaler, selector string) (labels.Selector, error) {
	if selector == "" {
		msg := "selector is required"
		c.recorder.Event(hpa, corev1.EventTypeWarning, "SelectorRequired", msg)
		c.setCondition(hpa, v1alpha1.ScalingActive, corev1.ConditionFalse, "InvalidSelector", "the HPA target's scale is missing a selector")
		return nil, errors.New(msg)
	}
	parsed, err := labels.Parse(selector)
	if err != nil {
		msg := fmt.Sprintf("couldn't convert selector into a corresponding internal selector object: %v", err)
		c.recorder.Event(hpa, corev1.EventTypeWarning, "InvalidSelector", msg)
		c.setCondition(hpa, v1alpha1.ScalingActive, corev1.ConditionFalse, "InvalidSelector", "%s", msg)
		return nil, errors.New(msg)
	}
	key := hpa.Namespace + "/" + hpa.Name
	pods, err := c.podLister.Pods(hpa.Namespace).List(parsed)
	if err != nil {
		return nil, fmt.Errorf("listing the pods of the target: %w", err)
	}
	c.selectorsMu.Lock()
	c.selectors[key] = parsed
	var others []string
	for otherKey, other := range c.selectors {
		if otherKey == key || !sameNamespace(otherKey, hpa.Namespace) {
			continue
		}
		for _, p := range pods {
			if other.Matches(labels.Set(p.Labels)) {
				others = append(others, otherKey)
				break
			}
		}
	}
	c.selectorsMu.Unlock()
	if len(others) > 0 {
		msg := fmt.Sprintf("pods by selector %v are controlled by more than one HPA: %v", selector, append([]string{key}, others...))
		c.recorder.Event(hpa, corev1.EventTypeWarning, "AmbiguousSelector", msg)
		c.setCondition(hpa, v1alpha1.ScalingActive, corev1.ConditionFalse, "AmbiguousSelector", "%s", msg)
		return nil, errors.New(msg)
	}
	return parsed, nil
}

func sameNamespace(key, namespace string) bool {
	return len(key) > len(namespace) && key[:len(namespace)] == namespace && key[len(namespace)] == '/'
}

// computeReplicasForMetric returns the proposal of one metric and fills in
// its status; on failure it records a warning event and returns the
// condition to report.
func (c *Controller) computeReplicasForMetric(ctx context.Context, hpa *v1alpha1.HorizontalPodAutoscaler, spec v1alpha1.MetricSpec, specReplicas, statusReplicas int32,
	selector labels.Selector, status *v1alpha1.MetricStatus, opts Options) (int32, string, time.Time, metricCondition, error) {
	fail := func(reason string, err error) (int32, string, time.Time, metricCondition, error) {
		c.recorder.Event(hpa, corev1.EventTypeWarning, reason, err.Error())
		return 0, "", time.Time{}, metricCondition{reason: reason, message: fmt.Sprintf("the HPA was unable to compute the replica count: %v", err)}, err
	}
	switch spec.Type {
	case v1alpha1.ResourceMetricSourceType, v1alpha1.ContainerResourceMetricSourceType:
		var (
			name      corev1.ResourceName
			target    v1alpha1.MetricTarget
			container string
			reason    = "FailedGetResourceMetric"
		)
		switch {
		case spec.Type == v1alpha1.ResourceMetricSourceType && spec.Resource != nil:
			name, target = spec.Resource.Name, spec.Resource.Target
		case spec.Type == v1alpha1.ContainerResourceMetricSourceType && spec.ContainerResource != nil:
			name, target, container = spec.ContainerResource.Name, spec.ContainerResource.Target, spec.ContainerResource.Container
			reason = "FailedGetContainerResourceMetric"
		default:
			return fail(reason, fmt.Errorf("invalid %s metric source: the %s field is not set", spec.Type, spec.Type))
		}
		replicas, value, ts, metricName, err := c.resourceMetricReplicas(ctx, hpa.Namespace, specReplicas, target, name, container, opts, selector)
		if err != nil {
			if container != "" {
				return fail(reason, fmt.Errorf("failed to get %s container metric value: %w", container, err))
			}
			return fail(reason, fmt.Errorf("failed to get %s resource metric value: %w", name, err))
		}
		if container != "" {
			*status = v1alpha1.MetricStatus{Type: spec.Type, ContainerResource: &v1alpha1.ContainerResourceMetricStatus{Name: name, Container: container, Current: value}}
			metricName = fmt.Sprintf("%s container resource", name)
			if target.AverageValue == nil {
				metricName += " utilization (percentage of request)"
			}
		} else {
			*status = v1alpha1.MetricStatus{Type: spec.Type, Resource: &v1alpha1.ResourceMetricStatus{Name: name, Current: value}}
		}
		return replicas, metricName, ts, metricCondition{}, nil

	case v1alpha1.PodsMetricSourceType:
		if spec.Pods == nil || spec.Pods.Target.AverageValue == nil {
			return fail("FailedGetPodsMetric", errors.New("invalid pods metric source: an average value target is required"))
		}
		metricSelector, err := metav1.LabelSelectorAsSelector(spec.Pods.Metric.Selector)
		if err != nil {
			return fail("FailedGetPodsMetric", fmt.Errorf("failed to get pods metric value: %w", err))
		}
		replicas, usage, ts, err := c.calc.GetMetricReplicas(ctx, specReplicas, spec.Pods.Target.AverageValue.MilliValue(), spec.Pods.Metric.Name, opts, hpa.Namespace, selector, metricSelector)
		if err != nil {
			return fail("FailedGetPodsMetric", fmt.Errorf("failed to get pods metric value: %w", err))
		}
		*status = v1alpha1.MetricStatus{Type: spec.Type, Pods: &v1alpha1.PodsMetricStatus{
			Metric:  spec.Pods.Metric,
			Current: v1alpha1.MetricValueStatus{AverageValue: resource.NewMilliQuantity(usage, resource.DecimalSI)},
		}}
		return replicas, fmt.Sprintf("pods metric %s", spec.Pods.Metric.Name), ts, metricCondition{}, nil

	case v1alpha1.ObjectMetricSourceType:
		if spec.Object == nil {
			return fail("FailedGetObjectMetric", errors.New("invalid object metric source: the object field is not set"))
		}
		metricSelector, err := metav1.LabelSelectorAsSelector(spec.Object.Metric.Selector)
		if err != nil {
			return fail("FailedGetObjectMetric", fmt.Errorf("failed to get object metric value: %w", err))
		}
		objStatus := &v1alpha1.ObjectMetricStatus{DescribedObject: spec.Object.DescribedObject, Metric: spec.Object.Metric}
		var (
			replicas int32
			usage    int64
			ts       time.Time
		)
		switch {
		case spec.Object.Target.Type == v1alpha1.ValueMetricType && spec.Object.Target.Value != nil:
			replicas, usage, ts, err = c.calc.GetObjectMetricReplicas(ctx, specReplicas, spec.Object.Target.Value.MilliValue(), spec.Object.Metric.Name, opts,
				hpa.Namespace, &spec.Object.DescribedObject, selector, metricSelector)
			objStatus.Current.Value = resource.NewMilliQuantity(usage, resource.DecimalSI)
		case spec.Object.Target.Type == v1alpha1.AverageValueMetricType && spec.Object.Target.AverageValue != nil:
			replicas, usage, ts, err = c.calc.GetObjectPerPodMetricReplicas(ctx, statusReplicas, spec.Object.Target.AverageValue.MilliValue(), spec.Object.Metric.Name, opts,
				hpa.Namespace, &spec.Object.DescribedObject, metricSelector)
			objStatus.Current.AverageValue = resource.NewMilliQuantity(usage, resource.DecimalSI)
		default:
			err = errors.New("invalid object metric source: neither a value target nor an average value target was set")
		}
		if err != nil {
			return fail("FailedGetObjectMetric", fmt.Errorf("failed to get object metric value: %w", err))
		}
		*status = v1alpha1.MetricStatus{Type: spec.Type, Object: objStatus}
		return replicas, fmt.Sprintf("%s metric %s", spec.Object.DescribedObject.Kind, spec.Object.Metric.Name), ts, metricCondition{}, nil

	case v1alpha1.ExternalMetricSourceType:
		if spec.External == nil {
			return fail("FailedGetExternalMetric", errors.New("invalid external metric source: the external field is not set"))
		}
		extStatus := &v1alpha1.ExternalMetricStatus{Metric: spec.External.Metric}
		var (
			replicas int32
			usage    int64
			ts       time.Time
			err      error
		)
		switch {
		case spec.External.Target.AverageValue != nil:
			replicas, usage, ts, err = c.calc.GetExternalPerPodMetricReplicas(ctx, statusReplicas, spec.External.Target.AverageValue.MilliValue(), spec.External.Metric.Name, opts,
				hpa.Namespace, spec.External.Metric.Selector)
			extStatus.Current.AverageValue = resource.NewMilliQuantity(usage, resource.DecimalSI)
		case spec.External.Target.Value != nil:
			replicas, usage, ts, err = c.calc.GetExternalMetricReplicas(ctx, specReplicas, spec.External.Target.Value.MilliValue(), spec.External.Metric.Name, opts,
				hpa.Namespace, spec.External.Metric.Selector, selector)
			extStatus.Current.Value = resource.NewMilliQuantity(usage, resource.DecimalSI)
		default:
			err = errors.New("invalid external metric source: neither a value target nor an average value target was set")
		}
		if err != nil {
			return fail("FailedGetExternalMetric", fmt.Errorf("failed to get %s external metric value: %w", spec.External.Metric.Name, err))
		}
		*status = v1alpha1.MetricStatus{Type: spec.Type, External: extStatus}
		return replicas, fmt.Sprintf("external metric %s(%v)", spec.External.Metric.Name, metav1.FormatLabelSelector(spec.External.Metric.Selector)), ts, metricCondition{}, nil
	}
	return fail("InvalidMetricSourceType", fmt.Errorf("unknown metric source type %q", spec.Type))
}

// resourceMetricReplicas computes the proposal of a Resource or
// ContainerResource metric, by average value or by utilization.
func (c *Controller) resourceMetricReplicas(ctx context.Context, namespace string, currentReplicas int32, target v1alpha1.MetricTarget, name corev1.ResourceName,
	container string, opts Options, selector labels.Selector) (int32, v1alpha1.MetricValueStatus, time.Time, string, error) {
	if target.AverageValue != nil {
		replicas, usage, ts, err := c.calc.GetRawResourceReplicas(ctx, currentReplicas, target.AverageValue.MilliValue(), name, opts, namespace, selector, container)
		if err != nil {
			return 0, v1alpha1.MetricValueStatus{}, time.Time{}, "", fmt.Errorf("failed to get %s usage: %w", name, err)
		}
		q := quantityFor(name, usage)
		return replicas, v1alpha1.MetricValueStatus{AverageValue: &q}, ts, fmt.Sprintf("%s resource", name), nil
	}
	if target.AverageUtilization == nil {
		return 0, v1alpha1.MetricValueStatus{}, time.Time{}, "", errors.New("invalid resource metric source: neither an average utilization target nor an average value (usage) target was set")
	}
	replicas, utilization, usage, ts, err := c.calc.GetResourceReplicas(ctx, currentReplicas, *target.AverageUtilization, name, opts, namespace, selector, container)
	if err != nil {
		return 0, v1alpha1.MetricValueStatus{}, time.Time{}, "", fmt.Errorf("failed to get %s utilization: %w", name, err)
	}
	q := quantityFor(name, usage)
	return replicas, v1alpha1.MetricValueStatus{AverageUtilization: &utilization, AverageValue: &q},
		ts, fmt.Sprintf("%s resource utilization (percentage of request)", name), nil
}

// quantityFor formats a milli-value as metrics-server does: memory in binary
// units, everything else in decimal ones.
func quantityFor(name corev1.ResourceName, milli int64) resource.Quantity {
	format := resource.DecimalSI
	if name == corev1.ResourceMemory {
		format = resource.BinarySI
	}
	return *resource.NewMilliQuantity(milli, format)
}

// tolerances returns the autoscaler's tolerances: behavior's per direction,
// else the controller's default.
func (c *Controller) tolerances(hpa *v1alpha1.HorizontalPodAutoscaler) Tolerances {
	t := Tolerances{ScaleDown: c.config.Tolerance, ScaleUp: c.config.Tolerance}
	if b := hpa.Spec.Behavior; b != nil {
		if b.ScaleDown != nil && b.ScaleDown.Tolerance != nil {
			t.ScaleDown = b.ScaleDown.Tolerance.AsApproximateFloat64()
		}
		if b.ScaleUp != nil && b.ScaleUp.Tolerance != nil {
			t.ScaleUp = b.ScaleUp.Tolerance.AsApproximateFloat64()
		}
	}
	return t
}
