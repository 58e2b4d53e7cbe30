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

package podautoscaler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	coreinformers "k8s.io/client-go/informers/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/scale"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/retry"
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
const ControllerName = "horizontalpodautoscaling"

// Config holds the controller's timing and tolerance settings (the
// --horizontal-pod-autoscaler-* flags).
type Config struct {
	// SyncPeriod is how often each autoscaler is reconciled.
	SyncPeriod time.Duration
	// Tolerance is the default of behavior.scaleUp/scaleDown.tolerance.
	Tolerance float64
	// DownscaleStabilizationWindow is the scale-down stabilization window
	// when behavior does not set one.
	DownscaleStabilizationWindow time.Duration
	// CPUInitializationPeriod and InitialReadinessDelay decide which CPU
	// samples of starting pods are trusted.
	CPUInitializationPeriod time.Duration
	InitialReadinessDelay   time.Duration
}

// DefaultConfig returns kube-controller-manager's defaults.
func DefaultConfig() Config {
	return Config{
		SyncPeriod:                   15 * time.Second,
		Tolerance:                    0.1,
		DownscaleStabilizationWindow: 5 * time.Minute,
		CPUInitializationPeriod:      5 * time.Minute,
		InitialReadinessDelay:        30 * time.Second,
	}
}

// Controller autoscales the targets of experimental HorizontalPodAutoscalers.
type Controller struct {
	client   clientset.Interface
	scales   scale.ScalesGetter
	mapper   meta.RESTMapper
	calc     *ReplicaCalculator
	recorder record.EventRecorder
	clock    clock.PassiveClock
	config   Config

	hpaLister listers.HorizontalPodAutoscalerLister
	hpaSynced cache.InformerSynced
	podLister corelisters.PodLister
	podSynced cache.InformerSynced

	queue  workqueue.TypedRateLimitingInterface[string]
	worker *controllerutil.Worker
	// enqueueAfter adds a key after a delay (the queue's AddAfter; tests
	// replace it to observe resyncs).
	enqueueAfter func(key string, after time.Duration)

	states *stateStore

	// selectors are the last pod selectors of the autoscalers by key, to
	// detect two autoscalers controlling the same pods.
	selectorsMu sync.Mutex
	selectors   map[string]labels.Selector
}

// NewController returns a HorizontalPodAutoscaler controller. client writes
// autoscaler status, scales reads and writes the /scale subresource of
// targets whose kinds mapper resolves, metrics provides the samples,
// recorder records events on autoscalers and clk is the time base.
func NewController(ctx context.Context, hpaInformer informers.HorizontalPodAutoscalerInformer, podInformer coreinformers.PodInformer,
	client clientset.Interface, scales scale.ScalesGetter, mapper meta.RESTMapper, metrics MetricsClient,
	recorder record.EventRecorder, clk clock.PassiveClock, cfg Config) (*Controller, error) {
	if clk == nil {
		clk = clock.RealClock{}
	}
	if cfg.SyncPeriod <= 0 {
		return nil, fmt.Errorf("the sync period must be positive, got %v", cfg.SyncPeriod)
	}
	c := &Controller{
		client:    client,
		scales:    scales,
		mapper:    mapper,
		calc:      NewReplicaCalculator(metrics, podInformer.Lister(), clk, cfg.CPUInitializationPeriod, cfg.InitialReadinessDelay),
		recorder:  recorder,
		clock:     clk,
		config:    cfg,
		hpaLister: hpaInformer.Lister(),
		hpaSynced: hpaInformer.Informer().HasSynced,
		podLister: podInformer.Lister(),
		podSynced: podInformer.Informer().HasSynced,
		// Failed syncs are retried at the sync period, not with exponential
		// backoff: every retry queries the metrics APIs.
		queue: workqueue.NewTypedRateLimitingQueueWithConfig[string](
			fixedIntervalRateLimiter{interval: cfg.SyncPeriod},
			workqueue.TypedRateLimitingQueueConfig[string]{Name: ControllerName},
		),
		states:    newStateStore(),
		selectors: map[string]labels.Selector{},
	}
	c.enqueueAfter = c.queue.AddAfter
	c.worker = &controllerutil.Worker{Name: ControllerName, Queue: c.queue, Sync: c.sync}

	logger := klog.FromContext(ctx)
	if _, err := hpaInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			controllerutil.Enqueue(logger, c.queue, obj)
		},
		UpdateFunc: func(old, cur any) { c.updateHPA(logger, old, cur) },
		DeleteFunc: func(obj any) {
			controllerutil.Enqueue(logger, c.queue, obj)
		},
	}); err != nil {
		return nil, fmt.Errorf("adding HorizontalPodAutoscaler event handler: %w", err)
	}
	return c, nil
}

