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
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/internal/controllerutil"
)

// syncState is what one sync of a Job computes.
type syncState struct {
	job    *v1alpha1.Job
	key    string
	pods   []*corev1.Pod
	active []*corev1.Pod
	// finished is the condition the Job reached in this sync (FailureTarget,
	// SuccessCriteriaMet, then Failed or Complete), nil while running.
	finished             *v1alpha1.JobCondition
	succeeded, failed    int32
	prevSucceeded        intervals
	succeededIndexes     intervals
	failedIndexes        *intervals
	backoff              backoffRecord
	expectedRmFinalizers sets.Set[types.UID]
	uncountedSucceeded   sets.Set[types.UID]
	uncountedFailed      sets.Set[types.UID]
	// delayedDeletion holds, per index, the last failed pod whose finalizer
	// stays until its replacement exists (backoffLimitPerIndex), so the
	// replacement inherits its failure count.
	delayedDeletion map[int]*corev1.Pod
	terminating     int32
	ready           int32
}

func isFinished(job *v1alpha1.Job) bool {
	for _, c := range job.Status.Conditions {
		if (c.Type == v1alpha1.JobComplete || c.Type == v1alpha1.JobFailed) && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func isSuspended(job *v1alpha1.Job) bool { return ptr.Deref(job.Spec.Suspend, false) }

func findCondition(list []v1alpha1.JobCondition, t v1alpha1.JobConditionType) *v1alpha1.JobCondition {
	for i := range list {
		if list[i].Type == t {
			return &list[i]
		}
	}
	return nil
}

func trueCondition(job *v1alpha1.Job, t v1alpha1.JobConditionType) *v1alpha1.JobCondition {
	if c := findCondition(job.Status.Conditions, t); c != nil && c.Status == corev1.ConditionTrue {
		return c
	}
	return nil
}

func newCondition(t v1alpha1.JobConditionType, status corev1.ConditionStatus, reason, message string, now time.Time) *v1alpha1.JobCondition {
	return &v1alpha1.JobCondition{Type: t, Status: status, Reason: reason, Message: message,
		LastProbeTime: metav1.NewTime(now), LastTransitionTime: metav1.NewTime(now)}
}

// setCondition sets a condition of type t, appending it unless its status is
// False; it reports whether the list changed.
func setCondition(list []v1alpha1.JobCondition, t v1alpha1.JobConditionType, status corev1.ConditionStatus, reason, message string, now time.Time) ([]v1alpha1.JobCondition, bool) {
	if c := findCondition(list, t); c != nil {
		if c.Status != status || c.Reason != reason || c.Message != message {
			*c = *newCondition(t, status, reason, message, now)
			return list, true
		}
		return list, false
	}
	if status == corev1.ConditionFalse {
		return list, false
	}
	return append(list, *newCondition(t, status, reason, message, now)), true
}

func (c *Controller) failureTarget(reason, message string) *v1alpha1.JobCondition {
	return newCondition(v1alpha1.JobFailureTarget, corev1.ConditionTrue, reason, message, c.clock.Now())
}

// sync reconciles one Job.
func (c *Controller) sync(ctx context.Context, key string) error {
	logger := klog.FromContext(ctx)
	start := c.clock.Now()
	defer func() { logger.V(4).Info("Finished syncing", "job", key, "duration", c.clock.Since(start)) }()
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	shared, err := c.jobLister.Jobs(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		logger.V(4).Info("Job has been deleted", "job", key)
		c.forget(logger, key)
		return nil
	}
	if err != nil {
		return err
	}
	if manager, elsewhere := managedElsewhere(shared); elsewhere {
		logger.V(2).Info("Skipping Job managed by another controller", "job", klog.KObj(shared), "managedBy", manager)
		return nil
	}
	if isFinished(shared) {
		c.backoff.remove(key)
		c.finished.Clear(key)
		c.enqueueOrphansOf(logger, shared)
		return nil
	}
	if c.finished.Pending(key, shared) {
		logger.V(2).Info("Job was marked finished; waiting for the update to be observed", "job", klog.KObj(shared))
		return nil
	}
	if wait := c.staleWait(key, shared); wait > 0 {
		// Between tracking passes pods are managed from the cached status
		// alone; one that predates the last status write undercounts the
		// pods that write counted (their finalizers may be gone already),
		// so wait for the cache instead of creating pods it says are
		// missing.
		logger.V(4).Info("Waiting for the cache to show the last status write", "job", key, "resourceVersion", shared.ResourceVersion)
		c.enqueueAfter(key, wait)
		return nil
	}
	job := shared.DeepCopy()
	ctx = klog.NewContext(ctx, klog.LoggerWithValues(logger, "job", klog.KObj(job)))
	logger = klog.FromContext(ctx)
	if m := job.Spec.CompletionMode; m != nil && *m != v1alpha1.NonIndexedCompletion && *m != v1alpha1.IndexedCompletion {
		c.recorder.Event(job, corev1.EventTypeWarning, EventUnknownCompletion, "Skipped Job sync because completion mode is unknown")
		return nil
	}
	if isIndexed(job) && job.Spec.Completions == nil {
		// Validation forbids this; nothing to retry.
		logger.Info("Indexed Job without completions; skipping")
		return nil
	}
	if job.Status.UncountedTerminatedPods == nil {
		job.Status.UncountedTerminatedPods = &v1alpha1.UncountedTerminatedPods{}
	}

	// Check expectations before listing pods: a pod created after the check
	// is then seen by the next sync, never missed.
	satisfied := c.expectations.SatisfiedExpectations(logger, key)
	pods, err := c.podsForJob(ctx, job)
	if err != nil {
		return err
	}
	active := controllerutil.FilterActivePods(pods)
	st := &syncState{
		job:                  job,
		key:                  key,
		pods:                 pods,
		active:               active,
		ready:                countReady(active),
		terminating:          int32(len(controllerutil.FilterTerminatingPods(pods))),
		expectedRmFinalizers: c.finalizerExpectations.get(key),
		uncountedSucceeded:   sets.New(job.Status.UncountedTerminatedPods.Succeeded...),
		uncountedFailed:      sets.New(job.Status.UncountedTerminatedPods.Failed...),
	}
	activeCount := int32(len(active))
	newSucceeded, newFailed := newlyFinishedPods(st)
	st.succeeded = job.Status.Succeeded + int32(len(newSucceeded)) + int32(st.uncountedSucceeded.Len())
	st.failed = job.Status.Failed + int32(countedFailures(job, newFailed)) + int32(st.uncountedFailed.Len())

	if job.Status.StartTime == nil && !isSuspended(job) {
		now := metav1.NewTime(c.clock.Now())
		job.Status.StartTime = &now
	}
	st.backoff = nextBackoffRecord(c.backoff.get(key), newSucceeded, newFailed)

	// The end state, in order: an earlier SuccessCriteriaMet or FailureTarget
	// stands; then failures (pod failure policy, backoff limit, deadline,
	// failed indexes); then success (success policy, completions).
	st.finished = trueCondition(job, v1alpha1.JobSuccessCriteriaMet)
	if st.finished == nil {
		if ft := trueCondition(job, v1alpha1.JobFailureTarget); ft != nil {
			st.finished = newCondition(v1alpha1.JobFailed, corev1.ConditionTrue, ft.Reason, ft.Message, c.clock.Now())
		} else if msg := failJobMessage(job, pods); msg != nil {
			st.finished = c.failureTarget(ReasonPodFailurePolicy, *msg)
		}
	}
	if st.finished == nil {
		switch {
		case st.failed > ptr.Deref(job.Spec.BackoffLimit, 6) || pastBackoffLimitOnFailure(job, pods):
			st.finished = c.failureTarget(ReasonBackoffLimitExceeded, messageBackoffLimitExceeded)
		case c.pastActiveDeadline(job):
			st.finished = c.failureTarget(ReasonDeadlineExceeded, messageDeadlineExceeded)
		case job.Spec.ActiveDeadlineSeconds != nil && !isSuspended(job) && job.Status.StartTime != nil:
			left := time.Duration(*job.Spec.ActiveDeadlineSeconds)*time.Second - c.clock.Since(job.Status.StartTime.Time)
			logger.V(2).Info("Syncing again at the active deadline", "after", left)
			c.enqueueAfter(key, left)
		}
	}
	if isIndexed(job) {
		st.prevSucceeded, st.succeededIndexes = succeededIndexes(logger, job, pods)
		st.succeeded = int32(st.succeededIndexes.total())
		if hasBackoffLimitPerIndex(job) {
			st.failedIndexes = failedIndexes(logger, job, pods)
			if st.finished == nil {
				if job.Spec.MaxFailedIndexes != nil && st.failedIndexes.total() > int(*job.Spec.MaxFailedIndexes) {
					st.finished = c.failureTarget(ReasonMaxFailedIndexesExceeded, messageMaxFailedIndexesExceeded)
				} else if st.failedIndexes.total() > 0 && st.failedIndexes.total()+st.succeededIndexes.total() >= int(completionsOf(job)) {
					st.finished = c.failureTarget(ReasonFailedIndexes, messageFailedIndexes)
				}
			}
			st.delayedDeletion = podsWithDelayedDeletion(st)
		}
		if st.finished == nil {
			if msg, met := matchSuccessPolicy(logger, job.Spec.SuccessPolicy, completionsOf(job), st.succeededIndexes); met {
				st.finished = newCondition(v1alpha1.JobSuccessCriteriaMet, corev1.ConditionTrue, ReasonSuccessPolicy, msg, c.clock.Now())
			}
		}
	}

	var manageErr error
	suspendChanged := false
	if st.finished != nil {
		// Finishing: terminate what still runs, keeping the finalizers so the
		// pods are counted (as failed) before they go.
		deletedReady, deleted, err := c.deletePods(ctx, st, active, false)
		if deleted != activeCount || !satisfied {
			// Pods or finalizers may remain that the cache does not show yet.
			st.finished = nil
		}
		activeCount -= deleted
		st.terminating += deleted
		st.ready -= deletedReady
		manageErr = err
	} else {
		managed := false
		if satisfied && job.DeletionTimestamp == nil {
			activeCount, manageErr = c.manageJob(ctx, st)
			managed = true
		}
		var complete bool
		if job.Spec.Completions == nil {
			// Any success completes the Job once nothing runs any more.
			complete = st.succeeded > 0 && activeCount == 0
		} else {
			complete = st.succeeded >= *job.Spec.Completions && activeCount == 0
		}
		switch {
		case complete:
			st.finished = newCondition(v1alpha1.JobSuccessCriteriaMet, corev1.ConditionTrue, ReasonCompletionsReached, messageCompletionsReached, c.clock.Now())
		case managed && isSuspended(job):
			var changed bool
			job.Status.Conditions, changed = setCondition(job.Status.Conditions, v1alpha1.JobSuspended, corev1.ConditionTrue, reasonJobSuspended, "Job suspended", c.clock.Now())
			if changed {
				suspendChanged = true
				c.recorder.Event(job, corev1.EventTypeNormal, EventSuspended, "Job suspended")
				// The deadline counts time spent running; restart it on resume.
				job.Status.StartTime = nil
			}
		case managed:
			var changed bool
			job.Status.Conditions, changed = setCondition(job.Status.Conditions, v1alpha1.JobSuspended, corev1.ConditionFalse, reasonJobResumed, "Job resumed", c.clock.Now())
			if changed {
				suspendChanged = true
				c.recorder.Event(job, corev1.EventTypeNormal, EventResumed, "Job resumed")
				now := metav1.NewTime(c.clock.Now())
				job.Status.StartTime = &now
			}
		}
	}

	if wait := c.trackingWait(key, st, shared, suspendChanged); wait > 0 {
		// Pods are managed at the pace of pod events, status at most once a
		// syncBatchPeriod: finished pods keep their finalizer, so the
		// tracking pass that this requeue runs counts them exactly.
		logger.V(4).Info("Tracking status later", "after", wait)
		c.enqueueAfter(key, wait)
		return manageErr
	}
	c.tracked.Mark(key)
	needsUpdate := suspendChanged || activeCount != job.Status.Active || !ptr.Equal(&st.ready, job.Status.Ready) ||
		!ptr.Equal(job.Status.Terminating, &st.terminating)
	job.Status.Active = activeCount
	job.Status.Ready = ptr.To(st.ready)
	job.Status.Terminating = ptr.To(st.terminating)
	if err := c.trackStatusAndRemoveFinalizers(ctx, st, needsUpdate); err != nil {
		return errors.Join(manageErr, fmt.Errorf("tracking the status of Job %s: %w", key, err))
	}
	return manageErr
}

// trackingWait returns how long the status tracking pass of this sync can
// wait: until syncBatchPeriod after the last one, unless the Job is
// finishing, starting, suspending or resuming, or being deleted (zero: track
// now).
func (c *Controller) trackingWait(key string, st *syncState, shared *v1alpha1.Job, suspendChanged bool) time.Duration {
	if st.finished != nil || suspendChanged || shared.Status.StartTime == nil || shared.DeletionTimestamp != nil {
		return 0
	}
	return c.tracked.Wait(key)
}

// staleWait returns how long to wait before syncing a Job whose cached
// version is not the one this controller last wrote its status as: zero
// when the cache has that version or the next tracking pass is due (which,
// as upstream's syncs, works from the cache as it is), otherwise
// podSyncBatchPeriod. A Job that another writer changed after that write
// waits too, at most until the tracking pass.
func (c *Controller) staleWait(key string, shared *v1alpha1.Job) time.Duration {
	if !c.written.Lagging(key, shared) || c.tracked.Wait(key) == 0 {
		return 0
	}
	return podSyncBatchPeriod
}

// podsForJob returns the pods of job after adopting matching orphans (which
// get the tracking finalizer) and releasing pods that stopped matching.
func (c *Controller) podsForJob(ctx context.Context, job *v1alpha1.Job) ([]*corev1.Pod, error) {
	selector, err := metav1.LabelSelectorAsSelector(job.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("converting the selector of Job %s/%s: %w", job.Namespace, job.Name, err)
	}
	// Only pods we own or orphans are candidates.
	candidates, err := controllerutil.ListClaimCandidates[*corev1.Pod](c.podIndexer, job)
	if err != nil {
		return nil, err
	}
	canAdopt := controllerutil.FreshOwnerCheckWith(job, c.client.ExperimentalV1alpha1().Jobs(job.Namespace).Get)
	m := controllerutil.NewPodControllerRefManager(c.kubeClient, job, controllerKind, selector, canAdopt)
	claimed, claimErr := m.ClaimPods(ctx, candidates)
	var errs []error
	if claimErr != nil {
		errs = append(errs, claimErr)
	}
	for i, p := range claimed {
		if metav1.IsControlledBy(p, job) || hasTrackingFinalizer(p) {
			continue
		}
		// Adopted just now: it must be tracked like the pods we create.
		if err := c.addFinalizer(ctx, p); err != nil {
			if !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("adding the tracking finalizer to adopted pod %s/%s: %w", p.Namespace, p.Name, err))
			}
			continue
		}
		cp := p.DeepCopy()
		cp.Finalizers = append(cp.Finalizers, TrackingFinalizer)
		claimed[i] = cp
	}
	return claimed, errors.Join(errs...)
}

