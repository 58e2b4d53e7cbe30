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

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/klog/v2"
)

// WithPatchInputErrors wraps the UpdatedObjectInfo of a PATCH request so
// that failing to apply the patch is answered 400 Bad Request.
//
// For a PATCH, UpdatedObject applies the request's patch to the stored
// object. k8s.io/apiserver turns some patch errors into 4xx but returns
// others as plain errors, answered 500: a strategic merge patch with an
// unknown $patch directive, a delete directive without the merge key or a
// malformed $setElementOrder list, and a server-side apply configuration
// whose fields have the wrong type ("spec: 5", "replicas: abc"). All of
// them come from the patch the client sent. Errors that already carry an
// HTTP status (conflicts, admission, validation) and errors of a request
// that was cancelled pass through unchanged.
func WithPatchInputErrors(ctx context.Context, objInfo rest.UpdatedObjectInfo) rest.UpdatedObjectInfo {
	if info, ok := genericapirequest.RequestInfoFrom(ctx); !ok || info.Verb != "patch" {
		return objInfo
	}
	return patchInputErrors{objInfo}
}

type patchInputErrors struct {
	rest.UpdatedObjectInfo
}

// UpdatedObject implements rest.UpdatedObjectInfo.
func (p patchInputErrors) UpdatedObject(ctx context.Context, oldObj runtime.Object) (runtime.Object, error) {
	obj, err := p.UpdatedObjectInfo.UpdatedObject(ctx, oldObj)
	if err == nil || ctx.Err() != nil {
		return obj, err
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return obj, err
	}
	patchType, _ := PatchTypeFrom(ctx)
	klog.FromContext(ctx).V(3).Info("Answering 400 to a patch that cannot be applied", "patchType", patchType, "err", err)
	var msg string
	switch patchType {
	case types.StrategicMergePatchType:
		msg = fmt.Sprintf("invalid strategic merge patch: %v (check its $patch, $setElementOrder/<list>, $retainKeys and "+
			"$deleteFromPrimitiveList/<list> directives, and that every list element it deletes names its merge key)", err)
	case types.ApplyYAMLPatchType, types.ApplyCBORPatchType:
		msg = fmt.Sprintf("invalid apply configuration: %v", err)
	default:
		msg = fmt.Sprintf("the patch cannot be applied: %v", err)
	}
	return nil, apierrors.NewBadRequest(msg)
}

type patchTypeKey struct{}

// WithPatchType returns ctx recording the patch type of a PATCH request,
// for the error messages of WithPatchInputErrors.
func WithPatchType(ctx context.Context, patchType types.PatchType) context.Context {
	return context.WithValue(ctx, patchTypeKey{}, patchType)
}

// PatchTypeFrom returns the patch type WithPatchType recorded.
func PatchTypeFrom(ctx context.Context) (types.PatchType, bool) {
	pt, ok := ctx.Value(patchTypeKey{}).(types.PatchType)
	return pt, ok
}
