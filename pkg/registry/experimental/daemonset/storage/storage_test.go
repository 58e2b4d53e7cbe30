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
	"maps"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	genericregistrytest "k8s.io/apiserver/pkg/registry/generic/testing"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registrytest"
)

const (
	namespace = "test"
	name      = "foo-daemonset"
)

var podLabels = map[string]string{"app": "foo"}

func newStorage(t *testing.T) *DaemonSetStorage {
	t.Helper()
	_, opts := registrytest.NewEtcdStorage(t, "daemonsets")
	s, err := NewStorage(registrytest.Scheme, opts)
	if err != nil {
		t.Fatalf("unexpected error from NewStorage: %v", err)
	}
	t.Cleanup(s.DaemonSet.Store.DestroyFunc)
	return &s
}

// validNewDaemonSet returns a DaemonSet that passes validation without
// defaulting.
func validNewDaemonSet() *experimental.DaemonSet {
	maxUnavailable, maxSurge := intstr.FromInt32(1), intstr.FromInt32(0)
	return &experimental.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: namespace,
			Labels:    map[string]string{"tier": "node"},
		},
		Spec: experimental.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: maps.Clone(podLabels)},
			Template: registrytest.ValidPodTemplate(podLabels, corev1.RestartPolicyAlways),
			UpdateStrategy: experimental.DaemonSetUpdateStrategy{
				Type: experimental.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &experimental.RollingUpdateDaemonSet{
					MaxUnavailable: &maxUnavailable,
					MaxSurge:       &maxSurge,
				},
			},
			RevisionHistoryLimit: ptr.To[int32](10),
		},
		Status: experimental.DaemonSetStatus{DesiredNumberScheduled: 3},
	}
}

func newContext(s *DaemonSetStorage, subresources ...string) context.Context {
	return genericregistrytest.NewNamespaceScopeContext(s.DaemonSet.Store, namespace, subresources...)
}

func TestCreate(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.DaemonSet.Store)
	valid := validNewDaemonSet()
	valid.ObjectMeta = metav1.ObjectMeta{}
	emptySelector := validNewDaemonSet()
	emptySelector.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{}}
	mismatchedSelector := validNewDaemonSet()
	mismatchedSelector.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}}
	never := validNewDaemonSet()
	never.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
	badStrategy := validNewDaemonSet()
	badStrategy.Spec.UpdateStrategy = experimental.DaemonSetUpdateStrategy{Type: "Bogus"}
	noContainers := validNewDaemonSet()
	noContainers.Spec.Template.Spec.Containers = nil
	test.TestCreate(
		valid,
		emptySelector,
		mismatchedSelector,
		never,
		badStrategy,
		noContainers,
	)
}

func TestUpdate(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.DaemonSet.Store)
	test.TestUpdate(
		validNewDaemonSet(),
		// valid update
		func(obj runtime.Object) runtime.Object {
			ds := obj.(*experimental.DaemonSet)
			ds.Spec.Template.Spec.Containers[0].Image = "registry.example/app:2.0"
			ds.Spec.UpdateStrategy = experimental.DaemonSetUpdateStrategy{Type: experimental.OnDeleteDaemonSetStrategyType}
			return ds
		},
		// invalid updates
		func(obj runtime.Object) runtime.Object {
			ds := obj.(*experimental.DaemonSet)
			ds.Name = ""
			return ds
		},
		func(obj runtime.Object) runtime.Object {
			ds := obj.(*experimental.DaemonSet)
			ds.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
			return ds
		},
		func(obj runtime.Object) runtime.Object {
			// The selector is immutable.
			ds := obj.(*experimental.DaemonSet)
			ds.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "foo", "extra": "label"}}
			ds.Spec.Template.Labels = map[string]string{"app": "foo", "extra": "label"}
			return ds
		},
	)
}

func TestDelete(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.DaemonSet.Store)
	test.TestDelete(validNewDaemonSet())
}

func TestGet(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.DaemonSet.Store)
	test.TestGet(validNewDaemonSet())
}

func TestList(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.DaemonSet.Store)
	test.TestList(validNewDaemonSet())
}

func TestWatch(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.DaemonSet.Store)
	test.TestWatch(
		validNewDaemonSet(),
		// matching labels
		[]labels.Set{
			{"tier": "node"},
		},
		// not matching labels
		[]labels.Set{
			{"tier": "web"},
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
	registrytest.ExpectShortNamesAndCategories(t, s.DaemonSet, []string{"xds"}, []string{"all", "experimental"})
}

func TestStatusUpdate(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s, "status")
	obj, err := s.DaemonSet.Create(newContext(s), validNewDaemonSet(), rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("unexpected error creating daemonset: %v", err)
	}
	created := obj.(*experimental.DaemonSet)
	if created.Generation != 1 {
		t.Errorf("generation after create: got %d, want 1", created.Generation)
	}
	if !apiequality.Semantic.DeepEqual(created.Status, experimental.DaemonSetStatus{}) {
		t.Errorf("create kept the status: %+v", created.Status)
	}

	update := created.DeepCopy()
	update.Spec.MinReadySeconds = 30
	update.Spec.Template.Spec.Containers[0].Image = "registry.example/app:2.0"
	update.Labels = map[string]string{"tier": "changed"}
	update.Status = experimental.DaemonSetStatus{
		CurrentNumberScheduled: 3,
		DesiredNumberScheduled: 3,
		NumberReady:            2,
		NumberAvailable:        2,
		NumberUnavailable:      1,
		UpdatedNumberScheduled: 3,
		ObservedGeneration:     1,
		CollisionCount:         ptr.To[int32](1),
	}
	if _, _, err := s.Status.Update(ctx, name, rest.DefaultUpdatedObjectInfo(update), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{}); err != nil {
		t.Fatalf("unexpected error updating status: %v", err)
	}

	obj, err = s.DaemonSet.Get(newContext(s), name, &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	got := obj.(*experimental.DaemonSet)
	if !apiequality.Semantic.DeepEqual(got.Spec, created.Spec) {
		t.Errorf("status update changed the spec: got %+v, want %+v", got.Spec, created.Spec)
	}
	if !apiequality.Semantic.DeepEqual(got.Labels, created.Labels) {
		t.Errorf("status update changed the labels: got %v, want %v", got.Labels, created.Labels)
	}
	if !apiequality.Semantic.DeepEqual(got.Status, update.Status) {
		t.Errorf("status not updated: got %+v, want %+v", got.Status, update.Status)
	}
	if got.Generation != created.Generation {
		t.Errorf("status update changed the generation: got %d, want %d", got.Generation, created.Generation)
	}

	// The collision count may not go down.
	invalid := got.DeepCopy()
	invalid.Status.CollisionCount = ptr.To[int32](0)
	if _, _, err := s.Status.Update(ctx, name, rest.DefaultUpdatedObjectInfo(invalid), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("expected an Invalid error for a decremented collisionCount, got %v", err)
	}
}
