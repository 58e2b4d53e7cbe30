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

package validation

import (
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

// ValidateDeployment validates a Deployment on creation.
func ValidateDeployment(d *experimental.Deployment) field.ErrorList {
	if d == nil {
		return nilObjectError("Deployment")
	}
	allErrs := apimachineryvalidation.ValidateObjectMeta(&d.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateDeploymentSpec(&d.Spec, field.NewPath("spec"))...)
	return allErrs
}

// ValidateDeploymentUpdate validates an update of a Deployment: the new
// object must be valid and its selector is immutable.
func ValidateDeploymentUpdate(d, old *experimental.Deployment) field.ErrorList {
	if d == nil || old == nil {
		return nilObjectError("Deployment")
	}
	specPath := field.NewPath("spec")
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&d.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateDeploymentSpec(&d.Spec, specPath)...)
	allErrs = append(allErrs, validateImmutableField(d.Spec.Selector, old.Spec.Selector, specPath.Child("selector"))...)
	return allErrs
}

// ValidateDeploymentStatusUpdate validates an update of the status of a
// Deployment: counts must not be negative nor exceed status.replicas,
// available replicas must not exceed ready replicas and the collision count
// must not decrease.
func ValidateDeploymentStatusUpdate(d, old *experimental.Deployment) field.ErrorList {
	if d == nil || old == nil {
		return nilObjectError("Deployment")
	}
	statusPath := field.NewPath("status")
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&d.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateDeploymentStatus(&d.Status, statusPath)...)
	allErrs = append(allErrs, validateCollisionCountUpdate(d.Status.CollisionCount, old.Status.CollisionCount, statusPath.Child("collisionCount"))...)
	return allErrs
}

// ValidateDeploymentRollback validates a DeploymentRollback: the name of the
// deployment is required, the annotations must be valid and the revision
// must not be negative.
func ValidateDeploymentRollback(obj *experimental.DeploymentRollback) field.ErrorList {
	if obj == nil {
		return nilObjectError("DeploymentRollback")
	}
	allErrs := apimachineryvalidation.ValidateAnnotations(obj.UpdatedAnnotations, field.NewPath("updatedAnnotations"))
	if len(obj.Name) == 0 {
		allErrs = append(allErrs, field.Required(field.NewPath("name"), ""))
	}
	allErrs = append(allErrs, validateRollbackConfig(&obj.RollbackTo, field.NewPath("rollbackTo"))...)
	return allErrs
}

// WarningsForDeployment returns warnings for a Deployment: a name that is not
// a DNS label and deprecated or suspicious fields of the pod template.
func WarningsForDeployment(d *experimental.Deployment) []string {
	if d == nil {
		return nil
	}
	warnings := nameWarnings(d.Name)
	return append(warnings, warningsForPodTemplate(&d.Spec.Template, field.NewPath("spec", "template"))...)
}

// validateDeploymentSpec validates the spec of a Deployment.
func validateDeploymentSpec(spec *experimental.DeploymentSpec, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	allErrs = append(allErrs, validateOptionalNonnegativeInt32(spec.Replicas, fldPath.Child("replicas"))...)
	allErrs = append(allErrs, validateWorkloadSelector(spec.Selector, spec.Template.Labels, "deployment", fldPath)...)
	allErrs = append(allErrs, validatePodTemplateSpec(&spec.Template, fldPath.Child("template"))...)
	allErrs = append(allErrs, validateRestartAlwaysTemplate(&spec.Template, "Deployment", fldPath.Child("template"))...)
	allErrs = append(allErrs, validateDeploymentStrategy(&spec.Strategy, fldPath.Child("strategy"))...)
	if spec.RollbackOnFailure != nil {
		allErrs = append(allErrs, validateOptionalNonnegativeInt32(spec.RollbackOnFailure.MaxRestarts, fldPath.Child("rollbackOnFailure", "maxRestarts"))...)
	}
	allErrs = append(allErrs, validateNonnegativeField(int64(spec.MinReadySeconds), fldPath.Child("minReadySeconds"))...)
	allErrs = append(allErrs, validateOptionalNonnegativeInt32(spec.RevisionHistoryLimit, fldPath.Child("revisionHistoryLimit"))...)
	if spec.RollbackTo != nil {
		allErrs = append(allErrs, validateRollbackConfig(spec.RollbackTo, fldPath.Child("rollbackTo"))...)
	}
	if spec.ProgressDeadlineSeconds != nil {
		progressPath := fldPath.Child("progressDeadlineSeconds")
		allErrs = append(allErrs, validateNonnegativeField(int64(*spec.ProgressDeadlineSeconds), progressPath)...)
		if *spec.ProgressDeadlineSeconds <= spec.MinReadySeconds {
			allErrs = append(allErrs, field.Invalid(progressPath, *spec.ProgressDeadlineSeconds, "must be greater than minReadySeconds"))
		}
	}
	return allErrs
}

