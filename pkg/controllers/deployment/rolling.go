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
	"math"
	"sort"

	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// rolloutRolling moves a RollingUpdate Deployment one step: scale the new
// ReplicaSet up within maxSurge, or else scale old ones down within
// maxUnavailable; once complete, trim the revision history.
func (c *Controller) rolloutRolling(ctx context.Context, d *v1alpha1.Deployment, rsList []*v1alpha1.ReplicaSet) error {
	newRS, oldRSs, err := c.getAllReplicaSetsAndSyncRevision(ctx, d, rsList, true)
	if err != nil {
		return err
	}
	allRSs := append(append([]*v1alpha1.ReplicaSet(nil), oldRSs...), newRS)
	plan, err := c.syncCanary(ctx, d, newRS, oldRSs)
	if err != nil {
		return err
	}

	scaledUp, err := c.reconcileNewReplicaSet(ctx, allRSs, newRS, d, plan)
	if err != nil {
		return err
	}
	if scaledUp {
		return c.syncRolloutStatus(ctx, allRSs, newRS, d)
	}
	scaledDown, err := c.reconcileOldReplicaSets(ctx, allRSs, activeReplicaSets(oldRSs), newRS, d, plan)
	if err != nil {
		return err
	}
	if scaledDown {
		return c.syncRolloutStatus(ctx, allRSs, newRS, d)
	}
	if deploymentComplete(d, &d.Status) {
		if err := c.cleanupDeployment(ctx, oldRSs, d); err != nil {
			return err
		}
	}
	return c.syncRolloutStatus(ctx, allRSs, newRS, d)
}

// reconcileNewReplicaSet scales the new ReplicaSet towards spec.replicas
// (or the count of the current canary step) as far as maxSurge allows, or
// down when it is above spec.replicas. A canary step never scales the new
// ReplicaSet down.
func (c *Controller) reconcileNewReplicaSet(ctx context.Context, allRSs []*v1alpha1.ReplicaSet, newRS *v1alpha1.ReplicaSet, d *v1alpha1.Deployment, plan canaryPlan) (bool, error) {
	want := deploymentReplicas(d)
	if plan.limited {
		want = min(want, plan.limit)
	}
	switch {
	case rsReplicas(newRS) == want:
		return false, nil
	case rsReplicas(newRS) > want && plan.limited:
		return false, nil
	case rsReplicas(newRS) > want:
		scaled, _, err := c.scaleReplicaSet(ctx, newRS, want, d, false)
		return scaled, err
	}
	n, err := newRSNewReplicas(d, allRSs, newRS)
	if err != nil {
		return false, err
	}
	scaled, _, err := c.scaleReplicaSet(ctx, newRS, min(n, want), d, false)
	return scaled, err
}

// reconcileOldReplicaSets scales old ReplicaSets down as far as
// maxUnavailable allows: first their unavailable pods, then available ones.
// At a canary step the old ReplicaSets keep the pods the new one may not
// have yet.
func (c *Controller) reconcileOldReplicaSets(ctx context.Context, allRSs, oldRSs []*v1alpha1.ReplicaSet, newRS *v1alpha1.ReplicaSet, d *v1alpha1.Deployment, plan canaryPlan) (bool, error) {
	logger := klog.FromContext(ctx)
	if totalReplicas(oldRSs) == 0 {
		return false, nil
	}
	allPods := totalReplicas(allRSs)
	minAvailable := deploymentReplicas(d) - maxUnavailable(d)
	newUnavailable := rsReplicas(newRS) - newRS.Status.AvailableReplicas
	// Pods that may go: everything above the minimum availability, not
	// counting new pods that are not available yet (they may never be).
	maxScaledDown := allPods - minAvailable - newUnavailable
	if plan.limited {
		floor := max(deploymentReplicas(d)-max(plan.limit, rsReplicas(newRS)), 0)
		maxScaledDown = min(maxScaledDown, totalReplicas(oldRSs)-floor)
	}
	if maxScaledDown <= 0 {
		return false, nil
	}
	oldRSs, cleaned, err := c.cleanupUnhealthyReplicas(ctx, oldRSs, d, maxScaledDown)
	if err != nil {
		return false, err
	}
	logger.V(4).Info("Scaled down unavailable replicas of old ReplicaSets", "count", cleaned)
	allRSs = append(append([]*v1alpha1.ReplicaSet(nil), oldRSs...), newRS)
	limit := int32(math.MaxInt32)
	if plan.limited {
		limit = maxScaledDown - cleaned
	}
	scaled, err := c.scaleDownOldReplicaSetsForRollingUpdate(ctx, allRSs, oldRSs, d, limit)
	if err != nil {
		return false, err
	}
	logger.V(4).Info("Scaled down available replicas of old ReplicaSets", "count", scaled)
	return cleaned+scaled > 0, nil
}

// cleanupUnhealthyReplicas removes the unavailable replicas of old
// ReplicaSets, oldest first, at most maxCleanup.
func (c *Controller) cleanupUnhealthyReplicas(ctx context.Context, oldRSs []*v1alpha1.ReplicaSet, d *v1alpha1.Deployment, maxCleanup int32) ([]*v1alpha1.ReplicaSet, int32, error) {
	oldRSs = append([]*v1alpha1.ReplicaSet(nil), oldRSs...)
	sort.Sort(byCreation(oldRSs))
	var total int32
	for i, rs := range oldRSs {
		if total >= maxCleanup {
			break
		}
		unhealthy := rsReplicas(rs) - rs.Status.AvailableReplicas
		if rsReplicas(rs) == 0 || unhealthy <= 0 {
			continue
		}
		n := min(maxCleanup-total, unhealthy)
		_, updated, err := c.scaleReplicaSet(ctx, rs, rsReplicas(rs)-n, d, false)
		if err != nil {
			return nil, total, err
		}
		total += n
		oldRSs[i] = updated
	}
	return oldRSs, total, nil
}

// scaleDownOldReplicaSetsForRollingUpdate scales old ReplicaSets down,
// oldest first, by as many pods as are available above the minimum, and at
// most limit.
func (c *Controller) scaleDownOldReplicaSetsForRollingUpdate(ctx context.Context, allRSs, oldRSs []*v1alpha1.ReplicaSet, d *v1alpha1.Deployment, limit int32) (int32, error) {
	minAvailable := deploymentReplicas(d) - maxUnavailable(d)
	available := sumStatus(allRSs, func(s *v1alpha1.ReplicaSetStatus) int32 { return s.AvailableReplicas })
	if available <= minAvailable {
		return 0, nil
	}
	oldRSs = append([]*v1alpha1.ReplicaSet(nil), oldRSs...)
	sort.Sort(byCreation(oldRSs))
	budget := min(available-minAvailable, limit)
	var total int32
	for _, rs := range oldRSs {
		if total >= budget {
			break
		}
		if rsReplicas(rs) == 0 {
			continue
		}
		n := min(rsReplicas(rs), budget-total)
		if _, _, err := c.scaleReplicaSet(ctx, rs, rsReplicas(rs)-n, d, false); err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}
