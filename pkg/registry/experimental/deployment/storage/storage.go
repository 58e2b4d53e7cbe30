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

// Package storage wires Deployments and their status, scale, rollback and
// promote subresources to etcd.
package storage

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/validation"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/experimental/deployment"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/experimental/printers"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registryutil"
)

// DeploymentStorage holds the endpoints of deployments.
type DeploymentStorage struct {
	Deployment *registryutil.REST
	Status     *registryutil.StatusREST
	Scale      *registryutil.ScaleREST
	Rollback   *RollbackREST
	Promote    *PromoteREST
}

// NewStorage returns the Deployment endpoints backed by optsGetter's storage.
func NewStorage(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter) (DeploymentStorage, error) {
	strategy, statusStrategy := deployment.NewStrategies(scheme)
	main, status, err := registryutil.NewStores(registryutil.StoreConfig{
		Resource:       "deployments",
		Singular:       "deployment",
		ShortNames:     []string{"xdeploy"},
		Categories:     []string{"all", "experimental"},
		NewFunc:        func() runtime.Object { return &experimental.Deployment{} },
		NewListFunc:    func() runtime.Object { return &experimental.DeploymentList{} },
		Strategy:       strategy,
		StatusStrategy: statusStrategy,
		TableConvertor: printers.NewDeploymentTableConvertor(),
		AttrFunc:       registryutil.AttrFunc(deployment.SelectableFields),
	}, optsGetter)
	if err != nil {
		return DeploymentStorage{}, err
	}
	return DeploymentStorage{
		Deployment: main,
		Status:     status,
		Scale:      registryutil.NewScaleREST(main.Store, scaleAccessor),
		Rollback:   &RollbackREST{store: main.Store},
		Promote:    &PromoteREST{status: status, clock: clock.RealClock{}},
	}, nil
}

var scaleAccessor = registryutil.ScaleAccessor{
	Kind:            "Deployment",
	Meta:            func(obj runtime.Object) *metav1.ObjectMeta { return &obj.(*experimental.Deployment).ObjectMeta },
	SpecReplicas:    func(obj runtime.Object) int32 { return ptr.Deref(obj.(*experimental.Deployment).Spec.Replicas, 1) },
	SetSpecReplicas: func(obj runtime.Object, n int32) { obj.(*experimental.Deployment).Spec.Replicas = &n },
	StatusReplicas:  func(obj runtime.Object) int32 { return obj.(*experimental.Deployment).Status.Replicas },
	Selector:        func(obj runtime.Object) *metav1.LabelSelector { return obj.(*experimental.Deployment).Spec.Selector },
}

// RollbackREST serves deployments/rollback: it records the requested
// revision on the Deployment for the deployment controller to act on.
type RollbackREST struct {
	store *genericregistry.Store
}

var (
	_ rest.NamedCreater                   = &RollbackREST{}
	_ rest.SubresourceObjectMetaPreserver = &RollbackREST{}
)

// New implements rest.Storage.
func (r *RollbackREST) New() runtime.Object { return &experimental.DeploymentRollback{} }

// Destroy implements rest.Storage. The main store owns the storage.
func (r *RollbackREST) Destroy() {}

// PreserveRequestObjectMetaSystemFieldsOnSubresourceCreate implements
// rest.SubresourceObjectMetaPreserver: a DeploymentRollback has no metadata.
func (r *RollbackREST) PreserveRequestObjectMetaSystemFieldsOnSubresourceCreate() bool { return true }

// Create implements rest.NamedCreater.
func (r *RollbackREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	rollback, ok := obj.(*experimental.DeploymentRollback)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a DeploymentRollback: %T", obj))
	}
	if errs := validation.ValidateDeploymentRollback(rollback); len(errs) > 0 {
		return nil, apierrors.NewInvalid(experimental.Kind("DeploymentRollback"), rollback.Name, errs)
	}
	if name != rollback.Name {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("name in URL (%q) does not match name in DeploymentRollback (%q)", name, rollback.Name))
	}
	if createValidation != nil {
		if err := createValidation(ctx, rollback.DeepCopyObject()); err != nil {
			return nil, err
		}
	}

	record := func(_ context.Context, _, oldObj runtime.Object) (runtime.Object, error) {
		d := oldObj.(*experimental.Deployment).DeepCopy()
		if d.DeletionTimestamp != nil {
			return nil, apierrors.NewConflict(experimental.Resource("deployments"), name, fmt.Errorf("deployment %q is being deleted", name))
		}
		if len(rollback.UpdatedAnnotations) > 0 && d.Annotations == nil {
			d.Annotations = map[string]string{}
		}
		for k, v := range rollback.UpdatedAnnotations {
			d.Annotations[k] = v
		}
		to := rollback.RollbackTo
		d.Spec.RollbackTo = &to
		return d, nil
	}
	updateOptions := &metav1.UpdateOptions{DryRun: options.DryRun, FieldManager: options.FieldManager}
	if _, _, err := r.store.Update(ctx, name, rest.DefaultUpdatedObjectInfo(nil, record),
		rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, updateOptions); err != nil {
		return nil, err
	}
	return &metav1.Status{
		Status:  metav1.StatusSuccess,
		Message: fmt.Sprintf("rollback request for deployment %q succeeded", name),
		Code:    200,
	}, nil
}
