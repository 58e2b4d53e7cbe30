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

package cronjob

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/internal/controllerutil"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	informers "github.com/kube-experimental/workloads-apiserver/pkg/generated/informers/externalversions/experimental/v1alpha1"
	listers "github.com/kube-experimental/workloads-apiserver/pkg/generated/listers/experimental/v1alpha1"
)

// ControllerName names the controller in logs, metrics, the workqueue and
// the --controllers flag.
const ControllerName = "cronjob"

// controllerKind is the kind Jobs are owned by.
var controllerKind = v1alpha1.SchemeGroupVersion.WithKind("CronJob")

// Event reasons.
const (
	reasonSuccessfulCreate = "SuccessfulCreate"
	reasonFailedCreate     = "FailedCreate"
	reasonSuccessfulDelete = "SuccessfulDelete"
	reasonFailedDelete     = "FailedDelete"
	reasonSawCompletedJob  = "SawCompletedJob"
	reasonMissingJob       = "MissingJob"
	reasonUnexpectedJob    = "UnexpectedJob"
	reasonMissSchedule     = "MissSchedule"
	reasonJobAlreadyActive = "JobAlreadyActive"
	reasonFailedNeedsStart = "FailedNeedsStart"
	reasonManualJob        = "ManualJob"
)

// Reasons of the RunsBlocked condition.
const (
	// conditionReasonJobStillActive: concurrencyPolicy Forbid holds back
	// scheduled runs while a Job of the CronJob is active.
	conditionReasonJobStillActive = "JobStillActive"
	// conditionReasonRunStarted: a scheduled run started.
	conditionReasonRunStarted = "RunStarted"
	// conditionReasonNoActiveJob: no active Job holds back the next run.
	conditionReasonNoActiveJob = "NoActiveJob"
)

// missedScheduleTolerance is how late the controller may handle a schedule
// time that missedSchedulePolicy Skip still runs. The controller queues
// each CronJob for the exact schedule time; even when many fire at once the
// lag stays well below this.
const missedScheduleTolerance = 60 * time.Second

// maxCountedSkippedRuns caps the count of runs held back by a Forbid
// CronJob's active Job that the RunsBlocked condition reports.
const maxCountedSkippedRuns = 1000

// Controller creates experimental Jobs for experimental CronJobs on their
// schedules and keeps their status and history.
type Controller struct {
	client   clientset.Interface
	recorder record.EventRecorder
	clock    clock.PassiveClock

	cronJobLister listers.CronJobLister
	cronJobSynced cache.InformerSynced
	jobIndexer    cache.Indexer
	jobSynced     cache.InformerSynced

	queue  workqueue.TypedRateLimitingInterface[string]
	worker *controllerutil.Worker
	// enqueue and enqueueAfter add a key now or after a delay (the
	// queue's Add and AddAfter; tests replace them to observe requeues).
	enqueue      func(key string)
	enqueueAfter func(key string, after time.Duration)

	mu sync.Mutex
	// windowStart holds, per CronJob UID, when the controller saw the
	// CronJob resumed or its schedule or time zone changed: schedule times
	// before it are not missed runs.
	windowStart map[types.UID]time.Time
	// reported holds, per CronJob UID, the last scheduled time an event of a
	// reason was recorded for, so that a time that stays blocked (Forbid,
	// deadline) is reported once, not on every sync.
	reported map[types.UID]map[string]time.Time
	// unrecorded holds, per CronJob UID, the Job a sync created and left
	// for the next sync to record in the CronJob's status (see sync).
	unrecorded map[types.UID]*v1alpha1.Job
}

