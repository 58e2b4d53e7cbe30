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

package deployment

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/internal/controllerutil"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	informers "github.com/kube-experimental/workloads-apiserver/pkg/generated/informers/externalversions/experimental/v1alpha1"
	listers "github.com/kube-experimental/workloads-apiserver/pkg/generated/listers/experimental/v1alpha1"
)

// ControllerName names the controller in logs, metrics, the workqueue and
// the --controllers flag.
const ControllerName = "deployment"

var (
	// controllerKind is the kind ReplicaSets are owned by.
	controllerKind = v1alpha1.SchemeGroupVersion.WithKind("Deployment")
	// replicaSetKind is the kind pods of a Deployment are owned by.
	replicaSetKind = v1alpha1.SchemeGroupVersion.WithKind("ReplicaSet")
)

// Controller reconciles experimental Deployments with their ReplicaSets.
type Controller struct {
	client   clientset.Interface
	recorder record.EventRecorder
	clock    clock.PassiveClock

	dLister  listers.DeploymentLister
	dSynced  cache.InformerSynced
	rsLister listers.ReplicaSetLister
	rsSynced cache.InformerSynced
	// podIndexer carries controllerutil.ControllerIndex: a sync reads the
	// pods of each of its ReplicaSets, never the whole namespace.
	podIndexer cache.Indexer
	podSynced  cache.InformerSynced

	queue  workqueue.TypedRateLimitingInterface[string]
	worker *controllerutil.Worker
	// enqueueAfter and enqueueRateLimited requeue a key (the queue's
	// AddAfter and AddRateLimited; tests replace them to observe requeues).
	enqueueAfter       func(key string, after time.Duration)
	enqueueRateLimited func(key string)
}

// NewController returns a Deployment controller fed by the given informers.
// client reads and writes Deployments and ReplicaSets, recorder records
// events on Deployments, and clk is the time base of conditions and progress
// deadlines.
func NewController(ctx context.Context, dInformer informers.DeploymentInformer, rsInformer informers.ReplicaSetInformer,
	podInformer coreinformers.PodInformer, client clientset.Interface, recorder record.EventRecorder, clk clock.PassiveClock) (*Controller, error) {
	if clk == nil {
		clk = clock.RealClock{}
	}
	c := &Controller{
		client:     client,
		recorder:   recorder,
		clock:      clk,
		dLister:    dInformer.Lister(),
		dSynced:    dInformer.Informer().HasSynced,
		rsLister:   rsInformer.Lister(),
		rsSynced:   rsInformer.Informer().HasSynced,
		podIndexer: podInformer.Informer().GetIndexer(),
		podSynced:  podInformer.Informer().HasSynced,
		queue:      controllerutil.NewRateLimitingQueue(ControllerName),
	}
	c.enqueueAfter = c.queue.AddAfter
	c.enqueueRateLimited = c.queue.AddRateLimited
	c.worker = &controllerutil.Worker{Name: ControllerName, Queue: c.queue, Sync: c.sync}
	if err := controllerutil.AddControllerIndex(podInformer.Informer()); err != nil {
		return nil, fmt.Errorf("indexing pods by controller: %w", err)
	}

	logger := klog.FromContext(ctx)
	if _, err := dInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.addDeployment(logger, obj) },
		UpdateFunc: func(_, cur any) { c.addDeployment(logger, cur) },
		DeleteFunc: func(obj any) { c.deleteDeployment(logger, obj) },
	}); err != nil {
		return nil, fmt.Errorf("adding Deployment event handler: %w", err)
	}
	if _, err := rsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.addReplicaSet(logger, obj) },
		UpdateFunc: func(old, cur any) { c.updateReplicaSet(logger, old, cur) },
		DeleteFunc: func(obj any) { c.deleteReplicaSet(logger, obj) },
	}); err != nil {
		return nil, fmt.Errorf("adding ReplicaSet event handler: %w", err)
	}
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
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
	if !controllerutil.WaitForCacheSync(ctx, ControllerName, c.dSynced, c.rsSynced, c.podSynced) {
		c.queue.ShutDown()
		return
	}
	defer serveRolloutMetrics(c.dLister)()
	c.worker.Run(ctx, workers)
}

