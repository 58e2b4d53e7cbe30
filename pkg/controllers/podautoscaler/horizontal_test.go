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
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// threePods are the pods of the experimental Deployment web, requesting
// 100m CPU each.
func threePods() []*corev1.Pod {
	return []*corev1.Pod{newPod("a", "100m"), newPod("b", "100m"), newPod("c", "100m")}
}

func TestScaleUpWritesScaleAndStatus(t *testing.T) {
	f := newFixture(t, newHPA(), experimentalDeployment(3), threePods(),
		newMetricsFakes(cpu("a", "100m"), cpu("b", "100m"), cpu("c", "100m")))
	if err := f.sync(); err != nil {
		t.Fatal(err)
	}
	// 100% utilization against a 50% target: 3 → 6 through /scale.
	if got := f.target.updates; len(got) != 1 || got[0] != 6 {
		t.Fatalf("scale updates = %v, want [6]", got)
	}
	if f.statusUpdates() != 1 {
		t.Errorf("status updates = %d, want 1", f.statusUpdates())
	}
	st := f.status()
	if st.CurrentReplicas != 3 || st.DesiredReplicas != 6 {
		t.Errorf("status replicas current=%d desired=%d, want 3 and 6", st.CurrentReplicas, st.DesiredReplicas)
	}
	if st.LastScaleTime == nil || !st.LastScaleTime.Time.Equal(now) {
		t.Errorf("lastScaleTime = %v, want %v", st.LastScaleTime, now)
	}
	if st.ObservedGeneration == nil || *st.ObservedGeneration != 3 {
		t.Errorf("observedGeneration = %v, want 3", st.ObservedGeneration)
	}
	if len(st.CurrentMetrics) != 1 || st.CurrentMetrics[0].Resource == nil ||
		*st.CurrentMetrics[0].Resource.Current.AverageUtilization != 100 ||
		st.CurrentMetrics[0].Resource.Current.AverageValue.String() != "100m" {
		t.Errorf("currentMetrics = %+v, want cpu at 100%% (100m)", st.CurrentMetrics)
	}
	expectCondition(t, st, v1alpha1.AbleToScale, corev1.ConditionTrue, "SucceededRescale")
	expectCondition(t, st, v1alpha1.ScalingActive, corev1.ConditionTrue, "ValidMetricFound")
	expectCondition(t, st, v1alpha1.ScalingLimited, corev1.ConditionFalse, reasonDesiredWithinRange)
	if ev := f.events(); !hasEvent(ev, "Normal SuccessfulRescale New size: 6; reason: cpu resource utilization (percentage of request) above target") {
		t.Errorf("events = %q, want SuccessfulRescale", ev)
	}
	if d, ok := f.requeued[hpaKey]; !ok || d != 15*time.Second {
		t.Errorf("requeued = %v, want the key after the 15s sync period", f.requeued)
	}
}

func TestScalesAppsV1Deployment(t *testing.T) {
	hpa := newHPA()
	hpa.Spec.ScaleTargetRef = v1alpha1.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}
	target := &scaleTarget{gr: schema.GroupResource{Group: "apps", Resource: "deployments"}, name: "web", replicas: 2, selector: "app=web"}
	f := newFixture(t, hpa, target, []*corev1.Pod{newPod("a", "100m"), newPod("b", "100m")},
		newMetricsFakes(cpu("a", "10m"), cpu("b", "10m")))
	if err := f.sync(); err != nil {
		t.Fatal(err)
	}
	// 10% against 50%: the recommendation is 1, but the first sync records
	// the current 2 as a recommendation and the scale-down is stabilized.
	if len(target.updates) != 0 {
		t.Fatalf("scale updates = %v, want none during stabilization", target.updates)
	}
	expectCondition(t, f.status(), v1alpha1.AbleToScale, corev1.ConditionTrue, reasonScaleDownStabilized)

	f.clock.Step(5*time.Minute + time.Second)
	if err := f.sync(); err != nil {
		t.Fatal(err)
	}
	if got := target.updates; len(got) != 1 || got[0] != 1 {
		t.Fatalf("scale updates = %v, want [1] once the window passed", got)
	}
	if ev := f.events(); !hasEvent(ev, "Normal SuccessfulRescale New size: 1; reason: All metrics below target") {
		t.Errorf("events = %q", ev)
	}
}

