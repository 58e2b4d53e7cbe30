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
	"errors"
	"fmt"
	"sort"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/internal/controllerutil"
)

func (c *Controller) sync(ctx context.Context, key string) error {
	logger := klog.FromContext(ctx)
	start := c.clock.Now()
	defer func() {
		logger.V(4).Info("Finished syncing", "daemonSet", key, "duration", c.clock.Since(start))
	}()
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	ds, err := c.dsLister.DaemonSets(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		logger.V(3).Info("DaemonSet has been deleted", "daemonSet", key)
		c.forget(logger, key)
		return nil
	}
	if err != nil {
		return fmt.Errorf("getting DaemonSet %s from the cache: %w", key, err)
	}
	ctx = klog.NewContext(ctx, klog.LoggerWithValues(logger, "daemonSet", klog.KObj(ds)))
	logger = klog.FromContext(ctx)

	selector, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil {
		// Validation prevents this; nothing to retry.
		utilruntime.HandleErrorWithContext(ctx, err, "Invalid selector", "daemonSet", klog.KObj(ds))
		return nil
	}
	if selector.Empty() {
		c.recorder.Eventf(ds, corev1.EventTypeWarning, EventSelectingAll, "This DaemonSet selects all pods. A non-empty selector is required.")
		return nil
	}
	// A DaemonSet being deleted may already have lost its revisions to the
	// garbage collector: neither manage nor report status for it.
	if ds.DeletionTimestamp != nil {
		return nil
	}
	nodes, err := c.nodeLister.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	// Check expectations before listing pods: once they are satisfied, the
	// cache holds every pod this controller created or deleted, so the list
	// below is fresh enough to act on. Checked after the list, a watch event
	// arriving in between would satisfy them while the list still lacks the
	// pod, and the same pod would be created twice.
	satisfied := c.expectations.SatisfiedExpectations(logger, key)
	// Claim once per sync: every step below works on the same pods, so an
	// orphan is adopted once, not once per step.
	pods, err := c.daemonPods(ctx, ds, selector)
	if err != nil {
		return err
	}
	cur, old, err := c.constructHistory(ctx, ds, selector, pods)
	if err != nil {
		return fmt.Errorf("constructing the revisions of DaemonSet %s: %w", key, err)
	}
	hash := cur.Labels[revisionHashLabel]
	// Grouped once: manage, the rolling update and the status all work on
	// the same pods (the rolling update adds empty entries for desired nodes
	// without pods, which the others read as no pods).
	nodeToPods := nodesToDaemonPods(logger, pods)

	if !satisfied {
		// Earlier creations or deletions are not observed yet: report status
		// only, without claiming this generation was processed.
		return c.updateStatus(ctx, ds, nodeToPods, nodes, hash, false)
	}
	manageErr := c.manageAndUpdate(ctx, ds, pods, nodeToPods, nodes, hash, key, old)
	statusErr := c.updateStatus(ctx, ds, nodeToPods, nodes, hash, true)
	if manageErr != nil && statusErr != nil {
		logger.Error(statusErr, "Failed to update status")
	}
	if manageErr != nil {
		return manageErr
	}
	return statusErr
}

// manageAndUpdate places pods on nodes or, when there was nothing to place,
// advances the update strategy; then it trims the history.
func (c *Controller) manageAndUpdate(ctx context.Context, ds *v1alpha1.DaemonSet, pods []*corev1.Pod, nodeToPods map[string][]*corev1.Pod, nodes []*corev1.Node, hash, key string, old []*appsv1.ControllerRevision) error {
	acted, err := c.manage(ctx, ds, nodeToPods, nodes, hash)
	if err != nil {
		return err
	}
	// The update strategy acts only when manage had nothing to do, so the
	// pods it looks at are still current. (Whether manage's own writes are
	// observed yet says nothing about pods: they were listed before those
	// writes.) The events of manage's writes trigger the next sync.
	if !acted && ds.Spec.UpdateStrategy.Type == v1alpha1.RollingUpdateDaemonSetStrategyType {
		if err := c.rollingUpdate(ctx, ds, nodeToPods, nodes, hash); err != nil {
			return err
		}
	}
	// Pods being deleted still count: their revision must outlive them.
	if err := c.cleanupHistory(ctx, ds, pods, old); err != nil {
		return fmt.Errorf("cleaning up the revisions of DaemonSet %s: %w", key, err)
	}
	return nil
}

