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

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

const (
	// maxPeriodSeconds is the largest period of a scaling policy (30 minutes).
	maxPeriodSeconds int32 = 1800
	// maxStabilizationWindowSeconds is the largest stabilization window (1 hour).
	maxStabilizationWindowSeconds int32 = 3600
)

var (
	supportedMetricSourceTypes = []experimental.MetricSourceType{
		experimental.ContainerResourceMetricSourceType, experimental.ExternalMetricSourceType,
		experimental.ObjectMetricSourceType, experimental.PodsMetricSourceType, experimental.ResourceMetricSourceType,
	}
	supportedSelectPolicies = []experimental.ScalingPolicySelect{
		experimental.DisabledPolicySelect, experimental.MaxChangePolicySelect, experimental.MinChangePolicySelect,
	}
	supportedScalingPolicyTypes = []experimental.HPAScalingPolicyType{
		experimental.PercentScalingPolicy, experimental.PodsScalingPolicy,
	}
	// Target types per metric source: utilization is a percentage of the
	// requests of pods, so it only applies to resource metrics; pods metrics
	// are always averaged over the pods.
	resourceTargetTypes = []experimental.MetricTargetType{experimental.UtilizationMetricType, experimental.AverageValueMetricType}
	podsTargetTypes     = []experimental.MetricTargetType{experimental.AverageValueMetricType}
	valueTargetTypes    = []experimental.MetricTargetType{experimental.ValueMetricType, experimental.AverageValueMetricType}
)

// crossVersionObjectReferenceOptions customises the validation of an object
// reference.
type crossVersionObjectReferenceOptions struct {
	// allowEmptyAPIGroup accepts an apiVersion without a group (core API).
	allowEmptyAPIGroup bool
	// skipAPIVersion skips the validation of the apiVersion.
	skipAPIVersion bool
}

// ValidateHorizontalPodAutoscaler validates a HorizontalPodAutoscaler on
// creation.
func ValidateHorizontalPodAutoscaler(hpa *experimental.HorizontalPodAutoscaler) field.ErrorList {
	if hpa == nil {
		return nilObjectError("HorizontalPodAutoscaler")
	}
	allErrs := apimachineryvalidation.ValidateObjectMeta(&hpa.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateHorizontalPodAutoscalerSpec(&hpa.Spec, nil, field.NewPath("spec"))...)
	return allErrs
}

// ValidateHorizontalPodAutoscalerUpdate validates an update of a
// HorizontalPodAutoscaler. API versions that were already stored are not
// validated again.
func ValidateHorizontalPodAutoscalerUpdate(hpa, old *experimental.HorizontalPodAutoscaler) field.ErrorList {
	if hpa == nil || old == nil {
		return nilObjectError("HorizontalPodAutoscaler")
	}
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&hpa.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateHorizontalPodAutoscalerSpec(&hpa.Spec, &old.Spec, field.NewPath("spec"))...)
	return allErrs
}