// NewController returns a CronJob controller fed by the given informers.
// client creates and deletes Jobs and writes CronJob status, recorder
// records events on CronJobs, and clk is the time base of schedules.
func NewController(ctx context.Context, cronJobInformer informers.CronJobInformer, jobInformer informers.JobInformer,
	client clientset.Interface, recorder record.EventRecorder, clk clock.PassiveClock) (*Controller, error) {
	if clk == nil {
		clk = clock.RealClock{}
	}
	c := &Controller{
		client:        client,
		recorder:      recorder,
		clock:         clk,
		cronJobLister: cronJobInformer.Lister(),
		cronJobSynced: cronJobInformer.Informer().HasSynced,
		jobIndexer:    jobInformer.Informer().GetIndexer(),
		jobSynced:     jobInformer.Informer().HasSynced,
		queue:         controllerutil.NewRateLimitingQueue(ControllerName),
		windowStart:   map[types.UID]time.Time{},
		reported:      map[types.UID]map[string]time.Time{},
		unrecorded:    map[types.UID]*v1alpha1.Job{},
	}
	c.enqueue = c.queue.Add
	c.enqueueAfter = c.queue.AddAfter
	c.worker = &controllerutil.Worker{Name: ControllerName, Queue: c.queue, Sync: c.sync}

	if err := controllerutil.AddControllerIndex(jobInformer.Informer()); err != nil {
		return nil, fmt.Errorf("indexing Jobs by controller: %w", err)
	}
	logger := klog.FromContext(ctx)
	if _, err := cronJobInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.addCronJob(logger, obj) },
		UpdateFunc: func(old, cur any) { c.updateCronJob(logger, old, cur) },
		DeleteFunc: func(obj any) { c.deleteCronJob(logger, obj) },
	}); err != nil {
		return nil, fmt.Errorf("adding CronJob event handler: %w", err)
	}
	if _, err := jobInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.enqueueOwner(logger, obj) },
		UpdateFunc: func(old, cur any) { c.updateJob(logger, old, cur) },
		DeleteFunc: func(obj any) { c.enqueueOwner(logger, obj) },
	}); err != nil {
		return nil, fmt.Errorf("adding Job event handler: %w", err)
	}
	registerMetrics()
	return c, nil
}

// Run waits for the caches, then syncs with workers goroutines until ctx is
// cancelled, and drains the queue before returning.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx)
	logger.Info("Starting controller", "controller", ControllerName, "workers", workers)
	if !controllerutil.WaitForCacheSync(ctx, ControllerName, c.cronJobSynced, c.jobSynced) {
		c.queue.ShutDown()
		return
	}
	c.worker.Run(ctx, workers)
}

// Event handlers.

func (c *Controller) addCronJob(logger klog.Logger, obj any) {
	cj := obj.(*v1alpha1.CronJob)
	logger.V(4).Info("Adding", "cronJob", klog.KObj(cj))
	controllerutil.Enqueue(logger, c.queue, cj)
}

func (c *Controller) updateCronJob(logger klog.Logger, old, cur any) {
	oldCJ, curCJ := old.(*v1alpha1.CronJob), cur.(*v1alpha1.CronJob)
	if oldCJ.UID != curCJ.UID {
		c.forget(oldCJ.UID)
	}
	resumed := ptr.Deref(oldCJ.Spec.Suspend, false) && !ptr.Deref(curCJ.Spec.Suspend, false)
	rescheduled := oldCJ.Spec.Schedule != curCJ.Spec.Schedule || !ptr.Equal(oldCJ.Spec.TimeZone, curCJ.Spec.TimeZone)
	if oldCJ.UID == curCJ.UID && (resumed || rescheduled) {
		now := c.clock.Now()
		logger.V(2).Info("Schedule window restarts: earlier schedule times are not missed runs",
			"cronJob", klog.KObj(curCJ), "resumed", resumed, "scheduleChanged", rescheduled, "windowStart", now)
		c.mu.Lock()
		c.windowStart[curCJ.UID] = now
		c.mu.Unlock()
	}
	controllerutil.Enqueue(logger, c.queue, curCJ)
}

func (c *Controller) deleteCronJob(logger klog.Logger, obj any) {
	cj, ok := controllerutil.FromTombstone[*v1alpha1.CronJob](obj)
	if !ok {
		utilruntime.HandleErrorWithLogger(logger, fmt.Errorf("unexpected object %T", obj), "Ignoring CronJob delete event")
		return
	}
	logger.V(4).Info("Deleting", "cronJob", klog.KObj(cj))
	c.forget(cj.UID)
	controllerutil.Enqueue(logger, c.queue, cj)
}

// forget drops the in-memory state of a CronJob.
func (c *Controller) forget(uid types.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.windowStart, uid)
	delete(c.reported, uid)
	delete(c.unrecorded, uid)
}

