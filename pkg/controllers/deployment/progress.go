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
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// syncRolloutStatus writes the status of a Deployment that is rolling out,
// with the Progressing condition (complete, progressing, or past its
// deadline) and the ReplicaFailure condition of its ReplicaSets. When
// nothing changed and the rollout is still going, it requeues the
// Deployment for the moment its progress deadline passes.
func (c *Controller) syncRolloutStatus(ctx context.Context, allRSs []*v1alpha1.ReplicaSet, newRS *v1alpha1.ReplicaSet, d *v1alpha1.Deployment) error {
	newStatus := c.calculateStatus(allRSs, newRS, d)
	now := c.clock.Now()
	if !hasProgressDeadline(d) {
		removeCondition(&newStatus, v1alpha1.DeploymentProgressing)
	}
	current := getCondition(d.Status, v1alpha1.DeploymentProgressing)
	alreadyComplete := newStatus.Replicas == newStatus.UpdatedReplicas && current != nil && current.Reason == ReasonNewRSAvailable
	inCanary := canaryInProgress(d, newRS)
	// A canary pause keeps its condition: time spent there is not a lack
	// of progress.
	canaryPaused := inCanary && d.Status.Canary.PauseStartTime != nil
	if hasProgressDeadline(d) && alreadyComplete && newStatus.AvailableReplicas < deploymentReplicas(d) {
		// A complete rollout short of available pods again: a scale-up or
		// a recovery (lost pods being replaced). Upstream keeps
		// NewReplicaSetAvailable and never reports that it gets stuck
		// (kubernetes/kubernetes#106054); here the progress deadline runs
		// from now, as for a rollout.
		msg := fmt.Sprintf("Deployment %q has %d of %d pods available: scaling up or replacing pods.", d.Name, newStatus.AvailableReplicas, deploymentReplicas(d))
		setCondition(&newStatus, newCondition(v1alpha1.DeploymentProgressing, corev1.ConditionTrue, ReasonReplicaSetUpdated, msg, now))
	}
	if hasProgressDeadline(d) && !alreadyComplete && !canaryPaused {
		subject := fmt.Sprintf("Deployment %q", d.Name)
		if newRS != nil {
			subject = fmt.Sprintf("ReplicaSet %q", newRS.Name)
		}
		switch {
		case deploymentComplete(d, &newStatus) && !inCanary:
			setCondition(&newStatus, newCondition(v1alpha1.DeploymentProgressing, corev1.ConditionTrue, ReasonNewRSAvailable,
				subject+" has successfully progressed.", now))
		case deploymentProgressing(d, &newStatus):
			reason, msg := ReasonReplicaSetUpdated, subject+" is progressing."
			if inCanary {
				reason = ReasonCanaryStepProgressing
				msg = fmt.Sprintf("%s is progressing to canary step %d of %d.", subject, d.Status.Canary.CurrentStepIndex, len(d.Spec.Strategy.Canary.Steps))
			}
			cond := newCondition(v1alpha1.DeploymentProgressing, corev1.ConditionTrue, reason, msg, now)
			// Progress moves lastUpdateTime (the base of the deadline) even
			// when the reason stays the same.
			if current != nil {
				if current.Status == corev1.ConditionTrue {
					cond.LastTransitionTime = current.LastTransitionTime
				}
				removeCondition(&newStatus, v1alpha1.DeploymentProgressing)
			}
			setCondition(&newStatus, cond)
		case deploymentTimedOut(d, &newStatus, now):
			setCondition(&newStatus, newCondition(v1alpha1.DeploymentProgressing, corev1.ConditionFalse, ReasonTimedOut,
				subject+" has timed out progressing.", now))
		}
	}
	if deploymentComplete(d, &newStatus) && !inCanary {
		recordStable(d, &newStatus, newRS)
	}
	if d.Spec.RollbackOnFailure == nil {
		newStatus.RollbackOnFailure = nil
	} else {
		var oldRSs []*v1alpha1.ReplicaSet
		for _, rs := range allRSs {
			if rs != nil && rs != newRS {
				oldRSs = append(oldRSs, rs)
			}
		}
		if rolledBack, err := c.maybeRollbackOnFailure(ctx, d, &newStatus, newRS, oldRSs); rolledBack || err != nil {
			return err
		}
	}
	if failure := replicaFailure(allRSs, newRS); failure != nil {
		setCondition(&newStatus, *failure)
	} else {
		removeCondition(&newStatus, v1alpha1.DeploymentReplicaFailure)
	}

	if apiequality.Semantic.DeepEqual(d.Status, newStatus) {
		c.requeueStuckDeployment(ctx, d, newStatus)
		return nil
	}
	d.Status = newStatus
	if err := c.writeStatus(ctx, d); err != nil {
		return err
	}
	// The written status may start a new deadline: wake up when it passes.
	c.requeueStuckDeployment(ctx, d, newStatus)
	return nil
}

// replicaFailure returns the ReplicaFailure condition of the new
// ReplicaSet, or else of any ReplicaSet, as a Deployment condition.
func replicaFailure(allRSs []*v1alpha1.ReplicaSet, newRS *v1alpha1.ReplicaSet) *v1alpha1.DeploymentCondition {
	find := func(rs *v1alpha1.ReplicaSet) *v1alpha1.DeploymentCondition {
		if rs == nil {
			return nil
		}
		for _, cond := range rs.Status.Conditions {
			if cond.Type == v1alpha1.ReplicaSetReplicaFailure {
				dc := replicaSetToDeploymentCondition(cond)
				return &dc
			}
		}
		return nil
	}
	if c := find(newRS); c != nil {
		return c
	}
	for _, rs := range allRSs {
		if c := find(rs); c != nil {
			return c
		}
	}
	return nil
}

// requeueStuckDeployment schedules a sync for when the progress deadline of
// a rollout in progress passes, so ProgressDeadlineExceeded is reported on
// time without polling. It returns the delay, or -1 when none is needed.
func (c *Controller) requeueStuckDeployment(ctx context.Context, d *v1alpha1.Deployment, newStatus v1alpha1.DeploymentStatus) time.Duration {
	cond := getCondition(newStatus, v1alpha1.DeploymentProgressing)
	if !hasProgressDeadline(d) || cond == nil {
		return -1
	}
	if deploymentComplete(d, &newStatus) || cond.Reason == ReasonTimedOut || cond.Reason == ReasonNewRSAvailable || cond.Reason == ReasonPaused || cond.Reason == ReasonCanaryStepPaused {
		return -1
	}
	after := cond.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Sub(c.clock.Now())
	logger := klog.FromContext(ctx)
	if after < time.Second {
		logger.V(4).Info("Queueing up Deployment for a progress check now")
		c.enqueueRateLimited(keyOf(d))
		return 0
	}
	logger.V(4).Info("Queueing up Deployment for a progress check", "after", after+time.Second)
	c.enqueueAfter(keyOf(d), after+time.Second)
	return after + time.Second
}
