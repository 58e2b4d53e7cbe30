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
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registryutil"
)

const (
	namespace = "test"
	name      = "foo-deployment"
)

var podLabels = map[string]string{"app": "foo"}

func newStorage(t *testing.T) *DeploymentStorage {
	t.Helper()
	_, opts := registrytest.NewEtcdStorage(t, "deployments")
	s, err := NewStorage(registrytest.Scheme, opts)
	if err != nil {
		t.Fatalf("unexpected error from NewStorage: %v", err)
	}
	t.Cleanup(s.Deployment.Store.DestroyFunc)
	return &s
}

// validNewDeployment returns a Deployment that passes validation without
// defaulting.
func validNewDeployment() *experimental.Deployment {
	maxSurge, maxUnavailable := intstr.FromString("25%"), intstr.FromInt32(1)
	return &experimental.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: namespace,
			Labels:    map[string]string{"tier": "web"},
		},
		Spec: experimental.DeploymentSpec{
			Replicas: ptr.To[int32](7),
			Selector: &metav1.LabelSelector{MatchLabels: maps.Clone(podLabels)},
			Template: registrytest.ValidPodTemplate(podLabels, corev1.RestartPolicyAlways),
			Strategy: experimental.DeploymentStrategy{
				Type: experimental.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &experimental.RollingUpdateDeployment{
					MaxSurge:       &maxSurge,
					MaxUnavailable: &maxUnavailable,
				},
			},
			RevisionHistoryLimit:    ptr.To[int32](10),
			ProgressDeadlineSeconds: ptr.To[int32](600),
		},
		Status: experimental.DeploymentStatus{Replicas: 5},
	}
}

func newContext(s *DeploymentStorage, subresources ...string) context.Context {
	return genericregistrytest.NewNamespaceScopeContext(s.Deployment.Store, namespace, subresources...)
}

// createDeployment creates a Deployment through the main endpoint.
func createDeployment(t *testing.T, s *DeploymentStorage, d *experimental.Deployment) *experimental.Deployment {
	t.Helper()
	obj, err := s.Deployment.Create(newContext(s), d, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("unexpected error creating deployment: %v", err)
	}
	return obj.(*experimental.Deployment)
}

func getDeployment(t *testing.T, s *DeploymentStorage, name string) *experimental.Deployment {
	t.Helper()
	obj, err := s.Deployment.Get(newContext(s), name, &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("unexpected error getting deployment %q: %v", name, err)
	}
	return obj.(*experimental.Deployment)
}

func TestConformance(t *testing.T) {
	emptySelector := validNewDeployment()
	emptySelector.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{}}
	mismatchedSelector := validNewDeployment()
	mismatchedSelector.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}}
	onFailure := validNewDeployment()
	onFailure.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	noImage := validNewDeployment()
	noImage.Spec.Template.Spec.Containers[0].Image = ""
	negativeReplicas := validNewDeployment()
	negativeReplicas.Spec.Replicas = ptr.To[int32](-1)
	noStrategy := validNewDeployment()
	noStrategy.Spec.Strategy = experimental.DeploymentStrategy{}

	registrytest.RunConformance(t, registrytest.Conformance{
		NewStorage: func(t *testing.T) (*registryutil.REST, *registryutil.StatusREST) {
			s := newStorage(t)
			return s.Deployment, s.Status
		},
		Valid: func() runtime.Object { return validNewDeployment() },
		InvalidCreates: []runtime.Object{
			emptySelector,
			mismatchedSelector,
			onFailure,
			noImage,
			negativeReplicas,
			noStrategy,
		},
		ValidUpdate: func(obj runtime.Object) runtime.Object {
			d := obj.(*experimental.Deployment)
			d.Spec.Template.Spec.NodeSelector = map[string]string{"disk": "ssd"}
			return d
		},
		InvalidUpdates: []genericregistrytest.UpdateFunc{
			func(obj runtime.Object) runtime.Object {
				d := obj.(*experimental.Deployment)
				d.Name = ""
				return d
			},
			func(obj runtime.Object) runtime.Object {
				d := obj.(*experimental.Deployment)
				d.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
				return d
			},
			func(obj runtime.Object) runtime.Object {
				// The selector is immutable.
				d := obj.(*experimental.Deployment)
				d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "foo", "extra": "label"}}
				d.Spec.Template.Labels = map[string]string{"app": "foo", "extra": "label"}
				return d
			},
		},
		LabelsMatch:   []labels.Set{{"tier": "web"}},
		LabelsNoMatch: []labels.Set{{"tier": "db"}, {"app": "foo"}},
		FieldsMatch: []fields.Set{
			{"spec.paused": "false"},
			{"metadata.name": name, "spec.paused": "false"},
		},
		FieldsNoMatch: []fields.Set{
			{"spec.paused": "true"},
		},
		ShortNames: []string{"xdeploy"},
		Categories: []string{"all", "experimental"},
		Status: registrytest.StatusConformance{
			Change: func(obj runtime.Object) {
				d := obj.(*experimental.Deployment)
				d.Spec.Replicas = ptr.To[int32](100)
				d.Spec.Paused = true
				d.Status = experimental.DeploymentStatus{
					ObservedGeneration: 1,
					Replicas:           7,
					UpdatedReplicas:    7,
					ReadyReplicas:      6,
					AvailableReplicas:  5,
				}
			},
			Invalid: []registrytest.InvalidStatus{{
				Desc: "a negative status.replicas",
				Mutate: func(obj runtime.Object) {
					obj.(*experimental.Deployment).Status.Replicas = -1
				},
			}},
		},
	})
}

