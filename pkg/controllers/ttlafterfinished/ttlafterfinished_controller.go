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

package ttlafterfinished

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
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
const ControllerName = "ttl-after-finished"

// EventDeleted is the reason of the event recorded when a Job is deleted
// because its TTL expired.
const EventDeleted = "TTLExpired"

// Controller deletes finished Jobs whose TTL expired.
type Controller struct {
	client   clientset.Interface
	recorder record.EventRecorder
	clock    clock.PassiveClock

	jobLister listers.JobLister
	jobSynced cache.InformerSynced

	queue  workqueue.TypedRateLimitingInterface[string]
	worker *controllerutil.Worker
	// enqueueAfter adds a key after a delay (the queue's AddAfter; tests
	// replace it to observe requeues).
	enqueueAfter func(key string, after time.Duration)
}

// NewController returns a TTL-after-finished controller fed by jobInformer;
// client deletes Jobs, recorder records events on them and clk is the time
// base of expiry.
func NewController(ctx context.Context, jobInformer informers.JobInformer, client clientset.Interface,
	recorder record.EventRecorder, clk clock.PassiveClock) (*Controller, error) {
	if clk == nil {
		clk = clock.RealClock{}
	}
	c := &Controller{
		client:    client,
		recorder:  recorder,
		clock:     clk,
		jobLister: jobInformer.Lister(),
		jobSynced: jobInformer.Informer().HasSynced,
		queue:     controllerutil.NewRateLimitingQueue("ttl_jobs_to_delete"),
	}
	c.enqueueAfter = c.queue.AddAfter
	c.worker = &controllerutil.Worker{Name: ControllerName, Queue: c.queue, Sync: c.sync}
	logger := klog.FromContext(ctx)
	if _, err := jobInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.maybeEnqueue(logger, obj) },
		UpdateFunc: func(_, cur any) { c.maybeEnqueue(logger, cur) },
	}); err != nil {
		return nil, fmt.Errorf("adding Job event handler: %w", err)
	}
	return c, nil
}

// Run waits for the cache, then works with workers goroutines until ctx is
// cancelled, and drains the queue.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrashWithContext(ctx)
	klog.FromContext(ctx).Info("Starting controller", "controller", ControllerName, "workers", workers)
	if !controllerutil.WaitForCacheSync(ctx, ControllerName, c.jobSynced) {
		c.queue.ShutDown()
		return
	}
	c.worker.Run(ctx, workers)
}

func (c *Controller) maybeEnqueue(logger klog.Logger, obj any) {
	job, ok := obj.(*v1alpha1.Job)
	if !ok || job.DeletionTimestamp != nil || !needsCleanup(job) {
		return
	}
	logger.V(4).Info("Job finished with a TTL; checking its expiry", "job", klog.KObj(job))
	controllerutil.Enqueue(logger, c.queue, job)
}

// needsCleanup reports whether a Job finished and has a TTL.
func needsCleanup(job *v1alpha1.Job) bool {
	return job.Spec.TTLSecondsAfterFinished != nil && finishTime(job) != nil
}

// finishTime is the transition time of the Job's true Complete or Failed
// condition, nil when it has not finished.
func finishTime(job *v1alpha1.Job) *time.Time {
	for _, c := range job.Status.Conditions {
		if (c.Type == v1alpha1.JobComplete || c.Type == v1alpha1.JobFailed) && c.Status == corev1.ConditionTrue {
			t := c.LastTransitionTime.Time
			return &t
		}
	}
	return nil
}

// expiry returns when job expires; ok is false when it needs no cleanup.
func expiry(job *v1alpha1.Job) (time.Time, bool) {
	if job.DeletionTimestamp != nil || !needsCleanup(job) {
		return time.Time{}, false
	}
	return finishTime(job).Add(time.Duration(*job.Spec.TTLSecondsAfterFinished) * time.Second), true
}

// sync deletes the Job of key when its TTL expired, or requeues it at the
// expiry.
func (c *Controller) sync(ctx context.Context, key string) error {
	logger := klog.FromContext(ctx)
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	job, err := c.jobLister.Jobs(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !c.expired(logger, key, job) {
		return nil
	}
	// The cache may be stale (e.g. the TTL was just raised): decide again on
	// a fresh copy, and delete exactly that version.
	fresh, err := c.client.ExperimentalV1alpha1().Jobs(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("re-reading Job %s before deleting it: %w", key, err)
	}
	if !c.expired(logger, key, fresh) {
		return nil
	}
	policy := metav1.DeletePropagationBackground
	uid, rv := fresh.UID, fresh.ResourceVersion
	logger.V(2).Info("Deleting Job whose TTL after finished expired", "job", klog.KObj(fresh), "ttlSecondsAfterFinished", *fresh.Spec.TTLSecondsAfterFinished)
	err = c.client.ExperimentalV1alpha1().Jobs(namespace).Delete(ctx, name, metav1.DeleteOptions{
		PropagationPolicy: &policy,
		Preconditions:     &metav1.Preconditions{UID: &uid, ResourceVersion: &rv},
	})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		// A conflict means the Job changed since the GET: the update event
		// requeues it, and so does the retry.
		return fmt.Errorf("deleting Job %s after its TTL expired: %w", key, err)
	}
	c.recorder.Eventf(fresh, corev1.EventTypeNormal, EventDeleted, "Deleted Job %d seconds after it finished", *fresh.Spec.TTLSecondsAfterFinished)
	return nil
}

// expired reports whether job's TTL expired; when it will expire later it
// requeues key at that time.
func (c *Controller) expired(logger klog.Logger, key string, job *v1alpha1.Job) bool {
	at, ok := expiry(job)
	if !ok {
		return false
	}
	now := c.clock.Now()
	if finished := finishTime(job); finished.After(now) {
		logger.Info("Job finished in the future (clock skew?); deferring its cleanup", "job", klog.KObj(job), "finishTime", finished.UTC())
	}
	if left := at.Sub(now); left > 0 {
		logger.V(4).Info("Job TTL not expired yet; checking again at expiry", "job", klog.KObj(job), "after", left)
		c.enqueueAfter(key, left)
		return false
	}
	return true
}