// updateHPA acts on a spec change at once; status updates (our own writes)
// and resyncs wait for the next period, so the controller does not loop on
// its own status writes.
func (c *Controller) updateHPA(logger klog.Logger, old, cur any) {
	oldHPA, curHPA := old.(*v1alpha1.HorizontalPodAutoscaler), cur.(*v1alpha1.HorizontalPodAutoscaler)
	key, err := controllerutil.KeyFunc(curHPA)
	if err != nil {
		return
	}
	if oldHPA.Generation != curHPA.Generation || oldHPA.UID != curHPA.UID {
		logger.V(4).Info("Autoscaler spec changed", "hpa", klog.KObj(curHPA))
		c.queue.Add(key)
		return
	}
	c.enqueueAfter(key, c.config.SyncPeriod)
}

// Run waits for the caches, then syncs with workers goroutines until ctx is
// cancelled, and drains the queue before returning.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx)
	logger.Info("Starting controller", "controller", ControllerName, "workers", workers, "syncPeriod", c.config.SyncPeriod)
	if !controllerutil.WaitForCacheSync(ctx, ControllerName, c.hpaSynced, c.podSynced) {
		c.queue.ShutDown()
		return
	}
	c.worker.Run(ctx, workers)
}

// sync reconciles one autoscaler and schedules its next sync one period
// later (a failed sync is requeued after one period by the rate limiter).
func (c *Controller) sync(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Invalid key", "key", key)
		return nil
	}
	logger := klog.FromContext(ctx)
	hpa, err := c.hpaLister.HorizontalPodAutoscalers(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		logger.V(2).Info("Autoscaler has been deleted", "hpa", klog.KRef(namespace, name))
		c.states.delete(key)
		c.selectorsMu.Lock()
		delete(c.selectors, key)
		c.selectorsMu.Unlock()
		return nil
	}
	if err != nil {
		return err
	}
	if err := c.reconcile(ctx, hpa.DeepCopy(), key); err != nil {
		return err
	}
	c.enqueueAfter(key, c.config.SyncPeriod)
	return nil
}