func TestScaleDownAfterBehaviorWindow(t *testing.T) {
	hpa := newHPA()
	hpa.Spec.Behavior = defaultBehavior()
	hpa.Spec.Behavior.ScaleDown.StabilizationWindowSeconds = ptr.To[int32](30)
	m := newMetricsFakes(cpu("a", "100m"), cpu("b", "100m"), cpu("c", "100m"))
	f := newFixture(t, hpa, experimentalDeployment(3), threePods(), m)
	if err := f.sync(); err != nil {
		t.Fatal(err)
	}
	if got := f.target.updates; len(got) != 1 || got[0] != 6 {
		t.Fatalf("scale updates = %v, want [6]", got)
	}
	// Usage drops; the pods of the new replicas exist too.
	for _, n := range []string{"d", "e", "f"} {
		if err := f.podStore.Add(newPod(n, "100m")); err != nil {
			t.Fatal(err)
		}
	}
	m.setUsage(cpu("a", "5m"), cpu("b", "5m"), cpu("c", "5m"), cpu("d", "5m"), cpu("e", "5m"), cpu("f", "5m"))
	f.clock.Step(15 * time.Second)
	if err := f.sync(); err != nil {
		t.Fatal(err)
	}
	if len(f.target.updates) != 1 {
		t.Fatalf("scale updates = %v, want no scale-down within the 30s window", f.target.updates)
	}
	expectCondition(t, f.status(), v1alpha1.AbleToScale, corev1.ConditionTrue, reasonScaleDownStabilized)

	f.clock.Step(31 * time.Second)
	if err := f.sync(); err != nil {
		t.Fatal(err)
	}
	if got := f.target.updates; len(got) != 2 || got[1] != 1 {
		t.Fatalf("scale updates = %v, want a scale-down to 1 after the window", got)
	}
	st := f.status()
	if st.CurrentReplicas != 6 || st.DesiredReplicas != 1 || !st.LastScaleTime.Time.Equal(f.clock.Now()) {
		t.Errorf("status = %+v", st)
	}
}

func TestReplicasOutsideMinMaxAreClampedWithoutMetrics(t *testing.T) {
	for _, tc := range []struct {
		name       string
		replicas   int32
		want       int32
		wantReason string
	}{
		{"above max", 15, 10, "Current number of replicas above Spec.MaxReplicas"},
		{"below min", 1, 2, "Current number of replicas below Spec.MinReplicas"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hpa := newHPA()
			hpa.Spec.MinReplicas = ptr.To[int32](2)
			m := newMetricsFakes()
			m.failResourceMetrics(errors.New("must not be asked"))
			f := newFixture(t, hpa, experimentalDeployment(tc.replicas), threePods(), m)
			if err := f.sync(); err != nil {
				t.Fatal(err)
			}
			if got := f.target.updates; len(got) != 1 || got[0] != tc.want {
				t.Fatalf("scale updates = %v, want [%d]", got, tc.want)
			}
			if ev := f.events(); !hasEvent(ev, fmt.Sprintf("Normal SuccessfulRescale New size: %d; reason: %s", tc.want, tc.wantReason)) {
				t.Errorf("events = %q", ev)
			}
		})
	}
}

