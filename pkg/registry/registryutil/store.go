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

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

// Strategy is what a kind's main strategy implements.
type Strategy interface {
	rest.RESTCreateStrategy
	rest.RESTUpdateStrategy
	rest.RESTDeleteStrategy
	rest.ResetFieldsStrategy
}

// StatusStrategy is what a kind's status strategy implements.
type StatusStrategy interface {
	rest.RESTUpdateStrategy
	rest.ResetFieldsStrategy
}

// StoreConfig describes one experimental resource.
type StoreConfig struct {
	// Resource is the plural resource name, e.g. "deployments".
	Resource string
	// Singular is the singular resource name, e.g. "deployment".
	Singular string
	// ShortNames and Categories are published in discovery.
	ShortNames []string
	Categories []string

	NewFunc        func() runtime.Object
	NewListFunc    func() runtime.Object
	Strategy       Strategy
	StatusStrategy StatusStrategy
	TableConvertor rest.TableConvertor
	AttrFunc       storage.AttrFunc
}

// REST is the main endpoint of an experimental resource.
type REST struct {
	*genericregistry.Store
	shortNames []string
	categories []string
}

var (
	_ rest.ShortNamesProvider = &REST{}
	_ rest.CategoriesProvider = &REST{}
)

// ShortNames implements rest.ShortNamesProvider.
func (r *REST) ShortNames() []string { return r.shortNames }

// Categories implements rest.CategoriesProvider.
func (r *REST) Categories() []string { return r.categories }

// Update implements rest.Updater: the store's, with errors applying a
// PATCH answered 400 (see WithPatchInputErrors).
func (r *REST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.Store.Update(ctx, name, WithPatchInputErrors(ctx, objInfo), createValidation, updateValidation, forceAllowCreate, options)
}

// StatusREST is the status subresource endpoint: it reads the whole object
// and writes only its status.
type StatusREST struct {
	store *genericregistry.Store
}

var (
	_ rest.Getter              = &StatusREST{}
	_ rest.Updater             = &StatusREST{}
	_ rest.Patcher             = &StatusREST{}
	_ rest.ResetFieldsStrategy = &StatusREST{}
	_ rest.TableConvertor      = &StatusREST{}
)

// New implements rest.Storage.
func (r *StatusREST) New() runtime.Object { return r.store.New() }

// Destroy implements rest.Storage. The main store owns the storage.
func (r *StatusREST) Destroy() {}

// Get implements rest.Getter.
func (r *StatusREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}

// Update implements rest.Updater. A subresource never creates its parent,
// so forceAllowCreate is ignored.
func (r *StatusREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.store.Update(ctx, name, WithPatchInputErrors(ctx, objInfo), createValidation, updateValidation, false, options)
}

// GetResetFields implements rest.ResetFieldsStrategy.
func (r *StatusREST) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return r.store.GetResetFields()
}

// ConvertToTable implements rest.TableConvertor.
func (r *StatusREST) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return r.store.ConvertToTable(ctx, object, tableOptions)
}

// NewStores builds the main and status endpoints of a resource on the
// storage optsGetter provides.
func NewStores(cfg StoreConfig, optsGetter generic.RESTOptionsGetter) (*REST, *StatusREST, error) {
	store := &genericregistry.Store{
		NewFunc:                   cfg.NewFunc,
		NewListFunc:               cfg.NewListFunc,
		DefaultQualifiedResource:  experimental.Resource(cfg.Resource),
		SingularQualifiedResource: experimental.Resource(cfg.Singular),

		CreateStrategy:      cfg.Strategy,
		UpdateStrategy:      cfg.Strategy,
		DeleteStrategy:      cfg.Strategy,
		ResetFieldsStrategy: cfg.Strategy,

		TableConvertor: cfg.TableConvertor,
	}
	options := &generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: cfg.AttrFunc}
	if err := store.CompleteWithOptions(options); err != nil {
		return nil, nil, err
	}

	statusStore := *store
	statusStore.UpdateStrategy = cfg.StatusStrategy
	statusStore.ResetFieldsStrategy = cfg.StatusStrategy

	return &REST{Store: store, shortNames: cfg.ShortNames, categories: cfg.Categories},
		&StatusREST{store: &statusStore}, nil
}
