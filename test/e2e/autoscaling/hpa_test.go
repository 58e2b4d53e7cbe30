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

package autoscaling

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// TestHorizontalPodAutoscaler runs the autoscaling scenarios in parallel on
// one cluster.
func TestHorizontalPodAutoscaler(t *testing.T) {
	e := startEnv(t)
	t.Run("scenarios", func(t *testing.T) {
		t.Run("ExperimentalDeploymentScalesUpAndDown", func(t *testing.T) {
			t.Parallel()
			e.testExperimentalDeployment(t)
		})
		t.Run("AppsV1Deployment", func(t *testing.T) {
			t.Parallel()
			e.testAppsDeployment(t)
		})
		t.Run("MissingMetricBlocksScaleDown", func(t *testing.T) {
			t.Parallel()
			e.testMissingMetricBlocksScaleDown(t)
		})
		t.Run("JobParallelism", func(t *testing.T) {
			t.Parallel()
			e.testJobParallelism(t)
		})
		t.Run("JobParallelismFromQueueLength", func(t *testing.T) {
			t.Parallel()
			e.testJobParallelismFromQueueLength(t)
		})
		t.Run("ScaleToZeroAndBackWithObjectMetric", func(t *testing.T) {
			t.Parallel()
			e.testScaleToZeroAndBack(t)
		})
		t.Run("SurgeIsNotLoad", func(t *testing.T) {
			t.Parallel()
			e.testSurgeIsNotLoad(t)
		})
		t.Run("MinReplicasZeroNeedsObjectOrExternalMetric", func(t *testing.T) {
			t.Parallel()
			e.testMinReplicasZeroValidation(t)
		})
	})
}

// testExperimentalDeployment: pods at 200% of their CPU request make the
// autoscaler (50% target, 1–5 replicas) scale an experimental Deployment up
// to its maximum; once the running pods report 10%, it scales back to one
// replica after its 5 s scale-down stabilization window.
func (e *env) testExperimentalDeployment(t *testing.T) {
	ns := e.namespace(t, "hpa-experimental")
	deployments := e.client.ExperimentalV1alpha1().Deployments(ns)
	_, err := deployments.Create(context.Background(), &v1alpha1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: v1alpha1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: podTemplate("web", "200m"),
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating the Deployment: %v", err)
	}
	behavior := &v1alpha1.HorizontalPodAutoscalerBehavior{
		ScaleDown: &v1alpha1.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](5)},
	}
	ref := v1alpha1.CrossVersionObjectReference{APIVersion: "experimental/v1alpha1", Kind: "Deployment", Name: "web"}
	if _, err := e.client.ExperimentalV1alpha1().HorizontalPodAutoscalers(ns).Create(context.Background(), cpuHPA("web", ref, behavior), metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating the HorizontalPodAutoscaler: %v", err)
	}

	// 1 pod at 200% against 50%: the first rescale asks for 4 (or 5 when
	// the sample is a little above 200m).
	e.expectScaleUp(t, ns, "web", "the Deployment", func(ctx context.Context) (int32, error) {
		d, err := deployments.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return 0, err
		}
		return *d.Spec.Replicas, nil
	})
	e.expectRescaleEvent(t, ns, "web", "cpu resource utilization (percentage of request) above target")

	// Every pod at 200%: the autoscaler wants 16+ and is held at maxReplicas.
	waitFor(t, "the Deployment to run 5 pods, limited by maxReplicas", scaleTimeout, func(ctx context.Context) (bool, string, error) {
		d, err := deployments.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		hpa, err := e.getHPA(ctx, ns, "web")
		if err != nil {
			return false, "", err
		}
		state := fmt.Sprintf("deployment spec.replicas=%d ready=%d; hpa %s", *d.Spec.Replicas, d.Status.ReadyReplicas, describeHPA(hpa))
		limited := hpaCondition(hpa, v1alpha1.ScalingLimited)
		return *d.Spec.Replicas == 5 && d.Status.ReadyReplicas == 5 && d.Status.Replicas == 5 &&
			limited != nil && limited.Status == corev1.ConditionTrue && limited.Reason == "TooManyReplicas", state, nil
	})

	// The load goes away: kwok reports what the running pods' annotation
	// says.
	if n := e.annotateRunningPods(t, ns, "app=web", "10m"); n != 5 {
		t.Fatalf("annotated %d pods, want 5", n)
	}
	var scaledDown *v1alpha1.HorizontalPodAutoscaler
	waitFor(t, "the autoscaler to scale the Deployment down to 1", scaleTimeout, func(ctx context.Context) (bool, string, error) {
		d, err := deployments.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		hpa, err := e.getHPA(ctx, ns, "web")
		if err != nil {
			return false, "", err
		}
		state := fmt.Sprintf("deployment spec.replicas=%d; hpa %s", *d.Spec.Replicas, describeHPA(hpa))
		if *d.Spec.Replicas != 1 || hpa.Status.DesiredReplicas != 1 {
			return false, state, nil
		}
		scaledDown = hpa
		return true, state, nil
	})
	expectActive(t, scaledDown)
	if u, ok := cpuUtilization(scaledDown); !ok || u > 20 {
		t.Errorf("currentMetrics = %+v, want CPU utilization of at most 20%%", scaledDown.Status.CurrentMetrics)
	}
	e.expectRescaleEvent(t, ns, "web", "New size: 1; reason: All metrics below target")
}

