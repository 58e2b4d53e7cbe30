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

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	genericregistrytest "k8s.io/apiserver/pkg/registry/generic/testing"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registrytest"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registryutil"
)

const (
	namespace = "test"
	name      = "foo-replicaset"
)

var podLabels = map[string]string{"app": "foo"}

func newStorage(t *testing.T) *ReplicaSetStorage {
	t.Helper()
	_, opts := registrytest.NewEtcdStorage(t, "replicasets")
	s, err := NewStorage(registrytest.Scheme, opts)
	if err != nil {
		t.Fatalf("unexpected error from NewStorage: %v", err)
	}
	t.Cleanup(s.ReplicaSet.Store.DestroyFunc)
	return &s
}

// validNewReplicaSet returns a ReplicaSet that passes validation without
// defaulting.
func validNewReplicaSet() *experimental.ReplicaSet {
	return &experimental.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: namespace,
			Labels:    map[string]string{"tier": "web"},
		},
		Spec: experimental.ReplicaSetSpec{
			Replicas: ptr.To[int32](7),
			Selector: &metav1.LabelSelector{MatchLabels: maps.Clone(podLabels)},
			Template: registrytest.ValidPodTemplate(podLabels, corev1.RestartPolicyAlways),
		},
		Status: experimental.ReplicaSetStatus{Replicas: 5},
	}
}

func newContext(s *ReplicaSetStorage, subresources ...string) context.Context {
	return genericregistrytest.NewNamespaceScopeContext(s.ReplicaSet.Store, namespace, subresources...)
}

func createReplicaSet(t *testing.T, s *ReplicaSetStorage, rs *experimental.ReplicaSet) *experimental.ReplicaSet {
	t.Helper()
	obj, err := s.ReplicaSet.Create(newContext(s), rs, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("unexpected error creating replicaset: %v", err)
	}
	return obj.(*experimental.ReplicaSet)
}

func getReplicaSet(t *testing.T, s *ReplicaSetStorage, name string) *experimental.ReplicaSet {
	t.Helper()
	obj, err := s.ReplicaSet.Get(newContext(s), name, &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("unexpected error getting replicaset %q: %v", name, err)
	}
	return obj.(*experimental.ReplicaSet)
}

func TestConformance(t *testing.T) {
	emptySelector := validNewReplicaSet()
	emptySelector.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{}}
	mismatchedSelector := validNewReplicaSet()
	mismatchedSelector.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}}
	never := validNewReplicaSet()
	never.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
	noContainerName := validNewReplicaSet()
	noContainerName.Spec.Template.Spec.Containers[0].Name = ""
	negativeReplicas := validNewReplicaSet()
	negativeReplicas.Spec.Replicas = ptr.To[int32](-1)

	registrytest.RunConformance(t, registrytest.Conformance{
		NewStorage: func(t *testing.T) (*registryutil.REST, *registryutil.StatusREST) {
			s := newStorage(t)
			return s.ReplicaSet, s.Status
		},
		Valid: func() runtime.Object { return validNewReplicaSet() },
		InvalidCreates: []runtime.Object{
			emptySelector,
			mismatchedSelector,
			never,
			noContainerName,
			negativeReplicas,
		},
		ValidUpdate: func(obj runtime.Object) runtime.Object {
			rs := obj.(*experimental.ReplicaSet)
			rs.Spec.Replicas = ptr.To[int32](3)
			rs.Spec.Template.Spec.NodeSelector = map[string]string{"disk": "ssd"}
			return rs
		},
		InvalidUpdates: []genericregistrytest.UpdateFunc{
			func(obj runtime.Object) runtime.Object {
				rs := obj.(*experimental.ReplicaSet)
				rs.Name = ""
				return rs
			},
			func(obj runtime.Object) runtime.Object {
				rs := obj.(*experimental.ReplicaSet)
				rs.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
				return rs
			},
			func(obj runtime.Object) runtime.Object {
				// The selector is immutable.
				rs := obj.(*experimental.ReplicaSet)
				rs.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "foo", "extra": "label"}}
				rs.Spec.Template.Labels = map[string]string{"app": "foo", "extra": "label"}
				return rs
			},
		},
		LabelsMatch:   []labels.Set{{"tier": "web"}},
		LabelsNoMatch: []labels.Set{{"tier": "db"}, {"app": "foo"}},
		FieldsMatch: []fields.Set{
			{"status.replicas": "5"},
			{"metadata.name": name, "status.replicas": "5"},
		},
		FieldsNoMatch: []fields.Set{
			{"status.replicas": "0"},
			{"status.replicas": "7"},
		},
		ShortNames: []string{"xrs"},
		Categories: []string{"all", "experimental"},
		Status: registrytest.StatusConformance{
			Change: func(obj runtime.Object) {
				rs := obj.(*experimental.ReplicaSet)
				rs.Spec.Replicas = ptr.To[int32](100)
				rs.Spec.MinReadySeconds = 30
				rs.Status = experimental.ReplicaSetStatus{
					Replicas:             7,
					FullyLabeledReplicas: 7,
					ReadyReplicas:        6,
					AvailableReplicas:    5,
					ObservedGeneration:   1,
				}
			},
			Invalid: []registrytest.InvalidStatus{{
				Desc: "readyReplicas > replicas",
				Mutate: func(obj runtime.Object) {
					obj.(*experimental.ReplicaSet).Status.ReadyReplicas = 8
				},
			}},
		},
	})
}

