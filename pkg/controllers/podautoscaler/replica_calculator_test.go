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
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	corelisters "k8s.io/client-go/listers/core/v1"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2/ktesting"
	custommetricsapi "k8s.io/metrics/pkg/apis/custom_metrics/v1beta2"
	externalmetricsapi "k8s.io/metrics/pkg/apis/external_metrics/v1beta1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

var (
	defaultTolerances = Tolerances{ScaleDown: 0.1, ScaleUp: 0.1}
	defaultOptions    = Options{Tolerances: defaultTolerances}
)

func newCalculator(t *testing.T, pods []*corev1.Pod, metrics MetricsClient) *ReplicaCalculator {
	t.Helper()
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, p := range pods {
		if err := indexer.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	cfg := DefaultConfig()
	return NewReplicaCalculator(metrics, corelisters.NewPodLister(indexer), clocktesting.NewFakeClock(now), cfg.CPUInitializationPeriod, cfg.InitialReadinessDelay)
}

// sixPods are four pods and two surge pods of a Deployment with
// spec.replicas 4 in the middle of a rolling update.
func sixPods() []*corev1.Pod {
	var pods []*corev1.Pod
	for _, n := range []string{"a", "b", "c", "d", "surge-1", "surge-2"} {
		pods = append(pods, newPod(n, "100m"))
	}
	return pods
}

func sixSamples(usage string) []podMetrics {
	var samples []podMetrics
	for _, n := range []string{"a", "b", "c", "d", "surge-1", "surge-2"} {
		samples = append(samples, cpu(n, usage))
	}
	return samples
}

func selectorWeb() labels.Selector { return labels.SelectorFromSet(labels.Set{"app": "web"}) }

func TestGetResourceReplicas(t *testing.T) {
	tests := []struct {
		name            string
		currentReplicas int32
		target          int32
		container       string
		tolerances      *Tolerances
		rolloutAware    bool
		pods            []*corev1.Pod
		samples         []podMetrics
		metricsErr      error
		wantReplicas    int32
		wantUtilization int32
		wantRaw         int64
		wantErr         string
	}{{
		name:            "usage above target scales up",
		currentReplicas: 3, target: 50,
		pods:         []*corev1.Pod{newPod("a", "100m"), newPod("b", "100m"), newPod("c", "100m")},
		samples:      []podMetrics{cpu("a", "100m"), cpu("b", "100m"), cpu("c", "100m")},
		wantReplicas: 6, wantUtilization: 100, wantRaw: 100,
	}, {
		name:            "usage below target scales down",
		currentReplicas: 4, target: 50,
		pods:         []*corev1.Pod{newPod("a", "100m"), newPod("b", "100m"), newPod("c", "100m"), newPod("d", "100m")},
		samples:      []podMetrics{cpu("a", "10m"), cpu("b", "10m"), cpu("c", "10m"), cpu("d", "10m")},
		wantReplicas: 1, wantUtilization: 10, wantRaw: 10,
	}, {
		name:            "usage within tolerance keeps the replicas",
		currentReplicas: 3, target: 50,
		pods:         []*corev1.Pod{newPod("a", "100m"), newPod("b", "100m"), newPod("c", "100m")},
		samples:      []podMetrics{cpu("a", "54m"), cpu("b", "54m"), cpu("c", "54m")},
		wantReplicas: 3, wantUtilization: 54, wantRaw: 54,
	}, {
		name:            "a tighter per-autoscaler tolerance acts on the same usage",
		currentReplicas: 3, target: 50, tolerances: &Tolerances{ScaleDown: 0.1, ScaleUp: 0.01},
		pods:         []*corev1.Pod{newPod("a", "100m"), newPod("b", "100m"), newPod("c", "100m")},
		samples:      []podMetrics{cpu("a", "54m"), cpu("b", "54m"), cpu("c", "54m")},
		wantReplicas: 4, wantUtilization: 54, wantRaw: 54,
	}, {
		name:            "missing pods count as 0% on a scale-up",
		currentReplicas: 3, target: 50,
		pods:    []*corev1.Pod{newPod("a", "100m"), newPod("b", "100m"), newPod("c", "100m")},
		samples: []podMetrics{cpu("a", "100m"), cpu("b", "100m")},
		// 200m of 300m requested = 66% → ratio 1.32 → ceil(3.96).
		wantReplicas: 4, wantUtilization: 100, wantRaw: 100,
	}, {
		name:            "missing pods count as 100% on a scale-down, which cancels it",
		currentReplicas: 3, target: 50,
		pods:    []*corev1.Pod{newPod("a", "100m"), newPod("b", "100m"), newPod("c", "100m")},
		samples: []podMetrics{cpu("a", "10m"), cpu("b", "10m")},
		// 120m of 300m = 40% → ratio 0.8 → ceil(2.4) = 3.
		wantReplicas: 3, wantUtilization: 10, wantRaw: 10,
	}, {
		name:            "missing pods on a scale-down use the target when it is above 100%",
		currentReplicas: 4, target: 200,
		pods:    []*corev1.Pod{newPod("a", "100m"), newPod("b", "100m"), newPod("c", "100m"), newPod("d", "100m")},
		samples: []podMetrics{cpu("a", "20m"), cpu("b", "20m"), cpu("c", "20m")},
		// 60m + 200m of 400m = 65% → ratio 0.325 → ceil(1.3) = 2.
		wantReplicas: 2, wantUtilization: 20, wantRaw: 20,
	}, {
		name:            "unready pods count as 0% on a scale-up",
		currentReplicas: 3, target: 50,
		pods: []*corev1.Pod{newPod("a", "100m"), newPod("b", "100m"),
			newPod("c", "100m", startedRecently(corev1.ConditionFalse, time.Minute))},
		samples: []podMetrics{cpu("a", "100m"), cpu("b", "100m"), cpu("c", "500m")},
		// The unready pod's 500m is not trusted: 200m of 300m → 4.
		wantReplicas: 4, wantUtilization: 100, wantRaw: 100,
	}, {
		name:            "pending pods count as unready",
		currentReplicas: 3, target: 50,
		pods:         []*corev1.Pod{newPod("a", "100m"), newPod("b", "100m"), newPod("c", "100m", withPhase(corev1.PodPending))},
		samples:      []podMetrics{cpu("a", "100m"), cpu("b", "100m")},
		wantReplicas: 4, wantUtilization: 100, wantRaw: 100,
	}, {
		name:            "unready pods are left out of a scale-down",
		currentReplicas: 3, target: 50,
		pods: []*corev1.Pod{newPod("a", "100m"), newPod("b", "100m"),
			newPod("c", "100m", startedRecently(corev1.ConditionFalse, time.Minute))},
		samples:      []podMetrics{cpu("a", "10m"), cpu("b", "10m"), cpu("c", "90m")},
		wantReplicas: 1, wantUtilization: 10, wantRaw: 10,
	}, {
		name:            "a sample taken less than a window after the pod turned ready is not trusted",
		currentReplicas: 2, target: 50,
		pods: []*corev1.Pod{newPod("a", "100m"),
			newPod("b", "100m", startedRecently(corev1.ConditionTrue, 10*time.Second))},
		samples: []podMetrics{cpu("a", "200m"), cpu("b", "300m")},
		// b's 300m (a start-up burst) would ask for 10; counted as 0% it
		// gives 200m of 200m requested → ratio 2 → 4.
		wantReplicas: 4, wantUtilization: 200, wantRaw: 200,
	}, {
		name:            "failed and deleted pods are ignored",
		currentReplicas: 3, target: 50,
		pods: []*corev1.Pod{newPod("a", "100m"), newPod("b", "100m", withPhase(corev1.PodFailed)),
			newPod("c", "100m", deleted)},
		samples:      []podMetrics{cpu("a", "100m")},
		wantReplicas: 2, wantUtilization: 100, wantRaw: 100,
	}, {
		// Mid-rollout: spec.replicas 4, two surge pods, all at 35% of a 50%
		// target. Upstream proposes ceil(0.7 × 6) = 5, a scale-up below
		// target.
		name:            "surge pods raise the proposal (upstream)",
		currentReplicas: 4, target: 50,
		pods:         sixPods(),
		samples:      sixSamples("35m"),
		wantReplicas: 5, wantUtilization: 35, wantRaw: 35,
	}, {
		name:            "rollout-aware: surge pods share the load but the proposal scales spec.replicas",
		currentReplicas: 4, target: 50, rolloutAware: true,
		pods:         sixPods(),
		samples:      sixSamples("35m"),
		wantReplicas: 3, wantUtilization: 35, wantRaw: 35,
	}, {
		name:            "rollout-aware: a scale-up mid-rollout scales spec.replicas",
		currentReplicas: 4, target: 50, rolloutAware: true,
		pods:    sixPods(),
		samples: sixSamples("100m"),
		// ratio 2 × min(6, 4) = 8, not 12.
		wantReplicas: 8, wantUtilization: 100, wantRaw: 100,
	}, {
		name:            "rollout-aware: terminating pods are ignored",
		currentReplicas: 2, target: 50, rolloutAware: true,
		pods:         []*corev1.Pod{newPod("a", "100m"), newPod("b", "100m"), newPod("c", "100m", deleted)},
		samples:      []podMetrics{cpu("a", "100m"), cpu("b", "100m"), cpu("c", "100m")},
		wantReplicas: 4, wantUtilization: 100, wantRaw: 100,
	}, {
		name:            "multiple containers: usage and requests are summed",
		currentReplicas: 2, target: 50,
		pods: []*corev1.Pod{newPod("a", "100m", withSidecar("100m")), newPod("b", "100m", withSidecar("100m"))},
		samples: []podMetrics{
			{pod: "a", usage: map[string]string{"app": "150m", "sidecar": "50m"}},
			{pod: "b", usage: map[string]string{"app": "150m", "sidecar": "50m"}},
		},
		wantReplicas: 4, wantUtilization: 100, wantRaw: 200,
	}, {
		name:            "container resource: only the named container counts",
		currentReplicas: 2, target: 50, container: "sidecar",
		pods: []*corev1.Pod{newPod("a", "100m", withSidecar("100m")), newPod("b", "100m", withSidecar("100m"))},
		samples: []podMetrics{
			{pod: "a", usage: map[string]string{"app": "10m", "sidecar": "100m"}},
			{pod: "b", usage: map[string]string{"app": "10m", "sidecar": "100m"}},
		},
		// The whole pods are at 27%, the sidecars at 100%.
		wantReplicas: 4, wantUtilization: 100, wantRaw: 100,
	}, {
		name:            "container resource: an unknown container is an error",
		currentReplicas: 2, target: 50, container: "nope",
		pods:    []*corev1.Pod{newPod("a", "100m")},
		samples: []podMetrics{cpu("a", "10m")},
		wantErr: "did not receive metrics for targeted pods",
	}, {
		name:            "no requests: utilization cannot be computed",
		currentReplicas: 2, target: 50,
		pods:    []*corev1.Pod{newPod("a", ""), newPod("b", "")},
		samples: []podMetrics{cpu("a", "10m"), cpu("b", "10m")},
		wantErr: "missing request for cpu in container app of Pod a",
	}, {
		name:            "the metrics API failing is an error",
		currentReplicas: 2, target: 50,
		pods:       []*corev1.Pod{newPod("a", "100m")},
		metricsErr: errors.New("service unavailable"),
		wantErr:    "unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: service unavailable",
	}, {
		name:            "no samples at all is an error",
		currentReplicas: 2, target: 50,
		pods:    []*corev1.Pod{newPod("a", "100m")},
		wantErr: "no metrics returned from resource metrics API",
	}, {
		name:            "no pods is an error",
		currentReplicas: 2, target: 50,
		samples: []podMetrics{cpu("a", "10m")},
		wantErr: "no pods returned by selector",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ctx := ktesting.NewTestContext(t)
			m := newMetricsFakes(tc.samples...)
			if tc.metricsErr != nil {
				m.failResourceMetrics(tc.metricsErr)
			}
			tol := defaultTolerances
			if tc.tolerances != nil {
				tol = *tc.tolerances
			}
			calc := newCalculator(t, tc.pods, m.client)
			replicas, utilization, raw, _, err := calc.GetResourceReplicas(ctx, tc.currentReplicas, tc.target, corev1.ResourceCPU, Options{Tolerances: tol, RolloutAware: tc.rolloutAware}, testNamespace, selectorWeb(), tc.container)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if replicas != tc.wantReplicas || utilization != tc.wantUtilization || raw != tc.wantRaw {
				t.Errorf("got replicas=%d utilization=%d raw=%d, want %d %d %d", replicas, utilization, raw, tc.wantReplicas, tc.wantUtilization, tc.wantRaw)
			}
		})
	}
}