// testAppsDeployment: the same autoscaler on an apps/v1 Deployment (pods
// made by kube-controller-manager) reads and writes its /scale.
func (e *env) testAppsDeployment(t *testing.T) {
	ns := e.namespace(t, "hpa-apps")
	deployments := e.c.KubeClient().AppsV1().Deployments(ns)
	if _, err := deployments.Create(context.Background(), appsDeployment("api", "200m"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating the apps/v1 Deployment: %v", err)
	}
	ref := v1alpha1.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "api"}
	if _, err := e.client.ExperimentalV1alpha1().HorizontalPodAutoscalers(ns).Create(context.Background(), cpuHPA("api", ref, nil), metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating the HorizontalPodAutoscaler: %v", err)
	}
	e.expectScaleUp(t, ns, "api", "the apps/v1 Deployment", func(ctx context.Context) (int32, error) {
		d, err := deployments.Get(ctx, "api", metav1.GetOptions{})
		if err != nil {
			return 0, err
		}
		return *d.Spec.Replicas, nil
	})
	e.expectRescaleEvent(t, ns, "api", "above target")
}

// expectScaleUp waits until the autoscaler name and its target (what,
// whose spec.replicas replicas reads) both ask for at least 4 replicas, then
// checks that the autoscaler is active and saw CPU utilization of at least
// 100%.
func (e *env) expectScaleUp(t *testing.T, ns, name, what string, replicas func(ctx context.Context) (int32, error)) {
	t.Helper()
	var scaledUp *v1alpha1.HorizontalPodAutoscaler
	waitFor(t, "the autoscaler to scale "+what+" up", scaleTimeout, func(ctx context.Context) (bool, string, error) {
		r, err := replicas(ctx)
		if err != nil {
			return false, "", err
		}
		hpa, err := e.getHPA(ctx, ns, name)
		if err != nil {
			return false, "", err
		}
		state := fmt.Sprintf("deployment spec.replicas=%d; hpa %s", r, describeHPA(hpa))
		if r < 4 || hpa.Status.DesiredReplicas < 4 {
			return false, state, nil
		}
		scaledUp = hpa
		return true, state, nil
	})
	expectActive(t, scaledUp)
	if u, ok := cpuUtilization(scaledUp); !ok || u < 100 {
		t.Errorf("currentMetrics = %+v, want CPU utilization of at least 100%%", scaledUp.Status.CurrentMetrics)
	}
}

