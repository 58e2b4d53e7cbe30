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
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// syncStatusOnly only reports status (for a Deployment being deleted).
func (c *Controller) syncStatusOnly(ctx context.Context, d *v1alpha1.Deployment, rsList []*v1alpha1.ReplicaSet) error {
	newRS, oldRSs, err := c.getAllReplicaSetsAndSyncRevision(ctx, d, rsList, false)
	if err != nil {
		return err
	}
	return c.syncDeploymentStatus(ctx, append(oldRSs, newRS), newRS, d)
}

// syncScale handles scaling events and paused Deployments: it resizes the
// existing ReplicaSets (proportionally during a rollout) without rolling
// anything out.
func (c *Controller) syncScale(ctx context.Context, d *v1alpha1.Deployment, rsList []*v1alpha1.ReplicaSet) error {
	newRS, oldRSs, err := c.getAllReplicaSetsAndSyncRevision(ctx, d, rsList, false)
	if err != nil {
		return err
	}
	if err := c.scale(ctx, d, newRS, oldRSs); err != nil {
		return err
	}
	if d.Spec.Paused && d.Spec.RollbackTo == nil {
		if err := c.cleanupDeployment(ctx, oldRSs, d); err != nil {
			return err
		}
	}
	return c.syncDeploymentStatus(ctx, append(oldRSs, newRS), newRS, d)
}

// checkPausedConditions records pausing and resuming in the Progressing
// condition, so the time spent paused never counts against the progress
// deadline.
func (c *Controller) checkPausedConditions(ctx context.Context, d *v1alpha1.Deployment) error {
	if !hasProgressDeadline(d) {
		return nil
	}
	cond := getCondition(d.Status, v1alpha1.DeploymentProgressing)
	if cond != nil && cond.Reason == ReasonTimedOut {
		// Keep reporting the lack of progress.
		return nil
	}
	pausedCond := cond != nil && cond.Reason == ReasonPaused
	now := c.clock.Now()
	switch {
	case d.Spec.Paused && !pausedCond:
		setCondition(&d.Status, newCondition(v1alpha1.DeploymentProgressing, corev1.ConditionUnknown, ReasonPaused, "Deployment is paused", now))
	case !d.Spec.Paused && pausedCond:
		setCondition(&d.Status, newCondition(v1alpha1.DeploymentProgressing, corev1.ConditionUnknown, ReasonResumed, "Deployment is resumed", now))
	default:
		return nil
	}
	return c.writeStatus(ctx, d)
}

// getAllReplicaSetsAndSyncRevision returns the new ReplicaSet (nil when it
// does not exist and createIfNotExisted is false) and all old ones, with
// the revision of the new one and of the Deployment brought up to date.
func (c *Controller) getAllReplicaSetsAndSyncRevision(ctx context.Context, d *v1alpha1.Deployment, rsList []*v1alpha1.ReplicaSet, createIfNotExisted bool) (*v1alpha1.ReplicaSet, []*v1alpha1.ReplicaSet, error) {
	oldRSs := findOldReplicaSets(d, rsList)
	newRS, err := c.getNewReplicaSet(ctx, d, rsList, oldRSs, createIfNotExisted)
	if err != nil {
		return nil, nil, err
	}
	return newRS, oldRSs, nil
}

