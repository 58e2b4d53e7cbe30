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
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

const (
	// maxParallelismForIndexedJob caps the parallelism of an Indexed Job,
	// which bounds the length of status.completedIndexes.
	maxParallelismForIndexedJob = 100_000
	// maxFailedIndexesForIndexedJob caps maxFailedIndexes of an Indexed Job.
	maxFailedIndexesForIndexedJob = 100_000
	// completionsSoftLimit is the number of completions above which an
	// Indexed Job with a backoff limit per index has tighter limits.
	completionsSoftLimit = 100_000
	// parallelismLimitForHighCompletions caps the parallelism of an Indexed
	// Job with more than completionsSoftLimit completions and a backoff limit
	// per index.
	parallelismLimitForHighCompletions = 10_000
	// maxFailedIndexesLimitForHighCompletions caps maxFailedIndexes of an
	// Indexed Job with more than completionsSoftLimit completions.
	maxFailedIndexesLimitForHighCompletions = 10_000
	// parallelismSoftLimitForUnlimitedCompletions is the parallelism above
	// which a warning is returned for Indexed Jobs with many completions.
	parallelismSoftLimitForUnlimitedCompletions = 10_000
	// maxPodFailurePolicyRules is the maximum number of pod failure policy rules.
	maxPodFailurePolicyRules = 20
	// maxPodFailurePolicyOnExitCodesValues is the maximum number of exit
	// codes of an onExitCodes requirement.
	maxPodFailurePolicyOnExitCodesValues = 255
	// maxPodFailurePolicyOnPodConditionsPatterns is the maximum number of
	// patterns of an onPodConditions requirement.
	maxPodFailurePolicyOnPodConditionsPatterns = 20
	// maxManagedByLength is the maximum length of spec.managedBy.
	maxManagedByLength = 63
	// maxSucceededIndexesLength is the maximum length of succeededIndexes.
	maxSucceededIndexesLength = 64 * 1024
	// maxSuccessPolicyRules is the maximum number of success policy rules.
	maxSuccessPolicyRules = 20
)

var (
	supportedPodFailurePolicyActions = []experimental.PodFailurePolicyAction{
		experimental.PodFailurePolicyActionCount, experimental.PodFailurePolicyActionFailIndex,
		experimental.PodFailurePolicyActionFailJob, experimental.PodFailurePolicyActionIgnore,
	}
	supportedPodFailurePolicyOnExitCodesOperators = []experimental.PodFailurePolicyOnExitCodesOperator{
		experimental.PodFailurePolicyOnExitCodesOpIn, experimental.PodFailurePolicyOnExitCodesOpNotIn,
	}
	supportedPodFailurePolicyOnPodConditionsStatuses = []corev1.ConditionStatus{
		corev1.ConditionFalse, corev1.ConditionTrue, corev1.ConditionUnknown,
	}
	supportedPodReplacementPolicies = []experimental.PodReplacementPolicy{
		experimental.Failed, experimental.TerminatingOrFailed,
	}
	supportedCompletionModes = []experimental.CompletionMode{
		experimental.NonIndexedCompletion, experimental.IndexedCompletion,
	}
	supportedJobRestartPolicies = []corev1.RestartPolicy{
		corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever,
	}
)

// ValidateJob validates a Job on creation. The registry strategy generates
// the selector (unless spec.manualSelector is true) before validation, so a
// selector is required.
func ValidateJob(job *experimental.Job) field.ErrorList {
	if job == nil {
		return nilObjectError("Job")
	}
	allErrs := apimachineryvalidation.ValidateObjectMeta(&job.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateGeneratedSelector(job)...)
	allErrs = append(allErrs, validateJobSpec(&job.Spec, field.NewPath("spec"))...)
	allErrs = append(allErrs, validateNameAllowsCompletions(job)...)
	return allErrs
}

// ValidateJobUpdate validates an update of a Job. The selector, completion
// mode, pod failure policy, success policy, backoff limit per index and
// managedBy are immutable; completions may only change for Indexed Jobs
// together with parallelism; the pod template is immutable except for the
// scheduling directives and container resources of a suspended Job that has
// no active pods and has not started (or is marked Suspended).
func ValidateJobUpdate(job, old *experimental.Job) field.ErrorList {
	if job == nil || old == nil {
		return nilObjectError("Job")
	}
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&job.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateJobSpecUpdate(&job.Spec, &old.Spec, allowMutablePodTemplate(old), field.NewPath("spec"))...)
	allErrs = append(allErrs, validateNameAllowsCompletions(job)...)
	return allErrs
}

// ValidateJobStatusUpdate validates an update of the status of a Job. Counts
// must not be negative; the transitions between conditions, counters,
// timestamps and index lists must be consistent, as the status may be
// written by an external controller (see spec.managedBy).
func ValidateJobStatusUpdate(job, old *experimental.Job) field.ErrorList {
	if job == nil || old == nil {
		return nilObjectError("Job")
	}
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&job.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateJobStatusUpdate(job, old)...)
	return allErrs
}

// WarningsForJob returns warnings for a Job: a name that is not a DNS label,
// Indexed Jobs whose failed indexes may not be tracked, and deprecated or
// suspicious fields of the pod template.
func WarningsForJob(job *experimental.Job) []string {
	if job == nil {
		return nil
	}
	warnings := nameWarnings(job.Name)
	return append(warnings, warningsForJobSpec(&job.Spec, field.NewPath("spec"))...)
}

// warningsForJobSpec returns the warnings for a Job spec.
func warningsForJobSpec(spec *experimental.JobSpec, fldPath *field.Path) []string {
	var warnings []string
	if isIndexedJob(spec) {
		completions := ptr.Deref(spec.Completions, 0)
		parallelism := ptr.Deref(spec.Parallelism, 0)
		if completions > completionsSoftLimit && parallelism > parallelismSoftLimitForUnlimitedCompletions {
			warnings = append(warnings, fmt.Sprintf("%s: In Indexed Jobs with a number of completions higher than 10^5 and a parallelism higher than 10^4, Kubernetes might not be able to track completedIndexes when a big number of indexes fail", fldPath))
		}
	}
	return append(warnings, warningsForPodTemplate(&spec.Template, fldPath.Child("template"))...)
}

// isIndexedJob reports whether the completion mode of a Job is Indexed.
func isIndexedJob(spec *experimental.JobSpec) bool {
	return ptr.Deref(spec.CompletionMode, experimental.NonIndexedCompletion) == experimental.IndexedCompletion
}

