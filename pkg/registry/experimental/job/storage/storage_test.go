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
	name      = "foo-job"

	controllerUIDLabel       = "batch.kubernetes.io/controller-uid"
	legacyControllerUIDLabel = "controller-uid"
	jobNameLabel             = "batch.kubernetes.io/job-name"
	legacyJobNameLabel       = "job-name"
)

var podLabels = map[string]string{"app": "foo"}

func newStorage(t *testing.T) *JobStorage {
	t.Helper()
	_, opts := registrytest.NewEtcdStorage(t, "jobs")
	s, err := NewStorage(registrytest.Scheme, opts)
	if err != nil {
		t.Fatalf("unexpected error from NewStorage: %v", err)
	}
	t.Cleanup(s.Job.Store.DestroyFunc)
	return &s
}

// validNewJob returns a Job with a manual selector that passes validation
// without defaulting. With a manual selector the stored object does not
// depend on the UID, so the generic tester may create it more than once.
func validNewJob() *experimental.Job {
	return &experimental.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: namespace,
			Labels:    map[string]string{"tier": "batch"},
		},
		Spec: experimental.JobSpec{
			Parallelism:    ptr.To[int32](2),
			Completions:    ptr.To[int32](4),
			BackoffLimit:   ptr.To[int32](6),
			ManualSelector: ptr.To(true),
			Selector:       &metav1.LabelSelector{MatchLabels: maps.Clone(podLabels)},
			Template:       registrytest.ValidPodTemplate(podLabels, corev1.RestartPolicyOnFailure),
			CompletionMode: ptr.To(experimental.NonIndexedCompletion),
			Suspend:        ptr.To(false),
		},
		Status: experimental.JobStatus{Succeeded: 2},
	}
}

// newGeneratedSelectorJob returns a Job whose selector the server generates.
func newGeneratedSelectorJob() *experimental.Job {
	job := validNewJob()
	job.Spec.ManualSelector = nil
	job.Spec.Selector = nil
	return job
}

func newContext(s *JobStorage, subresources ...string) context.Context {
	return genericregistrytest.NewNamespaceScopeContext(s.Job.Store, namespace, subresources...)
}

func createJob(t *testing.T, s *JobStorage, job *experimental.Job) *experimental.Job {
	t.Helper()
	obj, err := s.Job.Create(newContext(s), job, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("unexpected error creating job: %v", err)
	}
	return obj.(*experimental.Job)
}

func getJob(t *testing.T, s *JobStorage, name string) *experimental.Job {
	t.Helper()
	obj, err := s.Job.Get(newContext(s), name, &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("unexpected error getting job %q: %v", name, err)
	}
	return obj.(*experimental.Job)
}

func TestConformance(t *testing.T) {
	mismatchedSelector := validNewJob()
	mismatchedSelector.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}}
	always := validNewJob()
	always.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways
	noRestartPolicy := validNewJob()
	noRestartPolicy.Spec.Template.Spec.RestartPolicy = ""
	negativeParallelism := validNewJob()
	negativeParallelism.Spec.Parallelism = ptr.To[int32](-1)
	manualWithoutSelector := validNewJob()
	manualWithoutSelector.Spec.Selector = nil

	registrytest.RunConformance(t, registrytest.Conformance{
		NewStorage: func(t *testing.T) (*registryutil.REST, *registryutil.StatusREST) {
			s := newStorage(t)
			return s.Job, s.Status
		},
		Valid: func() runtime.Object { return validNewJob() },
		InvalidCreates: []runtime.Object{
			mismatchedSelector,
			always,
			noRestartPolicy,
			negativeParallelism,
			manualWithoutSelector,
		},
		ValidUpdate: func(obj runtime.Object) runtime.Object {
			job := obj.(*experimental.Job)
			job.Spec.Parallelism = ptr.To[int32](3)
			job.Spec.ActiveDeadlineSeconds = ptr.To[int64](600)
			return job
		},
		InvalidUpdates: []genericregistrytest.UpdateFunc{
			func(obj runtime.Object) runtime.Object {
				job := obj.(*experimental.Job)
				job.Name = ""
				return job
			},
			func(obj runtime.Object) runtime.Object {
				// The selector is immutable.
				job := obj.(*experimental.Job)
				job.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "foo", "extra": "label"}}
				job.Spec.Template.Labels = map[string]string{"app": "foo", "extra": "label"}
				return job
			},
			func(obj runtime.Object) runtime.Object {
				// The pod template of a running Job is immutable.
				job := obj.(*experimental.Job)
				job.Spec.Template.Spec.Containers[0].Image = "registry.example/app:2.0"
				return job
			},
			func(obj runtime.Object) runtime.Object {
				// Completions of a NonIndexed Job are immutable.
				job := obj.(*experimental.Job)
				job.Spec.Completions = ptr.To[int32](5)
				return job
			},
		},
		LabelsMatch:   []labels.Set{{"tier": "batch"}},
		LabelsNoMatch: []labels.Set{{"tier": "web"}, {"app": "foo"}},
		FieldsMatch: []fields.Set{
			{"status.successful": "2"},
			{"spec.suspend": "false"},
			{"status.successful": "2", "spec.suspend": "false"},
		},
		FieldsNoMatch: []fields.Set{
			{"status.successful": "0"},
			{"spec.suspend": "true"},
			{"status.successful": "2", "spec.suspend": "true"},
		},
		ShortNames: []string{"xjob"},
		Categories: []string{"all", "experimental"},
		Status: registrytest.StatusConformance{
			Change: func(obj runtime.Object) {
				job := obj.(*experimental.Job)
				start := metav1.Now()
				job.Spec.Parallelism = ptr.To[int32](10)
				job.Spec.Suspend = ptr.To(true)
				job.Status = experimental.JobStatus{
					StartTime: &start,
					Active:    2,
					Ready:     ptr.To[int32](1),
					Succeeded: 1,
				}
			},
			// The stored startTime has lost its sub-second part.
			Updated: func(obj runtime.Object) bool {
				status := obj.(*experimental.Job).Status
				return status.Active == 2 && status.Succeeded == 1 && status.Ready != nil && *status.Ready == 1 && status.StartTime != nil
			},
			Invalid: []registrytest.InvalidStatus{
				{
					Desc: "more ready than active pods",
					Mutate: func(obj runtime.Object) {
						obj.(*experimental.Job).Status.Ready = ptr.To[int32](5)
					},
				},
				{
					Desc: "a decreasing succeeded counter",
					Mutate: func(obj runtime.Object) {
						obj.(*experimental.Job).Status.Succeeded = 0
					},
				},
			},
		},
	})
}