// getNewReplicaSet returns the ReplicaSet with the Deployment's template,
// syncing its annotations, minReadySeconds and revision (max old revision +
// 1), or creates it when asked to. A name already taken by a ReplicaSet
// with another template is a hash collision: status.collisionCount is
// bumped and the error returned, so the next sync tries another name.
func (c *Controller) getNewReplicaSet(ctx context.Context, d *v1alpha1.Deployment, rsList, oldRSs []*v1alpha1.ReplicaSet, createIfNotExisted bool) (*v1alpha1.ReplicaSet, error) {
	logger := klog.FromContext(ctx)
	existing := findNewReplicaSet(d, rsList)
	newRevision := maxRevision(oldRSs) + 1
	rsClient := c.client.ExperimentalV1alpha1().ReplicaSets(d.Namespace)

	if existing != nil {
		rsCopy := existing.DeepCopy()
		annotationsChanged := setNewReplicaSetAnnotations(d, rsCopy, newRevision, true)
		if annotationsChanged || rsCopy.Spec.MinReadySeconds != d.Spec.MinReadySeconds {
			rsCopy.Spec.MinReadySeconds = d.Spec.MinReadySeconds
			updated, err := rsClient.Update(ctx, rsCopy, metav1.UpdateOptions{})
			if err != nil {
				return nil, fmt.Errorf("updating the revision of ReplicaSet %s/%s: %w", rsCopy.Namespace, rsCopy.Name, err)
			}
			// The Deployment's revision follows once the informer delivers
			// the update and the next sync comes by here again.
			return updated, nil
		}
		needsUpdate := setDeploymentRevision(d, rsCopy.Annotations[RevisionAnnotation])
		if hasProgressDeadline(d) && getCondition(d.Status, v1alpha1.DeploymentProgressing) == nil {
			msg := fmt.Sprintf("Found new replica set %q", rsCopy.Name)
			setCondition(&d.Status, newCondition(v1alpha1.DeploymentProgressing, corev1.ConditionTrue, ReasonFoundNewReplicaSet, msg, c.clock.Now()))
			needsUpdate = true
		}
		if needsUpdate {
			if err := c.writeStatus(ctx, d); err != nil {
				return nil, err
			}
		}
		return rsCopy, nil
	}
	if !createIfNotExisted {
		return nil, nil
	}

	template := *d.Spec.Template.DeepCopy()
	hash := computeHash(&template, d.Status.CollisionCount)
	template.Labels = withLabel(d.Spec.Template.Labels, v1alpha1.DefaultDeploymentUniqueLabelKey, hash)
	newRS := &v1alpha1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:            replicaSetName(d.Name, hash),
			Namespace:       d.Namespace,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(d, controllerKind)},
			Labels:          template.Labels,
		},
		Spec: v1alpha1.ReplicaSetSpec{
			Replicas:        ptr.To[int32](0),
			MinReadySeconds: d.Spec.MinReadySeconds,
			Selector:        selectorWithLabel(d.Spec.Selector, v1alpha1.DefaultDeploymentUniqueLabelKey, hash),
			Template:        template,
		},
	}
	replicas, err := newRSNewReplicas(d, append(oldRSs, newRS), newRS)
	if err != nil {
		return nil, err
	}
	if canaryStepsApply(d, hash, oldRSs) {
		// The canary steps size it from the next sync on.
		replicas = 0
	}
	newRS.Spec.Replicas = ptr.To(replicas)
	setNewReplicaSetAnnotations(d, newRS, newRevision, false)

	alreadyExists := false
	created, err := rsClient.Create(ctx, newRS, metav1.CreateOptions{})
	switch {
	case apierrors.IsAlreadyExists(err):
		alreadyExists = true
		rs, getErr := c.rsLister.ReplicaSets(d.Namespace).Get(newRS.Name)
		if getErr != nil {
			return nil, fmt.Errorf("ReplicaSet %s/%s exists but is not in the cache yet: %w", d.Namespace, newRS.Name, getErr)
		}
		// Ours, with our template: created by an earlier sync the cache had
		// not seen.
		if ref := metav1.GetControllerOf(rs); ref != nil && ref.UID == d.UID && equalIgnoreHash(&d.Spec.Template, &rs.Spec.Template) {
			created = rs
			break
		}
		// A hash collision: try another name next time.
		before := ptr.Deref(d.Status.CollisionCount, 0)
		d.Status.CollisionCount = ptr.To(before + 1)
		if statusErr := c.writeStatus(ctx, d); statusErr == nil {
			logger.V(2).Info("Hash collision for the new ReplicaSet, bumping collisionCount", "replicaSet", newRS.Name,
				"oldCollisionCount", before, "newCollisionCount", before+1)
		}
		return nil, fmt.Errorf("creating ReplicaSet %s/%s: name taken by another template: %w", d.Namespace, newRS.Name, err)
	case apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		return nil, err
	case err != nil:
		msg := fmt.Sprintf("Failed to create new replica set %q: %v", newRS.Name, err)
		if hasProgressDeadline(d) {
			setCondition(&d.Status, newCondition(v1alpha1.DeploymentProgressing, corev1.ConditionFalse, ReasonFailedRSCreate, msg, c.clock.Now()))
			// The create error is the one to report and retry.
			_ = c.writeStatus(ctx, d)
		}
		c.recorder.Eventf(d, corev1.EventTypeWarning, ReasonFailedRSCreate, "%s", msg)
		return nil, fmt.Errorf("creating ReplicaSet %s/%s: %w", d.Namespace, newRS.Name, err)
	}
	if !alreadyExists {
		logger.V(2).Info("Created new ReplicaSet", "replicaSet", klog.KObj(created), "replicas", replicas, "revision", newRevision)
		if replicas > 0 {
			c.recorder.Eventf(d, corev1.EventTypeNormal, ReasonScalingReplicaSet, "Scaled up replica set %s from 0 to %d", created.Name, replicas)
		}
	}
	needsUpdate := setDeploymentRevision(d, strconv.FormatInt(newRevision, 10))
	if !alreadyExists && hasProgressDeadline(d) {
		msg := fmt.Sprintf("Created new replica set %q", created.Name)
		setCondition(&d.Status, newCondition(v1alpha1.DeploymentProgressing, corev1.ConditionTrue, ReasonNewReplicaSetCreated, msg, c.clock.Now()))
		needsUpdate = true
	}
	if needsUpdate {
		if err := c.writeStatus(ctx, d); err != nil {
			return nil, err
		}
	}
	return created, nil
}