// Labels that the registry puts on the pod template of a Job when it
// generates the selector; the same keys as for batch/v1 Jobs.
const (
	controllerUIDLabel       = "batch.kubernetes.io/controller-uid"
	legacyControllerUIDLabel = "controller-uid"
	jobNameLabel             = "batch.kubernetes.io/job-name"
	legacyJobNameLabel       = "job-name"
)

// validateGeneratedSelector validates a Job whose selector was generated by
// the registry (spec.manualSelector is not true): the UID must be set, the
// pod template must carry the generated name and UID labels, and the
// selector must select them.
func validateGeneratedSelector(job *experimental.Job) field.ErrorList {
	allErrs := field.ErrorList{}
	if ptr.Deref(job.Spec.ManualSelector, false) || job.Spec.Selector == nil {
		return allErrs
	}
	if job.UID == "" {
		allErrs = append(allErrs, field.Required(field.NewPath("metadata", "uid"), ""))
	}
	expected := map[string]string{
		legacyControllerUIDLabel: string(job.UID),
		legacyJobNameLabel:       job.Name,
		controllerUIDLabel:       string(job.UID),
		jobNameLabel:             job.Name,
	}
	labelsPath := field.NewPath("spec", "template", "metadata", "labels")
	for _, key := range []string{legacyControllerUIDLabel, legacyJobNameLabel, controllerUIDLabel, jobNameLabel} {
		want := expected[key]
		got, found := job.Spec.Template.Labels[key]
		switch {
		case !found:
			allErrs = append(allErrs, field.Required(labelsPath.Key(key), fmt.Sprintf("must be '%s'", want)))
		case got != want:
			allErrs = append(allErrs, field.Invalid(labelsPath.Key(key), job.Spec.Template.Labels, fmt.Sprintf("must be '%s'", want)))
		}
	}
	if selector, err := metav1.LabelSelectorAsSelector(job.Spec.Selector); err == nil && !selector.Matches(labels.Set(expected)) {
		allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "selector"), job.Spec.Selector, "`selector` not auto-generated"))
	}
	return allErrs
}

// validateNameAllowsCompletions validates that the hostnames of the pods of
// an Indexed Job, the Job name with the largest index appended, are DNS labels.
func validateNameAllowsCompletions(job *experimental.Job) field.ErrorList {
	allErrs := field.ErrorList{}
	if !isIndexedJob(&job.Spec) || job.Spec.Completions == nil || *job.Spec.Completions <= 0 {
		return allErrs
	}
	hostname := fmt.Sprintf("%s-%d", job.Name, *job.Spec.Completions-1)
	if errs := utilvalidation.IsDNS1123Label(hostname); len(errs) > 0 {
		allErrs = append(allErrs, field.Invalid(field.NewPath("metadata", "name"), job.Name, fmt.Sprintf("will not able to create pod with invalid DNS label: %s", hostname)))
	}
	return allErrs
}

// validateJobSpec validates the spec of a Job including its selector, which
// is required and must select the labels of the pod template.
func validateJobSpec(spec *experimental.JobSpec, fldPath *field.Path) field.ErrorList {
	allErrs := validateJobSpecFields(spec, fldPath)
	selectorPath := fldPath.Child("selector")
	if spec.Selector == nil {
		return append(allErrs, field.Required(selectorPath, ""))
	}
	allErrs = append(allErrs, metav1validation.ValidateLabelSelector(spec.Selector, metav1validation.LabelSelectorValidationOptions{}, selectorPath)...)
	if selector, err := metav1.LabelSelectorAsSelector(spec.Selector); err == nil && !selector.Matches(labels.Set(spec.Template.Labels)) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("template", "metadata", "labels"), spec.Template.Labels, selectorMismatchErrorMsg))
	}
	return allErrs
}

// validateJobSpecFields validates the fields of a Job spec other than the
// selector; it is shared by Jobs and the job templates of CronJobs.
func validateJobSpecFields(spec *experimental.JobSpec, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	allErrs = append(allErrs, validateOptionalNonnegativeInt32(spec.Parallelism, fldPath.Child("parallelism"))...)
	allErrs = append(allErrs, validateOptionalNonnegativeInt32(spec.Completions, fldPath.Child("completions"))...)
	if spec.ActiveDeadlineSeconds != nil {
		allErrs = append(allErrs, validatePositiveField(*spec.ActiveDeadlineSeconds, fldPath.Child("activeDeadlineSeconds"))...)
	}
	allErrs = append(allErrs, validateOptionalNonnegativeInt32(spec.BackoffLimit, fldPath.Child("backoffLimit"))...)
	allErrs = append(allErrs, validateOptionalNonnegativeInt32(spec.TTLSecondsAfterFinished, fldPath.Child("ttlSecondsAfterFinished"))...)
	allErrs = append(allErrs, validateOptionalNonnegativeInt32(spec.BackoffLimitPerIndex, fldPath.Child("backoffLimitPerIndex"))...)
	if spec.MaxFailedIndexes != nil {
		allErrs = append(allErrs, validateNonnegativeField(int64(*spec.MaxFailedIndexes), fldPath.Child("maxFailedIndexes"))...)
		if spec.BackoffLimitPerIndex == nil {
			allErrs = append(allErrs, field.Required(fldPath.Child("backoffLimitPerIndex"), "when maxFailedIndexes is specified"))
		}
	}
	if spec.ManagedBy != nil {
		managedByPath := fldPath.Child("managedBy")
		allErrs = append(allErrs, utilvalidation.IsDomainPrefixedPath(managedByPath, *spec.ManagedBy)...)
		if len(*spec.ManagedBy) > maxManagedByLength {
			allErrs = append(allErrs, field.TooLong(managedByPath, "", maxManagedByLength))
		}
	}
	allErrs = append(allErrs, validateCompletionMode(spec, fldPath)...)
	if spec.PodFailurePolicy != nil {
		allErrs = append(allErrs, validatePodFailurePolicy(spec, fldPath.Child("podFailurePolicy"))...)
	}
	if spec.SuccessPolicy != nil {
		if !isIndexedJob(spec) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("successPolicy"), *spec.SuccessPolicy, "requires indexed completion mode"))
		} else {
			allErrs = append(allErrs, validateSuccessPolicy(spec, fldPath.Child("successPolicy"))...)
		}
	}
	allErrs = append(allErrs, validatePodReplacementPolicy(spec, fldPath.Child("podReplacementPolicy"))...)

	templatePath := fldPath.Child("template")
	allErrs = append(allErrs, validatePodTemplateSpec(&spec.Template, templatePath)...)
	restartPolicyPath := templatePath.Child("spec", "restartPolicy")
	switch policy := spec.Template.Spec.RestartPolicy; {
	case policy == corev1.RestartPolicyAlways || policy == "":
		// An empty policy would be defaulted to Always.
		allErrs = append(allErrs, field.Required(restartPolicyPath, fmt.Sprintf("valid values: %q, %q", corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever)))
	case !oneOf(policy, supportedJobRestartPolicies):
		allErrs = append(allErrs, field.NotSupported(restartPolicyPath, policy, supportedJobRestartPolicies))
	case spec.PodFailurePolicy != nil && policy != corev1.RestartPolicyNever:
		allErrs = append(allErrs, field.Invalid(restartPolicyPath, policy, fmt.Sprintf("only %q is supported when podFailurePolicy is specified", corev1.RestartPolicyNever)))
	}
	return allErrs
}

