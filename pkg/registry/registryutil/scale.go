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
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
)

// ScaleAccessor reads and writes the replica fields of a scalable kind.
type ScaleAccessor struct {
	// Kind names the parent kind in error messages, e.g. "Deployment".
	Kind string
	// Meta returns the parent's metadata.
	Meta func(obj runtime.Object) *metav1.ObjectMeta
	// SpecReplicas returns the desired replicas.
	SpecReplicas func(obj runtime.Object) int32
	// SetSpecReplicas sets the desired replicas.
	SetSpecReplicas func(obj runtime.Object, replicas int32)
	// StatusReplicas returns the observed replicas.
	StatusReplicas func(obj runtime.Object) int32
	// Selector returns the pod selector.
	Selector func(obj runtime.Object) *metav1.LabelSelector
}

// ScaleREST serves the scale subresource as autoscaling/v1 Scale, the form
// kubectl scale and horizontal pod autoscalers expect.
type ScaleREST struct {
	store    *genericregistry.Store
	accessor ScaleAccessor
}

// NewScaleREST returns the scale endpoint for the parent store.
func NewScaleREST(store *genericregistry.Store, accessor ScaleAccessor) *ScaleREST {
	return &ScaleREST{store: store, accessor: accessor}
}

var (
	_ rest.Patcher                  = &ScaleREST{}
	_ rest.GroupVersionKindProvider = &ScaleREST{}
)

// GroupVersionKind implements rest.GroupVersionKindProvider: the endpoint
// speaks autoscaling/v1 whatever the parent's version.
func (r *ScaleREST) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind {
	return autoscalingv1.SchemeGroupVersion.WithKind("Scale")
}

// New implements rest.Storage.
func (r *ScaleREST) New() runtime.Object { return &autoscalingv1.Scale{} }

// Destroy implements rest.Storage. The main store owns the storage.
func (r *ScaleREST) Destroy() {}

// Get implements rest.Getter.
func (r *ScaleREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	obj, err := r.store.Get(ctx, name, options)
	if err != nil {
		return nil, err
	}
	return r.scaleOf(obj)
}

// Update implements rest.Updater. It changes only the parent's desired
// replicas and never creates the parent.
func (r *ScaleREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	obj, _, err := r.store.Update(ctx, name,
		&scaleUpdatedObjectInfo{name: name, reqObjInfo: WithPatchInputErrors(ctx, objInfo), rest: r},
		r.toScaleCreateValidation(createValidation),
		r.toScaleUpdateValidation(updateValidation),
		false, options)
	if err != nil {
		return nil, false, err
	}
	scale, err := r.scaleOf(obj)
	if err != nil {
		return nil, false, err
	}
	return scale, false, nil
}

// ConvertToTable implements rest.TableConvertor with the default columns.
func (r *ScaleREST) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return rest.NewDefaultTableConvertor(r.store.DefaultQualifiedResource).ConvertToTable(ctx, object, tableOptions)
}

func (r *ScaleREST) scaleOf(obj runtime.Object) (*autoscalingv1.Scale, error) {
	meta := r.accessor.Meta(obj)
	selector, err := metav1.LabelSelectorAsSelector(r.accessor.Selector(obj))
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("invalid selector on %s %s/%s: %w", r.accessor.Kind, meta.Namespace, meta.Name, err))
	}
	return &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{
			Name:              meta.Name,
			Namespace:         meta.Namespace,
			UID:               meta.UID,
			ResourceVersion:   meta.ResourceVersion,
			CreationTimestamp: meta.CreationTimestamp,
		},
		Spec:   autoscalingv1.ScaleSpec{Replicas: r.accessor.SpecReplicas(obj)},
		Status: autoscalingv1.ScaleStatus{Replicas: r.accessor.StatusReplicas(obj), Selector: selector.String()},
	}, nil
}

func (r *ScaleREST) toScaleCreateValidation(f rest.ValidateObjectFunc) rest.ValidateObjectFunc {
	return func(ctx context.Context, obj runtime.Object) error {
		scale, err := r.scaleOf(obj)
		if err != nil {
			return err
		}
		return f(ctx, scale)
	}
}

func (r *ScaleREST) toScaleUpdateValidation(f rest.ValidateObjectUpdateFunc) rest.ValidateObjectUpdateFunc {
	return func(ctx context.Context, obj, old runtime.Object) error {
		newScale, err := r.scaleOf(obj)
		if err != nil {
			return err
		}
		oldScale, err := r.scaleOf(old)
		if err != nil {
			return err
		}
		return f(ctx, newScale, oldScale)
	}
}

// scaleUpdatedObjectInfo turns the Scale a client sent into the updated parent.
type scaleUpdatedObjectInfo struct {
	name       string
	reqObjInfo rest.UpdatedObjectInfo
	rest       *ScaleREST
}

func (i *scaleUpdatedObjectInfo) Preconditions() *metav1.Preconditions {
	return i.reqObjInfo.Preconditions()
}

func (i *scaleUpdatedObjectInfo) UpdatedObject(ctx context.Context, oldObj runtime.Object) (runtime.Object, error) {
	parent := oldObj.DeepCopyObject()
	if parent == nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("nil update passed to Scale of %s", i.rest.accessor.Kind))
	}
	oldScale, err := i.rest.scaleOf(parent)
	if err != nil {
		return nil, err
	}
	obj, err := i.reqObjInfo.UpdatedObject(ctx, oldScale)
	if err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, apierrors.NewBadRequest("nil update passed to Scale")
	}
	scale, ok := obj.(*autoscalingv1.Scale)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("expected input object type to be Scale, but %T", obj))
	}
	if errs := validateScale(scale); len(errs) > 0 {
		return nil, apierrors.NewInvalid(autoscalingv1.SchemeGroupVersion.WithKind("Scale").GroupKind(), scale.Name, errs)
	}
	meta := i.rest.accessor.Meta(parent)
	if scale.Name != "" && scale.Name != i.name {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the name of the Scale (%q) does not match the name of the %s (%q)", scale.Name, i.rest.accessor.Kind, i.name))
	}
	// A resourceVersion on the Scale is a precondition on the parent.
	if scale.ResourceVersion != "" {
		meta.ResourceVersion = scale.ResourceVersion
	}
	i.rest.accessor.SetSpecReplicas(parent, scale.Spec.Replicas)
	return parent, nil
}

func validateScale(scale *autoscalingv1.Scale) field.ErrorList {
	allErrs := field.ErrorList{}
	if scale.Spec.Replicas < 0 {
		allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "replicas"), scale.Spec.Replicas, "must be greater than or equal to 0"))
	}
	return allErrs
}