// canAdopt returns the check that runs before the first adoption of a sync:
// a fresh read of ds, which must still exist with the same UID and not be
// being deleted.
func (c *Controller) canAdopt(ds *v1alpha1.DaemonSet) func(ctx context.Context) error {
	return controllerutil.FreshOwnerCheckWith(ds, c.client.ExperimentalV1alpha1().DaemonSets(ds.Namespace).Get)
}

// daemonPods returns the pods of ds, adopting orphans that match its
// selector and releasing owned pods that stopped matching. The pods are the
// cache's: copy before modifying.
func (c *Controller) daemonPods(ctx context.Context, ds *v1alpha1.DaemonSet, selector labels.Selector) ([]*corev1.Pod, error) {
	// The pods ds controls and the orphans it may adopt; pods of other
	// controllers are none of its business.
	candidates, err := controllerutil.ListClaimCandidates[*corev1.Pod](c.podIndexer, ds)
	if err != nil {
		return nil, fmt.Errorf("listing pods: %w", err)
	}
	m := controllerutil.NewPodControllerRefManager(c.kubeClient, ds, controllerKind, selector, c.canAdopt(ds))
	return m.ClaimPods(ctx, candidates)
}

// nodesToDaemonPods groups the pods of ds by the node they are for. Pods
// that reached a terminal phase and are being deleted are left out: nothing
// remains to do with them.
func nodesToDaemonPods(logger klog.Logger, pods []*corev1.Pod) map[string][]*corev1.Pod {
	out := make(map[string][]*corev1.Pod, len(pods))
	for _, pod := range pods {
		if controllerutil.IsPodTerminal(pod) && pod.DeletionTimestamp != nil {
			continue
		}
		node, err := targetNodeName(pod)
		if err != nil {
			logger.V(4).Info("Ignoring daemon pod without a target node", "pod", klog.KObj(pod), "err", err)
			continue
		}
		out[node] = append(out[node], pod)
	}
	return out
}

// manage creates the missing daemon pods and deletes those on nodes that are
// no longer eligible, excess ones, and failed ones (with a per-node backoff).
// It reports whether it created or deleted anything.
func (c *Controller) manage(ctx context.Context, ds *v1alpha1.DaemonSet, nodeToPods map[string][]*corev1.Pod, nodes []*corev1.Node, hash string) (acted bool, err error) {
	logger := klog.FromContext(ctx)
	p := newPlacement(ds)
	var createOn []string
	var toDelete []*corev1.Pod
	for _, node := range nodes {
		create, del := c.podsShouldBeOnNode(logger, p, node, nodeToPods[node.Name], hash)
		if create {
			createOn = append(createOn, node.Name)
		}
		toDelete = append(toDelete, del...)
	}
	// Pods never scheduled for nodes that no longer exist: the pod garbage
	// collector only removes pods bound to a missing node, so these are ours
	// to delete.
	toDelete = append(toDelete, unscheduledPodsWithoutNode(nodes, nodeToPods)...)
	return len(createOn) > 0 || len(toDelete) > 0, c.syncNodes(ctx, ds, toDelete, createOn, hash)
}

