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

// Package deployment holds the strategies that store experimental Deployments.
package deployment

import (
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/validation"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registryutil"
)

// Strategy is the create, update and delete strategy of Deployments.
type Strategy = registryutil.WorkloadStrategy[*experimental.Deployment, experimental.DeploymentSpec, experimental.DeploymentStatus]

// StatusStrategy is the update strategy of the deployments/status subresource.
type StatusStrategy = registryutil.WorkloadStatusStrategy[*experimental.Deployment, experimental.DeploymentSpec, experimental.DeploymentStatus]

// NewStrategies returns the main and status strategies for typer's scheme.
func NewStrategies(typer runtime.ObjectTyper) (Strategy, StatusStrategy) {
	return registryutil.NewWorkloadStrategies(typer, funcs)
}

var funcs = registryutil.KindFuncs[*experimental.Deployment, experimental.DeploymentSpec, experimental.DeploymentStatus]{
	Spec:   func(obj *experimental.Deployment) *experimental.DeploymentSpec { return &obj.Spec },
	Status: func(obj *experimental.Deployment) *experimental.DeploymentStatus { return &obj.Status },
	// Annotations carry rollback requests and change-cause records: like
	// apps/v1, a change to them is a new generation.
	GenerationChanged: func(newObj, oldObj *experimental.Deployment) bool {
		return !apiequality.Semantic.DeepEqual(newObj.Annotations, oldObj.Annotations)
	},

	Validate:             validation.ValidateDeployment,
	ValidateUpdate:       validation.ValidateDeploymentUpdate,
	ValidateStatusUpdate: validation.ValidateDeploymentStatusUpdate,
	Warnings:             validation.WarningsForDeployment,
}

var (
	_ registryutil.Strategy       = Strategy{}
	_ registryutil.StatusStrategy = StatusStrategy{}
)

// SelectableFields returns the fields a field selector may match beyond
// metadata.name and metadata.namespace.
func SelectableFields(obj *experimental.Deployment) fields.Set {
	return fields.Set{
		"spec.paused": registryutil.BoolField(&obj.Spec.Paused),
	}
}