// ValidateHorizontalPodAutoscalerStatusUpdate validates an update of the
// status of a HorizontalPodAutoscaler: the replica counts and the observed
// generation must not be negative.
func ValidateHorizontalPodAutoscalerStatusUpdate(hpa, old *experimental.HorizontalPodAutoscaler) field.ErrorList {
	if hpa == nil || old == nil {
		return nilObjectError("HorizontalPodAutoscaler")
	}
	statusPath := field.NewPath("status")
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&hpa.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	if hpa.Status.ObservedGeneration != nil {
		allErrs = append(allErrs, validateNonnegativeField(*hpa.Status.ObservedGeneration, statusPath.Child("observedGeneration"))...)
	}
	allErrs = append(allErrs, validateNonnegativeField(int64(hpa.Status.CurrentReplicas), statusPath.Child("currentReplicas"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(hpa.Status.DesiredReplicas), statusPath.Child("desiredReplicas"))...)
	return allErrs
}

// validateHorizontalPodAutoscalerSpec validates the spec of a
// HorizontalPodAutoscaler; oldSpec is nil on creation.
func validateHorizontalPodAutoscalerSpec(spec, oldSpec *experimental.HorizontalPodAutoscalerSpec, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if spec.MinReplicas != nil && *spec.MinReplicas < 0 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("minReplicas"), *spec.MinReplicas, "must be greater than or equal to 0"))
	}
	switch {
	case spec.MaxReplicas == 0:
		allErrs = append(allErrs, field.Required(fldPath.Child("maxReplicas"), "must be set and greater than 0"))
	case spec.MaxReplicas < 0:
		allErrs = append(allErrs, field.Invalid(fldPath.Child("maxReplicas"), spec.MaxReplicas, "must be greater than or equal to 1"))
	}
	if spec.MinReplicas != nil && spec.MaxReplicas < *spec.MinReplicas {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("maxReplicas"), spec.MaxReplicas, "must be greater than or equal to `minReplicas`"))
	}

	// The API version of a reference is only validated when it changes, so
	// that objects stored before a stricter rule stay updatable.
	targetOpts := crossVersionObjectReferenceOptions{allowEmptyAPIGroup: spec.ScaleTargetRef.Kind == "ReplicationController"}
	if oldSpec != nil && oldSpec.ScaleTargetRef.APIVersion == spec.ScaleTargetRef.APIVersion && oldSpec.ScaleTargetRef.Kind == spec.ScaleTargetRef.Kind {
		targetOpts.skipAPIVersion = true
	}
	allErrs = append(allErrs, validateCrossVersionObjectReference(spec.ScaleTargetRef, targetOpts, fldPath.Child("scaleTargetRef"))...)

	objectOpts := crossVersionObjectReferenceOptions{allowEmptyAPIGroup: true}
	if oldSpec != nil {
		for _, m := range oldSpec.Metrics {
			if m.Type == experimental.ObjectMetricSourceType && m.Object != nil && validateAPIVersion(m.Object.DescribedObject, objectOpts) != nil {
				objectOpts.skipAPIVersion = true
				break
			}
		}
	}
	allErrs = append(allErrs, validateMetrics(spec.Metrics, spec.MinReplicas, objectOpts, fldPath.Child("metrics"))...)
	allErrs = append(allErrs, validateBehavior(spec.Behavior, fldPath.Child("behavior"))...)
	return allErrs
}

// validateCrossVersionObjectReference validates a reference to an object:
// kind and name are required path segment names and the apiVersion must
// name an API group.
func validateCrossVersionObjectReference(ref experimental.CrossVersionObjectReference, opts crossVersionObjectReferenceOptions, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if len(ref.Kind) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("kind"), ""))
	} else {
		for _, msg := range content.IsPathSegmentName(ref.Kind) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("kind"), ref.Kind, msg))
		}
	}
	if len(ref.Name) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("name"), ""))
	} else {
		for _, msg := range content.IsPathSegmentName(ref.Name) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("name"), ref.Name, msg))
		}
	}
	if err := validateAPIVersion(ref, opts); err != nil {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("apiVersion"), ref.APIVersion, err.Error()))
	}
	return allErrs
}

// validateAPIVersion validates the apiVersion of an object reference.
func validateAPIVersion(ref experimental.CrossVersionObjectReference, opts crossVersionObjectReferenceOptions) error {
	if opts.skipAPIVersion {
		return nil
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return err
	}
	if !opts.allowEmptyAPIGroup && gv.Group == "" {
		return errors.New("apiVersion must specify API group")
	}
	return nil
}

