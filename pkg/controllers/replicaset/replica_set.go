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

package replicaset

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/internal/controllerutil"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/internal/keystate"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	informers "github.com/kube-experimental/workloads-apiserver/pkg/generated/informers/externalversions/experimental/v1alpha1"
	listers "github.com/kube-experimental/workloads-apiserver/pkg/generated/listers/experimental/v1alpha1"
)

// ControllerName names the controller in logs, metrics, the workqueue and
// the --controllers flag.
const ControllerName = "replicaset"

// podStatusBatchPeriod batches pod status changes that come in bursts: a
// change within this period of the previous one for the same ReplicaSet
// waits this long before it syncs, so the changes of many pods (a scale-up
// turning ready) share one status write. Each status write is a round trip
// through the aggregation layer; writing once per pod event made large
// scale-ups latency-bound on the one ReplicaSet key. A change after a quiet
// period syncs at once, so one-pod-at-a-time rollouts are not slowed down.
const podStatusBatchPeriod = 100 * time.Millisecond

// controllerKind is the kind pods are owned by.
var controllerKind = v1alpha1.SchemeGroupVersion.WithKind("ReplicaSet")

// Controller reconciles experimental ReplicaSets with their pods.
type Controller struct {
	kubeClient kubernetes.Interface
	client     clientset.Interface
	podControl controllerutil.PodControl
	recorder   record.EventRecorder
	clock      clock.PassiveClock

	// burstReplicas caps the pods created or deleted by one sync.
	burstReplicas int
	expectations  *controllerutil.Expectations

	rsLister listers.ReplicaSetLister
	rsSynced cache.InformerSynced
	// podIndexer carries controllerutil.ControllerIndex: a sync reads the
	// pods of one ReplicaSet and the orphans, never the whole namespace.
	podIndexer cache.Indexer
	podSynced  cache.InformerSynced

	// statusEvents remembers when a pod status change last came in, per
	// ReplicaSet key (see podStatusBatchPeriod).
	statusEvents *keystate.Batcher[string]

	queue  workqueue.TypedRateLimitingInterface[string]
	worker *controllerutil.Worker
	// enqueueAfter adds a key after a delay (the queue's AddAfter; tests
	// replace it to observe requeues).
	enqueueAfter func(key string, after time.Duration)
}

// NewController returns a ReplicaSet controller fed by the given informers.
// kubeClient manages pods, client reads and writes ReplicaSets, recorder
// records events on ReplicaSets, and clk is the time base of expectations and
// availability.
func NewController(ctx context.Context, rsInformer informers.ReplicaSetInformer, podInformer coreinformers.PodInformer,
	kubeClient kubernetes.Interface, client clientset.Interface, recorder record.EventRecorder, clk clock.PassiveClock) (*Controller, error) {
	if clk == nil {
		clk = clock.RealClock{}
	}
	c := &Controller{
		kubeClient:    kubeClient,
		client:        client,
		podControl:    controllerutil.RealPodControl{Client: kubeClient, Recorder: recorder},
		recorder:      recorder,
		clock:         clk,
		burstReplicas: controllerutil.BurstReplicas,
		expectations:  controllerutil.NewExpectations(clk),
		rsLister:      rsInformer.Lister(),
		rsSynced:      rsInformer.Informer().HasSynced,
		podIndexer:    podInformer.Informer().GetIndexer(),
		podSynced:     podInformer.Informer().HasSynced,
		queue:         controllerutil.NewRateLimitingQueue(ControllerName),
		statusEvents:  keystate.NewBatcher[string](podStatusBatchPeriod, clk),
	}
	c.enqueueAfter = c.queue.AddAfter
	c.worker = &controllerutil.Worker{Name: ControllerName, Queue: c.queue, Sync: c.sync}
	if err := controllerutil.AddControllerIndex(podInformer.Informer()); err != nil {
		return nil, fmt.Errorf("indexing pods by controller: %w", err)
	}

	logger := klog.FromContext(ctx)
	if _, err := rsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.addRS(logger, obj) },
		UpdateFunc: func(old, cur any) { c.updateRS(logger, old, cur) },
		DeleteFunc: func(obj any) { c.deleteRS(logger, obj) },
	}); err != nil {
		return nil, fmt.Errorf("adding ReplicaSet event handler: %w", err)
	}
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.addPod(logger, obj) },
		UpdateFunc: func(old, cur any) { c.updatePod(logger, old, cur) },
		DeleteFunc: func(obj any) { c.deletePod(logger, obj) },
	}); err != nil {
		return nil, fmt.Errorf("adding pod event handler: %w", err)
	}
	return c, nil
}