func TestWatchPaused(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.Deployment.Store)
	paused := validNewDeployment()
	paused.Spec.Paused = true
	test.TestWatch(
		paused,
		[]labels.Set{{"tier": "web"}},
		[]labels.Set{{"tier": "db"}},
		[]fields.Set{{"spec.paused": "true"}},
		[]fields.Set{{"spec.paused": "false"}},
	)
}

func TestMainEndpointIgnoresStatus(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s)
	created := createDeployment(t, s, validNewDeployment())

	update := created.DeepCopy()
	update.Spec.Replicas = ptr.To[int32](3)
	update.Status.Replicas = 9
	obj, _, err := s.Deployment.Update(ctx, name, rest.DefaultUpdatedObjectInfo(update), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	got := obj.(*experimental.Deployment)
	if got.Status.Replicas != 0 {
		t.Errorf("main endpoint wrote status.replicas: got %d, want 0", got.Status.Replicas)
	}
	if *got.Spec.Replicas != 3 {
		t.Errorf("spec.replicas: got %d, want 3", *got.Spec.Replicas)
	}
	if got.Generation != 2 {
		t.Errorf("generation after a spec change: got %d, want 2", got.Generation)
	}
}

func TestScaleGet(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s, "scale")
	d := validNewDeployment()
	d.Spec.Selector = &metav1.LabelSelector{
		MatchLabels: maps.Clone(podLabels),
		MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key: "track", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"canary"},
		}},
	}
	created := createDeployment(t, s, d)

	obj, err := s.Scale.Get(ctx, name, &metav1.GetOptions{})
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
			UID:               created.UID,
			ResourceVersion:   created.ResourceVersion,
			CreationTimestamp: created.CreationTimestamp,
		},
		Spec:   autoscalingv1.ScaleSpec{Replicas: 7},
		Status: autoscalingv1.ScaleStatus{Replicas: 0, Selector: "app=foo,track notin (canary)"},
	}
	if !apiequality.Semantic.DeepEqual(scale, want) {
		t.Errorf("unexpected scale:\n got %+v\nwant %+v", scale, want)
	}

	if gvk := s.Scale.GroupVersionKind(experimental.SchemeGroupVersion); gvk != autoscalingv1.SchemeGroupVersion.WithKind("Scale") {
		t.Errorf("scale endpoint kind: got %v, want autoscaling/v1 Scale", gvk)
	}
	if _, ok := s.Scale.New().(*autoscalingv1.Scale); !ok {
		t.Errorf("New() of the scale endpoint: got %T, want *autoscalingv1.Scale", s.Scale.New())
	}

	if _, err := s.Scale.Get(ctx, "missing", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("expected NotFound for a missing deployment, got %v", err)
	}
}

func TestScaleUpdate(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s, "scale")
	created := createDeployment(t, s, validNewDeployment())

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
	if scale.Spec.Replicas != replicas {
		t.Errorf("returned scale: spec.replicas got %d, want %d", scale.Spec.Replicas, replicas)
	}

	got := getDeployment(t, s, name)
	if got.Spec.Replicas == nil || *got.Spec.Replicas != replicas {
		t.Fatalf("spec.replicas after scale: got %v, want %d", got.Spec.Replicas, replicas)
	}
	if scale.ResourceVersion != got.ResourceVersion {
		t.Errorf("returned scale resourceVersion %q, deployment has %q", scale.ResourceVersion, got.ResourceVersion)
	}
	// Everything but the replicas (and the generation that follows them) is unchanged.
	wantSpec := created.Spec.DeepCopy()
	wantSpec.Replicas = ptr.To[int32](replicas)
	if !apiequality.Semantic.DeepEqual(got.Spec, *wantSpec) {
		t.Errorf("scale changed more than replicas:\n got %+v\nwant %+v", got.Spec, *wantSpec)
	}
	if !apiequality.Semantic.DeepEqual(got.Status, created.Status) {
		t.Errorf("scale changed the status: got %+v, want %+v", got.Status, created.Status)
	}
	if !apiequality.Semantic.DeepEqual(got.Labels, created.Labels) || !apiequality.Semantic.DeepEqual(got.Annotations, created.Annotations) {
		t.Errorf("scale changed labels or annotations: got %v %v", got.Labels, got.Annotations)
	}
	if got.Generation != created.Generation+1 {
		t.Errorf("generation after scale: got %d, want %d", got.Generation, created.Generation+1)
	}

	// A Scale for a missing deployment is NotFound and creates nothing.
	missing := update.DeepCopy()
	missing.Name = "missing"
	if _, _, err := s.Scale.Update(ctx, "missing", rest.DefaultUpdatedObjectInfo(missing), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, true, &metav1.UpdateOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("expected NotFound scaling a missing deployment, got %v", err)
	}
}