func TestWatchSuspended(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.Job.Store)
	suspended := validNewJob()
	suspended.Spec.Suspend = ptr.To(true)
	suspended.Status = experimental.JobStatus{}
	test.TestWatch(
		suspended,
		[]labels.Set{{"tier": "batch"}},
		[]labels.Set{{"tier": "web"}},
		[]fields.Set{{"spec.suspend": "true"}, {"status.successful": "0"}},
		[]fields.Set{{"spec.suspend": "false"}, {"status.successful": "2"}},
	)
}

func TestWatchUnsetSuspend(t *testing.T) {
	s := newStorage(t)
	test := genericregistrytest.New(t, s.Job.Store)
	unset := validNewJob()
	unset.Spec.Suspend = nil
	test.TestWatch(
		unset,
		nil,
		nil,
		[]fields.Set{{"spec.suspend": "false"}},
		[]fields.Set{{"spec.suspend": "true"}},
	)
}

func TestListByStatusSuccessful(t *testing.T) {
	s := newStorage(t)
	ctx := newContext(s)
	created := createJob(t, s, validNewJob())

	update := created.DeepCopy()
	now := metav1.Now()
	update.Status = experimental.JobStatus{StartTime: &now, Active: 1, Succeeded: 3}
	if _, _, err := s.Status.Update(newContext(s, "status"), name, rest.DefaultUpdatedObjectInfo(update), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{}); err != nil {
		t.Fatalf("unexpected error updating status: %v", err)
	}

	for selector, want := range map[string]int{
		"status.successful=3":                    1,
		"status.successful=0":                    0,
		"status.successful=3,spec.suspend=false": 1,
		"spec.suspend=true":                      0,
	} {
		fieldSelector, err := fields.ParseSelector(selector)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := s.Job.List(ctx, &metainternalversion.ListOptions{FieldSelector: fieldSelector})
		if err != nil {
			t.Fatalf("%s: unexpected error: %v", selector, err)
		}
		if got := len(obj.(*experimental.JobList).Items); got != want {
			t.Errorf("%s: got %d items, want %d", selector, got, want)
		}
	}
}