func countReady(pods []*corev1.Pod) int32 {
	var n int32
	for _, p := range pods {
		if controllerutil.IsPodReady(p) {
			n++
		}
	}
	return n
}

// validPods returns the pods that are still to be counted (they carry the
// finalizer, are not in uncounted and their removal is not pending) and,
// for Indexed Jobs, have a valid index, filtered by keep.
func validPods(st *syncState, uncounted sets.Set[types.UID], keep func(*corev1.Pod) bool) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range st.pods {
		if !hasTrackingFinalizer(p) || uncounted.Has(p.UID) || st.expectedRmFinalizers.Has(p.UID) {
			continue
		}
		if isIndexed(st.job) {
			if _, ok := validIndex(st.job, p); !ok {
				continue
			}
		}
		if keep(p) {
			out = append(out, p)
		}
	}
	return out
}

// newlyFinishedPods returns the pods that succeeded or failed since the
// last persisted status.
func newlyFinishedPods(st *syncState) (succeeded, failed []*corev1.Pod) {
	succeeded = validPods(st, st.uncountedSucceeded, func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodSucceeded })
	failed = validPods(st, st.uncountedFailed, func(p *corev1.Pod) bool { return isPodFailed(p, st.job) })
	return succeeded, failed
}

// countedFailures counts the failed pods that the pod failure policy does
// not ignore.
func countedFailures(job *v1alpha1.Job, failed []*corev1.Pod) int {
	n := 0
	for _, p := range failed {
		if _, counts, _ := matchPodFailurePolicy(job.Spec.PodFailurePolicy, p); counts {
			n++
		}
	}
	return n
}