// Event handlers.

func (c *Controller) enqueue(logger klog.Logger, d *v1alpha1.Deployment) {
	controllerutil.Enqueue(logger, c.queue, d)
}

func (c *Controller) addDeployment(logger klog.Logger, obj any) {
	d, ok := obj.(*v1alpha1.Deployment)
	if !ok {
		return
	}
	logger.V(4).Info("Deployment changed", "deployment", klog.KObj(d))
	c.enqueue(logger, d)
}

func (c *Controller) deleteDeployment(logger klog.Logger, obj any) {
	d, ok := controllerutil.FromTombstone[*v1alpha1.Deployment](obj)
	if !ok {
		utilruntime.HandleErrorWithLogger(logger, fmt.Errorf("unexpected object %T", obj), "Ignoring Deployment delete event")
		return
	}
	logger.V(4).Info("Deployment deleted", "deployment", klog.KObj(d))
	c.enqueue(logger, d)
}

func (c *Controller) addReplicaSet(logger klog.Logger, obj any) {
	rs := obj.(*v1alpha1.ReplicaSet)
	if rs.DeletionTimestamp != nil {
		c.deleteReplicaSet(logger, rs)
		return
	}
	if ref := metav1.GetControllerOf(rs); ref != nil {
		if d := c.resolveControllerRef(rs.Namespace, ref); d != nil {
			logger.V(4).Info("ReplicaSet added", "replicaSet", klog.KObj(rs), "deployment", klog.KObj(d))
			c.enqueue(logger, d)
		}
		return
	}
	// An orphan: every matching Deployment may want to adopt it.
	for _, d := range c.deploymentsForReplicaSet(logger, rs) {
		c.enqueue(logger, d)
	}
}

func (c *Controller) updateReplicaSet(logger klog.Logger, old, cur any) {
	oldRS, curRS := old.(*v1alpha1.ReplicaSet), cur.(*v1alpha1.ReplicaSet)
	if curRS.ResourceVersion == oldRS.ResourceVersion {
		return // periodic resync
	}
	oldRef, curRef := metav1.GetControllerOf(oldRS), metav1.GetControllerOf(curRS)
	refChanged := !apiequality.Semantic.DeepEqual(oldRef, curRef)
	if refChanged && oldRef != nil {
		if d := c.resolveControllerRef(oldRS.Namespace, oldRef); d != nil {
			c.enqueue(logger, d)
		}
	}
	if curRef != nil {
		if d := c.resolveControllerRef(curRS.Namespace, curRef); d != nil {
			logger.V(4).Info("ReplicaSet updated", "replicaSet", klog.KObj(curRS), "deployment", klog.KObj(d))
			c.enqueue(logger, d)
		}
		return
	}
	if refChanged || !labels.Equals(oldRS.Labels, curRS.Labels) {
		for _, d := range c.deploymentsForReplicaSet(logger, curRS) {
			c.enqueue(logger, d)
		}
	}
}

func (c *Controller) deleteReplicaSet(logger klog.Logger, obj any) {
	rs, ok := controllerutil.FromTombstone[*v1alpha1.ReplicaSet](obj)
	if !ok {
		utilruntime.HandleErrorWithLogger(logger, fmt.Errorf("unexpected object %T", obj), "Ignoring ReplicaSet delete event")
		return
	}
	ref := metav1.GetControllerOf(rs)
	if ref == nil {
		return
	}
	if d := c.resolveControllerRef(rs.Namespace, ref); d != nil {
		logger.V(4).Info("ReplicaSet deleted", "replicaSet", klog.KObj(rs), "deployment", klog.KObj(d))
		c.enqueue(logger, d)
	}
}

// deletePod wakes a Recreate Deployment up when an old pod is gone: it
// waits for all of them before creating new pods.
func (c *Controller) deletePod(logger klog.Logger, obj any) {
	pod, ok := controllerutil.FromTombstone[*corev1.Pod](obj)
	if !ok {
		utilruntime.HandleErrorWithLogger(logger, fmt.Errorf("unexpected object %T", obj), "Ignoring Pod delete event")
		return
	}
	d := c.deploymentForPod(pod)
	if d == nil || d.Spec.Strategy.Type != v1alpha1.RecreateDeploymentStrategyType {
		return
	}
	logger.V(4).Info("Pod deleted", "pod", klog.KObj(pod), "deployment", klog.KObj(d))
	c.enqueue(logger, d)
}

