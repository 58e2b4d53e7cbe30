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
	"fmt"
	"maps"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/validation"
)

// manualJobNameInfix goes between the CronJob's name and the random suffix
// of the Jobs a trigger names itself.
const manualJobNameInfix = "-manual-"

// TriggerREST serves cronjobs/trigger: a POST of a CronJobTrigger creates a
// Job from the CronJob's job template now, through the Job storage, and
// answers with the created Job.
type TriggerREST struct {
	cronJobs *genericregistry.Store
	jobs     *genericregistry.Store
	// afterCheck, when set, runs between the concurrency check and the
	// create (tests use it to race another run in).
	afterCheck func(ctx context.Context)
}

// NewTriggerREST returns the trigger endpoint of the CronJobs in cronJobs,
// which creates their Jobs in jobs.
func NewTriggerREST(cronJobs, jobs *genericregistry.Store) *TriggerREST {
	return &TriggerREST{cronJobs: cronJobs, jobs: jobs}
}

var (
	_ rest.NamedCreater                   = &TriggerREST{}
	_ rest.StorageMetadata                = &TriggerREST{}
	_ rest.SubresourceObjectMetaPreserver = &TriggerREST{}
)

// New implements rest.Storage: the request body is a CronJobTrigger.
func (r *TriggerREST) New() runtime.Object { return &experimental.CronJobTrigger{} }

// Destroy implements rest.Storage. The main stores own the storage.
func (r *TriggerREST) Destroy() {}

// ProducesMIMETypes implements rest.StorageMetadata.
func (r *TriggerREST) ProducesMIMETypes(string) []string { return nil }

// ProducesObject implements rest.StorageMetadata: the response is the
// created Job, which the published OpenAPI says.
func (r *TriggerREST) ProducesObject(string) any { return v1alpha1.Job{} }

// PreserveRequestObjectMetaSystemFieldsOnSubresourceCreate implements
// rest.SubresourceObjectMetaPreserver: a CronJobTrigger has no metadata.
func (r *TriggerREST) PreserveRequestObjectMetaSystemFieldsOnSubresourceCreate() bool { return true }

// Create implements rest.NamedCreater. name is the CronJob's.
func (r *TriggerREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	trigger, ok := obj.(*experimental.CronJobTrigger)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a CronJobTrigger: %T", obj))
	}
	if errs := validation.ValidateCronJobTrigger(trigger); len(errs) > 0 {
		return nil, apierrors.NewInvalid(experimental.Kind("CronJobTrigger"), name, errs)
	}
	if createValidation != nil {
		if err := createValidation(ctx, trigger.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	obj, err := r.cronJobs.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	cj := obj.(*experimental.CronJob)
	if cj.DeletionTimestamp != nil {
		return nil, apierrors.NewConflict(experimental.Resource("cronjobs"), name, fmt.Errorf("cronjob %q is being deleted", name))
	}
	logger := klog.FromContext(ctx).WithValues("cronJob", klog.KObj(cj))

	active, err := r.activeJobs(ctx, cj)
	if err != nil {
		return nil, err
	}
	switch cj.Spec.ConcurrencyPolicy {
	case experimental.ForbidConcurrent:
		if len(active) > 0 {
			return nil, forbidConflict(name, active[0].Name)
		}
	case experimental.ReplaceConcurrent:
		for _, job := range active {
			logger.V(2).Info("Deleting an active Job before a triggered run (concurrencyPolicy Replace)", "job", klog.KObj(job))
			_, _, err := r.jobs.Delete(ctx, job.Name, rest.ValidateAllObjectFunc, &metav1.DeleteOptions{
				PropagationPolicy: ptr.To(metav1.DeletePropagationBackground),
				Preconditions:     &metav1.Preconditions{UID: &job.UID},
				DryRun:            options.DryRun,
			})
			if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				return nil, fmt.Errorf("replacing the active job %q: %w", job.Name, err)
			}
		}
	}

	if r.afterCheck != nil {
		r.afterCheck(ctx)
	}
	obj, err = r.jobs.Create(ctx, newManualJob(cj, trigger.JobName), rest.ValidateAllObjectFunc,
		&metav1.CreateOptions{DryRun: options.DryRun, FieldManager: options.FieldManager})
	if err != nil {
		return nil, err
	}
	created := obj.(*experimental.Job)
	if cj.Spec.ConcurrencyPolicy == experimental.ForbidConcurrent && len(options.DryRun) == 0 {
		if err := r.resolveForbidRace(ctx, cj, created); err != nil {
			return nil, err
		}
	}
	logger.V(2).Info("Triggered a run", "job", klog.KObj(created), "dryRun", len(options.DryRun) > 0)
	return created, nil
}

