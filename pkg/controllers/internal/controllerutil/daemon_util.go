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

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
)

// ExpectCreationsAndDeletions replaces the record of key with n expected
// creations and the deletion of the pods with the given keys, for
// controllers that create and delete pods in the same sync (DaemonSet).
func (e *Expectations) ExpectCreationsAndDeletions(logger klog.Logger, key string, n int, podKeys []string) {
	e.set(logger, key, int64(n), podKeys)
}

// ControllerRevisionControllerRefManager claims apps/v1 ControllerRevisions
// for one owner (a DaemonSet).
type ControllerRevisionControllerRefManager struct {
	refManager
	client kubernetes.Interface
}

// NewControllerRevisionControllerRefManager returns a manager for the
// ControllerRevisions of owner selected by selector; see
// NewPodControllerRefManager.
func NewControllerRevisionControllerRefManager(client kubernetes.Interface, owner metav1.Object, ownerKind schema.GroupVersionKind,
	selector labels.Selector, canAdopt func(ctx context.Context) error) *ControllerRevisionControllerRefManager {
	return &ControllerRevisionControllerRefManager{
		refManager: refManager{owner: owner, ownerKind: ownerKind, selector: selector, canAdoptFunc: canAdopt},
		client:     client,
	}
}

// ClaimControllerRevisions returns the revisions that belong to the owner
// after adopting and releasing as needed.
func (m *ControllerRevisionControllerRefManager) ClaimControllerRevisions(ctx context.Context, revisions []*appsv1.ControllerRevision) ([]*appsv1.ControllerRevision, error) {
	return claimAll(ctx, &m.refManager, "ControllerRevision", revisions, nil, func(ctx context.Context, namespace, name string, data []byte) error {
		_, err := m.client.AppsV1().ControllerRevisions(namespace).Patch(ctx, name, types.StrategicMergePatchType, data, metav1.PatchOptions{})
		return err
	})
}
