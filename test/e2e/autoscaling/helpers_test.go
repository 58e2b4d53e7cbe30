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

// Package autoscaling drives the HorizontalPodAutoscaler controller of
// workloads-controller-manager end to end: kwok nodes whose pod CPU usage
// follows the kwok.x-k8s.io/usage-cpu annotation, metrics-server serving
// metrics.k8s.io, and experimental/v1alpha1 HorizontalPodAutoscalers that
// scale experimental and apps/v1 Deployments and experimental Jobs
// (parallelism) through their /scale subresource.
package autoscaling

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
	"github.com/kube-experimental/workloads-apiserver/test/framework/metricsadapter"
)

const (
	pollInterval = time.Second
	// Pod metrics appear 20–30 s after a pod runs (10 s resolution) and the
	// controller syncs every 5 s here; scaling takes a few rounds of both.
	scaleTimeout = 4 * time.Minute
)

// env is the cluster of this package with clients.
type env struct {
	c      *framework.Cluster
	client clientset.Interface
	// metrics serves the custom and external metrics the scenarios set.
	metrics *metricsadapter.Adapter
}

// startEnv starts the cluster: two kwok nodes, metrics-server, our API
// server and controller manager (HPA sync every 5 s), and
// kube-controller-manager also running the upstream deployment and
// replicaset controllers so apps/v1 Deployments get pods.
func startEnv(t *testing.T) *env {
	t.Helper()
	framework.SkipIfNoControlPlane(t)
	c := framework.StartCluster(t, framework.Options{
		Nodes:                      2,
		MetricsServer:              true,
		Controllers:                append(slices.Clone(framework.DefaultControllers), "deployment", "replicaset"),
		WorkloadsAPIServer:         true,
		WorkloadsAPIServerArgs:     []string{"--runtime-config=experimental/v1alpha1=true"},
		WorkloadsControllerManager: true,
		WorkloadsControllerManagerArgs: []string{
			"--v=2",
			"--horizontal-pod-autoscaler-sync-period=5s",
		},
	})
	client, err := clientset.NewForConfig(c.RestConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	metrics, err := metricsadapter.Start(ctx, c)
	if err != nil {
		t.Fatalf("starting the test metrics adapter: %v", err)
	}
	return &env{c: c, client: client, metrics: metrics}
}

func (e *env) namespace(t *testing.T, name string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := e.c.KubeClient().CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = e.c.KubeClient().CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	return name
}

// podTemplate labels pods app=<name>, requests 100m CPU and makes kwok
// report usageCPU for them.
func podTemplate(name, usageCPU string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{
			Labels:      map[string]string{"app": name},
			Annotations: map[string]string{framework.AnnotationUsageCPU: usageCPU},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name:  "app",
			Image: "registry.example/app:1.0",
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
			},
		}}},
	}
}

// cpuHPA autoscales target between 1 and 5 replicas on 50% CPU utilization.
func cpuHPA(name string, target v1alpha1.CrossVersionObjectReference, behavior *v1alpha1.HorizontalPodAutoscalerBehavior) *v1alpha1.HorizontalPodAutoscaler {
	return &v1alpha1.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: target,
			MinReplicas:    ptr.To[int32](1),
			MaxReplicas:    5,
			Metrics: []v1alpha1.MetricSpec{{
				Type: v1alpha1.ResourceMetricSourceType,
				Resource: &v1alpha1.ResourceMetricSource{
					Name:   corev1.ResourceCPU,
					Target: v1alpha1.MetricTarget{Type: v1alpha1.UtilizationMetricType, AverageUtilization: ptr.To[int32](50)},
				},
			}},
			Behavior: behavior,
		},
	}
}

// waitFor polls cond until it holds or timeout passes; on timeout it fails
// with the last state cond described.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func(ctx context.Context) (bool, string, error)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), pollInterval, timeout, true, func(ctx context.Context) (bool, error) {
		ok, state, err := cond(ctx)
		last = state
		return ok, err
	})
	if err != nil {
		t.Fatalf("waiting for %s: %v; last state: %s", what, err, last)
	}
	t.Logf("%s: %s", what, last)
}

func (e *env) getHPA(ctx context.Context, ns, name string) (*v1alpha1.HorizontalPodAutoscaler, error) {
	return e.client.ExperimentalV1alpha1().HorizontalPodAutoscalers(ns).Get(ctx, name, metav1.GetOptions{})
}

