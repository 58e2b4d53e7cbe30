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
	"math"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"
	corelisters "k8s.io/client-go/listers/core/v1"
	resourcehelpers "k8s.io/component-helpers/resource"
	"k8s.io/utils/clock"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/internal/controllerutil"
)

// Tolerances are the fractions by which the usage ratio may exceed (up) or
// fall short of (down) 1.0 without a change of replicas.
type Tolerances struct {
	ScaleDown float64
	ScaleUp   float64
}

func (t Tolerances) String() string {
	return fmt.Sprintf("[down:%.1f%%, up:%.1f%%]", t.ScaleDown*100, t.ScaleUp*100)
}

func (t Tolerances) isWithin(ratio float64) bool {
	return 1.0-t.ScaleDown <= ratio && ratio <= 1.0+t.ScaleUp
}

// Options are the per-autoscaler settings of a replica computation.
type Options struct {
	Tolerances Tolerances
	// RolloutAware is set for targets in the experimental group (our own
	// Deployments, ReplicaSets and Jobs); it leaves upstream's computation
	// for every other target untouched. It changes two things, so that pods
	// that exist only because of a rollout or a scale-down are not read as
	// extra load (kubernetes/kubernetes#72775):
	//
	//   - Terminating pods (a deletion timestamp) are not counted as ready
	//     pods by the Object and External value computations (upstream counts
	//     every running, ready pod there). Every computation from pod samples
	//     already ignores them, as upstream does.
	//   - The pod count a proposal is scaled from is capped at the target's
	//     spec.replicas. Usage and utilization are still averaged over every
	//     counted pod, the surge pods of a rolling update included (they
	//     share the load), but the proposal is ratio × min(counted pods,
	//     spec.replicas): with spec.replicas 10 and 13 pods mid-rollout at
	//     80% of the target, upstream proposes ceil(0.8 × 13) = 11, a
	//     scale-up below target; here ceil(0.8 × 10) = 8.
	RolloutAware bool
}

// base returns the pod count a proposal is scaled from: counted, capped at
// currentReplicas (spec.replicas) when the computation is rollout-aware.
func (o Options) base(counted int, currentReplicas int32) int {
	if o.RolloutAware && counted > int(currentReplicas) {
		return int(currentReplicas)
	}
	return counted
}

// ReplicaCalculator turns metric samples of a target's pods into a replica
// count.
type ReplicaCalculator struct {
	metrics   MetricsClient
	podLister corelisters.PodLister
	clock     clock.PassiveClock
	// cpuInitializationPeriod: during it after a pod started, CPU samples
	// are used only once the pod is ready and a full metric window passed
	// since it became ready.
	cpuInitializationPeriod time.Duration
	// delayOfInitialReadinessStatus: after the initialization period, an
	// unready pod whose readiness last changed within this delay of its
	// start (it never became ready) is ignored.
	delayOfInitialReadinessStatus time.Duration
}

// NewReplicaCalculator returns a calculator reading samples from metrics and
// pods from podLister.
func NewReplicaCalculator(metrics MetricsClient, podLister corelisters.PodLister, clk clock.PassiveClock, cpuInitializationPeriod, delayOfInitialReadinessStatus time.Duration) *ReplicaCalculator {
	return &ReplicaCalculator{
		metrics:                       metrics,
		podLister:                     podLister,
		clock:                         clk,
		cpuInitializationPeriod:       cpuInitializationPeriod,
		delayOfInitialReadinessStatus: delayOfInitialReadinessStatus,
	}
}

