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
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"reflect"
	goruntime "runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/server/healthz"
	"k8s.io/apiserver/pkg/server/mux"
	"k8s.io/apiserver/pkg/server/routes"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/tools/record"
	"k8s.io/component-base/logs"
	"k8s.io/component-base/metrics/legacyregistry"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"  // client-go request and leader-election metrics
	_ "k8s.io/component-base/metrics/prometheus/workqueue" // workqueue depth, latency and retries
	controllermanagerapp "k8s.io/controller-manager/app"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	controllermetrics "github.com/kube-experimental/workloads-apiserver/pkg/controllers/metrics"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	experimentalscheme "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned/scheme"
	externalinformers "github.com/kube-experimental/workloads-apiserver/pkg/generated/informers/externalversions"
)

// eventScheme knows the built-in kinds and ours, so events can reference
// experimental/v1alpha1 objects.
var eventScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := experimentalscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}()

func newRecorder(b record.EventBroadcaster, component string) record.EventRecorder {
	return b.NewRecorder(eventScheme, corev1.EventSource{Component: component})
}

// leaderElectionHealthTimeout is how long past the lease's renew deadline
// /healthz tolerates a leader that failed to renew before reporting failure.
const leaderElectionHealthTimeout = 20 * time.Second

// Run runs the controller manager until ctx is cancelled: it serves the
// health and metrics endpoints, takes part in leader election and, while
// leading, runs the enabled controllers. On cancellation it stops the
// controllers, waits for them to drain their queues and then releases the
// lease. It returns an error when leadership is lost.
func Run(ctx context.Context, c *Config) error {
	logger := klog.FromContext(ctx)
	o := c.Options
	enabled, err := EnabledControllers(o.Controllers)
	if err != nil {
		return err
	}
	logger.Info("Starting workloads-controller-manager", "controllers", enabled, "leaderElect", o.LeaderElection.LeaderElect)

	coreClient, err := kubernetes.NewForConfig(restConfigFor(c.RestConfig, "leader-election"))
	if err != nil {
		return fmt.Errorf("creating the leader-election client: %w", err)
	}
	eventClient, err := kubernetes.NewForConfig(restConfigFor(c.RestConfig, "events"))
	if err != nil {
		return fmt.Errorf("creating the event client: %w", err)
	}
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartStructuredLogging(3)
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: eventClient.CoreV1().Events("")})
	defer broadcaster.Shutdown()

	var electionChecker *leaderelection.HealthzAdaptor
	if o.LeaderElection.LeaderElect {
		electionChecker = leaderelection.NewLeaderHealthzAdaptor(leaderElectionHealthTimeout)
	}
	syncCheck := &informerSyncCheck{}
	if c.SecureServing != nil {
		if err := serve(ctx, c, electionChecker, syncCheck); err != nil {
			return err
		}
	}

	runControllers := func(ctx context.Context) error {
		return startControllers(ctx, c, enabled, broadcaster, syncCheck)
	}
	if !o.LeaderElection.LeaderElect {
		return runControllers(ctx)
	}
	return runWithLeaderElection(ctx, c, coreClient, broadcaster, electionChecker, runControllers)
}

// runWithLeaderElection runs fn while this process holds the Lease.
func runWithLeaderElection(ctx context.Context, c *Config, client kubernetes.Interface, broadcaster record.EventBroadcaster,
	checker *leaderelection.HealthzAdaptor, fn func(ctx context.Context) error) error {
	logger := klog.FromContext(ctx)
	le := c.Options.LeaderElection
	hostname, err := os.Hostname()
	if err != nil {
		return fmt.Errorf("getting the hostname for the leader-election identity: %w", err)
	}
	id := hostname + "_" + string(uuid.NewUUID())
	logger.Info("Leader election", "identity", id, "lease", le.ResourceNamespace+"/"+le.ResourceName)
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, le.ResourceNamespace, le.ResourceName,
		client.CoreV1(), client.CoordinationV1(), resourcelock.ResourceLockConfig{
			Identity:      id,
			EventRecorder: newRecorder(broadcaster, UserAgentPrefix),
		})
	if err != nil {
		return fmt.Errorf("creating the leader-election lock: %w", err)
	}

	// The election runs on its own context: on shutdown it is cancelled only
	// after the controllers drained, so the lease is released last.
	leCtx, leCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer leCancel()
	var leading atomic.Bool
	var runErr error
	stopWaiting := context.AfterFunc(ctx, func() {
		if !leading.Load() {
			leCancel()
		}
	})
	defer stopWaiting()

	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   le.LeaseDuration.Duration,
		RenewDeadline:   le.RenewDeadline.Duration,
		RetryPeriod:     le.RetryPeriod.Duration,
		ReleaseOnCancel: true,
		Name:            le.ResourceName,
		WatchDog:        checker,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(electedCtx context.Context) {
				leading.Store(true)
				logger.Info("Became leader, starting controllers", "identity", id)
				// Controllers stop on shutdown or when leadership is lost.
				runCtx, cancel := context.WithCancel(ctx)
				defer cancel()
				stop := context.AfterFunc(electedCtx, cancel)
				defer stop()
				runErr = fn(runCtx)
				logger.Info("Controllers stopped, releasing the lease", "identity", id)
				leCancel()
			},
			OnStoppedLeading: func() {
				logger.Info("Stopped leading", "identity", id)
			},
			OnNewLeader: func(identity string) {
				if identity != id {
					logger.Info("Another instance is the leader", "leader", identity)
				}
			},
		},
	})
	if err != nil {
		return fmt.Errorf("configuring leader election: %w", err)
	}
	elector.Run(leCtx)
	if runErr != nil {
		return runErr
	}
	if ctx.Err() == nil {
		return errors.New("leader election lost")
	}
	return nil
}

