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

package daemonset

import (
	"context"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/flowcontrol"
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
const ControllerName = "daemonset"

// nodeQueueName names the queue of node changes to evaluate.
const nodeQueueName = "daemonset-node-updates"

// Event reasons, as the apps/v1 DaemonSet controller records them (pod
// creation and deletion events come from controllerutil.PodControl).
const (
	// EventSelectingAll: the selector is empty and would select every pod.
	EventSelectingAll = "SelectingAll"
	// EventFailedPlacement: the scheduler cannot place a daemon pod on its node.
	EventFailedPlacement = "FailedPlacement"
	// EventFailedDaemonPod: a daemon pod failed and is deleted to be recreated.
	EventFailedDaemonPod = "FailedDaemonPod"
	// EventSucceededDaemonPod: a daemon pod exited and is deleted to be recreated.
	EventSucceededDaemonPod = "SucceededDaemonPod"
)

const (
	// failedPodBackoffInitial and failedPodBackoffMax bound the per-node
	// delay between deleting failed pods, as kube-controller-manager
	// configures it.
	failedPodBackoffInitial = time.Second
	failedPodBackoffMax     = 15 * time.Minute
	// backoffGCInterval is how often expired backoff entries are dropped.
	backoffGCInterval = time.Minute
	// burstReplicas caps the pods created or deleted by one sync (upstream
	// DaemonSet value).
	burstReplicas = 250
	// podNodeNameIndex indexes pods by spec.nodeName.
	podNodeNameIndex = "daemonset.experimental/nodeName"
)

// statusCountsPeriod is the least time between two status writes of a
// DaemonSet that change nothing but its counts. While pods turn ready by the
// thousand, each sync would otherwise write the counts again (one round trip
// through the aggregation layer each, about twice kube-controller-manager's
// writes at 5000 nodes); a count write that comes sooner is put off and the
// DaemonSet synced again when the period is over, so the last counts are
// always written. Placing and replacing pods never waits for it (they read
// pods, not the status), and a new observedGeneration or a changed condition
// is written at once.
const statusCountsPeriod = 500 * time.Millisecond

// controllerKind is the kind pods and ControllerRevisions are owned by.
var controllerKind = v1alpha1.SchemeGroupVersion.WithKind("DaemonSet")

// Controller reconciles experimental DaemonSets with their pods.
type Controller struct {
	kubeClient kubernetes.Interface
	client     clientset.Interface
	podControl controllerutil.PodControl
	recorder   record.EventRecorder
	clock      clock.Clock

	burstReplicas     int
	expectations      *controllerutil.Expectations
	failedPodsBackoff *flowcontrol.Backoff
	// countWrites spaces status writes that only change counts (see
	// statusCountsPeriod).
	countWrites *keystate.Batcher[string]

	dsLister      listers.DaemonSetLister
	dsSynced      cache.InformerSynced
	historyLister appslisters.ControllerRevisionLister
	historySynced cache.InformerSynced
	podIndexer    cache.Indexer
	podSynced     cache.InformerSynced
	nodeLister    corelisters.NodeLister
	nodeSynced    cache.InformerSynced

	queue      workqueue.TypedRateLimitingInterface[string]
	nodeQueue  workqueue.TypedRateLimitingInterface[string]
	worker     *controllerutil.Worker
	nodeWorker *controllerutil.Worker
	// enqueueAfter adds a key after a delay (the queue's AddAfter; tests
	// replace it to observe requeues).
	enqueueAfter func(key string, after time.Duration)
}

// NewController returns a DaemonSet controller fed by the given informers.
// kubeClient manages pods and ControllerRevisions, client reads and writes
// DaemonSets, recorder records events on DaemonSets, and clk is the time base
// of expectations, availability and the failed-pod backoff.
func NewController(ctx context.Context, dsInformer informers.DaemonSetInformer, historyInformer appsinformers.ControllerRevisionInformer,
	podInformer coreinformers.PodInformer, nodeInformer coreinformers.NodeInformer,
	kubeClient kubernetes.Interface, client clientset.Interface, recorder record.EventRecorder, clk clock.Clock) (*Controller, error) {
	if clk == nil {
		clk = clock.RealClock{}
	}
	c := &Controller{
		kubeClient:    kubeClient,
		client:        client,
		podControl:    controllerutil.RealPodControl{Client: kubeClient, Recorder: recorder},
		recorder:      recorder,
		clock:         clk,
		burstReplicas: burstReplicas,
		expectations:  controllerutil.NewExpectations(clk),
		// NewFakeBackOff is client-go's constructor taking a clock; with the
		// real clock it is the production backoff.
		failedPodsBackoff: flowcontrol.NewFakeBackOff(failedPodBackoffInitial, failedPodBackoffMax, clk),
		countWrites:       keystate.NewBatcher[string](statusCountsPeriod, clk),
		dsLister:          dsInformer.Lister(),
		dsSynced:          dsInformer.Informer().HasSynced,
		historyLister:     historyInformer.Lister(),
		historySynced:     historyInformer.Informer().HasSynced,
		podIndexer:        podInformer.Informer().GetIndexer(),
		podSynced:         podInformer.Informer().HasSynced,
		nodeLister:        nodeInformer.Lister(),
		nodeSynced:        nodeInformer.Informer().HasSynced,
		queue:             controllerutil.NewRateLimitingQueue(ControllerName),
		nodeQueue:         controllerutil.NewRateLimitingQueue(nodeQueueName),
	}
	c.enqueueAfter = c.queue.AddAfter
	c.worker = &controllerutil.Worker{Name: ControllerName, Queue: c.queue, Sync: c.sync}
	c.nodeWorker = &controllerutil.Worker{Name: nodeQueueName, Queue: c.nodeQueue, Sync: c.syncNode}

	if err := controllerutil.AddControllerIndex(podInformer.Informer()); err != nil {
		return nil, fmt.Errorf("indexing pods by controller: %w", err)
	}
	if _, ok := podInformer.Informer().GetIndexer().GetIndexers()[podNodeNameIndex]; !ok {
		if err := podInformer.Informer().AddIndexers(cache.Indexers{podNodeNameIndex: podNodeName}); err != nil {
			return nil, fmt.Errorf("adding the pod node-name index: %w", err)
		}
	}

	logger := klog.FromContext(ctx)
	if _, err := dsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.addDaemonSet(logger, obj) },
		UpdateFunc: func(old, cur any) { c.updateDaemonSet(logger, old, cur) },
		DeleteFunc: func(obj any) { c.deleteDaemonSet(logger, obj) },
	}); err != nil {
		return nil, fmt.Errorf("adding DaemonSet event handler: %w", err)
	}
	if _, err := historyInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.addHistory(logger, obj) },
		UpdateFunc: func(old, cur any) { c.updateHistory(logger, old, cur) },
		DeleteFunc: func(obj any) { c.deleteHistory(logger, obj) },
	}); err != nil {
		return nil, fmt.Errorf("adding ControllerRevision event handler: %w", err)
	}
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.addPod(logger, obj) },
		UpdateFunc: func(old, cur any) { c.updatePod(logger, old, cur) },
		DeleteFunc: func(obj any) { c.deletePod(logger, obj) },
	}); err != nil {
		return nil, fmt.Errorf("adding pod event handler: %w", err)
	}
	if _, err := nodeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.addNode(logger, obj) },
		UpdateFunc: func(old, cur any) { c.updateNode(logger, old, cur) },
		DeleteFunc: func(obj any) { c.deleteNode(logger, obj) },
	}); err != nil {
		return nil, fmt.Errorf("adding node event handler: %w", err)
	}
	return c, nil
}