// GetResourceReplicas computes the replicas that bring the average
// utilization of resource (usage as a percentage of requests) of the pods
// matching selector to targetUtilization. It also returns the current
// utilization and the average raw usage (milli-units).
func (c *ReplicaCalculator) GetResourceReplicas(ctx context.Context, currentReplicas, targetUtilization int32, resource corev1.ResourceName, opts Options,
	namespace string, selector labels.Selector, container string) (replicas int32, utilization int32, rawUsage int64, timestamp time.Time, err error) {
	metrics, timestamp, err := c.metrics.GetResourceMetric(ctx, resource, namespace, selector, container)
	if err != nil {
		return 0, 0, 0, time.Time{}, fmt.Errorf("unable to get metrics for resource %s: %w", resource, err)
	}
	pods, err := c.listPods(namespace, selector)
	if err != nil {
		return 0, 0, 0, time.Time{}, err
	}
	readyCount, unready, missing, ignored := c.groupPods(pods, metrics, resource)
	removeMetricsForPods(metrics, ignored)
	removeMetricsForPods(metrics, unready)
	if len(metrics) == 0 {
		return 0, 0, 0, time.Time{}, errors.New("did not receive metrics for targeted pods (pods might be unready)")
	}
	requests, err := calculateRequests(pods, container, resource)
	if err != nil {
		return 0, 0, 0, time.Time{}, err
	}
	ratio, utilization, rawUsage, err := utilizationRatio(metrics, requests, targetUtilization)
	if err != nil {
		return 0, 0, 0, time.Time{}, err
	}

	scaleUpWithUnready := len(unready) > 0 && ratio > 1.0
	if !scaleUpWithUnready && len(missing) == 0 {
		if opts.Tolerances.isWithin(ratio) {
			return currentReplicas, utilization, rawUsage, timestamp, nil
		}
		return ceilReplicas(ratio * float64(opts.base(readyCount, currentReplicas))), utilization, rawUsage, timestamp, nil
	}

	// Be conservative with pods without a usable sample: on a scale-down
	// assume missing pods use 100% of their request (or the target, when it
	// is higher), on a scale-up assume missing and unready pods use nothing.
	if len(missing) > 0 {
		switch {
		case ratio < 1.0:
			fallback := int64(max(100, targetUtilization))
			for name := range missing {
				metrics[name] = PodMetric{Value: requests[name] * fallback / 100}
			}
		case ratio > 1.0:
			for name := range missing {
				metrics[name] = PodMetric{Value: 0}
			}
		}
	}
	if scaleUpWithUnready {
		for name := range unready {
			metrics[name] = PodMetric{Value: 0}
		}
	}
	newRatio, _, _, err := utilizationRatio(metrics, requests, targetUtilization)
	if err != nil {
		return 0, utilization, rawUsage, time.Time{}, err
	}
	return stableReplicas(currentReplicas, ratio, newRatio, opts.base(len(metrics), currentReplicas), opts.Tolerances), utilization, rawUsage, timestamp, nil
}

// stableReplicas is the replica count after the conservative re-computation:
// unchanged when the new ratio is within tolerance or points the other way
// than the original one.
func stableReplicas(currentReplicas int32, ratio, newRatio float64, samples int, tolerances Tolerances) int32 {
	if tolerances.isWithin(newRatio) || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0) {
		return currentReplicas
	}
	replicas := ceilReplicas(newRatio * float64(samples))
	if (newRatio < 1.0 && replicas > currentReplicas) || (newRatio > 1.0 && replicas < currentReplicas) {
		return currentReplicas
	}
	return replicas
}

// GetRawResourceReplicas computes the replicas that bring the average usage
// of resource (milli-units) of the pods matching selector to targetUsage.
func (c *ReplicaCalculator) GetRawResourceReplicas(ctx context.Context, currentReplicas int32, targetUsage int64, resource corev1.ResourceName, opts Options,
	namespace string, selector labels.Selector, container string) (replicas int32, usage int64, timestamp time.Time, err error) {
	metrics, timestamp, err := c.metrics.GetResourceMetric(ctx, resource, namespace, selector, container)
	if err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("unable to get metrics for resource %s: %w", resource, err)
	}
	replicas, usage, err = c.plainMetricReplicas(metrics, currentReplicas, targetUsage, opts, namespace, selector, resource)
	return replicas, usage, timestamp, err
}

// GetMetricReplicas computes the replicas that bring the average of a
// per-pod custom metric to targetUsage.
func (c *ReplicaCalculator) GetMetricReplicas(ctx context.Context, currentReplicas int32, targetUsage int64, metricName string, opts Options,
	namespace string, selector, metricSelector labels.Selector) (replicas int32, usage int64, timestamp time.Time, err error) {
	metrics, timestamp, err := c.metrics.GetRawMetric(ctx, metricName, namespace, selector, metricSelector)
	if err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("unable to get metric %s: %w", metricName, err)
	}
	replicas, usage, err = c.plainMetricReplicas(metrics, currentReplicas, targetUsage, opts, namespace, selector, "")
	return replicas, usage, timestamp, err
}