// updatePod wakes a Deployment with a restart budget
// (spec.rollbackOnFailure.maxRestarts) up when one of its pods restarted:
// a pod that restarts without ever becoming ready changes no ReplicaSet
// status, so nothing else would.
func (c *Controller) updatePod(logger klog.Logger, old, cur any) {
	oldPod, curPod := old.(*corev1.Pod), cur.(*corev1.Pod)
	if restartCount(curPod) <= restartCount(oldPod) {
		return
	}
	d := c.deploymentForPod(curPod)
	if d == nil || d.Spec.RollbackOnFailure == nil || d.Spec.RollbackOnFailure.MaxRestarts == nil {
		return
	}
	logger.V(4).Info("Pod restarted", "pod", klog.KObj(curPod), "deployment", klog.KObj(d))
	c.enqueue(logger, d)
}

func restartCount(p *corev1.Pod) int32 {
	var n int32
	for _, cs := range p.Status.ContainerStatuses {
		n += cs.RestartCount
	}
	return n
}

// deploymentForPod returns the Deployment whose ReplicaSet controls pod.
func (c *Controller) deploymentForPod(pod *corev1.Pod) *v1alpha1.Deployment {
	ref := metav1.GetControllerOf(pod)
	if ref == nil || ref.Kind != replicaSetKind.Kind || ref.APIVersion != replicaSetKind.GroupVersion().String() {
		return nil
	}
	rs, err := c.rsLister.ReplicaSets(pod.Namespace).Get(ref.Name)
	if err != nil || rs.UID != ref.UID {
		return nil
	}
	rsRef := metav1.GetControllerOf(rs)
	if rsRef == nil {
		return nil
	}
	return c.resolveControllerRef(rs.Namespace, rsRef)
}

// resolveControllerRef returns the Deployment ref points to, or nil when it
// is not one of ours or the UID differs.
func (c *Controller) resolveControllerRef(namespace string, ref *metav1.OwnerReference) *v1alpha1.Deployment {
	return controllerutil.ResolveControllerRef(ref, controllerKind, c.dLister.Deployments(namespace).Get)
}

func selectorOf(d *v1alpha1.Deployment) *metav1.LabelSelector { return d.Spec.Selector }

// deploymentsForReplicaSet returns the Deployments whose selector matches
// the labels of rs.
func (c *Controller) deploymentsForReplicaSet(logger klog.Logger, rs *v1alpha1.ReplicaSet) []*v1alpha1.Deployment {
	if len(rs.Labels) == 0 {
		return nil
	}
	all, err := c.dLister.Deployments(rs.Namespace).List(labels.Everything())
	if err != nil {
		return nil
	}
	out := controllerutil.SelectingOwners(all, selectorOf, rs.Labels)
	if len(out) > 1 {
		logger.V(2).Info("More than one Deployment selects ReplicaSet; the first to adopt it wins", "replicaSet", klog.KObj(rs), "count", len(out))
	}
	return out
}

// Sync.