// isScalingEvent reports whether spec.replicas changed since the active
// ReplicaSets were last sized (their desired-replicas annotation).
func (c *Controller) isScalingEvent(ctx context.Context, d *v1alpha1.Deployment, rsList []*v1alpha1.ReplicaSet) (bool, error) {
	newRS, oldRSs, err := c.getAllReplicaSetsAndSyncRevision(ctx, d, rsList, false)
	if err != nil {
		return false, err
	}
	for _, rs := range activeReplicaSets(append(oldRSs, newRS)) {
		if desired, ok := int32Annotation(rs, DesiredReplicasAnnotation); ok && desired != deploymentReplicas(d) {
			return true, nil
		}
	}
	return false, nil
}

// scale resizes the ReplicaSets to spec.replicas: a single active (or the
// newest) ReplicaSet takes all; with a saturated new ReplicaSet the old ones
// go to zero; otherwise, for RollingUpdate, the change is spread over the
// active ReplicaSets in proportion to their size, so a scale during a
// rollout neither speeds it up nor adds unavailable pods.
func (c *Controller) scale(ctx context.Context, d *v1alpha1.Deployment, newRS *v1alpha1.ReplicaSet, oldRSs []*v1alpha1.ReplicaSet) error {
	if rs := findActiveOrLatest(newRS, oldRSs); rs != nil {
		if rsReplicas(rs) == deploymentReplicas(d) {
			return nil
		}
		_, _, err := c.scaleReplicaSet(ctx, rs, deploymentReplicas(d), d, false)
		return err
	}
	if canaryInProgress(d, newRS) {
		return c.canaryScale(ctx, d, newRS, oldRSs)
	}
	if isSaturated(d, newRS) {
		for _, old := range activeReplicaSets(oldRSs) {
			if _, _, err := c.scaleReplicaSet(ctx, old, 0, d, false); err != nil {
				return err
			}
		}
		return nil
	}
	if !isRollingUpdate(d) {
		return nil
	}
	sizes := proportionalSizes(d, activeReplicaSets(append(oldRSs, newRS)))
	for _, s := range sizes {
		if _, _, err := c.scaleReplicaSet(ctx, s.rs, s.size, d, true); err != nil {
			return err
		}
	}
	return nil
}

type rsSize struct {
	rs   *v1alpha1.ReplicaSet
	size int32
}

// proportionalSizes computes the new size of each active ReplicaSet when
// the Deployment's maximum size (spec.replicas + maxSurge) changes. The
// largest ReplicaSet absorbs the rounding leftover.
func proportionalSizes(d *v1alpha1.Deployment, active []*v1alpha1.ReplicaSet) []rsSize {
	sets := append([]*v1alpha1.ReplicaSet(nil), active...)
	allowed := int32(0)
	if deploymentReplicas(d) > 0 {
		allowed = deploymentReplicas(d) + maxSurge(d)
	}
	toAdd := allowed - totalReplicas(sets)
	switch {
	case toAdd > 0:
		sort.Sort(bySizeNewer(sets))
	case toAdd < 0:
		sort.Sort(bySizeOlder(sets))
	}
	out := make([]rsSize, len(sets))
	var added int32
	for i, rs := range sets {
		p := replicaSetProportion(rs, d, toAdd, added)
		out[i] = rsSize{rs: rs, size: rsReplicas(rs) + p}
		added += p
	}
	if len(out) > 0 && toAdd != 0 {
		out[0].size = max(out[0].size+toAdd-added, 0)
	}
	return out
}

// scaleReplicaSet sets the size of rs to newScale and its replicas
// annotations to the Deployment's; unless force, it does nothing when the
// size is right already. It reports whether the size changed.
func (c *Controller) scaleReplicaSet(ctx context.Context, rs *v1alpha1.ReplicaSet, newScale int32, d *v1alpha1.Deployment, force bool) (bool, *v1alpha1.ReplicaSet, error) {
	oldScale := rsReplicas(rs)
	if !force && oldScale == newScale {
		return false, rs, nil
	}
	desired, maxReplicas := deploymentReplicas(d), deploymentReplicas(d)+maxSurge(d)
	sizeChanged := oldScale != newScale
	if !sizeChanged && !replicasAnnotationsNeedUpdate(rs, desired, maxReplicas) {
		return false, rs, nil
	}
	rsCopy := rs.DeepCopy()
	rsCopy.Spec.Replicas = ptr.To(newScale)
	setReplicasAnnotations(rsCopy, desired, maxReplicas)
	updated, err := c.client.ExperimentalV1alpha1().ReplicaSets(rsCopy.Namespace).Update(ctx, rsCopy, metav1.UpdateOptions{})
	if err != nil {
		return false, rs, fmt.Errorf("scaling ReplicaSet %s/%s from %d to %d: %w", rs.Namespace, rs.Name, oldScale, newScale, err)
	}
	if sizeChanged {
		direction := "up"
		if newScale < oldScale {
			direction = "down"
		}
		klog.FromContext(ctx).V(2).Info("Scaled ReplicaSet", "replicaSet", klog.KObj(rs), "from", oldScale, "to", newScale)
		c.recorder.Eventf(d, corev1.EventTypeNormal, ReasonScalingReplicaSet, "Scaled %s replica set %s from %d to %d", direction, rs.Name, oldScale, newScale)
	}
	return sizeChanged, updated, nil
}