// plainMetricReplicas is the replica computation for average values.
func (c *ReplicaCalculator) plainMetricReplicas(metrics PodMetricsInfo, currentReplicas int32, targetUsage int64, opts Options,
	namespace string, selector labels.Selector, resource corev1.ResourceName) (int32, int64, error) {
	pods, err := c.listPods(namespace, selector)
	if err != nil {
		return 0, 0, err
	}
	readyCount, unready, missing, ignored := c.groupPods(pods, metrics, resource)
	removeMetricsForPods(metrics, ignored)
	removeMetricsForPods(metrics, unready)
	if len(metrics) == 0 {
		return 0, 0, errors.New("did not receive metrics for targeted pods (pods might be unready)")
	}
	ratio, usage := usageRatio(metrics, targetUsage)

	scaleUpWithUnready := len(unready) > 0 && ratio > 1.0
	if !scaleUpWithUnready && len(missing) == 0 {
		if opts.Tolerances.isWithin(ratio) {
			return currentReplicas, usage, nil
		}
		return ceilReplicas(ratio * float64(opts.base(readyCount, currentReplicas))), usage, nil
	}
	if len(missing) > 0 {
		switch {
		case ratio < 1.0:
			// On a scale-down, missing pods are assumed at the target.
			for name := range missing {
				metrics[name] = PodMetric{Value: targetUsage}
			}
		case ratio > 1.0:
			for name := range missing {
				metrics[name] = PodMetric{Value: 0}
			}
		}
	}
	if scaleUpWithUnready {
		for name := range unready {
			metrics[name] = PodMetric{Value: 0}
		}
	}
	newRatio, _ := usageRatio(metrics, targetUsage)
	return stableReplicas(currentReplicas, ratio, newRatio, opts.base(len(metrics), currentReplicas), opts.Tolerances), usage, nil
}

// GetObjectMetricReplicas computes the replicas from a metric describing one
// object against a target value.
func (c *ReplicaCalculator) GetObjectMetricReplicas(ctx context.Context, currentReplicas int32, targetUsage int64, metricName string, opts Options,
	namespace string, ref *v1alpha1.CrossVersionObjectReference, selector, metricSelector labels.Selector) (replicas int32, usage int64, timestamp time.Time, err error) {
	usage, timestamp, err = c.metrics.GetObjectMetric(ctx, metricName, namespace, ref, metricSelector)
	if err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("unable to get metric %s on %s %s/%s: %w", metricName, ref.Kind, namespace, ref.Name, err)
	}
	replicas, err = c.usageRatioReplicas(currentReplicas, float64(usage)/float64(targetUsage), opts, namespace, selector)
	return replicas, usage, timestamp, err
}

// GetObjectPerPodMetricReplicas computes the replicas from a metric
// describing one object against a per-pod target average.
func (c *ReplicaCalculator) GetObjectPerPodMetricReplicas(ctx context.Context, statusReplicas int32, targetAverageUsage int64, metricName string, opts Options,
	namespace string, ref *v1alpha1.CrossVersionObjectReference, metricSelector labels.Selector) (replicas int32, usage int64, timestamp time.Time, err error) {
	usage, timestamp, err = c.metrics.GetObjectMetric(ctx, metricName, namespace, ref, metricSelector)
	if err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("unable to get metric %s on %s %s/%s: %w", metricName, ref.Kind, namespace, ref.Name, err)
	}
	replicas, usage = perPodReplicas(statusReplicas, usage, targetAverageUsage, opts.Tolerances)
	return replicas, usage, timestamp, nil
}

// GetExternalMetricReplicas computes the replicas from the total of an
// external metric against a target value.
func (c *ReplicaCalculator) GetExternalMetricReplicas(ctx context.Context, currentReplicas int32, targetUsage int64, metricName string, opts Options,
	namespace string, metricSelector *metav1.LabelSelector, podSelector labels.Selector) (replicas int32, usage int64, timestamp time.Time, err error) {
	usage, timestamp, err = c.externalTotal(ctx, metricName, namespace, metricSelector)
	if err != nil {
		return 0, 0, time.Time{}, err
	}
	replicas, err = c.usageRatioReplicas(currentReplicas, float64(usage)/float64(targetUsage), opts, namespace, podSelector)
	return replicas, usage, timestamp, err
}