// validateMetrics validates the metrics of an autoscaler. Scaling to zero
// replicas requires an Object or External metric, as pod metrics vanish
// with the pods.
func validateMetrics(metrics []experimental.MetricSpec, minReplicas *int32, objectOpts crossVersionObjectReferenceOptions, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	hasObjectOrExternal := false
	for i := range metrics {
		allErrs = append(allErrs, validateMetricSpec(&metrics[i], objectOpts, fldPath.Index(i))...)
		if t := metrics[i].Type; t == experimental.ObjectMetricSourceType || t == experimental.ExternalMetricSourceType {
			hasObjectOrExternal = true
		}
	}
	if minReplicas != nil && *minReplicas == 0 && !hasObjectOrExternal {
		allErrs = append(allErrs, field.Forbidden(fldPath, "must specify at least one Object or External metric to support scaling to zero replicas"))
	}
	return allErrs
}

// validateMetricSpec validates one metric: a supported type and exactly the
// matching source, which must be well formed.
func validateMetricSpec(spec *experimental.MetricSpec, objectOpts crossVersionObjectReferenceOptions, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	typePath := fldPath.Child("type")
	if len(spec.Type) == 0 {
		allErrs = append(allErrs, field.Required(typePath, "must specify a metric source type"))
	} else if !oneOf(spec.Type, supportedMetricSourceTypes) {
		allErrs = append(allErrs, field.NotSupported(typePath, spec.Type, supportedMetricSourceTypes))
	}

	// Sources in declaration order with the type that selects them.
	sources := []struct {
		name       string
		sourceType experimental.MetricSourceType
		set        bool
		validate   func(*field.Path) field.ErrorList
	}{
		{"object", experimental.ObjectMetricSourceType, spec.Object != nil, func(p *field.Path) field.ErrorList { return validateObjectSource(spec.Object, objectOpts, p) }},
		{"pods", experimental.PodsMetricSourceType, spec.Pods != nil, func(p *field.Path) field.ErrorList { return validatePodsSource(spec.Pods, p) }},
		{"resource", experimental.ResourceMetricSourceType, spec.Resource != nil, func(p *field.Path) field.ErrorList { return validateResourceSource(spec.Resource, p) }},
		{"containerResource", experimental.ContainerResourceMetricSourceType, spec.ContainerResource != nil, func(p *field.Path) field.ErrorList {
			return validateContainerResourceSource(spec.ContainerResource, p)
		}},
		{"external", experimental.ExternalMetricSourceType, spec.External != nil, func(p *field.Path) field.ErrorList { return validateExternalSource(spec.External, p) }},
	}
	for _, src := range sources {
		srcPath := fldPath.Child(src.name)
		switch {
		case src.sourceType == spec.Type && !src.set:
			allErrs = append(allErrs, field.Required(srcPath, "must populate information for the given metric source"))
		case src.sourceType == spec.Type:
			allErrs = append(allErrs, src.validate(srcPath)...)
		case src.set && oneOf(spec.Type, supportedMetricSourceTypes):
			allErrs = append(allErrs, field.Forbidden(srcPath, "must populate the given metric source only"))
		}
	}
	return allErrs
}

// validateObjectSource validates a metric describing a Kubernetes object.
func validateObjectSource(src *experimental.ObjectMetricSource, opts crossVersionObjectReferenceOptions, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	allErrs = append(allErrs, validateCrossVersionObjectReference(src.DescribedObject, opts, fldPath.Child("describedObject"))...)
	allErrs = append(allErrs, validateMetricIdentifier(&src.Metric, fldPath.Child("metric"))...)
	allErrs = append(allErrs, validateMetricTarget(&src.Target, valueTargetTypes, fldPath.Child("target"))...)
	return allErrs
}

// validatePodsSource validates a metric averaged over the pods of the target.
func validatePodsSource(src *experimental.PodsMetricSource, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	allErrs = append(allErrs, validateMetricIdentifier(&src.Metric, fldPath.Child("metric"))...)
	allErrs = append(allErrs, validateMetricTarget(&src.Target, podsTargetTypes, fldPath.Child("target"))...)
	return allErrs
}

