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

package registryutil

import (
	"context"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// Object is an experimental kind: a runtime.Object with object metadata.
type Object interface {
	runtime.Object
	metav1.Object
}

// KindFuncs describes one kind to the shared strategies. Spec and Status
// return pointers into the object so the strategies can compare, clear and
// restore them without knowing the concrete type.
type KindFuncs[T Object, Spec any, Status any] struct {
	Spec   func(T) *Spec
	Status func(T) *Status

	// PrepareForCreate, when set, runs after the status was cleared, e.g. to
	// generate a Job's selector.
	PrepareForCreate func(T)
	// GenerationChanged, when set, reports extra changes that bump the
	// generation besides the spec, e.g. a Deployment's annotations.
	GenerationChanged func(newObj, oldObj T) bool

	Validate             func(T) field.ErrorList
	ValidateUpdate       func(newObj, oldObj T) field.ErrorList
	ValidateStatusUpdate func(newObj, oldObj T) field.ErrorList
	// Warnings, when set, returns warnings for a created object or an update
	// that changed the spec.
	Warnings func(T) []string
}

// WorkloadStrategy is the main strategy of a kind: status is set only
// through the status subresource, the generation starts at 1 and moves on
// every spec change, as for the built-in workload kinds.
type WorkloadStrategy[T Object, Spec any, Status any] struct {
	BaseStrategy
	funcs KindFuncs[T, Spec, Status]
}

// WorkloadStatusStrategy is the strategy of the status subresource: only the
// status changes; spec and labels stay as stored.
type WorkloadStatusStrategy[T Object, Spec any, Status any] struct {
	WorkloadStrategy[T, Spec, Status]
}

// NewWorkloadStrategies returns the main and status strategies of a kind.
func NewWorkloadStrategies[T Object, Spec any, Status any](typer runtime.ObjectTyper, funcs KindFuncs[T, Spec, Status]) (WorkloadStrategy[T, Spec, Status], WorkloadStatusStrategy[T, Spec, Status]) {
	s := WorkloadStrategy[T, Spec, Status]{BaseStrategy: NewBaseStrategy(typer), funcs: funcs}
	return s, WorkloadStatusStrategy[T, Spec, Status]{s}
}

// GetResetFields returns the fields a write to the main endpoint never sets.
func (WorkloadStrategy[T, Spec, Status]) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return ResetFields("status")
}

// PrepareForCreate clears the status and starts the generation at 1.
func (s WorkloadStrategy[T, Spec, Status]) PrepareForCreate(_ context.Context, obj runtime.Object) {
	o := obj.(T)
	var empty Status
	*s.funcs.Status(o) = empty
	o.SetGeneration(1)
	if s.funcs.PrepareForCreate != nil {
		s.funcs.PrepareForCreate(o)
	}
}

// PrepareForUpdate keeps the stored status and bumps the generation when the
// spec changed.
func (s WorkloadStrategy[T, Spec, Status]) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	newO, oldO := obj.(T), old.(T)
	*s.funcs.Status(newO) = *s.funcs.Status(oldO)
	changed := !apiequality.Semantic.DeepEqual(s.funcs.Spec(newO), s.funcs.Spec(oldO))
	if !changed && s.funcs.GenerationChanged != nil {
		changed = s.funcs.GenerationChanged(newO, oldO)
	}
	newO.SetGeneration(oldO.GetGeneration())
	if changed {
		newO.SetGeneration(oldO.GetGeneration() + 1)
	}
}

// Validate validates a new object.
func (s WorkloadStrategy[T, Spec, Status]) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return s.funcs.Validate(obj.(T))
}

// WarningsOnCreate returns warnings for a new object.
func (s WorkloadStrategy[T, Spec, Status]) WarningsOnCreate(_ context.Context, obj runtime.Object) []string {
	if s.funcs.Warnings == nil {
		return nil
	}
	return s.funcs.Warnings(obj.(T))
}

// ValidateUpdate validates an update of the object.
func (s WorkloadStrategy[T, Spec, Status]) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return s.funcs.ValidateUpdate(obj.(T), old.(T))
}

// WarningsOnUpdate returns warnings for an update that changed the spec.
func (s WorkloadStrategy[T, Spec, Status]) WarningsOnUpdate(_ context.Context, obj, old runtime.Object) []string {
	newO, oldO := obj.(T), old.(T)
	if s.funcs.Warnings == nil || newO.GetGeneration() == oldO.GetGeneration() {
		return nil
	}
	return s.funcs.Warnings(newO)
}

// GetResetFields returns the fields a write to the status endpoint never sets.
func (WorkloadStatusStrategy[T, Spec, Status]) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return ResetFields("spec", "metadata.labels")
}

// PrepareForUpdate keeps the spec and labels as stored.
func (s WorkloadStatusStrategy[T, Spec, Status]) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	newO, oldO := obj.(T), old.(T)
	*s.funcs.Spec(newO) = *s.funcs.Spec(oldO)
	newO.SetLabels(oldO.GetLabels())
}

// ValidateUpdate validates a status update.
func (s WorkloadStatusStrategy[T, Spec, Status]) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return s.funcs.ValidateStatusUpdate(obj.(T), old.(T))
}

// WarningsOnUpdate returns no warnings for status updates.
func (WorkloadStatusStrategy[T, Spec, Status]) WarningsOnUpdate(context.Context, runtime.Object, runtime.Object) []string {
	return nil
}
