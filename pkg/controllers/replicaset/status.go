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

package replicaset

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/internal/controllerutil"
)

// Reasons of the ReplicaFailure condition.
const (
	ReasonFailedCreate = "FailedCreate"
	ReasonFailedDelete = "FailedDelete"
)

// statusUpdateRetries is how often a status update is retried after a
// conflict, each time on a fresh read.
const statusUpdateRetries = 3

// calculateStatus computes the status of rs from its active and terminating
// pods and the error of the last manageReplicas, at now.
func calculateStatus(rs *v1alpha1.ReplicaSet, active, terminating []*corev1.Pod, manageErr error, now time.Time) v1alpha1.ReplicaSetStatus {
	status := *rs.Status.DeepCopy()
	templateLabels := labels.Set(rs.Spec.Template.Labels).AsSelectorPreValidated()
	var fullyLabeled, ready, available int32
	for _, p := range active {
		if templateLabels.Matches(labels.Set(p.Labels)) {
			fullyLabeled++
		}
		if controllerutil.IsPodReady(p) {
			ready++
			if controllerutil.IsPodAvailable(p, rs.Spec.MinReadySeconds, now) {
				available++
			}
		}
	}
	status.Replicas = int32(len(active))
	status.FullyLabeledReplicas = fullyLabeled
	status.ReadyReplicas = ready
	status.AvailableReplicas = available
	status.TerminatingReplicas = ptr.To(int32(len(terminating)))

	failure := getCondition(status, v1alpha1.ReplicaSetReplicaFailure)
	switch {
	case manageErr != nil && failure == nil:
		reason := ReasonFailedCreate
		if len(active) > int(replicasOf(rs)) {
			reason = ReasonFailedDelete
		}
		setCondition(&status, v1alpha1.ReplicaSetCondition{
			Type:               v1alpha1.ReplicaSetReplicaFailure,
			Status:             corev1.ConditionTrue,
			LastTransitionTime: metav1.NewTime(now),
			Reason:             reason,
			Message:            manageErr.Error(),
		})
	case manageErr == nil && failure != nil:
		removeCondition(&status, v1alpha1.ReplicaSetReplicaFailure)
	}
	return status
}

func getCondition(status v1alpha1.ReplicaSetStatus, t v1alpha1.ReplicaSetConditionType) *v1alpha1.ReplicaSetCondition {
	for i := range status.Conditions {
		if status.Conditions[i].Type == t {
			return &status.Conditions[i]
		}
	}
	return nil
}

func setCondition(status *v1alpha1.ReplicaSetStatus, cond v1alpha1.ReplicaSetCondition) {
	removeCondition(status, cond.Type)
	status.Conditions = append(status.Conditions, cond)
}

func removeCondition(status *v1alpha1.ReplicaSetStatus, t v1alpha1.ReplicaSetConditionType) {
	var out []v1alpha1.ReplicaSetCondition
	for _, c := range status.Conditions {
		if c.Type != t {
			out = append(out, c)
		}
	}
	status.Conditions = out
}

// updateStatus writes newStatus (with observedGeneration) through the status
// subresource when it differs from what rs has, retrying conflicts on a fresh
// read. It returns the ReplicaSet as stored.
func (c *Controller) updateStatus(ctx context.Context, rs *v1alpha1.ReplicaSet, newStatus v1alpha1.ReplicaSetStatus) (*v1alpha1.ReplicaSet, error) {
	logger := klog.FromContext(ctx)
	newStatus.ObservedGeneration = rs.Generation
	if equality.Semantic.DeepEqual(rs.Status, newStatus) {
		return rs, nil
	}
	client := c.client.ExperimentalV1alpha1().ReplicaSets(rs.Namespace)
	current := rs
	var lastErr error
	for attempt := 0; attempt <= statusUpdateRetries; attempt++ {
		if current.UID != rs.UID {
			return nil, fmt.Errorf("ReplicaSet %s/%s was replaced while updating its status", rs.Namespace, rs.Name)
		}
		if equality.Semantic.DeepEqual(current.Status, newStatus) {
			return current, nil
		}
		next := current.DeepCopy()
		next.Status = newStatus
		logger.V(4).Info("Updating status", "replicas", newStatus.Replicas, "readyReplicas", newStatus.ReadyReplicas,
			"availableReplicas", newStatus.AvailableReplicas, "observedGeneration", newStatus.ObservedGeneration)
		updated, err := client.UpdateStatus(ctx, next, metav1.UpdateOptions{})
		if err == nil {
			return updated, nil
		}
		lastErr = err
		if !apierrors.IsConflict(err) {
			break
		}
		fresh, err := client.Get(ctx, rs.Name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("re-reading ReplicaSet %s/%s after a conflict: %w", rs.Namespace, rs.Name, err)
		}
		current = fresh
	}
	return nil, fmt.Errorf("updating status of ReplicaSet %s/%s: %w", rs.Namespace, rs.Name, lastErr)
}