// Run waits for the caches, then syncs with workers goroutines until ctx is
// cancelled, and drains the queue before returning.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx)
	logger.Info("Starting controller", "controller", ControllerName, "workers", workers)
	if !controllerutil.WaitForCacheSync(ctx, ControllerName, c.rsSynced, c.podSynced) {
		c.queue.ShutDown()
		return
	}
	c.worker.Run(ctx, workers)
}

// Event handlers.

func (c *Controller) enqueue(logger klog.Logger, rs *v1alpha1.ReplicaSet) {
	controllerutil.Enqueue(logger, c.queue, rs)
}

func (c *Controller) addRS(logger klog.Logger, obj any) {
	rs := obj.(*v1alpha1.ReplicaSet)
	logger.V(4).Info("Adding", "replicaSet", klog.KObj(rs))
	c.enqueue(logger, rs)
}

func (c *Controller) updateRS(logger klog.Logger, old, cur any) {
	oldRS, curRS := old.(*v1alpha1.ReplicaSet), cur.(*v1alpha1.ReplicaSet)
	if curRS.UID != oldRS.UID {
		// Deleted and re-created under the same name while the watch was down.
		key, err := controllerutil.KeyFunc(oldRS)
		if err == nil {
			c.deleteRS(logger, cache.DeletedFinalStateUnknown{Key: key, Obj: oldRS})
		}
	}
	if oldReplicas, curReplicas := replicasOf(oldRS), replicasOf(curRS); oldReplicas != curReplicas {
		logger.V(4).Info("Replicas changed", "replicaSet", klog.KObj(curRS), "old", oldReplicas, "new", curReplicas)
	}
	c.enqueue(logger, curRS)
}

func (c *Controller) deleteRS(logger klog.Logger, obj any) {
	rs, ok := controllerutil.FromTombstone[*v1alpha1.ReplicaSet](obj)
	if !ok {
		utilruntime.HandleErrorWithLogger(logger, fmt.Errorf("unexpected object %T", obj), "Ignoring ReplicaSet delete event")
		return
	}
	key, err := controllerutil.KeyFunc(rs)
	if err != nil {
		return
	}
	logger.V(4).Info("Deleting", "replicaSet", klog.KObj(rs))
	c.forget(logger, key)
	c.queue.Add(key)
}

// forget drops everything the controller remembers of the ReplicaSet key:
// the delete handler calls it, and so does a sync that finds it gone.
func (c *Controller) forget(logger klog.Logger, key string) {
	c.expectations.DeleteExpectations(logger, key)
	c.statusEvents.Forget(key)
}

func (c *Controller) addPod(logger klog.Logger, obj any) {
	pod := obj.(*corev1.Pod)
	if pod.DeletionTimestamp != nil {
		// Seen for the first time while being deleted (e.g. after a restart):
		// it must not count as a creation.
		c.deletePod(logger, pod)
		return
	}
	if ref := metav1.GetControllerOf(pod); ref != nil {
		rs := c.resolveControllerRef(pod.Namespace, ref)
		if rs == nil {
			return
		}
		key, err := controllerutil.KeyFunc(rs)
		if err != nil {
			return
		}
		logger.V(4).Info("Pod created", "pod", klog.KObj(pod), "replicaSet", klog.KObj(rs))
		c.expectations.CreationObserved(logger, key)
		c.queue.Add(key)
		return
	}
	// An orphan: every matching ReplicaSet may want to adopt it.
	for _, rs := range c.matchingReplicaSets(logger, pod) {
		c.enqueue(logger, rs)
	}
}

