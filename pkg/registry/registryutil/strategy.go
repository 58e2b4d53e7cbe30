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

// Package registryutil holds the pieces every experimental resource's
// registry shares: the common strategy behaviour, the main and status stores,
// and the scale subresource.
package registryutil

import (
	"context"
	"fmt"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/names"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// BaseStrategy carries the behaviour all experimental workload kinds share:
// they are namespaced, never created by an update, may be updated without a
// resourceVersion precondition, and delete their dependents in the
// background by default, as apps/v1 and batch/v1 do.
type BaseStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
}

// NewBaseStrategy returns a BaseStrategy using typer and generating names
// with a random suffix.
func NewBaseStrategy(typer runtime.ObjectTyper) BaseStrategy {
	return BaseStrategy{ObjectTyper: typer, NameGenerator: names.SimpleNameGenerator}
}

// NamespaceScoped returns true: every experimental workload lives in a namespace.
func (BaseStrategy) NamespaceScoped() bool { return true }

// AllowCreateOnUpdate returns false: PUT of a missing object is NotFound.
func (BaseStrategy) AllowCreateOnUpdate(context.Context) bool { return false }

// AllowUnconditionalUpdate returns true: updates without a resourceVersion
// are accepted, as for the built-in workload kinds.
func (BaseStrategy) AllowUnconditionalUpdate(context.Context) bool { return true }

// Canonicalize normalizes nothing.
func (BaseStrategy) Canonicalize(runtime.Object) {}

// DefaultGarbageCollectionPolicy returns DeleteDependents, so a delete
// without a propagationPolicy removes the object's pods (or ReplicaSets, or
// Jobs) in the background.
func (BaseStrategy) DefaultGarbageCollectionPolicy(context.Context) rest.GarbageCollectionPolicy {
	return rest.DeleteDependents
}

var _ rest.GarbageCollectionDeleteStrategy = BaseStrategy{}

// ResetFields returns the reset-fields map for the served version: the
// paths a server-side apply on this endpoint may not own.
func ResetFields(paths ...string) map[fieldpath.APIVersion]*fieldpath.Set {
	set := fieldpath.NewSet()
	for _, p := range paths {
		set.Insert(fieldpath.MakePathOrDie(splitPath(p)...))
	}
	return map[fieldpath.APIVersion]*fieldpath.Set{
		fieldpath.APIVersion(v1alpha1.SchemeGroupVersion.String()): set,
	}
}

func splitPath(p string) []interface{} {
	var parts []interface{}
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '.' {
			parts = append(parts, p[start:i])
			start = i + 1
		}
	}
	return parts
}

// FieldsFunc returns the extra selectable fields of one object.
type FieldsFunc[T runtime.Object] func(obj T) fields.Set

// AttrFunc returns the storage.AttrFunc for a kind: its labels and its
// selectable fields, metadata.name and metadata.namespace included.
func AttrFunc[T runtime.Object](extra FieldsFunc[T]) storage.AttrFunc {
	return func(obj runtime.Object) (labels.Set, fields.Set, error) {
		typed, ok := obj.(T)
		if !ok {
			return nil, nil, fmt.Errorf("unexpected object type %T", obj)
		}
		accessor, ok := obj.(metav1.Object)
		if !ok {
			return nil, nil, fmt.Errorf("object %T has no metadata", obj)
		}
		// Only the name and namespace of the metadata are selectable.
		meta := &metav1.ObjectMeta{Name: accessor.GetName(), Namespace: accessor.GetNamespace()}
		set := generic.ObjectMetaFieldsSet(meta, true)
		if extra != nil {
			set = generic.MergeFieldsSets(set, extra(typed))
		}
		return labels.Set(accessor.GetLabels()), set, nil
	}
}

// BoolField formats an optional boolean for a field selector; unset is "false".
func BoolField(b *bool) string { return strconv.FormatBool(b != nil && *b) }

// Int32Field formats a count for a field selector.
func Int32Field(n int32) string { return strconv.FormatInt(int64(n), 10) }
