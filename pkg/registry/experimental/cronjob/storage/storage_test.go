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
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
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

func TestConformance(t *testing.T) {
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

	registrytest.RunConformance(t, registrytest.Conformance{
		NewStorage: func(t *testing.T) (*registryutil.REST, *registryutil.StatusREST) {
			s := newStorage(t)
			return s.CronJob, s.Status
		},
		Valid: func() runtime.Object { return validNewCronJob() },
		InvalidCreates: []runtime.Object{
			noSchedule,
			badSchedule,
			tzInSchedule,
			noConcurrencyPolicy,
			always,
			withSelector,
			unknownTimeZone,
			tooLongName,
		},
		ValidUpdate: func(obj runtime.Object) runtime.Object {
			cj := obj.(*experimental.CronJob)
			cj.Spec.Schedule = "@hourly"
			cj.Spec.TimeZone = ptr.To("Europe/Berlin")
			cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Image = "registry.example/app:2.0"
			return cj
		},
		InvalidUpdates: []genericregistrytest.UpdateFunc{
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
		},
		LabelsMatch:   []labels.Set{{"tier": "batch"}},
		LabelsNoMatch: []labels.Set{{"tier": "web"}, {"team": "a"}},
		FieldsMatch: []fields.Set{
			{"spec.suspend": "false"},
			{"spec.schedule": schedule},
			{"spec.schedule": schedule, "spec.suspend": "false"},
		},
		FieldsNoMatch: []fields.Set{
			{"spec.suspend": "true"},
			{"spec.schedule": "@hourly"},
			{"spec.schedule": schedule, "spec.suspend": "true"},
		},
		ShortNames: []string{"xcj"},
		Categories: []string{"all", "experimental"},
		Status: registrytest.StatusConformance{
			Change: func(obj runtime.Object) {
				cj := obj.(*experimental.CronJob)
				lastSchedule := metav1.Now()
				cj.Spec.Schedule = "@hourly"
				cj.Spec.Suspend = ptr.To(true)
				cj.Status = experimental.CronJobStatus{
					Active:           []corev1.ObjectReference{{Kind: "Job", Namespace: namespace, Name: name + "-1", APIVersion: "experimental/v1alpha1"}},
					LastScheduleTime: &lastSchedule,
				}
			},
			// The stored lastScheduleTime has lost its sub-second part.
			Updated: func(obj runtime.Object) bool {
				status := obj.(*experimental.CronJob).Status
				return len(status.Active) == 1 && status.Active[0].Name == name+"-1" && status.LastScheduleTime != nil
			},
			Invalid: []registrytest.InvalidStatus{{
				// A status update cannot rename the object.
				Desc: "a status update to another namespace",
				Mutate: func(obj runtime.Object) {
					obj.(*experimental.CronJob).Namespace = "other"
				},
				Refused: func(err error) bool { return err != nil && !apierrors.IsNotFound(err) },
			}},
		},
	})
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