func (c *Controller) updatePod(logger klog.Logger, old, cur any) {
	oldPod, curPod := old.(*corev1.Pod), cur.(*corev1.Pod)
	if curPod.ResourceVersion == oldPod.ResourceVersion {
		return // periodic resync
	}
	labelsChanged := !labels.Equals(oldPod.Labels, curPod.Labels)
	if curPod.DeletionTimestamp != nil {
		// A graceful delete sets the timestamp first; treat it as the delete
		// to wake the owner up early.
		c.deletePod(logger, curPod)
		if labelsChanged {
			c.deletePod(logger, oldPod)
		}
		return
	}
	oldRef, curRef := metav1.GetControllerOf(oldPod), metav1.GetControllerOf(curPod)
	refChanged := !equalRefs(oldRef, curRef)
	if refChanged && oldRef != nil {
		if rs := c.resolveControllerRef(oldPod.Namespace, oldRef); rs != nil {
			c.enqueue(logger, rs)
		}
	}
	if curRef != nil {
		rs := c.resolveControllerRef(curPod.Namespace, curRef)
		if rs == nil {
			return
		}
		if !refChanged && !labelsChanged {
			// Only the pod's status changed: all that can follow is a
			// status write. In a burst, coalesce the changes into one
			// write per batch period instead of one per sync.
			if key, err := controllerutil.KeyFunc(rs); err == nil {
				if c.statusEvents.Observe(key) {
					c.enqueueAfter(key, podStatusBatchPeriod)
				} else {
					c.queue.Add(key)
				}
			}
		} else {
			c.enqueue(logger, rs)
		}
		// A pod that turned ready becomes available after minReadySeconds;
		// sync again then to report it.
		if rs.Spec.MinReadySeconds > 0 && !controllerutil.IsPodReady(oldPod) && controllerutil.IsPodReady(curPod) {
			if key, err := controllerutil.KeyFunc(rs); err == nil {
				c.enqueueAfter(key, time.Duration(rs.Spec.MinReadySeconds)*time.Second+time.Second)
			}
		}
		return
	}
	if labelsChanged || refChanged {
		for _, rs := range c.matchingReplicaSets(logger, curPod) {
			c.enqueue(logger, rs)
		}
	}
}

func (c *Controller) deletePod(logger klog.Logger, obj any) {
	pod, ok := controllerutil.FromTombstone[*corev1.Pod](obj)
	if !ok {
		utilruntime.HandleErrorWithLogger(logger, fmt.Errorf("unexpected object %T", obj), "Ignoring Pod delete event")
		return
	}
	ref := metav1.GetControllerOf(pod)
	if ref == nil {
		return
	}
	rs := c.resolveControllerRef(pod.Namespace, ref)
	if rs == nil {
		return
	}
	key, err := controllerutil.KeyFunc(rs)
	if err != nil {
		return
	}
	logger.V(4).Info("Pod deleted", "pod", klog.KObj(pod), "replicaSet", klog.KObj(rs))
	c.expectations.DeletionObserved(logger, key, controllerutil.PodKey(pod))
	c.queue.Add(key)
}

// resolveControllerRef returns the ReplicaSet ref points to, or nil when it
// is not one of ours or the UID differs.
func (c *Controller) resolveControllerRef(namespace string, ref *metav1.OwnerReference) *v1alpha1.ReplicaSet {
	return controllerutil.ResolveControllerRef(ref, controllerKind, c.rsLister.ReplicaSets(namespace).Get)
}

func selectorOf(rs *v1alpha1.ReplicaSet) *metav1.LabelSelector { return rs.Spec.Selector }