// podsShouldBeOnNode decides, for one node, whether a daemon pod must be
// created there and which of its pods must be deleted.
func (c *Controller) podsShouldBeOnNode(logger klog.Logger, p placement, node *corev1.Node, pods []*corev1.Pod, hash string) (create bool, toDelete []*corev1.Pod) {
	ds := p.ds
	shouldRun, shouldContinueRunning := p.nodeShouldRun(logger, node)
	switch {
	case shouldRun && len(pods) == 0:
		return true, nil
	case shouldContinueRunning:
		var running []*corev1.Pod
		for _, pod := range pods {
			if pod.DeletionTimestamp != nil {
				continue
			}
			switch pod.Status.Phase {
			case corev1.PodFailed:
				// The kubelet may keep rejecting the pod; back off per node so
				// delete/create does not hot-loop.
				backoffKey := failedPodsBackoffKey(ds, node.Name)
				now := c.clock.Now()
				if c.failedPodsBackoff.IsInBackOffSinceUpdate(backoffKey, now) {
					delay := c.failedPodsBackoff.Get(backoffKey)
					logger.V(4).Info("Deleting failed daemon pod is limited by backoff", "pod", klog.KObj(pod), "node", klog.KObj(node), "delay", delay)
					if key, err := controllerutil.KeyFunc(ds); err == nil {
						c.enqueueAfter(key, delay)
					}
					continue
				}
				c.failedPodsBackoff.Next(backoffKey, now)
				logger.V(2).Info("Found failed daemon pod, deleting it", "pod", klog.KObj(pod), "node", klog.KObj(node))
				c.recorder.Eventf(ds, corev1.EventTypeWarning, EventFailedDaemonPod,
					"Found failed daemon pod %s/%s on node %s, will try to kill it", pod.Namespace, pod.Name, node.Name)
				toDelete = append(toDelete, pod)
			case corev1.PodSucceeded:
				logger.V(2).Info("Found succeeded daemon pod, deleting it", "pod", klog.KObj(pod), "node", klog.KObj(node))
				c.recorder.Eventf(ds, corev1.EventTypeNormal, EventSucceededDaemonPod,
					"Found succeeded daemon pod %s/%s on node %s, will try to delete it", pod.Namespace, pod.Name, node.Name)
				toDelete = append(toDelete, pod)
			default:
				running = append(running, pod)
			}
		}
		if len(running) > 1 {
			sort.Sort(podsByCreation(running))
		}
		if !allowsSurge(ds) {
			// One pod per node: keep the oldest (scheduled first).
			if len(running) > 1 {
				toDelete = append(toDelete, running[1:]...)
			}
			return false, toDelete
		}
		if len(running) == 0 {
			// Surging needs at least one live pod on the node.
			return shouldRun, toDelete
		}
		if len(running) == 1 {
			return false, toDelete
		}
		// With surge, two pods may share a node: the oldest updated one and
		// the oldest old one, while the old one is ready and the new one not
		// yet available. Everything else goes.
		var oldestNew, oldestOld *corev1.Pod
		for _, pod := range running {
			switch {
			case isPodUpdated(pod, hash) && oldestNew == nil:
				oldestNew = pod
			case !isPodUpdated(pod, hash) && oldestOld == nil:
				oldestOld = pod
			default:
				toDelete = append(toDelete, pod)
			}
		}
		if oldestNew != nil && oldestOld != nil {
			switch {
			case !controllerutil.IsPodReady(oldestOld):
				logger.V(5).Info("Old daemon pod is not ready, replacing it with the updated one", "oldPod", klog.KObj(oldestOld), "newPod", klog.KObj(oldestNew))
				toDelete = append(toDelete, oldestOld)
			case controllerutil.IsPodAvailable(oldestNew, ds.Spec.MinReadySeconds, c.clock.Now()):
				logger.V(5).Info("Updated daemon pod is available, deleting the old one", "oldPod", klog.KObj(oldestOld), "newPod", klog.KObj(oldestNew))
				toDelete = append(toDelete, oldestOld)
			}
		}
		return false, toDelete
	case len(pods) > 0:
		// Not supposed to run here any more: delete every pod on the node.
		for _, pod := range pods {
			if pod.DeletionTimestamp == nil {
				toDelete = append(toDelete, pod)
			}
		}
	}
	return false, toDelete
}

// failedPodsBackoffKey scopes the failed-pod backoff to one DaemonSet, its
// observed generation (a new spec starts afresh) and one node.
func failedPodsBackoffKey(ds *v1alpha1.DaemonSet, nodeName string) string {
	return fmt.Sprintf("%s/%d/%s", ds.UID, ds.Status.ObservedGeneration, nodeName)
}

