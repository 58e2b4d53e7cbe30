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

package registrytest

import (
	"reflect"
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	genericregistrytest "k8s.io/apiserver/pkg/registry/generic/testing"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registryutil"
)

// Conformance describes one experimental resource for RunConformance: how to
// build its storage, a valid object, and the kind-specific cases of the
// shared tests.
type Conformance struct {
	// NewStorage returns the main and status endpoints of the resource on
	// a fresh etcd that stops when t ends. Every subtest calls it.
	NewStorage func(t *testing.T) (*registryutil.REST, *registryutil.StatusREST)
	// Valid returns a new object with a name, a namespace and labels that
	// passes validation without defaulting.
	Valid func() runtime.Object

	// InvalidCreates are objects a create must reject.
	InvalidCreates []runtime.Object
	// ValidUpdate changes Valid() in a way an update must accept.
	ValidUpdate genericregistrytest.UpdateFunc
	// InvalidUpdates change Valid() in ways an update must reject.
	InvalidUpdates []genericregistrytest.UpdateFunc

	// LabelsMatch and LabelsNoMatch are label sets a watch for Valid()
	// must and must not see it through.
	LabelsMatch, LabelsNoMatch []labels.Set
	// FieldsMatch and FieldsNoMatch are field sets a watch for Valid()
	// must and must not see it through, beyond metadata.name and
	// metadata.namespace, which every resource is tested on.
	FieldsMatch, FieldsNoMatch []fields.Set

	// ShortNames and Categories are what the resource publishes in
	// discovery.
	ShortNames, Categories []string

	// Status describes the status subresource.
	Status StatusConformance
}

// StatusConformance describes the status subresource of a resource for
// RunConformance.
type StatusConformance struct {
	// Change sets spec fields and a new, valid status on a created object.
	// RunConformance changes its labels too.
	Change func(obj runtime.Object)
	// Cleared reports whether a created object carries no status. When nil,
	// its status must equal the zero value.
	Cleared func(created runtime.Object) bool
	// Updated reports whether got, read back after the status update,
	// carries the status Change set. When nil, got's status must equal the
	// one sent.
	Updated func(got runtime.Object) bool
	// Invalid are status updates that must be refused.
	Invalid []InvalidStatus
}

// InvalidStatus is a status update the status subresource must refuse.
type InvalidStatus struct {
	// Desc completes "expected an error for ...", e.g. "a negative
	// status.replicas".
	Desc string
	// Mutate changes a stored object into the refused update.
	Mutate func(obj runtime.Object)
	// Refused reports whether err is the expected error. When nil, err must
	// be an Invalid error.
	Refused func(err error) bool
}

// RunConformance runs the tests every experimental resource's storage must
// pass, each as a subtest on its own etcd: create, update, delete, get, list
// and watch through the generic registry tester, the short names and
// categories in discovery, and the status subresource (create clears the
// status and sets generation 1; a status update changes only the status,
// and invalid status updates are refused).
func RunConformance(t *testing.T, c Conformance) {
	t.Helper()
	obj, err := meta.Accessor(c.Valid())
	if err != nil {
		t.Fatalf("Valid(): %v", err)
	}
	name, namespace := obj.GetName(), obj.GetNamespace()

	tester := func(t *testing.T) *genericregistrytest.Tester {
		main, _ := c.NewStorage(t)
		return genericregistrytest.New(t, main.Store)
	}

	t.Run("Create", func(t *testing.T) {
		tester(t).TestCreate(withoutObjectMeta(t, c.Valid()), c.InvalidCreates...)
	})
	t.Run("Update", func(t *testing.T) {
		tester(t).TestUpdate(c.Valid(), c.ValidUpdate, c.InvalidUpdates...)
	})
	t.Run("Delete", func(t *testing.T) {
		tester(t).TestDelete(c.Valid())
	})
	t.Run("Get", func(t *testing.T) {
		tester(t).TestGet(c.Valid())
	})
	t.Run("List", func(t *testing.T) {
		tester(t).TestList(c.Valid())
	})
	t.Run("Watch", func(t *testing.T) {
		fieldsMatch := append([]fields.Set{
			{"metadata.name": name},
			{"metadata.namespace": namespace},
		}, c.FieldsMatch...)
		fieldsNoMatch := append([]fields.Set{
			{"metadata.name": "bar"},
			{"name": name},
		}, c.FieldsNoMatch...)
		tester(t).TestWatch(c.Valid(), c.LabelsMatch, c.LabelsNoMatch, fieldsMatch, fieldsNoMatch)
	})
	t.Run("ShortNamesAndCategories", func(t *testing.T) {
		main, _ := c.NewStorage(t)
		ExpectShortNamesAndCategories(t, main, c.ShortNames, c.Categories)
	})
	t.Run("StatusUpdate", func(t *testing.T) {
		testStatusUpdate(t, c, name, namespace)
	})
}