// validateCompletionMode validates the completion mode of a Job and the
// fields that depend on it.
func validateCompletionMode(spec *experimental.JobSpec, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if spec.CompletionMode != nil && !oneOf(*spec.CompletionMode, supportedCompletionModes) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("completionMode"), *spec.CompletionMode, supportedCompletionModes))
	}
	if !isIndexedJob(spec) {
		if spec.CompletionMode == nil || *spec.CompletionMode == experimental.NonIndexedCompletion {
			if spec.BackoffLimitPerIndex != nil {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("backoffLimitPerIndex"), *spec.BackoffLimitPerIndex, "requires indexed completion mode"))
			}
			if spec.MaxFailedIndexes != nil {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("maxFailedIndexes"), *spec.MaxFailedIndexes, "requires indexed completion mode"))
			}
		}
		return allErrs
	}

	if spec.Completions == nil {
		allErrs = append(allErrs, field.Required(fldPath.Child("completions"), fmt.Sprintf("when completion mode is %s", experimental.IndexedCompletion)))
	}
	if spec.Parallelism != nil && *spec.Parallelism > maxParallelismForIndexedJob {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("parallelism"), *spec.Parallelism, fmt.Sprintf("must be less than or equal to %d when completion mode is %s", maxParallelismForIndexedJob, experimental.IndexedCompletion)))
	}
	if spec.Completions != nil && spec.MaxFailedIndexes != nil && *spec.MaxFailedIndexes > *spec.Completions {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("maxFailedIndexes"), *spec.MaxFailedIndexes, "must be less than or equal to completions"))
	}
	if spec.MaxFailedIndexes != nil && *spec.MaxFailedIndexes > maxFailedIndexesForIndexedJob {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("maxFailedIndexes"), *spec.MaxFailedIndexes, fmt.Sprintf("must be less than or equal to %d", maxFailedIndexesForIndexedJob)))
	}
	if spec.Completions != nil && *spec.Completions > completionsSoftLimit && spec.BackoffLimitPerIndex != nil {
		if spec.MaxFailedIndexes == nil {
			allErrs = append(allErrs, field.Required(fldPath.Child("maxFailedIndexes"), fmt.Sprintf("must be specified when completions is above %d", completionsSoftLimit)))
		}
		if spec.Parallelism != nil && *spec.Parallelism > parallelismLimitForHighCompletions {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("parallelism"), *spec.Parallelism, fmt.Sprintf("must be less than or equal to %d when completions are above %d and used with backoff limit per index", parallelismLimitForHighCompletions, completionsSoftLimit)))
		}
		if spec.MaxFailedIndexes != nil && *spec.MaxFailedIndexes > maxFailedIndexesLimitForHighCompletions {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("maxFailedIndexes"), *spec.MaxFailedIndexes, fmt.Sprintf("must be less than or equal to %d when completions are above %d and used with backoff limit per index", maxFailedIndexesLimitForHighCompletions, completionsSoftLimit)))
		}
	}
	return allErrs
}

// validatePodFailurePolicy validates the rules of a pod failure policy.
func validatePodFailurePolicy(spec *experimental.JobSpec, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	rulesPath := fldPath.Child("rules")
	rules := spec.PodFailurePolicy.Rules
	if len(rules) > maxPodFailurePolicyRules {
		allErrs = append(allErrs, field.TooMany(rulesPath, len(rules), maxPodFailurePolicyRules))
	}
	containerNames := sets.New[string]()
	for _, c := range spec.Template.Spec.Containers {
		containerNames.Insert(c.Name)
	}
	for _, c := range spec.Template.Spec.InitContainers {
		containerNames.Insert(c.Name)
	}
	for i := range rules {
		allErrs = append(allErrs, validatePodFailurePolicyRule(spec, &rules[i], rulesPath.Index(i), containerNames)...)
	}
	return allErrs
}

// validatePodFailurePolicyRule validates one pod failure policy rule: a
// supported action and exactly one of onExitCodes and onPodConditions.
func validatePodFailurePolicyRule(spec *experimental.JobSpec, rule *experimental.PodFailurePolicyRule, rulePath *field.Path, containerNames sets.Set[string]) field.ErrorList {
	allErrs := field.ErrorList{}
	actionPath := rulePath.Child("action")
	switch {
	case rule.Action == "":
		allErrs = append(allErrs, field.Required(actionPath, fmt.Sprintf("valid values: %q", supportedPodFailurePolicyActions)))
	case rule.Action == experimental.PodFailurePolicyActionFailIndex:
		if spec.BackoffLimitPerIndex == nil {
			allErrs = append(allErrs, field.Invalid(actionPath, rule.Action, "requires the backoffLimitPerIndex to be set"))
		}
	case !oneOf(rule.Action, supportedPodFailurePolicyActions):
		allErrs = append(allErrs, field.NotSupported(actionPath, rule.Action, supportedPodFailurePolicyActions))
	}
	if rule.OnExitCodes != nil {
		allErrs = append(allErrs, validatePodFailurePolicyRuleOnExitCodes(rule.OnExitCodes, rulePath.Child("onExitCodes"), containerNames)...)
	}
	if len(rule.OnPodConditions) > 0 {
		allErrs = append(allErrs, validatePodFailurePolicyRuleOnPodConditions(rule.OnPodConditions, rulePath.Child("onPodConditions"))...)
	}
	if rule.OnExitCodes != nil && len(rule.OnPodConditions) > 0 {
		allErrs = append(allErrs, field.Invalid(rulePath, field.OmitValueType{}, "specifying both OnExitCodes and OnPodConditions is not supported"))
	}
	if rule.OnExitCodes == nil && len(rule.OnPodConditions) == 0 {
		allErrs = append(allErrs, field.Invalid(rulePath, field.OmitValueType{}, "specifying one of OnExitCodes and OnPodConditions is required"))
	}
	return allErrs
}

