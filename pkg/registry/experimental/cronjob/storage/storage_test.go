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
	name      = "foo-cronjob"
	schedule  = "*/5 * * * *"
)

func newStorage(t *testing.T) *CronJobStorage {
	t.Helper()
	_, opts := registrytest.NewEtcdStorage(t, "cronjobs")
	s, err := NewStorage(registrytest.Scheme, opts)
	if err != nil {
		t.Fatalf("unexpected error from NewStorage: %v", err)
	}
	t.Cleanup(s.CronJob.Store.DestroyFunc)
	return &s
}

// validNewCronJob returns a CronJob that passes validation without
// defaulting.
func validNewCronJob() *experimental.CronJob {
	return &experimental.CronJob{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: namespace,
			Labels:    map[string]string{"tier": "batch"},
		},
		Spec: experimental.CronJobSpec{
			Schedule:          schedule,
			ConcurrencyPolicy: experimental.AllowConcurrent,
			Suspend:           ptr.To(false),
			JobTemplate: experimental.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"team": "a"}},
				Spec: experimental.JobSpec{
					BackoffLimit: ptr.To[int32](3),
					Template:     registrytest.ValidPodTemplate(map[string]string{"app": "foo"}, corev1.RestartPolicyOnFailure),
				},
			},
			SuccessfulJobsHistoryLimit: ptr.To[int32](3),
			FailedJobsHistoryLimit:     ptr.To[int32](1),
		},
	}
}

func newContext(s *CronJobStorage, subresources ...string) context.Context {
	return genericregistrytest.NewNamespaceScopeContext(s.CronJob.Store, namespace, subresources...)
}

func TestCreate(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.CronJob.Store)
	valid := validNewCronJob()
	valid.ObjectMeta = metav1.ObjectMeta{}
	noSchedule := validNewCronJob()
	noSchedule.Spec.Schedule = ""
	badSchedule := validNewCronJob()
	badSchedule.Spec.Schedule = "every now and then"
	tzInSchedule := validNewCronJob()
	tzInSchedule.Spec.Schedule = "TZ=UTC " + schedule
	noConcurrencyPolicy := validNewCronJob()
	noConcurrencyPolicy.Spec.ConcurrencyPolicy = ""
	always := validNewCronJob()
	always.Spec.JobTemplate.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways
	withSelector := validNewCronJob()
	withSelector.Spec.JobTemplate.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "foo"}}
	unknownTimeZone := validNewCronJob()
	unknownTimeZone.Spec.TimeZone = ptr.To("Mars/Olympus_Mons")
	tooLongName := validNewCronJob()
	tooLongName.Name = "a-cronjob-name-that-is-longer-than-fifty-two-characters"
	test.TestCreate(
		valid,
		noSchedule,
		badSchedule,
		tzInSchedule,
		noConcurrencyPolicy,
		always,
		withSelector,
		unknownTimeZone,
		tooLongName,
	)
}

func TestUpdate(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.CronJob.Store)
	test.TestUpdate(
		validNewCronJob(),
		// valid update
		func(obj runtime.Object) runtime.Object {
			cj := obj.(*experimental.CronJob)
			cj.Spec.Schedule = "@hourly"
			cj.Spec.TimeZone = ptr.To("Europe/Berlin")
			cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Image = "registry.example/app:2.0"
			return cj
		},
		// invalid updates
		func(obj runtime.Object) runtime.Object {
			cj := obj.(*experimental.CronJob)
			cj.Name = ""
			return cj
		},
		func(obj runtime.Object) runtime.Object {
			cj := obj.(*experimental.CronJob)
			cj.Spec.Schedule = "bogus"
			return cj
		},
		func(obj runtime.Object) runtime.Object {
			cj := obj.(*experimental.CronJob)
			cj.Spec.ConcurrencyPolicy = "Sometimes"
			return cj
		},
	)
}

func TestDelete(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.CronJob.Store)
	test.TestDelete(validNewCronJob())
}

func TestGet(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.CronJob.Store)
	test.TestGet(validNewCronJob())
}