func (c *Controller) updateJob(logger klog.Logger, old, cur any) {
	oldJob, curJob := old.(*v1alpha1.Job), cur.(*v1alpha1.Job)
	if oldJob.ResourceVersion == curJob.ResourceVersion {
		return // periodic resync
	}
	oldRef, curRef := metav1.GetControllerOfNoCopy(oldJob), metav1.GetControllerOfNoCopy(curJob)
	if oldRef != nil && (curRef == nil || oldRef.UID != curRef.UID) {
		c.enqueueOwner(logger, oldJob)
	}
	c.enqueueOwner(logger, curJob)
}

// enqueueOwner queues the CronJob that controls a Job (or a tombstone).
func (c *Controller) enqueueOwner(logger klog.Logger, obj any) {
	job, ok := controllerutil.FromTombstone[*v1alpha1.Job](obj)
	if !ok {
		utilruntime.HandleErrorWithLogger(logger, fmt.Errorf("unexpected object %T", obj), "Ignoring Job event")
		return
	}
	ref := metav1.GetControllerOfNoCopy(job)
	if ref == nil || ref.Kind != controllerKind.Kind || ref.APIVersion != controllerKind.GroupVersion().String() {
		return
	}
	cj, err := c.cronJobLister.CronJobs(job.Namespace).Get(ref.Name)
	if err != nil || cj.UID != ref.UID {
		return
	}
	controllerutil.Enqueue(logger, c.queue, cj)
}

// Sync.

func (c *Controller) sync(ctx context.Context, key string) error {
	logger := klog.FromContext(ctx)
	start := c.clock.Now()
	defer func() {
		logger.V(4).Info("Finished syncing", "cronJob", key, "duration", c.clock.Since(start))
	}()
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	cached, err := c.cronJobLister.CronJobs(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		logger.V(4).Info("CronJob has been deleted", "cronJob", key)
		return nil
	}
	if err != nil {
		return err
	}
	ctx = klog.NewContext(ctx, klog.LoggerWithValues(logger, "cronJob", klog.KObj(cached)))
	jobs, err := c.jobsOf(cached)
	if err != nil {
		return err
	}
	// A Job the previous sync created and left unrecorded counts even before
	// the Job cache shows it; that status.active lacks it is expected then.
	unrecorded := c.unrecordedJob(cached.UID)
	if unrecorded != nil && !containsJob(jobs, unrecorded.UID) {
		jobs = append(jobs, unrecorded)
	}
	// The cached status may predate this controller's last write (the Job
	// it created is seen before the status that lists it): read the CronJob
	// again when a running Job of it is missing from status.active.
	base := cached
	if runningJobNotActive(cached, jobs, unrecorded) {
		fresh, err := c.client.ExperimentalV1alpha1().CronJobs(namespace).Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return fmt.Errorf("re-reading CronJob %s: %w", key, err)
		case fresh.UID == cached.UID:
			base = fresh
		}
	}
	// Every change goes to cj; its status is written once at the end when
	// it differs from base's.
	cj := base.DeepCopy()
	if err := c.reconcileJobs(ctx, cj, jobs, unrecorded); err != nil {
		return err
	}
	cleanupErr := c.cleanupFinishedJobs(ctx, cj, jobs)
	next, created, scheduleErr := c.syncSchedule(ctx, cj)
	// The next schedule time, jitter included, is published for CronJobs
	// with spec.jitterSeconds; others keep batch/v1's status (and writes).
	switch {
	case cj.Spec.JitterSeconds == nil || next.IsZero():
		cj.Status.NextScheduleTime = nil
	case cj.Status.NextScheduleTime == nil || !cj.Status.NextScheduleTime.Time.Equal(next):
		cj.Status.NextScheduleTime = &metav1.Time{Time: next}
	}

	var statusErr error
	switch {
	case created != nil && onlyRecords(base.Status, cj.Status, created):
		// The only change is the Job just created. Its status write is left
		// to the next sync, queued now behind the CronJobs already due, so
		// that when many fire at once every Job is created before any status
		// is written. The next sync recomputes the same status from the Jobs
		// (the Job records its scheduled time); the Job's name makes a
		// second create for the same time impossible, even after a crash.
		logger.V(4).Info("Recording the created Job in status at the next sync", "job", klog.KObj(created))
		c.setUnrecorded(cj.UID, created)
		c.enqueue(key)
	case !equality.Semantic.DeepEqual(base.Status, cj.Status):
		if _, err := c.client.ExperimentalV1alpha1().CronJobs(cj.Namespace).UpdateStatus(ctx, cj, metav1.UpdateOptions{}); err != nil {
			statusErr = fmt.Errorf("updating the status of CronJob %s: %w", key, err)
		} else {
			c.setUnrecorded(cj.UID, nil)
		}
	default:
		c.setUnrecorded(cj.UID, nil)
	}
	if !next.IsZero() {
		// Queue the CronJob for exactly its next schedule time, also when
		// this sync failed: the rate-limited retries may give up, the
		// schedule must not.
		d := next.Sub(c.clock.Now())
		logger.V(4).Info("Requeueing for the next schedule time", "cronJob", key, "next", next, "after", d)
		c.enqueueAfter(key, d)
	}
	return errors.Join(cleanupErr, scheduleErr, statusErr)
}