// failJobMessage returns the message of the first FailJob rule a failed pod
// matches.
func failJobMessage(job *v1alpha1.Job, pods []*corev1.Pod) *string {
	if job.Spec.PodFailurePolicy == nil {
		return nil
	}
	for _, p := range pods {
		if !isPodFailed(p, job) {
			continue
		}
		if msg, _, _ := matchPodFailurePolicy(job.Spec.PodFailurePolicy, p); msg != nil {
			return msg
		}
	}
	return nil
}

// pastBackoffLimitOnFailure reports, for restartPolicy OnFailure, whether
// the container restarts of running pods reached the backoff limit.
func pastBackoffLimitOnFailure(job *v1alpha1.Job, pods []*corev1.Pod) bool {
	if job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyOnFailure {
		return false
	}
	var restarts int32
	for _, p := range pods {
		if p.Status.Phase != corev1.PodRunning && p.Status.Phase != corev1.PodPending {
			continue
		}
		for _, cs := range p.Status.InitContainerStatuses {
			restarts += cs.RestartCount
		}
		for _, cs := range p.Status.ContainerStatuses {
			restarts += cs.RestartCount
		}
	}
	limit := ptr.Deref(job.Spec.BackoffLimit, 6)
	if limit == 0 {
		return restarts > 0
	}
	return restarts >= limit
}