func TestListByStatusReplicas(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s)
	created := createReplicaSet(t, s, validNewReplicaSet())

	update := created.DeepCopy()
	update.Status = experimental.ReplicaSetStatus{Replicas: 3, FullyLabeledReplicas: 3, ReadyReplicas: 2, AvailableReplicas: 1}
	if _, _, err := s.Status.Update(newContext(s, "status"), name, rest.DefaultUpdatedObjectInfo(update), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{}); err != nil {
		t.Fatalf("unexpected error updating status: %v", err)
	}

	for selector, want := range map[string]int{"status.replicas=3": 1, "status.replicas=0": 0, "status.replicas!=3": 0} {
		fieldSelector, err := fields.ParseSelector(selector)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := s.ReplicaSet.List(ctx, &metainternalversion.ListOptions{FieldSelector: fieldSelector})
		if err != nil {
			t.Fatalf("%s: unexpected error: %v", selector, err)
		}
		if got := len(obj.(*experimental.ReplicaSetList).Items); got != want {
			t.Errorf("%s: got %d items, want %d", selector, got, want)
		}
	}
}

func TestScaleGet(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s, "scale")
	created := createReplicaSet(t, s, validNewReplicaSet())

	// Give the ReplicaSet observed replicas, which the Scale reports.
	withStatus := created.DeepCopy()
	withStatus.Status.Replicas = 4
	obj, _, err := s.Status.Update(newContext(s, "status"), name, rest.DefaultUpdatedObjectInfo(withStatus), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("unexpected error updating status: %v", err)
	}
	current := obj.(*experimental.ReplicaSet)

	obj, err = s.Scale.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	scale, ok := obj.(*autoscalingv1.Scale)
	if !ok {
		t.Fatalf("expected *autoscalingv1.Scale, got %T", obj)
	}
	want := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{
			Name:              name,
			Namespace:         namespace,
			UID:               current.UID,
			ResourceVersion:   current.ResourceVersion,
			CreationTimestamp: current.CreationTimestamp,
		},
		Spec:   autoscalingv1.ScaleSpec{Replicas: 7},
		Status: autoscalingv1.ScaleStatus{Replicas: 4, Selector: "app=foo"},
	}
	if !apiequality.Semantic.DeepEqual(scale, want) {
		t.Errorf("unexpected scale:\n got %+v\nwant %+v", scale, want)
	}

	if _, err := s.Scale.Get(ctx, "missing", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("expected NotFound for a missing replicaset, got %v", err)
	}
}

