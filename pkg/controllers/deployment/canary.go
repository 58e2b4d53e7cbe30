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
	"math"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// canaryPlan is what the canary steps allow the rolling update to do in
// one sync.
type canaryPlan struct {
	// limited: the steps bound the new ReplicaSet to limit pods; otherwise
	// the rollout is a plain rolling update.
	limited bool
	limit   int32
	// paused: the rollout holds at a pause step.
	paused bool
}

// noCanary is the plan of a Deployment without (or past all) canary steps.
var noCanary = canaryPlan{limit: math.MaxInt32}

func hasCanary(d *v1alpha1.Deployment) bool {
	return isRollingUpdate(d) && d.Spec.Strategy.Canary != nil && len(d.Spec.Strategy.Canary.Steps) > 0
}

func podTemplateHash(rs *v1alpha1.ReplicaSet) string {
	if rs == nil {
		return ""
	}
	return rs.Labels[v1alpha1.DefaultDeploymentUniqueLabelKey]
}

// canaryInProgress reports whether d's status says the rollout to newRS is
// at a canary step.
func canaryInProgress(d *v1alpha1.Deployment, newRS *v1alpha1.ReplicaSet) bool {
	st := d.Status.Canary
	return hasCanary(d) && st != nil && newRS != nil && st.PodTemplateHash == podTemplateHash(newRS) &&
		int(st.CurrentStepIndex) < len(d.Spec.Strategy.Canary.Steps)
}

// canaryStepsApply reports whether a rollout to a new template must go
// through the steps: not on the first rollout (no old pods to protect),
// and not when returning to the last template that completed (an
// automatic rollback goes straight back).
func canaryStepsApply(d *v1alpha1.Deployment, hash string, oldRSs []*v1alpha1.ReplicaSet) bool {
	if !hasCanary(d) || podsOrReplicas(activeOrRunning(oldRSs)) == 0 {
		return false
	}
	if rb := d.Status.RollbackOnFailure; d.Spec.RollbackOnFailure != nil && rb != nil && rb.StablePodTemplateHash == hash {
		return false
	}
	return true
}

// activeOrRunning returns the ReplicaSets with a size or pods.
func activeOrRunning(sets []*v1alpha1.ReplicaSet) []*v1alpha1.ReplicaSet {
	var out []*v1alpha1.ReplicaSet
	for _, rs := range sets {
		if rs != nil && (rsReplicas(rs) > 0 || rs.Status.Replicas > 0) {
			out = append(out, rs)
		}
	}
	return out
}

// stepReplicas returns the pods a replicas step asks for out of replicas:
// percentages round up, as maxSurge does; numbers are capped at replicas.
func stepReplicas(v *intstr.IntOrString, replicas int32) int32 {
	n, err := intstr.GetScaledValueFromIntOrPercent(v, int(replicas), true)
	if err != nil {
		// Validated by the API server; treat garbage as "all".
		return replicas
	}
	return min(max(int32(n), 0), replicas)
}

// heldReplicas returns what the new ReplicaSet holds while the rollout is
// at step index: the count of the last replicas step before it, 0 when
// none.
func heldReplicas(steps []v1alpha1.CanaryStep, index int, replicas int32) int32 {
	for i := min(index, len(steps)) - 1; i >= 0; i-- {
		if steps[i].Replicas != nil {
			return stepReplicas(steps[i].Replicas, replicas)
		}
	}
	return 0
}

// canaryTarget returns how many pods the new ReplicaSet may have at the
// step in st, for replicas, without moving the steps.
func canaryTarget(d *v1alpha1.Deployment, st *v1alpha1.CanaryStatus, replicas int32) int32 {
	steps := d.Spec.Strategy.Canary.Steps
	i := int(st.CurrentStepIndex)
	if i >= len(steps) {
		return replicas
	}
	if steps[i].Replicas != nil {
		return stepReplicas(steps[i].Replicas, replicas)
	}
	return heldReplicas(steps, i, replicas)
}

// stepReached reports whether the new ReplicaSet holds target available
// pods (as last observed by its controller) and the old ones no more than
// the rest.
func stepReached(d *v1alpha1.Deployment, newRS *v1alpha1.ReplicaSet, oldRSs []*v1alpha1.ReplicaSet, target int32) bool {
	observed := newRS.Status.ObservedGeneration >= newRS.Generation
	return observed && rsReplicas(newRS) >= target && newRS.Status.AvailableReplicas >= target &&
		totalReplicas(activeReplicaSets(oldRSs)) <= deploymentReplicas(d)-target
}

