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

package controllermanager

import (
	"context"
	"fmt"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/scale"
	metricsclientset "k8s.io/metrics/pkg/client/clientset/versioned"
	customclient "k8s.io/metrics/pkg/client/custom_metrics"
	externalclient "k8s.io/metrics/pkg/client/external_metrics"

	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/podautoscaler"
)

// newHorizontalPodAutoscalerController builds the HorizontalPodAutoscaler
// controller. Targets are scaled through their /scale subresource, whatever
// their kind: a discovery-backed REST mapper resolves the kind in
// scaleTargetRef to a resource, and the scale client asks discovery which
// Scale version that resource serves.
func newHorizontalPodAutoscalerController(ctx context.Context, cc ControllerContext) (Runnable, error) {
	name := podautoscaler.ControllerName
	cfg := cc.RestConfig(name)
	client, err := cc.NewExperimentalClient(name)
	if err != nil {
		return nil, fmt.Errorf("creating the experimental client of the %s controller: %w", name, err)
	}
	disco, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the discovery client of the %s controller: %w", name, err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disco))
	// scale.NewForConfig sets the serializer and group version of the
	// configuration it is given: give it its own.
	scales, err := scale.NewForConfig(rest.CopyConfig(cfg), mapper, dynamic.LegacyAPIPathResolverFunc, scale.NewDiscoveryScaleKindResolver(disco))
	if err != nil {
		return nil, fmt.Errorf("creating the scale client of the %s controller: %w", name, err)
	}
	resourceMetrics, err := metricsclientset.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the resource metrics client of the %s controller: %w", name, err)
	}
	externalMetrics, err := externalclient.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the external metrics client of the %s controller: %w", name, err)
	}
	metrics := podautoscaler.NewRESTMetricsClient(
		resourceMetrics.MetricsV1beta1(),
		customclient.NewForConfig(cfg, mapper, customclient.NewAvailableAPIsGetter(disco)),
		externalMetrics,
	)
	c, err := podautoscaler.NewController(ctx,
		cc.ExperimentalInformers.Experimental().V1alpha1().HorizontalPodAutoscalers(),
		cc.KubeInformers.Core().V1().Pods(),
		client, scales, mapper, metrics,
		cc.NewEventRecorder("horizontal-pod-autoscaler"), cc.Clock,
		cc.Concurrency.HorizontalPodAutoscalerConfig)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) { c.Run(ctx, int(cc.Concurrency.HorizontalPodAutoscaler)) }, nil
}