func TestScaleUpdateNegativeReplicas(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s, "scale")
	created := createDeployment(t, s, validNewDeployment())

	update := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec:       autoscalingv1.ScaleSpec{Replicas: -1},
	}
	_, _, err := s.Scale.Update(ctx, name, rest.DefaultUpdatedObjectInfo(update), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("expected an Invalid error, got %v", err)
	}
	registrytest.ExpectFieldError(t, err, "spec.replicas")

	if got := getDeployment(t, s, name); *got.Spec.Replicas != *created.Spec.Replicas || got.ResourceVersion != created.ResourceVersion {
		t.Errorf("rejected scale changed the deployment: replicas %d, resourceVersion %s", *got.Spec.Replicas, got.ResourceVersion)
	}
}

func TestScaleUpdateConflict(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s, "scale")
	createDeployment(t, s, validNewDeployment())

	obj, err := s.Scale.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	stale := obj.(*autoscalingv1.Scale).DeepCopy()

	// Move the deployment on.
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
	if got := getDeployment(t, s, name); *got.Spec.Replicas != 8 {
		t.Errorf("spec.replicas after the conflicting scale: got %d, want 8", *got.Spec.Replicas)
	}
}

func TestRollback(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s, "rollback")
	d := validNewDeployment()
	d.Annotations = map[string]string{"keep": "me"}
	created := createDeployment(t, s, d)

	rollback := &experimental.DeploymentRollback{
		Name:               name,
		UpdatedAnnotations: map[string]string{"kubernetes.io/change-cause": "rollback to 1"},
		RollbackTo:         experimental.RollbackConfig{Revision: 1},
	}
	obj, err := s.Rollback.Create(ctx, name, rollback, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	status, ok := obj.(*metav1.Status)
	if !ok || status.Status != metav1.StatusSuccess || status.Code != 200 {
		t.Errorf("expected a success Status, got %#v", obj)
	}

	got := getDeployment(t, s, name)
	if got.Spec.RollbackTo == nil || got.Spec.RollbackTo.Revision != 1 {
		t.Errorf("spec.rollbackTo: got %+v, want revision 1", got.Spec.RollbackTo)
	}
	wantAnnotations := map[string]string{"keep": "me", "kubernetes.io/change-cause": "rollback to 1"}
	if !apiequality.Semantic.DeepEqual(got.Annotations, wantAnnotations) {
		t.Errorf("annotations: got %v, want %v", got.Annotations, wantAnnotations)
	}
	if got.Generation != created.Generation+1 {
		t.Errorf("generation after rollback: got %d, want %d", got.Generation, created.Generation+1)
	}
	// Nothing else of the spec changed.
	wantSpec := created.Spec.DeepCopy()
	wantSpec.RollbackTo = &experimental.RollbackConfig{Revision: 1}
	if !apiequality.Semantic.DeepEqual(got.Spec, *wantSpec) {
		t.Errorf("rollback changed more than rollbackTo:\n got %+v\nwant %+v", got.Spec, *wantSpec)
	}
}

func TestRollbackWithoutAnnotations(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s, "rollback")
	created := createDeployment(t, s, validNewDeployment())

	rollback := &experimental.DeploymentRollback{Name: name, RollbackTo: experimental.RollbackConfig{Revision: 0}}
	if _, err := s.Rollback.Create(ctx, name, rollback, rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	got := getDeployment(t, s, name)
	if got.Spec.RollbackTo == nil || got.Spec.RollbackTo.Revision != 0 {
		t.Errorf("spec.rollbackTo: got %+v, want revision 0", got.Spec.RollbackTo)
	}
	if len(got.Annotations) != 0 {
		t.Errorf("annotations: got %v, want none", got.Annotations)
	}
	if got.Generation != created.Generation+1 {
		t.Errorf("generation after rollback: got %d, want %d", got.Generation, created.Generation+1)
	}
}