func (c *Controller) pastActiveDeadline(job *v1alpha1.Job) bool {
	if job.Spec.ActiveDeadlineSeconds == nil || job.Status.StartTime == nil || isSuspended(job) {
		return false
	}
	return c.clock.Since(job.Status.StartTime.Time) >= time.Duration(*job.Spec.ActiveDeadlineSeconds)*time.Second
}

// succeededIndexes returns the persisted completed indexes and those plus
// the indexes of succeeded pods not counted yet.
func succeededIndexes(logger klog.Logger, job *v1alpha1.Job, pods []*corev1.Pod) (intervals, intervals) {
	prev := parseIntervals(logger, job.Status.CompletedIndexes, int(completionsOf(job)))
	var add []int
	for _, p := range pods {
		if ix, ok := validIndex(job, p); ok && p.Status.Phase == corev1.PodSucceeded && hasTrackingFinalizer(p) {
			add = append(add, ix)
		}
	}
	return prev, prev.withIndexes(sets.List(sets.New(add...)))
}

// failedIndexes returns the persisted failed indexes plus the indexes whose
// pod failed beyond backoffLimitPerIndex (or matched a FailIndex rule).
func failedIndexes(logger klog.Logger, job *v1alpha1.Job, pods []*corev1.Pod) *intervals {
	var prev intervals
	if job.Status.FailedIndexes != nil {
		prev = parseIntervals(logger, *job.Status.FailedIndexes, int(completionsOf(job)))
	}
	var add []int
	for _, p := range pods {
		if ix, ok := validIndex(job, p); ok && hasTrackingFinalizer(p) && isIndexFailed(job, p) {
			add = append(add, ix)
		}
	}
	out := prev.withIndexes(sets.List(sets.New(add...)))
	return &out
}

