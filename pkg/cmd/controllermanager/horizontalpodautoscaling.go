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
	"errors"
	"fmt"

	"github.com/spf13/pflag"
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

func horizontalPodAutoscalerDescriptor() Descriptor {
	return newDescriptor(podautoscaler.ControllerName, []string{"horizontalpodautoscalers"},
		newHorizontalPodAutoscalerOptions, newHorizontalPodAutoscalerController)
}

// HorizontalPodAutoscalerOptions are the flags of the HorizontalPodAutoscaler
// controller: its workers and the --horizontal-pod-autoscaler-* settings
// (defaults as kube-controller-manager's).
type HorizontalPodAutoscalerOptions struct {
	SyncOptions
	Config podautoscaler.Config
}

func newHorizontalPodAutoscalerOptions() *HorizontalPodAutoscalerOptions {
	return &HorizontalPodAutoscalerOptions{
		SyncOptions: SyncOptions{
			Flag:            "concurrent-horizontal-pod-autoscaler-syncs",
			Usage:           "The number of HorizontalPodAutoscalers that are allowed to sync concurrently.",
			ConcurrentSyncs: 5,
		},
		Config: podautoscaler.DefaultConfig(),
	}
}

// AddFlags adds the worker count and the --horizontal-pod-autoscaler-* flags
// to fs.
func (o *HorizontalPodAutoscalerOptions) AddFlags(fs *pflag.FlagSet) {
	if o == nil {
		return
	}
	o.SyncOptions.AddFlags(fs)
	hpa := &o.Config
	fs.DurationVar(&hpa.SyncPeriod, "horizontal-pod-autoscaler-sync-period", hpa.SyncPeriod,
		"The period for syncing the number of pods in horizontal pod autoscaler.")
	fs.Float64Var(&hpa.Tolerance, "horizontal-pod-autoscaler-tolerance", hpa.Tolerance,
		"The minimum change (from 1.0) in the desired-to-actual metrics ratio for the horizontal pod autoscaler to consider scaling, unless the autoscaler's behavior sets a tolerance.")
	fs.DurationVar(&hpa.DownscaleStabilizationWindow, "horizontal-pod-autoscaler-downscale-stabilization", hpa.DownscaleStabilizationWindow,
		"The period for which the autoscaler will look backwards and not scale down below any recommendation it made during that period, unless the autoscaler's behavior sets one.")
	fs.DurationVar(&hpa.CPUInitializationPeriod, "horizontal-pod-autoscaler-cpu-initialization-period", hpa.CPUInitializationPeriod,
		"The period after pod start when CPU samples might be skipped.")
	fs.DurationVar(&hpa.InitialReadinessDelay, "horizontal-pod-autoscaler-initial-readiness-delay", hpa.InitialReadinessDelay,
		"The period after pod start during which readiness changes will be treated as initial readiness.")
}

// Validate checks the worker count and the autoscaler settings.
func (o *HorizontalPodAutoscalerOptions) Validate() []error {
	if o == nil {
		return nil
	}
	errs := o.SyncOptions.Validate()
	if hpa := o.Config; hpa.SyncPeriod <= 0 || hpa.Tolerance < 0 || hpa.DownscaleStabilizationWindow < 0 ||
		hpa.CPUInitializationPeriod < 0 || hpa.InitialReadinessDelay < 0 {
		errs = append(errs, errors.New("--horizontal-pod-autoscaler-sync-period must be positive, and the other --horizontal-pod-autoscaler-* settings must not be negative"))
	}
	return errs
}

// newHorizontalPodAutoscalerController builds the HorizontalPodAutoscaler
// controller. Targets are scaled through their /scale subresource, whatever
// their kind: a discovery-backed REST mapper resolves the kind in
// scaleTargetRef to a resource, and the scale client asks discovery which
// Scale version that resource serves.
func newHorizontalPodAutoscalerController(ctx context.Context, cc ControllerContext, o *HorizontalPodAutoscalerOptions) (Runnable, error) {
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
		o.Config)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) { c.Run(ctx, int(o.ConcurrentSyncs)) }, nil
}
