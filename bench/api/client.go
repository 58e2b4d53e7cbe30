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

package api

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
)

// objectClient performs a target's requests. The dynamic implementation
// speaks JSON with unstructured objects; the typed ones speak protobuf (or
// whatever their rest.Config says) with the Go types. prepare and
// unstructured convert between the two outside the timed calls.
type objectClient interface {
	// prepare turns the workload object into what create and update send.
	prepare(obj *unstructured.Unstructured) (runtime.Object, error)
	// unstructured turns a returned object back (for the next update).
	unstructured(obj runtime.Object) (*unstructured.Unstructured, error)
	create(ctx context.Context, obj runtime.Object) (runtime.Object, error)
	get(ctx context.Context, name string) error
	update(ctx context.Context, obj runtime.Object) (runtime.Object, error)
	delete(ctx context.Context, name string) error
	// list returns the number of items and the list's resourceVersion.
	list(ctx context.Context, opts metav1.ListOptions) (int, string, error)
	watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// dynamicClient is the JSON client of every target (a)..(d).
type dynamicClient struct {
	r dynamic.ResourceInterface
}

func newDynamicClient(c dynamic.Interface, gvr schema.GroupVersionResource, ns string) *dynamicClient {
	return &dynamicClient{r: c.Resource(gvr).Namespace(ns)}
}

func (d *dynamicClient) prepare(obj *unstructured.Unstructured) (runtime.Object, error) {
	return obj, nil
}

func (d *dynamicClient) unstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return nil, fmt.Errorf("dynamic client got %T", obj)
	}
	return u.DeepCopy(), nil
}

func (d *dynamicClient) create(ctx context.Context, obj runtime.Object) (runtime.Object, error) {
	return d.r.Create(ctx, obj.(*unstructured.Unstructured), metav1.CreateOptions{})
}

func (d *dynamicClient) get(ctx context.Context, name string) error {
	_, err := d.r.Get(ctx, name, metav1.GetOptions{})
	return err
}

func (d *dynamicClient) update(ctx context.Context, obj runtime.Object) (runtime.Object, error) {
	return d.r.Update(ctx, obj.(*unstructured.Unstructured), metav1.UpdateOptions{})
}

func (d *dynamicClient) delete(ctx context.Context, name string) error {
	return d.r.Delete(ctx, name, metav1.DeleteOptions{})
}

func (d *dynamicClient) list(ctx context.Context, opts metav1.ListOptions) (int, string, error) {
	l, err := d.r.List(ctx, opts)
	if err != nil {
		return 0, "", err
	}
	return len(l.Items), l.GetResourceVersion(), nil
}

func (d *dynamicClient) watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	return d.r.Watch(ctx, opts)
}

func toUnstructured(obj runtime.Object, apiVersion string) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(apiVersion)
	u.SetKind("Deployment")
	return u, nil
}

// appsClient is the typed apps/v1 client (protobuf variant of (a)).
type appsClient struct {
	c  kubernetes.Interface
	ns string
}

func (a *appsClient) prepare(obj *unstructured.Unstructured) (runtime.Object, error) {
	out := &appsv1.Deployment{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, out); err != nil {
		return nil, fmt.Errorf("converting %s to apps/v1: %w", obj.GetName(), err)
	}
	return out, nil
}

func (a *appsClient) unstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	return toUnstructured(obj, "apps/v1")
}

func (a *appsClient) create(ctx context.Context, obj runtime.Object) (runtime.Object, error) {
	return a.c.AppsV1().Deployments(a.ns).Create(ctx, obj.(*appsv1.Deployment), metav1.CreateOptions{})
}

func (a *appsClient) get(ctx context.Context, name string) error {
	_, err := a.c.AppsV1().Deployments(a.ns).Get(ctx, name, metav1.GetOptions{})
	return err
}

func (a *appsClient) update(ctx context.Context, obj runtime.Object) (runtime.Object, error) {
	return a.c.AppsV1().Deployments(a.ns).Update(ctx, obj.(*appsv1.Deployment), metav1.UpdateOptions{})
}

func (a *appsClient) delete(ctx context.Context, name string) error {
	return a.c.AppsV1().Deployments(a.ns).Delete(ctx, name, metav1.DeleteOptions{})
}

func (a *appsClient) list(ctx context.Context, opts metav1.ListOptions) (int, string, error) {
	l, err := a.c.AppsV1().Deployments(a.ns).List(ctx, opts)
	if err != nil {
		return 0, "", err
	}
	return len(l.Items), l.ResourceVersion, nil
}

func (a *appsClient) watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	return a.c.AppsV1().Deployments(a.ns).Watch(ctx, opts)
}

// experimentalClient is the typed experimental/v1alpha1 client (protobuf
// variant of (c)).
type experimentalClient struct {
	c          clientset.Interface
	ns         string
	apiVersion string
}

func (e *experimentalClient) prepare(obj *unstructured.Unstructured) (runtime.Object, error) {
	out := &v1alpha1.Deployment{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, out); err != nil {
		return nil, fmt.Errorf("converting %s to v1alpha1: %w", obj.GetName(), err)
	}
	return out, nil
}

func (e *experimentalClient) unstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	return toUnstructured(obj, e.apiVersion)
}

func (e *experimentalClient) create(ctx context.Context, obj runtime.Object) (runtime.Object, error) {
	return e.c.ExperimentalV1alpha1().Deployments(e.ns).Create(ctx, obj.(*v1alpha1.Deployment), metav1.CreateOptions{})
}

func (e *experimentalClient) get(ctx context.Context, name string) error {
	_, err := e.c.ExperimentalV1alpha1().Deployments(e.ns).Get(ctx, name, metav1.GetOptions{})
	return err
}

func (e *experimentalClient) update(ctx context.Context, obj runtime.Object) (runtime.Object, error) {
	return e.c.ExperimentalV1alpha1().Deployments(e.ns).Update(ctx, obj.(*v1alpha1.Deployment), metav1.UpdateOptions{})
}

func (e *experimentalClient) delete(ctx context.Context, name string) error {
	return e.c.ExperimentalV1alpha1().Deployments(e.ns).Delete(ctx, name, metav1.DeleteOptions{})
}

func (e *experimentalClient) list(ctx context.Context, opts metav1.ListOptions) (int, string, error) {
	l, err := e.c.ExperimentalV1alpha1().Deployments(e.ns).List(ctx, opts)
	if err != nil {
		return 0, "", err
	}
	return len(l.Items), l.ResourceVersion, nil
}

func (e *experimentalClient) watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	return e.c.ExperimentalV1alpha1().Deployments(e.ns).Watch(ctx, opts)
}
