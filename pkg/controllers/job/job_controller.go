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
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
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

const (
	// ControllerName names the controller in logs, metrics, the workqueue and
	// the --controllers flag.
	ControllerName = "job"
	// orphanQueueName names the queue of pods whose tracking finalizer must
	// go because no unfinished Job counts them any more.
	orphanQueueName = "job_orphan_pod"

	// TrackingFinalizer is on every pod the controller creates until the pod
	// is counted in the Job's persisted status (or its Job is gone).
	TrackingFinalizer = "experimental.workloads.kube-experimental.io/job-tracking"
	// ManagedByValue is the spec.managedBy value of Jobs this controller
	// reconciles (as is an unset spec.managedBy).
	ManagedByValue = "experimental/job-controller"

	// podSyncBatchPeriod batches the syncs pod events cause: a finished
	// pod of a small Job is replaced this soon. A larger Job waits longer
	// (podEventBatchPeriod).
	podSyncBatchPeriod = 100 * time.Millisecond
	// podBatchPerPod is how much the batch of a Job's pod events grows per
	// pod the Job has: every sync visits all of them (finished ones stay
	// until the Job goes), so a Job with 1000 pods is synced at most every
	// 100 ms and one with 10 000 or more every syncBatchPeriod, upstream's
	// period for every Job.
	podBatchPerPod = 100 * time.Microsecond
	// syncBatchPeriod batches the syncs Job status updates cause, and is the
	// least time between two status tracking passes of a Job (status
	// writes and finalizer removals; see sync), as upstream's one batch
	// period for both.
	syncBatchPeriod = time.Second
	// maxUncountedPods caps status.uncountedTerminatedPods, as upstream.
	maxUncountedPods = 500
	// maxPodCreateDeletePerSync caps the pod writes of one sync.
	maxPodCreateDeletePerSync = 500
)

// controllerKind is the kind pods are owned by.
var controllerKind = v1alpha1.SchemeGroupVersion.WithKind("Job")

// Event reasons, as batch/v1's Job controller records them.
const (
	EventCompleted            = "Completed"
	EventSuspended            = "Suspended"
	EventResumed              = "Resumed"
	EventTooManySucceededPods = "TooManySucceededPods"
	EventUnknownCompletion    = "UnknownCompletionMode"
)

// Condition reasons, as batch/v1.
const (
	ReasonBackoffLimitExceeded      = "BackoffLimitExceeded"
	ReasonDeadlineExceeded          = "DeadlineExceeded"
	ReasonPodFailurePolicy          = "PodFailurePolicy"
	ReasonMaxFailedIndexesExceeded  = "MaxFailedIndexesExceeded"
	ReasonFailedIndexes             = "FailedIndexes"
	ReasonSuccessPolicy             = "SuccessPolicy"
	ReasonCompletionsReached        = "CompletionsReached"
	reasonJobSuspended              = "JobSuspended"
	reasonJobResumed                = "JobResumed"
	messageBackoffLimitExceeded     = "Job has reached the specified backoff limit"
	messageDeadlineExceeded         = "Job was active longer than specified deadline"
	messageMaxFailedIndexesExceeded = "Job has exceeded the specified maximal number of failed indexes"
	messageFailedIndexes            = "Job has failed indexes"
	messageCompletionsReached       = "Reached expected number of succeeded pods"
)

// Controller reconciles experimental Jobs with their pods.
type Controller struct {
	kubeClient kubernetes.Interface
	client     clientset.Interface
	recorder   record.EventRecorder
	clock      clock.PassiveClock

	expectations *controllerutil.Expectations
	// finalizerExpectations holds, per Job key, the UIDs of pods whose
	// tracking finalizer removal was requested but not yet observed.
	finalizerExpectations *uidExpectations
	backoff               *backoffStore
	// finished holds, per Job key, the Job as this controller wrote it
	// finished, until the cache shows it finished: syncing it again from
	// a stale cache would redo the work.
	finished *keystate.ConsistencyStore[string]
	// written holds, per Job key, the Job as this controller last wrote
	// its status (see staleWait).
	written *keystate.ConsistencyStore[string]
	// tracked holds, per Job key, when its status was last tracked: one
	// tracking pass per syncBatchPeriod (see trackingWait).
	tracked *keystate.Batcher[string]

	jobLister listers.JobLister
	jobSynced cache.InformerSynced
	podLister corelisters.PodLister
	// podIndexer carries controllerutil.ControllerIndex: a sync reads the
	// pods of one Job and the orphans, never the whole namespace.
	podIndexer cache.Indexer
	podSynced  cache.InformerSynced

	queue        workqueue.TypedRateLimitingInterface[string]
	orphanQueue  workqueue.TypedRateLimitingInterface[string]
	worker       *controllerutil.Worker
	orphanWorker *controllerutil.Worker
	// enqueueAfter adds a Job key after a delay (the queue's AddAfter; tests
	// replace it to observe requeues).
	enqueueAfter func(key string, after time.Duration)
}