// validatePodFailurePolicyRuleOnPodConditions validates the pod condition
// patterns of a pod failure policy rule.
func validatePodFailurePolicyRuleOnPodConditions(patterns []experimental.PodFailurePolicyOnPodConditionsPattern, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if len(patterns) > maxPodFailurePolicyOnPodConditionsPatterns {
		allErrs = append(allErrs, field.TooMany(fldPath, len(patterns), maxPodFailurePolicyOnPodConditionsPatterns))
	}
	for i, pattern := range patterns {
		patternPath := fldPath.Index(i)
		statusPath := patternPath.Child("status")
		allErrs = append(allErrs, validateQualifiedName(string(pattern.Type), patternPath.Child("type"))...)
		switch {
		case pattern.Status == "":
			allErrs = append(allErrs, field.Required(statusPath, fmt.Sprintf("valid values: %q", supportedPodFailurePolicyOnPodConditionsStatuses)))
		case !oneOf(pattern.Status, supportedPodFailurePolicyOnPodConditionsStatuses):
			allErrs = append(allErrs, field.NotSupported(statusPath, pattern.Status, supportedPodFailurePolicyOnPodConditionsStatuses))
		}
	}
	return allErrs
}

// validatePodFailurePolicyRuleOnExitCodes validates the exit code
// requirement of a pod failure policy rule: a supported operator, an
// existing container name and 1 to 255 ordered, unique values (0 is not
// allowed with In).
func validatePodFailurePolicyRuleOnExitCodes(req *experimental.PodFailurePolicyOnExitCodesRequirement, fldPath *field.Path, containerNames sets.Set[string]) field.ErrorList {
	allErrs := field.ErrorList{}
	operatorPath := fldPath.Child("operator")
	switch {
	case req.Operator == "":
		allErrs = append(allErrs, field.Required(operatorPath, fmt.Sprintf("valid values: %q", supportedPodFailurePolicyOnExitCodesOperators)))
	case !oneOf(req.Operator, supportedPodFailurePolicyOnExitCodesOperators):
		allErrs = append(allErrs, field.NotSupported(operatorPath, req.Operator, supportedPodFailurePolicyOnExitCodesOperators))
	}
	if req.ContainerName != nil && !containerNames.Has(*req.ContainerName) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("containerName"), *req.ContainerName, "must be one of the container or initContainer names in the pod template"))
	}
	valuesPath := fldPath.Child("values")
	switch {
	case len(req.Values) == 0:
		allErrs = append(allErrs, field.Invalid(valuesPath, req.Values, "at least one value is required"))
	case len(req.Values) > maxPodFailurePolicyOnExitCodesValues:
		allErrs = append(allErrs, field.TooMany(valuesPath, len(req.Values), maxPodFailurePolicyOnExitCodesValues))
	}
	isOrdered := true
	seen := sets.New[int32]()
	for i, value := range req.Values {
		valuePath := valuesPath.Index(i)
		if req.Operator == experimental.PodFailurePolicyOnExitCodesOpIn && value == 0 {
			allErrs = append(allErrs, field.Invalid(valuePath, value, "must not be 0 for the In operator"))
		}
		if seen.Has(value) {
			allErrs = append(allErrs, field.Duplicate(valuePath, value))
		} else {
			seen.Insert(value)
		}
		if i > 0 && req.Values[i-1] > value {
			isOrdered = false
		}
	}
	if !isOrdered {
		allErrs = append(allErrs, field.Invalid(valuesPath, req.Values, "must be ordered"))
	}
	return allErrs
}

// validateSuccessPolicy validates the success policy of an Indexed Job.
func validateSuccessPolicy(spec *experimental.JobSpec, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	rulesPath := fldPath.Child("rules")
	rules := spec.SuccessPolicy.Rules
	if len(rules) == 0 {
		allErrs = append(allErrs, field.Required(rulesPath, "at least one rules must be specified when the successPolicy is specified"))
	}
	if len(rules) > maxSuccessPolicyRules {
		allErrs = append(allErrs, field.TooMany(rulesPath, len(rules), maxSuccessPolicyRules))
	}
	for i := range rules {
		allErrs = append(allErrs, validateSuccessPolicyRule(spec, &rules[i], rulesPath.Index(i))...)
	}
	return allErrs
}

// validateSuccessPolicyRule validates one success policy rule: at least one
// of succeededIndexes and succeededCount, indexes within completions and a
// count that can be reached.
func validateSuccessPolicyRule(spec *experimental.JobSpec, rule *experimental.SuccessPolicyRule, rulePath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if rule.SucceededCount == nil && rule.SucceededIndexes == nil {
		allErrs = append(allErrs, field.Required(rulePath, "at least one of succeededCount or succeededIndexes must be specified"))
	}
	if rule.SucceededCount != nil {
		allErrs = append(allErrs, validateNonnegativeField(int64(*rule.SucceededCount), rulePath.Child("succeededCount"))...)
	}
	if spec.Completions == nil {
		// The missing completions of an Indexed Job is reported by
		// validateCompletionMode; the rule cannot be checked against it.
		return allErrs
	}
	completions := *spec.Completions
	var totalIndexes int32
	if rule.SucceededIndexes != nil {
		indexesPath := rulePath.Child("succeededIndexes")
		if len(*rule.SucceededIndexes) > maxSucceededIndexesLength {
			allErrs = append(allErrs, field.TooLong(indexesPath, "", maxSucceededIndexesLength))
		}
		var err error
		if totalIndexes, err = validateIndexesFormat(*rule.SucceededIndexes, completions); err != nil {
			allErrs = append(allErrs, field.Invalid(indexesPath, *rule.SucceededIndexes, fmt.Sprintf("error parsing succeededIndexes: %s", err.Error())))
		}
	}
	if rule.SucceededCount != nil {
		countPath := rulePath.Child("succeededCount")
		if *rule.SucceededCount > completions {
			allErrs = append(allErrs, field.Invalid(countPath, *rule.SucceededCount, fmt.Sprintf("must be less than or equal to %d (the number of specified completions)", completions)))
		}
		if rule.SucceededIndexes != nil && *rule.SucceededCount > totalIndexes {
			allErrs = append(allErrs, field.Invalid(countPath, *rule.SucceededCount, fmt.Sprintf("must be less than or equal to %d (the number of indexes in the specified succeededIndexes field)", totalIndexes)))
		}
	}
	return allErrs
}