func podNodeName(obj any) ([]string, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok || pod.Spec.NodeName == "" {
		return nil, nil
	}
	return []string{pod.Spec.NodeName}, nil
}

// Run waits for the caches, then syncs DaemonSets and node changes with
// workers goroutines each until ctx is cancelled, and drains both queues
// before returning.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx)
	logger.Info("Starting controller", "controller", ControllerName, "workers", workers)
	if !controllerutil.WaitForCacheSync(ctx, ControllerName, c.dsSynced, c.historySynced, c.podSynced, c.nodeSynced) {
		c.queue.ShutDown()
		c.nodeQueue.ShutDown()
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { c.nodeWorker.Run(ctx, workers) })
	wg.Go(func() { wait.Until(c.failedPodsBackoff.GC, backoffGCInterval, ctx.Done()) })
	c.worker.Run(ctx, workers)
	wg.Wait()
}

// Event handlers.

func (c *Controller) enqueue(logger klog.Logger, ds *v1alpha1.DaemonSet) {
	controllerutil.Enqueue(logger, c.queue, ds)
}

func (c *Controller) addDaemonSet(logger klog.Logger, obj any) {
	ds := obj.(*v1alpha1.DaemonSet)
	logger.V(4).Info("Adding", "daemonSet", klog.KObj(ds))
	c.enqueue(logger, ds)
}