// startControllers waits for experimental/v1alpha1 to be served, builds and
// runs the enabled controllers whose resources are served, and returns when
// ctx is cancelled and every controller stopped.
func startControllers(ctx context.Context, c *Config, enabled []string, broadcaster record.EventBroadcaster, syncCheck *informerSyncCheck) error {
	logger := klog.FromContext(ctx)
	disco, err := discovery.NewDiscoveryClientForConfig(restConfigFor(c.RestConfig, "discovery"))
	if err != nil {
		return fmt.Errorf("creating the discovery client: %w", err)
	}
	available, err := waitForExperimentalResources(ctx, disco)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	toStart, skipped := controllersToStart(controllerDescriptors, enabled, available)
	for name, why := range skipped {
		logger.Info("Skipping controller", "controller", name, "reason", why)
	}

	kubeClient, err := kubernetes.NewForConfig(restConfigFor(c.RestConfig, "shared-informers"))
	if err != nil {
		return fmt.Errorf("creating the informer client: %w", err)
	}
	client, err := clientset.NewForConfig(restConfigFor(c.RestConfig, "shared-informers"))
	if err != nil {
		return fmt.Errorf("creating the informer client: %w", err)
	}
	resync := resyncPeriod(c.Options.MinResyncPeriod.Duration)
	kubeInformers, ourInformers := newInformerFactories(kubeClient, client, resync)
	defer kubeInformers.Shutdown()
	defer ourInformers.Shutdown()

	informersStarted := make(chan struct{})
	cc := ControllerContext{
		KubeInformers:         kubeInformers,
		ExperimentalInformers: ourInformers,
		AvailableResources:    available,
		InformersStarted:      informersStarted,
		Clock:                 clock.RealClock{},
		restConfig:            c.RestConfig,
		broadcaster:           broadcaster,
	}
	var runs []Runnable
	for _, d := range toStart {
		ctrlCtx := klog.NewContext(ctx, klog.LoggerWithName(logger, d.Name))
		run, err := d.Init(ctrlCtx, cc, c.Options.ControllerOptions[d.Name])
		if err != nil {
			return fmt.Errorf("starting the %s controller: %w", d.Name, err)
		}
		if run == nil {
			logger.Info("Controller chose not to run", "controller", d.Name)
			continue
		}
		logger.Info("Started controller", "controller", d.Name)
		runs = append(runs, func(context.Context) { run(ctrlCtx) })
	}
	kubeInformers.Start(ctx.Done())
	ourInformers.Start(ctx.Done())
	close(informersStarted)
	syncCheck.set(kubeInformers, ourInformers)

	var wg sync.WaitGroup
	for _, run := range runs {
		wg.Go(func() { run(ctx) })
	}
	<-ctx.Done()
	logger.Info("Shutting down controllers")
	wg.Wait()
	return nil
}

// controllersToStart returns the enabled controllers that are implemented
// and whose resources are available, and why the others are skipped.
func controllersToStart(descriptors []Descriptor, enabled []string, available sets.Set[string]) ([]Descriptor, map[string]string) {
	on := sets.New(enabled...)
	var start []Descriptor
	skipped := map[string]string{}
	for _, d := range descriptors {
		if !on.Has(d.Name) {
			continue
		}
		if d.Init == nil {
			skipped[d.Name] = "not implemented in this release"
			continue
		}
		if missing := sets.New(d.Resources...).Difference(available); missing.Len() > 0 {
			skipped[d.Name] = fmt.Sprintf("the API server does not serve %s/%s %s",
				v1alpha1.GroupName, v1alpha1.SchemeGroupVersion.Version, strings.Join(sets.List(missing), ", "))
			continue
		}
		start = append(start, d)
	}
	return start, skipped
}

// experimentalResources returns the experimental/v1alpha1 resources
// discovery shows, without subresources.
func experimentalResources(disco discovery.DiscoveryInterface) (sets.Set[string], error) {
	list, err := disco.ServerResourcesForGroupVersion(v1alpha1.SchemeGroupVersion.String())
	if err != nil {
		return nil, err
	}
	out := sets.New[string]()
	for _, r := range list.APIResources {
		if !strings.Contains(r.Name, "/") {
			out.Insert(r.Name)
		}
	}
	return out, nil
}