// validateExternalSource validates a metric not associated with any object.
func validateExternalSource(src *experimental.ExternalMetricSource, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	allErrs = append(allErrs, validateMetricIdentifier(&src.Metric, fldPath.Child("metric"))...)
	allErrs = append(allErrs, validateMetricTarget(&src.Target, valueTargetTypes, fldPath.Child("target"))...)
	if src.Target.Value != nil && src.Target.AverageValue != nil {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("target", "value"), "may not set both a target value for metric and a per-pod target"))
	}
	return allErrs
}

// validateResourceSource validates a resource metric of the pods of the target.
func validateResourceSource(src *experimental.ResourceMetricSource, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	allErrs = append(allErrs, validateMetricResourceName(src.Name, fldPath.Child("name"))...)
	allErrs = append(allErrs, validateResourceMetricTarget(&src.Target, fldPath.Child("target"))...)
	return allErrs
}

// validateContainerResourceSource validates a resource metric of one
// container of the pods of the target.
func validateContainerResourceSource(src *experimental.ContainerResourceMetricSource, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	allErrs = append(allErrs, validateMetricResourceName(src.Name, fldPath.Child("name"))...)
	if len(src.Container) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("container"), "must specify a container"))
	} else {
		allErrs = append(allErrs, validateDNS1123Label(src.Container, fldPath.Child("container"))...)
	}
	allErrs = append(allErrs, validateResourceMetricTarget(&src.Target, fldPath.Child("target"))...)
	return allErrs
}

// validateMetricResourceName validates the resource of a resource metric.
func validateMetricResourceName(name corev1.ResourceName, fldPath *field.Path) field.ErrorList {
	if len(name) == 0 {
		return field.ErrorList{field.Required(fldPath, "must specify a resource name")}
	}
	return validateContainerResourceName(name, fldPath)
}

// validateResourceMetricTarget validates the target of a resource metric,
// which may not set both a utilization and an average value.
func validateResourceMetricTarget(target *experimental.MetricTarget, fldPath *field.Path) field.ErrorList {
	allErrs := validateMetricTarget(target, resourceTargetTypes, fldPath)
	if target.AverageUtilization != nil && target.AverageValue != nil {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("averageValue"), "may not set both a target raw value and a target utilization"))
	}
	return allErrs
}

// validateMetricTarget validates a metric target: its type must be one of
// the types supported by the metric source, the value matching the type must
// be set, and quantities and utilization must be positive.
func validateMetricTarget(target *experimental.MetricTarget, supported []experimental.MetricTargetType, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	typePath := fldPath.Child("type")
	switch target.Type {
	case "":
		allErrs = append(allErrs, field.Required(typePath, "must specify a metric target type"))
	case experimental.UtilizationMetricType, experimental.ValueMetricType, experimental.AverageValueMetricType:
		if !oneOf(target.Type, supported) {
			allErrs = append(allErrs, field.NotSupported(typePath, target.Type, supported))
		}
	default:
		allErrs = append(allErrs, field.Invalid(typePath, target.Type, "must be either Utilization, Value, or AverageValue"))
	}

	switch target.Type {
	case experimental.UtilizationMetricType:
		if target.AverageUtilization == nil {
			allErrs = append(allErrs, field.Required(fldPath.Child("averageUtilization"), "must be set when the target type is Utilization"))
		}
	case experimental.ValueMetricType:
		if target.Value == nil {
			allErrs = append(allErrs, field.Required(fldPath.Child("value"), "must be set when the target type is Value"))
		}
	case experimental.AverageValueMetricType:
		if target.AverageValue == nil {
			allErrs = append(allErrs, field.Required(fldPath.Child("averageValue"), "must be set when the target type is AverageValue"))
		}
	}

	allErrs = append(allErrs, validatePositiveQuantity(target.Value, fldPath.Child("value"))...)
	allErrs = append(allErrs, validatePositiveQuantity(target.AverageValue, fldPath.Child("averageValue"))...)
	if target.AverageUtilization != nil && *target.AverageUtilization < 1 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("averageUtilization"), *target.AverageUtilization, "must be greater than 0"))
	}
	return allErrs
}

