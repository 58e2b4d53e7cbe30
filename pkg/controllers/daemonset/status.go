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
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/internal/controllerutil"
)

// statusUpdateRetries is how often a status update is retried after a
// conflict, each time on a fresh read.
const statusUpdateRetries = 3

// statusCounts are the counters of a DaemonSet's status.
type statusCounts struct {
	desired, current, misscheduled, ready, updated, available, unavailable int32
}

// calculateStatus counts, over the nodes, where ds should run and what its
// pods there do. On a node with several pods the oldest one counts. It also
// returns how long until the next ready pod becomes available, if any waits.
func calculateStatus(logger klog.Logger, ds *v1alpha1.DaemonSet, nodes []*corev1.Node, nodeToPods map[string][]*corev1.Pod, hash string, now time.Time) (statusCounts, time.Duration, bool) {
	var s statusCounts
	var next time.Duration
	waiting := false
	p := newPlacement(ds)
	for _, node := range nodes {
		shouldRun, _ := p.nodeShouldRun(logger, node)
		pods := nodeToPods[node.Name]
		if !shouldRun {
			if len(pods) > 0 {
				s.misscheduled++
			}
			continue
		}
		s.desired++
		if len(pods) == 0 {
			continue
		}
		s.current++
		pod := firstByCreation(pods)
		if controllerutil.IsPodReady(pod) {
			s.ready++
			if controllerutil.IsPodAvailable(pod, ds.Spec.MinReadySeconds, now) {
				s.available++
			} else if d, ok := controllerutil.AvailableIn(pod, ds.Spec.MinReadySeconds, now); ok && d > 0 && (!waiting || d < next) {
				next, waiting = d, true
			}
		}
		if isPodUpdated(pod, hash) {
			s.updated++
		}
	}
	s.unavailable = s.desired - s.available
	return s, next, waiting
}

// updateStatus computes the status of ds and writes it when it changed.
// observedGeneration is raised only when the sync acted on this generation
// (updateObservedGeneration).
func (c *Controller) updateStatus(ctx context.Context, ds *v1alpha1.DaemonSet, nodeToPods map[string][]*corev1.Pod, nodes []*corev1.Node, hash string, updateObservedGeneration bool) error {
	logger := klog.FromContext(ctx)
	now := c.clock.Now()
	counts, next, waiting := calculateStatus(logger, ds, nodes, nodeToPods, hash, now)
	cond, err := c.progressing(logger, ds, nodes, nodeToPods, hash)
	if err != nil {
		return err
	}
	if err := c.storeStatus(ctx, ds, counts, cond, updateObservedGeneration); err != nil {
		return err
	}
	if waiting {
		// Report the pod once it has been ready for minReadySeconds.
		if key, err := controllerutil.KeyFunc(ds); err == nil {
			logger.V(4).Info("Requeueing to observe availability", "after", next)
			c.enqueueAfter(key, next)
		}
	}
	return nil
}

func applyCounts(status *v1alpha1.DaemonSetStatus, s statusCounts) {
	status.DesiredNumberScheduled = s.desired
	status.CurrentNumberScheduled = s.current
	status.NumberMisscheduled = s.misscheduled
	status.NumberReady = s.ready
	status.UpdatedNumberScheduled = s.updated
	status.NumberAvailable = s.available
	status.NumberUnavailable = s.unavailable
}

func countsOf(status v1alpha1.DaemonSetStatus) statusCounts {
	return statusCounts{
		desired:      status.DesiredNumberScheduled,
		current:      status.CurrentNumberScheduled,
		misscheduled: status.NumberMisscheduled,
		ready:        status.NumberReady,
		updated:      status.UpdatedNumberScheduled,
		available:    status.NumberAvailable,
		unavailable:  status.NumberUnavailable,
	}
}

// progressing returns the Progressing condition ds should report: nil for a
// DaemonSet that uses none of the progressive delivery fields (which then
// reports no such condition, as in apps/v1).
func (c *Controller) progressing(logger klog.Logger, ds *v1alpha1.DaemonSet, nodes []*corev1.Node, nodeToPods map[string][]*corev1.Pod, hash string) (*v1alpha1.DaemonSetCondition, error) {
	if !usesProgressiveFields(ds) {
		return nil, nil
	}
	now := c.clock.Now()
	state, gate, err := computeRolloutState(logger, ds, nodes, nodeToPods, hash, func(pod *corev1.Pod) bool {
		return controllerutil.IsPodAvailable(pod, ds.Spec.MinReadySeconds, now)
	})
	if err != nil {
		return nil, fmt.Errorf("DaemonSet %s/%s: %w", ds.Namespace, ds.Name, err)
	}
	status, reason, message := progressingCondition(state, gate, hash)
	return &v1alpha1.DaemonSetCondition{
		Type:               v1alpha1.DaemonSetProgressing,
		Status:             status,
		LastTransitionTime: metav1.NewTime(now),
		Reason:             reason,
		Message:            message,
	}, nil
}