func TestScalingLimitedReasons(t *testing.T) {
	for _, tc := range []struct {
		name       string
		min, max   int32
		replicas   int32
		usage      string
		want       int32
		wantStatus corev1.ConditionStatus
		wantReason string
	}{
		// 6 pods at 300% against 50% would want 36.
		{"capped by maxReplicas", 1, 8, 6, "300m", 8, corev1.ConditionTrue, reasonTooManyReplicas},
		// Without behavior at most 2 × 6 = 12.
		{"capped by the scale-up rate", 1, 20, 6, "300m", 12, corev1.ConditionTrue, reasonScaleUpLimit},
		// 6 pods at 5% would want 1.
		{"raised to minReplicas", 4, 10, 6, "5m", 4, corev1.ConditionTrue, reasonTooFewReplicas},
		{"within range", 1, 40, 6, "100m", 12, corev1.ConditionFalse, reasonDesiredWithinRange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hpa := newHPA()
			hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas = ptr.To(tc.min), tc.max
			var podList []*corev1.Pod
			var samples []podMetrics
			for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
				podList = append(podList, newPod(n, "100m"))
				samples = append(samples, cpu(n, tc.usage))
			}
			f := newFixture(t, hpa, experimentalDeployment(tc.replicas), podList, newMetricsFakes(samples...))
			// No stabilization history: the test is about the limits.
			f.c.config.DownscaleStabilizationWindow = 0
			if err := f.sync(); err != nil {
				t.Fatal(err)
			}
			if got := f.target.updates; len(got) != 1 || got[0] != tc.want {
				t.Fatalf("scale updates = %v, want [%d]", got, tc.want)
			}
			expectCondition(t, f.status(), v1alpha1.ScalingLimited, tc.wantStatus, tc.wantReason)
		})
	}
}

func TestGetScaleFailure(t *testing.T) {
	target := experimentalDeployment(3)
	target.getErr = apierrors.NewForbidden(schema.GroupResource{Group: v1alpha1.GroupName, Resource: "deployments/scale"}, "web", errors.New("denied"))
	f := newFixture(t, newHPA(), target, threePods(), newMetricsFakes(cpu("a", "100m")))
	err := f.sync()
	if err == nil || !strings.Contains(err.Error(), "failed to query scale subresource for Deployment/ns/web") {
		t.Fatalf("sync error = %v", err)
	}
	st := f.status()
	expectCondition(t, st, v1alpha1.AbleToScale, corev1.ConditionFalse, "FailedGetScale")
	if c := condition(t, st, v1alpha1.AbleToScale); !strings.Contains(c.Message, "denied") || !c.LastTransitionTime.Time.Equal(now) {
		t.Errorf("AbleToScale = %+v, want the cause and a transition time", c)
	}
	if ev := f.events(); !hasEvent(ev, "Warning FailedGetScale") {
		t.Errorf("events = %q, want FailedGetScale", ev)
	}
	if len(target.updates) != 0 {
		t.Errorf("scale updated: %v", target.updates)
	}
	// A failed sync is retried by the queue's rate limiter (at the sync
	// period), not scheduled by sync.
	if _, ok := f.requeued[hpaKey]; ok {
		t.Errorf("failed sync scheduled a resync itself")
	}
}

func TestUnknownTargetKind(t *testing.T) {
	hpa := newHPA()
	hpa.Spec.ScaleTargetRef = v1alpha1.CrossVersionObjectReference{APIVersion: "example.com/v1", Kind: "Widget", Name: "web"}
	f := newFixture(t, hpa, experimentalDeployment(3), threePods(), newMetricsFakes())
	if err := f.sync(); err == nil {
		t.Fatal("sync succeeded for an unknown kind")
	}
	st := f.status()
	expectCondition(t, st, v1alpha1.AbleToScale, corev1.ConditionFalse, "FailedGetScale")
	if c := condition(t, st, v1alpha1.AbleToScale); !strings.Contains(c.Message, "unable to determine resource for scale target reference") {
		t.Errorf("message = %q", c.Message)
	}
}

func TestMetricFailureSetsScalingActiveFalse(t *testing.T) {
	m := newMetricsFakes()
	m.failResourceMetrics(apierrors.NewServiceUnavailable("the server is currently unable to handle the request"))
	f := newFixture(t, newHPA(), experimentalDeployment(3), threePods(), m)
	err := f.sync()
	if err == nil || !strings.Contains(err.Error(), "failed to compute desired number of replicas") {
		t.Fatalf("sync error = %v", err)
	}
	if len(f.target.updates) != 0 {
		t.Errorf("scale updated: %v", f.target.updates)
	}
	st := f.status()
	expectCondition(t, st, v1alpha1.AbleToScale, corev1.ConditionTrue, "SucceededGetScale")
	expectCondition(t, st, v1alpha1.ScalingActive, corev1.ConditionFalse, "FailedGetResourceMetric")
	if st.CurrentReplicas != 3 {
		t.Errorf("currentReplicas = %d, want 3", st.CurrentReplicas)
	}
	ev := f.events()
	if !hasEvent(ev, "Warning FailedGetResourceMetric") || !hasEvent(ev, "Warning FailedComputeMetricsReplicas") {
		t.Errorf("events = %q", ev)
	}
}