// syncCanary moves the canary steps of the rollout to newRS as far as they
// go in this sync, writes the canary status when it changed, and returns
// the plan for the rolling update. A new template starts at step 0 (or
// skips the steps, see canaryStepsApply); a pause step starts its clock
// and holds until it expires or is promoted; a replicas step is done once
// stepReached.
func (c *Controller) syncCanary(ctx context.Context, d *v1alpha1.Deployment, newRS *v1alpha1.ReplicaSet, oldRSs []*v1alpha1.ReplicaSet) (canaryPlan, error) {
	logger := klog.FromContext(ctx)
	if !hasCanary(d) || newRS == nil {
		if d.Status.Canary != nil && !hasCanary(d) {
			d.Status.Canary = nil
			return noCanary, c.writeStatus(ctx, d)
		}
		return noCanary, nil
	}
	steps := d.Spec.Strategy.Canary.Steps
	replicas := deploymentReplicas(d)
	now := c.clock.Now()
	hash := podTemplateHash(newRS)
	changed := false

	st := d.Status.Canary
	if st == nil || st.PodTemplateHash != hash {
		st = &v1alpha1.CanaryStatus{PodTemplateHash: hash}
		if !canaryStepsApply(d, hash, oldRSs) {
			st.CurrentStepIndex = int32(len(steps))
			logger.V(2).Info("Rollout skips the canary steps", "replicaSet", klog.KObj(newRS))
		} else {
			logger.V(2).Info("Canary rollout starts at step 0", "replicaSet", klog.KObj(newRS), "steps", len(steps))
		}
		d.Status.Canary = st
		changed = true
	} else {
		st = st.DeepCopy()
		d.Status.Canary = st
	}
	if int(st.CurrentStepIndex) > len(steps) {
		// The steps were shortened: they are all done.
		st.CurrentStepIndex = int32(len(steps))
		changed = true
	}

	plan := noCanary
	for int(st.CurrentStepIndex) < len(steps) {
		i := int(st.CurrentStepIndex)
		step := steps[i]
		if step.Pause != nil {
			if st.PauseStartTime == nil {
				st.PauseStartTime = &metav1.Time{Time: now}
				st.PauseEndTime = nil
				until := "until promoted"
				if step.Pause.Duration != nil {
					st.PauseEndTime = &metav1.Time{Time: now.Add(step.Pause.Duration.Duration)}
					until = "until " + st.PauseEndTime.UTC().Format("2006-01-02T15:04:05Z")
				}
				msg := fmt.Sprintf("ReplicaSet %q is paused at canary step %d of %d %s.", newRS.Name, i, len(steps), until)
				setCondition(&d.Status, newCondition(v1alpha1.DeploymentProgressing, corev1.ConditionUnknown, ReasonCanaryStepPaused, msg, now))
				c.recorder.Eventf(d, corev1.EventTypeNormal, ReasonCanaryStepPaused, "Paused at canary step %d of %d %s", i, len(steps), until)
				changed = true
			}
			if st.PauseEndTime != nil && !now.Before(st.PauseEndTime.Time) {
				logger.V(2).Info("Canary pause expired", "step", i)
				c.advanceStep(d, st, newRS, "the pause expired", now)
				changed = true
				continue
			}
			if st.PauseEndTime != nil {
				c.enqueueAfter(keyOf(d), st.PauseEndTime.Sub(now))
			}
			plan = canaryPlan{limited: true, limit: heldReplicas(steps, i, replicas), paused: true}
			break
		}
		target := stepReplicas(step.Replicas, replicas)
		if stepReached(d, newRS, oldRSs, target) {
			logger.V(2).Info("Canary step reached", "step", i, "replicas", target)
			c.advanceStep(d, st, newRS, fmt.Sprintf("%d pods run the new template", target), now)
			changed = true
			continue
		}
		plan = canaryPlan{limited: true, limit: target}
		break
	}
	if plan.limited && !plan.paused {
		// Moving within a step after a pause: progress counts from now.
		if cond := getCondition(d.Status, v1alpha1.DeploymentProgressing); cond != nil && cond.Reason == ReasonCanaryStepPaused {
			msg := fmt.Sprintf("ReplicaSet %q is progressing to canary step %d of %d.", newRS.Name, st.CurrentStepIndex, len(steps))
			setCondition(&d.Status, newCondition(v1alpha1.DeploymentProgressing, corev1.ConditionTrue, ReasonCanaryStepProgressing, msg, now))
			changed = true
		}
	}
	if !changed {
		return plan, nil
	}
	if err := c.writeStatus(ctx, d); err != nil {
		return plan, fmt.Errorf("recording canary step %d: %w", st.CurrentStepIndex, err)
	}
	return plan, nil
}