func TestCreateGeneratesSelector(t *testing.T) {
	s := newStorage(t)
	created := createJob(t, s, newGeneratedSelectorJob())

	uid := string(created.UID)
	if uid == "" {
		t.Fatalf("created job has no UID")
	}
	if created.Spec.Selector == nil {
		t.Fatalf("no selector was generated")
	}
	wantSelector := &metav1.LabelSelector{MatchLabels: map[string]string{controllerUIDLabel: uid}}
	if !apiequality.Semantic.DeepEqual(created.Spec.Selector, wantSelector) {
		t.Errorf("generated selector: got %+v, want %+v", created.Spec.Selector, wantSelector)
	}
	if got := created.Spec.Selector.MatchLabels[controllerUIDLabel]; got != uid {
		t.Errorf("selector %s: got %q, want the UID %q", controllerUIDLabel, got, uid)
	}
	wantLabels := map[string]string{
		"app":                    "foo",
		controllerUIDLabel:       uid,
		legacyControllerUIDLabel: uid,
		jobNameLabel:             name,
		legacyJobNameLabel:       name,
	}
	if !apiequality.Semantic.DeepEqual(created.Spec.Template.Labels, wantLabels) {
		t.Errorf("template labels: got %v, want %v", created.Spec.Template.Labels, wantLabels)
	}
	// Reading the stored v1alpha1 object defaults manualSelector to false.
	if created.Spec.ManualSelector != nil && *created.Spec.ManualSelector {
		t.Errorf("manualSelector: got true, want unset or false")
	}

	// What was stored is what Create returned.
	if got := getJob(t, s, name); !apiequality.Semantic.DeepEqual(got.Spec, created.Spec) {
		t.Errorf("stored spec differs from the created one:\n got %+v\nwant %+v", got.Spec, created.Spec)
	}
}

func TestCreateGeneratesSelectorWithManualSelectorFalse(t *testing.T) {
	s := newStorage(t)
	job := newGeneratedSelectorJob()
	job.Spec.ManualSelector = ptr.To(false)
	created := createJob(t, s, job)
	if got := created.Spec.Selector.MatchLabels[controllerUIDLabel]; got == "" || got != string(created.UID) {
		t.Errorf("selector %s: got %q, want the UID %q", controllerUIDLabel, got, created.UID)
	}
}

func TestCreateGeneratesSelectorForGeneratedName(t *testing.T) {
	s := newStorage(t)
	job := newGeneratedSelectorJob()
	job.Name = ""
	job.GenerateName = "foo-"
	created := createJob(t, s, job)
	if created.Name == "" || created.Name == "foo-" {
		t.Fatalf("no name was generated: %q", created.Name)
	}
	for _, key := range []string{jobNameLabel, legacyJobNameLabel} {
		if got := created.Spec.Template.Labels[key]; got != created.Name {
			t.Errorf("template label %s: got %q, want the generated name %q", key, got, created.Name)
		}
	}
}

func TestCreateKeepsManualSelector(t *testing.T) {
	s := newStorage(t)
	job := validNewJob()
	want := job.Spec.DeepCopy()
	created := createJob(t, s, job)
	if !apiequality.Semantic.DeepEqual(created.Spec.Selector, want.Selector) {
		t.Errorf("manual selector: got %+v, want %+v", created.Spec.Selector, want.Selector)
	}
	if !apiequality.Semantic.DeepEqual(created.Spec.Template.Labels, want.Template.Labels) {
		t.Errorf("template labels of a manual selector job: got %v, want %v", created.Spec.Template.Labels, want.Template.Labels)
	}
	if created.Spec.ManualSelector == nil || !*created.Spec.ManualSelector {
		t.Errorf("manualSelector was not kept: %v", created.Spec.ManualSelector)
	}
}

func TestCreateRejectsSelectorWithoutManualSelector(t *testing.T) {
	s := newStorage(t)
	job := validNewJob()
	job.Spec.ManualSelector = nil
	_, err := s.Job.Create(newContext(s), job, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("expected an Invalid error for a user selector without manualSelector, got %v", err)
	}
	registrytest.ExpectFieldError(t, err, "spec.selector")
}

func TestCreateRejectsConflictingGeneratedLabels(t *testing.T) {
	s := newStorage(t)
	job := newGeneratedSelectorJob()
	job.Spec.Template.Labels = map[string]string{"app": "foo", legacyJobNameLabel: "someone-else"}
	_, err := s.Job.Create(newContext(s), job, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("expected an Invalid error for a conflicting %s label, got %v", legacyJobNameLabel, err)
	}
	registrytest.ExpectFieldError(t, err, "spec.template.metadata.labels["+legacyJobNameLabel+"]")
}

func TestUpdateKeepsGeneratedSelector(t *testing.T) {
	s := newStorage(t)
	created := createJob(t, s, newGeneratedSelectorJob())

	update := created.DeepCopy()
	update.Spec.Parallelism = ptr.To[int32](1)
	obj, _, err := s.Job.Update(newContext(s), name, rest.DefaultUpdatedObjectInfo(update), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	got := obj.(*experimental.Job)
	if !apiequality.Semantic.DeepEqual(got.Spec.Selector, created.Spec.Selector) || !apiequality.Semantic.DeepEqual(got.Spec.Template.Labels, created.Spec.Template.Labels) {
		t.Errorf("update changed the generated selector or labels: %+v %v", got.Spec.Selector, got.Spec.Template.Labels)
	}
	if got.Generation != created.Generation+1 {
		t.Errorf("generation after a spec change: got %d, want %d", got.Generation, created.Generation+1)
	}
}