func isIndexFailed(job *v1alpha1.Job, pod *corev1.Pod) bool {
	if !isPodFailed(pod, job) {
		return false
	}
	_, counts, action := matchPodFailurePolicy(job.Spec.PodFailurePolicy, pod)
	if action != nil && *action == v1alpha1.PodFailurePolicyActionFailIndex {
		return true
	}
	return counts && indexFailureCount(pod) >= *job.Spec.BackoffLimitPerIndex
}

// podsWithDelayedDeletion returns, per index to be retried, its last failed
// pod: its finalizer stays until the replacement is created with the failure
// count carried over.
func podsWithDelayedDeletion(st *syncState) map[int]*corev1.Pod {
	activeIdx := indexSet(st.active)
	out := map[int]*corev1.Pod{}
	validPods(st, nil, func(p *corev1.Pod) bool {
		if !isPodFailed(p, st.job) {
			return false
		}
		ix, _ := validIndex(st.job, p)
		if st.succeededIndexes.has(ix) || st.failedIndexes.has(ix) || activeIdx.Has(ix) {
			return false
		}
		absolute := func(p *corev1.Pod) int32 { return indexFailureCount(p) + indexIgnoredFailureCount(p) }
		if last, ok := out[ix]; !ok || (absolute(last) <= absolute(p) && !finishTime(p).Before(finishTime(last))) {
			out[ix] = p
		}
		return false
	})
	return out
}

