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
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/klog/v2"
	customapi "k8s.io/metrics/pkg/apis/custom_metrics/v1beta2"
	metricsapi "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	resourceclient "k8s.io/metrics/pkg/client/clientset/versioned/typed/metrics/v1beta1"
	customclient "k8s.io/metrics/pkg/client/custom_metrics"
	externalclient "k8s.io/metrics/pkg/client/external_metrics"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// defaultMetricWindow is the window assumed for a custom metric that does
// not report one.
const defaultMetricWindow = time.Minute

// PodMetric is one pod's sample of a metric, in milli-units.
type PodMetric struct {
	Timestamp time.Time
	Window    time.Duration
	Value     int64
}

// PodMetricsInfo maps pod names to their samples.
type PodMetricsInfo map[string]PodMetric

// MetricsClient reads the metrics an autoscaler scales on.
type MetricsClient interface {
	// GetResourceMetric returns the usage of resource by the pods matching
	// selector (the sum over their containers, or only container when it is
	// set) from the resource metrics API, and the time of the samples.
	GetResourceMetric(ctx context.Context, resource corev1.ResourceName, namespace string, selector labels.Selector, container string) (PodMetricsInfo, time.Time, error)
	// GetRawMetric returns a per-pod custom metric of the pods matching
	// selector.
	GetRawMetric(ctx context.Context, metricName, namespace string, selector, metricSelector labels.Selector) (PodMetricsInfo, time.Time, error)
	// GetObjectMetric returns a custom metric describing one object.
	GetObjectMetric(ctx context.Context, metricName, namespace string, ref *v1alpha1.CrossVersionObjectReference, metricSelector labels.Selector) (int64, time.Time, error)
	// GetExternalMetric returns the values of an external metric.
	GetExternalMetric(ctx context.Context, metricName, namespace string, selector labels.Selector) ([]int64, time.Time, error)
}

// NewRESTMetricsClient returns a MetricsClient over the resource
// (metrics.k8s.io), custom (custom.metrics.k8s.io) and external
// (external.metrics.k8s.io) metrics APIs.
func NewRESTMetricsClient(resources resourceclient.PodMetricsesGetter, custom customclient.CustomMetricsClient, external externalclient.ExternalMetricsClient) MetricsClient {
	return &restMetricsClient{resources: resources, custom: custom, external: external}
}

type restMetricsClient struct {
	resources resourceclient.PodMetricsesGetter
	custom    customclient.CustomMetricsClient
	external  externalclient.ExternalMetricsClient
}

func (c *restMetricsClient) GetResourceMetric(ctx context.Context, resource corev1.ResourceName, namespace string, selector labels.Selector, container string) (PodMetricsInfo, time.Time, error) {
	list, err := c.resources.PodMetricses(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector.String()})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("unable to fetch metrics from resource metrics API: %w", err)
	}
	if len(list.Items) == 0 {
		return nil, time.Time{}, errors.New("no metrics returned from resource metrics API")
	}
	logger := klog.FromContext(ctx)
	res := make(PodMetricsInfo, len(list.Items))
	for i := range list.Items {
		m := &list.Items[i]
		if value, ok := podUsage(logger, m, resource, container); ok {
			res[m.Name] = PodMetric{Timestamp: m.Timestamp.Time, Window: m.Window.Duration, Value: value}
		}
	}
	return res, list.Items[0].Timestamp.Time, nil
}

// podUsage sums the usage of resource over the containers of m, or returns
// the usage of the one named container. A pod without a sample for every
// container counted has no usage.
func podUsage(logger klog.Logger, m *metricsapi.PodMetrics, resource corev1.ResourceName, container string) (int64, bool) {
	if container != "" {
		for _, c := range m.Containers {
			if c.Name != container {
				continue
			}
			v, ok := c.Usage[resource]
			if !ok {
				logger.V(2).Info("Missing container resource metric", "container", container, "resource", resource, "pod", klog.KRef(m.Namespace, m.Name))
				return 0, false
			}
			return v.MilliValue(), true
		}
		logger.V(2).Info("Missing container metric", "container", container, "pod", klog.KRef(m.Namespace, m.Name))
		return 0, false
	}
	if len(m.Containers) == 0 {
		return 0, false
	}
	var sum int64
	for _, c := range m.Containers {
		v, ok := c.Usage[resource]
		if !ok {
			logger.V(2).Info("Missing resource metric", "resource", resource, "pod", klog.KRef(m.Namespace, m.Name), "container", c.Name)
			return 0, false
		}
		sum += v.MilliValue()
	}
	return sum, true
}

func (c *restMetricsClient) GetRawMetric(_ context.Context, metricName, namespace string, selector, metricSelector labels.Selector) (PodMetricsInfo, time.Time, error) {
	list, err := c.custom.NamespacedMetrics(namespace).GetForObjects(schema.GroupKind{Kind: "Pod"}, selector, metricName, metricSelector)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("unable to fetch metrics from custom metrics API: %w", err)
	}
	if len(list.Items) == 0 {
		return nil, time.Time{}, errors.New("no metrics returned from custom metrics API")
	}
	res := make(PodMetricsInfo, len(list.Items))
	for _, m := range list.Items {
		window := defaultMetricWindow
		if m.WindowSeconds != nil {
			window = time.Duration(*m.WindowSeconds) * time.Second
		}
		res[m.DescribedObject.Name] = PodMetric{Timestamp: m.Timestamp.Time, Window: window, Value: m.Value.MilliValue()}
	}
	return res, list.Items[0].Timestamp.Time, nil
}

func (c *restMetricsClient) GetObjectMetric(_ context.Context, metricName, namespace string, ref *v1alpha1.CrossVersionObjectReference, metricSelector labels.Selector) (int64, time.Time, error) {
	gvk := schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind)
	var (
		value *customapi.MetricValue
		err   error
	)
	if gvk.Group == "" && gvk.Kind == "Namespace" {
		value, err = c.custom.RootScopedMetrics().GetForObject(gvk.GroupKind(), namespace, metricName, metricSelector)
	} else {
		value, err = c.custom.NamespacedMetrics(namespace).GetForObject(gvk.GroupKind(), ref.Name, metricName, metricSelector)
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("unable to fetch metrics from custom metrics API: %w", err)
	}
	return value.Value.MilliValue(), value.Timestamp.Time, nil
}

func (c *restMetricsClient) GetExternalMetric(_ context.Context, metricName, namespace string, selector labels.Selector) ([]int64, time.Time, error) {
	list, err := c.external.NamespacedMetrics(namespace).List(metricName, selector)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("unable to fetch metrics from external metrics API: %w", err)
	}
	if len(list.Items) == 0 {
		return nil, time.Time{}, errors.New("no metrics returned from external metrics API")
	}
	res := make([]int64, 0, len(list.Items))
	for _, m := range list.Items {
		res = append(res, m.Value.MilliValue())
	}
	return res, list.Items[0].Timestamp.Time, nil
}