// unrecordedJob returns the Job a sync of a CronJob created without
// recording it in status, if any; it stays until a status write records it.
func (c *Controller) unrecordedJob(uid types.UID) *v1alpha1.Job {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unrecorded[uid]
}

// setUnrecorded remembers job as created for a CronJob and not yet in its
// status; nil forgets it (the status is current).
func (c *Controller) setUnrecorded(uid types.UID, job *v1alpha1.Job) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if job == nil {
		delete(c.unrecorded, uid)
		return
	}
	c.unrecorded[uid] = job
}

// onlyRecords reports whether status after differs from before only by
// recording created: in active, as lastScheduleTime and by the next
// schedule time that follows.
func onlyRecords(before, after v1alpha1.CronJobStatus, created *v1alpha1.Job) bool {
	rest := &v1alpha1.CronJob{Status: *after.DeepCopy()}
	removeFromActive(rest, created.UID)
	rest.Status.LastScheduleTime = before.LastScheduleTime
	rest.Status.NextScheduleTime = before.NextScheduleTime
	return equality.Semantic.DeepEqual(before, rest.Status)
}

func containsJob(jobs []*v1alpha1.Job, uid types.UID) bool {
	for _, job := range jobs {
		if job.UID == uid {
			return true
		}
	}
	return false
}

// jobsOf returns the Jobs whose controller is cj.
func (c *Controller) jobsOf(cj *v1alpha1.CronJob) ([]*v1alpha1.Job, error) {
	jobs, err := controllerutil.ListControlledBy[*v1alpha1.Job](c.jobIndexer, cj.Namespace, cj.UID)
	if err != nil {
		return nil, fmt.Errorf("listing the Jobs of CronJob %s/%s: %w", cj.Namespace, cj.Name, err)
	}
	return jobs, nil
}

// runningJobNotActive reports whether a running Job of cj other than
// unrecorded is missing from its status.active.
func runningJobNotActive(cj *v1alpha1.CronJob, jobs []*v1alpha1.Job, unrecorded *v1alpha1.Job) bool {
	for _, job := range jobs {
		if unrecorded != nil && job.UID == unrecorded.UID {
			continue
		}
		if job.DeletionTimestamp == nil && finishedCondition(job) == "" && !inActive(cj, job.UID) {
			return true
		}
	}
	return false
}