// validateRollbackConfig validates that the revision to roll back to is not
// negative.
func validateRollbackConfig(rollback *experimental.RollbackConfig, fldPath *field.Path) field.ErrorList {
	return validateNonnegativeField(rollback.Revision, fldPath.Child("revision"))
}

// validateDeploymentStrategy validates the strategy of a Deployment; rolling
// update parameters are only allowed for the RollingUpdate type.
func validateDeploymentStrategy(strategy *experimental.DeploymentStrategy, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	switch strategy.Type {
	case experimental.RecreateDeploymentStrategyType:
		if strategy.RollingUpdate != nil {
			allErrs = append(allErrs, field.Forbidden(fldPath.Child("rollingUpdate"), "may not be specified when strategy `type` is '"+string(experimental.RecreateDeploymentStrategyType)+"'"))
		}
	case experimental.RollingUpdateDeploymentStrategyType:
		if strategy.RollingUpdate == nil {
			allErrs = append(allErrs, field.Required(fldPath.Child("rollingUpdate"), "this should be defaulted and never be nil"))
		} else {
			allErrs = append(allErrs, validateRollingUpdateDeployment(strategy.RollingUpdate, fldPath.Child("rollingUpdate"))...)
		}
	default:
		validValues := []experimental.DeploymentStrategyType{experimental.RecreateDeploymentStrategyType, experimental.RollingUpdateDeploymentStrategyType}
		allErrs = append(allErrs, field.NotSupported(fldPath, strategy.Type, validValues))
	}
	if strategy.Canary != nil {
		canaryPath := fldPath.Child("canary")
		if strategy.Type != experimental.RollingUpdateDeploymentStrategyType {
			allErrs = append(allErrs, field.Forbidden(canaryPath, "may only be specified when strategy `type` is '"+string(experimental.RollingUpdateDeploymentStrategyType)+"'"))
		}
		allErrs = append(allErrs, validateCanaryStrategy(strategy.Canary, canaryPath)...)
	}
	return allErrs
}

// maxCanarySteps bounds spec.strategy.canary.steps.
const maxCanarySteps = 50

// validateCanaryStrategy validates canary steps: at least one, at most
// maxCanarySteps, each with exactly one of replicas (a non-negative number
// or a percentage of at most 100%) and pause (a positive duration when
// set).
func validateCanaryStrategy(canary *experimental.CanaryStrategy, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	stepsPath := fldPath.Child("steps")
	switch {
	case len(canary.Steps) == 0:
		allErrs = append(allErrs, field.Required(stepsPath, "at least one step is required"))
	case len(canary.Steps) > maxCanarySteps:
		allErrs = append(allErrs, field.TooMany(stepsPath, len(canary.Steps), maxCanarySteps))
	}
	for i := range canary.Steps {
		step := &canary.Steps[i]
		stepPath := stepsPath.Index(i)
		switch {
		case step.Replicas == nil && step.Pause == nil:
			allErrs = append(allErrs, field.Required(stepPath, "exactly one of `replicas` and `pause` is required"))
		case step.Replicas != nil && step.Pause != nil:
			allErrs = append(allErrs, field.Forbidden(stepPath.Child("pause"), "may not be specified with `replicas`: a step either scales or pauses"))
		}
		if step.Replicas != nil {
			replicasPath := stepPath.Child("replicas")
			allErrs = append(allErrs, validateIntOrPercent(step.Replicas, replicasPath)...)
			allErrs = append(allErrs, validateNotMoreThan100Percent(step.Replicas, replicasPath)...)
		}
		if step.Pause != nil && step.Pause.Duration != nil && step.Pause.Duration.Duration <= 0 {
			allErrs = append(allErrs, field.Invalid(stepPath.Child("pause", "duration"), step.Pause.Duration.Duration.String(), "must be greater than 0; leave unset to pause until promoted"))
		}
	}
	return allErrs
}

