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

package storage

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	genericregistrytest "k8s.io/apiserver/pkg/registry/generic/testing"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registrytest"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registryutil"
)

const (
	namespace = "test"
	name      = "foo-hpa"
)

func newStorage(t *testing.T) *HorizontalPodAutoscalerStorage {
	t.Helper()
	_, opts := registrytest.NewEtcdStorage(t, "horizontalpodautoscalers")
	s, err := NewStorage(registrytest.Scheme, opts)
	if err != nil {
		t.Fatalf("unexpected error from NewStorage: %v", err)
	}
	t.Cleanup(s.HorizontalPodAutoscaler.Store.DestroyFunc)
	return &s
}

// validNewHPA returns a HorizontalPodAutoscaler that passes validation
// without defaulting.
func validNewHPA() *experimental.HorizontalPodAutoscaler {
	return &experimental.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: namespace,
			Labels:    map[string]string{"tier": "web"},
		},
		Spec: experimental.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: experimental.CrossVersionObjectReference{
				Kind:       "Deployment",
				Name:       "foo-deployment",
				APIVersion: "experimental/v1alpha1",
			},
			MinReplicas: ptr.To[int32](1),
			MaxReplicas: 5,
			Metrics: []experimental.MetricSpec{{
				Type: experimental.ResourceMetricSourceType,
				Resource: &experimental.ResourceMetricSource{
					Name: corev1.ResourceCPU,
					Target: experimental.MetricTarget{
						Type:               experimental.UtilizationMetricType,
						AverageUtilization: ptr.To[int32](80),
					},
				},
			}},
		},
		Status: experimental.HorizontalPodAutoscalerStatus{CurrentReplicas: 2, DesiredReplicas: 3},
	}
}

func TestConformance(t *testing.T) {
	noMax := validNewHPA()
	noMax.Spec.MaxReplicas = 0
	minAboveMax := validNewHPA()
	minAboveMax.Spec.MinReplicas = ptr.To[int32](10)
	noTargetKind := validNewHPA()
	noTargetKind.Spec.ScaleTargetRef.Kind = ""
	noTargetName := validNewHPA()
	noTargetName.Spec.ScaleTargetRef.Name = ""
	noMetricType := validNewHPA()
	noMetricType.Spec.Metrics[0].Type = ""
	noUtilization := validNewHPA()
	noUtilization.Spec.Metrics[0].Resource.Target.AverageUtilization = nil

	registrytest.RunConformance(t, registrytest.Conformance{
		NewStorage: func(t *testing.T) (*registryutil.REST, *registryutil.StatusREST) {
			s := newStorage(t)
			return s.HorizontalPodAutoscaler, s.Status
		},
		Valid: func() runtime.Object { return validNewHPA() },
		InvalidCreates: []runtime.Object{
			noMax,
			minAboveMax,
			noTargetKind,
			noTargetName,
			noMetricType,
			noUtilization,
		},
		ValidUpdate: func(obj runtime.Object) runtime.Object {
			hpa := obj.(*experimental.HorizontalPodAutoscaler)
			hpa.Spec.MaxReplicas = 10
			hpa.Spec.MinReplicas = ptr.To[int32](2)
			return hpa
		},
		InvalidUpdates: []genericregistrytest.UpdateFunc{
			func(obj runtime.Object) runtime.Object {
				hpa := obj.(*experimental.HorizontalPodAutoscaler)
				hpa.Name = ""
				return hpa
			},
			func(obj runtime.Object) runtime.Object {
				hpa := obj.(*experimental.HorizontalPodAutoscaler)
				hpa.Spec.MaxReplicas = 0
				return hpa
			},
			func(obj runtime.Object) runtime.Object {
				hpa := obj.(*experimental.HorizontalPodAutoscaler)
				hpa.Spec.ScaleTargetRef.Name = ""
				return hpa
			},
		},
		LabelsMatch:   []labels.Set{{"tier": "web"}},
		LabelsNoMatch: []labels.Set{{"tier": "db"}, {"app": "foo"}},
		ShortNames:    []string{"xhpa"},
		Categories:    []string{"experimental"},
		Status: registrytest.StatusConformance{
			Change: func(obj runtime.Object) {
				hpa := obj.(*experimental.HorizontalPodAutoscaler)
				lastScale := metav1.Now()
				hpa.Spec.MaxReplicas = 50
				hpa.Status = experimental.HorizontalPodAutoscalerStatus{
					ObservedGeneration: ptr.To[int64](1),
					LastScaleTime:      &lastScale,
					CurrentReplicas:    2,
					DesiredReplicas:    4,
					Conditions: []experimental.HorizontalPodAutoscalerCondition{{
						Type:   experimental.AbleToScale,
						Status: corev1.ConditionTrue,
						Reason: "SucceededRescale",
					}},
				}
			},
			Cleared: func(obj runtime.Object) bool {
				status := obj.(*experimental.HorizontalPodAutoscaler).Status
				return status.CurrentReplicas == 0 && status.DesiredReplicas == 0
			},
			// The stored lastScaleTime has lost its sub-second part.
			Updated: func(obj runtime.Object) bool {
				status := obj.(*experimental.HorizontalPodAutoscaler).Status
				return status.CurrentReplicas == 2 && status.DesiredReplicas == 4 && status.LastScaleTime != nil &&
					status.ObservedGeneration != nil && *status.ObservedGeneration == 1 && len(status.Conditions) == 1
			},
			Invalid: []registrytest.InvalidStatus{{
				Desc: "a negative desiredReplicas",
				Mutate: func(obj runtime.Object) {
					obj.(*experimental.HorizontalPodAutoscaler).Status.DesiredReplicas = -1
				},
			}},
		},
	})
}