// reconcile computes and applies the desired replicas of one autoscaler
// (a copy the caller owns) and writes its status.
func (c *Controller) reconcile(ctx context.Context, hpa *v1alpha1.HorizontalPodAutoscaler, key string) (retErr error) {
	logger := klog.FromContext(ctx)
	originalStatus := hpa.Status.DeepCopy()
	ref := hpa.Spec.ScaleTargetRef
	reference := fmt.Sprintf("%s/%s/%s", ref.Kind, hpa.Namespace, ref.Name)

	failGetScale := func(err error) error {
		c.recorder.Event(hpa, corev1.EventTypeWarning, "FailedGetScale", err.Error())
		c.setCondition(hpa, v1alpha1.AbleToScale, corev1.ConditionFalse, "FailedGetScale", "the HPA controller was unable to get the target's current scale: %v", err)
		if err := c.updateStatusIfNeeded(ctx, originalStatus, hpa); err != nil {
			utilruntime.HandleErrorWithContext(ctx, err, "Updating autoscaler status", "hpa", klog.KObj(hpa))
		}
		return fmt.Errorf("failed to query scale subresource for %s: %w", reference, err)
	}
	targetGV, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return failGetScale(fmt.Errorf("invalid API version in scale target reference: %w", err))
	}
	mappings, err := c.mapper.RESTMappings(schema.GroupKind{Group: targetGV.Group, Kind: ref.Kind})
	if err != nil {
		// The kind may be served later (an API group being registered):
		// forget what discovery said so the next sync asks again.
		if r, ok := c.mapper.(meta.ResettableRESTMapper); ok {
			r.Reset()
		}
		return failGetScale(fmt.Errorf("unable to determine resource for scale target reference: %w", err))
	}
	currentScale, targetGR, err := c.scaleForMappings(ctx, hpa.Namespace, ref.Name, mappings)
	if err != nil {
		return failGetScale(err)
	}
	c.setCondition(hpa, v1alpha1.AbleToScale, corev1.ConditionTrue, "SucceededGetScale", "the HPA controller was able to get the target's current scale")

	now := c.clock.Now()
	currentReplicas := currentScale.Spec.Replicas
	state := c.states.get(key, currentReplicas, now)
	minReplicas := int32(1)
	if hpa.Spec.MinReplicas != nil {
		minReplicas = *hpa.Spec.MinReplicas
	}

	var (
		metricStatuses  []v1alpha1.MetricStatus
		desiredReplicas int32
		rescaleReason   string
		rescale         = true
	)
	switch {
	case currentReplicas == 0 && minReplicas > 0:
		// Scaled to zero by hand (the autoscaler itself never goes below
		// minReplicas): autoscaling is off until someone scales the target
		// up again. With minReplicas 0 the autoscaler keeps reading its
		// Object and External metrics at zero and scales up from zero.
		desiredReplicas = 0
		rescale = false
		c.setCondition(hpa, v1alpha1.ScalingActive, corev1.ConditionFalse, "ScalingDisabled", "scaling is disabled since the replica count of the target is zero")
	case currentReplicas > hpa.Spec.MaxReplicas:
		rescaleReason = "Current number of replicas above Spec.MaxReplicas"
		desiredReplicas = hpa.Spec.MaxReplicas
	case currentReplicas < minReplicas:
		rescaleReason = "Current number of replicas below Spec.MinReplicas"
		desiredReplicas = minReplicas
	default:
		opts := Options{Tolerances: c.tolerances(hpa), RolloutAware: targetGV.Group == v1alpha1.GroupName}
		metricDesired, metricName, statuses, timestamp, err := c.computeReplicasForMetrics(ctx, hpa, currentScale, opts)
		metricStatuses = statuses
		if err != nil && metricDesired == -1 {
			c.setStatus(hpa, currentReplicas, hpa.Status.DesiredReplicas, metricStatuses, false)
			if err := c.updateStatusIfNeeded(ctx, originalStatus, hpa); err != nil {
				utilruntime.HandleErrorWithContext(ctx, err, "Updating autoscaler status", "hpa", klog.KObj(hpa))
			}
			if !c.hasCondition(hpa, v1alpha1.ScalingActive, corev1.ConditionFalse, ReasonScaleDownBlockedByMissingMetrics) {
				// A blocked scale-down has its own event.
				c.recorder.Event(hpa, corev1.EventTypeWarning, "FailedComputeMetricsReplicas", err.Error())
			}
			return fmt.Errorf("failed to compute desired number of replicas based on listed metrics for %s: %w", reference, err)
		}
		partial := err != nil
		if partial {
			// Some metrics failed but the others ask for as many replicas
			// or more: scale up if asked, then report the error.
			retErr = err
		}
		logger.V(4).Info("Proposing desired replicas", "hpa", klog.KObj(hpa), "desiredReplicas", metricDesired,
			"metric", metricName, "timestamp", timestamp, "scaleTarget", reference)
		desiredReplicas = metricDesired
		switch {
		case desiredReplicas > currentReplicas:
			rescaleReason = fmt.Sprintf("%s above target", metricName)
		case desiredReplicas < currentReplicas:
			rescaleReason = "All metrics below target"
		}
		res := normalize(state, hpa.Spec.Behavior, c.config.DownscaleStabilizationWindow, currentReplicas, desiredReplicas, minReplicas, hpa.Spec.MaxReplicas, now)
		c.setCondition(hpa, v1alpha1.AbleToScale, corev1.ConditionTrue, res.ableToScaleReason, "%s", res.ableToScaleMessage)
		limited := corev1.ConditionFalse
		if res.limited {
			limited = corev1.ConditionTrue
		}
		c.setCondition(hpa, v1alpha1.ScalingLimited, limited, res.limitReason, "%s", res.limitMessage)
		desiredReplicas = res.replicas
		if partial && desiredReplicas < currentReplicas {
			// Stabilization or limits never lower a proposal that is at
			// least the current count, but never scale down blind either way.
			desiredReplicas = currentReplicas
		}
		rescale = desiredReplicas != currentReplicas
	}

	if rescale {
		if err := c.updateScale(ctx, hpa.Namespace, ref.Name, targetGR, currentScale, desiredReplicas); err != nil {
			c.recorder.Eventf(hpa, corev1.EventTypeWarning, "FailedRescale", "New size: %d; reason: %s; error: %v", desiredReplicas, rescaleReason, err)
			c.setCondition(hpa, v1alpha1.AbleToScale, corev1.ConditionFalse, "FailedUpdateScale", "the HPA controller was unable to update the target scale: %v", err)
			c.setStatus(hpa, currentReplicas, hpa.Status.DesiredReplicas, metricStatuses, false)
			if err := c.updateStatusIfNeeded(ctx, originalStatus, hpa); err != nil {
				utilruntime.HandleErrorWithContext(ctx, err, "Updating autoscaler status", "hpa", klog.KObj(hpa))
			}
			return fmt.Errorf("failed to rescale %s: %w", reference, err)
		}
		c.setCondition(hpa, v1alpha1.AbleToScale, corev1.ConditionTrue, "SucceededRescale", "the HPA controller was able to update the target scale to %d", desiredReplicas)
		c.recorder.Eventf(hpa, corev1.EventTypeNormal, "SuccessfulRescale", "New size: %d; reason: %s", desiredReplicas, rescaleReason)
		state.recordScaleEvent(hpa.Spec.Behavior, c.config.DownscaleStabilizationWindow, currentReplicas, desiredReplicas, now)
		logger.Info("Successfully rescaled", "hpa", klog.KObj(hpa), "scaleTarget", reference,
			"currentReplicas", currentReplicas, "desiredReplicas", desiredReplicas, "reason", rescaleReason)
	} else {
		logger.V(4).Info("Decided not to scale", "hpa", klog.KObj(hpa), "scaleTarget", reference,
			"desiredReplicas", desiredReplicas, "lastScaleTime", klog.SafePtr(hpa.Status.LastScaleTime))
		desiredReplicas = currentReplicas
	}

	c.setStatus(hpa, currentReplicas, desiredReplicas, metricStatuses, rescale)
	if err := c.updateStatusIfNeeded(ctx, originalStatus, hpa); err != nil {
		return err
	}
	return retErr
}

