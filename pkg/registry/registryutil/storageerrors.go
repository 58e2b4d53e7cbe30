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
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/apiserver/pkg/storage/storagebackend/factory"
	"k8s.io/client-go/tools/cache"
)

// WithClientErrors returns a RESTOptionsGetter whose storage answers errors
// caused by the request, which k8s.io/apiserver would answer with 500, as
// the 4xx they are:
//
//   - a resourceVersion that is not one (get, list and watch) is 400 Bad
//     Request; the generic registry interprets storage.InvalidError only on
//     writes;
//   - an object that etcd refuses as too large (etcd's "request is too
//     large", or gRPC ResourceExhausted when it exceeds the client's send
//     limit) is 413 Request Entity Too Large.
func WithClientErrors(getter generic.RESTOptionsGetter) generic.RESTOptionsGetter {
	return clientErrorsGetter{getter}
}

type clientErrorsGetter struct {
	generic.RESTOptionsGetter
}

// GetRESTOptions implements generic.RESTOptionsGetter.
func (g clientErrorsGetter) GetRESTOptions(resource schema.GroupResource, example runtime.Object) (generic.RESTOptions, error) {
	opts, err := g.RESTOptionsGetter.GetRESTOptions(resource, example)
	if err != nil {
		return opts, err
	}
	decorate := opts.Decorator
	opts.Decorator = func(config *storagebackend.ConfigForResource, resourcePrefix string, keyFunc func(obj runtime.Object) (string, error),
		newFunc, newListFunc func() runtime.Object, getAttrs storage.AttrFunc, trigger storage.IndexerFuncs, indexers *cache.Indexers,
	) (storage.Interface, factory.DestroyFunc, error) {
		s, destroy, err := decorate(config, resourcePrefix, keyFunc, newFunc, newListFunc, getAttrs, trigger, indexers)
		if err != nil {
			return nil, nil, err
		}
		return clientErrorsStorage{Interface: s, resource: resource}, destroy, nil
	}
	return opts, nil
}

// clientErrorsStorage translates the errors of the storage it embeds.
type clientErrorsStorage struct {
	storage.Interface
	resource schema.GroupResource
}

// Create implements storage.Interface.
func (s clientErrorsStorage) Create(ctx context.Context, key string, obj, out runtime.Object, ttl uint64) error {
	return s.writeError(s.Interface.Create(ctx, key, obj, out, ttl))
}

// GuaranteedUpdate implements storage.Interface.
func (s clientErrorsStorage) GuaranteedUpdate(ctx context.Context, key string, destination runtime.Object, ignoreNotFound bool,
	preconditions *storage.Preconditions, tryUpdate storage.UpdateFunc, cachedExistingObject runtime.Object) error {
	return s.writeError(s.Interface.GuaranteedUpdate(ctx, key, destination, ignoreNotFound, preconditions, tryUpdate, cachedExistingObject))
}

// Get implements storage.Interface.
func (s clientErrorsStorage) Get(ctx context.Context, key string, opts storage.GetOptions, objPtr runtime.Object) error {
	return readError(s.Interface.Get(ctx, key, opts, objPtr))
}

// GetList implements storage.Interface.
func (s clientErrorsStorage) GetList(ctx context.Context, key string, opts storage.ListOptions, listObj runtime.Object) error {
	return readError(s.Interface.GetList(ctx, key, opts, listObj))
}

// Watch implements storage.Interface.
func (s clientErrorsStorage) Watch(ctx context.Context, key string, opts storage.ListOptions) (watch.Interface, error) {
	w, err := s.Interface.Watch(ctx, key, opts)
	return w, readError(err)
}

// readError turns an invalid read request (such as resourceVersion=abc)
// into 400 Bad Request naming the parameter.
func readError(err error) error {
	if err != nil && storage.IsInvalidError(err) {
		return apierrors.NewBadRequest(err.Error())
	}
	return err
}

// writeError turns etcd's refusal of a too large object into 413.
func (s clientErrorsStorage) writeError(err error) error {
	if err == nil || !isTooLargeForEtcd(err) {
		return err
	}
	return apierrors.NewRequestEntityTooLargeError(fmt.Sprintf(
		"the encoded %s is larger than etcd accepts (%v); make the object smaller", s.resource.String(), err))
}

// isTooLargeForEtcd reports whether etcd, or the etcd client before
// sending, refused a request for its size.
func isTooLargeForEtcd(err error) bool {
	if errors.Is(err, rpctypes.ErrRequestTooLarge) || errors.Is(err, rpctypes.ErrGRPCRequestTooLarge) {
		return true
	}
	var grpcErr interface{ GRPCStatus() *status.Status }
	return errors.As(err, &grpcErr) && grpcErr.GRPCStatus().Code() == codes.ResourceExhausted
}