// testMissingMetricBlocksScaleDown: three pods at 10% CPU against a 50%
// target would be scaled down to one at once (no stabilization window), but
// the autoscaler's second metric is an External metric and this cluster
// serves no external.metrics.k8s.io: the autoscaler must keep three
// replicas and say which metric is missing.
func (e *env) testMissingMetricBlocksScaleDown(t *testing.T) {
	ns := e.namespace(t, "hpa-missing-metric")
	deployments := e.client.ExperimentalV1alpha1().Deployments(ns)
	_, err := deployments.Create(context.Background(), &v1alpha1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "worker"},
		Spec: v1alpha1.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "worker"}},
			Template: podTemplate("worker", "10m"),
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating the Deployment: %v", err)
	}
	// Create the autoscaler once metrics-server has the pods' samples, so
	// its first syncs don't spend the per-object event budget of client-go
	// (a burst of 25) on CPU failures before the scale-down is blocked.
	metrics, err := metricsclient.NewForConfig(e.c.RestConfig())
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "CPU samples of the three pods", scaleTimeout, func(ctx context.Context) (bool, string, error) {
		list, err := metrics.MetricsV1beta1().PodMetricses(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=worker"})
		if err != nil {
			return false, err.Error(), nil
		}
		return len(list.Items) == 3, fmt.Sprintf("%d pod samples", len(list.Items)), nil
	})
	ref := v1alpha1.CrossVersionObjectReference{APIVersion: "experimental/v1alpha1", Kind: "Deployment", Name: "worker"}
	hpa := cpuHPA("worker", ref, &v1alpha1.HorizontalPodAutoscalerBehavior{
		ScaleDown: &v1alpha1.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](0)},
	})
	hpa.Spec.Metrics = append(hpa.Spec.Metrics, v1alpha1.MetricSpec{
		Type: v1alpha1.ExternalMetricSourceType,
		External: &v1alpha1.ExternalMetricSource{
			Metric: v1alpha1.MetricIdentifier{Name: "queue_length"},
			Target: v1alpha1.MetricTarget{Type: v1alpha1.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse("10"))},
		},
	})
	if _, err := e.client.ExperimentalV1alpha1().HorizontalPodAutoscalers(ns).Create(context.Background(), hpa, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating the HorizontalPodAutoscaler: %v", err)
	}

	// CPU proposes one replica and the missing External metric blocks the
	// scale-down.
	var blocked *v1alpha1.HorizontalPodAutoscaler
	waitFor(t, "the autoscaler to block the scale-down", scaleTimeout, func(ctx context.Context) (bool, string, error) {
		d, err := deployments.Get(ctx, "worker", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		hpa, err := e.getHPA(ctx, ns, "worker")
		if err != nil {
			return false, "", err
		}
		state := fmt.Sprintf("deployment spec.replicas=%d; hpa %s", *d.Spec.Replicas, describeHPA(hpa))
		if *d.Spec.Replicas != 3 {
			return false, state, fmt.Errorf("the Deployment was scaled to %d while a metric was missing: %s", *d.Spec.Replicas, state)
		}
		c := hpaCondition(hpa, v1alpha1.ScalingActive)
		if c == nil || c.Status != corev1.ConditionFalse || c.Reason != "ScaleDownBlockedByMissingMetrics" {
			return false, state, nil
		}
		blocked = hpa
		return true, state, nil
	})
	c := hpaCondition(blocked, v1alpha1.ScalingActive)
	for _, want := range []string{"will not scale down below 3 replicas", "the others propose 1", "spec.metrics[1] (External queue_length)"} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("ScalingActive message %q does not contain %q", c.Message, want)
		}
	}
	waitFor(t, "a ScaleDownBlockedByMissingMetrics event", 30*time.Second, func(ctx context.Context) (bool, string, error) {
		events, err := e.c.KubeClient().CoreV1().Events(ns).List(ctx, metav1.ListOptions{
			FieldSelector: "involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=worker,reason=ScaleDownBlockedByMissingMetrics",
		})
		if err != nil {
			return false, "", err
		}
		for _, ev := range events.Items {
			if ev.Type == corev1.EventTypeWarning && strings.Contains(ev.Message, "spec.metrics[1] (External queue_length)") {
				return true, "", nil
			}
		}
		return false, fmt.Sprintf("%d events", len(events.Items)), nil
	})
}

// testMinReplicasZeroValidation: the API server refuses minReplicas 0
// without an Object or External metric, naming the field.
func (e *env) testMinReplicasZeroValidation(t *testing.T) {
	ns := e.namespace(t, "hpa-min-zero")
	ref := v1alpha1.CrossVersionObjectReference{APIVersion: "experimental/v1alpha1", Kind: "Deployment", Name: "web"}
	hpa := cpuHPA("web", ref, nil)
	hpa.Spec.MinReplicas = ptr.To[int32](0)
	_, err := e.client.ExperimentalV1alpha1().HorizontalPodAutoscalers(ns).Create(context.Background(), hpa, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.metrics: Forbidden: must specify at least one Object or External metric") {
		t.Fatalf("creating an autoscaler with minReplicas 0 and only a CPU metric: err = %v, want an Invalid error on spec.metrics", err)
	}
	hpa.Spec.Metrics = append(hpa.Spec.Metrics, v1alpha1.MetricSpec{
		Type: v1alpha1.ExternalMetricSourceType,
		External: &v1alpha1.ExternalMetricSource{
			Metric: v1alpha1.MetricIdentifier{Name: "queue_length"},
			Target: v1alpha1.MetricTarget{Type: v1alpha1.ValueMetricType, Value: ptr.To(resource.MustParse("10"))},
		},
	})
	if _, err := e.client.ExperimentalV1alpha1().HorizontalPodAutoscalers(ns).Create(context.Background(), hpa, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating an autoscaler with minReplicas 0 and an External metric: %v", err)
	}
}