func TestGetRawResourceReplicas(t *testing.T) {
	tests := []struct {
		name            string
		currentReplicas int32
		targetMilli     int64
		pods            []*corev1.Pod
		samples         []podMetrics
		wantReplicas    int32
		wantUsage       int64
	}{{
		name:            "average above target scales up",
		currentReplicas: 3, targetMilli: 50,
		pods:         []*corev1.Pod{newPod("a", ""), newPod("b", ""), newPod("c", "")},
		samples:      []podMetrics{cpu("a", "100m"), cpu("b", "100m"), cpu("c", "100m")},
		wantReplicas: 6, wantUsage: 100,
	}, {
		name:            "average below target scales down (requests are not needed)",
		currentReplicas: 4, targetMilli: 100,
		pods:         []*corev1.Pod{newPod("a", ""), newPod("b", ""), newPod("c", ""), newPod("d", "")},
		samples:      []podMetrics{cpu("a", "20m"), cpu("b", "20m"), cpu("c", "20m"), cpu("d", "20m")},
		wantReplicas: 1, wantUsage: 20,
	}, {
		name:            "within tolerance",
		currentReplicas: 2, targetMilli: 100,
		pods:         []*corev1.Pod{newPod("a", ""), newPod("b", "")},
		samples:      []podMetrics{cpu("a", "95m"), cpu("b", "95m")},
		wantReplicas: 2, wantUsage: 95,
	}, {
		name:            "missing pods are assumed at the target on a scale-down",
		currentReplicas: 3, targetMilli: 100,
		pods:    []*corev1.Pod{newPod("a", ""), newPod("b", ""), newPod("c", "")},
		samples: []podMetrics{cpu("a", "50m"), cpu("b", "50m")},
		// (50+50+100)/3 = 66 → ratio 0.66 → ceil(2) = 2.
		wantReplicas: 2, wantUsage: 50,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ctx := ktesting.NewTestContext(t)
			calc := newCalculator(t, tc.pods, newMetricsFakes(tc.samples...).client)
			replicas, usage, _, err := calc.GetRawResourceReplicas(ctx, tc.currentReplicas, tc.targetMilli, corev1.ResourceCPU, defaultOptions, testNamespace, selectorWeb(), "")
			if err != nil {
				t.Fatal(err)
			}
			if replicas != tc.wantReplicas || usage != tc.wantUsage {
				t.Errorf("got replicas=%d usage=%d, want %d %d", replicas, usage, tc.wantReplicas, tc.wantUsage)
			}
		})
	}
}

