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
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"

	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	externalinformers "github.com/kube-experimental/workloads-apiserver/pkg/generated/informers/externalversions"
)

// The controller registry.
//
// Adding a controller takes one new file in this package and one line in
// controllerDescriptors below:
//
//  1. Write the controller in pkg/controllers/<name> (a constructor taking
//     informers, clients and an event recorder, and a
//     Run(ctx context.Context, workers int) that blocks until ctx is
//     cancelled and drains its queue; controllerutil.Worker does that).
//  2. Add pkg/cmd/controllermanager/<name>.go with the controller's
//     descriptor, its options (flags, defaults, validation) and its
//     InitFunc, e.g.
//
//     func deploymentDescriptor() Descriptor {
//         return newDescriptor(deployment.ControllerName, []string{"deployments", "replicasets"},
//             newDeploymentOptions, newDeploymentController)
//     }
//
//     func newDeploymentOptions() *SyncOptions {
//         return &SyncOptions{Flag: "concurrent-deployment-syncs", ConcurrentSyncs: 5,
//             Usage: "The number of Deployments that are allowed to sync concurrently."}
//     }
//
//     func newDeploymentController(ctx context.Context, cc ControllerContext, o *SyncOptions) (Runnable, error) {
//         client, err := cc.NewExperimentalClient(deployment.ControllerName)
//         ...
//         c, err := deployment.NewController(ctx,
//             cc.ExperimentalInformers.Experimental().V1alpha1().Deployments(),
//             cc.ExperimentalInformers.Experimental().V1alpha1().ReplicaSets(),
//             cc.KubeInformers.Core().V1().Pods(), client,
//             cc.NewEventRecorder("deployment-controller"), cc.Clock)
//         ...
//         return func(ctx context.Context) { c.Run(ctx, int(o.ConcurrentSyncs)) }, nil
//     }
//
//     A controller whose only flag is its worker count uses SyncOptions;
//     one with more flags defines its own ControllerOptions type (see
//     horizontalpodautoscaling.go). Request every informer in the InitFunc
//     (calling .Informer() or .Lister()): the factories are started after
//     all InitFuncs ran.
//  3. Add deploymentDescriptor() to controllerDescriptors below.

// Runnable runs a started controller until ctx is cancelled. It must return
// only after the controller stopped its workers (drained its queue).
type Runnable func(ctx context.Context)

// InitFunc builds a controller from its options (as its descriptor's
// NewOptions returned them, after the flags were parsed and validated). It
// returns nil (and no error) when the controller decides not to run. It
// must not block; the returned Runnable is called in its own goroutine once
// every controller is built.
type InitFunc func(ctx context.Context, cc ControllerContext, opts ControllerOptions) (Runnable, error)

// ControllerOptions are the flags of one controller, owned by its
// descriptor. Both methods are safe on a nil receiver.
type ControllerOptions interface {
	// AddFlags adds the controller's flags to fs.
	AddFlags(fs *pflag.FlagSet)
	// Validate returns what is wrong with the flag values.
	Validate() []error
}

// Descriptor describes one controller of the registry.
type Descriptor struct {
	// Name is what --controllers accepts.
	Name string
	// Resources are the experimental/v1alpha1 resources the controller
	// needs; it is skipped (with a log line) unless discovery shows them all.
	Resources []string
	// NewOptions returns the controller's options at their defaults; nil
	// means the controller has no flags.
	NewOptions func() ControllerOptions
	// Init builds the controller; nil means the name is known but not
	// implemented in this release: it is accepted by --controllers and
	// skipped with a log line.
	Init InitFunc
}

// newDescriptor returns the descriptor of a controller whose options are
// of type O: defaults returns them at their defaults, and init builds the
// controller from them.
func newDescriptor[O ControllerOptions](name string, resources []string, defaults func() O,
	init func(ctx context.Context, cc ControllerContext, opts O) (Runnable, error)) Descriptor {
	return Descriptor{
		Name:       name,
		Resources:  resources,
		NewOptions: func() ControllerOptions { return defaults() },
		Init: func(ctx context.Context, cc ControllerContext, opts ControllerOptions) (Runnable, error) {
			o, ok := opts.(O)
			if !ok {
				return nil, fmt.Errorf("the options of the %s controller are a %T, not a %T", name, opts, *new(O))
			}
			return init(ctx, cc, o)
		},
	}
}

// controllerDescriptors is the registry, in start order.
var controllerDescriptors = []Descriptor{
	replicaSetDescriptor(),
	deploymentDescriptor(),
	daemonSetDescriptor(),
	jobDescriptor(),
	cronJobDescriptor(),
	horizontalPodAutoscalerDescriptor(),
	ttlAfterFinishedDescriptor(),
}

