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
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

// metricTimeout bounds a rescale driven by a custom or external metric: the
// adapter answers at once, so it takes a sync period or two.
const metricTimeout = time.Minute

// immediateScaleDown lets the autoscaler act on a lower recommendation at
// once instead of after the default 5-minute stabilization window.
func immediateScaleDown() *v1alpha1.HorizontalPodAutoscalerBehavior {
	return &v1alpha1.HorizontalPodAutoscalerBehavior{
		ScaleDown: &v1alpha1.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](0)},
	}
}

// testJobParallelismFromQueueLength: what KEDA's ScaledJob is installed for.
// An autoscaler drives a Job's parallelism (through jobs/scale) from an
// External metric, the number of messages waiting in a queue, with a target
// of 5 messages per worker: 20 waiting → 4 workers, 35 → 7, limited by
// maxReplicas 6; 10 → 2. The Job controller runs as many pods as the
// parallelism says.
func (e *env) testJobParallelismFromQueueLength(t *testing.T) {
	ns := e.namespace(t, "hpa-queue")
	const queue = "orders_ready"
	e.metrics.SetExternal(ns, queue, resource.MustParse("20"))

	jobs := e.client.ExperimentalV1alpha1().Jobs(ns)
	template := podTemplate("worker", "10m")
	template.Spec.RestartPolicy = corev1.RestartPolicyNever
	if _, err := jobs.Create(context.Background(), &v1alpha1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "worker"},
		Spec: v1alpha1.JobSpec{
			Parallelism: ptr.To[int32](1),
			Completions: ptr.To[int32](1000),
			Template:    template,
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating the Job: %v", err)
	}
	hpa := &v1alpha1.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "worker"},
		Spec: v1alpha1.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: v1alpha1.CrossVersionObjectReference{APIVersion: "experimental/v1alpha1", Kind: "Job", Name: "worker"},
			MinReplicas:    ptr.To[int32](1),
			MaxReplicas:    6,
			Metrics: []v1alpha1.MetricSpec{{
				Type: v1alpha1.ExternalMetricSourceType,
				External: &v1alpha1.ExternalMetricSource{
					Metric: v1alpha1.MetricIdentifier{Name: queue},
					Target: v1alpha1.MetricTarget{Type: v1alpha1.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse("5"))},
				},
			}},
			Behavior: immediateScaleDown(),
		},
	}
	if _, err := e.client.ExperimentalV1alpha1().HorizontalPodAutoscalers(ns).Create(context.Background(), hpa, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating the HorizontalPodAutoscaler: %v", err)
	}

	expect := func(queueLength string, parallelism int32, limited bool) {
		t.Helper()
		e.metrics.SetExternal(ns, queue, resource.MustParse(queueLength))
		what := fmt.Sprintf("%s messages waiting to run %d workers", queueLength, parallelism)
		waitFor(t, what, metricTimeout+scaleTimeout, func(ctx context.Context) (bool, string, error) {
			j, err := jobs.Get(ctx, "worker", metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			h, err := e.getHPA(ctx, ns, "worker")
			if err != nil {
				return false, "", err
			}
			running, err := e.runningPods(ctx, ns, j)
			if err != nil {
				return false, "", err
			}
			p := ptr.Deref(j.Spec.Parallelism, 1)
			state := fmt.Sprintf("job spec.parallelism=%d status.active=%d running=%d; hpa %s %s", p, j.Status.Active, running, describeHPA(h), externalValue(h))
			if p > 6 || h.Status.DesiredReplicas > 6 {
				return false, state, fmt.Errorf("scaled beyond maxReplicas 6: %s", state)
			}
			done := p == parallelism && j.Status.Active == parallelism && int32(running) == parallelism &&
				h.Status.DesiredReplicas == parallelism
			if c := hpaCondition(h, v1alpha1.ScalingLimited); limited && (c == nil || c.Status != corev1.ConditionTrue || c.Reason != "TooManyReplicas") {
				done = false
			}
			return done, state, nil
		})
	}
	expect("20", 4, false)
	if h, err := e.getHPA(context.Background(), ns, "worker"); err != nil {
		t.Fatal(err)
	} else if c := hpaCondition(h, v1alpha1.ScalingActive); c == nil || c.Status != corev1.ConditionTrue || c.Reason != "ValidMetricFound" {
		t.Errorf("ScalingActive = %+v, want True/ValidMetricFound", c)
	}
	e.expectRescaleEvent(t, ns, "worker", "external metric "+queue)
	expect("35", 6, true)
	expect("10", 2, false)
}