// manageJob creates or deletes pods so that the Job runs the right number
// of active pods; it returns the new active count.
func (c *Controller) manageJob(ctx context.Context, st *syncState) (int32, error) {
	logger := klog.FromContext(ctx)
	job := st.job
	active := int32(len(st.active))
	parallelism := ptr.Deref(job.Spec.Parallelism, 1)

	if isSuspended(job) {
		if active > 0 {
			logger.V(2).Info("Deleting the active pods of a suspended Job", "active", active)
		}
		toDelete := podsForRemoval(job, st.active, int(active))
		c.expectations.ExpectDeletions(logger, st.key, controllerutil.PodKeys(toDelete))
		ready, removed, err := c.deletePods(ctx, st, toDelete, true)
		st.terminating += removed
		st.ready -= ready
		return active - removed, err
	}

	var want int32
	if job.Spec.Completions == nil {
		// Without completions: parallelism pods until one succeeds, then let
		// the running ones finish.
		want = parallelism
		if st.succeeded > 0 {
			want = active
		}
	} else {
		want = min(max(*job.Spec.Completions-st.succeeded, 0), parallelism)
	}

	if excess := int(active - want); excess > 0 || isIndexed(job) {
		toDelete := podsForRemoval(job, st.active, max(excess, 0))
		if len(toDelete) > maxPodCreateDeletePerSync {
			toDelete = toDelete[:maxPodCreateDeletePerSync]
		}
		if len(toDelete) > 0 {
			logger.V(2).Info("Too many pods running", "deleting", len(toDelete), "want", want)
			c.expectations.ExpectDeletions(logger, st.key, controllerutil.PodKeys(toDelete))
			ready, removed, err := c.deletePods(ctx, st, toDelete, true)
			st.terminating += removed
			st.ready -= ready
			// One kind of pod write per sync; deletions first.
			return active - removed, err
		}
	}

	var terminating int32
	if onlyReplaceFailedPods(job) {
		terminating = st.terminating
	}
	diff := want - terminating - active
	if diff <= 0 {
		return active, nil
	}
	if !hasBackoffLimitPerIndex(job) {
		if wait := remainingBackoff(c.clock.Now(), st.backoff.failuresAfterLastSuccess, st.backoff.lastFailureTime); wait > 0 {
			logger.V(2).Info("Delaying pod creation after failures", "after", wait, "failures", st.backoff.failuresAfterLastSuccess)
			c.enqueueAfter(st.key, max(wait, syncBatchPeriod))
			return active, nil
		}
	}
	diff = min(diff, maxPodCreateDeletePerSync)

	var indexes []int
	if isIndexed(job) {
		indexes = firstPendingIndexes(st, int(diff), int(completionsOf(job)))
		if hasBackoffLimitPerIndex(job) {
			var now []int
			var soonest time.Duration
			for _, ix := range indexes {
				wait := remainingIndexBackoff(c.clock.Now(), st.delayedDeletion[ix])
				if wait == 0 {
					now = append(now, ix)
				} else if soonest == 0 || wait < soonest {
					soonest = wait
				}
			}
			if len(now) == 0 && soonest > 0 {
				logger.V(2).Info("Delaying pod creation for failed indexes", "after", soonest)
				c.enqueueAfter(st.key, max(soonest, syncBatchPeriod))
				return active, nil
			}
			indexes = now
		}
		diff = int32(len(indexes))
		if diff == 0 {
			return active, nil
		}
	}

	template := job.Spec.Template.DeepCopy()
	if isIndexed(job) {
		addCompletionIndexEnv(template)
	}
	if !containsString(template.Finalizers, TrackingFinalizer) {
		template.Finalizers = append(template.Finalizers, TrackingFinalizer)
	}
	logger.V(2).Info("Too few pods running", "creating", diff, "want", want, "active", active)
	c.expectations.ExpectCreations(logger, st.key, int(diff))
	var next atomic.Int32
	created, err := controllerutil.SlowStartBatch(int(diff), controllerutil.SlowStartInitialBatchSize, func() error {
		i := int(next.Add(1)) - 1
		t, generateName := template, job.Name+"-"
		if indexes != nil {
			ix := indexes[i]
			t = indexedPodTemplate(job, template, ix, st.delayedDeletion[ix])
			generateName = generateNameForIndex(job.Name, ix)
		}
		err := c.createPod(ctx, job, t, generateName)
		if err != nil && apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			return nil // every create fails until the namespace is gone
		}
		return err
	})
	if skipped := int(diff) - created; skipped > 0 {
		logger.V(2).Info("Pod creation failed; skipping the remaining creations", "skipped", skipped)
		c.expectations.LowerExpectations(logger, st.key, skipped)
	}
	active += int32(created)
	if err != nil {
		return active, fmt.Errorf("creating pods: %w", err)
	}
	return active, nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// createPod creates one pod of job from template and records an event.
