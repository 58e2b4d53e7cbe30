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

// Package cronjob holds the strategies that store experimental CronJobs.
package cronjob

import (
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/validation"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registryutil"
)

// Strategy is the create, update and delete strategy of CronJobs.
type Strategy = registryutil.WorkloadStrategy[*experimental.CronJob, experimental.CronJobSpec, experimental.CronJobStatus]

// StatusStrategy is the update strategy of the cronjobs/status subresource.
type StatusStrategy = registryutil.WorkloadStatusStrategy[*experimental.CronJob, experimental.CronJobSpec, experimental.CronJobStatus]

// NewStrategies returns the main and status strategies for typer's scheme.
func NewStrategies(typer runtime.ObjectTyper) (Strategy, StatusStrategy) {
	return registryutil.NewWorkloadStrategies(typer, funcs)
}

var funcs = registryutil.KindFuncs[*experimental.CronJob, experimental.CronJobSpec, experimental.CronJobStatus]{
	Spec:   func(obj *experimental.CronJob) *experimental.CronJobSpec { return &obj.Spec },
	Status: func(obj *experimental.CronJob) *experimental.CronJobStatus { return &obj.Status },

	Validate:             validation.ValidateCronJob,
	ValidateUpdate:       validation.ValidateCronJobUpdate,
	ValidateStatusUpdate: validation.ValidateCronJobStatusUpdate,
	Warnings:             validation.WarningsForCronJob,
}

var (
	_ registryutil.Strategy       = Strategy{}
	_ registryutil.StatusStrategy = StatusStrategy{}
)

// SelectableFields returns the fields a field selector may match beyond
// metadata.name and metadata.namespace.
func SelectableFields(obj *experimental.CronJob) fields.Set {
	return fields.Set{
		"spec.suspend":  registryutil.BoolField(obj.Spec.Suspend),
		"spec.schedule": obj.Spec.Schedule,
	}
}