// ValidateDeploymentPromote validates the body of a deployments/promote
// request; it has no field that can be wrong.
func ValidateDeploymentPromote(obj *experimental.DeploymentPromote) field.ErrorList {
	if obj == nil {
		return nilObjectError("DeploymentPromote")
	}
	return nil
}

// validateRollingUpdateDeployment validates the rolling update parameters of
// a Deployment: maxUnavailable and maxSurge are non-negative integers or
// percentages, not both zero, and maxUnavailable is at most 100%.
func validateRollingUpdateDeployment(rollingUpdate *experimental.RollingUpdateDeployment, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	unavailablePath := fldPath.Child("maxUnavailable")
	allErrs = append(allErrs, validateIntOrPercent(rollingUpdate.MaxUnavailable, unavailablePath)...)
	allErrs = append(allErrs, validateIntOrPercent(rollingUpdate.MaxSurge, fldPath.Child("maxSurge"))...)
	if intOrPercentValue(rollingUpdate.MaxUnavailable) == 0 && intOrPercentValue(rollingUpdate.MaxSurge) == 0 {
		allErrs = append(allErrs, field.Invalid(unavailablePath, rollingUpdate.MaxUnavailable, "may not be 0 when `maxSurge` is 0"))
	}
	allErrs = append(allErrs, validateNotMoreThan100Percent(rollingUpdate.MaxUnavailable, unavailablePath)...)
	return allErrs
}

// validateDeploymentStatus validates the counts of a Deployment status.
func validateDeploymentStatus(status *experimental.DeploymentStatus, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	allErrs = append(allErrs, validateNonnegativeField(status.ObservedGeneration, fldPath.Child("observedGeneration"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(status.Replicas), fldPath.Child("replicas"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(status.UpdatedReplicas), fldPath.Child("updatedReplicas"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(status.ReadyReplicas), fldPath.Child("readyReplicas"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(status.AvailableReplicas), fldPath.Child("availableReplicas"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(status.UnavailableReplicas), fldPath.Child("unavailableReplicas"))...)
	allErrs = append(allErrs, validateOptionalNonnegativeInt32(status.TerminatingReplicas, fldPath.Child("terminatingReplicas"))...)
	allErrs = append(allErrs, validateOptionalNonnegativeInt32(status.CollisionCount, fldPath.Child("collisionCount"))...)
	if status.Canary != nil {
		allErrs = append(allErrs, validateNonnegativeField(int64(status.Canary.CurrentStepIndex), fldPath.Child("canary", "currentStepIndex"))...)
	}
	if status.RollbackOnFailure != nil {
		allErrs = append(allErrs, validateNonnegativeField(status.RollbackOnFailure.FailedRevision, fldPath.Child("rollbackOnFailure", "failedRevision"))...)
	}
	if status.UpdatedReplicas > status.Replicas {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("updatedReplicas"), status.UpdatedReplicas, replicasGreaterThanStatusReplicasMsg))
	}
	if status.ReadyReplicas > status.Replicas {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("readyReplicas"), status.ReadyReplicas, replicasGreaterThanStatusReplicasMsg))
	}
	if status.AvailableReplicas > status.Replicas {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("availableReplicas"), status.AvailableReplicas, replicasGreaterThanStatusReplicasMsg))
	}
	if status.AvailableReplicas > status.ReadyReplicas {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("availableReplicas"), status.AvailableReplicas, "cannot be greater than readyReplicas"))
	}
	return allErrs
}
