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
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericregistrytest "k8s.io/apiserver/pkg/registry/generic/testing"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	jobstorage "github.com/kube-experimental/workloads-apiserver/pkg/registry/experimental/job/storage"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registrytest"
)

type triggerFixture struct {
	cronJobs *CronJobStorage
	jobs     *jobstorage.JobStorage
	trigger  *TriggerREST
	cronJob  *experimental.CronJob
}

func newTriggerFixture(t *testing.T, policy experimental.ConcurrencyPolicy) *triggerFixture {
	t.Helper()
	s := newStorage(t)
	_, opts := registrytest.NewEtcdStorage(t, "jobs")
	jobs, err := jobstorage.NewStorage(registrytest.Scheme, opts)
	if err != nil {
		t.Fatalf("building the job storage: %v", err)
	}
	t.Cleanup(jobs.Job.Store.DestroyFunc)
	cj := validNewCronJob()
	cj.Spec.ConcurrencyPolicy = policy
	cj.Spec.JobTemplate.Annotations = map[string]string{"team": "reports"}
	obj, err := s.CronJob.Create(newContext(s), cj, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating the cronjob: %v", err)
	}
	return &triggerFixture{cronJobs: s, jobs: &jobs, trigger: NewTriggerREST(s.CronJob.Store, jobs.Job.Store), cronJob: obj.(*experimental.CronJob)}
}

func (f *triggerFixture) ctx() context.Context {
	return genericregistrytest.NewNamespaceScopeContext(f.cronJobs.CronJob.Store, namespace, "trigger")
}

func (f *triggerFixture) fire(t *testing.T, jobName string) (*experimental.Job, error) {
	t.Helper()
	obj, err := f.trigger.Create(f.ctx(), name, &experimental.CronJobTrigger{JobName: jobName}, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*experimental.Job), nil
}

func (f *triggerFixture) jobNames(t *testing.T) []string {
	t.Helper()
	obj, err := f.jobs.Job.List(f.ctx(), &metainternalversion.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, j := range obj.(*experimental.JobList).Items {
		names = append(names, j.Name)
	}
	return names
}

// finish marks a Job complete through the status endpoint, as the Job
// controller does.
func (f *triggerFixture) finish(t *testing.T, job *experimental.Job) {
	t.Helper()
	done := job.DeepCopy()
	now := metav1.Now()
	done.Status = experimental.JobStatus{
		StartTime: &now, CompletionTime: &now, Succeeded: 1,
		Conditions: []experimental.JobCondition{
			{Type: experimental.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: experimental.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now},
		},
	}
	ctx := genericregistrytest.NewNamespaceScopeContext(f.jobs.Job.Store, namespace, "status")
	if _, _, err := f.jobs.Status.Update(ctx, job.Name, rest.DefaultUpdatedObjectInfo(done),
		rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{}); err != nil {
		t.Fatalf("marking job %s complete: %v", job.Name, err)
	}
}

func TestTriggerCreatesManualJob(t *testing.T) {
	f := newTriggerFixture(t, experimental.AllowConcurrent)
	job, err := f.fire(t, "")
	if err != nil {
		t.Fatalf("trigger: %v", err)
	}
	if !strings.HasPrefix(job.Name, name+"-manual-") || len(job.Name) != len(name+"-manual-")+5 {
		t.Errorf("job name %q: want %s-manual- and a 5-character suffix", job.Name, name)
	}
	if got := job.Annotations[experimental.CronJobManualInstantiateAnnotation]; got != "manual" {
		t.Errorf("annotation %s: got %q, want manual", experimental.CronJobManualInstantiateAnnotation, got)
	}
	if job.Annotations["team"] != "reports" || job.Labels["team"] != "a" {
		t.Errorf("job template metadata not copied: labels %v annotations %v", job.Labels, job.Annotations)
	}
	ref := metav1.GetControllerOf(job)
	if ref == nil || ref.UID != f.cronJob.UID || ref.Kind != "CronJob" || ref.APIVersion != "experimental/v1alpha1" || ref.Name != name {
		t.Errorf("controller reference: got %+v, want the CronJob", ref)
	}
	if job.Spec.Template.Spec.Containers[0].Image != f.cronJob.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Image {
		t.Errorf("job spec not copied from the job template")
	}
	if job.Spec.Selector == nil {
		t.Errorf("the Job storage did not generate a selector")
	}

	// Allow: a second trigger runs next to the first.
	second, err := f.fire(t, "report-now")
	if err != nil {
		t.Fatalf("second trigger under Allow: %v", err)
	}
	if second.Name != "report-now" {
		t.Errorf("named trigger: got job %q, want report-now", second.Name)
	}
	if got := f.jobNames(t); len(got) != 2 {
		t.Errorf("jobs after two triggers under Allow: got %v, want 2", got)
	}
	// The same name twice is AlreadyExists.
	if _, err := f.fire(t, "report-now"); !apierrors.IsAlreadyExists(err) {
		t.Errorf("expected AlreadyExists for a taken job name, got %v", err)
	}
}

func TestTriggerForbid(t *testing.T) {
	f := newTriggerFixture(t, experimental.ForbidConcurrent)
	first, err := f.fire(t, "first")
	if err != nil {
		t.Fatalf("first trigger: %v", err)
	}
	_, err = f.fire(t, "second")
	if !apierrors.IsConflict(err) {
		t.Fatalf("expected Conflict while %s is active, got %v", first.Name, err)
	}
	if !strings.Contains(err.Error(), `job "first" is still active`) {
		t.Errorf("conflict does not name the active job: %v", err)
	}
	if got := f.jobNames(t); len(got) != 1 {
		t.Errorf("jobs after a refused trigger: got %v, want only first", got)
	}

	// Once the active Job finished, the next trigger runs.
	f.finish(t, first)
	if _, err := f.fire(t, "second"); err != nil {
		t.Errorf("trigger after the active job finished: %v", err)
	}
}

// TestTriggerForbidRace: a run that starts between the concurrency check
// and the create (another trigger at the same moment) wins when it is
// older; this trigger deletes its own Job and answers 409 naming it.
func TestTriggerForbidRace(t *testing.T) {
	f := newTriggerFixture(t, experimental.ForbidConcurrent)
	f.trigger.afterCheck = func(ctx context.Context) {
		f.trigger.afterCheck = nil
		if _, err := f.fire(t, "a-racer"); err != nil {
			t.Fatalf("racing trigger: %v", err)
		}
	}
	_, err := f.fire(t, "z-late")
	if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), `job "a-racer" is still active`) {
		t.Fatalf("trigger that lost the race: want Conflict naming a-racer, got %v", err)
	}
	if got := f.jobNames(t); len(got) != 1 || got[0] != "a-racer" {
		t.Errorf("jobs after the race: got %v, want only a-racer", got)
	}
}