// advanceStep moves st past its current step, with an event and a
// Progressing condition whose clock starts now.
func (c *Controller) advanceStep(d *v1alpha1.Deployment, st *v1alpha1.CanaryStatus, newRS *v1alpha1.ReplicaSet, why string, now time.Time) {
	steps := len(d.Spec.Strategy.Canary.Steps)
	done := st.CurrentStepIndex
	st.CurrentStepIndex++
	st.PauseStartTime, st.PauseEndTime = nil, nil
	c.recorder.Eventf(d, corev1.EventTypeNormal, ReasonCanaryStepCompleted, "Canary step %d of %d done: %s", done, steps, why)
	msg := fmt.Sprintf("ReplicaSet %q is progressing to canary step %d of %d.", newRS.Name, st.CurrentStepIndex, steps)
	if int(st.CurrentStepIndex) >= steps {
		msg = fmt.Sprintf("ReplicaSet %q finished its canary steps and is progressing.", newRS.Name)
	}
	setCondition(&d.Status, newCondition(v1alpha1.DeploymentProgressing, corev1.ConditionTrue, ReasonCanaryStepProgressing, msg, now))
}

// canaryScale resizes the ReplicaSets of a Deployment at a canary step to
// spec.replicas, keeping the step's share: the new ReplicaSet keeps its
// proportion of the pods, never above the step's count for the new size,
// and the old ReplicaSets share the rest in proportion to their sizes.
func (c *Controller) canaryScale(ctx context.Context, d *v1alpha1.Deployment, newRS *v1alpha1.ReplicaSet, oldRSs []*v1alpha1.ReplicaSet) error {
	replicas := deploymentReplicas(d)
	before, ok := int32Annotation(newRS, DesiredReplicasAnnotation)
	if !ok || before == 0 {
		before = max(totalReplicas(activeReplicaSets(append(oldRSs, newRS))), 1)
	}
	if before == replicas {
		// Not a scaling event (a paused Deployment comes by here on every
		// sync): leave the step where it is.
		return nil
	}
	newSize := int32(math.Round(float64(rsReplicas(newRS)) * float64(replicas) / float64(before)))
	newSize = min(newSize, canaryTarget(d, d.Status.Canary, replicas), replicas)
	if _, _, err := c.scaleReplicaSet(ctx, newRS, newSize, d, true); err != nil {
		return err
	}
	old := activeReplicaSets(oldRSs)
	if len(old) == 0 {
		return nil
	}
	sort.Sort(bySizeNewer(old))
	rest, oldTotal := replicas-newSize, totalReplicas(old)
	sizes := make([]int32, len(old))
	var given int32
	for i, rs := range old {
		if oldTotal > 0 {
			sizes[i] = rsReplicas(rs) * rest / oldTotal
		}
		given += sizes[i]
	}
	// The largest (first) absorbs the rounding leftover.
	sizes[0] += rest - given
	for i, rs := range old {
		if _, _, err := c.scaleReplicaSet(ctx, rs, sizes[i], d, true); err != nil {
			return err
		}
	}
	return nil
}

// recordStable remembers, for automatic rollback, the template of newRS as
// the last one that completed a rollout.
func recordStable(d *v1alpha1.Deployment, status *v1alpha1.DeploymentStatus, newRS *v1alpha1.ReplicaSet) {
	if d.Spec.RollbackOnFailure == nil || newRS == nil {
		return
	}
	rb := &v1alpha1.RollbackOnFailureStatus{}
	if status.RollbackOnFailure != nil {
		rb = status.RollbackOnFailure.DeepCopy()
	}
	rb.StablePodTemplateHash = podTemplateHash(newRS)
	status.RollbackOnFailure = rb
}