// matchingReplicaSets returns the ReplicaSets whose selector matches pod.
func (c *Controller) matchingReplicaSets(logger klog.Logger, pod *corev1.Pod) []*v1alpha1.ReplicaSet {
	all, err := c.rsLister.ReplicaSets(pod.Namespace).List(labels.Everything())
	if err != nil {
		return nil
	}
	out := controllerutil.SelectingOwners(all, selectorOf, pod.Labels)
	if len(out) > 1 {
		logger.V(2).Info("More than one ReplicaSet selects pod; the first to adopt it wins", "pod", klog.KObj(pod), "count", len(out))
	}
	return out
}

func equalRefs(a, b *metav1.OwnerReference) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.UID == b.UID
}

func replicasOf(rs *v1alpha1.ReplicaSet) int32 {
	if rs.Spec.Replicas == nil {
		return 1
	}
	return *rs.Spec.Replicas
}

// Sync.

func (c *Controller) sync(ctx context.Context, key string) error {
	logger := klog.FromContext(ctx)
	start := c.clock.Now()
	defer func() {
		logger.V(4).Info("Finished syncing", "replicaSet", key, "duration", c.clock.Since(start))
	}()
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	rsNeedsSync := c.expectations.SatisfiedExpectations(logger, key)
	rs, err := c.rsLister.ReplicaSets(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		logger.V(4).Info("ReplicaSet has been deleted", "replicaSet", key)
		c.forget(logger, key)
		return nil
	}
	if err != nil {
		return err
	}
	ctx = klog.NewContext(ctx, klog.LoggerWithValues(logger, "replicaSet", klog.KObj(rs)))
	selector, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		// Validation prevents this; nothing to retry.
		utilruntime.HandleErrorWithContext(ctx, err, "Invalid selector", "replicaSet", klog.KObj(rs))
		return nil
	}
	// The pods rs controls and the orphans it may adopt; pods of other
	// controllers are none of its business.
	allPods, err := controllerutil.ListClaimCandidates[*corev1.Pod](c.podIndexer, rs)
	if err != nil {
		return err
	}
	active, err := c.claimPods(ctx, rs, selector, controllerutil.FilterActivePods(allPods))
	if err != nil {
		return err
	}
	var manageErr error
	if rsNeedsSync && rs.DeletionTimestamp == nil {
		manageErr = c.manageReplicas(ctx, active, rs, key)
	}
	terminating := controllerutil.FilterClaimedPods(rs, selector, controllerutil.FilterTerminatingPods(allPods))
	now := c.clock.Now()
	newStatus := calculateStatus(rs, active, terminating, manageErr, now)
	updated, err := c.updateStatus(ctx, rs, newStatus)
	if err != nil {
		return errors.Join(manageErr, err)
	}
	if manageErr == nil && updated.Spec.MinReadySeconds > 0 {
		if d, ok := nextAvailable(active, updated.Spec.MinReadySeconds, now); ok {
			logger.V(4).Info("Requeueing to observe availability", "after", d)
			c.enqueueAfter(key, d)
		}
	}
	return manageErr
}

// nextAvailable returns the shortest time until a ready pod becomes
// available, if any is waiting.
func nextAvailable(pods []*corev1.Pod, minReadySeconds int32, now time.Time) (time.Duration, bool) {
	var next time.Duration
	found := false
	for _, p := range pods {
		d, ready := controllerutil.AvailableIn(p, minReadySeconds, now)
		if !ready || d == 0 {
			continue
		}
		if !found || d < next {
			next, found = d, true
		}
	}
	return next, found
}

func (c *Controller) claimPods(ctx context.Context, rs *v1alpha1.ReplicaSet, selector labels.Selector, pods []*corev1.Pod) ([]*corev1.Pod, error) {
	canAdopt := controllerutil.FreshOwnerCheckWith(rs, c.client.ExperimentalV1alpha1().ReplicaSets(rs.Namespace).Get)
	m := controllerutil.NewPodControllerRefManager(c.kubeClient, rs, controllerKind, selector, canAdopt)
	return m.ClaimPods(ctx, pods)
}