func (c *Controller) updateDaemonSet(logger klog.Logger, old, cur any) {
	oldDS, curDS := old.(*v1alpha1.DaemonSet), cur.(*v1alpha1.DaemonSet)
	if curDS.UID != oldDS.UID {
		// Deleted and re-created under the same name while the watch was down.
		if key, err := controllerutil.KeyFunc(oldDS); err == nil {
			c.deleteDaemonSet(logger, cache.DeletedFinalStateUnknown{Key: key, Obj: oldDS})
		}
	}
	logger.V(4).Info("Updating", "daemonSet", klog.KObj(curDS))
	c.enqueue(logger, curDS)
}

func (c *Controller) deleteDaemonSet(logger klog.Logger, obj any) {
	ds, ok := controllerutil.FromTombstone[*v1alpha1.DaemonSet](obj)
	if !ok {
		utilruntime.HandleErrorWithLogger(logger, fmt.Errorf("unexpected object %T", obj), "Ignoring DaemonSet delete event")
		return
	}
	key, err := controllerutil.KeyFunc(ds)
	if err != nil {
		return
	}
	logger.V(4).Info("Deleting", "daemonSet", klog.KObj(ds))
	c.forget(logger, key)
	c.queue.Add(key)
}

// forget drops what the controller remembers of a deleted DaemonSet.
func (c *Controller) forget(logger klog.Logger, key string) {
	c.expectations.DeleteExpectations(logger, key)
	c.countWrites.Forget(key)
}

func (c *Controller) addHistory(logger klog.Logger, obj any) {
	rev := obj.(*appsv1.ControllerRevision)
	if rev.DeletionTimestamp != nil {
		c.deleteHistory(logger, rev)
		return
	}
	if ref := metav1.GetControllerOf(rev); ref != nil {
		if ds := c.resolveControllerRef(rev.Namespace, ref); ds != nil {
			logger.V(4).Info("ControllerRevision added", "controllerRevision", klog.KObj(rev), "daemonSet", klog.KObj(ds))
		}
		return
	}
	for _, ds := range c.matchingDaemonSets(logger, rev.Namespace, rev.Labels) {
		c.enqueue(logger, ds)
	}
}

func (c *Controller) updateHistory(logger klog.Logger, old, cur any) {
	oldRev, curRev := old.(*appsv1.ControllerRevision), cur.(*appsv1.ControllerRevision)
	if curRev.ResourceVersion == oldRev.ResourceVersion {
		return
	}
	oldRef, curRef := metav1.GetControllerOf(oldRev), metav1.GetControllerOf(curRev)
	refChanged := !equalRefs(oldRef, curRef)
	if refChanged && oldRef != nil {
		if ds := c.resolveControllerRef(oldRev.Namespace, oldRef); ds != nil {
			c.enqueue(logger, ds)
		}
	}
	if curRef != nil {
		if ds := c.resolveControllerRef(curRev.Namespace, curRef); ds != nil {
			c.enqueue(logger, ds)
		}
		return
	}
	if refChanged || !labels.Equals(oldRev.Labels, curRev.Labels) {
		for _, ds := range c.matchingDaemonSets(logger, curRev.Namespace, curRev.Labels) {
			c.enqueue(logger, ds)
		}
	}
}

func (c *Controller) deleteHistory(logger klog.Logger, obj any) {
	rev, ok := controllerutil.FromTombstone[*appsv1.ControllerRevision](obj)
	if !ok {
		utilruntime.HandleErrorWithLogger(logger, fmt.Errorf("unexpected object %T", obj), "Ignoring ControllerRevision delete event")
		return
	}
	ref := metav1.GetControllerOf(rev)
	if ref == nil {
		return
	}
	if ds := c.resolveControllerRef(rev.Namespace, ref); ds != nil {
		logger.V(4).Info("ControllerRevision deleted", "controllerRevision", klog.KObj(rev), "daemonSet", klog.KObj(ds))
		c.enqueue(logger, ds)
	}
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
		ds := c.resolveControllerRef(pod.Namespace, ref)
		if ds == nil {
			return
		}
		key, err := controllerutil.KeyFunc(ds)
		if err != nil {
			return
		}
		logger.V(4).Info("Pod added", "pod", klog.KObj(pod), "daemonSet", klog.KObj(ds))
		c.expectations.CreationObserved(logger, key)
		c.queue.Add(key)
		return
	}
	// An orphan: every matching DaemonSet may want to adopt it.
	for _, ds := range c.matchingDaemonSets(logger, pod.Namespace, pod.Labels) {
		c.enqueue(logger, ds)
	}
}