// unscheduledPodsWithoutNode returns the unscheduled pods for nodes that are
// not in nodes.
func unscheduledPodsWithoutNode(nodes []*corev1.Node, nodeToPods map[string][]*corev1.Pod) []*corev1.Pod {
	// Built only when there is an unscheduled pod: a settled DaemonSet has
	// none, and this runs on every sync.
	var exists map[string]bool
	var out []*corev1.Pod
	for name, pods := range nodeToPods {
		for _, pod := range pods {
			if pod.Spec.NodeName != "" || pod.DeletionTimestamp != nil {
				continue
			}
			if exists == nil {
				exists = make(map[string]bool, len(nodes))
				for _, n := range nodes {
					exists[n.Name] = true
				}
			}
			if !exists[name] {
				out = append(out, pod)
			}
		}
	}
	return out
}

// podsByCreation orders scheduled pods before unscheduled ones, then older
// before newer, then by name.
type podsByCreation []*corev1.Pod

func (o podsByCreation) Len() int      { return len(o) }
func (o podsByCreation) Swap(i, j int) { o[i], o[j] = o[j], o[i] }
func (o podsByCreation) Less(i, j int) bool {
	if (o[i].Spec.NodeName == "") != (o[j].Spec.NodeName == "") {
		return o[i].Spec.NodeName != ""
	}
	if o[i].CreationTimestamp.Equal(&o[j].CreationTimestamp) {
		return o[i].Name < o[j].Name
	}
	return o[i].CreationTimestamp.Before(&o[j].CreationTimestamp)
}

// firstByCreation returns the pod podsByCreation puts first, without
// copying or sorting pods (a node nearly always has one).
func firstByCreation(pods []*corev1.Pod) *corev1.Pod {
	first := 0
	for i := 1; i < len(pods); i++ {
		if podsByCreation(pods).Less(i, first) {
			first = i
		}
	}
	return pods[first]
}

// syncNodes deletes toDelete and creates a daemon pod on each node of
// createOn, at most burstReplicas of each, with expectations set first so
// late watch events never cause duplicates. Creations run in slow-start
// batches.
func (c *Controller) syncNodes(ctx context.Context, ds *v1alpha1.DaemonSet, toDelete []*corev1.Pod, createOn []string, hash string) error {
	logger := klog.FromContext(ctx)
	key, err := controllerutil.KeyFunc(ds)
	if err != nil {
		return err
	}
	toDelete = dedupPods(toDelete)
	createOn = createOn[:min(len(createOn), c.burstReplicas)]
	toDelete = toDelete[:min(len(toDelete), c.burstReplicas)]
	if len(createOn) == 0 && len(toDelete) == 0 {
		return nil
	}
	c.expectations.ExpectCreationsAndDeletions(logger, key, len(createOn), controllerutil.PodKeys(toDelete))

	var errs []error
	if len(createOn) > 0 {
		logger.V(2).Info("Creating daemon pods", "count", len(createOn))
		template := podTemplate(ds, hash)
		ref := metav1.NewControllerRef(ds, controllerKind)
		var mu sync.Mutex
		next := 0
		successes, err := controllerutil.SlowStartBatch(len(createOn), controllerutil.SlowStartInitialBatchSize, func() error {
			mu.Lock()
			nodeName := createOn[next]
			next++
			mu.Unlock()
			err := c.podControl.CreatePods(ctx, ds.Namespace, podForNode(template, nodeName), ds, ref)
			if err == nil {
				return nil
			}
			// The create event will never come.
			c.expectations.CreationObserved(logger, key)
			if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
				return nil // every create fails until the namespace is gone
			}
			return fmt.Errorf("creating daemon pod for node %s: %w", nodeName, err)
		})
		attempted := next
		if skipped := len(createOn) - attempted; skipped > 0 {
			logger.V(2).Info("Slow-start failure, skipping the remaining creations", "skipped", skipped, "created", successes)
			c.expectations.LowerExpectations(logger, key, skipped)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(toDelete) > 0 {
		logger.V(2).Info("Deleting daemon pods", "count", len(toDelete))
		errCh := make(chan error, len(toDelete))
		var wg sync.WaitGroup
		for _, pod := range toDelete {
			wg.Go(func() {
				if err := c.podControl.DeletePod(ctx, pod, ds); err != nil {
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
		for err := range errCh {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func dedupPods(pods []*corev1.Pod) []*corev1.Pod {
	seen := map[string]bool{}
	out := pods[:0:0]
	for _, p := range pods {
		if k := controllerutil.PodKey(p); !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	return out
}
