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
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// ControllerIndex names the informer index that files each object under its
// controller: "<namespace>/<controller UID>" for an object with a controller
// reference, "<namespace>" for an orphan (no controller reference; owner
// references that are not the controller do not count). Controllers use it
// to find their dependents, and the orphans they may adopt, without listing
// a whole namespace. One informer carries it once, whichever controllers
// share that informer.
const ControllerIndex = "experimental.workloads/controller"

// ControllerIndexKey returns the index key of the objects in namespace whose
// controller has the given UID.
func ControllerIndexKey(namespace string, uid types.UID) string {
	return namespace + "/" + string(uid)
}

// OrphanIndexKey returns the index key of the objects in namespace that have
// no controller. A namespace name never contains "/", so this key never
// equals a ControllerIndexKey.
func OrphanIndexKey(namespace string) string {
	return namespace
}

// controllerIndexFunc is the IndexFunc of ControllerIndex. Objects that carry
// no object metadata are not indexed.
func controllerIndexFunc(obj any) ([]string, error) {
	o, ok := obj.(metav1.Object)
	if !ok {
		return nil, nil
	}
	if ref := metav1.GetControllerOfNoCopy(o); ref != nil {
		return []string{ControllerIndexKey(o.GetNamespace(), ref.UID)}, nil
	}
	return []string{OrphanIndexKey(o.GetNamespace())}, nil
}

// AddControllerIndex adds ControllerIndex to informer unless it is there
// already (another controller sharing the informer added it). It may be
// called before or after the informer starts: objects already in the cache
// are indexed when the index is added.
func AddControllerIndex(informer cache.SharedIndexInformer) error {
	if hasControllerIndex(informer.GetIndexer()) {
		return nil
	}
	if err := informer.AddIndexers(cache.Indexers{ControllerIndex: controllerIndexFunc}); err != nil {
		// Lost a race with another controller adding the same index.
		if hasControllerIndex(informer.GetIndexer()) {
			return nil
		}
		return fmt.Errorf("adding the %s index: %w", ControllerIndex, err)
	}
	return nil
}

func hasControllerIndex(indexer cache.Indexer) bool {
	_, ok := indexer.GetIndexers()[ControllerIndex]
	return ok
}

// ListControlledBy returns the objects in namespace whose controller
// reference has the given UID, from an indexer that carries ControllerIndex
// (see AddControllerIndex). The objects are the cache's: copy before
// modifying.
func ListControlledBy[T metav1.Object](indexer cache.Indexer, namespace string, uid types.UID) ([]T, error) {
	return listByIndexKeys[T](indexer, ControllerIndexKey(namespace, uid))
}

// ListClaimCandidates returns what a ControllerRef manager needs to claim the
// dependents of owner: the objects owner controls and the orphans of its
// namespace (which it may adopt when their labels match). Objects controlled
// by anyone else are left out; a claim would ignore them anyway. The objects
// are the cache's: copy before modifying.
func ListClaimCandidates[T metav1.Object](indexer cache.Indexer, owner metav1.Object) ([]T, error) {
	return listByIndexKeys[T](indexer,
		ControllerIndexKey(owner.GetNamespace(), owner.GetUID()),
		OrphanIndexKey(owner.GetNamespace()))
}

func listByIndexKeys[T metav1.Object](indexer cache.Indexer, keys ...string) ([]T, error) {
	var out []T
	for _, key := range keys {
		objs, err := indexer.ByIndex(ControllerIndex, key)
		if err != nil {
			return nil, fmt.Errorf("reading the %s index at %q: %w", ControllerIndex, key, err)
		}
		if out == nil {
			out = make([]T, 0, len(objs))
		}
		for _, obj := range objs {
			t, ok := obj.(T)
			if !ok {
				return nil, fmt.Errorf("unexpected %T in the %s index at %q", obj, ControllerIndex, key)
			}
			out = append(out, t)
		}
	}
	return out, nil
}
