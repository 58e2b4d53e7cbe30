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

package job

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// trackStatusAndRemoveFinalizers accounts for terminated pods exactly once:
//
//  1. it adds the UIDs of finished pods that still carry the tracking
//     finalizer to status.uncountedTerminatedPods (Indexed Jobs record the
//     completed index instead) and persists that, together with an interim
//     FailureTarget or SuccessCriteriaMet condition;
//  2. it removes the finalizers of those pods;
//  3. it moves the UIDs whose finalizer is gone from uncounted into the
//     succeeded and failed counters;
//  4. once nothing is uncounted or terminating, it adds Failed or Complete.
//
// At most maxUncountedPods pods are handled per sync.
func (c *Controller) trackStatusAndRemoveFinalizers(ctx context.Context, st *syncState, needsFlush bool) error {
	logger := klog.FromContext(ctx)
	job := st.job
	indexed := isIndexed(job)
	if indexed {
		sort.Sort(byIndex(st.pods))
	}
	withFinalizer := sets.New[types.UID]()
	for _, p := range st.pods {
		if hasTrackingFinalizer(p) && !st.expectedRmFinalizers.Has(p.UID) {
			withFinalizer.Insert(p.UID)
		}
	}
	uncounted := job.Status.UncountedTerminatedPods
	if countUncountedWithoutFinalizers(&job.Status, withFinalizer) {
		needsFlush = true
	}
	var toRemove []*corev1.Pod
	var newIndexes []int
	reachedMax := false
	for _, p := range st.pods {
		if !hasTrackingFinalizer(p) || st.expectedRmFinalizers.Has(p.UID) {
			continue // counted in an earlier sync
		}
		failed := isPodFailed(p, job)
		if !canRemoveFinalizer(logger, st, p, failed) {
			continue
		}
		toRemove = append(toRemove, p)
		switch {
		case p.Status.Phase == corev1.PodSucceeded && !st.uncountedFailed.Has(p.UID):
			if indexed {
				if ix, ok := validIndex(job, p); ok && !st.prevSucceeded.has(ix) {
					newIndexes = append(newIndexes, ix)
					needsFlush = true
				}
			} else if !st.uncountedSucceeded.Has(p.UID) {
				uncounted.Succeeded = append(uncounted.Succeeded, p.UID)
				needsFlush = true
			}
		case failed || (st.finished != nil && st.finished.Type != v1alpha1.JobSuccessCriteriaMet):
			// A finishing (failing) Job counts every unfinished pod as failed.
			_, validIx := validIndex(job, p)
			if st.uncountedFailed.Has(p.UID) || (indexed && !validIx) {
				break
			}
			if _, counts, _ := matchPodFailurePolicy(job.Spec.PodFailurePolicy, p); counts {
				uncounted.Failed = append(uncounted.Failed, p.UID)
				needsFlush = true
			}
		}
		if len(newIndexes)+len(uncounted.Succeeded)+len(uncounted.Failed) >= maxUncountedPods {
			// Keep the status small and leave time to other Jobs; the status
			// and pod updates bring this Job back.
			reachedMax = true
			break
		}
	}
	if indexed {
		st.succeededIndexes = st.succeededIndexes.withIndexes(newIndexes)
		completed := st.succeededIndexes.String()
		if completed != job.Status.CompletedIndexes {
			needsFlush = true
		}
		job.Status.Succeeded = int32(st.succeededIndexes.total())
		job.Status.CompletedIndexes = completed
		var failedStr *string
		if st.failedIndexes != nil {
			failedStr = ptr.To(st.failedIndexes.String())
		}
		if !ptr.Equal(job.Status.FailedIndexes, failedStr) {
			job.Status.FailedIndexes = failedStr
			needsFlush = true
		}
	}
	if st.finished != nil && st.finished.Type == v1alpha1.JobFailureTarget {
		// Persist why the Job fails before its pods can go.
		job.Status.Conditions = append(job.Status.Conditions, *st.finished)
		needsFlush = true
		st.finished = newCondition(v1alpha1.JobFailed, corev1.ConditionTrue, st.finished.Reason, st.finished.Message, c.clock.Now())
	}
	if st.finished != nil && st.finished.Type == v1alpha1.JobSuccessCriteriaMet && st.finished.Status == corev1.ConditionTrue {
		if trueCondition(job, v1alpha1.JobSuccessCriteriaMet) == nil {
			job.Status.Conditions = append(job.Status.Conditions, *st.finished)
			needsFlush = true
		}
		st.finished = newCondition(v1alpha1.JobComplete, corev1.ConditionTrue, st.finished.Reason, st.finished.Message, c.clock.Now())
	}

	needsFlush, err := c.flushAndRemoveFinalizers(ctx, st, toRemove, withFinalizer, needsFlush)
	if err != nil {
		return err
	}
	finished := !reachedMax && c.enactFinished(logger, st)
	if finished {
		needsFlush = true
	}
	if !needsFlush {
		return nil
	}
	updated, err := c.updateStatus(ctx, st.job)
	if err != nil {
		return fmt.Errorf("removing uncounted pods from status: %w", err)
	}
	st.job = updated
	if finished {
		c.recordFinished(st.job, st.finished)
		c.finished.WroteAt(st.key, st.job)
	}
	return nil
}