// withProgressing returns conditions with the Progressing condition replaced
// by cond (removed when cond is nil), and whether that changed anything. The
// transition time is kept while the status stays the same.
func withProgressing(conditions []v1alpha1.DaemonSetCondition, cond *v1alpha1.DaemonSetCondition) ([]v1alpha1.DaemonSetCondition, bool) {
	var out []v1alpha1.DaemonSetCondition
	var existing *v1alpha1.DaemonSetCondition
	for i := range conditions {
		if conditions[i].Type == v1alpha1.DaemonSetProgressing {
			existing = &conditions[i]
			continue
		}
		out = append(out, conditions[i])
	}
	switch {
	case cond == nil:
		return out, existing != nil
	case existing != nil && existing.Status == cond.Status && existing.Reason == cond.Reason && existing.Message == cond.Message:
		return conditions, false
	}
	next := *cond
	if existing != nil && existing.Status == cond.Status {
		next.LastTransitionTime = existing.LastTransitionTime
	}
	return append(out, next), true
}

// storeStatus writes counts, the Progressing condition (and
// observedGeneration) through the status subresource unless ds already
// reports them, retrying conflicts on a fresh read. Other status fields
// (collisionCount, other conditions) are kept as stored. When the condition
// becomes RolloutBlocked, a warning event names the blocking nodes.
func (c *Controller) storeStatus(ctx context.Context, ds *v1alpha1.DaemonSet, counts statusCounts, cond *v1alpha1.DaemonSetCondition, updateObservedGeneration bool) error {
	_, condChanged := withProgressing(ds.Status.Conditions, cond)
	newGeneration := updateObservedGeneration && ds.Status.ObservedGeneration < ds.Generation
	if countsOf(ds.Status) == counts && !condChanged && !newGeneration {
		return nil
	}
	logger := klog.FromContext(ctx)
	key, err := controllerutil.KeyFunc(ds)
	if err != nil {
		return err
	}
	if !condChanged && !newGeneration {
		if wait := c.countWrites.Wait(key); wait > 0 {
			logger.V(4).Info("Putting off a status write of counts only", "after", wait)
			c.enqueueAfter(key, wait)
			return nil
		}
	}
	c.countWrites.Mark(key)
	client := c.client.ExperimentalV1alpha1().DaemonSets(ds.Namespace)
	toUpdate := ds.DeepCopy()
	var lastErr error
	for attempt := 0; attempt <= statusUpdateRetries; attempt++ {
		if toUpdate.UID != ds.UID {
			return fmt.Errorf("DaemonSet %s/%s was replaced while updating its status", ds.Namespace, ds.Name)
		}
		if updateObservedGeneration {
			toUpdate.Status.ObservedGeneration = toUpdate.Generation
		}
		applyCounts(&toUpdate.Status, counts)
		wasBlocked := false
		for _, existing := range toUpdate.Status.Conditions {
			wasBlocked = wasBlocked || (existing.Type == v1alpha1.DaemonSetProgressing && existing.Reason == v1alpha1.DaemonSetRolloutBlockedReason)
		}
		conditions, changed := withProgressing(toUpdate.Status.Conditions, cond)
		toUpdate.Status.Conditions = conditions
		logger.V(4).Info("Updating status", "desired", counts.desired, "current", counts.current, "ready", counts.ready,
			"updated", counts.updated, "available", counts.available, "misscheduled", counts.misscheduled,
			"observedGeneration", toUpdate.Status.ObservedGeneration)
		_, err := client.UpdateStatus(ctx, toUpdate, metav1.UpdateOptions{})
		if err == nil {
			if changed && cond != nil {
				logger.V(2).Info("Rollout condition changed", "status", cond.Status, "reason", cond.Reason, "message", cond.Message)
				if cond.Reason == v1alpha1.DaemonSetRolloutBlockedReason && !wasBlocked {
					c.recorder.Event(ds, corev1.EventTypeWarning, v1alpha1.DaemonSetRolloutBlockedReason, cond.Message)
				}
			}
			return nil
		}
		lastErr = err
		if !apierrors.IsConflict(err) {
			break
		}
		fresh, err := client.Get(ctx, ds.Name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("re-reading DaemonSet %s/%s after a conflict: %w", ds.Namespace, ds.Name, err)
		}
		if fresh.Generation != ds.Generation {
			// The spec changed under us: these counts belong to the old one.
			// The update event requeues the DaemonSet.
			return nil
		}
		toUpdate = fresh
	}
	return fmt.Errorf("updating status of DaemonSet %s/%s: %w", ds.Namespace, ds.Name, lastErr)
}