func (c *Controller) createPod(ctx context.Context, job *v1alpha1.Job, template *corev1.PodTemplateSpec, generateName string) error {
	pod, err := controllerutil.PodFromTemplate(template, job, metav1.NewControllerRef(job, controllerKind))
	if err != nil {
		return err
	}
	pod.GenerateName = generateName
	created, err := c.kubeClient.CoreV1().Pods(job.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		if !apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			c.recorder.Eventf(job, corev1.EventTypeWarning, controllerutil.EventFailedCreate, "Error creating: %v", err)
		}
		return err
	}
	klog.FromContext(ctx).V(4).Info("Created pod", "pod", klog.KObj(created))
	c.recorder.Eventf(job, corev1.EventTypeNormal, controllerutil.EventSuccessfulCreate, "Created pod: %v", created.Name)
	return nil
}

// deletePods deletes pods (with a UID precondition). With removeFinalizer,
// the tracking finalizer goes first (the pods are not counted: suspend and
// scale-down); otherwise it stays so the pods are counted as failed first
// (a finishing Job). It returns how many ready pods and how many pods in
// total were deleted.
func (c *Controller) deletePods(ctx context.Context, st *syncState, pods []*corev1.Pod, removeFinalizer bool) (int32, int32, error) {
	logger := klog.FromContext(ctx)
	var deleted, deletedReady atomic.Int32
	errCh := make(chan error, len(pods))
	var wg sync.WaitGroup
	for _, pod := range pods {
		wg.Go(func() {
			fail := func(err error) {
				if removeFinalizer {
					c.expectations.DeletionObserved(logger, st.key, controllerutil.PodKey(pod))
				}
				if !apierrors.IsNotFound(err) {
					errCh <- err
				}
			}
			if removeFinalizer && hasTrackingFinalizer(pod) {
				if err := c.removeFinalizer(ctx, pod); err != nil {
					fail(fmt.Errorf("removing the tracking finalizer of pod %s/%s: %w", pod.Namespace, pod.Name, err))
					return
				}
			}
			uid := pod.UID
			err := c.kubeClient.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
			if err != nil && !apierrors.IsNotFound(err) {
				c.recorder.Eventf(st.job, corev1.EventTypeWarning, controllerutil.EventFailedDelete, "Error deleting: %v", err)
				fail(fmt.Errorf("deleting pod %s/%s: %w", pod.Namespace, pod.Name, err))
				return
			}
			if err != nil {
				fail(err)
			} else {
				c.recorder.Eventf(st.job, corev1.EventTypeNormal, controllerutil.EventSuccessfulDelete, "Deleted pod: %v", pod.Name)
			}
			deleted.Add(1)
			if controllerutil.IsPodReady(pod) {
				deletedReady.Add(1)
			}
		})
	}
	wg.Wait()
	close(errCh)
	var errs []error
	for err := range errCh {
		errs = append(errs, err)
	}
	return deletedReady.Load(), deleted.Load(), errors.Join(errs...)
}

