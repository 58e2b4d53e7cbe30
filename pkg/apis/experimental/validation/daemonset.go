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
	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

// ValidateDaemonSet validates a DaemonSet on creation.
func ValidateDaemonSet(ds *experimental.DaemonSet) field.ErrorList {
	if ds == nil {
		return nilObjectError("DaemonSet")
	}
	allErrs := apimachineryvalidation.ValidateObjectMeta(&ds.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateDaemonSetSpec(&ds.Spec, field.NewPath("spec"))...)
	return allErrs
}

// ValidateDaemonSetUpdate validates an update of a DaemonSet: the new object
// must be valid and its selector is immutable.
func ValidateDaemonSetUpdate(ds, old *experimental.DaemonSet) field.ErrorList {
	if ds == nil || old == nil {
		return nilObjectError("DaemonSet")
	}
	specPath := field.NewPath("spec")
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&ds.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateDaemonSetSpec(&ds.Spec, specPath)...)
	allErrs = append(allErrs, validateImmutableField(ds.Spec.Selector, old.Spec.Selector, specPath.Child("selector"))...)
	return allErrs
}

// ValidateDaemonSetStatusUpdate validates an update of the status of a
// DaemonSet: counts must not be negative and the collision count must not
// decrease.
func ValidateDaemonSetStatusUpdate(ds, old *experimental.DaemonSet) field.ErrorList {
	if ds == nil || old == nil {
		return nilObjectError("DaemonSet")
	}
	statusPath := field.NewPath("status")
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&ds.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateDaemonSetStatus(&ds.Status, statusPath)...)
	allErrs = append(allErrs, validateCollisionCountUpdate(ds.Status.CollisionCount, old.Status.CollisionCount, statusPath.Child("collisionCount"))...)
	return allErrs
}

// WarningsForDaemonSet returns warnings for deprecated or suspicious fields
// of the pod template of a DaemonSet.
func WarningsForDaemonSet(ds *experimental.DaemonSet) []string {
	if ds == nil {
		return nil
	}
	return warningsForPodTemplate(&ds.Spec.Template, field.NewPath("spec", "template"))
}

// validateDaemonSetSpec validates the spec of a DaemonSet.
func validateDaemonSetSpec(spec *experimental.DaemonSetSpec, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	allErrs = append(allErrs, validateWorkloadSelector(spec.Selector, spec.Template.Labels, "daemonset", fldPath)...)
	allErrs = append(allErrs, validatePodTemplateSpec(&spec.Template, fldPath.Child("template"))...)
	allErrs = append(allErrs, validateRestartAlwaysTemplate(&spec.Template, "DaemonSet", fldPath.Child("template"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(spec.MinReadySeconds), fldPath.Child("minReadySeconds"))...)
	allErrs = append(allErrs, validateDaemonSetUpdateStrategy(&spec.UpdateStrategy, fldPath.Child("updateStrategy"))...)
	allErrs = append(allErrs, validateOptionalNonnegativeInt32(spec.RevisionHistoryLimit, fldPath.Child("revisionHistoryLimit"))...)
	return allErrs
}

// validateRestartAlwaysTemplate validates the pod template of a workload
// whose pods run forever: the restart policy must be Always (an empty policy
// defaults to Always) and an active deadline is not supported.
func validateRestartAlwaysTemplate(template *corev1.PodTemplateSpec, kind string, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if policy := template.Spec.RestartPolicy; policy != "" && policy != corev1.RestartPolicyAlways {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("spec", "restartPolicy"), policy, []corev1.RestartPolicy{corev1.RestartPolicyAlways}))
	}
	if template.Spec.ActiveDeadlineSeconds != nil {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in "+kind+" is not Supported"))
	}
	return allErrs
}

// validateDaemonSetUpdateStrategy validates the update strategy of a DaemonSet.
func validateDaemonSetUpdateStrategy(strategy *experimental.DaemonSetUpdateStrategy, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	switch strategy.Type {
	case experimental.OnDeleteDaemonSetStrategyType:
		if strategy.RollingUpdate != nil {
			allErrs = append(allErrs, forbidProgressiveFields(strategy.RollingUpdate, fldPath.Child("rollingUpdate"))...)
		}
	case experimental.RollingUpdateDaemonSetStrategyType:
		if strategy.RollingUpdate == nil {
			return append(allErrs, field.Required(fldPath.Child("rollingUpdate"), ""))
		}
		allErrs = append(allErrs, validateRollingUpdateDaemonSet(strategy.RollingUpdate, fldPath.Child("rollingUpdate"))...)
	default:
		validValues := []experimental.DaemonSetUpdateStrategyType{experimental.RollingUpdateDaemonSetStrategyType, experimental.OnDeleteDaemonSetStrategyType}
		allErrs = append(allErrs, field.NotSupported(fldPath, strategy.Type, validValues))
	}
	return allErrs
}