// NewController returns a Job controller fed by the given informers.
// kubeClient manages pods, client writes Job status, recorder records
// events on Jobs, and clk is the time base of backoff, deadlines and
// expectations.
func NewController(ctx context.Context, jobInformer informers.JobInformer, podInformer coreinformers.PodInformer,
	kubeClient kubernetes.Interface, client clientset.Interface, recorder record.EventRecorder, clk clock.PassiveClock) (*Controller, error) {
	if clk == nil {
		clk = clock.RealClock{}
	}
	c := &Controller{
		kubeClient:            kubeClient,
		client:                client,
		recorder:              recorder,
		clock:                 clk,
		expectations:          controllerutil.NewExpectations(clk),
		finalizerExpectations: newUIDExpectations(),
		backoff:               newBackoffStore(),
		finished:              keystate.NewConsistencyStore[string](),
		written:               keystate.NewConsistencyStore[string](),
		tracked:               keystate.NewBatcher[string](syncBatchPeriod, clk),
		jobLister:             jobInformer.Lister(),
		jobSynced:             jobInformer.Informer().HasSynced,
		podLister:             podInformer.Lister(),
		podIndexer:            podInformer.Informer().GetIndexer(),
		podSynced:             podInformer.Informer().HasSynced,
		queue:                 controllerutil.NewRateLimitingQueue(ControllerName),
		orphanQueue:           controllerutil.NewRateLimitingQueue(orphanQueueName),
	}
	c.enqueueAfter = c.queue.AddAfter
	c.worker = &controllerutil.Worker{Name: ControllerName, Queue: c.queue, Sync: c.sync}
	c.orphanWorker = &controllerutil.Worker{Name: orphanQueueName, Queue: c.orphanQueue, Sync: c.syncOrphanPod}
	if err := controllerutil.AddControllerIndex(podInformer.Informer()); err != nil {
		return nil, fmt.Errorf("indexing pods by controller: %w", err)
	}

	logger := klog.FromContext(ctx)
	if _, err := jobInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.addJob(logger, obj) },
		UpdateFunc: func(old, cur any) { c.updateJob(logger, old, cur) },
		DeleteFunc: func(obj any) { c.deleteJob(logger, obj) },
	}); err != nil {
		return nil, fmt.Errorf("adding Job event handler: %w", err)
	}
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.addPod(logger, obj) },
		UpdateFunc: func(old, cur any) { c.updatePod(logger, old, cur) },
		DeleteFunc: func(obj any) { c.deletePod(logger, obj, true) },
	}); err != nil {
		return nil, fmt.Errorf("adding pod event handler: %w", err)
	}
	return c, nil
}

// Run waits for the caches, then syncs Jobs and orphan pods with workers
// goroutines each until ctx is cancelled, and drains the queues.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx)
	logger.Info("Starting controller", "controller", ControllerName, "workers", workers)
	if !controllerutil.WaitForCacheSync(ctx, ControllerName, c.jobSynced, c.podSynced) {
		c.queue.ShutDown()
		c.orphanQueue.ShutDown()
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { c.orphanWorker.Run(ctx, workers) })
	c.worker.Run(ctx, workers)
	wg.Wait()
}

// managedElsewhere returns the controller named in spec.managedBy when it
// is not this one.
func managedElsewhere(job *v1alpha1.Job) (string, bool) {
	if job.Spec.ManagedBy == nil || *job.Spec.ManagedBy == ManagedByValue {
		return "", false
	}
	return *job.Spec.ManagedBy, true
}

// Job event handlers.

func (c *Controller) enqueueKey(key string, after time.Duration) {
	if after <= 0 {
		c.queue.Add(key)
		return
	}
	c.enqueueAfter(key, after)
}

func (c *Controller) enqueueJob(logger klog.Logger, obj any, after time.Duration) {
	key, err := controllerutil.KeyFunc(obj)
	if err != nil {
		utilruntime.HandleErrorWithLogger(logger, err, "Computing the queue key", "type", fmt.Sprintf("%T", obj))
		return
	}
	c.enqueueKey(key, after)
}

