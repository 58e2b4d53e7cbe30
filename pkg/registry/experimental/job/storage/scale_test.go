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

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

// TestScaleRoundTrip reads a Job's scale (parallelism, active pods and the
// generated selector), writes a new replica count through it, and reads it
// back from the Job.
func TestScaleRoundTrip(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s, "scale")
	created := createJob(t, s, newGeneratedSelectorJob())

	// The Job controller reports two active pods.
	withStatus := created.DeepCopy()
	now := metav1.Now()
	withStatus.Status = experimental.JobStatus{StartTime: &now, Active: 2}
	obj, _, err := s.Status.Update(newContext(s, "status"), name, rest.DefaultUpdatedObjectInfo(withStatus),
		rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("updating status: %v", err)
	}
	created = obj.(*experimental.Job)

	obj, err = s.Scale.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("getting scale: %v", err)
	}
	scale := obj.(*autoscalingv1.Scale)
	selector, err := metav1.LabelSelectorAsSelector(created.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	want := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{
			Name:              name,
			Namespace:         namespace,
			UID:               created.UID,
			ResourceVersion:   created.ResourceVersion,
			CreationTimestamp: created.CreationTimestamp,
		},
		Spec:   autoscalingv1.ScaleSpec{Replicas: 2},
		Status: autoscalingv1.ScaleStatus{Replicas: 2, Selector: selector.String()},
	}
	if !apiequality.Semantic.DeepEqual(scale, want) {
		t.Errorf("unexpected scale:\n got %+v\nwant %+v", scale, want)
	}
	if want := "batch.kubernetes.io/controller-uid=" + string(created.UID); scale.Status.Selector != want {
		t.Errorf("scale selector: got %q, want %q", scale.Status.Selector, want)
	}

	update := scale.DeepCopy()
	update.Spec.Replicas = 4
	obj, _, err = s.Scale.Update(ctx, name, rest.DefaultUpdatedObjectInfo(update),
		rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("updating scale: %v", err)
	}
	if got := obj.(*autoscalingv1.Scale).Spec.Replicas; got != 4 {
		t.Errorf("returned scale: spec.replicas got %d, want 4", got)
	}
	got := getJob(t, s, name)
	if got.Spec.Parallelism == nil || *got.Spec.Parallelism != 4 {
		t.Fatalf("spec.parallelism after scale: got %v, want 4", got.Spec.Parallelism)
	}
	wantSpec := created.Spec.DeepCopy()
	wantSpec.Parallelism = ptr.To[int32](4)
	if !apiequality.Semantic.DeepEqual(got.Spec, *wantSpec) {
		t.Errorf("scale changed more than parallelism:\n got %+v\nwant %+v", got.Spec, *wantSpec)
	}
	if !apiequality.Semantic.DeepEqual(got.Status, created.Status) {
		t.Errorf("scale changed the status: got %+v, want %+v", got.Status, created.Status)
	}
	if got.Generation != created.Generation+1 {
		t.Errorf("generation after scale: got %d, want %d", got.Generation, created.Generation+1)
	}

	// A stale resourceVersion on the Scale is a conflict.
	if _, _, err := s.Scale.Update(ctx, name, rest.DefaultUpdatedObjectInfo(update),
		rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("expected Conflict for a stale resourceVersion, got %v", err)
	}
	// Negative replicas are refused.
	negative := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}, Spec: autoscalingv1.ScaleSpec{Replicas: -1}}
	if _, _, err := s.Scale.Update(ctx, name, rest.DefaultUpdatedObjectInfo(negative),
		rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("expected Invalid for negative replicas, got %v", err)
	}
}

// TestScaleUnsetParallelism reads an unset parallelism as 1, the Job
// controller's default.
func TestScaleUnsetParallelism(t *testing.T) {
	s := newStorage(t)
	job := newGeneratedSelectorJob()
	job.Spec.Parallelism = nil
	job.Spec.Completions = nil
	createJob(t, s, job)
	obj, err := s.Scale.Get(newContext(s, "scale"), name, &metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := obj.(*autoscalingv1.Scale).Spec.Replicas; got != 1 {
		t.Errorf("spec.replicas of a Job without parallelism: got %d, want 1", got)
	}
}