// externalValue prints the External metric values the autoscaler last read.
func externalValue(hpa *v1alpha1.HorizontalPodAutoscaler) string {
	out := ""
	for _, m := range hpa.Status.CurrentMetrics {
		if m.External != nil {
			v := m.External.Current.AverageValue
			if v == nil {
				v = m.External.Current.Value
			}
			if v != nil {
				out += fmt.Sprintf(" %s=%s", m.External.Metric.Name, v.String())
			}
		}
	}
	return out
}

// testScaleToZeroAndBack: minReplicas 0 with an Object metric (requests per
// second on the Service in front of the Deployment, 10 per replica). When
// traffic stops (0) the autoscaler scales the Deployment to zero, keeps
// reading the metric, and when traffic returns (25 → ceil(25/10) = 3) scales
// it up from zero; pods follow both ways.
func (e *env) testScaleToZeroAndBack(t *testing.T) {
	ns := e.namespace(t, "hpa-zero")
	services := schema.GroupResource{Resource: "services"}
	const metric = "requests_per_second"
	e.metrics.SetObject(services, ns, "web", metric, resource.MustParse("20"))

	deployments := e.client.ExperimentalV1alpha1().Deployments(ns)
	if _, err := deployments.Create(context.Background(), &v1alpha1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: v1alpha1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: podTemplate("web", "10m"),
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating the Deployment: %v", err)
	}
	hpa := &v1alpha1.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: v1alpha1.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: v1alpha1.CrossVersionObjectReference{APIVersion: "experimental/v1alpha1", Kind: "Deployment", Name: "web"},
			MinReplicas:    ptr.To[int32](0),
			MaxReplicas:    5,
			Metrics: []v1alpha1.MetricSpec{{
				Type: v1alpha1.ObjectMetricSourceType,
				Object: &v1alpha1.ObjectMetricSource{
					DescribedObject: v1alpha1.CrossVersionObjectReference{APIVersion: "v1", Kind: "Service", Name: "web"},
					Metric:          v1alpha1.MetricIdentifier{Name: metric},
					Target:          v1alpha1.MetricTarget{Type: v1alpha1.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse("10"))},
				},
			}},
			Behavior: immediateScaleDown(),
		},
	}
	if _, err := e.client.ExperimentalV1alpha1().HorizontalPodAutoscalers(ns).Create(context.Background(), hpa, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating the HorizontalPodAutoscaler: %v", err)
	}

	expect := func(what string, replicas int32) {
		t.Helper()
		waitFor(t, what, metricTimeout+scaleTimeout, func(ctx context.Context) (bool, string, error) {
			d, err := deployments.Get(ctx, "web", metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			h, err := e.getHPA(ctx, ns, "web")
			if err != nil {
				return false, "", err
			}
			pods, err := e.c.KubeClient().CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
			if err != nil {
				return false, "", err
			}
			live := 0
			for _, p := range pods.Items {
				if p.DeletionTimestamp == nil {
					live++
				}
			}
			spec := ptr.Deref(d.Spec.Replicas, 1)
			state := fmt.Sprintf("deployment spec.replicas=%d status.replicas=%d available=%d pods=%d; hpa %s",
				spec, d.Status.Replicas, d.Status.AvailableReplicas, live, describeHPA(h))
			return spec == replicas && d.Status.Replicas == replicas && d.Status.AvailableReplicas == replicas &&
				int32(live) == replicas && h.Status.CurrentReplicas == replicas, state, nil
		})
	}
	// 20 against 10 per replica keeps the two replicas.
	expect("20 requests/s to keep 2 replicas", 2)
	e.metrics.SetObject(services, ns, "web", metric, resource.MustParse("0"))
	expect("no traffic to scale the Deployment to zero", 0)
	h, err := e.getHPA(context.Background(), ns, "web")
	if err != nil {
		t.Fatal(err)
	}
	// At zero the autoscaler is still active: it reads the Object metric.
	if c := hpaCondition(h, v1alpha1.ScalingActive); c == nil || c.Status != corev1.ConditionTrue {
		t.Errorf("at zero replicas ScalingActive = %+v, want True (the autoscaler keeps reading the Object metric)", c)
	}
	e.metrics.SetObject(services, ns, "web", metric, resource.MustParse("25"))
	expect("25 requests/s to scale up from zero to 3 replicas", 3)
}