func TestMissingRequestsIsAnActionableError(t *testing.T) {
	f := newFixture(t, newHPA(), experimentalDeployment(2), []*corev1.Pod{newPod("a", ""), newPod("b", "")},
		newMetricsFakes(cpu("a", "100m"), cpu("b", "100m")))
	if err := f.sync(); err == nil {
		t.Fatal("sync succeeded without requests")
	}
	c := condition(t, f.status(), v1alpha1.ScalingActive)
	if c.Status != corev1.ConditionFalse || c.Reason != "FailedGetResourceMetric" || !strings.Contains(c.Message, "missing request for cpu in container app of Pod") {
		t.Errorf("ScalingActive = %+v", c)
	}
}

func TestMultipleMetrics(t *testing.T) {
	memory := v1alpha1.MetricSpec{Type: v1alpha1.PodsMetricSourceType, Pods: &v1alpha1.PodsMetricSource{
		Metric: v1alpha1.MetricIdentifier{Name: "queue"},
		Target: v1alpha1.MetricTarget{Type: v1alpha1.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse("10"))},
	}}
	t.Run("the highest proposal wins", func(t *testing.T) {
		hpa := newHPA()
		// CPU at 60% of a 50% target proposes 4; a second CPU metric at a
		// 20% target proposes 9.
		hpa.Spec.Metrics = []v1alpha1.MetricSpec{cpuUtilization(50), cpuUtilization(20)}
		f := newFixture(t, hpa, experimentalDeployment(3), threePods(), newMetricsFakes(cpu("a", "60m"), cpu("b", "60m"), cpu("c", "60m")))
		if err := f.sync(); err != nil {
			t.Fatal(err)
		}
		if got := f.target.updates; len(got) != 1 || got[0] != 6 {
			// 9 is capped by the 2 × 3 scale-up limit.
			t.Fatalf("scale updates = %v, want [6]", got)
		}
		if st := f.status(); len(st.CurrentMetrics) != 2 {
			t.Errorf("currentMetrics = %+v, want both", st.CurrentMetrics)
		}
	})
	t.Run("a failing metric does not block a scale-up", func(t *testing.T) {
		hpa := newHPA()
		hpa.Spec.Metrics = []v1alpha1.MetricSpec{memory, cpuUtilization(50)}
		f := newFixture(t, hpa, experimentalDeployment(3), threePods(), newMetricsFakes(cpu("a", "100m"), cpu("b", "100m"), cpu("c", "100m")))
		f.metrics.custom.AddReactor("get", "pods", func(clienttesting.Action) (bool, runtime.Object, error) {
			return true, nil, errors.New("no custom metrics API")
		})
		err := f.sync()
		if err == nil || !strings.Contains(err.Error(), "invalid metrics (1 invalid out of 2)") {
			t.Fatalf("sync error = %v", err)
		}
		if got := f.target.updates; len(got) != 1 || got[0] != 6 {
			t.Fatalf("scale updates = %v, want [6]", got)
		}
		c := condition(t, f.status(), v1alpha1.ScalingActive)
		if c.Status != corev1.ConditionTrue || c.Reason != "ValidMetricFound" ||
			!strings.Contains(c.Message, "it will not scale down while 1 of 2 metrics cannot be computed; missing: spec.metrics[0] (Pods queue)") {
			t.Errorf("ScalingActive = %+v", c)
		}
	})
	t.Run("a failing metric blocks a scale-down", func(t *testing.T) {
		hpa := newHPA()
		hpa.Spec.Metrics = []v1alpha1.MetricSpec{memory, cpuUtilization(50)}
		f := newFixture(t, hpa, experimentalDeployment(3), threePods(), newMetricsFakes(cpu("a", "5m"), cpu("b", "5m"), cpu("c", "5m")))
		f.c.config.DownscaleStabilizationWindow = 0
		f.metrics.custom.AddReactor("get", "pods", func(clienttesting.Action) (bool, runtime.Object, error) {
			return true, nil, errors.New("no custom metrics API")
		})
		if err := f.sync(); err == nil {
			t.Fatal("sync succeeded")
		}
		if len(f.target.updates) != 0 {
			t.Fatalf("scaled down to %v while a metric was unavailable", f.target.updates)
		}
		c := condition(t, f.status(), v1alpha1.ScalingActive)
		if c.Status != corev1.ConditionFalse || c.Reason != ReasonScaleDownBlockedByMissingMetrics ||
			!strings.Contains(c.Message, "missing: spec.metrics[0] (Pods queue): failed to get pods metric value") ||
			!strings.Contains(c.Message, "will not scale down below 3 replicas") {
			t.Errorf("ScalingActive = %+v", c)
		}
		if ev := f.events(); !hasEvent(ev, "Warning ScaleDownBlockedByMissingMetrics the HPA will not scale down below 3 replicas") ||
			hasEvent(ev, "Warning FailedComputeMetricsReplicas") {
			t.Errorf("events = %q, want ScaleDownBlockedByMissingMetrics (and no FailedComputeMetricsReplicas)", ev)
		}
		// Still blocked on the next sync: the condition stays, the event
		// is not repeated.
		if err := f.sync(); err == nil {
			t.Fatal("second sync succeeded")
		}
		if len(f.target.updates) != 0 {
			t.Fatalf("scaled down to %v while a metric was unavailable", f.target.updates)
		}
		expectCondition(t, f.status(), v1alpha1.ScalingActive, corev1.ConditionFalse, ReasonScaleDownBlockedByMissingMetrics)
		if ev := f.events(); hasEvent(ev, "Warning ScaleDownBlockedByMissingMetrics") {
			t.Errorf("events = %q: the blocked scale-down was reported again", ev)
		}
	})
}