func (c *Controller) addJob(logger klog.Logger, obj any) {
	job := obj.(*v1alpha1.Job)
	logger.V(4).Info("Adding", "job", klog.KObj(job))
	c.enqueueJob(logger, job, 0)
}

func (c *Controller) updateJob(logger klog.Logger, old, cur any) {
	oldJob, curJob := old.(*v1alpha1.Job), cur.(*v1alpha1.Job)
	if oldJob.UID != curJob.UID {
		if key, err := controllerutil.KeyFunc(oldJob); err == nil {
			c.deleteJob(logger, cache.DeletedFinalStateUnknown{Key: key, Obj: oldJob})
		}
	}
	key, err := controllerutil.KeyFunc(curJob)
	if err != nil {
		return
	}
	if isFinished(curJob) {
		// The finalizers are removed before a Job is marked finished; this
		// only catches leftovers (e.g. pods adopted meanwhile).
		c.enqueueOrphansOf(logger, curJob)
		return
	}
	if curJob.Generation == oldJob.Generation {
		c.enqueueKey(key, syncBatchPeriod)
	} else {
		c.enqueueKey(key, 0)
	}
	// A new activeDeadlineSeconds takes effect at its own time.
	if curJob.Status.StartTime != nil && curJob.Spec.ActiveDeadlineSeconds != nil &&
		(oldJob.Spec.ActiveDeadlineSeconds == nil || *oldJob.Spec.ActiveDeadlineSeconds != *curJob.Spec.ActiveDeadlineSeconds) {
		left := time.Duration(*curJob.Spec.ActiveDeadlineSeconds)*time.Second - c.clock.Since(curJob.Status.StartTime.Time)
		logger.V(4).Info("activeDeadlineSeconds changed, syncing at the deadline", "job", klog.KObj(curJob), "after", left)
		c.enqueueKey(key, left)
	}
}

func (c *Controller) deleteJob(logger klog.Logger, obj any) {
	job, ok := controllerutil.FromTombstone[*v1alpha1.Job](obj)
	if !ok {
		utilruntime.HandleErrorWithLogger(logger, fmt.Errorf("unexpected object %T", obj), "Ignoring Job delete event")
		return
	}
	key, err := controllerutil.KeyFunc(job)
	if err != nil {
		return
	}
	logger.V(4).Info("Deleting", "job", klog.KObj(job))
	c.forget(logger, key)
	c.queue.Add(key)
	// Its pods still carrying the tracking finalizer will never be counted.
	c.enqueueOrphansOf(logger, job)
}

// forget drops everything the controller remembers of the Job key: the
// delete handler calls it, and so does a sync that finds the Job gone (a
// sync in flight at the delete may have remembered more since).
func (c *Controller) forget(logger klog.Logger, key string) {
	c.expectations.DeleteExpectations(logger, key)
	c.finalizerExpectations.forget(key)
	c.backoff.remove(key)
	c.finished.Clear(key)
	c.written.Clear(key)
	c.tracked.Forget(key)
}

// enqueueOrphansOf queues the pods of job (by controllerRef) that still carry
// the tracking finalizer for its removal.
func (c *Controller) enqueueOrphansOf(logger klog.Logger, job *v1alpha1.Job) {
	pods, err := controllerutil.ListControlledBy[*corev1.Pod](c.podIndexer, job.Namespace, job.UID)
	if err != nil {
		return
	}
	for _, p := range pods {
		if ref := metav1.GetControllerOfNoCopy(p); ref != nil && isOurKind(ref) && hasTrackingFinalizer(p) {
			logger.V(4).Info("Queueing the tracking finalizer removal of a pod of a finished or deleted Job", "pod", klog.KObj(p), "job", klog.KObj(job))
			c.orphanQueue.Add(controllerutil.PodKey(p))
		}
	}
}

// Pod event handlers.

func (c *Controller) addPod(logger klog.Logger, obj any) {
	pod := obj.(*corev1.Pod)
	if pod.DeletionTimestamp != nil {
		c.deletePod(logger, pod, false)
		return
	}
	if ref := metav1.GetControllerOf(pod); ref != nil {
		job := c.resolveControllerRef(pod.Namespace, ref)
		if job == nil {
			if hasTrackingFinalizer(pod) && isOurKind(ref) {
				c.orphanQueue.Add(controllerutil.PodKey(pod))
			}
			return
		}
		key, err := controllerutil.KeyFunc(job)
		if err != nil {
			return
		}
		c.expectations.CreationObserved(logger, key)
		c.enqueueKey(key, podEventBatchPeriod(job))
		return
	}
	if hasTrackingFinalizer(pod) {
		c.orphanQueue.Add(controllerutil.PodKey(pod))
	}
	for _, job := range c.matchingJobs(pod) {
		c.enqueueJob(logger, job, podSyncBatchPeriod)
	}
}