// testSurgeIsNotLoad (kubernetes/kubernetes #72775): an experimental
// Deployment of 4 pods at exactly the 50% CPU target rolls out a template
// whose pods never become ready, with maxSurge 4 and maxUnavailable 0, so
// it sits at 8 pods, 4 of them surge. Upstream's autoscaler counts the surge
// pods as current replicas and, the load being on target, "keeps" 8: it
// doubles the Deployment. Ours proposes from spec.replicas and keeps 4 over
// several sync periods.
func (e *env) testSurgeIsNotLoad(t *testing.T) {
	ns := e.namespace(t, "hpa-surge")
	deployments := e.client.ExperimentalV1alpha1().Deployments(ns)
	surge, unavailable := intstr.FromInt32(4), intstr.FromInt32(0)
	if _, err := deployments.Create(context.Background(), &v1alpha1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: v1alpha1.DeploymentSpec{
			Replicas: ptr.To[int32](4),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: podTemplate("web", "50m"),
			Strategy: v1alpha1.DeploymentStrategy{
				Type:          v1alpha1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &v1alpha1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable},
			},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating the Deployment: %v", err)
	}
	ref := v1alpha1.CrossVersionObjectReference{APIVersion: "experimental/v1alpha1", Kind: "Deployment", Name: "web"}
	hpa := cpuHPA("web", ref, nil)
	hpa.Spec.MaxReplicas = 10
	if _, err := e.client.ExperimentalV1alpha1().HorizontalPodAutoscalers(ns).Create(context.Background(), hpa, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating the HorizontalPodAutoscaler: %v", err)
	}
	waitFor(t, "the autoscaler to read 50% on 4 pods and keep 4", scaleTimeout, func(ctx context.Context) (bool, string, error) {
		d, err := deployments.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		h, err := e.getHPA(ctx, ns, "web")
		if err != nil {
			return false, "", err
		}
		state := fmt.Sprintf("deployment spec.replicas=%d available=%d; hpa %s", *d.Spec.Replicas, d.Status.AvailableReplicas, describeHPA(h))
		u, ok := cpuUtilization(h)
		return ok && u >= 40 && u <= 60 && *d.Spec.Replicas == 4 && d.Status.AvailableReplicas == 4 &&
			h.Status.CurrentReplicas == 4 && h.Status.DesiredReplicas == 4, state, nil
	})

	// The rollout: new pods report the same load but never become ready.
	d, err := deployments.Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Spec.Template.Annotations[framework.AnnotationNeverReady] = "true"
	d.Spec.Template.Spec.Containers[0].Image = "registry.example/app:2.0"
	if _, err := deployments.Update(context.Background(), d, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("updating the template: %v", err)
	}
	waitFor(t, "the rollout to stall with 4 surge pods", scaleTimeout, func(ctx context.Context) (bool, string, error) {
		d, err := deployments.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		state := fmt.Sprintf("deployment spec.replicas=%d status.replicas=%d updated=%d available=%d",
			*d.Spec.Replicas, d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.AvailableReplicas)
		if *d.Spec.Replicas != 4 {
			return false, state, fmt.Errorf("the autoscaler scaled for the surge pods: %s", state)
		}
		return d.Status.Replicas == 8 && d.Status.UpdatedReplicas == 4 && d.Status.AvailableReplicas == 4, state, nil
	})
	// Four sync periods of the autoscaler (5 s each) with the surge in
	// place: spec.replicas stays 4. (Upstream's autoscaler doubles it at its
	// first sync: the load is on target, so it keeps the 8 it counts.)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w, err := deployments.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=web"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		if d, ok := ev.Object.(*v1alpha1.Deployment); ok && ptr.Deref(d.Spec.Replicas, 1) != 4 {
			t.Fatalf("during the surge the autoscaler set spec.replicas=%d, want 4", *d.Spec.Replicas)
		}
	}
	h, err := e.getHPA(context.Background(), ns, "web")
	if err != nil {
		t.Fatal(err)
	}
	if h.Status.DesiredReplicas != 4 || h.Status.CurrentReplicas != 4 {
		t.Errorf("after four sync periods with the surge: %s, want current and desired 4 (the surge pods are not replicas of the autoscaler)", describeHPA(h))
	}
	if u, ok := cpuUtilization(h); !ok || u < 40 || u > 60 {
		t.Errorf("after four sync periods with the surge: %s, want CPU near 50%% from the 4 ready pods", describeHPA(h))
	}
	t.Logf("with 8 pods (4 surge, never ready) the autoscaler kept 4: %s", describeHPA(h))
}
