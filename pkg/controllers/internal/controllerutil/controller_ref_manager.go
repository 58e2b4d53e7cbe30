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

package controllerutil

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
)

// FreshOwnerCheck returns a CanAdopt function for a ControllerRef manager:
// it reads the owner again with get (which must bypass informer caches) and
// refuses adoption when the owner is gone, was replaced by an object with
// another UID, or is being deleted. Adopting for an owner that is being
// deleted would race with the garbage collector.
func FreshOwnerCheck(owner metav1.Object, get func(ctx context.Context) (metav1.Object, error)) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		fresh, err := get(ctx)
		if err != nil {
			return fmt.Errorf("re-reading %s/%s before adopting: %w", owner.GetNamespace(), owner.GetName(), err)
		}
		if fresh.GetUID() != owner.GetUID() {
			return fmt.Errorf("%s/%s was replaced: UID is %s, expected %s; not adopting",
				owner.GetNamespace(), owner.GetName(), fresh.GetUID(), owner.GetUID())
		}
		if fresh.GetDeletionTimestamp() != nil {
			return fmt.Errorf("%s/%s has just been deleted at %v; not adopting",
				owner.GetNamespace(), owner.GetName(), fresh.GetDeletionTimestamp())
		}
		return nil
	}
}

// FreshOwnerCheckWith is FreshOwnerCheck reading owner by name with get, a
// typed client's Get (for example the ReplicaSets client of owner's
// namespace).
func FreshOwnerCheckWith[T metav1.Object](owner metav1.Object, get func(context.Context, string, metav1.GetOptions) (T, error)) func(ctx context.Context) error {
	return FreshOwnerCheck(owner, func(ctx context.Context) (metav1.Object, error) {
		fresh, err := get(ctx, owner.GetName(), metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		return fresh, nil
	})
}

// ResolveControllerRef returns the owner a controller reference points to,
// read with get (a namespaced lister's Get), when ref names an object of
// kind and the object found has ref's UID; otherwise the zero T (nil for
// the pointer types controllers use). A ref to an owner that was deleted
// and re-created under the same name does not resolve.
func ResolveControllerRef[T metav1.Object](ref *metav1.OwnerReference, kind schema.GroupVersionKind, get func(name string) (T, error)) T {
	var none T
	if ref == nil || ref.Kind != kind.Kind || ref.APIVersion != kind.GroupVersion().String() {
		return none
	}
	owner, err := get(ref.Name)
	if err != nil || owner.GetUID() != ref.UID {
		return none
	}
	return owner
}

// refManager is what adoption and release have in common for any dependent
// kind: it claims objects for one owner.
type refManager struct {
	owner     metav1.Object
	ownerKind schema.GroupVersionKind
	selector  labels.Selector

	canAdoptOnce sync.Once
	canAdoptErr  error
	canAdoptFunc func(ctx context.Context) error
}

func (m *refManager) canAdopt(ctx context.Context) error {
	m.canAdoptOnce.Do(func() {
		if m.canAdoptFunc != nil {
			m.canAdoptErr = m.canAdoptFunc(ctx)
		}
	})
	return m.canAdoptErr
}

// claim decides about one dependent: keep it (owned and matching), release it
// (owned and no longer matching), adopt it (orphan and matching) or ignore it.
func (m *refManager) claim(ctx context.Context, obj metav1.Object, match func(metav1.Object) bool,
	adopt, release func(context.Context, metav1.Object) error) (bool, error) {
	ref := metav1.GetControllerOfNoCopy(obj)
	if ref != nil {
		if ref.UID != m.owner.GetUID() {
			return false, nil // someone else's
		}
		if match(obj) {
			return true, nil
		}
		// Owned but no longer selected: release it, unless the owner is going
		// away anyway (the garbage collector handles its dependents).
		if m.owner.GetDeletionTimestamp() != nil {
			return false, nil
		}
		if err := release(ctx, obj); err != nil {
			if apierrors.IsNotFound(err) {
				return false, nil // gone already
			}
			return false, err
		}
		return false, nil
	}
	// Orphan.
	if m.owner.GetDeletionTimestamp() != nil || !match(obj) {
		return false, nil
	}
	if obj.GetDeletionTimestamp() != nil {
		return false, nil // never adopt a dependent that is going away
	}
	if obj.GetNamespace() != m.owner.GetNamespace() {
		return false, nil
	}
	if err := m.canAdopt(ctx); err != nil {
		return false, fmt.Errorf("cannot adopt %s/%s: %w", obj.GetNamespace(), obj.GetName(), err)
	}
	if err := adopt(ctx, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// OwnerRefPatch returns a strategic merge patch that adds owner as the
// controller of the object with uid (the uid makes the patch fail if the
// object was replaced).
func OwnerRefPatch(owner metav1.Object, kind schema.GroupVersionKind, uid types.UID) ([]byte, error) {
	return json.Marshal(map[string]any{
		"metadata": map[string]any{
			"ownerReferences": []metav1.OwnerReference{*metav1.NewControllerRef(owner, kind)},
			"uid":             uid,
		},
	})
}

// ReleasePatch returns a strategic merge patch that removes the owner
// reference with ownerUID from the object with uid.
func ReleasePatch(ownerUID, uid types.UID) ([]byte, error) {
	return json.Marshal(map[string]any{
		"metadata": map[string]any{
			"ownerReferences": []map[string]any{{"$patch": "delete", "uid": ownerUID}},
			"uid":             uid,
		},
	})
}

// ignoreGoneOrReplaced treats a release of an object that is gone, or was
// replaced (UID precondition failed), as done.
func ignoreGoneOrReplaced(err error) error {
	if err == nil || apierrors.IsNotFound(err) || apierrors.IsInvalid(err) {
		return nil
	}
	return err
}

// PodControllerRefManager claims pods for one owner: adopts orphans whose
// labels match the selector and releases owned pods that stopped matching.
type PodControllerRefManager struct {
	refManager
	client kubernetes.Interface
}

// NewPodControllerRefManager returns a manager for the pods of owner (of kind
// ownerKind) selected by selector. canAdopt is called at most once, before the
// first adoption; build it with FreshOwnerCheck.
func NewPodControllerRefManager(client kubernetes.Interface, owner metav1.Object, ownerKind schema.GroupVersionKind,
	selector labels.Selector, canAdopt func(ctx context.Context) error) *PodControllerRefManager {
	return &PodControllerRefManager{
		refManager: refManager{owner: owner, ownerKind: ownerKind, selector: selector, canAdoptFunc: canAdopt},
		client:     client,
	}
}

// ClaimPods returns the pods that belong to the owner after adopting and
// releasing as needed. filters are extra conditions a pod must meet to be
// selected (e.g. being active). Errors for individual pods are aggregated;
// the pods claimed so far are returned with them.
func (m *PodControllerRefManager) ClaimPods(ctx context.Context, pods []*corev1.Pod, filters ...func(*corev1.Pod) bool) ([]*corev1.Pod, error) {
	match := func(pod *corev1.Pod) bool {
		for _, f := range filters {
			if !f(pod) {
				return false
			}
		}
		return true
	}
	return claimAll(ctx, &m.refManager, "pod", pods, match, func(ctx context.Context, namespace, name string, data []byte) error {
		_, err := m.client.CoreV1().Pods(namespace).Patch(ctx, name, types.StrategicMergePatchType, data, metav1.PatchOptions{})
		return err
	})
}

// patchFunc writes a strategic-merge patch to one object.
type patchFunc func(ctx context.Context, namespace, name string, data []byte) error

// claimAll adopts the orphans among objs whose labels match the selector
// (and match, when given), releases the owned ones that stopped matching,
// and returns those that belong to the owner. kind names the objects in logs
// and errors. Errors for single objects are aggregated; the objects claimed
// so far are returned with them.
func claimAll[T metav1.Object](ctx context.Context, m *refManager, kind string, objs []T, match func(T) bool, patch patchFunc) ([]T, error) {
	logger := klog.FromContext(ctx)
	matches := func(obj metav1.Object) bool {
		if !m.selector.Matches(labels.Set(obj.GetLabels())) {
			return false
		}
		return match == nil || match(obj.(T))
	}
	adopt := func(ctx context.Context, obj metav1.Object) error {
		data, err := OwnerRefPatch(m.owner, m.ownerKind, obj.GetUID())
		if err != nil {
			return err
		}
		logger.V(2).Info("Adopting", "kind", kind, "object", klog.KObj(obj), "owner", klog.KObj(m.owner), "ownerKind", m.ownerKind.Kind)
		if err := patch(ctx, obj.GetNamespace(), obj.GetName(), data); err != nil {
			return fmt.Errorf("adopting %s %s/%s: %w", kind, obj.GetNamespace(), obj.GetName(), err)
		}
		return nil
	}
	release := func(ctx context.Context, obj metav1.Object) error {
		data, err := ReleasePatch(m.owner.GetUID(), obj.GetUID())
		if err != nil {
			return err
		}
		logger.V(2).Info("Releasing an object that no longer matches the selector", "kind", kind, "object", klog.KObj(obj), "owner", klog.KObj(m.owner), "ownerKind", m.ownerKind.Kind)
		if err := ignoreGoneOrReplaced(patch(ctx, obj.GetNamespace(), obj.GetName(), data)); err != nil {
			return fmt.Errorf("releasing %s %s/%s: %w", kind, obj.GetNamespace(), obj.GetName(), err)
		}
		return nil
	}
	var claimed []T
	var errs []error
	for _, obj := range objs {
		ok, err := m.claim(ctx, obj, matches, adopt, release)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			claimed = append(claimed, obj)
		}
	}
	return claimed, utilerrors.NewAggregate(errs)
}

// ReplicaSetControllerRefManager claims experimental ReplicaSets for one
// owner (a Deployment).
type ReplicaSetControllerRefManager struct {
	refManager
	client clientset.Interface
}

// NewReplicaSetControllerRefManager returns a manager for the ReplicaSets of
// owner selected by selector; see NewPodControllerRefManager.
func NewReplicaSetControllerRefManager(client clientset.Interface, owner metav1.Object, ownerKind schema.GroupVersionKind,
	selector labels.Selector, canAdopt func(ctx context.Context) error) *ReplicaSetControllerRefManager {
	return &ReplicaSetControllerRefManager{
		refManager: refManager{owner: owner, ownerKind: ownerKind, selector: selector, canAdoptFunc: canAdopt},
		client:     client,
	}
}

// ClaimReplicaSets returns the ReplicaSets that belong to the owner after
// adopting and releasing as needed.
func (m *ReplicaSetControllerRefManager) ClaimReplicaSets(ctx context.Context, sets []*v1alpha1.ReplicaSet) ([]*v1alpha1.ReplicaSet, error) {
	return claimAll(ctx, &m.refManager, "ReplicaSet", sets, nil, func(ctx context.Context, namespace, name string, data []byte) error {
		_, err := m.client.ExperimentalV1alpha1().ReplicaSets(namespace).Patch(ctx, name, types.StrategicMergePatchType, data, metav1.PatchOptions{})
		return err
	})
}

// SelectingOwners returns the owners whose label selector (read with
// selectorOf) is valid, not empty, and matches set: the candidates to adopt
// an orphan with labels set. An empty selector selects nothing here, as
// for the workload controllers' owners.
func SelectingOwners[T any](owners []T, selectorOf func(T) *metav1.LabelSelector, set map[string]string) []T {
	var out []T
	for _, owner := range owners {
		selector, err := metav1.LabelSelectorAsSelector(selectorOf(owner))
		if err != nil || selector.Empty() || !selector.Matches(labels.Set(set)) {
			continue
		}
		out = append(out, owner)
	}
	return out
}