// reconcileJobs brings status.active, lastScheduleTime and
// lastSuccessfulTime in line with the Jobs cj controls. unrecorded, if not
// nil, is the Job the last sync created without recording it.
func (c *Controller) reconcileJobs(ctx context.Context, cj *v1alpha1.CronJob, jobs []*v1alpha1.Job, unrecorded *v1alpha1.Job) error {
	logger := klog.FromContext(ctx)
	children := map[types.UID]bool{}
	for _, job := range jobs {
		children[job.UID] = true
		// A Job this controller created records its scheduled time; after a
		// crash between creating it and writing status, this catches up.
		if t, ok := scheduledTime(job); ok && (cj.Status.LastScheduleTime == nil || t.After(cj.Status.LastScheduleTime.Time)) {
			cj.Status.LastScheduleTime = &metav1.Time{Time: t}
		}
		finished := finishedCondition(job)
		switch {
		case finished == "" && job.DeletionTimestamp == nil && !inActive(cj, job.UID):
			// A Job named and annotated as this controller creates them was
			// created by it before a status write was lost (restart,
			// conflict); anything else was made by someone else.
			switch t, ok := scheduledTime(job); {
			case unrecorded != nil && job.UID == unrecorded.UID:
				logger.V(4).Info("Recording the Job the last sync created", "job", klog.KObj(job))
			case ok && job.Name == jobName(cj, t):
				logger.V(2).Info("Tracking a running Job created before its status write was lost", "job", klog.KObj(job))
			case job.Annotations[v1alpha1.CronJobManualInstantiateAnnotation] == "manual":
				// Started by hand (cronjobs/trigger, kubectl create job
				// --from): it counts as a run of this CronJob.
				logger.V(2).Info("Tracking a Job started by hand", "job", klog.KObj(job))
				c.recorder.Eventf(cj, corev1.EventTypeNormal, reasonManualJob, "Saw job %s started by hand; tracking it as active", job.Name)
			default:
				logger.V(2).Info("Found a running Job that is not in status.active; tracking it", "job", klog.KObj(job))
				c.recorder.Eventf(cj, corev1.EventTypeWarning, reasonUnexpectedJob,
					"Saw running job %s with this CronJob as its controller that it did not create; tracking it as active", job.Name)
			}
			cj.Status.Active = append(cj.Status.Active, jobRef(job))
		case finished != "" && inActive(cj, job.UID):
			removeFromActive(cj, job.UID)
			c.recorder.Eventf(cj, corev1.EventTypeNormal, reasonSawCompletedJob, "Saw completed job: %s, condition: %s", job.Name, finished)
		}
		if finished == v1alpha1.JobComplete {
			if t := completionTime(job); t != nil && (cj.Status.LastSuccessfulTime == nil || t.After(cj.Status.LastSuccessfulTime.Time)) {
				cj.Status.LastSuccessfulTime = t.DeepCopy()
			}
		}
	}
	// Active Jobs the cache does not know: read them to tell a slow watch
	// from a Job that is gone, so that a deleted Job never blocks Forbid.
	for _, ref := range append([]corev1.ObjectReference(nil), cj.Status.Active...) {
		if children[ref.UID] {
			continue
		}
		job, err := c.client.ExperimentalV1alpha1().Jobs(cj.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err) || (err == nil && job.UID != ref.UID):
			removeFromActive(cj, ref.UID)
			c.recorder.Eventf(cj, corev1.EventTypeNormal, reasonMissingJob, "Active job went missing: %s", ref.Name)
		case err != nil:
			return fmt.Errorf("reading active Job %s/%s: %w", cj.Namespace, ref.Name, err)
		case finishedCondition(job) != "":
			removeFromActive(cj, ref.UID)
		}
	}
	return nil
}

// cleanupFinishedJobs deletes the oldest finished Jobs beyond
// successfulJobsHistoryLimit and failedJobsHistoryLimit.
func (c *Controller) cleanupFinishedJobs(ctx context.Context, cj *v1alpha1.CronJob, jobs []*v1alpha1.Job) error {
	if cj.Spec.SuccessfulJobsHistoryLimit == nil && cj.Spec.FailedJobsHistoryLimit == nil {
		return nil
	}
	var succeeded, failed []*v1alpha1.Job
	for _, job := range jobs {
		if job.DeletionTimestamp != nil {
			continue
		}
		switch finishedCondition(job) {
		case v1alpha1.JobComplete:
			succeeded = append(succeeded, job)
		case v1alpha1.JobFailed:
			failed = append(failed, job)
		}
	}
	var errs []error
	if limit := cj.Spec.SuccessfulJobsHistoryLimit; limit != nil {
		errs = append(errs, c.removeOldest(ctx, cj, succeeded, int(*limit)))
	}
	if limit := cj.Spec.FailedJobsHistoryLimit; limit != nil {
		errs = append(errs, c.removeOldest(ctx, cj, failed, int(*limit)))
	}
	return errors.Join(errs...)
}

func (c *Controller) removeOldest(ctx context.Context, cj *v1alpha1.CronJob, jobs []*v1alpha1.Job, keep int) error {
	n := len(jobs) - keep
	if n <= 0 {
		return nil
	}
	klog.FromContext(ctx).V(4).Info("Cleaning up finished Jobs beyond the history limit", "delete", n, "finished", len(jobs), "limit", keep)
	sortOldestFirst(jobs)
	var errs []error
	for _, job := range jobs[:n] {
		errs = append(errs, c.deleteJob(ctx, cj, job))
	}
	return errors.Join(errs...)
}