// manageReplicas creates or deletes pods so that rs has spec.replicas active
// pods, at most burstReplicas per sync.
func (c *Controller) manageReplicas(ctx context.Context, active []*corev1.Pod, rs *v1alpha1.ReplicaSet, key string) error {
	logger := klog.FromContext(ctx)
	want := int(replicasOf(rs))
	diff := len(active) - want
	switch {
	case diff < 0:
		diff = min(-diff, c.burstReplicas)
		// Expect the creations before making them: their watch events may
		// arrive before the calls return.
		c.expectations.ExpectCreations(logger, key, diff)
		logger.V(2).Info("Too few replicas", "need", want, "have", len(active), "creating", diff)
		ref := metav1.NewControllerRef(rs, controllerKind)
		successes, err := controllerutil.SlowStartBatch(diff, controllerutil.SlowStartInitialBatchSize, func() error {
			err := c.podControl.CreatePods(ctx, rs.Namespace, &rs.Spec.Template, rs, ref)
			if err != nil && apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
				return nil // every create fails until the namespace is gone
			}
			return err
		})
		if skipped := diff - successes; skipped > 0 {
			logger.V(2).Info("Slow-start failure, skipping the remaining creations", "skipped", skipped)
			c.expectations.LowerExpectations(logger, key, skipped)
		}
		if err != nil {
			return fmt.Errorf("creating pods: %w", err)
		}
	case diff > 0:
		diff = min(diff, c.burstReplicas)
		logger.V(2).Info("Too many replicas", "need", want, "have", len(active), "deleting", diff)
		victims := c.podsToDelete(rs, active, diff)
		c.expectations.ExpectDeletions(logger, key, controllerutil.PodKeys(victims))
		errCh := make(chan error, len(victims))
		var wg sync.WaitGroup
		for _, pod := range victims {
			wg.Go(func() {
				if err := c.podControl.DeletePod(ctx, pod, rs); err != nil {
					// The delete event will not come: stop waiting for it.
					c.expectations.DeletionObserved(logger, key, controllerutil.PodKey(pod))
					if !apierrors.IsNotFound(err) {
						errCh <- err
					}
				}
			})
		}
		wg.Wait()
		close(errCh)
		if err := <-errCh; err != nil {
			return fmt.Errorf("deleting pods: %w", err)
		}
	}
	return nil
}

// podsToDelete picks n victims among active, ranked as upstream: pods on
// nodes crowded with related pods (of this ReplicaSet, or of all ReplicaSets
// of the same owner) go first.
func (c *Controller) podsToDelete(rs *v1alpha1.ReplicaSet, active []*corev1.Pod, n int) []*corev1.Pod {
	if n >= len(active) {
		return active
	}
	ranked := controllerutil.RankPodsByColocation(active, c.relatedPods(rs, active))
	sort.Sort(ranked)
	return ranked.Pods[:n]
}

// relatedPods returns the active pods of rs and, when rs has a controller
// (e.g. a Deployment), of every ReplicaSet with the same controller.
func (c *Controller) relatedPods(rs *v1alpha1.ReplicaSet, active []*corev1.Pod) []*corev1.Pod {
	owner := metav1.GetControllerOfNoCopy(rs)
	if owner == nil {
		return active
	}
	siblings, err := c.rsLister.ReplicaSets(rs.Namespace).List(labels.Everything())
	if err != nil {
		return active
	}
	var out []*corev1.Pod
	for _, s := range siblings {
		if ref := metav1.GetControllerOfNoCopy(s); ref == nil || ref.UID != owner.UID {
			continue
		}
		pods, err := controllerutil.ListControlledBy[*corev1.Pod](c.podIndexer, rs.Namespace, s.UID)
		if err != nil {
			return active
		}
		out = append(out, controllerutil.FilterActivePods(pods)...)
	}
	return out
}