func (c *Controller) updatePod(logger klog.Logger, old, cur any) {
	oldPod, curPod := old.(*corev1.Pod), cur.(*corev1.Pod)
	if curPod.ResourceVersion == oldPod.ResourceVersion {
		return // periodic resync
	}
	if curPod.DeletionTimestamp != nil {
		// A graceful delete sets the timestamp first; treat it as the delete
		// so the pod is replaced without waiting for it to disappear.
		c.deletePod(logger, curPod)
		return
	}
	oldRef, curRef := metav1.GetControllerOf(oldPod), metav1.GetControllerOf(curPod)
	refChanged := !equalRefs(oldRef, curRef)
	if refChanged && oldRef != nil {
		if ds := c.resolveControllerRef(oldPod.Namespace, oldRef); ds != nil {
			c.enqueue(logger, ds)
		}
	}
	if curRef != nil {
		ds := c.resolveControllerRef(curPod.Namespace, curRef)
		if ds == nil {
			return
		}
		logger.V(4).Info("Pod updated", "pod", klog.KObj(curPod), "daemonSet", klog.KObj(ds))
		c.enqueue(logger, ds)
		if reason, msg, ok := unschedulable(curPod); ok {
			if _, _, wasUnschedulable := unschedulable(oldPod); !wasUnschedulable {
				node, _ := targetNodeName(curPod)
				c.recorder.Eventf(ds, corev1.EventTypeWarning, EventFailedPlacement,
					"Failed to place pod %s on node %s: %s: %s", curPod.Name, node, reason, msg)
			}
		}
		// A pod that turned ready becomes available after minReadySeconds;
		// sync again then (a second later, against clock skew).
		if ds.Spec.MinReadySeconds > 0 && !controllerutil.IsPodReady(oldPod) && controllerutil.IsPodReady(curPod) {
			if key, err := controllerutil.KeyFunc(ds); err == nil {
				c.enqueueAfter(key, time.Duration(ds.Spec.MinReadySeconds)*time.Second+time.Second)
			}
		}
		return
	}
	if refChanged || !labels.Equals(oldPod.Labels, curPod.Labels) {
		for _, ds := range c.matchingDaemonSets(logger, curPod.Namespace, curPod.Labels) {
			c.enqueue(logger, ds)
		}
	}
}

// unschedulable returns the reason and message of a pod the scheduler could
// not place.
func unschedulable(pod *corev1.Pod) (string, string, bool) {
	for _, cond := range pod.Status.Conditions {
		if cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse && cond.Reason == corev1.PodReasonUnschedulable {
			return cond.Reason, cond.Message, true
		}
	}
	return "", "", false
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
	ds := c.resolveControllerRef(pod.Namespace, ref)
	if ds == nil {
		return
	}
	key, err := controllerutil.KeyFunc(ds)
	if err != nil {
		return
	}
	logger.V(4).Info("Pod deleted", "pod", klog.KObj(pod), "daemonSet", klog.KObj(ds))
	c.expectations.DeletionObserved(logger, key, controllerutil.PodKey(pod))
	c.queue.Add(key)
}

func (c *Controller) addNode(logger klog.Logger, obj any) {
	node := obj.(*corev1.Node)
	logger.V(4).Info("Node added", "node", klog.KObj(node))
	c.nodeQueue.Add(node.Name)
}

func (c *Controller) updateNode(logger klog.Logger, old, cur any) {
	oldNode, curNode := old.(*corev1.Node), cur.(*corev1.Node)
	// Labels and taints decide placement; labels (canaryNodeSelector) and
	// readiness (unreadyNodePolicy) also decide what a rolling update does.
	if apiequality.Semantic.DeepEqual(oldNode.Labels, curNode.Labels) &&
		apiequality.Semantic.DeepEqual(oldNode.Spec.Taints, curNode.Spec.Taints) &&
		nodeReadyStatus(oldNode) == nodeReadyStatus(curNode) {
		return
	}
	logger.V(4).Info("Node labels, taints or readiness changed", "node", klog.KObj(curNode))
	c.nodeQueue.Add(curNode.Name)
}