// validateRollingUpdateDaemonSet validates the rolling update parameters of a
// DaemonSet: exactly one of maxUnavailable and maxSurge must be non-zero.
func validateRollingUpdateDaemonSet(rollingUpdate *experimental.RollingUpdateDaemonSet, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	unavailablePath := fldPath.Child("maxUnavailable")
	surgePath := fldPath.Child("maxSurge")
	allErrs = append(allErrs, validateIntOrPercent(rollingUpdate.MaxUnavailable, unavailablePath)...)
	allErrs = append(allErrs, validateIntOrPercent(rollingUpdate.MaxSurge, surgePath)...)
	allErrs = append(allErrs, validateNotMoreThan100Percent(rollingUpdate.MaxUnavailable, unavailablePath)...)
	allErrs = append(allErrs, validateNotMoreThan100Percent(rollingUpdate.MaxSurge, surgePath)...)

	hasUnavailable := intOrPercentValue(rollingUpdate.MaxUnavailable) != 0
	hasSurge := intOrPercentValue(rollingUpdate.MaxSurge) != 0
	switch {
	case hasUnavailable && hasSurge:
		allErrs = append(allErrs, field.Invalid(surgePath, rollingUpdate.MaxSurge, "may not be set when maxUnavailable is non-zero"))
	case !hasUnavailable && !hasSurge:
		allErrs = append(allErrs, field.Required(unavailablePath, "cannot be 0 when maxSurge is 0"))
	}

	partitionPath := fldPath.Child("partition")
	allErrs = append(allErrs, validateIntOrPercent(rollingUpdate.Partition, partitionPath)...)
	allErrs = append(allErrs, validateNotMoreThan100Percent(rollingUpdate.Partition, partitionPath)...)
	if sel := rollingUpdate.CanaryNodeSelector; sel != nil {
		selPath := fldPath.Child("canaryNodeSelector")
		selErrs := metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, selPath)
		if len(selErrs) == 0 {
			if _, err := metav1.LabelSelectorAsSelector(sel); err != nil {
				selErrs = append(selErrs, field.Invalid(selPath, sel, err.Error()))
			}
		}
		allErrs = append(allErrs, selErrs...)
	}
	switch rollingUpdate.UnreadyNodePolicy {
	case "", experimental.BlockUnreadyNodePolicy, experimental.SkipUnreadyNodePolicy:
	default:
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("unreadyNodePolicy"), rollingUpdate.UnreadyNodePolicy,
			[]experimental.DaemonSetUnreadyNodePolicy{experimental.BlockUnreadyNodePolicy, experimental.SkipUnreadyNodePolicy}))
	}
	return allErrs
}

// forbidProgressiveFields rejects the rolling update fields that only a
// RollingUpdate strategy acts on (maxUnavailable and maxSurge stay allowed
// and ignored with OnDelete, as in apps/v1).
func forbidProgressiveFields(rollingUpdate *experimental.RollingUpdateDaemonSet, fldPath *field.Path) field.ErrorList {
	const msg = "may only be set when type is RollingUpdate"
	allErrs := field.ErrorList{}
	if rollingUpdate.Partition != nil {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("partition"), msg))
	}
	if rollingUpdate.Paused {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("paused"), msg))
	}
	if rollingUpdate.CanaryNodeSelector != nil {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("canaryNodeSelector"), msg))
	}
	if rollingUpdate.UnreadyNodePolicy != "" {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("unreadyNodePolicy"), msg))
	}
	return allErrs
}

// validateDaemonSetStatus validates that the counts of a DaemonSet status
// are not negative.
func validateDaemonSetStatus(status *experimental.DaemonSetStatus, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	allErrs = append(allErrs, validateNonnegativeField(int64(status.CurrentNumberScheduled), fldPath.Child("currentNumberScheduled"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(status.NumberMisscheduled), fldPath.Child("numberMisscheduled"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(status.DesiredNumberScheduled), fldPath.Child("desiredNumberScheduled"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(status.NumberReady), fldPath.Child("numberReady"))...)
	allErrs = append(allErrs, validateNonnegativeField(status.ObservedGeneration, fldPath.Child("observedGeneration"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(status.UpdatedNumberScheduled), fldPath.Child("updatedNumberScheduled"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(status.NumberAvailable), fldPath.Child("numberAvailable"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(status.NumberUnavailable), fldPath.Child("numberUnavailable"))...)
	allErrs = append(allErrs, validateOptionalNonnegativeInt32(status.CollisionCount, fldPath.Child("collisionCount"))...)
	return allErrs
}
