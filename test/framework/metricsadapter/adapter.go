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

// Package metricsadapter is a test utility, not part of the product: a
// custom and external metrics API server (custom.metrics.k8s.io and
// external.metrics.k8s.io, v1beta1) that serves the values a test sets. It
// plays the part a metrics adapter such as prometheus-adapter or KEDA's
// metrics server plays in a real cluster, so that end-to-end tests can drive
// HorizontalPodAutoscalers from Object and External metrics (a queue length,
// say) through the real kube-apiserver aggregation layer and the real
// autoscaler.
//
// It is built on sigs.k8s.io/custom-metrics-apiserver, the library those
// adapters use, runs inside the test process on a loopback port, and is
// registered with the test cluster through two APIServices, like
// metrics-server.
package metricsadapter

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/pflag"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/metrics/pkg/apis/custom_metrics"
	"k8s.io/metrics/pkg/apis/external_metrics"
	basecmd "sigs.k8s.io/custom-metrics-apiserver/pkg/cmd"
	"sigs.k8s.io/custom-metrics-apiserver/pkg/provider"
	"sigs.k8s.io/custom-metrics-apiserver/pkg/provider/helpers"

	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

// APIService names the adapter registers.
const (
	CustomMetricsAPIServiceName   = "v1beta1.custom.metrics.k8s.io"
	ExternalMetricsAPIServiceName = "v1beta1.external.metrics.k8s.io"
)

// Adapter serves the metric values set with SetExternal and SetObject.
// Metrics that were never set (or were deleted) are answered 404, as an
// adapter answers for a metric its source does not have.
type Adapter struct {
	mapper apimeta.RESTMapper

	mu       sync.Mutex
	external map[externalKey]resource.Quantity
	object   map[objectKey]resource.Quantity
}

type externalKey struct{ namespace, metric string }

type objectKey struct {
	resource        schema.GroupResource
	namespace, name string
	metric          string
}

// SetExternal sets the value of external metric metric in namespace (any
// metric selector matches it).
func (a *Adapter) SetExternal(namespace, metric string, value resource.Quantity) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.external[externalKey{namespace, metric}] = value
}

// DeleteExternal makes external metric metric in namespace unavailable.
func (a *Adapter) DeleteExternal(namespace, metric string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.external, externalKey{namespace, metric})
}

// SetObject sets metric of the object resource namespace/name (for an
// autoscaler's Object metric source).
func (a *Adapter) SetObject(gr schema.GroupResource, namespace, name, metric string, value resource.Quantity) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.object[objectKey{gr, namespace, name, metric}] = value
}

// GetExternalMetric implements provider.ExternalMetricsProvider.
func (a *Adapter) GetExternalMetric(_ context.Context, namespace string, _ labels.Selector, info provider.ExternalMetricInfo) (*external_metrics.ExternalMetricValueList, error) {
	a.mu.Lock()
	v, ok := a.external[externalKey{namespace, info.Metric}]
	a.mu.Unlock()
	if !ok {
		return nil, provider.NewMetricNotFoundError(schema.GroupResource{Group: "external.metrics.k8s.io"}, info.Metric)
	}
	return &external_metrics.ExternalMetricValueList{Items: []external_metrics.ExternalMetricValue{{
		MetricName: info.Metric,
		Timestamp:  metav1.Now(),
		Value:      v,
	}}}, nil
}

// ListAllExternalMetrics implements provider.ExternalMetricsProvider.
func (a *Adapter) ListAllExternalMetrics() []provider.ExternalMetricInfo {
	a.mu.Lock()
	defer a.mu.Unlock()
	seen := map[string]bool{}
	var out []provider.ExternalMetricInfo
	for k := range a.external {
		if !seen[k.metric] {
			seen[k.metric] = true
			out = append(out, provider.ExternalMetricInfo{Metric: k.metric})
		}
	}
	return out
}

