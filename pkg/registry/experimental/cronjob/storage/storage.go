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

// Package storage wires CronJobs and their status subresource to etcd.
package storage

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/experimental/cronjob"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/experimental/printers"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registryutil"
)

// CronJobStorage holds the endpoints of cronjobs.
type CronJobStorage struct {
	CronJob *registryutil.REST
	Status  *registryutil.StatusREST
}

// NewStorage returns the CronJob endpoints backed by optsGetter's storage.
func NewStorage(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter) (CronJobStorage, error) {
	strategy, statusStrategy := cronjob.NewStrategies(scheme)
	main, status, err := registryutil.NewStores(registryutil.StoreConfig{
		Resource:       "cronjobs",
		Singular:       "cronjob",
		ShortNames:     []string{"xcj"},
		Categories:     []string{"all", "experimental"},
		NewFunc:        func() runtime.Object { return &experimental.CronJob{} },
		NewListFunc:    func() runtime.Object { return &experimental.CronJobList{} },
		Strategy:       strategy,
		StatusStrategy: statusStrategy,
		TableConvertor: printers.NewCronJobTableConvertor(),
		AttrFunc:       registryutil.AttrFunc(cronjob.SelectableFields),
	}, optsGetter)
	if err != nil {
		return CronJobStorage{}, err
	}
	return CronJobStorage{
		CronJob: main,
		Status:  status,
	}, nil
}
