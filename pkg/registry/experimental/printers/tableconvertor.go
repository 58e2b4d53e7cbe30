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

// Package printers turns experimental workload objects into metav1.Table
// values, so that `kubectl get` prints the same columns for them as it does
// for the apps, batch and autoscaling resources they mirror.
package printers

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apiserver/pkg/registry/rest"
)

// now is the clock that ages and durations are measured against. Tests
// replace it to get deterministic cells.
var now = time.Now

// tableConvertor renders objects of type T, or lists whose items are T, as a
// table with a fixed set of columns. Like the upstream server-side printers
// it always emits the wide (priority 1) columns; clients decide what to show.
type tableConvertor[T runtime.Object] struct {
	columns []metav1.TableColumnDefinition
	row     func(T) []interface{}
}

// newTableConvertor returns a rest.TableConvertor whose rows are produced by
// row, one cell per entry in columns.
func newTableConvertor[T runtime.Object](columns []metav1.TableColumnDefinition, row func(T) []interface{}) rest.TableConvertor {
	return tableConvertor[T]{columns: columns, row: row}
}

// ConvertToTable implements rest.TableConvertor.
func (c tableConvertor[T]) ConvertToTable(_ context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	noHeaders, err := noHeadersRequested(tableOptions)
	if err != nil {
		return nil, err
	}
	if isNil(object) {
		return nil, c.unsupported(object)
	}

	table := &metav1.Table{}
	if !noHeaders {
		table.ColumnDefinitions = slices.Clone(c.columns)
	}

	if obj, ok := object.(T); ok {
		table.Rows = []metav1.TableRow{c.tableRow(obj)}
		if accessor, err := meta.Accessor(object); err == nil {
			table.ResourceVersion = accessor.GetResourceVersion()
		}
		return table, nil
	}

	listMeta, err := meta.ListAccessor(object)
	if err != nil || !listOf[T](object) {
		return nil, c.unsupported(object)
	}
	items, err := meta.ExtractList(object)
	if err != nil {
		return nil, c.unsupported(object)
	}
	table.Rows = make([]metav1.TableRow, 0, len(items))
	for _, item := range items {
		obj, ok := item.(T)
		if !ok || isNil(item) {
			return nil, fmt.Errorf("cannot convert %T to a table: list item is %T, expected %T", object, item, obj)
		}
		table.Rows = append(table.Rows, c.tableRow(obj))
	}
	table.ResourceVersion = listMeta.GetResourceVersion()
	table.Continue = listMeta.GetContinue()
	table.RemainingItemCount = listMeta.GetRemainingItemCount()
	return table, nil
}

func (c tableConvertor[T]) tableRow(obj T) metav1.TableRow {
	return metav1.TableRow{
		Cells:  c.row(obj),
		Object: runtime.RawExtension{Object: obj},
	}
}

func (c tableConvertor[T]) unsupported(object runtime.Object) error {
	var want T
	return fmt.Errorf("cannot convert %T to a table: expected %T or a list of them", object, want)
}

// listOf reports whether list has an Items slice of T (or of the struct T
// points to), so that even an empty list of another kind is rejected.
func listOf[T runtime.Object](list runtime.Object) bool {
	itemsPtr, err := meta.GetItemsPtr(list)
	if err != nil {
		return false
	}
	items := reflect.TypeOf(itemsPtr).Elem()
	if items.Kind() != reflect.Slice {
		return false
	}
	want := reflect.TypeFor[T]()
	return items.Elem() == want || reflect.PointerTo(items.Elem()) == want
}

// noHeadersRequested reports whether the table options ask for the column
// definitions to be left out. Only *metav1.TableOptions (or nil) is accepted.
func noHeadersRequested(tableOptions runtime.Object) (bool, error) {
	switch opts := tableOptions.(type) {
	case nil:
		return false, nil
	case *metav1.TableOptions:
		return opts != nil && opts.NoHeaders, nil
	default:
		return false, fmt.Errorf("unrecognized type %T for table options, can't display tabular output", tableOptions)
	}
}

// isNil reports whether obj is a nil interface or a typed nil pointer.
func isNil(obj runtime.Object) bool {
	if obj == nil {
		return true
	}
	v := reflect.ValueOf(obj)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// Shared column definitions and cell helpers.

func nameColumn() metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: "Name", Type: "string", Format: "name", Description: metav1.ObjectMeta{}.SwaggerDoc()["name"]}
}

func ageColumn() metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: "Age", Type: "string", Description: metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"]}
}

// podTemplateColumns are the wide columns shared by every workload that
// embeds a pod template: container names, images and the label selector.
func podTemplateColumns(selectorDescription string) []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		{Name: "Containers", Type: "string", Priority: 1, Description: "Names of each container in the template."},
		{Name: "Images", Type: "string", Priority: 1, Description: "Images referenced by each container in the template."},
		{Name: "Selector", Type: "string", Priority: 1, Description: selectorDescription},
	}
}

// translateTimestampSince renders the time elapsed since t in the compact
// form kubectl uses ("5m", "3d"), or "<unknown>" when t is unset.
func translateTimestampSince(t metav1.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now().Sub(t.Time))
}

// containerCells returns the comma-separated container names and images.
func containerCells(containers []corev1.Container) (names, images string) {
	n := make([]string, len(containers))
	i := make([]string, len(containers))
	for idx := range containers {
		n[idx] = containers[idx].Name
		i[idx] = containers[idx].Image
	}
	return strings.Join(n, ","), strings.Join(i, ",")
}

// podTemplateCells returns the cells for the columns of podTemplateColumns.
func podTemplateCells(template *corev1.PodTemplateSpec, selector string) []interface{} {
	names, images := containerCells(template.Spec.Containers)
	return []interface{}{names, images, selector}
}

// boolPtrCell renders an optional boolean as "True", "False" or "<unset>".
func boolPtrCell(b *bool) string {
	switch {
	case b == nil:
		return "<unset>"
	case *b:
		return "True"
	default:
		return "False"
	}
}

// desiredReplicas returns the requested replica count, falling back to the
// documented default of 1 when the field has not been set.
func desiredReplicas(replicas *int32) int64 {
	if replicas == nil {
		return 1
	}
	return int64(*replicas)
}
