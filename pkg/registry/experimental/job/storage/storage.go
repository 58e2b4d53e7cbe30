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

// Package storage wires Jobs and their status and scale subresources to
// etcd.
package storage

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/experimental/job"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/experimental/printers"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registryutil"
)

// JobStorage holds the endpoints of jobs.
type JobStorage struct {
	Job    *registryutil.REST
	Status *registryutil.StatusREST
	Scale  *registryutil.ScaleREST
}

// NewStorage returns the Job endpoints backed by optsGetter's storage.
func NewStorage(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter) (JobStorage, error) {
	strategy, statusStrategy := job.NewStrategies(scheme)
	main, status, err := registryutil.NewStores(registryutil.StoreConfig{
		Resource:       "jobs",
		Singular:       "job",
		ShortNames:     []string{"xjob"},
		Categories:     []string{"all", "experimental"},
		NewFunc:        func() runtime.Object { return &experimental.Job{} },
		NewListFunc:    func() runtime.Object { return &experimental.JobList{} },
		Strategy:       strategy,
		StatusStrategy: statusStrategy,
		TableConvertor: printers.NewJobTableConvertor(),
		AttrFunc:       registryutil.AttrFunc(job.SelectableFields),
	}, optsGetter)
	if err != nil {
		return JobStorage{}, err
	}
	return JobStorage{
		Job:    main,
		Status: status,
		Scale:  registryutil.NewScaleREST(main.Store, scaleAccessor),
	}, nil
}

// scaleAccessor maps jobs/scale onto a Job: spec.replicas is
// spec.parallelism (1 when unset, as the Job controller reads it),
// status.replicas the active pods and the selector the Job's pod selector,
// so kubectl scale and horizontal pod autoscalers can drive how many pods
// a Job runs at once.
var scaleAccessor = registryutil.ScaleAccessor{
	Kind:            "Job",
	Meta:            func(obj runtime.Object) *metav1.ObjectMeta { return &obj.(*experimental.Job).ObjectMeta },
	SpecReplicas:    func(obj runtime.Object) int32 { return ptr.Deref(obj.(*experimental.Job).Spec.Parallelism, 1) },
	SetSpecReplicas: func(obj runtime.Object, n int32) { obj.(*experimental.Job).Spec.Parallelism = &n },
	StatusReplicas:  func(obj runtime.Object) int32 { return obj.(*experimental.Job).Status.Active },
	Selector:        func(obj runtime.Object) *metav1.LabelSelector { return obj.(*experimental.Job).Spec.Selector },
}