func TestScaledToZeroDisablesScaling(t *testing.T) {
	f := newFixture(t, newHPA(), experimentalDeployment(0), nil, newMetricsFakes())
	if err := f.sync(); err != nil {
		t.Fatal(err)
	}
	if len(f.target.updates) != 0 {
		t.Errorf("scale updated: %v", f.target.updates)
	}
	st := f.status()
	expectCondition(t, st, v1alpha1.ScalingActive, corev1.ConditionFalse, "ScalingDisabled")
	if st.DesiredReplicas != 0 || st.CurrentReplicas != 0 {
		t.Errorf("status = %+v", st)
	}
}

func TestMissingSelector(t *testing.T) {
	target := experimentalDeployment(3)
	target.selector = ""
	f := newFixture(t, newHPA(), target, threePods(), newMetricsFakes(cpu("a", "100m")))
	if err := f.sync(); err == nil {
		t.Fatal("sync succeeded without a selector")
	}
	expectCondition(t, f.status(), v1alpha1.ScalingActive, corev1.ConditionFalse, "InvalidSelector")
	if ev := f.events(); !hasEvent(ev, "Warning SelectorRequired") {
		t.Errorf("events = %q", ev)
	}
}

func TestAmbiguousSelector(t *testing.T) {
	f := newFixture(t, newHPA(), experimentalDeployment(3), threePods(), newMetricsFakes(cpu("a", "50m"), cpu("b", "50m"), cpu("c", "50m")))
	// Another autoscaler of the same namespace selected these pods.
	f.c.selectors[testNamespace+"/other"] = selectorWeb()
	if err := f.sync(); err == nil {
		t.Fatal("sync succeeded with two autoscalers on the same pods")
	}
	expectCondition(t, f.status(), v1alpha1.ScalingActive, corev1.ConditionFalse, "AmbiguousSelector")
	// Once the other autoscaler is gone (its sync saw it deleted), scaling
	// resumes.
	f.client.ClearActions()
	if err := f.c.sync(f.ctx, testNamespace+"/other"); err != nil {
		t.Fatal(err)
	}
	if err := f.sync(); err != nil {
		t.Fatal(err)
	}
	expectCondition(t, f.status(), v1alpha1.ScalingActive, corev1.ConditionTrue, "ValidMetricFound")
}