// canRemoveFinalizer reports whether a pod can stop being tracked: its Job
// is being deleted or finishing, the pod succeeded, or it failed (unless
// its finalizer waits for the replacement of its index).
func canRemoveFinalizer(logger klog.Logger, st *syncState, pod *corev1.Pod, failed bool) bool {
	if st.job.DeletionTimestamp != nil || st.finished != nil || pod.Status.Phase == corev1.PodSucceeded {
		return true
	}
	if !failed {
		return false
	}
	if hasBackoffLimitPerIndex(st.job) {
		if ix := completionIndex(pod); ix != unknownIndex {
			if p, ok := st.delayedDeletion[ix]; ok && p.UID == pod.UID {
				logger.V(3).Info("Keeping the tracking finalizer until the index is retried", "pod", klog.KObj(pod))
				return false
			}
		}
	}
	return true
}

// flushAndRemoveFinalizers persists the status (with the new uncounted
// UIDs) when needed, then removes the finalizers of toRemove, then moves
// the UIDs whose finalizer is gone into the counters; it persists again
// only when some removal failed (the caller persists otherwise). It returns
// whether the status has unpersisted changes.
func (c *Controller) flushAndRemoveFinalizers(ctx context.Context, st *syncState, toRemove []*corev1.Pod, withFinalizer sets.Set[types.UID], needsFlush bool) (bool, error) {
	logger := klog.FromContext(ctx)
	if needsFlush {
		updated, err := c.updateStatus(ctx, st.job)
		if err != nil {
			return needsFlush, fmt.Errorf("adding uncounted pods to status: %w", err)
		}
		st.job = updated
		c.backoff.set(st.key, st.backoff)
		needsFlush = false
	}
	var rmErr error
	if len(toRemove) > 0 {
		var removed []bool
		removed, rmErr = c.removeFinalizers(ctx, st.key, toRemove)
		for i, p := range toRemove {
			if removed[i] {
				withFinalizer.Delete(p.UID)
			}
		}
	}
	if countUncountedWithoutFinalizers(&st.job.Status, withFinalizer) {
		needsFlush = true
	}
	if rmErr != nil && needsFlush {
		updated, err := c.updateStatus(ctx, st.job)
		if err != nil {
			return needsFlush, errors.Join(rmErr, fmt.Errorf("removing uncounted pods from status: %w", err))
		}
		st.job = updated
		logger.V(2).Info("Persisted partial progress after failed finalizer removals")
		needsFlush = false
	}
	return needsFlush, rmErr
}