// validatePodReplacementPolicy validates the pod replacement policy, which
// must be Failed when a pod failure policy is set.
func validatePodReplacementPolicy(spec *experimental.JobSpec, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if spec.PodReplacementPolicy == nil {
		return allErrs
	}
	policy := *spec.PodReplacementPolicy
	if spec.PodFailurePolicy != nil {
		if policy != experimental.Failed {
			allErrs = append(allErrs, field.NotSupported(fldPath, policy, []experimental.PodReplacementPolicy{experimental.Failed}))
		}
	} else if !oneOf(policy, supportedPodReplacementPolicies) {
		allErrs = append(allErrs, field.NotSupported(fldPath, policy, supportedPodReplacementPolicies))
	}
	return allErrs
}

// validateIndexesFormat validates a list of index intervals such as
// "1,3-5,7": increasing, non-overlapping and below completions. It returns
// the number of indexes in the list.
func validateIndexesFormat(indexes string, completions int32) (int32, error) {
	if len(indexes) == 0 {
		return 0, nil
	}
	var lastIndex *int32
	var total int32
	for _, interval := range strings.Split(indexes, ",") {
		x, y, err := parseIndexInterval(interval, completions)
		if err != nil {
			return 0, err
		}
		if lastIndex != nil && *lastIndex >= x {
			return 0, fmt.Errorf("non-increasing order, previous: %d, current: %d", *lastIndex, x)
		}
		total += y - x + 1
		lastIndex = &y
	}
	return total, nil
}

// parseIndexInterval parses an index interval "x" or "x-y" whose bounds must
// be below completions.
func parseIndexInterval(interval string, completions int32) (int32, int32, error) {
	limits := strings.Split(interval, "-")
	if len(limits) > 2 {
		return 0, 0, fmt.Errorf("the fragment %q violates the requirement that an index interval can have at most two parts separated by '-'", interval)
	}
	x, err := strconv.ParseInt(limits[0], 10, 32)
	if err != nil || x < 0 {
		return 0, 0, fmt.Errorf("cannot convert string to integer for index: %q", limits[0])
	}
	if x >= int64(completions) {
		return 0, 0, fmt.Errorf("too large index: %q", limits[0])
	}
	if len(limits) == 1 {
		return int32(x), int32(x), nil
	}
	y, err := strconv.ParseInt(limits[1], 10, 32)
	if err != nil || y < 0 {
		return 0, 0, fmt.Errorf("cannot convert string to integer for index: %q", limits[1])
	}
	if y >= int64(completions) {
		return 0, 0, fmt.Errorf("too large index: %q", limits[1])
	}
	if x >= y {
		return 0, 0, fmt.Errorf("non-increasing order, previous: %d, current: %d", x, y)
	}
	return int32(x), int32(y), nil
}

// allowMutablePodTemplate reports whether the pod template of a Job may
// change: the Job is suspended, has no active pods, and either never started
// or is marked with the Suspended condition.
func allowMutablePodTemplate(old *experimental.Job) bool {
	suspended := ptr.Deref(old.Spec.Suspend, false)
	notStarted := old.Status.StartTime == nil
	hasSuspendedCondition := isConditionTrue(old.Status.Conditions, experimental.JobSuspended)
	return suspended && (notStarted || hasSuspendedCondition) && old.Status.Active == 0
}

// validateJobSpecUpdate validates an update of a Job spec.
func validateJobSpecUpdate(spec, oldSpec *experimental.JobSpec, allowMutableTemplate bool, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	allErrs = append(allErrs, validateJobSpec(spec, fldPath)...)
	allErrs = append(allErrs, validateCompletionsUpdate(spec, oldSpec, fldPath.Child("completions"))...)
	allErrs = append(allErrs, validateImmutableField(spec.Selector, oldSpec.Selector, fldPath.Child("selector"))...)
	allErrs = append(allErrs, validatePodTemplateUpdate(spec, oldSpec, allowMutableTemplate, fldPath)...)
	allErrs = append(allErrs, validateImmutableField(spec.CompletionMode, oldSpec.CompletionMode, fldPath.Child("completionMode"))...)
	allErrs = append(allErrs, validateImmutableField(spec.PodFailurePolicy, oldSpec.PodFailurePolicy, fldPath.Child("podFailurePolicy"))...)
	allErrs = append(allErrs, validateImmutableField(spec.BackoffLimitPerIndex, oldSpec.BackoffLimitPerIndex, fldPath.Child("backoffLimitPerIndex"))...)
	allErrs = append(allErrs, validateImmutableField(spec.ManagedBy, oldSpec.ManagedBy, fldPath.Child("managedBy"))...)
	allErrs = append(allErrs, validateImmutableField(spec.SuccessPolicy, oldSpec.SuccessPolicy, fldPath.Child("successPolicy"))...)
	return allErrs
}

// validateCompletionsUpdate validates a change of completions: immutable for
// NonIndexed Jobs; for Indexed Jobs it may only change together with
// parallelism (elastic Indexed Jobs, where both stay equal).
func validateCompletionsUpdate(spec, oldSpec *experimental.JobSpec, fldPath *field.Path) field.ErrorList {
	if !isIndexedJob(spec) {
		return validateImmutableField(spec.Completions, oldSpec.Completions, fldPath)
	}
	allErrs := field.ErrorList{}
	if ptr.Equal(spec.Completions, oldSpec.Completions) || spec.Completions == nil {
		// A nil completions of an Indexed Job is reported by validateCompletionMode.
		return allErrs
	}
	if spec.Parallelism == nil || *spec.Completions != *spec.Parallelism {
		allErrs = append(allErrs, field.Invalid(fldPath, *spec.Completions, fmt.Sprintf("can only be modified in tandem with %s", fldPath.Root().Child("parallelism").String())))
	}
	return allErrs
}

