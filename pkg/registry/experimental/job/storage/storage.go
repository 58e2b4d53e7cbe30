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

// Package storage wires Jobs and their status subresource to etcd.
package storage

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/experimental/job"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/experimental/printers"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registryutil"
)

// JobStorage holds the endpoints of jobs.
type JobStorage struct {
	Job    *registryutil.REST
	Status *registryutil.StatusREST
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
	}, nil
}