// deleteNode syncs the DaemonSets with pods on the node, so their status
// stops counting it. The pods themselves are removed by the pod garbage
// collector once the node is gone, as for every pod bound to a deleted node.
func (c *Controller) deleteNode(logger klog.Logger, obj any) {
	node, ok := controllerutil.FromTombstone[*corev1.Node](obj)
	if !ok {
		utilruntime.HandleErrorWithLogger(logger, fmt.Errorf("unexpected object %T", obj), "Ignoring Node delete event")
		return
	}
	logger.V(4).Info("Node deleted", "node", klog.KObj(node))
	for _, ds := range c.daemonSetsWithPodsOn(node.Name) {
		c.enqueue(logger, ds)
	}
}

// daemonSetsWithPodsOn returns the DaemonSets controlling pods bound to
// nodeName.
func (c *Controller) daemonSetsWithPodsOn(nodeName string) []*v1alpha1.DaemonSet {
	objs, err := c.podIndexer.ByIndex(podNodeNameIndex, nodeName)
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []*v1alpha1.DaemonSet
	for _, obj := range objs {
		pod := obj.(*corev1.Pod)
		ref := metav1.GetControllerOfNoCopy(pod)
		if ref == nil {
			continue
		}
		ds := c.resolveControllerRef(pod.Namespace, ref)
		if ds == nil || seen[string(ds.UID)] {
			continue
		}
		seen[string(ds.UID)] = true
		out = append(out, ds)
	}
	return out
}

// syncNode enqueues the DaemonSets whose placement on the node may have
// changed: ones that should run there and have no pod, ones that must leave
// and have a pod, and ones with a pod there that report misscheduled pods
// (the node may fit again).
func (c *Controller) syncNode(ctx context.Context, nodeName string) error {
	logger := klog.FromContext(ctx)
	node, err := c.nodeLister.Get(nodeName)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("getting node %s: %w", nodeName, err)
	}
	all, err := c.dsLister.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("listing DaemonSets: %w", err)
	}
	objs, err := c.podIndexer.ByIndex(podNodeNameIndex, nodeName)
	if err != nil {
		return fmt.Errorf("listing pods on node %s: %w", nodeName, err)
	}
	scheduled := map[string]bool{} // DaemonSet UID → has a pod here
	for _, obj := range objs {
		pod := obj.(*corev1.Pod)
		if ref := metav1.GetControllerOfNoCopy(pod); ref != nil && ref.Kind == controllerKind.Kind && ref.APIVersion == controllerKind.GroupVersion().String() {
			scheduled[string(ref.UID)] = true
		}
	}
	for _, ds := range all {
		shouldRun, shouldContinueRunning := newPlacement(ds).nodeShouldRun(logger, node)
		has := scheduled[string(ds.UID)]
		// A DaemonSet using the progressive delivery fields may now replace
		// (or stop replacing) the pod on this node, or report it in its
		// Progressing condition.
		if (shouldRun && !has) || (!shouldContinueRunning && has) || (has && ds.Status.NumberMisscheduled > 0) || (has && usesProgressiveFields(ds)) {
			logger.V(4).Info("Node change affects DaemonSet", "node", klog.KObj(node), "daemonSet", klog.KObj(ds))
			c.enqueue(logger, ds)
		}
	}
	return nil
}

// resolveControllerRef returns the DaemonSet ref points to, or nil when it is
// not one of ours or the UID differs.
func (c *Controller) resolveControllerRef(namespace string, ref *metav1.OwnerReference) *v1alpha1.DaemonSet {
	return controllerutil.ResolveControllerRef(ref, controllerKind, c.dsLister.DaemonSets(namespace).Get)
}

func selectorOf(ds *v1alpha1.DaemonSet) *metav1.LabelSelector { return ds.Spec.Selector }

// matchingDaemonSets returns the DaemonSets of namespace whose selector
// matches set.
func (c *Controller) matchingDaemonSets(logger klog.Logger, namespace string, set map[string]string) []*v1alpha1.DaemonSet {
	all, err := c.dsLister.DaemonSets(namespace).List(labels.Everything())
	if err != nil {
		return nil
	}
	out := controllerutil.SelectingOwners(all, selectorOf, set)
	if len(out) > 1 {
		logger.V(2).Info("More than one DaemonSet selects the same labels; the first to adopt wins", "namespace", namespace, "labels", set, "count", len(out))
	}
	return out
}

func equalRefs(a, b *metav1.OwnerReference) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.UID == b.UID
}
