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

package deployment

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// Reasons of automatic rollback (condition RolledBackOnFailure and its
// Warning event).
const (
	// ReasonRolledBackOnFailure is the reason of the Warning event.
	ReasonRolledBackOnFailure = "RolledBackOnFailure"
	// ReasonRestartBudgetExceeded: the new pods restarted more than
	// spec.rollbackOnFailure.maxRestarts times during a canary step.
	ReasonRestartBudgetExceeded = "RestartBudgetExceeded"
	// ReasonRollbackTargetNotFound: a rollout failed but the template to
	// return to is gone (or unknown); nothing was rolled back.
	ReasonRollbackTargetNotFound = "RollbackOnFailureTargetNotFound"
)

// failedRollout returns why the rollout to newRS failed ("" when it did
// not): its progress deadline passed, or, during a canary step, its pods
// restarted more than the budget.
func (c *Controller) failedRollout(d *v1alpha1.Deployment, status *v1alpha1.DeploymentStatus, newRS *v1alpha1.ReplicaSet, pods []*corev1.Pod) string {
	if cond := getCondition(*status, v1alpha1.DeploymentProgressing); cond != nil && cond.Reason == ReasonTimedOut {
		return ReasonTimedOut
	}
	budget := d.Spec.RollbackOnFailure.MaxRestarts
	if budget == nil || !canaryInProgress(d, newRS) {
		return ""
	}
	var restarts int32
	for _, p := range pods {
		restarts += restartCount(p)
	}
	if restarts > *budget {
		return ReasonRestartBudgetExceeded
	}
	return ""
}

// dominantPodReason sums up why pods are not available: the most common
// container waiting (or last termination) reason, else the most common
// reason of their Ready condition, with how many pods have it.
func dominantPodReason(pods []*corev1.Pod) string {
	counts := map[string]int{}
	for _, p := range pods {
		reason := ""
		for _, cs := range p.Status.ContainerStatuses {
			switch {
			case cs.State.Waiting != nil && cs.State.Waiting.Reason != "":
				reason = cs.State.Waiting.Reason
			case cs.State.Terminated != nil && cs.State.Terminated.Reason != "":
				reason = cs.State.Terminated.Reason
			case cs.LastTerminationState.Terminated != nil && cs.LastTerminationState.Terminated.Reason != "" && !cs.Ready:
				reason = cs.LastTerminationState.Terminated.Reason
			}
			if reason != "" {
				break
			}
		}
		if reason == "" {
			for _, cond := range p.Status.Conditions {
				if cond.Type == corev1.PodReady && cond.Status != corev1.ConditionTrue {
					reason = cond.Reason
					if reason == "" {
						reason = "NotReady"
					}
				}
			}
		}
		if reason == "" && p.Status.Phase == corev1.PodPending {
			reason = "Pending"
		}
		if reason != "" {
			counts[reason]++
		}
	}
	if len(counts) == 0 {
		return ""
	}
	reasons := make([]string, 0, len(counts))
	for r := range counts {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if counts[reasons[i]] != counts[reasons[j]] {
			return counts[reasons[i]] > counts[reasons[j]]
		}
		return reasons[i] < reasons[j]
	})
	return fmt.Sprintf("%s (%d of %d new pods)", reasons[0], counts[reasons[0]], len(pods))
}

// rollbackTarget returns the ReplicaSet to return to: the one with the
// last template that completed a rollout, else (nothing recorded yet) the
// newest old one.
func rollbackTarget(d *v1alpha1.Deployment, oldRSs []*v1alpha1.ReplicaSet) *v1alpha1.ReplicaSet {
	if rb := d.Status.RollbackOnFailure; rb != nil && rb.StablePodTemplateHash != "" {
		for _, rs := range oldRSs {
			if podTemplateHash(rs) == rb.StablePodTemplateHash {
				return rs
			}
		}
		return nil
	}
	var newest *v1alpha1.ReplicaSet
	var newestRev int64 = -1
	for _, rs := range oldRSs {
		if v, err := revision(rs); err == nil && v > newestRev {
			newest, newestRev = rs, v
		}
	}
	return newest
}