// GetExternalPerPodMetricReplicas computes the replicas from the total of an
// external metric against a per-pod target average.
func (c *ReplicaCalculator) GetExternalPerPodMetricReplicas(ctx context.Context, statusReplicas int32, targetUsagePerPod int64, metricName string, opts Options,
	namespace string, metricSelector *metav1.LabelSelector) (replicas int32, usage int64, timestamp time.Time, err error) {
	usage, timestamp, err = c.externalTotal(ctx, metricName, namespace, metricSelector)
	if err != nil {
		return 0, 0, time.Time{}, err
	}
	replicas, usage = perPodReplicas(statusReplicas, usage, targetUsagePerPod, opts.Tolerances)
	return replicas, usage, timestamp, nil
}

func (c *ReplicaCalculator) externalTotal(ctx context.Context, metricName, namespace string, metricSelector *metav1.LabelSelector) (int64, time.Time, error) {
	selector, err := metav1.LabelSelectorAsSelector(metricSelector)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("invalid selector of external metric %s: %w", metricName, err)
	}
	values, timestamp, err := c.metrics.GetExternalMetric(ctx, metricName, namespace, selector)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("unable to get external metric %s/%s/%v: %w", namespace, metricName, selector, err)
	}
	var total int64
	for _, v := range values {
		if v > 0 && total > math.MaxInt64-v {
			return math.MaxInt64, timestamp, nil
		}
		total += v
	}
	return total, timestamp, nil
}

// perPodReplicas divides a total by a per-pod target.
func perPodReplicas(statusReplicas int32, total, targetPerPod int64, tolerances Tolerances) (int32, int64) {
	replicas := statusReplicas
	if statusReplicas == 0 {
		return ceilReplicas(float64(total) / float64(targetPerPod)), total
	}
	ratio := float64(total) / (float64(targetPerPod) * float64(statusReplicas))
	if !tolerances.isWithin(ratio) {
		replicas = ceilReplicas(float64(total) / float64(targetPerPod))
	}
	return replicas, int64(math.Ceil(float64(total) / float64(statusReplicas)))
}

// usageRatioReplicas scales the number of ready pods by ratio; from zero
// replicas it proposes ceil(ratio). Rollout-aware, terminating pods are not
// ready pods and the count is capped at currentReplicas.
func (c *ReplicaCalculator) usageRatioReplicas(currentReplicas int32, ratio float64, opts Options, namespace string, selector labels.Selector) (int32, error) {
	if currentReplicas == 0 {
		return ceilReplicas(ratio), nil
	}
	if opts.Tolerances.isWithin(ratio) {
		return currentReplicas, nil
	}
	pods, err := c.listPods(namespace, selector)
	if err != nil {
		return 0, fmt.Errorf("unable to calculate ready pods: %w", err)
	}
	ready := 0
	for _, p := range pods {
		if opts.RolloutAware && p.DeletionTimestamp != nil {
			continue
		}
		if p.Status.Phase == corev1.PodRunning && controllerutil.IsPodReady(p) {
			ready++
		}
	}
	return ceilReplicas(ratio * float64(opts.base(ready, currentReplicas))), nil
}

func (c *ReplicaCalculator) listPods(namespace string, selector labels.Selector) ([]*corev1.Pod, error) {
	pods, err := c.podLister.Pods(namespace).List(selector)
	if err != nil {
		return nil, fmt.Errorf("unable to get pods while calculating replica count: %w", err)
	}
	if len(pods) == 0 {
		return nil, errors.New("no pods returned by selector while calculating replica count")
	}
	return pods, nil
}

// groupPods sorts pods into ready ones with a sample (counted), unready ones
// (pending, or for CPU not yet ready / still initializing), ones without a
// sample (missing), and deleted or failed ones (ignored).
func (c *ReplicaCalculator) groupPods(pods []*corev1.Pod, metrics PodMetricsInfo, resource corev1.ResourceName) (readyCount int, unready, missing, ignored sets.Set[string]) {
	unready, missing, ignored = sets.New[string](), sets.New[string](), sets.New[string]()
	now := c.clock.Now()
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodFailed {
			ignored.Insert(pod.Name)
			continue
		}
		if pod.Status.Phase == corev1.PodPending {
			unready.Insert(pod.Name)
			continue
		}
		metric, found := metrics[pod.Name]
		if !found {
			missing.Insert(pod.Name)
			continue
		}
		if resource == corev1.ResourceCPU && c.cpuSampleUnusable(pod, metric, now) {
			unready.Insert(pod.Name)
			continue
		}
		readyCount++
	}
	return readyCount, unready, missing, ignored
}