func (c *Controller) sync(ctx context.Context, key string) error {
	logger := klog.FromContext(ctx)
	start := c.clock.Now()
	defer func() {
		logger.V(4).Info("Finished syncing", "deployment", key, "duration", c.clock.Since(start))
	}()
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	cached, err := c.dLister.Deployments(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		logger.V(4).Info("Deployment has been deleted", "deployment", key)
		return nil
	}
	if err != nil {
		return err
	}
	// Never mutate the cache.
	d := cached.DeepCopy()
	ctx = klog.NewContext(ctx, klog.LoggerWithValues(logger, "deployment", klog.KObj(d)))

	if d.Spec.Selector == nil || (len(d.Spec.Selector.MatchLabels) == 0 && len(d.Spec.Selector.MatchExpressions) == 0) {
		c.recorder.Eventf(d, corev1.EventTypeWarning, ReasonSelectingAll, "This deployment is selecting all pods. A non-empty selector is required.")
		if d.Status.ObservedGeneration < d.Generation {
			d.Status.ObservedGeneration = d.Generation
			return c.writeStatus(ctx, d)
		}
		return nil
	}

	rsList, err := c.claimReplicaSets(ctx, d)
	if err != nil {
		return err
	}

	if d.DeletionTimestamp != nil {
		return c.syncStatusOnly(ctx, d, rsList)
	}
	if err := c.checkPausedConditions(ctx, d); err != nil {
		return err
	}
	if d.Spec.Paused {
		return c.syncScale(ctx, d, rsList)
	}
	// A rollback rewrites the template; nothing else happens until the
	// controller sees the Deployment with spec.rollbackTo cleared.
	if d.Spec.RollbackTo != nil {
		return c.rollback(ctx, d, rsList)
	}
	scaling, err := c.isScalingEvent(ctx, d, rsList)
	if err != nil {
		return err
	}
	if scaling {
		return c.syncScale(ctx, d, rsList)
	}
	switch d.Spec.Strategy.Type {
	case v1alpha1.RecreateDeploymentStrategyType:
		podMap, err := c.podsByReplicaSet(d, rsList)
		if err != nil {
			return err
		}
		return c.rolloutRecreate(ctx, d, rsList, podMap)
	case v1alpha1.RollingUpdateDeploymentStrategyType:
		return c.rolloutRolling(ctx, d, rsList)
	}
	return fmt.Errorf("unsupported deployment strategy %q", d.Spec.Strategy.Type)
}

// claimReplicaSets returns the ReplicaSets of d after adopting orphans that
// match its selector and releasing owned ones that no longer match.
func (c *Controller) claimReplicaSets(ctx context.Context, d *v1alpha1.Deployment) ([]*v1alpha1.ReplicaSet, error) {
	selector, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("deployment %s/%s has an invalid selector: %w", d.Namespace, d.Name, err)
	}
	all, err := c.rsLister.ReplicaSets(d.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	canAdopt := controllerutil.FreshOwnerCheckWith(d, c.client.ExperimentalV1alpha1().Deployments(d.Namespace).Get)
	m := controllerutil.NewReplicaSetControllerRefManager(c.client, d, controllerKind, selector, canAdopt)
	return m.ClaimReplicaSets(ctx, all)
}

// podsByReplicaSet returns the pods of each ReplicaSet of d by its UID,
// terminating ones included.
func (c *Controller) podsByReplicaSet(d *v1alpha1.Deployment, rsList []*v1alpha1.ReplicaSet) (map[types.UID][]*corev1.Pod, error) {
	selector, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, err
	}
	out := make(map[types.UID][]*corev1.Pod, len(rsList))
	for _, rs := range rsList {
		pods, err := controllerutil.ListControlledBy[*corev1.Pod](c.podIndexer, d.Namespace, rs.UID)
		if err != nil {
			return nil, err
		}
		var selected []*corev1.Pod
		for _, p := range pods {
			if selector.Matches(labels.Set(p.Labels)) {
				selected = append(selected, p)
			}
		}
		out[rs.UID] = selected
	}
	return out, nil
}

// writeStatus writes the status (and annotations) of d through the status
// subresource and refreshes d from the result, so later writes of the same
// sync carry the new resourceVersion.
func (c *Controller) writeStatus(ctx context.Context, d *v1alpha1.Deployment) error {
	updated, err := c.client.ExperimentalV1alpha1().Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("updating status of Deployment %s/%s: %w", d.Namespace, d.Name, err)
	}
	*d = *updated
	return nil
}

// writeDeployment updates d (spec and metadata) and refreshes it from the
// result.
func (c *Controller) writeDeployment(ctx context.Context, d *v1alpha1.Deployment) error {
	updated, err := c.client.ExperimentalV1alpha1().Deployments(d.Namespace).Update(ctx, d, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("updating Deployment %s/%s: %w", d.Namespace, d.Name, err)
	}
	*d = *updated
	return nil
}

// keyOf returns the queue key of d.
func keyOf(d *v1alpha1.Deployment) string { return d.Namespace + "/" + d.Name }
