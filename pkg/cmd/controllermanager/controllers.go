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
//  2. Add pkg/cmd/controllermanager/<name>.go with an InitFunc, e.g.
//
//     func newDeploymentController(ctx context.Context, cc ControllerContext) (Runnable, error) {
//         kube, err := cc.NewKubeClient("deployment")
//         ...
//         c, err := deployment.NewController(ctx,
//             cc.ExperimentalInformers.Experimental().V1alpha1().Deployments(),
//             cc.ExperimentalInformers.Experimental().V1alpha1().ReplicaSets(),
//             cc.KubeInformers.Core().V1().Pods(), kube, client,
//             cc.NewEventRecorder("deployment-controller"), cc.Clock)
//         ...
//         return func(ctx context.Context) { c.Run(ctx, int(cc.Concurrency.Deployment)) }, nil
//     }
//
//     Request every informer in the InitFunc (calling .Informer() or
//     .Lister()): the factories are started after all InitFuncs ran.
//  3. Set Init: newDeploymentController in its descriptor below.

// Runnable runs a started controller until ctx is cancelled. It must return
// only after the controller stopped its workers (drained its queue).
type Runnable func(ctx context.Context)

// InitFunc builds a controller. It returns nil (and no error) when the
// controller decides not to run. It must not block; the returned Runnable is
// called in its own goroutine once every controller is built.
type InitFunc func(ctx context.Context, cc ControllerContext) (Runnable, error)

// Descriptor describes one controller of the registry.
type Descriptor struct {
	// Name is what --controllers accepts.
	Name string
	// Resources are the experimental/v1alpha1 resources the controller
	// needs; it is skipped (with a log line) unless discovery shows them all.
	Resources []string
	// Init builds the controller; nil means the name is known but not
	// implemented in this release: it is accepted by --controllers and
	// skipped with a log line.
	Init InitFunc
}

// controllerDescriptors is the registry, in start order.
var controllerDescriptors = []Descriptor{
	{Name: "replicaset", Resources: []string{"replicasets"}, Init: newReplicaSetController},
	{Name: "deployment", Resources: []string{"deployments", "replicasets"}, Init: newDeploymentController},
	{Name: "daemonset", Resources: []string{"daemonsets"}, Init: newDaemonSetController},
	{Name: "job", Resources: []string{"jobs"}, Init: newJobController},
	{Name: "cronjob", Resources: []string{"cronjobs", "jobs"}, Init: newCronJobController},
	{Name: "horizontalpodautoscaling", Resources: []string{"horizontalpodautoscalers"}, Init: newHorizontalPodAutoscalerController},
	{Name: "ttl-after-finished", Resources: []string{"jobs"}, Init: newTTLAfterFinishedController},
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
	// Concurrency holds the --concurrent-*-syncs flags.
	Concurrency Concurrency
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