func testStatusUpdate(t *testing.T, c Conformance, name, namespace string) {
	main, status := c.NewStorage(t)
	ctx := genericregistrytest.NewNamespaceScopeContext(main.Store, namespace)
	statusCtx := genericregistrytest.NewNamespaceScopeContext(main.Store, namespace, "status")
	s := c.Status

	obj, err := main.Create(ctx, c.Valid(), rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("unexpected error creating %s/%s: %v", namespace, name, err)
	}
	created := accessor(t, obj)
	if created.GetGeneration() != 1 {
		t.Errorf("generation after create: got %d, want 1", created.GetGeneration())
	}
	if s.Cleared != nil {
		if !s.Cleared(obj) {
			t.Errorf("create kept the status: %+v", field(t, obj, "Status"))
		}
	} else if st := field(t, obj, "Status"); !apiequality.Semantic.DeepEqual(st, reflect.Zero(reflect.TypeOf(st)).Interface()) {
		t.Errorf("create kept the status: %+v", st)
	}

	update := obj.DeepCopyObject()
	s.Change(update)
	accessor(t, update).SetLabels(map[string]string{"tier": "changed"})
	if _, _, err := status.Update(statusCtx, name, rest.DefaultUpdatedObjectInfo(update), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{}); err != nil {
		t.Fatalf("unexpected error updating status: %v", err)
	}

	gotObj, err := main.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	got := accessor(t, gotObj)
	if gotSpec, createdSpec := field(t, gotObj, "Spec"), field(t, obj, "Spec"); !apiequality.Semantic.DeepEqual(gotSpec, createdSpec) {
		t.Errorf("status update changed the spec: got %+v, want %+v", gotSpec, createdSpec)
	}
	if !apiequality.Semantic.DeepEqual(got.GetLabels(), created.GetLabels()) {
		t.Errorf("status update changed the labels: got %v, want %v", got.GetLabels(), created.GetLabels())
	}
	if s.Updated != nil {
		if !s.Updated(gotObj) {
			t.Errorf("status not updated: got %+v", field(t, gotObj, "Status"))
		}
	} else if gotStatus, wantStatus := field(t, gotObj, "Status"), field(t, update, "Status"); !apiequality.Semantic.DeepEqual(gotStatus, wantStatus) {
		t.Errorf("status not updated: got %+v, want %+v", gotStatus, wantStatus)
	}
	if got.GetGeneration() != created.GetGeneration() {
		t.Errorf("status update changed the generation: got %d, want %d", got.GetGeneration(), created.GetGeneration())
	}

	for _, invalid := range s.Invalid {
		refused := gotObj.DeepCopyObject()
		invalid.Mutate(refused)
		_, _, err := status.Update(statusCtx, name, rest.DefaultUpdatedObjectInfo(refused), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
		if invalid.Refused == nil {
			if !apierrors.IsInvalid(err) {
				t.Errorf("expected an Invalid error for %s, got %v", invalid.Desc, err)
			}
		} else if !invalid.Refused(err) {
			t.Errorf("expected an error for %s, got %v", invalid.Desc, err)
		}
	}
}

func accessor(t *testing.T, obj runtime.Object) metav1.Object {
	t.Helper()
	a, err := meta.Accessor(obj)
	if err != nil {
		t.Fatalf("%T: %v", obj, err)
	}
	return a
}

// field returns the value of the named field (Spec, Status) of an API
// object, which is a pointer to a struct.
func field(t *testing.T, obj runtime.Object, name string) any {
	t.Helper()
	v := reflect.ValueOf(obj).Elem().FieldByName(name)
	if !v.IsValid() {
		t.Fatalf("%T has no field %s", obj, name)
	}
	return v.Interface()
}

// withoutObjectMeta returns obj with an empty ObjectMeta, as a create
// through the generic tester wants it.
func withoutObjectMeta(t *testing.T, obj runtime.Object) runtime.Object {
	t.Helper()
	v := reflect.ValueOf(obj).Elem().FieldByName("ObjectMeta")
	if !v.IsValid() {
		t.Fatalf("%T has no ObjectMeta", obj)
	}
	v.Set(reflect.Zero(v.Type()))
	return obj
}