// maybeRollbackOnFailure rolls the template of d back when the rollout to
// newRS failed and spec.rollbackOnFailure is set. It reports whether it
// wrote d. A template is rolled back at most once: its hash is remembered
// in status.rollbackOnFailure.failedPodTemplateHash, and a rollout of the
// stable template itself is never rolled back.
func (c *Controller) maybeRollbackOnFailure(ctx context.Context, d *v1alpha1.Deployment, status *v1alpha1.DeploymentStatus, newRS *v1alpha1.ReplicaSet, oldRSs []*v1alpha1.ReplicaSet) (bool, error) {
	if d.Spec.RollbackOnFailure == nil || newRS == nil || d.Spec.Paused {
		return false, nil
	}
	hash := podTemplateHash(newRS)
	rb := &v1alpha1.RollbackOnFailureStatus{}
	if status.RollbackOnFailure != nil {
		rb = status.RollbackOnFailure.DeepCopy()
	}
	if hash == rb.StablePodTemplateHash || hash == rb.FailedPodTemplateHash {
		return false, nil
	}
	podMap, err := c.podsByReplicaSet(d, []*v1alpha1.ReplicaSet{newRS})
	if err != nil {
		return false, err
	}
	pods := podMap[newRS.UID]
	why := c.failedRollout(d, status, newRS, pods)
	if why == "" {
		return false, nil
	}
	logger := klog.FromContext(ctx)
	failedRev, _ := revision(newRS)
	podReason := dominantPodReason(pods)
	if podReason == "" {
		podReason = "no new pod reports a reason"
	}
	rb.FailedPodTemplateHash = hash
	rb.FailedRevision = failedRev
	now := c.clock.Now()

	target := rollbackTarget(d, oldRSs)
	if target == nil {
		msg := fmt.Sprintf("Revision %d (ReplicaSet %q) failed: %s; %s. No earlier revision that completed a rollout is left to roll back to.", failedRev, newRS.Name, why, podReason)
		logger.Info("Rollout failed and nothing to roll back to", "replicaSet", klog.KObj(newRS), "reason", why)
		c.recorder.Eventf(d, corev1.EventTypeWarning, ReasonRollbackTargetNotFound, "%s", msg)
		status.RollbackOnFailure = rb
		setCondition(status, newCondition(v1alpha1.DeploymentRolledBackOnFailure, corev1.ConditionFalse, ReasonRollbackTargetNotFound, msg, now))
		return false, nil
	}
	targetRev, _ := revision(target)

	// The template first: if recording the status fails afterwards, the
	// Deployment already runs the stable template, which is never rolled
	// back, so no loop can follow.
	d.Spec.Template.ObjectMeta = *target.Spec.Template.ObjectMeta.DeepCopy()
	d.Spec.Template.Spec = *target.Spec.Template.Spec.DeepCopy()
	delete(d.Spec.Template.Labels, v1alpha1.DefaultDeploymentUniqueLabelKey)
	setDeploymentAnnotationsTo(d, target)
	if d.Status.Canary != nil {
		// Returning to the stable template goes straight back; the canary
		// status of the failed template stays for the record until the
		// next sync replaces it.
		status.Canary = d.Status.Canary
	}
	if err := c.writeDeployment(ctx, d); err != nil {
		return false, fmt.Errorf("rolling back the failed revision %d: %w", failedRev, err)
	}
	msg := fmt.Sprintf("Rolled back from revision %d (ReplicaSet %q) to revision %d (ReplicaSet %q): %s; %s.",
		failedRev, newRS.Name, targetRev, target.Name, why, podReason)
	logger.Info("Rolled back a failed rollout", "failedReplicaSet", klog.KObj(newRS), "failedRevision", failedRev,
		"replicaSet", klog.KObj(target), "revision", targetRev, "reason", why, "pods", podReason)
	c.recorder.Eventf(d, corev1.EventTypeWarning, ReasonRolledBackOnFailure, "%s", msg)
	d.Status = *status
	d.Status.RollbackOnFailure = rb
	setCondition(&d.Status, newCondition(v1alpha1.DeploymentRolledBackOnFailure, corev1.ConditionTrue, why, msg, now))
	if err := c.writeStatus(ctx, d); err != nil {
		return true, fmt.Errorf("recording the rollback of revision %d: %w", failedRev, err)
	}
	return true, nil
}
