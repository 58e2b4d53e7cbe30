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

// replicasGreaterThanStatusReplicasMsg is the message of a status count
// above status.replicas.
const replicasGreaterThanStatusReplicasMsg = "cannot be greater than status.replicas"

// ValidateReplicaSet validates a ReplicaSet on creation.
func ValidateReplicaSet(rs *experimental.ReplicaSet) field.ErrorList {
	if rs == nil {
		return nilObjectError("ReplicaSet")
	}
	allErrs := apimachineryvalidation.ValidateObjectMeta(&rs.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateReplicaSetSpec(&rs.Spec, field.NewPath("spec"))...)
	return allErrs
}

// ValidateReplicaSetUpdate validates an update of a ReplicaSet: the new
// object must be valid and its selector is immutable.
func ValidateReplicaSetUpdate(rs, old *experimental.ReplicaSet) field.ErrorList {
	if rs == nil || old == nil {
		return nilObjectError("ReplicaSet")
	}
	specPath := field.NewPath("spec")
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&rs.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateReplicaSetSpec(&rs.Spec, specPath)...)
	allErrs = append(allErrs, validateImmutableField(rs.Spec.Selector, old.Spec.Selector, specPath.Child("selector"))...)
	return allErrs
}

// ValidateReplicaSetStatusUpdate validates an update of the status of a
// ReplicaSet: counts must not be negative nor exceed status.replicas, and
// available replicas must not exceed ready replicas.
func ValidateReplicaSetStatusUpdate(rs, old *experimental.ReplicaSet) field.ErrorList {
	if rs == nil || old == nil {
		return nilObjectError("ReplicaSet")
	}
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&rs.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateReplicaSetStatus(&rs.Status, field.NewPath("status"))...)
	return allErrs
}

// WarningsForReplicaSet returns warnings for a ReplicaSet: a name that is not
// a DNS label and deprecated or suspicious fields of the pod template.
func WarningsForReplicaSet(rs *experimental.ReplicaSet) []string {
	if rs == nil {
		return nil
	}
	warnings := nameWarnings(rs.Name)
	return append(warnings, warningsForPodTemplate(&rs.Spec.Template, field.NewPath("spec", "template"))...)
}

// validateReplicaSetSpec validates the spec of a ReplicaSet.
func validateReplicaSetSpec(spec *experimental.ReplicaSetSpec, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	allErrs = append(allErrs, validateOptionalNonnegativeInt32(spec.Replicas, fldPath.Child("replicas"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(spec.MinReadySeconds), fldPath.Child("minReadySeconds"))...)
	allErrs = append(allErrs, validateWorkloadSelector(spec.Selector, spec.Template.Labels, "replicaset", fldPath)...)
	allErrs = append(allErrs, validatePodTemplateSpec(&spec.Template, fldPath.Child("template"))...)
	allErrs = append(allErrs, validateRestartAlwaysTemplate(&spec.Template, "ReplicaSet", fldPath.Child("template"))...)
	return allErrs
}

// validateReplicaSetStatus validates the counts of a ReplicaSet status.
func validateReplicaSetStatus(status *experimental.ReplicaSetStatus, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	allErrs = append(allErrs, validateNonnegativeField(int64(status.Replicas), fldPath.Child("replicas"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(status.FullyLabeledReplicas), fldPath.Child("fullyLabeledReplicas"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(status.ReadyReplicas), fldPath.Child("readyReplicas"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(status.AvailableReplicas), fldPath.Child("availableReplicas"))...)
	allErrs = append(allErrs, validateNonnegativeField(status.ObservedGeneration, fldPath.Child("observedGeneration"))...)
	allErrs = append(allErrs, validateOptionalNonnegativeInt32(status.TerminatingReplicas, fldPath.Child("terminatingReplicas"))...)
	if status.FullyLabeledReplicas > status.Replicas {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("fullyLabeledReplicas"), status.FullyLabeledReplicas, replicasGreaterThanStatusReplicasMsg))
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