func TestUpdateScaleFailure(t *testing.T) {
	target := experimentalDeployment(3)
	target.updErr = apierrors.NewForbidden(schema.GroupResource{Group: v1alpha1.GroupName, Resource: "deployments/scale"}, "web", errors.New("denied"))
	f := newFixture(t, newHPA(), target, threePods(), newMetricsFakes(cpu("a", "100m"), cpu("b", "100m"), cpu("c", "100m")))
	err := f.sync()
	if err == nil || !strings.Contains(err.Error(), "failed to rescale Deployment/ns/web") {
		t.Fatalf("sync error = %v", err)
	}
	st := f.status()
	expectCondition(t, st, v1alpha1.AbleToScale, corev1.ConditionFalse, "FailedUpdateScale")
	if st.LastScaleTime != nil || st.CurrentReplicas != 3 {
		t.Errorf("status = %+v, want no scale time and 3 current replicas", st)
	}
	if ev := f.events(); !hasEvent(ev, "Warning FailedRescale New size: 6") {
		t.Errorf("events = %q", ev)
	}
}

func TestUnchangedStatusIsNotWritten(t *testing.T) {
	f := newFixture(t, newHPA(), experimentalDeployment(3), threePods(), newMetricsFakes(cpu("a", "50m"), cpu("b", "50m"), cpu("c", "50m")))
	if err := f.sync(); err != nil {
		t.Fatal(err)
	}
	if f.statusUpdates() != 1 || len(f.target.updates) != 0 {
		t.Fatalf("first sync: %d status updates, scale updates %v; want 1 and none", f.statusUpdates(), f.target.updates)
	}
	f.clock.Step(15 * time.Second)
	if err := f.sync(); err != nil {
		t.Fatal(err)
	}
	if f.statusUpdates() != 0 {
		t.Errorf("second sync wrote an unchanged status")
	}
}

func TestDeletedAutoscalerForgetsState(t *testing.T) {
	f := newFixture(t, newHPA(), experimentalDeployment(3), threePods(), newMetricsFakes(cpu("a", "50m"), cpu("b", "50m"), cpu("c", "50m")))
	if err := f.sync(); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.c.states.states[hpaKey]; !ok {
		t.Fatal("no state kept after a sync")
	}
	if err := f.hpaStore.Delete(newHPA()); err != nil {
		t.Fatal(err)
	}
	delete(f.requeued, hpaKey)
	if err := f.c.sync(f.ctx, hpaKey); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.c.states.states[hpaKey]; ok {
		t.Error("state kept for a deleted autoscaler")
	}
	if _, ok := f.c.selectors[hpaKey]; ok {
		t.Error("selector kept for a deleted autoscaler")
	}
	if _, ok := f.requeued[hpaKey]; ok {
		t.Error("deleted autoscaler rescheduled")
	}
}

func TestFailedSyncsRetryAtTheSyncPeriod(t *testing.T) {
	r := fixedIntervalRateLimiter{interval: 15 * time.Second}
	for i := 0; i < 20; i++ {
		if d := r.When(hpaKey); d != 15*time.Second {
			t.Fatalf("retry %d after %v, want 15s", i, d)
		}
	}
	if r.NumRequeues(hpaKey) != 0 {
		t.Error("the limiter counts requeues, so the worker would drop the key")
	}
}

func TestUpdateHandler(t *testing.T) {
	f := newFixture(t, newHPA(), experimentalDeployment(3), nil, newMetricsFakes())
	logger := klog.FromContext(f.ctx)
	old := newHPA()
	statusOnly := old.DeepCopy()
	statusOnly.Status.CurrentReplicas = 3
	f.c.updateHPA(logger, old, statusOnly)
	if f.c.queue.Len() != 0 || f.requeued[hpaKey] != 15*time.Second {
		t.Errorf("status-only update: queue length %d, requeued %v; want a sync one period later", f.c.queue.Len(), f.requeued)
	}
	specChange := old.DeepCopy()
	specChange.Generation++
	specChange.Spec.MaxReplicas = 20
	f.c.updateHPA(logger, old, specChange)
	if f.c.queue.Len() != 1 {
		t.Errorf("spec change: queue length %d, want the key queued at once", f.c.queue.Len())
	}
}