// podsForRemoval picks at least n active pods to delete; for Indexed Jobs
// also every pod with a duplicate, missing or out-of-range index. Pods in
// earlier stages (unscheduled, pending, not ready) go first.
func podsForRemoval(job *v1alpha1.Job, pods []*corev1.Pod, n int) []*corev1.Pod {
	var rm, left []*corev1.Pod
	if isIndexed(job) {
		sorted := append([]*corev1.Pod(nil), pods...)
		sort.Stable(byIndex(sorted))
		byIx := map[int][]*corev1.Pod{}
		var order []int
		for _, p := range sorted {
			ix, ok := validIndex(job, p)
			if !ok {
				rm = append(rm, p)
				continue
			}
			if _, seen := byIx[ix]; !seen {
				order = append(order, ix)
			}
			byIx[ix] = append(byIx[ix], p)
		}
		for _, ix := range order {
			group := byIx[ix]
			if len(group) > 1 {
				ranked := controllerutil.RankPodsByColocation(group, nil)
				sort.Sort(ranked)
				rm = append(rm, ranked.Pods[:len(group)-1]...)
				group = ranked.Pods[len(group)-1:]
			}
			left = append(left, group...)
		}
	} else {
		left = append([]*corev1.Pod(nil), pods...)
	}
	if missing := n - len(rm); missing > 0 {
		ranked := controllerutil.RankPodsByColocation(left, nil)
		sort.Sort(ranked)
		rm = append(rm, ranked.Pods[:min(missing, len(left))]...)
	}
	return rm
}