// waitForExperimentalResources polls discovery with backoff (1s doubling to
// 30s) until experimental/v1alpha1 is served, instead of exiting: the
// APIService may become available after this process starts.
func waitForExperimentalResources(ctx context.Context, disco discovery.DiscoveryInterface) (sets.Set[string], error) {
	logger := klog.FromContext(ctx)
	var resources sets.Set[string]
	backoff := wait.Backoff{Duration: time.Second, Factor: 2, Cap: 30 * time.Second, Steps: math.MaxInt32}
	err := wait.ExponentialBackoffWithContext(ctx, backoff, func(ctx context.Context) (bool, error) {
		r, err := experimentalResources(disco)
		if err != nil {
			logger.Info("Waiting for the API server to serve "+v1alpha1.SchemeGroupVersion.String()+
				" (is APIService v1alpha1.experimental available and the group enabled with --runtime-config?)", "err", err)
			return false, nil
		}
		resources = r
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for %s: %w", v1alpha1.SchemeGroupVersion, err)
	}
	logger.Info("API group is served", "groupVersion", v1alpha1.SchemeGroupVersion.String(), "resources", sets.List(resources))
	return resources, nil
}

// newInformerFactories returns the shared informer factories every controller
// draws its caches from.
func newInformerFactories(kubeClient kubernetes.Interface, client clientset.Interface, resync time.Duration) (informers.SharedInformerFactory, externalinformers.SharedInformerFactory) {
	return informers.NewSharedInformerFactoryWithOptions(kubeClient, resync, informers.WithTransform(dropManagedFields)),
		externalinformers.NewSharedInformerFactoryWithOptions(client, resync, externalinformers.WithTransform(dropManagedFields))
}

// dropManagedFields is the informers' transform: no controller reads
// metadata.managedFields, and on pods they are often the largest part of the
// object, so the caches hold objects without them, as kube-controller-manager's
// do. An update built from a cached object sends no managedFields, which the
// API server reads as "keep the stored ones".
func dropManagedFields(obj any) (any, error) {
	if accessor, err := meta.Accessor(obj); err == nil && accessor.GetManagedFields() != nil {
		accessor.SetManagedFields(nil)
	}
	return obj, nil
}

func resyncPeriod(minPeriod time.Duration) time.Duration {
	return time.Duration(float64(minPeriod) * (1 + rand.Float64()))
}

// serve starts the secure endpoint: /healthz and /livez (process and leader
// election), /readyz (plus informer sync), /metrics and, with --profiling,
// /debug/pprof and /debug/flags/v, behind delegated
// authentication and authorization (see Options.Complete).
func serve(ctx context.Context, c *Config, election *leaderelection.HealthzAdaptor, syncCheck *informerSyncCheck) error {
	controllermetrics.Register()
	checks := []healthz.HealthChecker{healthz.PingHealthz}
	if election != nil {
		checks = append(checks, election)
	}
	m := mux.NewPathRecorderMux("workloads-controller-manager")
	healthz.InstallHandler(m, checks...)
	healthz.InstallLivezHandler(m, checks...)
	healthz.InstallReadyzHandler(m, append(checks, syncCheck)...)
	m.Handle("/metrics", legacyregistry.Handler())
	if c.Options.Debugging.EnableProfiling {
		routes.Profiling{}.Install(m)
		if c.Options.Debugging.EnableContentionProfiling {
			goruntime.SetBlockProfileRate(1)
		}
		routes.DebugFlags{}.Install(m, "v", routes.StringFlagPutHandler(logs.GlogSetter))
	}
	handler := controllermanagerapp.BuildHandlerChain(m, &c.Authorization, &c.Authentication)
	if _, _, err := c.SecureServing.Serve(handler, 0, ctx.Done()); err != nil {
		return fmt.Errorf("serving on %s: %w", c.SecureServing.Listener.Addr(), err)
	}
	return nil
}

// informerSyncCheck is ready once the shared informers have synced. A
// standby instance (not leading, informers not started) is ready too.
type informerSyncCheck struct {
	mu        sync.Mutex
	factories []cacheSyncWaiter
}

type cacheSyncWaiter interface {
	WaitForCacheSync(stopCh <-chan struct{}) map[reflect.Type]bool
}

func (i *informerSyncCheck) set(f ...cacheSyncWaiter) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.factories = f
}

func (i *informerSyncCheck) Name() string { return "informer-sync" }

func (i *informerSyncCheck) Check(*http.Request) error {
	i.mu.Lock()
	factories := i.factories
	i.mu.Unlock()
	stopped := make(chan struct{})
	close(stopped)
	var notSynced []string
	for _, f := range factories {
		for t, synced := range f.WaitForCacheSync(stopped) {
			if !synced {
				notSynced = append(notSynced, t.String())
			}
		}
	}
	if len(notSynced) > 0 {
		return fmt.Errorf("informers not synced: %s", strings.Join(notSynced, ", "))
	}
	return nil
}
