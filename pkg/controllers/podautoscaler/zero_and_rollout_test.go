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

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clienttesting "k8s.io/client-go/testing"
	externalmetricsapi "k8s.io/metrics/pkg/apis/external_metrics/v1beta1"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// queueLength is an External metric queue_length with a target value of
// 10 for the whole target.
func queueLength() v1alpha1.MetricSpec {
	return v1alpha1.MetricSpec{Type: v1alpha1.ExternalMetricSourceType, External: &v1alpha1.ExternalMetricSource{
		Metric: v1alpha1.MetricIdentifier{Name: "queue_length"},
		Target: v1alpha1.MetricTarget{Type: v1alpha1.ValueMetricType, Value: ptr.To(resource.MustParse("10"))},
	}}
}

// serveQueueLength makes the external metrics API serve queue_length with
// value, or fail with err, from now on.
func serveQueueLength(m *metricsFakes, value string, err error) {
	m.external.PrependReactor("list", "queue_length", func(clienttesting.Action) (bool, runtime.Object, error) {
		if err != nil {
			return true, nil, err
		}
		return true, &externalmetricsapi.ExternalMetricValueList{Items: []externalmetricsapi.ExternalMetricValue{
			{MetricName: "queue_length", Value: resource.MustParse(value), Timestamp: metav1.Time{Time: now}},
		}}, nil
	})
}

// scaleToZeroHPA scales web between 0 and 10 replicas on CPU and on the
// queue length.
func scaleToZeroHPA() *v1alpha1.HorizontalPodAutoscaler {
	hpa := newHPA()
	hpa.Spec.MinReplicas = ptr.To[int32](0)
	hpa.Spec.Metrics = []v1alpha1.MetricSpec{cpuUtilization(50), queueLength()}
	return hpa
}

func TestScaleFromZero(t *testing.T) {
	tests := []struct {
		name        string
		queue       string
		queueErr    error
		wantUpdates []int32
		wantErr     bool
		wantActive  corev1.ConditionStatus
		wantReason  string
		wantMessage string
	}{{
		// 30 against 10 from zero replicas: ceil(3).
		name: "an External metric above target scales up from zero", queue: "30",
		wantUpdates: []int32{3}, wantActive: corev1.ConditionTrue, wantReason: "ValidMetricFound",
		wantMessage: "from external metric queue_length",
	}, {
		name: "an External metric at zero keeps the target at zero", queue: "0",
		wantActive: corev1.ConditionTrue, wantReason: "ValidMetricFound",
	}, {
		name: "a failing External metric leaves the target at zero", queueErr: errors.New("no external metrics API"),
		wantErr: true, wantActive: corev1.ConditionFalse, wantReason: "FailedGetExternalMetric",
		wantMessage: "no external metrics API",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMetricsFakes()
			// The resource metrics API is never asked at zero replicas.
			m.failResourceMetrics(errors.New("resource metrics must not be read at zero replicas"))
			serveQueueLength(m, tc.queue, tc.queueErr)
			f := newFixture(t, scaleToZeroHPA(), experimentalDeployment(0), nil, m)
			err := f.sync()
			if (err != nil) != tc.wantErr {
				t.Fatalf("sync error = %v, want error %v", err, tc.wantErr)
			}
			if got := f.target.updates; len(got) != len(tc.wantUpdates) || (len(got) > 0 && got[0] != tc.wantUpdates[0]) {
				t.Fatalf("scale updates = %v, want %v", got, tc.wantUpdates)
			}
			c := condition(t, f.status(), v1alpha1.ScalingActive)
			if c.Status != tc.wantActive || c.Reason != tc.wantReason || !strings.Contains(c.Message, tc.wantMessage) {
				t.Errorf("ScalingActive = %+v, want %s/%s containing %q", c, tc.wantActive, tc.wantReason, tc.wantMessage)
			}
			if ev := f.events(); hasEvent(ev, "Warning FailedGetResourceMetric") {
				t.Errorf("events = %q: the CPU metric is absent at zero, not failed", ev)
			}
		})
	}
}

func TestScaleToZero(t *testing.T) {
	m := newMetricsFakes(cpu("a", "0"), cpu("b", "0"))
	serveQueueLength(m, "0", nil)
	f := newFixture(t, scaleToZeroHPA(), experimentalDeployment(2), []*corev1.Pod{newPod("a", "100m"), newPod("b", "100m")}, m)
	f.c.config.DownscaleStabilizationWindow = 0
	if err := f.sync(); err != nil {
		t.Fatal(err)
	}
	if got := f.target.updates; len(got) != 1 || got[0] != 0 {
		t.Fatalf("scale updates = %v, want [0]", got)
	}
	// The next sync at zero reads the External metric again: it is not
	// disabled.
	serveQueueLength(m, "15", nil)
	if err := f.sync(); err != nil {
		t.Fatal(err)
	}
	if got := f.target.updates; len(got) != 2 || got[1] != 2 {
		t.Fatalf("scale updates = %v, want [0 2]", got)
	}
	if ev := f.events(); !hasEvent(ev, "Normal SuccessfulRescale New size: 2; reason: external metric queue_length(<none>) above target") {
		t.Errorf("events = %q", ev)
	}
}

