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

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// rollback acts on spec.rollbackTo (set by the deployments/rollback
// subresource): it copies the template of the requested revision (0: the
// one before the current) into the Deployment and clears spec.rollbackTo,
// with an event telling what happened. The rollout itself follows in the
// next syncs, as for any template change.
func (c *Controller) rollback(ctx context.Context, d *v1alpha1.Deployment, rsList []*v1alpha1.ReplicaSet) error {
	logger := klog.FromContext(ctx)
	newRS, oldRSs, err := c.getAllReplicaSetsAndSyncRevision(ctx, d, rsList, true)
	if err != nil {
		return err
	}
	allRSs := append(append([]*v1alpha1.ReplicaSet(nil), oldRSs...), newRS)
	target := d.Spec.RollbackTo.Revision
	if target == 0 {
		if target = lastRevision(allRSs); target == 0 {
			c.recorder.Eventf(d, corev1.EventTypeWarning, ReasonRollbackRevisionNotFound, "Unable to find last revision.")
			return c.clearRollbackTo(ctx, d)
		}
	}
	for _, rs := range allRSs {
		v, err := revision(rs)
		if err != nil {
			logger.V(4).Info("Ignoring ReplicaSet with an invalid revision", "replicaSet", klog.KObj(rs), "err", err)
			continue
		}
		if v != target {
			continue
		}
		if equalIgnoreHash(&d.Spec.Template, &rs.Spec.Template) {
			logger.V(4).Info("Rollback revision has the current template, nothing to do", "revision", target)
			c.recorder.Eventf(d, corev1.EventTypeWarning, ReasonRollbackTemplateUnchanged,
				"The rollback revision contains the same template as current deployment %q", d.Name)
			return c.clearRollbackTo(ctx, d)
		}
		logger.V(2).Info("Rolling back to the template of an earlier revision", "revision", target, "replicaSet", klog.KObj(rs))
		d.Spec.Template.ObjectMeta = *rs.Spec.Template.ObjectMeta.DeepCopy()
		d.Spec.Template.Spec = *rs.Spec.Template.Spec.DeepCopy()
		delete(d.Spec.Template.Labels, v1alpha1.DefaultDeploymentUniqueLabelKey)
		setDeploymentAnnotationsTo(d, rs)
		if err := c.clearRollbackTo(ctx, d); err != nil {
			return err
		}
		c.recorder.Eventf(d, corev1.EventTypeNormal, ReasonRollbackDone, "Rolled back deployment %q to revision %d", d.Name, target)
		return nil
	}
	c.recorder.Eventf(d, corev1.EventTypeWarning, ReasonRollbackRevisionNotFound, "Unable to find the revision to rollback to.")
	return c.clearRollbackTo(ctx, d)
}

// clearRollbackTo writes d with spec.rollbackTo cleared.
func (c *Controller) clearRollbackTo(ctx context.Context, d *v1alpha1.Deployment) error {
	d.Spec.RollbackTo = nil
	if err := c.writeDeployment(ctx, d); err != nil {
		return fmt.Errorf("clearing spec.rollbackTo: %w", err)
	}
	return nil
}