// resolveForbidRace undoes created when another run of a Forbid CronJob
// started between the check and the create (two triggers at once): of the
// active Jobs the oldest (then first by name) stays, and a trigger whose Job
// is not that one deletes it and answers 409 like the check would have.
// Every racing trigger sees the same Jobs, so exactly one run survives.
func (r *TriggerREST) resolveForbidRace(ctx context.Context, cj *experimental.CronJob, created *experimental.Job) error {
	active, err := r.activeJobs(ctx, cj)
	if err != nil {
		return err
	}
	var first *experimental.Job
	for _, job := range active {
		if first == nil || job.CreationTimestamp.Before(&first.CreationTimestamp) ||
			(job.CreationTimestamp.Equal(&first.CreationTimestamp) && job.Name < first.Name) {
			first = job
		}
	}
	if first == nil || first.UID == created.UID {
		return nil
	}
	klog.FromContext(ctx).V(2).Info("Another run started during the trigger (concurrencyPolicy Forbid); deleting this one",
		"cronJob", klog.KObj(cj), "job", klog.KObj(created), "activeJob", klog.KObj(first))
	_, _, err = r.jobs.Delete(ctx, created.Name, rest.ValidateAllObjectFunc, &metav1.DeleteOptions{
		PropagationPolicy: ptr.To(metav1.DeletePropagationBackground),
		Preconditions:     &metav1.Preconditions{UID: &created.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting job %q that raced with job %q: %w", created.Name, first.Name, err)
	}
	return forbidConflict(cj.Name, first.Name)
}

// activeJobs returns the Jobs cj controls that have not finished and are
// not being deleted, in the order the Job storage lists them.
// forbidConflict is the 409 a trigger gets while concurrencyPolicy Forbid and
// the active Job named activeJob hold back a new run.
func forbidConflict(cronJob, activeJob string) error {
	return apierrors.NewConflict(experimental.Resource("cronjobs"), cronJob,
		fmt.Errorf("concurrencyPolicy is Forbid and job %q is still active; wait for it to finish or delete it", activeJob))
}

func (r *TriggerREST) activeJobs(ctx context.Context, cj *experimental.CronJob) ([]*experimental.Job, error) {
	obj, err := r.jobs.List(ctx, &metainternalversion.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing the jobs of cronjob %q: %w", cj.Name, err)
	}
	var active []*experimental.Job
	for i := range obj.(*experimental.JobList).Items {
		job := &obj.(*experimental.JobList).Items[i]
		ref := metav1.GetControllerOfNoCopy(job)
		if ref == nil || ref.UID != cj.UID || job.DeletionTimestamp != nil || validation.IsJobFinished(job) {
			continue
		}
		active = append(active, job)
	}
	return active, nil
}

// newManualJob returns the Job a trigger of cj creates, as kubectl create
// job --from=cronjob/NAME builds it: the job template's labels,
// annotations and spec, the annotation cronjob.kubernetes.io/instantiate:
// manual, and cj as its controller. Without a name the storage generates
// one from "<cronjob>-manual-".
func newManualJob(cj *experimental.CronJob, name string) *experimental.Job {
	annotations := maps.Clone(cj.Spec.JobTemplate.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[experimental.CronJobManualInstantiateAnnotation] = "manual"
	job := &experimental.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Namespace:   cj.Namespace,
			Labels:      maps.Clone(cj.Spec.JobTemplate.Labels),
			Annotations: annotations,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion:         v1alpha1.SchemeGroupVersion.String(),
				Kind:               "CronJob",
				Name:               cj.Name,
				UID:                cj.UID,
				Controller:         ptr.To(true),
				BlockOwnerDeletion: ptr.To(true),
			}},
		},
	}
	if name == "" {
		job.GenerateName = strings.TrimSuffix(cj.Name, "-") + manualJobNameInfix
	}
	cj.Spec.JobTemplate.Spec.DeepCopyInto(&job.Spec)
	return job
}