// deleteJob deletes a Job of cj with background propagation (its pods
// follow through the garbage collector) and drops it from status.active.
func (c *Controller) deleteJob(ctx context.Context, cj *v1alpha1.CronJob, job *v1alpha1.Job) error {
	err := c.client.ExperimentalV1alpha1().Jobs(job.Namespace).Delete(ctx, job.Name, metav1.DeleteOptions{
		PropagationPolicy: ptr.To(metav1.DeletePropagationBackground),
		Preconditions:     &metav1.Preconditions{UID: &job.UID},
	})
	switch {
	case err == nil:
		c.recorder.Eventf(cj, corev1.EventTypeNormal, reasonSuccessfulDelete, "Deleted job %s", job.Name)
	case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
		// Gone already, or replaced by another Job of the same name.
	default:
		c.recorder.Eventf(cj, corev1.EventTypeWarning, reasonFailedDelete, "Error deleting job %s: %v", job.Name, err)
		return fmt.Errorf("deleting Job %s/%s: %w", job.Namespace, job.Name, err)
	}
	removeFromActive(cj, job.UID)
	return nil
}

// syncSchedule starts the Job for the most recent unmet schedule time, if
// any, and returns the next schedule time to sync at (zero for none:
// suspended, being deleted, or an unusable schedule) and the Job it created.
func (c *Controller) syncSchedule(ctx context.Context, cj *v1alpha1.CronJob) (time.Time, *v1alpha1.Job, error) {
	logger := klog.FromContext(ctx)
	if cj.DeletionTimestamp != nil {
		return time.Time{}, nil, nil
	}
	if cond := meta.FindStatusCondition(cj.Status.Conditions, v1alpha1.CronJobConditionRunsBlocked); cond != nil && cond.Status == metav1.ConditionTrue &&
		(len(cj.Status.Active) == 0 || cj.Spec.ConcurrencyPolicy != v1alpha1.ForbidConcurrent) {
		c.setCondition(cj, metav1.ConditionFalse, conditionReasonNoActiveJob, "No active job holds back the next scheduled run")
	}
	if ptr.Deref(cj.Spec.Suspend, false) {
		logger.V(4).Info("Not starting a job: the CronJob is suspended")
		return time.Time{}, nil, nil
	}
	sched, err := parseSchedule(cj)
	if err != nil {
		// A user error; nothing to retry until the spec changes.
		logger.V(2).Info("Not scheduling: unusable schedule", "schedule", cj.Spec.Schedule, "timeZone", cj.Spec.TimeZone, "err", err)
		c.recorder.Eventf(cj, corev1.EventTypeWarning, reasonFailedNeedsStart, "Cannot determine when to start jobs: %v; fix spec.schedule or spec.timeZone", err)
		return time.Time{}, nil, nil
	}
	now := c.clock.Now()
	earliest := c.earliestTime(cj)
	next, hasNext := sched.nextActivation(earliest, now)
	if !hasNext {
		next = time.Time{}
	}
	scheduled, ok := sched.latestActivation(earliest, now)
	if !ok {
		if !hasNext {
			c.reportOnce(cj, reasonFailedNeedsStart, earliest, corev1.EventTypeWarning,
				"Cannot determine when to start jobs: schedule %q in time zone %s matches no time within five years; fix spec.schedule", cj.Spec.Schedule, timeZoneName(cj))
		}
		logger.V(4).Info("No unmet schedule time", "next", next)
		return next, nil, nil
	}
	if d := cj.Spec.StartingDeadlineSeconds; d != nil && scheduled.Add(time.Duration(*d)*time.Second).Before(now) {
		logger.V(2).Info("Missed the starting deadline", "scheduledTime", scheduled, "startingDeadlineSeconds", *d)
		c.reportOnce(cj, reasonMissSchedule, scheduled, corev1.EventTypeWarning,
			"Missed scheduled time to start a job: %s is more than startingDeadlineSeconds (%ds) ago; the next run is at %s",
			scheduled.UTC().Format(time.RFC1123Z), *d, formatNext(next))
		return next, nil, nil
	}
	if ptr.Deref(cj.Spec.MissedSchedulePolicy, v1alpha1.MissedScheduleRunOnce) == v1alpha1.MissedScheduleSkip {
		if late := now.Sub(scheduled); late > missedScheduleTolerance {
			logger.V(2).Info("Skipping a missed schedule time (missedSchedulePolicy Skip)", "scheduledTime", scheduled, "late", late, "next", next)
			c.reportOnce(cj, reasonMissSchedule, scheduled, corev1.EventTypeNormal,
				"Skipped missed schedule time %s (%s late) because missedSchedulePolicy is Skip; the next run is at %s",
				scheduled.UTC().Format(time.RFC3339), late.Round(time.Second), formatNext(next))
			return next, nil, nil
		}
	}
	name := jobName(cj, scheduled)
	if inActiveByName(cj, name) {
		logger.V(4).Info("Not starting a job: the scheduled time is already running", "scheduledTime", scheduled, "job", name)
		return next, nil, nil
	}
	switch cj.Spec.ConcurrencyPolicy {
	case v1alpha1.ForbidConcurrent:
		if len(cj.Status.Active) > 0 {
			blocking := cj.Status.Active[0].Name
			logger.V(4).Info("Not starting a job: a previous run is active and concurrencyPolicy is Forbid", "scheduledTime", scheduled, "activeJob", blocking)
			c.reportOnce(cj, reasonJobAlreadyActive, scheduled, corev1.EventTypeNormal,
				"Not starting job for %s because prior execution %s is still running and concurrency policy is Forbid",
				scheduled.UTC().Format(time.RFC3339), blocking)
			c.setBlocked(cj, sched, blocking, scheduled, now)
			return next, nil, nil
		}
	case v1alpha1.ReplaceConcurrent:
		for _, ref := range append([]corev1.ObjectReference(nil), cj.Status.Active...) {
			logger.V(2).Info("Deleting a job that still runs at the next scheduled time (concurrencyPolicy Replace)", "job", klog.KRef(ref.Namespace, ref.Name))
			job := &v1alpha1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: cj.Namespace, Name: ref.Name, UID: ref.UID}}
			if err := c.deleteJob(ctx, cj, job); err != nil {
				return next, nil, fmt.Errorf("replacing the active Job %s: %w", ref.Name, err)
			}
		}
	}

	job, err := c.client.ExperimentalV1alpha1().Jobs(cj.Namespace).Create(ctx, newJob(cj, scheduled, sched.loc), metav1.CreateOptions{})
	var created *v1alpha1.Job
	switch {
	case err == nil:
		created = job
		jobCreationSkew.Observe(c.clock.Since(scheduled).Seconds())
		logger.V(2).Info("Created job", "job", klog.KObj(job), "scheduledTime", scheduled)
		c.recorder.Eventf(cj, corev1.EventTypeNormal, reasonSuccessfulCreate, "Created job %s", job.Name)
	case apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		return time.Time{}, nil, nil // every create fails until the namespace is gone
	case apierrors.IsAlreadyExists(err):
		// Created before (by this controller before a restart, or before a
		// status write failed): that scheduled time is done.
		existing, getErr := c.client.ExperimentalV1alpha1().Jobs(cj.Namespace).Get(ctx, name, metav1.GetOptions{})
		if getErr != nil {
			return next, nil, fmt.Errorf("reading the existing Job %s/%s: %w", cj.Namespace, name, getErr)
		}
		if !metav1.IsControlledBy(existing, cj) {
			c.reportOnce(cj, reasonFailedCreate, scheduled, corev1.EventTypeWarning,
				"Cannot create job %s for %s: a job of that name exists and is not controlled by this CronJob; delete or rename it",
				name, scheduled.UTC().Format(time.RFC3339))
			return next, nil, nil
		}
		logger.V(2).Info("Job for the scheduled time already exists; adopting it into status", "job", klog.KObj(existing), "scheduledTime", scheduled)
		job = existing
	default:
		c.recorder.Eventf(cj, corev1.EventTypeWarning, reasonFailedCreate, "Error creating job %s: %v", name, err)
		return next, nil, fmt.Errorf("creating Job %s/%s: %w", cj.Namespace, name, err)
	}
	if finishedCondition(job) == "" && !inActive(cj, job.UID) {
		cj.Status.Active = append(cj.Status.Active, jobRef(job))
	}
	if meta.FindStatusCondition(cj.Status.Conditions, v1alpha1.CronJobConditionRunsBlocked) != nil {
		c.setCondition(cj, metav1.ConditionFalse, conditionReasonRunStarted,
			fmt.Sprintf("Job %s started for the schedule time %s", job.Name, scheduled.UTC().Format(time.RFC3339)))
	}
	if cj.Status.LastScheduleTime == nil || scheduled.After(cj.Status.LastScheduleTime.Time) {
		cj.Status.LastScheduleTime = &metav1.Time{Time: scheduled}
	}
	return next, created, nil
}