func TestScaleGetUnsetReplicas(t *testing.T) {
	s := newStorage(t)
	rs := validNewReplicaSet()
	rs.Spec.Replicas = nil
	createReplicaSet(t, s, rs)

	obj, err := s.Scale.Get(newContext(s, "scale"), name, &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if got := obj.(*autoscalingv1.Scale).Spec.Replicas; got != 1 {
		t.Errorf("spec.replicas of the scale of a ReplicaSet without replicas: got %d, want 1", got)
	}
}

func TestScaleUpdate(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s, "scale")
	created := createReplicaSet(t, s, validNewReplicaSet())

	const replicas = 12
	update := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec:       autoscalingv1.ScaleSpec{Replicas: replicas},
	}
	obj, _, err := s.Scale.Update(ctx, name, rest.DefaultUpdatedObjectInfo(update), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	scale := obj.(*autoscalingv1.Scale)
	if scale.Spec.Replicas != replicas || scale.Status.Selector != "app=foo" {
		t.Errorf("returned scale: got spec.replicas %d, selector %q", scale.Spec.Replicas, scale.Status.Selector)
	}

	got := getReplicaSet(t, s, name)
	if got.Spec.Replicas == nil || *got.Spec.Replicas != replicas {
		t.Fatalf("spec.replicas after scale: got %v, want %d", got.Spec.Replicas, replicas)
	}
	wantSpec := created.Spec.DeepCopy()
	wantSpec.Replicas = ptr.To[int32](replicas)
	if !apiequality.Semantic.DeepEqual(got.Spec, *wantSpec) {
		t.Errorf("scale changed more than replicas:\n got %+v\nwant %+v", got.Spec, *wantSpec)
	}
	if !apiequality.Semantic.DeepEqual(got.Status, created.Status) || !apiequality.Semantic.DeepEqual(got.Labels, created.Labels) {
		t.Errorf("scale changed the status or labels: %+v %v", got.Status, got.Labels)
	}
	if got.Generation != created.Generation+1 {
		t.Errorf("generation after scale: got %d, want %d", got.Generation, created.Generation+1)
	}

	// Scaling to the same replicas changes nothing.
	if _, _, err := s.Scale.Update(ctx, name, rest.DefaultUpdatedObjectInfo(update), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{}); err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if again := getReplicaSet(t, s, name); again.Generation != got.Generation || again.ResourceVersion != got.ResourceVersion {
		t.Errorf("no-op scale changed the replicaset: generation %d, resourceVersion %s", again.Generation, again.ResourceVersion)
	}

	missing := update.DeepCopy()
	missing.Name = "missing"
	if _, _, err := s.Scale.Update(ctx, "missing", rest.DefaultUpdatedObjectInfo(missing), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, true, &metav1.UpdateOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("expected NotFound scaling a missing replicaset, got %v", err)
	}
}

func TestScaleUpdateNegativeReplicas(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s, "scale")
	created := createReplicaSet(t, s, validNewReplicaSet())

	update := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec:       autoscalingv1.ScaleSpec{Replicas: -3},
	}
	_, _, err := s.Scale.Update(ctx, name, rest.DefaultUpdatedObjectInfo(update), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("expected an Invalid error, got %v", err)
	}
	registrytest.ExpectFieldError(t, err, "spec.replicas")

	if got := getReplicaSet(t, s, name); *got.Spec.Replicas != *created.Spec.Replicas || got.ResourceVersion != created.ResourceVersion {
		t.Errorf("rejected scale changed the replicaset: replicas %d, resourceVersion %s", *got.Spec.Replicas, got.ResourceVersion)
	}
}

func TestScaleUpdateConflict(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s, "scale")
	createReplicaSet(t, s, validNewReplicaSet())

	obj, err := s.Scale.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	stale := obj.(*autoscalingv1.Scale).DeepCopy()

	fresh := stale.DeepCopy()
	fresh.Spec.Replicas = 8
	if _, _, err := s.Scale.Update(ctx, name, rest.DefaultUpdatedObjectInfo(fresh), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{}); err != nil {
		t.Fatalf("unexpected error: %v", err)
	}

	stale.Spec.Replicas = 9
	_, _, err = s.Scale.Update(ctx, name, rest.DefaultUpdatedObjectInfo(stale), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
	if !apierrors.IsConflict(err) {
		t.Fatalf("expected a Conflict for a stale resourceVersion, got %v", err)
	}
	if got := getReplicaSet(t, s, name); *got.Spec.Replicas != 8 {
		t.Errorf("spec.replicas after the conflicting scale: got %d, want 8", *got.Spec.Replicas)
	}
}
