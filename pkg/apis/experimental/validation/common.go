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
	"errors"
	"fmt"
	"strconv"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const (
	// isNegativeErrorMsg is the message of a negative value where a
	// non-negative one is required.
	isNegativeErrorMsg = apimachineryvalidation.IsNegativeErrorMsg
	// selectorMismatchErrorMsg is the message of a selector that does not
	// select the pod template.
	selectorMismatchErrorMsg = "`selector` does not match template `labels`"
	// nameWarningFormat is the warning for a workload name that is not a DNS
	// label although it becomes part of pod names and hostnames.
	nameWarningFormat = "metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: %v"
)

// nilObjectError reports an object that is nil.
func nilObjectError(kind string) field.ErrorList {
	return field.ErrorList{field.InternalError(nil, errors.New(kind+" must not be nil"))}
}

// validateNonnegativeField returns an error when value is negative.
func validateNonnegativeField(value int64, fldPath *field.Path) field.ErrorList {
	return apimachineryvalidation.ValidateNonnegativeField(value, fldPath)
}

// validateOptionalNonnegativeInt32 returns an error when value is set and negative.
func validateOptionalNonnegativeInt32(value *int32, fldPath *field.Path) field.ErrorList {
	if value == nil {
		return nil
	}
	return validateNonnegativeField(int64(*value), fldPath)
}

// validatePositiveField returns an error when value is not greater than zero.
func validatePositiveField(value int64, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if value <= 0 {
		allErrs = append(allErrs, field.Invalid(fldPath, value, "must be greater than zero"))
	}
	return allErrs
}

// validateImmutableField returns an error when newVal is semantically
// different from oldVal.
func validateImmutableField(newVal, oldVal any, fldPath *field.Path) field.ErrorList {
	return apimachineryvalidation.ValidateImmutableField(newVal, oldVal, fldPath)
}

// validateDNS1123Label returns an error for every way value is not a DNS label.
func validateDNS1123Label(value string, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	for _, msg := range utilvalidation.IsDNS1123Label(value) {
		allErrs = append(allErrs, field.Invalid(fldPath, value, msg))
	}
	return allErrs
}

// validateDNS1123Subdomain returns an error for every way value is not a DNS
// subdomain.
func validateDNS1123Subdomain(value string, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	for _, msg := range utilvalidation.IsDNS1123Subdomain(value) {
		allErrs = append(allErrs, field.Invalid(fldPath, value, msg))
	}
	return allErrs
}

// validateQualifiedName returns an error for every way value is not what
// Kubernetes calls a qualified name (an optionally prefixed label key).
func validateQualifiedName(value string, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	for _, msg := range utilvalidation.IsQualifiedName(value) {
		allErrs = append(allErrs, field.Invalid(fldPath, value, msg))
	}
	return allErrs
}

// isDecremented reports whether update is lower than old, treating nil as 0.
func isDecremented(update, old *int32) bool {
	if update == nil && old != nil {
		return true
	}
	if update == nil || old == nil {
		return false
	}
	return *update < *old
}

// validateCollisionCountUpdate returns an error when the collision count of a
// status decreases.
func validateCollisionCountUpdate(update, old *int32, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if isDecremented(update, old) {
		value := int32(0)
		if update != nil {
			value = *update
		}
		allErrs = append(allErrs, field.Invalid(fldPath, value, "cannot be decremented"))
	}
	return allErrs
}

// validateWorkloadSelector validates the selector of a DaemonSet, ReplicaSet
// or Deployment: it is required, must be a valid, non-empty label selector
// and must select the labels of the pod template. kind names the workload in
// the error for an empty selector.
func validateWorkloadSelector(selector *metav1.LabelSelector, templateLabels map[string]string, kind string, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	selectorPath := fldPath.Child("selector")
	if selector == nil {
		return append(allErrs, field.Required(selectorPath, ""))
	}
	allErrs = append(allErrs, metav1validation.ValidateLabelSelector(selector, metav1validation.LabelSelectorValidationOptions{}, selectorPath)...)
	if len(selector.MatchLabels)+len(selector.MatchExpressions) == 0 {
		allErrs = append(allErrs, field.Invalid(selectorPath, selector, "empty selector is invalid for "+kind))
	}
	parsed, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		allErrs = append(allErrs, field.Invalid(selectorPath, selector, "invalid label selector"))
		return allErrs
	}
	if !parsed.Empty() && !parsed.Matches(labels.Set(templateLabels)) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("template", "metadata", "labels"), templateLabels, selectorMismatchErrorMsg))
	}
	return allErrs
}

// validateIntOrPercent validates that value is a non-negative integer or a
// valid percentage such as "25%". A nil value is valid.
func validateIntOrPercent(value *intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if value == nil {
		return allErrs
	}
	switch value.Type {
	case intstr.String:
		for _, msg := range utilvalidation.IsValidPercent(value.StrVal) {
			allErrs = append(allErrs, field.Invalid(fldPath, value, msg))
		}
	case intstr.Int:
		allErrs = append(allErrs, validateNonnegativeField(int64(value.IntVal), fldPath)...)
	default:
		allErrs = append(allErrs, field.Invalid(fldPath, value, "must be an integer or percentage (e.g '5%')"))
	}
	return allErrs
}

// percentValue returns the number of a valid percentage value and true, or
// 0 and false when value is not a valid percentage.
func percentValue(value *intstr.IntOrString) (int, bool) {
	if value == nil || value.Type != intstr.String {
		return 0, false
	}
	if len(utilvalidation.IsValidPercent(value.StrVal)) != 0 {
		return 0, false
	}
	n, err := strconv.Atoi(value.StrVal[:len(value.StrVal)-1])
	if err != nil {
		return 0, false
	}
	return n, true
}

// intOrPercentValue returns the number of an integer or percentage value; nil
// and invalid values count as 0.
func intOrPercentValue(value *intstr.IntOrString) int {
	if value == nil {
		return 0
	}
	if n, ok := percentValue(value); ok {
		return n
	}
	if value.Type == intstr.Int {
		return int(value.IntVal)
	}
	return 0
}

// validateNotMoreThan100Percent returns an error when value is a percentage
// greater than 100%.
func validateNotMoreThan100Percent(value *intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if n, ok := percentValue(value); ok && n > 100 {
		allErrs = append(allErrs, field.Invalid(fldPath, value, "must not be greater than 100%"))
	}
	return allErrs
}

// nameWarnings returns the warning for a workload whose name is not a DNS
// label, as the name becomes part of the names and hostnames of its pods.
func nameWarnings(name string) []string {
	if msgs := utilvalidation.IsDNS1123Label(name); len(msgs) != 0 {
		return []string{fmt.Sprintf(nameWarningFormat, msgs)}
	}
	return nil
}