func TestTriggerReplace(t *testing.T) {
	f := newTriggerFixture(t, experimental.ReplaceConcurrent)
	first, err := f.fire(t, "first")
	if err != nil {
		t.Fatalf("first trigger: %v", err)
	}
	done, err := f.fire(t, "done")
	if err != nil {
		t.Fatalf("second trigger: %v", err)
	}
	if got := f.jobNames(t); len(got) != 1 || got[0] != "done" {
		t.Fatalf("jobs after Replace: got %v, want [done] (first replaced)", got)
	}
	if first.UID == done.UID {
		t.Errorf("replace returned the replaced job")
	}
	f.finish(t, done)

	// A finished Job is not active: it stays for the history limits.
	if _, err := f.fire(t, "third"); err != nil {
		t.Fatalf("third trigger: %v", err)
	}
	if got := f.jobNames(t); len(got) != 2 {
		t.Errorf("jobs after replacing nothing active: got %v, want [done third]", got)
	}
}

func TestTriggerIgnoresOtherJobs(t *testing.T) {
	f := newTriggerFixture(t, experimental.ForbidConcurrent)
	// A running Job another owner controls does not block this CronJob.
	other := &experimental.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "unrelated", Namespace: namespace},
		Spec:       *f.cronJob.Spec.JobTemplate.Spec.DeepCopy(),
	}
	ctx := genericregistrytest.NewNamespaceScopeContext(f.jobs.Job.Store, namespace)
	if _, err := f.jobs.Job.Create(ctx, other, rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.fire(t, ""); err != nil {
		t.Errorf("trigger with an unrelated running job: %v", err)
	}
}

func TestTriggerErrors(t *testing.T) {
	f := newTriggerFixture(t, experimental.AllowConcurrent)
	_, err := f.trigger.Create(f.ctx(), "missing", &experimental.CronJobTrigger{}, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("expected NotFound for a missing cronjob, got %v", err)
	}
	_, err = f.fire(t, "Not_A_Name")
	if !apierrors.IsInvalid(err) {
		t.Fatalf("expected Invalid for a bad jobName, got %v", err)
	}
	registrytest.ExpectFieldError(t, err, "jobName")

	// Dry run creates nothing.
	_, err = f.trigger.Create(f.ctx(), name, &experimental.CronJobTrigger{JobName: "dry"}, rest.ValidateAllObjectFunc,
		&metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		t.Fatalf("dry-run trigger: %v", err)
	}
	if got := f.jobNames(t); len(got) != 0 {
		t.Errorf("dry-run trigger created %v", got)
	}
	// Admission of the trigger runs before anything is created.
	_, err = f.trigger.Create(f.ctx(), name, &experimental.CronJobTrigger{}, func(_ context.Context, obj runtime.Object) error {
		if _, ok := obj.(*experimental.CronJobTrigger); !ok {
			t.Errorf("admission saw %T, want the CronJobTrigger", obj)
		}
		return apierrors.NewForbidden(experimental.Resource("cronjobs"), name, errors.New("denied by a test policy"))
	}, &metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("expected the admission error, got %v", err)
	}
	if got := f.jobNames(t); len(got) != 0 {
		t.Errorf("a denied trigger created %v", got)
	}
}