func TestCustomAndExternalMetricReplicas(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	pods := []*corev1.Pod{newPod("a", ""), newPod("b", "")}
	m := newMetricsFakes()
	m.custom.AddReactor("get", "pods", func(clienttesting.Action) (bool, runtime.Object, error) {
		list := &custommetricsapi.MetricValueList{}
		for _, p := range []string{"a", "b"} {
			list.Items = append(list.Items, custommetricsapi.MetricValue{
				DescribedObject: corev1.ObjectReference{Kind: "Pod", Name: p, Namespace: testNamespace},
				Metric:          custommetricsapi.MetricIdentifier{Name: "requests"},
				Timestamp:       metav1.Time{Time: now},
				Value:           resource.MustParse("30"),
			})
		}
		return true, list, nil
	})
	m.custom.AddReactor("get", "services", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, &custommetricsapi.MetricValueList{Items: []custommetricsapi.MetricValue{{
			DescribedObject: corev1.ObjectReference{Kind: "Service", Name: "frontend", Namespace: testNamespace},
			Timestamp:       metav1.Time{Time: now},
			Value:           resource.MustParse("400"),
		}}}, nil
	})
	m.external.AddReactor("list", "queue_length", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, &externalmetricsapi.ExternalMetricValueList{Items: []externalmetricsapi.ExternalMetricValue{
			{MetricName: "queue_length", Value: resource.MustParse("70"), Timestamp: metav1.Time{Time: now}},
			{MetricName: "queue_length", Value: resource.MustParse("50"), Timestamp: metav1.Time{Time: now}},
		}}, nil
	})
	calc := newCalculator(t, pods, m.client)

	// Pods metric: average 30 against 10 per pod → 6.
	replicas, usage, _, err := calc.GetMetricReplicas(ctx, 2, 10_000, "requests", defaultOptions, testNamespace, selectorWeb(), labels.Everything())
	if err != nil || replicas != 6 || usage != 30_000 {
		t.Errorf("pods metric: replicas=%d usage=%d err=%v, want 6 30000", replicas, usage, err)
	}
	// Object metric value 400 against 100: ratio 4 × 2 ready pods → 8.
	ref := &v1alpha1.CrossVersionObjectReference{Kind: "Service", Name: "frontend", APIVersion: "v1"}
	replicas, usage, _, err = calc.GetObjectMetricReplicas(ctx, 2, 100_000, "rps", defaultOptions, testNamespace, ref, selectorWeb(), labels.Everything())
	if err != nil || replicas != 8 || usage != 400_000 {
		t.Errorf("object metric: replicas=%d usage=%d err=%v, want 8 400000", replicas, usage, err)
	}
	// External total 120 against 40 per pod → 3.
	replicas, usage, _, err = calc.GetExternalPerPodMetricReplicas(ctx, 2, 40_000, "queue_length", defaultOptions, testNamespace, nil)
	if err != nil || replicas != 3 || usage != 60_000 {
		t.Errorf("external per-pod metric: replicas=%d usage=%d err=%v, want 3 60000", replicas, usage, err)
	}
	// External total 120 against a value of 60 → ratio 2 × 2 ready pods.
	replicas, usage, _, err = calc.GetExternalMetricReplicas(ctx, 2, 60_000, "queue_length", defaultOptions, testNamespace, nil, selectorWeb())
	if err != nil || replicas != 4 || usage != 120_000 {
		t.Errorf("external metric: replicas=%d usage=%d err=%v, want 4 120000", replicas, usage, err)
	}
}