// GetMetricByName implements provider.CustomMetricsProvider.
func (a *Adapter) GetMetricByName(_ context.Context, name types.NamespacedName, info provider.CustomMetricInfo, _ labels.Selector) (*custom_metrics.MetricValue, error) {
	a.mu.Lock()
	v, ok := a.object[objectKey{info.GroupResource, name.Namespace, name.Name, info.Metric}]
	a.mu.Unlock()
	if !ok {
		return nil, provider.NewMetricNotFoundForError(info.GroupResource, info.Metric, name.Name)
	}
	ref, err := helpers.ReferenceFor(a.mapper, name, info)
	if err != nil {
		return nil, err
	}
	return &custom_metrics.MetricValue{
		DescribedObject: ref,
		Metric:          custom_metrics.MetricIdentifier{Name: info.Metric},
		Timestamp:       metav1.Now(),
		Value:           v,
	}, nil
}

// GetMetricBySelector implements provider.CustomMetricsProvider. The tests
// use Object metrics only; a selector query finds nothing.
func (a *Adapter) GetMetricBySelector(_ context.Context, _ string, _ labels.Selector, info provider.CustomMetricInfo, _ labels.Selector) (*custom_metrics.MetricValueList, error) {
	return nil, provider.NewMetricNotFoundError(info.GroupResource, info.Metric)
}

// ListAllMetrics implements provider.CustomMetricsProvider.
func (a *Adapter) ListAllMetrics() []provider.CustomMetricInfo {
	a.mu.Lock()
	defer a.mu.Unlock()
	seen := map[provider.CustomMetricInfo]bool{}
	var out []provider.CustomMetricInfo
	for k := range a.object {
		info := provider.CustomMetricInfo{GroupResource: k.resource, Namespaced: k.namespace != "", Metric: k.metric}
		if !seen[info] {
			seen[info] = true
			out = append(out, info)
		}
	}
	return out
}

// Start runs an adapter for cluster c until ctx is done, registers its
// APIServices and waits until kube-apiserver reports both available.
func Start(ctx context.Context, c *framework.Cluster) (*Adapter, error) {
	port, err := framework.FreePort()
	if err != nil {
		return nil, err
	}
	base := &basecmd.AdapterBase{Name: "test-metrics-adapter", FlagSet: pflag.NewFlagSet("test-metrics-adapter", pflag.ContinueOnError)}
	base.InstallFlags()
	if err := base.Flags().Parse([]string{
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--tls-cert-file=" + c.PKI.MetricsAdapterServingCert,
		"--tls-private-key-file=" + c.PKI.MetricsAdapterServingKey,
		"--lister-kubeconfig=" + c.KubeconfigPath,
		"--authentication-kubeconfig=" + c.KubeconfigPath,
		"--authorization-kubeconfig=" + c.KubeconfigPath,
		"--discovery-interval=10s",
	}); err != nil {
		return nil, fmt.Errorf("metrics adapter flags: %w", err)
	}
	mapper, err := base.RESTMapper()
	if err != nil {
		return nil, fmt.Errorf("metrics adapter REST mapper: %w", err)
	}
	a := &Adapter{mapper: mapper, external: map[externalKey]resource.Quantity{}, object: map[objectKey]resource.Quantity{}}
	base.WithCustomMetrics(a)
	base.WithExternalMetrics(a)
	server, err := base.Server()
	if err != nil {
		return nil, fmt.Errorf("metrics adapter server: %w", err)
	}
	go func() {
		if err := server.GenericAPIServer.PrepareRun().RunWithContext(ctx); err != nil {
			fmt.Printf("metrics adapter stopped: %v\n", err)
		}
	}()

	for _, group := range []struct{ apiService, group string }{
		{CustomMetricsAPIServiceName, "custom.metrics.k8s.io"},
		{ExternalMetricsAPIServiceName, "external.metrics.k8s.io"},
	} {
		if err := c.RegisterAPIService(ctx, group.apiService, group.group, "v1beta1",
			framework.MetricsAdapterNamespace, framework.MetricsAdapterServiceName, port, 100, 100); err != nil {
			return nil, err
		}
	}
	waitCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for _, name := range []string{CustomMetricsAPIServiceName, ExternalMetricsAPIServiceName} {
		if err := c.WaitForAPIServiceAvailable(waitCtx, name); err != nil {
			return nil, fmt.Errorf("APIService %s: %w", name, err)
		}
	}
	return a, nil
}