// earliestTime returns the time after which schedule times count: the last
// schedule time (or the creation time), or when the controller saw the
// CronJob resumed or rescheduled, whichever is later.
func (c *Controller) earliestTime(cj *v1alpha1.CronJob) time.Time {
	earliest := cj.CreationTimestamp.Time
	if cj.Status.LastScheduleTime != nil {
		earliest = cj.Status.LastScheduleTime.Time
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if w, ok := c.windowStart[cj.UID]; ok {
		if !w.After(earliest) {
			delete(c.windowStart, cj.UID) // a run happened since
		} else {
			earliest = w
		}
	}
	return earliest
}

// reportOnce records an event for a scheduled time unless one with that
// reason was already recorded for it.
func (c *Controller) reportOnce(cj *v1alpha1.CronJob, reason string, t time.Time, eventType, format string, args ...any) {
	c.mu.Lock()
	seen := c.reported[cj.UID]
	if seen == nil {
		seen = map[string]time.Time{}
		c.reported[cj.UID] = seen
	}
	last, ok := seen[reason]
	seen[reason] = t
	c.mu.Unlock()
	if ok && last.Equal(t) {
		return
	}
	c.recorder.Eventf(cj, eventType, reason, format, args...)
}

// setBlocked sets RunsBlocked to True on cj: the active Job blocking holds
// back the run for scheduled. The message counts the schedule times held
// back since blocking started (its scheduled time, or its creation for a
// Job started by hand).
func (c *Controller) setBlocked(cj *v1alpha1.CronJob, sched *schedule, blocking string, scheduled, now time.Time) {
	since := scheduled.Add(-time.Nanosecond)
	if jobs, err := controllerutil.ListControlledBy[*v1alpha1.Job](c.jobIndexer, cj.Namespace, cj.UID); err == nil {
		for _, job := range jobs {
			if job.Name != blocking {
				continue
			}
			if t, ok := scheduledTime(job); ok {
				since = t
			} else if !job.CreationTimestamp.IsZero() {
				since = job.CreationTimestamp.Time
			}
		}
	}
	skipped := sched.countActivations(since, now, maxCountedSkippedRuns)
	count := fmt.Sprintf("%d", skipped)
	if skipped >= maxCountedSkippedRuns {
		count = fmt.Sprintf("at least %d", maxCountedSkippedRuns)
	}
	c.setCondition(cj, metav1.ConditionTrue, conditionReasonJobStillActive, fmt.Sprintf(
		"Job %s is still active and concurrencyPolicy is Forbid: %s scheduled run(s) skipped since it started, the latest for %s; "+
			"wait for it to finish or delete it",
		blocking, count, scheduled.UTC().Format(time.RFC3339)))
}

// setCondition sets cj's RunsBlocked condition, moving its transition time
// (from the controller's clock) only when the status changes.
func (c *Controller) setCondition(cj *v1alpha1.CronJob, status metav1.ConditionStatus, reason, message string) {
	cond := metav1.Condition{
		Type:               v1alpha1.CronJobConditionRunsBlocked,
		Status:             status,
		ObservedGeneration: cj.Generation,
		LastTransitionTime: metav1.NewTime(c.clock.Now()),
		Reason:             reason,
		Message:            message,
	}
	// SetStatusCondition keeps the old transition time when the status
	// does not change.
	meta.SetStatusCondition(&cj.Status.Conditions, cond)
}

func formatNext(t time.Time) string {
	if t.IsZero() {
		return "not within five years"
	}
	return t.UTC().Format(time.RFC1123Z)
}