func TestList(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.CronJob.Store)
	test.TestList(validNewCronJob())
}

func TestWatch(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.CronJob.Store)
	test.TestWatch(
		validNewCronJob(),
		// matching labels
		[]labels.Set{
			{"tier": "batch"},
		},
		// not matching labels
		[]labels.Set{
			{"tier": "web"},
			{"team": "a"},
		},
		// matching fields
		[]fields.Set{
			{"metadata.name": name},
			{"metadata.namespace": namespace},
			{"spec.suspend": "false"},
			{"spec.schedule": schedule},
			{"spec.schedule": schedule, "spec.suspend": "false"},
		},
		// not matching fields
		[]fields.Set{
			{"metadata.name": "bar"},
			{"name": name},
			{"spec.suspend": "true"},
			{"spec.schedule": "@hourly"},
			{"spec.schedule": schedule, "spec.suspend": "true"},
		},
	)
}

func TestWatchSuspended(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.CronJob.Store)
	suspended := validNewCronJob()
	suspended.Spec.Suspend = ptr.To(true)
	suspended.Spec.Schedule = "@daily"
	test.TestWatch(
		suspended,
		[]labels.Set{{"tier": "batch"}},
		[]labels.Set{{"tier": "web"}},
		[]fields.Set{{"spec.suspend": "true"}, {"spec.schedule": "@daily"}},
		[]fields.Set{{"spec.suspend": "false"}, {"spec.schedule": schedule}},
	)
}

func TestShortNamesAndCategories(t *testing.T) {
	s := newStorage(t)
	registrytest.ExpectShortNamesAndCategories(t, s.CronJob, []string{"xcj"}, []string{"all", "experimental"})
}

func TestStatusUpdate(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s, "status")
	obj, err := s.CronJob.Create(newContext(s), validNewCronJob(), rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("unexpected error creating cronjob: %v", err)
	}
	created := obj.(*experimental.CronJob)
	if created.Generation != 1 {
		t.Errorf("generation after create: got %d, want 1", created.Generation)
	}
	if !apiequality.Semantic.DeepEqual(created.Status, experimental.CronJobStatus{}) {
		t.Errorf("create kept the status: %+v", created.Status)
	}

	lastSchedule := metav1.Now()
	update := created.DeepCopy()
	update.Spec.Schedule = "@hourly"
	update.Spec.Suspend = ptr.To(true)
	update.Labels = map[string]string{"tier": "changed"}
	update.Status = experimental.CronJobStatus{
		Active:           []corev1.ObjectReference{{Kind: "Job", Namespace: namespace, Name: name + "-1", APIVersion: "experimental/v1alpha1"}},
		LastScheduleTime: &lastSchedule,
	}
	if _, _, err := s.Status.Update(ctx, name, rest.DefaultUpdatedObjectInfo(update), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{}); err != nil {
		t.Fatalf("unexpected error updating status: %v", err)
	}

	obj, err = s.CronJob.Get(newContext(s), name, &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	got := obj.(*experimental.CronJob)
	if !apiequality.Semantic.DeepEqual(got.Spec, created.Spec) {
		t.Errorf("status update changed the spec: got %+v, want %+v", got.Spec, created.Spec)
	}
	if !apiequality.Semantic.DeepEqual(got.Labels, created.Labels) {
		t.Errorf("status update changed the labels: got %v, want %v", got.Labels, created.Labels)
	}
	if len(got.Status.Active) != 1 || got.Status.Active[0].Name != name+"-1" || got.Status.LastScheduleTime == nil {
		t.Errorf("status not updated: got %+v", got.Status)
	}
	if got.Generation != created.Generation {
		t.Errorf("status update changed the generation: got %d, want %d", got.Generation, created.Generation)
	}

	// A status update cannot rename the object.
	renamed := got.DeepCopy()
	renamed.Namespace = "other"
	if _, _, err := s.Status.Update(ctx, name, rest.DefaultUpdatedObjectInfo(renamed), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{}); err == nil || apierrors.IsNotFound(err) {
		t.Errorf("expected an error for a status update to another namespace, got %v", err)
	}
}