func TestRollbackDryRun(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s, "rollback")
	created := createDeployment(t, s, validNewDeployment())

	rollback := &experimental.DeploymentRollback{Name: name, RollbackTo: experimental.RollbackConfig{Revision: 2}}
	if _, err := s.Rollback.Create(ctx, name, rollback, rest.ValidateAllObjectFunc, &metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	got := getDeployment(t, s, name)
	if got.Spec.RollbackTo != nil || got.ResourceVersion != created.ResourceVersion {
		t.Errorf("dry-run rollback changed the deployment: rollbackTo %+v, resourceVersion %s", got.Spec.RollbackTo, got.ResourceVersion)
	}
}

func TestRollbackErrors(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s, "rollback")
	createDeployment(t, s, validNewDeployment())

	mismatch := &experimental.DeploymentRollback{Name: "other", RollbackTo: experimental.RollbackConfig{Revision: 1}}
	if _, err := s.Rollback.Create(ctx, name, mismatch, rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); !apierrors.IsBadRequest(err) {
		t.Errorf("name mismatch: expected BadRequest, got %v", err)
	}

	missing := &experimental.DeploymentRollback{Name: "missing", RollbackTo: experimental.RollbackConfig{Revision: 1}}
	if _, err := s.Rollback.Create(ctx, "missing", missing, rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("missing deployment: expected NotFound, got %v", err)
	}

	negative := &experimental.DeploymentRollback{Name: name, RollbackTo: experimental.RollbackConfig{Revision: -1}}
	if _, err := s.Rollback.Create(ctx, name, negative, rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("negative revision: expected Invalid, got %v", err)
	}

	if got := getDeployment(t, s, name); got.Spec.RollbackTo != nil || got.Generation != 1 {
		t.Errorf("rejected rollbacks changed the deployment: rollbackTo %+v, generation %d", got.Spec.RollbackTo, got.Generation)
	}
}

func TestRollbackAddsAnnotationsToUnannotatedDeployment(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s, "rollback")
	createDeployment(t, s, validNewDeployment())

	rollback := &experimental.DeploymentRollback{
		Name:               name,
		UpdatedAnnotations: map[string]string{"kubernetes.io/change-cause": "rollback"},
		RollbackTo:         experimental.RollbackConfig{Revision: 3},
	}
	if _, err := s.Rollback.Create(ctx, name, rollback, rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	got := getDeployment(t, s, name)
	if !apiequality.Semantic.DeepEqual(got.Annotations, rollback.UpdatedAnnotations) {
		t.Errorf("annotations: got %v, want %v", got.Annotations, rollback.UpdatedAnnotations)
	}
	if got.Spec.RollbackTo == nil || got.Spec.RollbackTo.Revision != 3 {
		t.Errorf("spec.rollbackTo: got %+v, want revision 3", got.Spec.RollbackTo)
	}
}

func TestRollbackOfDeletingDeployment(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s)
	d := validNewDeployment()
	d.Finalizers = []string{"example.com/hold"}
	createDeployment(t, s, d)
	if _, _, err := s.Deployment.Delete(ctx, name, rest.ValidateAllObjectFunc, &metav1.DeleteOptions{}); err != nil {
		t.Fatalf("unexpected error deleting: %v", err)
	}
	deleting := getDeployment(t, s, name)
	if deleting.DeletionTimestamp == nil {
		t.Fatalf("deployment with a finalizer has no deletionTimestamp after delete")
	}

	rollback := &experimental.DeploymentRollback{Name: name, RollbackTo: experimental.RollbackConfig{Revision: 1}}
	if _, err := s.Rollback.Create(newContext(s, "rollback"), name, rollback, rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("rollback of a deployment being deleted: expected Conflict, got %v", err)
	}
	if got := getDeployment(t, s, name); got.Spec.RollbackTo != nil || got.ResourceVersion != deleting.ResourceVersion {
		t.Errorf("rejected rollback changed the deployment: rollbackTo %+v", got.Spec.RollbackTo)
	}
}

func TestScaleUpdateNameMismatch(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s, "scale")
	created := createDeployment(t, s, validNewDeployment())

	update := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: "other", Namespace: namespace},
		Spec:       autoscalingv1.ScaleSpec{Replicas: 2},
	}
	if _, _, err := s.Scale.Update(ctx, name, rest.DefaultUpdatedObjectInfo(update), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{}); !apierrors.IsBadRequest(err) {
		t.Errorf("expected BadRequest for a Scale named differently, got %v", err)
	}
	if got := getDeployment(t, s, name); got.ResourceVersion != created.ResourceVersion {
		t.Errorf("rejected scale changed the deployment")
	}
}

func TestRollbackNew(t *testing.T) {
	s := newStorage(t)
	if _, ok := s.Rollback.New().(*experimental.DeploymentRollback); !ok {
		t.Errorf("New() of the rollback endpoint: got %T, want *experimental.DeploymentRollback", s.Rollback.New())
	}
}
