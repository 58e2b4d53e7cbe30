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
	"strings"
	"testing"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

func TestStorageErrorTranslation(t *testing.T) {
	s := clientErrorsStorage{resource: experimental.Resource("jobs")}
	testCases := []struct {
		desc     string
		err      error
		write    bool
		wantCode int32 // 0: the error passes through unchanged
	}{
		{desc: "etcd refuses a too large request", err: rpctypes.ErrRequestTooLarge, write: true, wantCode: 413},
		{desc: "etcd refuses a too large request, wrapped", err: fmt.Errorf("txn: %w", rpctypes.ErrGRPCRequestTooLarge), write: true, wantCode: 413},
		{desc: "the client refuses to send a too large message", err: status.Error(codes.ResourceExhausted, "trying to send message larger than max"), write: true, wantCode: 413},
		{desc: "another etcd error on write", err: rpctypes.ErrTimeout, write: true},
		{desc: "another gRPC error on write", err: status.Error(codes.Unavailable, "down"), write: true},
		{desc: "invalid resourceVersion on read", err: storage.NewInvalidError(field.ErrorList{field.Invalid(field.NewPath("resourceVersion"), "abc", "not a number")}), wantCode: 400},
		{desc: "another error on read", err: errors.New("boom")},
	}
	for _, tc := range testCases {
		t.Run(tc.desc, func(t *testing.T) {
			var got error
			if tc.write {
				got = s.writeError(tc.err)
			} else {
				got = readError(tc.err)
			}
			if tc.wantCode == 0 {
				if got != tc.err {
					t.Fatalf("error %v was changed into %v", tc.err, got)
				}
				return
			}
			var status apierrors.APIStatus
			if !errors.As(got, &status) || status.Status().Code != tc.wantCode {
				t.Fatalf("error %v became %v, want HTTP %d", tc.err, got, tc.wantCode)
			}
		})
	}
}

// fakeObjInfo returns err from UpdatedObject.
type fakeObjInfo struct {
	rest.UpdatedObjectInfo
	err error
}

func (f fakeObjInfo) UpdatedObject(context.Context, runtime.Object) (runtime.Object, error) {
	return nil, f.err
}

func TestWithPatchInputErrors(t *testing.T) {
	conflict := apierrors.NewConflict(schema.GroupResource{Group: "experimental", Resource: "jobs"}, "x", errors.New("changed"))
	patchErr := errors.New("unknown patch type: explode in map: map[$patch:explode]")
	testCases := []struct {
		desc        string
		verb        string
		patchType   types.PatchType
		err         error
		wantCode    int32 // 0: unchanged
		wantMessage string
	}{
		{desc: "strategic merge patch error", verb: "patch", patchType: types.StrategicMergePatchType, err: patchErr, wantCode: 400, wantMessage: "invalid strategic merge patch: unknown patch type: explode"},
		{desc: "apply error", verb: "patch", patchType: types.ApplyYAMLPatchType, err: errors.New(".spec: expected map, got &{5}"), wantCode: 400, wantMessage: "invalid apply configuration: .spec: expected map"},
		{desc: "patch error of unknown type", verb: "patch", err: patchErr, wantCode: 400, wantMessage: "the patch cannot be applied"},
		{desc: "errors with a status pass", verb: "patch", patchType: types.StrategicMergePatchType, err: conflict},
		{desc: "errors of an update pass", verb: "update", err: patchErr},
	}
	for _, tc := range testCases {
		t.Run(tc.desc, func(t *testing.T) {
			ctx := genericapirequest.WithRequestInfo(context.Background(), &genericapirequest.RequestInfo{Verb: tc.verb})
			if tc.patchType != "" {
				ctx = WithPatchType(ctx, tc.patchType)
			}
			_, got := WithPatchInputErrors(ctx, fakeObjInfo{err: tc.err}).UpdatedObject(ctx, nil)
			if tc.wantCode == 0 {
				if got != tc.err {
					t.Fatalf("error %v was changed into %v", tc.err, got)
				}
				return
			}
			var status apierrors.APIStatus
			if !errors.As(got, &status) || status.Status().Code != tc.wantCode || !strings.Contains(status.Status().Message, tc.wantMessage) {
				t.Fatalf("error %v became %v, want HTTP %d with %q", tc.err, got, tc.wantCode, tc.wantMessage)
			}
		})
	}
}