// countUncountedWithoutFinalizers moves the uncounted UIDs whose pods no
// longer carry the finalizer into the counters; it reports a change.
func countUncountedWithoutFinalizers(status *v1alpha1.JobStatus, withFinalizer sets.Set[types.UID]) bool {
	u := status.UncountedTerminatedPods
	keep := func(uids []types.UID) []types.UID {
		var out []types.UID
		for _, uid := range uids {
			if withFinalizer.Has(uid) {
				out = append(out, uid)
			}
		}
		return out
	}
	changed := false
	if kept := keep(u.Succeeded); len(kept) != len(u.Succeeded) {
		status.Succeeded += int32(len(u.Succeeded) - len(kept))
		u.Succeeded = kept
		changed = true
	}
	if kept := keep(u.Failed); len(kept) != len(u.Failed) {
		status.Failed += int32(len(u.Failed) - len(kept))
		u.Failed = kept
		changed = true
	}
	return changed
}

// removeFinalizers removes the tracking finalizer from pods in parallel;
// removed[i] is true when pods[i] no longer has it (or is gone).
func (c *Controller) removeFinalizers(ctx context.Context, key string, pods []*corev1.Pod) ([]bool, error) {
	logger := klog.FromContext(ctx)
	uids := make([]types.UID, len(pods))
	for i, p := range pods {
		uids[i] = p.UID
	}
	c.finalizerExpectations.expect(logger, key, uids)
	removed := make([]bool, len(pods))
	errCh := make(chan error, len(pods))
	var wg sync.WaitGroup
	for i, pod := range pods {
		wg.Go(func() {
			if err := c.removeFinalizer(ctx, pod); err != nil {
				// No update event will come for this pod.
				c.finalizerExpectations.observed(logger, key, pod.UID)
				if !apierrors.IsNotFound(err) {
					errCh <- fmt.Errorf("removing the tracking finalizer of pod %s/%s: %w", pod.Namespace, pod.Name, err)
					return
				}
			}
			removed[i] = true
		})
	}
	wg.Wait()
	close(errCh)
	var errs []error
	for err := range errCh {
		errs = append(errs, err)
	}
	return removed, errors.Join(errs...)
}

// enactFinished adds the final Complete or Failed condition when nothing is
// left to count or terminate; it reports whether the Job finished.
func (c *Controller) enactFinished(logger klog.Logger, st *syncState) bool {
	if st.finished == nil {
		return false
	}
	job := st.job
	if u := job.Status.UncountedTerminatedPods; u != nil && len(u.Succeeded)+len(u.Failed) > 0 {
		logger.V(4).Info("Delaying the finish until every pod is counted", "condition", st.finished.Type, "uncounted", len(u.Succeeded)+len(u.Failed))
		return false
	}
	if st.terminating > 0 {
		logger.V(4).Info("Delaying the finish until terminating pods are gone", "condition", st.finished.Type, "terminating", st.terminating)
		return false
	}
	job.Status.Conditions, _ = setCondition(job.Status.Conditions, st.finished.Type, st.finished.Status, st.finished.Reason, st.finished.Message, c.clock.Now())
	if st.finished.Type == v1alpha1.JobComplete {
		job.Status.CompletionTime = ptr.To(metav1.NewTime(c.clock.Now()))
	}
	return true
}

// recordFinished records the event of a finished Job.
func (c *Controller) recordFinished(job *v1alpha1.Job, cond *v1alpha1.JobCondition) {
	if cond.Type == v1alpha1.JobComplete {
		if job.Spec.Completions != nil && job.Status.Succeeded > *job.Spec.Completions {
			c.recorder.Event(job, corev1.EventTypeWarning, EventTooManySucceededPods, "Too many succeeded pods running after completion count reached")
		}
		c.recorder.Event(job, corev1.EventTypeNormal, EventCompleted, "Job completed")
		return
	}
	c.recorder.Event(job, corev1.EventTypeWarning, cond.Reason, cond.Message)
}

// updateStatus writes the status of job.
func (c *Controller) updateStatus(ctx context.Context, job *v1alpha1.Job) (*v1alpha1.Job, error) {
	updated, err := c.client.ExperimentalV1alpha1().Jobs(job.Namespace).UpdateStatus(ctx, job, metav1.UpdateOptions{})
	if err != nil {
		return nil, err
	}
	c.written.WroteAt(updated.Namespace+"/"+updated.Name, updated)
	if updated.Status.UncountedTerminatedPods == nil {
		updated.Status.UncountedTerminatedPods = &v1alpha1.UncountedTerminatedPods{}
	}
	return updated, nil
}