// validatePodTemplateUpdate validates a change of the pod template of a Job.
// The template is immutable, except that a Job whose template may change
// (see allowMutablePodTemplate) may update the scheduling directives
// (node affinity, node selector, tolerations, scheduling gates and template
// labels and annotations) and the resources of its containers.
func validatePodTemplateUpdate(spec, oldSpec *experimental.JobSpec, allowMutableTemplate bool, fldPath *field.Path) field.ErrorList {
	template := &spec.Template
	if !allowMutableTemplate {
		return validateImmutableField(template, &oldSpec.Template, fldPath.Child("template"))
	}

	old := oldSpec.Template.DeepCopy()
	switch {
	case template.Spec.Affinity == nil && old.Spec.Affinity != nil:
		// The affinity may be cleared when it only held a node affinity.
		old.Spec.Affinity.NodeAffinity = nil
		if *old.Spec.Affinity == (corev1.Affinity{}) {
			old.Spec.Affinity = nil
		}
	case template.Spec.Affinity != nil && old.Spec.Affinity == nil:
		old.Spec.Affinity = &corev1.Affinity{NodeAffinity: template.Spec.Affinity.NodeAffinity}
	case template.Spec.Affinity != nil && old.Spec.Affinity != nil:
		old.Spec.Affinity.NodeAffinity = template.Spec.Affinity.NodeAffinity
	}
	old.Spec.NodeSelector = template.Spec.NodeSelector
	old.Spec.Tolerations = template.Spec.Tolerations
	old.Spec.SchedulingGates = template.Spec.SchedulingGates
	old.Annotations = template.Annotations
	old.Labels = template.Labels

	// Container resources may change for containers that keep their name and position.
	if len(template.Spec.Containers) == len(old.Spec.Containers) {
		for i := range template.Spec.Containers {
			if old.Spec.Containers[i].Name == template.Spec.Containers[i].Name {
				old.Spec.Containers[i].Resources = template.Spec.Containers[i].Resources
			}
		}
	}
	if len(template.Spec.InitContainers) == len(old.Spec.InitContainers) {
		for i := range template.Spec.InitContainers {
			if old.Spec.InitContainers[i].Name == template.Spec.InitContainers[i].Name {
				old.Spec.InitContainers[i].Resources = template.Spec.InitContainers[i].Resources
			}
		}
	}
	return validateImmutableField(template.Spec, old.Spec, fldPath.Child("template", "spec"))
}

// isConditionTrue reports whether the condition of the given type is True.
func isConditionTrue(conditions []experimental.JobCondition, conditionType experimental.JobConditionType) bool {
	return hasConditionStatus(conditions, conditionType, corev1.ConditionTrue)
}

// hasConditionStatus reports whether a condition of the given type has the
// given status.
func hasConditionStatus(conditions []experimental.JobCondition, conditionType experimental.JobConditionType, status corev1.ConditionStatus) bool {
	for _, c := range conditions {
		if c.Type == conditionType && c.Status == status {
			return true
		}
	}
	return false
}

// IsJobFinished reports whether a Job is Complete or Failed.
func IsJobFinished(job *experimental.Job) bool {
	return isConditionTrue(job.Status.Conditions, experimental.JobComplete) || isConditionTrue(job.Status.Conditions, experimental.JobFailed)
}

// jobStatusChecks selects the status rules that apply to an update. Most
// rules only run when the fields they inspect change, so that a status that
// became inconsistent through a spec change (for example completions scaled
// down below completed indexes) can still be updated by its controller.
type jobStatusChecks struct {
	rejectDecreasingSucceeded            bool
	rejectInvalidCompletedIndexes        bool
	rejectInvalidFailedIndexes           bool
	rejectCompletedIndexesForNonIndexed  bool
	rejectFailedIndexesWithoutBackoff    bool
	rejectFailedIndexesOverlapCompleted  bool
	rejectFailedWithoutFailureTarget     bool
	rejectCompleteWithoutSuccessCriteria bool
	rejectFinishedWithActivePods         bool
	rejectFinishedWithoutStartTime       bool
	rejectFinishedWithUncountedPods      bool
	rejectStartTimeUpdateForUnsuspended  bool
	rejectCompletionTimeBeforeStartTime  bool
	rejectNotCompleteWithCompletionTime  bool
	rejectCompleteWithoutCompletionTime  bool
	rejectCompleteWithFailed             bool
	rejectCompleteWithFailureTarget      bool
	rejectMoreReadyThanActive            bool
	rejectFinishedWithTerminatingPods    bool
}

// jobStatusChecksFor returns the status rules that apply to the update of
// old to job.
func jobStatusChecksFor(job, old *experimental.Job) jobStatusChecks {
	newConds, oldConds := job.Status.Conditions, old.Status.Conditions
	changed := func(t experimental.JobConditionType) bool {
		return isConditionTrue(oldConds, t) != isConditionTrue(newConds, t)
	}
	finishedChanged := IsJobFinished(old) != IsJobFinished(job)
	completeChanged := changed(experimental.JobComplete)
	failedChanged := changed(experimental.JobFailed)
	failureTargetChanged := changed(experimental.JobFailureTarget)
	successCriteriaChanged := changed(experimental.JobSuccessCriteriaMet)
	completedIndexesChanged := old.Status.CompletedIndexes != job.Status.CompletedIndexes
	failedIndexesChanged := !ptr.Equal(old.Status.FailedIndexes, job.Status.FailedIndexes)
	activeChanged := old.Status.Active != job.Status.Active
	startTimeChanged := !ptr.Equal(old.Status.StartTime, job.Status.StartTime)
	completionTimeChanged := !ptr.Equal(old.Status.CompletionTime, job.Status.CompletionTime)
	uncountedChanged := !apiequality.Semantic.DeepEqual(old.Status.UncountedTerminatedPods, job.Status.UncountedTerminatedPods)
	readyChanged := !ptr.Equal(old.Status.Ready, job.Status.Ready)
	terminatingChanged := !ptr.Equal(old.Status.Terminating, job.Status.Terminating)
	suspendedWithZeroCompletions := ptr.Deref(job.Spec.Suspend, false) && ptr.Equal(job.Spec.Completions, ptr.To[int32](0))
	resuming := isConditionTrue(oldConds, experimental.JobSuspended) && hasConditionStatus(newConds, experimental.JobSuspended, corev1.ConditionFalse)

	return jobStatusChecks{
		// Elastic Indexed Jobs (completions == parallelism) may scale down.
		rejectDecreasingSucceeded:            !isIndexedJob(&job.Spec) || !ptr.Equal(job.Spec.Completions, job.Spec.Parallelism),
		rejectInvalidCompletedIndexes:        completedIndexesChanged,
		rejectInvalidFailedIndexes:           failedIndexesChanged,
		rejectCompletedIndexesForNonIndexed:  completedIndexesChanged,
		rejectFailedIndexesWithoutBackoff:    failedIndexesChanged,
		rejectFailedIndexesOverlapCompleted:  failedIndexesChanged || completedIndexesChanged,
		rejectFailedWithoutFailureTarget:     failedChanged || failedIndexesChanged,
		rejectCompleteWithoutSuccessCriteria: completeChanged || successCriteriaChanged,
		rejectFinishedWithActivePods:         finishedChanged || activeChanged,
		rejectFinishedWithoutStartTime:       (finishedChanged || startTimeChanged) && !suspendedWithZeroCompletions,
		rejectFinishedWithUncountedPods:      finishedChanged || uncountedChanged,
		rejectStartTimeUpdateForUnsuspended:  startTimeChanged && !resuming,
		rejectCompletionTimeBeforeStartTime:  startTimeChanged || completionTimeChanged,
		rejectNotCompleteWithCompletionTime:  completeChanged || completionTimeChanged,
		rejectCompleteWithoutCompletionTime:  completeChanged || completionTimeChanged,
		rejectCompleteWithFailed:             completeChanged || failedChanged,
		rejectCompleteWithFailureTarget:      completeChanged || failureTargetChanged,
		rejectMoreReadyThanActive:            readyChanged || activeChanged,
		rejectFinishedWithTerminatingPods:    finishedChanged || terminatingChanged,
	}
}