// scaleForMappings reads the scale of the target through the first mapping
// that works; it returns the first error when none does.
func (c *Controller) scaleForMappings(ctx context.Context, namespace, name string, mappings []*meta.RESTMapping) (*autoscalingv1.Scale, schema.GroupResource, error) {
	var firstErr error
	for _, m := range mappings {
		gr := m.Resource.GroupResource()
		s, err := c.scales.Scales(namespace).Get(ctx, gr, name, metav1.GetOptions{})
		if err == nil {
			return s, gr, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = errors.New("unrecognized resource")
	}
	return nil, schema.GroupResource{}, firstErr
}

// updateScale writes replicas through /scale, re-reading the scale after a
// conflict.
func (c *Controller) updateScale(ctx context.Context, namespace, name string, gr schema.GroupResource, s *autoscalingv1.Scale, replicas int32) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		s.Spec.Replicas = replicas
		_, err := c.scales.Scales(namespace).Update(ctx, gr, s, metav1.UpdateOptions{})
		if err == nil || !apierrors.IsConflict(err) {
			return err
		}
		latest, getErr := c.scales.Scales(namespace).Get(ctx, gr, name, metav1.GetOptions{})
		if getErr != nil {
			return errors.Join(err, fmt.Errorf("re-reading the scale: %w", getErr))
		}
		*s = *latest
		return err
	})
}

