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

// Package storage wires ReplicaSets and their status and scale subresources to etcd.
package storage

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/experimental/printers"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/experimental/replicaset"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registryutil"
)

// ReplicaSetStorage holds the endpoints of replicasets.
type ReplicaSetStorage struct {
	ReplicaSet *registryutil.REST
	Status     *registryutil.StatusREST
	Scale      *registryutil.ScaleREST
}

// NewStorage returns the ReplicaSet endpoints backed by optsGetter's storage.
func NewStorage(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter) (ReplicaSetStorage, error) {
	strategy, statusStrategy := replicaset.NewStrategies(scheme)
	main, status, err := registryutil.NewStores(registryutil.StoreConfig{
		Resource:       "replicasets",
		Singular:       "replicaset",
		ShortNames:     []string{"xrs"},
		Categories:     []string{"all", "experimental"},
		NewFunc:        func() runtime.Object { return &experimental.ReplicaSet{} },
		NewListFunc:    func() runtime.Object { return &experimental.ReplicaSetList{} },
		Strategy:       strategy,
		StatusStrategy: statusStrategy,
		TableConvertor: printers.NewReplicaSetTableConvertor(),
		AttrFunc:       registryutil.AttrFunc(replicaset.SelectableFields),
	}, optsGetter)
	if err != nil {
		return ReplicaSetStorage{}, err
	}
	return ReplicaSetStorage{
		ReplicaSet: main,
		Status:     status,
		Scale:      registryutil.NewScaleREST(main.Store, scaleAccessor),
	}, nil
}

var scaleAccessor = registryutil.ScaleAccessor{
	Kind:            "ReplicaSet",
	Meta:            func(obj runtime.Object) *metav1.ObjectMeta { return &obj.(*experimental.ReplicaSet).ObjectMeta },
	SpecReplicas:    func(obj runtime.Object) int32 { return ptr.Deref(obj.(*experimental.ReplicaSet).Spec.Replicas, 1) },
	SetSpecReplicas: func(obj runtime.Object, n int32) { obj.(*experimental.ReplicaSet).Spec.Replicas = &n },
	StatusReplicas:  func(obj runtime.Object) int32 { return obj.(*experimental.ReplicaSet).Status.Replicas },
	Selector:        func(obj runtime.Object) *metav1.LabelSelector { return obj.(*experimental.ReplicaSet).Spec.Selector },
}