func hpaCondition(hpa *v1alpha1.HorizontalPodAutoscaler, t v1alpha1.HorizontalPodAutoscalerConditionType) *v1alpha1.HorizontalPodAutoscalerCondition {
	for i := range hpa.Status.Conditions {
		if hpa.Status.Conditions[i].Type == t {
			return &hpa.Status.Conditions[i]
		}
	}
	return nil
}

func describeHPA(hpa *v1alpha1.HorizontalPodAutoscaler) string {
	var b strings.Builder
	fmt.Fprintf(&b, "current=%d desired=%d", hpa.Status.CurrentReplicas, hpa.Status.DesiredReplicas)
	for _, m := range hpa.Status.CurrentMetrics {
		if m.Resource != nil && m.Resource.Current.AverageUtilization != nil {
			fmt.Fprintf(&b, " %s=%d%%", m.Resource.Name, *m.Resource.Current.AverageUtilization)
		}
	}
	for _, c := range hpa.Status.Conditions {
		fmt.Fprintf(&b, " %s=%s/%s(%s)", c.Type, c.Status, c.Reason, c.Message)
	}
	return b.String()
}

// cpuUtilization returns the CPU utilization the autoscaler last reported.
func cpuUtilization(hpa *v1alpha1.HorizontalPodAutoscaler) (int32, bool) {
	for _, m := range hpa.Status.CurrentMetrics {
		if m.Type == v1alpha1.ResourceMetricSourceType && m.Resource != nil && m.Resource.Name == corev1.ResourceCPU &&
			m.Resource.Current.AverageUtilization != nil {
			return *m.Resource.Current.AverageUtilization, true
		}
	}
	return 0, false
}

// expectActive checks the conditions of an autoscaler that computed a
// recommendation from its CPU metric.
func expectActive(t *testing.T, hpa *v1alpha1.HorizontalPodAutoscaler) {
	t.Helper()
	if c := hpaCondition(hpa, v1alpha1.AbleToScale); c == nil || c.Status != corev1.ConditionTrue {
		t.Errorf("AbleToScale = %+v, want True", c)
	}
	if c := hpaCondition(hpa, v1alpha1.ScalingActive); c == nil || c.Status != corev1.ConditionTrue || c.Reason != "ValidMetricFound" {
		t.Errorf("ScalingActive = %+v, want True/ValidMetricFound", c)
	}
	if hpa.Status.ObservedGeneration == nil || *hpa.Status.ObservedGeneration != hpa.Generation {
		t.Errorf("observedGeneration = %v, want %d", hpa.Status.ObservedGeneration, hpa.Generation)
	}
	if hpa.Status.LastScaleTime == nil {
		t.Errorf("lastScaleTime unset after a rescale")
	}
}

// expectRescaleEvent checks that a SuccessfulRescale event whose message
// contains text was recorded on the autoscaler by our controller.
func (e *env) expectRescaleEvent(t *testing.T, ns, name, text string) {
	t.Helper()
	waitFor(t, "a SuccessfulRescale event", 30*time.Second, func(ctx context.Context) (bool, string, error) {
		events, err := e.c.KubeClient().CoreV1().Events(ns).List(ctx, metav1.ListOptions{
			FieldSelector: "involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=" + name + ",reason=SuccessfulRescale",
		})
		if err != nil {
			return false, "", err
		}
		var seen []string
		for _, ev := range events.Items {
			seen = append(seen, ev.Source.Component+": "+ev.Message)
			if strings.Contains(ev.Message, text) && ev.Source.Component == "horizontal-pod-autoscaler" {
				return true, "", nil
			}
		}
		return false, fmt.Sprintf("events %q", seen), nil
	})
}

// annotateRunningPods sets the CPU usage kwok reports for every pod matching
// selector, returning how many it annotated.
func (e *env) annotateRunningPods(t *testing.T, ns, selector, usageCPU string) int {
	t.Helper()
	ctx := context.Background()
	pods, err := e.c.KubeClient().CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		t.Fatal(err)
	}
	patch := []byte(fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, framework.AnnotationUsageCPU, usageCPU))
	n := 0
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		if _, err := e.c.KubeClient().CoreV1().Pods(ns).Patch(ctx, p.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Fatalf("annotating pod %s: %v", p.Name, err)
		}
		n++
	}
	return n
}

// appsDeployment returns an apps/v1 Deployment of one pod.
func appsDeployment(name, usageCPU string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: podTemplate(name, usageCPU),
		},
	}
}