// validateJobStatusUpdate validates the status of a Job and its transition
// from the status of old.
func validateJobStatusUpdate(job, old *experimental.Job) field.ErrorList {
	allErrs := field.ErrorList{}
	statusPath := field.NewPath("status")
	checks := jobStatusChecksFor(job, old)
	allErrs = append(allErrs, validateJobStatus(job, checks, statusPath)...)

	conditionsPath := statusPath.Child("conditions")
	for _, t := range []experimental.JobConditionType{experimental.JobFailed, experimental.JobComplete, experimental.JobFailureTarget} {
		if isConditionTrue(old.Status.Conditions, t) && !isConditionTrue(job.Status.Conditions, t) {
			allErrs = append(allErrs, field.Invalid(conditionsPath, field.OmitValueType{}, fmt.Sprintf("cannot disable the terminal %s=True condition", t)))
		}
	}
	if job.Status.Failed < old.Status.Failed {
		allErrs = append(allErrs, field.Invalid(statusPath.Child("failed"), job.Status.Failed, "cannot decrease the failed counter"))
	}
	if checks.rejectDecreasingSucceeded && job.Status.Succeeded < old.Status.Succeeded {
		allErrs = append(allErrs, field.Invalid(statusPath.Child("succeeded"), job.Status.Succeeded, "cannot decrease the succeeded counter"))
	}
	if job.Status.CompletionTime != nil && old.Status.CompletionTime != nil && !ptr.Equal(job.Status.CompletionTime, old.Status.CompletionTime) {
		allErrs = append(allErrs, field.Invalid(statusPath.Child("completionTime"), job.Status.CompletionTime, apimachineryvalidation.FieldImmutableErrorMsg))
	}
	if checks.rejectStartTimeUpdateForUnsuspended && old.Status.StartTime != nil && !ptr.Deref(job.Spec.Suspend, false) {
		allErrs = append(allErrs, field.Invalid(statusPath.Child("startTime"), job.Status.StartTime, "field is immutable for unsuspended job once set"))
	}
	successCriteriaMet := isConditionTrue(job.Status.Conditions, experimental.JobSuccessCriteriaMet)
	oldSuccessCriteriaMet := isConditionTrue(old.Status.Conditions, experimental.JobSuccessCriteriaMet)
	if oldSuccessCriteriaMet && !successCriteriaMet {
		allErrs = append(allErrs, field.Invalid(conditionsPath, field.OmitValueType{}, "cannot disable the SuccessCriteriaMet=True condition"))
	}
	if isConditionTrue(old.Status.Conditions, experimental.JobComplete) && !oldSuccessCriteriaMet && successCriteriaMet {
		allErrs = append(allErrs, field.Invalid(conditionsPath, field.OmitValueType{}, "cannot set SuccessCriteriaMet=True for Job already has Complete=true conditions"))
	}
	return allErrs
}