// SyncOptions are the options of a controller whose only flag is its
// number of workers, --concurrent-<name>-syncs.
type SyncOptions struct {
	// Flag and Usage name and describe the flag.
	Flag  string
	Usage string
	// ConcurrentSyncs is the number of workers (at least 1).
	ConcurrentSyncs int32
}

// AddFlags adds the --concurrent-*-syncs flag to fs.
func (o *SyncOptions) AddFlags(fs *pflag.FlagSet) {
	if o == nil {
		return
	}
	fs.Int32Var(&o.ConcurrentSyncs, o.Flag, o.ConcurrentSyncs, o.Usage)
}

// Validate checks that there is at least one worker.
func (o *SyncOptions) Validate() []error {
	if o == nil {
		return nil
	}
	if o.ConcurrentSyncs < 1 {
		return []error{fmt.Errorf("--%s must be at least 1, got %d", o.Flag, o.ConcurrentSyncs)}
	}
	return nil
}

// KnownControllers returns the names --controllers accepts.
func KnownControllers() []string {
	names := make([]string, 0, len(controllerDescriptors))
	for _, d := range controllerDescriptors {
		names = append(names, d.Name)
	}
	slices.Sort(names)
	return names
}

// EnabledControllers resolves a --controllers list into the enabled names
// (in registry order). "*" enables every controller, "name" one, "-name"
// disables one (a disable wins over "*" and over "name"). Unknown names are
// an error.
func EnabledControllers(list []string) ([]string, error) {
	known := sets.New(KnownControllers()...)
	all := false
	enabled, disabled := sets.New[string](), sets.New[string]()
	var unknown []string
	for _, item := range list {
		item = strings.TrimSpace(item)
		switch {
		case item == "*":
			all = true
		case strings.HasPrefix(item, "-") && known.Has(item[1:]):
			disabled.Insert(item[1:])
		case known.Has(item):
			enabled.Insert(item)
		default:
			unknown = append(unknown, item)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("--controllers: unknown controllers %q; known controllers are %v", unknown, KnownControllers())
	}
	var out []string
	for _, d := range controllerDescriptors {
		if disabled.Has(d.Name) {
			continue
		}
		if all || enabled.Has(d.Name) {
			out = append(out, d.Name)
		}
	}
	return out, nil
}

// ControllerContext is what an InitFunc gets to build its controller.
type ControllerContext struct {
	// KubeInformers are shared informers on kube-apiserver's resources
	// (pods, nodes, controllerrevisions, ...).
	KubeInformers informers.SharedInformerFactory
	// ExperimentalInformers are shared informers on experimental/v1alpha1.
	ExperimentalInformers externalinformers.SharedInformerFactory
	// AvailableResources are the experimental/v1alpha1 resources discovery
	// showed (without subresources).
	AvailableResources sets.Set[string]
	// InformersStarted is closed once the informer factories were started.
	InformersStarted <-chan struct{}
	// Clock is the time base for controllers.
	Clock clock.WithTicker

	restConfig  *rest.Config
	broadcaster record.EventBroadcaster
}

// RestConfig returns a copy of the base configuration with the user agent
// workloads-controller-manager/<name>, so requests of each controller can be
// told apart (audit, API Priority and Fairness, request metrics).
func (cc ControllerContext) RestConfig(name string) *rest.Config {
	return restConfigFor(cc.restConfig, name)
}

// NewKubeClient returns a kube-apiserver clientset for the controller name.
func (cc ControllerContext) NewKubeClient(name string) (kubernetes.Interface, error) {
	return kubernetes.NewForConfig(cc.RestConfig(name))
}

// NewExperimentalClient returns an experimental/v1alpha1 clientset for the
// controller name.
func (cc ControllerContext) NewExperimentalClient(name string) (clientset.Interface, error) {
	return clientset.NewForConfig(cc.RestConfig(name))
}

// NewEventRecorder returns a recorder whose events (to core/v1) name
// component as their source, e.g. "replicaset-controller". It knows the
// experimental/v1alpha1 kinds.
func (cc ControllerContext) NewEventRecorder(component string) record.EventRecorder {
	return newRecorder(cc.broadcaster, component)
}

func restConfigFor(base *rest.Config, name string) *rest.Config {
	cfg := rest.CopyConfig(base)
	cfg.UserAgent = UserAgentPrefix + "/" + name
	return cfg
}
