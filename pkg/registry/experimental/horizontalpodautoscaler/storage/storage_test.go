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
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	genericregistrytest "k8s.io/apiserver/pkg/registry/generic/testing"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registrytest"
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

func newContext(s *HorizontalPodAutoscalerStorage, subresources ...string) context.Context {
	return genericregistrytest.NewNamespaceScopeContext(s.HorizontalPodAutoscaler.Store, namespace, subresources...)
}

func TestCreate(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.HorizontalPodAutoscaler.Store)
	valid := validNewHPA()
	valid.ObjectMeta = metav1.ObjectMeta{}
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
	test.TestCreate(
		valid,
		noMax,
		minAboveMax,
		noTargetKind,
		noTargetName,
		noMetricType,
		noUtilization,
	)
}

func TestUpdate(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.HorizontalPodAutoscaler.Store)
	test.TestUpdate(
		validNewHPA(),
		// valid update
		func(obj runtime.Object) runtime.Object {
			hpa := obj.(*experimental.HorizontalPodAutoscaler)
			hpa.Spec.MaxReplicas = 10
			hpa.Spec.MinReplicas = ptr.To[int32](2)
			return hpa
		},
		// invalid updates
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
	)
}

func TestDelete(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.HorizontalPodAutoscaler.Store)
	test.TestDelete(validNewHPA())
}

func TestGet(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.HorizontalPodAutoscaler.Store)
	test.TestGet(validNewHPA())
}

func TestList(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.HorizontalPodAutoscaler.Store)
	test.TestList(validNewHPA())
}

func TestWatch(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.HorizontalPodAutoscaler.Store)
	test.TestWatch(
		validNewHPA(),
		// matching labels
		[]labels.Set{
			{"tier": "web"},
		},
		// not matching labels
		[]labels.Set{
			{"tier": "db"},
			{"app": "foo"},
		},
		// matching fields
		[]fields.Set{
			{"metadata.name": name},
			{"metadata.namespace": namespace},
		},
		// not matching fields
		[]fields.Set{
			{"metadata.name": "bar"},
			{"name": name},
		},
	)
}

func TestShortNamesAndCategories(t *testing.T) {
	s := newStorage(t)
	registrytest.ExpectShortNamesAndCategories(t, s.HorizontalPodAutoscaler, []string{"xhpa"}, []string{"experimental"})
}

func TestStatusUpdate(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s, "status")
	obj, err := s.HorizontalPodAutoscaler.Create(newContext(s), validNewHPA(), rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("unexpected error creating hpa: %v", err)
	}
	created := obj.(*experimental.HorizontalPodAutoscaler)
	if created.Generation != 1 {
		t.Errorf("generation after create: got %d, want 1", created.Generation)
	}
	if created.Status.CurrentReplicas != 0 || created.Status.DesiredReplicas != 0 {
		t.Errorf("create kept the status: %+v", created.Status)
	}

	lastScale := metav1.Now()
	update := created.DeepCopy()
	update.Spec.MaxReplicas = 50
	update.Labels = map[string]string{"tier": "changed"}
	update.Status = experimental.HorizontalPodAutoscalerStatus{
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
	if _, _, err := s.Status.Update(ctx, name, rest.DefaultUpdatedObjectInfo(update), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{}); err != nil {
		t.Fatalf("unexpected error updating status: %v", err)
	}

	obj, err = s.HorizontalPodAutoscaler.Get(newContext(s), name, &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	got := obj.(*experimental.HorizontalPodAutoscaler)
	if !apiequality.Semantic.DeepEqual(got.Spec, created.Spec) {
		t.Errorf("status update changed the spec: got %+v, want %+v", got.Spec, created.Spec)
	}
	if !apiequality.Semantic.DeepEqual(got.Labels, created.Labels) {
		t.Errorf("status update changed the labels: got %v, want %v", got.Labels, created.Labels)
	}
	if got.Status.CurrentReplicas != 2 || got.Status.DesiredReplicas != 4 || got.Status.LastScaleTime == nil ||
		got.Status.ObservedGeneration == nil || *got.Status.ObservedGeneration != 1 || len(got.Status.Conditions) != 1 {
		t.Errorf("status not updated: got %+v", got.Status)
	}
	if got.Generation != created.Generation {
		t.Errorf("status update changed the generation: got %d, want %d", got.Generation, created.Generation)
	}

	invalid := got.DeepCopy()
	invalid.Status.DesiredReplicas = -1
	if _, _, err := s.Status.Update(ctx, name, rest.DefaultUpdatedObjectInfo(invalid), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("expected an Invalid error for a negative desiredReplicas, got %v", err)
	}
}