// cpuSampleUnusable reports whether a CPU sample of pod must not be trusted:
// during the CPU initialization period, unless the pod is ready and the
// sample was taken a full window after it became ready; afterwards, when the
// pod is unready and never was ready.
func (c *ReplicaCalculator) cpuSampleUnusable(pod *corev1.Pod, metric PodMetric, now time.Time) bool {
	var ready *corev1.PodCondition
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodReady {
			ready = &pod.Status.Conditions[i]
			break
		}
	}
	if ready == nil || pod.Status.StartTime == nil {
		return true
	}
	if pod.Status.StartTime.Add(c.cpuInitializationPeriod).After(now) {
		return ready.Status == corev1.ConditionFalse || metric.Timestamp.Before(ready.LastTransitionTime.Add(metric.Window))
	}
	return ready.Status == corev1.ConditionFalse && pod.Status.StartTime.Add(c.delayOfInitialReadinessStatus).After(ready.LastTransitionTime.Time)
}

// calculateRequests returns each pod's request of resource in milli-units:
// the named container's, else the pod-level request when one is set, else
// the sum over the containers (and restartable init containers). A missing
// request is an error, since utilization is relative to it.
func calculateRequests(pods []*corev1.Pod, container string, resource corev1.ResourceName) (map[string]int64, error) {
	requests := make(map[string]int64, len(pods))
	// By name, so that a missing request is reported for the same pod on
	// every sync (the cache lists pods in no particular order).
	pods = slices.SortedFunc(slices.Values(pods), func(a, b *corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	for _, pod := range pods {
		if container == "" && resourcehelpers.IsPodLevelRequestsSet(pod) {
			q, ok := resourcehelpers.PodRequests(pod, resourcehelpers.PodResourcesOptions{})[resource]
			if !ok {
				return nil, fmt.Errorf("missing pod-level request for %s in Pod %s", resource, pod.Name)
			}
			requests[pod.Name] = q.MilliValue()
			continue
		}
		request, err := containerRequests(pod, container, resource)
		if err != nil {
			return nil, err
		}
		requests[pod.Name] = request
	}
	return requests, nil
}

func containerRequests(pod *corev1.Pod, container string, resource corev1.ResourceName) (int64, error) {
	containers := append([]corev1.Container{}, pod.Spec.Containers...)
	for _, c := range pod.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			containers = append(containers, c)
		}
	}
	var total int64
	for _, c := range containers {
		if container != "" && c.Name != container {
			continue
		}
		q, ok := c.Resources.Requests[resource]
		if !ok {
			return 0, fmt.Errorf("missing request for %s in container %s of Pod %s", resource, c.Name, pod.Name)
		}
		if container != "" {
			return q.MilliValue(), nil
		}
		total += q.MilliValue()
	}
	if container != "" {
		return 0, fmt.Errorf("container %s not found in Pod %s", container, pod.Name)
	}
	return total, nil
}

func removeMetricsForPods(metrics PodMetricsInfo, pods sets.Set[string]) {
	for name := range pods {
		delete(metrics, name)
	}
}

// utilizationRatio returns the ratio of the current to the target
// utilization, the current utilization (percent of requests) and the
// average raw usage, over the pods that have both a sample and a request.
func utilizationRatio(metrics PodMetricsInfo, requests map[string]int64, targetUtilization int32) (float64, int32, int64, error) {
	var usageTotal, requestsTotal int64
	n := 0
	for name, m := range metrics {
		request, ok := requests[name]
		if !ok {
			continue
		}
		usageTotal += m.Value
		requestsTotal += request
		n++
	}
	if requestsTotal == 0 {
		return 0, 0, 0, errors.New("no metrics returned matched known pods")
	}
	utilization := int32(usageTotal * 100 / requestsTotal)
	return float64(utilization) / float64(targetUtilization), utilization, usageTotal / int64(n), nil
}

// usageRatio returns the ratio of the average sample to the target, and the
// average.
func usageRatio(metrics PodMetricsInfo, targetUsage int64) (float64, int64) {
	var total int64
	for _, m := range metrics {
		total += m.Value
	}
	avg := total / int64(len(metrics))
	return float64(avg) / float64(targetUsage), avg
}

// ceilReplicas rounds a replica proposal up, capped at MaxInt32.
func ceilReplicas(f float64) int32 {
	if f >= math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(math.Ceil(f))
}
