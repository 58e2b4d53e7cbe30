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

// Package storage wires DaemonSets and their status subresource to etcd.
package storage

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/experimental/daemonset"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/experimental/printers"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registryutil"
)

// DaemonSetStorage holds the endpoints of daemonsets.
type DaemonSetStorage struct {
	DaemonSet *registryutil.REST
	Status    *registryutil.StatusREST
}

// NewStorage returns the DaemonSet endpoints backed by optsGetter's storage.
func NewStorage(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter) (DaemonSetStorage, error) {
	strategy, statusStrategy := daemonset.NewStrategies(scheme)
	main, status, err := registryutil.NewStores(registryutil.StoreConfig{
		Resource:       "daemonsets",
		Singular:       "daemonset",
		ShortNames:     []string{"xds"},
		Categories:     []string{"all", "experimental"},
		NewFunc:        func() runtime.Object { return &experimental.DaemonSet{} },
		NewListFunc:    func() runtime.Object { return &experimental.DaemonSetList{} },
		Strategy:       strategy,
		StatusStrategy: statusStrategy,
		TableConvertor: printers.NewDaemonSetTableConvertor(),
		AttrFunc:       registryutil.AttrFunc(daemonset.SelectableFields),
	}, optsGetter)
	if err != nil {
		return DaemonSetStorage{}, err
	}
	return DaemonSetStorage{
		DaemonSet: main,
		Status:    status,
	}, nil
}