// validateJobStatus validates the counters, index lists, timestamps and
// conditions of a Job status.
func validateJobStatus(job *experimental.Job, checks jobStatusChecks, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	status := &job.Status
	conds := status.Conditions
	conditionsPath := fldPath.Child("conditions")

	allErrs = append(allErrs, validateNonnegativeField(int64(status.Active), fldPath.Child("active"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(status.Succeeded), fldPath.Child("succeeded"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(status.Failed), fldPath.Child("failed"))...)
	allErrs = append(allErrs, validateOptionalNonnegativeInt32(status.Ready, fldPath.Child("ready"))...)
	allErrs = append(allErrs, validateOptionalNonnegativeInt32(status.Terminating, fldPath.Child("terminating"))...)
	allErrs = append(allErrs, validateUncountedTerminatedPods(status.UncountedTerminatedPods, fldPath.Child("uncountedTerminatedPods"))...)

	complete := isConditionTrue(conds, experimental.JobComplete)
	failed := isConditionTrue(conds, experimental.JobFailed)
	failureTarget := isConditionTrue(conds, experimental.JobFailureTarget)
	successCriteriaMet := isConditionTrue(conds, experimental.JobSuccessCriteriaMet)
	finished := complete || failed

	if checks.rejectCompleteWithFailed && complete && failed {
		allErrs = append(allErrs, field.Invalid(conditionsPath, field.OmitValueType{}, "cannot set Complete=True and Failed=true conditions"))
	}
	if checks.rejectCompleteWithFailureTarget && complete && failureTarget {
		allErrs = append(allErrs, field.Invalid(conditionsPath, field.OmitValueType{}, "cannot set Complete=True and FailureTarget=true conditions"))
	}
	if checks.rejectNotCompleteWithCompletionTime && status.CompletionTime != nil && !complete {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("completionTime"), status.CompletionTime, "cannot set completionTime when there is no Complete=True condition"))
	}
	if checks.rejectCompleteWithoutCompletionTime && status.CompletionTime == nil && complete {
		allErrs = append(allErrs, field.Required(fldPath.Child("completionTime"), "completionTime is required for Complete jobs"))
	}
	if checks.rejectCompletionTimeBeforeStartTime && status.StartTime != nil && status.CompletionTime != nil && status.CompletionTime.Before(status.StartTime) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("completionTime"), status.CompletionTime, "must be equal to or after `startTime`"))
	}
	if checks.rejectFailedWithoutFailureTarget && failed && !failureTarget {
		allErrs = append(allErrs, field.Invalid(conditionsPath, field.OmitValueType{}, "cannot set Failed=True condition without the FailureTarget=true condition"))
	}
	if checks.rejectCompleteWithoutSuccessCriteria && complete && !successCriteriaMet {
		allErrs = append(allErrs, field.Invalid(conditionsPath, field.OmitValueType{}, "cannot set Complete=True condition without the SuccessCriteriaMet=true condition"))
	}
	if checks.rejectFinishedWithActivePods && status.Active > 0 && finished {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("active"), status.Active, "active>0 is invalid for finished job"))
	}
	if checks.rejectFinishedWithoutStartTime && status.StartTime == nil && finished {
		allErrs = append(allErrs, field.Required(fldPath.Child("startTime"), "startTime is required for finished job"))
	}
	if checks.rejectFinishedWithUncountedPods && finished && status.UncountedTerminatedPods != nil &&
		len(status.UncountedTerminatedPods.Failed)+len(status.UncountedTerminatedPods.Succeeded) > 0 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("uncountedTerminatedPods"), status.UncountedTerminatedPods, "must be empty for finished job"))
	}
	if job.Spec.Completions != nil {
		completions := *job.Spec.Completions
		if checks.rejectInvalidCompletedIndexes {
			if _, err := validateIndexesFormat(status.CompletedIndexes, completions); err != nil {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("completedIndexes"), status.CompletedIndexes, fmt.Sprintf("error parsing completedIndexes: %s", err.Error())))
			}
		}
		if checks.rejectInvalidFailedIndexes && job.Spec.BackoffLimitPerIndex != nil && status.FailedIndexes != nil {
			if _, err := validateIndexesFormat(*status.FailedIndexes, completions); err != nil {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("failedIndexes"), *status.FailedIndexes, fmt.Sprintf("error parsing failedIndexes: %s", err.Error())))
			}
		}
		if checks.rejectFailedIndexesOverlapCompleted && status.FailedIndexes != nil {
			if err := validateFailedIndexesNotOverlapCompleted(status.CompletedIndexes, *status.FailedIndexes, completions); err != nil {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("failedIndexes"), *status.FailedIndexes, err.Error()))
			}
		}
	}
	if checks.rejectCompletedIndexesForNonIndexed && len(status.CompletedIndexes) != 0 && !isIndexedJob(&job.Spec) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("completedIndexes"), status.CompletedIndexes, "cannot set non-empty completedIndexes when non-indexed completion mode"))
	}
	if checks.rejectFailedIndexesWithoutBackoff && job.Spec.BackoffLimitPerIndex == nil && status.FailedIndexes != nil {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("failedIndexes"), *status.FailedIndexes, "cannot set non-null failedIndexes when backoffLimitPerIndex is null"))
	}
	if checks.rejectFinishedWithTerminatingPods && status.Terminating != nil && *status.Terminating > 0 && finished {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("terminating"), *status.Terminating, "terminating>0 is invalid for finished job"))
	}
	if checks.rejectMoreReadyThanActive && status.Ready != nil && *status.Ready > status.Active {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("ready"), *status.Ready, "cannot set more ready pods than active"))
	}
	if successCriteriaMet && failed {
		allErrs = append(allErrs, field.Invalid(conditionsPath, field.OmitValueType{}, "cannot set SuccessCriteriaMet=True and Failed=true conditions"))
	}
	if successCriteriaMet && failureTarget {
		allErrs = append(allErrs, field.Invalid(conditionsPath, field.OmitValueType{}, "cannot set SuccessCriteriaMet=True and FailureTarget=true conditions"))
	}
	if job.Spec.SuccessPolicy != nil && !successCriteriaMet && complete {
		allErrs = append(allErrs, field.Invalid(conditionsPath, field.OmitValueType{}, "cannot set Complete=True for Job with SuccessPolicy unless SuccessCriteriaMet=True"))
	}
	return allErrs
}

// validateUncountedTerminatedPods validates that the UIDs of uncounted
// terminated pods are non-empty and unique across both lists.
func validateUncountedTerminatedPods(pods *experimental.UncountedTerminatedPods, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if pods == nil {
		return allErrs
	}
	seen := sets.New[types.UID]()
	check := func(uids []types.UID, listPath *field.Path) {
		for i, uid := range uids {
			p := listPath.Index(i)
			switch {
			case uid == "":
				allErrs = append(allErrs, field.Invalid(p, uid, "must not be empty"))
			case seen.Has(uid):
				allErrs = append(allErrs, field.Duplicate(p, uid))
			default:
				seen.Insert(uid)
			}
		}
	}
	check(pods.Succeeded, fldPath.Child("succeeded"))
	check(pods.Failed, fldPath.Child("failed"))
	return allErrs
}

// validateFailedIndexesNotOverlapCompleted returns an error when an index is
// both completed and failed. Intervals that cannot be parsed are skipped:
// their format is validated separately.
func validateFailedIndexesNotOverlapCompleted(completedIndexes, failedIndexes string, completions int32) error {
	if len(completedIndexes) == 0 || len(failedIndexes) == 0 {
		return nil
	}
	completed := parseValidIntervals(completedIndexes, completions)
	failed := parseValidIntervals(failedIndexes, completions)
	ci, fi := 0, 0
	for ci < len(completed) && fi < len(failed) {
		c, f := completed[ci], failed[fi]
		if c[0] <= f[1] && f[0] <= c[1] {
			return fmt.Errorf("failedIndexes and completedIndexes overlap at index: %d", max(c[0], f[0]))
		}
		if c[0] <= f[0] {
			ci++
		} else {
			fi++
		}
	}
	return nil
}

// parseValidIntervals returns the intervals of an index list that parse,
// skipping the others.
func parseValidIntervals(indexes string, completions int32) [][2]int32 {
	var intervals [][2]int32
	for _, s := range strings.Split(indexes, ",") {
		if x, y, err := parseIndexInterval(s, completions); err == nil {
			intervals = append(intervals, [2]int32{x, y})
		}
	}
	return intervals
}
