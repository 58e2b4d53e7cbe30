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

package storage

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/validation"
)

// ReasonCanaryStepPromoted is the reason of the Progressing condition the
// promote subresource sets: the rollout was moved past a canary step.
const ReasonCanaryStepPromoted = "CanaryStepPromoted"

// PromoteREST serves deployments/promote: it moves a canary rollout past
// its current step (status.canary.currentStepIndex + 1), or past all of
// them with full, through the status store. The deployment controller does
// the rest. Its own RBAC verb (create on deployments/promote) separates who
// may release a canary from who may edit the Deployment.
type PromoteREST struct {
	status rest.Updater
	clock  clock.PassiveClock
}

var (
	_ rest.NamedCreater                   = &PromoteREST{}
	_ rest.StorageMetadata                = &PromoteREST{}
	_ rest.SubresourceObjectMetaPreserver = &PromoteREST{}
)

// New implements rest.Storage.
func (r *PromoteREST) New() runtime.Object { return &experimental.DeploymentPromote{} }

// Destroy implements rest.Storage. The main store owns the storage.
func (r *PromoteREST) Destroy() {}

// ProducesMIMETypes implements rest.StorageMetadata.
func (r *PromoteREST) ProducesMIMETypes(string) []string { return nil }

// ProducesObject implements rest.StorageMetadata: the response is the
// promoted Deployment.
func (r *PromoteREST) ProducesObject(string) any { return v1alpha1.Deployment{} }

// PreserveRequestObjectMetaSystemFieldsOnSubresourceCreate implements
// rest.SubresourceObjectMetaPreserver: a DeploymentPromote has no metadata.
func (r *PromoteREST) PreserveRequestObjectMetaSystemFieldsOnSubresourceCreate() bool { return true }

// Create implements rest.NamedCreater. It answers 400 when the Deployment
// has no canary steps, and 409 when its rollout is not at a step or the
// controller has not observed its latest spec yet (retry then).
func (r *PromoteREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	promote, ok := obj.(*experimental.DeploymentPromote)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a DeploymentPromote: %T", obj))
	}
	if errs := validation.ValidateDeploymentPromote(promote); len(errs) > 0 {
		return nil, apierrors.NewInvalid(experimental.Kind("DeploymentPromote"), name, errs)
	}
	if createValidation != nil {
		if err := createValidation(ctx, promote.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	now := r.clock.Now()
	var from, to int32
	promoteStep := func(_ context.Context, _, oldObj runtime.Object) (runtime.Object, error) {
		d := oldObj.(*experimental.Deployment).DeepCopy()
		conflict := func(format string, args ...any) error {
			return apierrors.NewConflict(experimental.Resource("deployments"), name, fmt.Errorf(format, args...))
		}
		if d.DeletionTimestamp != nil {
			return nil, conflict("deployment %q is being deleted", name)
		}
		if d.Spec.Strategy.Canary == nil || len(d.Spec.Strategy.Canary.Steps) == 0 {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("deployment %q has no canary steps (spec.strategy.canary.steps) to promote", name))
		}
		if d.Status.ObservedGeneration < d.Generation {
			return nil, conflict("the deployment controller has not observed generation %d of deployment %q yet; retry", d.Generation, name)
		}
		steps := int32(len(d.Spec.Strategy.Canary.Steps))
		st := d.Status.Canary
		if st == nil || st.CurrentStepIndex >= steps {
			return nil, conflict("deployment %q is not at a canary step: its rollout has no step left to promote", name)
		}
		from = st.CurrentStepIndex
		to = from + 1
		if promote.Full {
			to = steps
		}
		st.CurrentStepIndex = to
		st.PauseStartTime, st.PauseEndTime = nil, nil
		msg := fmt.Sprintf("Promoted from canary step %d to step %d of %d.", from, to, steps)
		if to == steps {
			msg = fmt.Sprintf("Promoted from canary step %d past the last step; the rollout finishes.", from)
		}
		setProgressing(&d.Status, ReasonCanaryStepPromoted, msg, now)
		return d, nil
	}
	updateOptions := &metav1.UpdateOptions{DryRun: options.DryRun, FieldManager: options.FieldManager}
	out, _, err := r.status.Update(ctx, name, rest.DefaultUpdatedObjectInfo(nil, promoteStep),
		rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, updateOptions)
	if err != nil {
		return nil, err
	}
	klog.FromContext(ctx).V(2).Info("Promoted a canary rollout", "deployment", klog.KRef(genericapirequest.NamespaceValue(ctx), name),
		"fromStep", from, "toStep", to, "full", promote.Full, "dryRun", len(options.DryRun) > 0)
	return out, nil
}

// setProgressing replaces the Progressing condition of status with a True
// one whose clock starts at now.
func setProgressing(status *experimental.DeploymentStatus, reason, msg string, now time.Time) {
	cond := experimental.DeploymentCondition{
		Type:               experimental.DeploymentProgressing,
		Status:             corev1.ConditionTrue,
		LastUpdateTime:     metav1.Time{Time: now},
		LastTransitionTime: metav1.Time{Time: now},
		Reason:             reason,
		Message:            msg,
	}
	for i := range status.Conditions {
		if status.Conditions[i].Type == experimental.DeploymentProgressing {
			if status.Conditions[i].Status == corev1.ConditionTrue {
				cond.LastTransitionTime = status.Conditions[i].LastTransitionTime
			}
			status.Conditions[i] = cond
			return
		}
	}
	status.Conditions = append(status.Conditions, cond)
}