// cleanupDeployment deletes the oldest old ReplicaSets beyond
// revisionHistoryLimit; only those scaled to zero, without pods, and fully
// observed by their controller.
func (c *Controller) cleanupDeployment(ctx context.Context, oldRSs []*v1alpha1.ReplicaSet, d *v1alpha1.Deployment) error {
	if !hasRevisionHistoryLimit(d) {
		return nil
	}
	var cleanable []*v1alpha1.ReplicaSet
	for _, rs := range oldRSs {
		if rs != nil && rs.DeletionTimestamp == nil {
			cleanable = append(cleanable, rs)
		}
	}
	diff := len(cleanable) - int(*d.Spec.RevisionHistoryLimit)
	if diff <= 0 {
		return nil
	}
	sort.Sort(byRevision(cleanable))
	logger := klog.FromContext(ctx)
	for _, rs := range cleanable[:diff] {
		if rs.Status.Replicas != 0 || rsReplicas(rs) != 0 || rs.Generation > rs.Status.ObservedGeneration {
			continue
		}
		logger.V(4).Info("Deleting old ReplicaSet beyond the revision history limit", "replicaSet", klog.KObj(rs))
		uid := rs.UID
		err := c.client.ExperimentalV1alpha1().ReplicaSets(rs.Namespace).Delete(ctx, rs.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !apierrors.IsNotFound(err) {
			// Stop at the first error rather than pile up failing calls.
			return fmt.Errorf("deleting old ReplicaSet %s/%s: %w", rs.Namespace, rs.Name, err)
		}
	}
	return nil
}

// syncDeploymentStatus writes the status computed from the ReplicaSets when
// it changed.
func (c *Controller) syncDeploymentStatus(ctx context.Context, allRSs []*v1alpha1.ReplicaSet, newRS *v1alpha1.ReplicaSet, d *v1alpha1.Deployment) error {
	newStatus := c.calculateStatus(allRSs, newRS, d)
	if apiequality.Semantic.DeepEqual(d.Status, newStatus) {
		return nil
	}
	d.Status = newStatus
	return c.writeStatus(ctx, d)
}

// calculateStatus computes the counts and the Available condition from the
// ReplicaSets, keeping the other conditions of d.
func (c *Controller) calculateStatus(allRSs []*v1alpha1.ReplicaSet, newRS *v1alpha1.ReplicaSet, d *v1alpha1.Deployment) v1alpha1.DeploymentStatus {
	available := sumStatus(allRSs, func(s *v1alpha1.ReplicaSetStatus) int32 { return s.AvailableReplicas })
	unavailable := max(totalReplicas(allRSs)-available, 0)
	status := v1alpha1.DeploymentStatus{
		ObservedGeneration:  d.Generation,
		Replicas:            sumStatus(allRSs, func(s *v1alpha1.ReplicaSetStatus) int32 { return s.Replicas }),
		UpdatedReplicas:     sumStatus([]*v1alpha1.ReplicaSet{newRS}, func(s *v1alpha1.ReplicaSetStatus) int32 { return s.Replicas }),
		ReadyReplicas:       sumStatus(allRSs, func(s *v1alpha1.ReplicaSetStatus) int32 { return s.ReadyReplicas }),
		AvailableReplicas:   available,
		UnavailableReplicas: unavailable,
		TerminatingReplicas: terminatingReplicas(allRSs),
		CollisionCount:      d.Status.CollisionCount,
		Canary:              d.Status.Canary,
		RollbackOnFailure:   d.Status.RollbackOnFailure,
	}
	status.Conditions = append(status.Conditions, d.Status.Conditions...)
	now := c.clock.Now()
	if available >= deploymentReplicas(d)-maxUnavailable(d) {
		setCondition(&status, newCondition(v1alpha1.DeploymentAvailable, corev1.ConditionTrue, ReasonMinimumReplicasAvailable, "Deployment has minimum availability.", now))
	} else {
		setCondition(&status, newCondition(v1alpha1.DeploymentAvailable, corev1.ConditionFalse, ReasonMinimumReplicasUnavailable, "Deployment does not have minimum availability.", now))
	}
	return status
}
