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

// Package replicaset holds the strategies that store experimental ReplicaSets.
package replicaset

import (
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/validation"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registryutil"
)

// Strategy is the create, update and delete strategy of ReplicaSets.
type Strategy = registryutil.WorkloadStrategy[*experimental.ReplicaSet, experimental.ReplicaSetSpec, experimental.ReplicaSetStatus]

// StatusStrategy is the update strategy of the replicasets/status subresource.
type StatusStrategy = registryutil.WorkloadStatusStrategy[*experimental.ReplicaSet, experimental.ReplicaSetSpec, experimental.ReplicaSetStatus]

// NewStrategies returns the main and status strategies for typer's scheme.
func NewStrategies(typer runtime.ObjectTyper) (Strategy, StatusStrategy) {
	return registryutil.NewWorkloadStrategies(typer, funcs)
}

var funcs = registryutil.KindFuncs[*experimental.ReplicaSet, experimental.ReplicaSetSpec, experimental.ReplicaSetStatus]{
	Spec:   func(obj *experimental.ReplicaSet) *experimental.ReplicaSetSpec { return &obj.Spec },
	Status: func(obj *experimental.ReplicaSet) *experimental.ReplicaSetStatus { return &obj.Status },

	Validate:             validation.ValidateReplicaSet,
	ValidateUpdate:       validation.ValidateReplicaSetUpdate,
	ValidateStatusUpdate: validation.ValidateReplicaSetStatusUpdate,
	Warnings:             validation.WarningsForReplicaSet,
}

var (
	_ registryutil.Strategy       = Strategy{}
	_ registryutil.StatusStrategy = StatusStrategy{}
)

// SelectableFields returns the fields a field selector may match beyond
// metadata.name and metadata.namespace.
func SelectableFields(obj *experimental.ReplicaSet) fields.Set {
	return fields.Set{
		"status.replicas": registryutil.Int32Field(obj.Status.Replicas),
	}
}