// TestRolloutAwareValueMetricReplicas checks the ready-pod base of Object
// and External value metrics: upstream counts terminating and surge pods;
// rollout-aware, terminating pods are left out and the count is capped at
// spec.replicas.
func TestRolloutAwareValueMetricReplicas(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	// spec.replicas 2: a, b, one surge pod and one terminating pod, all
	// running and ready.
	pods := []*corev1.Pod{newPod("a", ""), newPod("b", ""), newPod("surge", ""), newPod("old", "", deleted)}
	m := newMetricsFakes()
	m.custom.AddReactor("get", "services", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, &custommetricsapi.MetricValueList{Items: []custommetricsapi.MetricValue{{
			DescribedObject: corev1.ObjectReference{Kind: "Service", Name: "frontend", Namespace: testNamespace},
			Timestamp:       metav1.Time{Time: now},
			Value:           resource.MustParse("300"),
		}}}, nil
	})
	m.external.AddReactor("list", "queue_length", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, &externalmetricsapi.ExternalMetricValueList{Items: []externalmetricsapi.ExternalMetricValue{
			{MetricName: "queue_length", Value: resource.MustParse("300"), Timestamp: metav1.Time{Time: now}},
		}}, nil
	})
	calc := newCalculator(t, pods, m.client)
	ref := &v1alpha1.CrossVersionObjectReference{Kind: "Service", Name: "frontend", APIVersion: "v1"}
	tests := []struct {
		name string
		opts Options
		want int32
	}{
		// Value 300 against 100: ratio 3.
		{name: "upstream counts all four ready pods", opts: defaultOptions, want: 12},
		{name: "rollout-aware scales spec.replicas", opts: Options{Tolerances: defaultTolerances, RolloutAware: true}, want: 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, _, err := calc.GetObjectMetricReplicas(ctx, 2, 100_000, "rps", tc.opts, testNamespace, ref, selectorWeb(), labels.Everything())
			if err != nil || got != tc.want {
				t.Errorf("object metric: replicas=%d err=%v, want %d", got, err, tc.want)
			}
			got, _, _, err = calc.GetExternalMetricReplicas(ctx, 2, 100_000, "queue_length", tc.opts, testNamespace, nil, selectorWeb())
			if err != nil || got != tc.want {
				t.Errorf("external metric: replicas=%d err=%v, want %d", got, err, tc.want)
			}
		})
	}
	// With only a surge of terminating pods left out, fewer ready pods
	// than spec.replicas are scaled as they are: one ready pod, ratio 3.
	few := newCalculator(t, []*corev1.Pod{newPod("a", ""), newPod("old", "", deleted)}, m.client)
	got, _, _, err := few.GetObjectMetricReplicas(ctx, 2, 100_000, "rps", Options{Tolerances: defaultTolerances, RolloutAware: true}, testNamespace, ref, selectorWeb(), labels.Everything())
	if err != nil || got != 3 {
		t.Errorf("object metric with one ready pod: replicas=%d err=%v, want 3", got, err)
	}
}