// TestScaledToZeroByHand: at zero with minReplicas > 0 somebody scaled the
// target to zero by hand, and autoscaling is disabled as upstream.
func TestScaledToZeroByHandWithObjectMetric(t *testing.T) {
	hpa := scaleToZeroHPA()
	hpa.Spec.MinReplicas = ptr.To[int32](1)
	m := newMetricsFakes()
	serveQueueLength(m, "30", nil)
	f := newFixture(t, hpa, experimentalDeployment(0), nil, m)
	if err := f.sync(); err != nil {
		t.Fatal(err)
	}
	if len(f.target.updates) != 0 {
		t.Errorf("scale updated: %v", f.target.updates)
	}
	expectCondition(t, f.status(), v1alpha1.ScalingActive, corev1.ConditionFalse, "ScalingDisabled")
}

// TestSurgePodsAreNotExtraLoad: mid-rollout (spec.replicas 4, 6 pods) at 35%
// of a 50% target. For an apps/v1 Deployment the controller keeps
// upstream's computation and scales up to ceil(0.7 × 6) = 5 although usage
// is below target; for an experimental Deployment it scales spec.replicas
// (ceil(0.7 × 4) = 3, held by the downscale stabilization).
func TestSurgePodsAreNotExtraLoad(t *testing.T) {
	tests := []struct {
		name        string
		apiVersion  string
		group       string
		wantUpdates []int32
	}{
		{name: "apps/v1 Deployment (upstream)", apiVersion: "apps/v1", group: "apps", wantUpdates: []int32{5}},
		{name: "experimental Deployment", apiVersion: v1alpha1.SchemeGroupVersion.String(), group: v1alpha1.GroupName},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hpa := newHPA()
			hpa.Spec.ScaleTargetRef.APIVersion = tc.apiVersion
			target := &scaleTarget{gr: schema.GroupResource{Group: tc.group, Resource: "deployments"}, name: "web", replicas: 4, surge: 2, selector: "app=web"}
			f := newFixture(t, hpa, target, sixPods(), newMetricsFakes(sixSamples("35m")...))
			if err := f.sync(); err != nil {
				t.Fatal(err)
			}
			if got := target.updates; len(got) != len(tc.wantUpdates) || (len(got) > 0 && got[0] != tc.wantUpdates[0]) {
				t.Fatalf("scale updates = %v, want %v", got, tc.wantUpdates)
			}
		})
	}
}

// TestSurgePodsPerPodAverage: an External metric with a per-pod average
// target proposes status.replicas upstream when the average over
// status.replicas is within tolerance; mid-rollout that is the surge count
// (spec.replicas 10, 11 pods, 105 at 10 per pod: 105/110 is within
// tolerance, upstream proposes 11). Rollout-aware the average is over
// spec.replicas (105/100, within tolerance): 10.
func TestSurgePodsPerPodAverage(t *testing.T) {
	tests := []struct {
		name        string
		apiVersion  string
		group       string
		wantUpdates []int32
	}{
		{name: "apps/v1 Deployment (upstream)", apiVersion: "apps/v1", group: "apps", wantUpdates: []int32{11}},
		{name: "experimental Deployment", apiVersion: v1alpha1.SchemeGroupVersion.String(), group: v1alpha1.GroupName},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hpa := newHPA()
			hpa.Spec.ScaleTargetRef.APIVersion = tc.apiVersion
			hpa.Spec.MaxReplicas = 20
			hpa.Spec.Metrics = []v1alpha1.MetricSpec{{Type: v1alpha1.ExternalMetricSourceType, External: &v1alpha1.ExternalMetricSource{
				Metric: v1alpha1.MetricIdentifier{Name: "queue_length"},
				Target: v1alpha1.MetricTarget{Type: v1alpha1.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse("10"))},
			}}}
			m := newMetricsFakes()
			serveQueueLength(m, "105", nil)
			target := &scaleTarget{gr: schema.GroupResource{Group: tc.group, Resource: "deployments"}, name: "web", replicas: 10, surge: 1, selector: "app=web"}
			f := newFixture(t, hpa, target, nil, m)
			if err := f.sync(); err != nil {
				t.Fatal(err)
			}
			if got := target.updates; len(got) != len(tc.wantUpdates) || (len(got) > 0 && got[0] != tc.wantUpdates[0]) {
				t.Fatalf("scale updates = %v, want %v", got, tc.wantUpdates)
			}
		})
	}
}