// setStatus rebuilds the status from the computed values, keeping the
// conditions and the last scale time (set to now on a rescale).
func (c *Controller) setStatus(hpa *v1alpha1.HorizontalPodAutoscaler, currentReplicas, desiredReplicas int32, metricStatuses []v1alpha1.MetricStatus, rescaled bool) {
	generation := hpa.Generation
	hpa.Status = v1alpha1.HorizontalPodAutoscalerStatus{
		ObservedGeneration: &generation,
		CurrentReplicas:    currentReplicas,
		DesiredReplicas:    desiredReplicas,
		LastScaleTime:      hpa.Status.LastScaleTime,
		CurrentMetrics:     metricStatuses,
		Conditions:         hpa.Status.Conditions,
	}
	if rescaled {
		t := metav1.NewTime(c.clock.Now())
		hpa.Status.LastScaleTime = &t
	}
}

// updateStatusIfNeeded writes the status when it changed. A conflict (the
// cache lagging behind our previous write) is retried once on the latest
// object.
func (c *Controller) updateStatusIfNeeded(ctx context.Context, old *v1alpha1.HorizontalPodAutoscalerStatus, hpa *v1alpha1.HorizontalPodAutoscaler) error {
	if apiequality.Semantic.DeepEqual(old, &hpa.Status) {
		return nil
	}
	hpas := c.client.ExperimentalV1alpha1().HorizontalPodAutoscalers(hpa.Namespace)
	_, err := hpas.UpdateStatus(ctx, hpa, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) {
		var latest *v1alpha1.HorizontalPodAutoscaler
		latest, err = hpas.Get(ctx, hpa.Name, metav1.GetOptions{})
		if err == nil && latest.UID == hpa.UID {
			latest.Status = hpa.Status
			_, err = hpas.UpdateStatus(ctx, latest, metav1.UpdateOptions{})
		}
	}
	if err != nil {
		c.recorder.Event(hpa, corev1.EventTypeWarning, "FailedUpdateStatus", err.Error())
		return fmt.Errorf("failed to update status of %s/%s: %w", hpa.Namespace, hpa.Name, err)
	}
	klog.FromContext(ctx).V(2).Info("Updated autoscaler status", "hpa", klog.KObj(hpa),
		"currentReplicas", hpa.Status.CurrentReplicas, "desiredReplicas", hpa.Status.DesiredReplicas)
	return nil
}

// setCondition sets a condition, moving its transition time only when its
// status changes.
func (c *Controller) setCondition(hpa *v1alpha1.HorizontalPodAutoscaler, t v1alpha1.HorizontalPodAutoscalerConditionType, status corev1.ConditionStatus, reason, format string, args ...any) {
	var cond *v1alpha1.HorizontalPodAutoscalerCondition
	for i := range hpa.Status.Conditions {
		if hpa.Status.Conditions[i].Type == t {
			cond = &hpa.Status.Conditions[i]
			break
		}
	}
	if cond == nil {
		hpa.Status.Conditions = append(hpa.Status.Conditions, v1alpha1.HorizontalPodAutoscalerCondition{Type: t})
		cond = &hpa.Status.Conditions[len(hpa.Status.Conditions)-1]
	}
	if cond.Status != status {
		cond.LastTransitionTime = metav1.NewTime(c.clock.Now())
	}
	cond.Status = status
	cond.Reason = reason
	cond.Message = fmt.Sprintf(format, args...)
}

// hasCondition reports whether the autoscaler has condition t with status
// and reason.
func (c *Controller) hasCondition(hpa *v1alpha1.HorizontalPodAutoscaler, t v1alpha1.HorizontalPodAutoscalerConditionType, status corev1.ConditionStatus, reason string) bool {
	for _, cond := range hpa.Status.Conditions {
		if cond.Type == t {
			return cond.Status == status && cond.Reason == reason
		}
	}
	return false
}

// fixedIntervalRateLimiter delays every retry by the same interval and never
// gives up.
type fixedIntervalRateLimiter struct {
	interval time.Duration
}

func (r fixedIntervalRateLimiter) When(string) time.Duration { return r.interval }
func (r fixedIntervalRateLimiter) NumRequeues(string) int    { return 0 }
func (r fixedIntervalRateLimiter) Forget(string)             {}