func (c *Controller) updatePod(logger klog.Logger, old, cur any) {
	oldPod, curPod := old.(*corev1.Pod), cur.(*corev1.Pod)
	if curPod.ResourceVersion == oldPod.ResourceVersion {
		return
	}
	if curPod.DeletionTimestamp != nil {
		c.deletePod(logger, curPod, false)
		return
	}
	finalizerGone := !hasTrackingFinalizer(curPod)
	oldRef, curRef := metav1.GetControllerOf(oldPod), metav1.GetControllerOf(curPod)
	refChanged := (oldRef == nil) != (curRef == nil) || (oldRef != nil && oldRef.UID != curRef.UID)
	if refChanged && oldRef != nil {
		if job := c.resolveControllerRef(oldPod.Namespace, oldRef); job != nil {
			if key, err := controllerutil.KeyFunc(job); err == nil {
				if finalizerGone {
					c.finalizerExpectations.observed(logger, key, curPod.UID)
				}
				c.enqueueKey(key, podEventBatchPeriod(job))
			}
		}
	}
	if curRef != nil {
		job := c.resolveControllerRef(curPod.Namespace, curRef)
		if job == nil {
			if hasTrackingFinalizer(curPod) && isOurKind(curRef) {
				c.orphanQueue.Add(controllerutil.PodKey(curPod))
			}
			return
		}
		key, err := controllerutil.KeyFunc(job)
		if err != nil {
			return
		}
		if finalizerGone {
			c.finalizerExpectations.observed(logger, key, curPod.UID)
		}
		if isFinished(job) && hasTrackingFinalizer(curPod) {
			c.orphanQueue.Add(controllerutil.PodKey(curPod))
		}
		c.enqueueKey(key, podEventBatchPeriod(job))
		return
	}
	if hasTrackingFinalizer(curPod) {
		c.orphanQueue.Add(controllerutil.PodKey(curPod))
	}
	if refChanged || !labels.Equals(oldPod.Labels, curPod.Labels) {
		for _, job := range c.matchingJobs(curPod) {
			c.enqueueJob(logger, job, podSyncBatchPeriod)
		}
	}
}

// deletePod handles a pod deletion (final) or its deletion timestamp being
// set (not final).
func (c *Controller) deletePod(logger klog.Logger, obj any, final bool) {
	pod, ok := controllerutil.FromTombstone[*corev1.Pod](obj)
	if !ok {
		utilruntime.HandleErrorWithLogger(logger, fmt.Errorf("unexpected object %T", obj), "Ignoring Pod delete event")
		return
	}
	hasFinalizer := hasTrackingFinalizer(pod)
	ref := metav1.GetControllerOf(pod)
	if ref == nil {
		if hasFinalizer && !final {
			c.orphanQueue.Add(controllerutil.PodKey(pod))
		}
		return
	}
	job := c.resolveControllerRef(pod.Namespace, ref)
	if job == nil || isFinished(job) {
		if hasFinalizer && !final && isOurKind(ref) {
			c.orphanQueue.Add(controllerutil.PodKey(pod))
		}
		return
	}
	key, err := controllerutil.KeyFunc(job)
	if err != nil {
		return
	}
	c.expectations.DeletionObserved(logger, key, controllerutil.PodKey(pod))
	if final || !hasFinalizer {
		c.finalizerExpectations.observed(logger, key, pod.UID)
	}
	c.enqueueKey(key, podEventBatchPeriod(job))
}

// podEventBatchPeriod is how long the syncs that pod events of job cause are
// batched: podBatchPerPod for each pod the Job has (by its status), at least
// podSyncBatchPeriod and at most syncBatchPeriod. A sync's cost grows with the
// Job's pods, so this bounds how much of a core syncing one large Job takes
// while its pods start and finish, where a fixed period would sync a Job of
// 10 000 pods ten times a second.
func podEventBatchPeriod(job *v1alpha1.Job) time.Duration {
	s := job.Status
	pods := int64(s.Active) + int64(s.Succeeded) + int64(s.Failed)
	if u := s.UncountedTerminatedPods; u != nil {
		pods += int64(len(u.Succeeded) + len(u.Failed))
	}
	return min(max(time.Duration(pods)*podBatchPerPod, podSyncBatchPeriod), syncBatchPeriod)
}