// validatePositiveQuantity validates that an optional quantity is positive.
func validatePositiveQuantity(q *resource.Quantity, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if q != nil && q.Sign() != 1 {
		allErrs = append(allErrs, field.Invalid(fldPath, q.String(), "must be positive"))
	}
	return allErrs
}

// validateMetricIdentifier validates the name and selector of a metric.
func validateMetricIdentifier(id *experimental.MetricIdentifier, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if len(id.Name) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("name"), "must specify a metric name"))
	} else {
		for _, msg := range content.IsPathSegmentName(id.Name) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("name"), id.Name, msg))
		}
	}
	allErrs = append(allErrs, metav1validation.ValidateLabelSelector(id.Selector, metav1validation.LabelSelectorValidationOptions{}, fldPath.Child("selector"))...)
	return allErrs
}

// validateBehavior validates the scaling rules of both directions.
func validateBehavior(behavior *experimental.HorizontalPodAutoscalerBehavior, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if behavior == nil {
		return allErrs
	}
	allErrs = append(allErrs, validateScalingRules(behavior.ScaleUp, fldPath.Child("scaleUp"))...)
	allErrs = append(allErrs, validateScalingRules(behavior.ScaleDown, fldPath.Child("scaleDown"))...)
	return allErrs
}

// validateScalingRules validates the scaling rules of one direction: the
// stabilization window, the select policy, at least one valid policy and a
// non-negative tolerance.
func validateScalingRules(rules *experimental.HPAScalingRules, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if rules == nil {
		return allErrs
	}
	if w := rules.StabilizationWindowSeconds; w != nil {
		windowPath := fldPath.Child("stabilizationWindowSeconds")
		if *w < 0 {
			allErrs = append(allErrs, field.Invalid(windowPath, *w, "must be greater than or equal to zero"))
		}
		if *w > maxStabilizationWindowSeconds {
			allErrs = append(allErrs, field.Invalid(windowPath, *w, fmt.Sprintf("must be less than or equal to %v", maxStabilizationWindowSeconds)))
		}
	}
	if rules.SelectPolicy != nil && !oneOf(*rules.SelectPolicy, supportedSelectPolicies) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("selectPolicy"), *rules.SelectPolicy, supportedSelectPolicies))
	}
	policiesPath := fldPath.Child("policies")
	if len(rules.Policies) == 0 {
		allErrs = append(allErrs, field.Required(policiesPath, "must specify at least one Policy"))
	}
	for i, policy := range rules.Policies {
		allErrs = append(allErrs, validateScalingPolicy(policy, policiesPath.Index(i))...)
	}
	if rules.Tolerance != nil && rules.Tolerance.Sign() < 0 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("tolerance"), rules.Tolerance.String(), isNegativeErrorMsg))
	}
	return allErrs
}

// validateScalingPolicy validates one scaling policy.
func validateScalingPolicy(policy experimental.HPAScalingPolicy, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if !oneOf(policy.Type, supportedScalingPolicyTypes) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("type"), policy.Type, supportedScalingPolicyTypes))
	}
	if policy.Value <= 0 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("value"), policy.Value, "must be greater than zero"))
	}
	periodPath := fldPath.Child("periodSeconds")
	if policy.PeriodSeconds <= 0 {
		allErrs = append(allErrs, field.Invalid(periodPath, policy.PeriodSeconds, "must be greater than zero"))
	}
	if policy.PeriodSeconds > maxPeriodSeconds {
		allErrs = append(allErrs, field.Invalid(periodPath, policy.PeriodSeconds, fmt.Sprintf("must be less than or equal to %v", maxPeriodSeconds)))
	}
	return allErrs
}