func isOurKind(ref *metav1.OwnerReference) bool {
	return ref.Kind == controllerKind.Kind && ref.APIVersion == controllerKind.GroupVersion().String()
}

// resolveControllerRef returns the Job ref points to, or nil when it is not
// one of ours or the UID differs.
func (c *Controller) resolveControllerRef(namespace string, ref *metav1.OwnerReference) *v1alpha1.Job {
	return controllerutil.ResolveControllerRef(ref, controllerKind, c.jobLister.Jobs(namespace).Get)
}

func selectorOf(job *v1alpha1.Job) *metav1.LabelSelector { return job.Spec.Selector }

// matchingJobs returns the Jobs whose selector matches pod.
func (c *Controller) matchingJobs(pod *corev1.Pod) []*v1alpha1.Job {
	all, err := c.jobLister.Jobs(pod.Namespace).List(labels.Everything())
	if err != nil {
		return nil
	}
	return controllerutil.SelectingOwners(all, selectorOf, pod.Labels)
}

// Orphan pods.

// syncOrphanPod removes the tracking finalizer from a pod that no
// unfinished Job of ours counts: it has no controller, or its controller is
// one of our Jobs that is gone, replaced or finished. Pods of Jobs managed by
// another controller and pods of other kinds are left alone.
func (c *Controller) syncOrphanPod(ctx context.Context, key string) error {
	logger := klog.FromContext(ctx)
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	pod, err := c.podLister.Pods(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !hasTrackingFinalizer(pod) {
		return nil
	}
	if ref := metav1.GetControllerOf(pod); ref != nil {
		if !isOurKind(ref) {
			return nil
		}
		if job := c.resolveControllerRef(namespace, ref); job != nil {
			if _, elsewhere := managedElsewhere(job); elsewhere {
				return nil
			}
			if !isFinished(job) {
				return nil // still counted by its Job
			}
		}
	}
	logger.V(2).Info("Removing the tracking finalizer of an orphan pod", "pod", klog.KObj(pod))
	if err := c.removeFinalizer(ctx, pod); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("removing the tracking finalizer of orphan pod %s: %w", key, err)
	}
	return nil
}

// Tracking finalizer helpers.

func hasTrackingFinalizer(pod *corev1.Pod) bool {
	return slices.Contains(pod.Finalizers, TrackingFinalizer)
}

// removeFinalizer patches the tracking finalizer out of pod (a strategic
// merge patch that touches no other finalizer).
func (c *Controller) removeFinalizer(ctx context.Context, pod *corev1.Pod) error {
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{
			"$deleteFromPrimitiveList/finalizers": []string{TrackingFinalizer},
		},
	})
	if err != nil {
		return err
	}
	_, err = c.kubeClient.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	return err
}

// addFinalizer patches the tracking finalizer onto an adopted pod (the uid
// makes the patch fail if the pod was replaced).
func (c *Controller) addFinalizer(ctx context.Context, pod *corev1.Pod) error {
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{
			"finalizers": []string{TrackingFinalizer},
			"uid":        pod.UID,
		},
	})
	if err != nil {
		return err
	}
	_, err = c.kubeClient.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	return err
}

// uidExpectations tracks, per Job key, the pods whose tracking finalizer
// removal was requested and not yet observed. Until observed, such a pod is
// treated as counted so that it is never counted twice.
type uidExpectations struct {
	mu   sync.Mutex
	uids map[string]sets.Set[types.UID]
}

func newUIDExpectations() *uidExpectations {
	return &uidExpectations{uids: map[string]sets.Set[types.UID]{}}
}

func (u *uidExpectations) get(key string) sets.Set[types.UID] {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.uids[key].Clone()
}

func (u *uidExpectations) expect(logger klog.Logger, key string, uids []types.UID) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.uids[key] == nil {
		u.uids[key] = sets.New[types.UID]()
	}
	u.uids[key].Insert(uids...)
	logger.V(4).Info("Expecting tracking finalizers removed", "job", key, "pods", len(uids))
}

func (u *uidExpectations) observed(logger klog.Logger, key string, uid types.UID) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if s := u.uids[key]; s.Has(uid) {
		s.Delete(uid)
		logger.V(4).Info("Observed tracking finalizer removed", "job", key, "podUID", uid)
	}
}

func (u *uidExpectations) forget(key string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.uids, key)
}
