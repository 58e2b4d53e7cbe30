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
	"regexp"
	"strings"
	"time"

	// The time zone database is embedded so that timeZone validation does
	// not depend on the zoneinfo files of the host.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

// maxCronJobNameLength is the maximum length of a CronJob name: the
// controller appends an 11-character suffix ("-" and a timestamp) to name
// its Jobs, whose names must be DNS labels.
const maxCronJobNameLength = utilvalidation.DNS1035LabelMaxLength - 11

// validTimeZoneCharacters matches one component of an IANA time zone name.
// https://data.iana.org/time-zones/theory.html#naming allows ASCII letters,
// '.', '-' and '_' in components of at most 14 characters; digits and '+'
// are tolerated for legacy names.
var validTimeZoneCharacters = regexp.MustCompile(`^[A-Za-z\.\-_0-9+]{1,14}$`)

var supportedConcurrencyPolicies = []experimental.ConcurrencyPolicy{
	experimental.AllowConcurrent, experimental.ForbidConcurrent, experimental.ReplaceConcurrent,
}

var supportedMissedSchedulePolicies = []experimental.MissedSchedulePolicy{
	experimental.MissedScheduleRunOnce, experimental.MissedScheduleSkip,
}

// MaxCronJobJitterSeconds is the largest spec.jitterSeconds: an hour, the
// interval of the "0 * * * *" schedules jitter is meant to spread.
const MaxCronJobJitterSeconds = 3600

// ValidateCronJob validates a CronJob on creation. Its name may not be
// longer than 52 characters.
func ValidateCronJob(cronJob *experimental.CronJob) field.ErrorList {
	if cronJob == nil {
		return nilObjectError("CronJob")
	}
	allErrs := apimachineryvalidation.ValidateObjectMeta(&cronJob.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateCronJobSpec(&cronJob.Spec, nil, field.NewPath("spec"))...)
	if len(cronJob.Name) > maxCronJobNameLength {
		allErrs = append(allErrs, field.Invalid(field.NewPath("metadata", "name"), cronJob.Name, fmt.Sprintf("must be no more than %d characters", maxCronJobNameLength)))
	}
	return allErrs
}

// ValidateCronJobUpdate validates an update of a CronJob. The name length
// limit is not enforced on update so that existing CronJobs stay manageable.
func ValidateCronJobUpdate(cronJob, old *experimental.CronJob) field.ErrorList {
	if cronJob == nil || old == nil {
		return nilObjectError("CronJob")
	}
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&cronJob.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateCronJobSpec(&cronJob.Spec, &old.Spec, field.NewPath("spec"))...)
	return allErrs
}

// ValidateCronJobStatusUpdate validates an update of the status of a
// CronJob: its metadata and conditions are checked, the status holds no
// counts.
func ValidateCronJobStatusUpdate(cronJob, old *experimental.CronJob) field.ErrorList {
	if cronJob == nil || old == nil {
		return nilObjectError("CronJob")
	}
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&cronJob.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, metav1validation.ValidateConditions(cronJob.Status.Conditions, field.NewPath("status", "conditions"))...)
}

// ValidateCronJobTrigger validates the body of a cronjobs/trigger request:
// a jobName, when given, must be a valid Job name.
func ValidateCronJobTrigger(trigger *experimental.CronJobTrigger) field.ErrorList {
	if trigger == nil {
		return nilObjectError("CronJobTrigger")
	}
	allErrs := field.ErrorList{}
	if trigger.JobName != "" {
		allErrs = append(allErrs, validateDNS1123Label(trigger.JobName, field.NewPath("jobName"))...)
	}
	return allErrs
}

// WarningsForCronJob returns warnings for a CronJob: a name that is not a DNS
// label, a time zone in the schedule, and warnings for its job template.
func WarningsForCronJob(cronJob *experimental.CronJob) []string {
	if cronJob == nil {
		return nil
	}
	warnings := nameWarnings(cronJob.Name)
	if strings.Contains(cronJob.Spec.Schedule, "TZ") {
		warnings = append(warnings, fmt.Sprintf("cannot use TZ or CRON_TZ in %s, use timeZone instead", field.NewPath("spec", "schedule")))
	}
	return append(warnings, warningsForJobSpec(&cronJob.Spec.JobTemplate.Spec, field.NewPath("spec", "jobTemplate", "spec"))...)
}

// validateCronJobSpec validates the spec of a CronJob; oldSpec is nil on
// creation.
func validateCronJobSpec(spec, oldSpec *experimental.CronJobSpec, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	schedulePath := fldPath.Child("schedule")
	if len(spec.Schedule) == 0 {
		allErrs = append(allErrs, field.Required(schedulePath, ""))
	} else {
		// A time zone in the schedule is tolerated on objects that had one.
		allowTZInSchedule := oldSpec != nil && strings.Contains(oldSpec.Schedule, "TZ")
		allErrs = append(allErrs, validateScheduleFormat(spec.Schedule, allowTZInSchedule, spec.TimeZone, schedulePath)...)
	}
	if spec.StartingDeadlineSeconds != nil {
		allErrs = append(allErrs, validateNonnegativeField(*spec.StartingDeadlineSeconds, fldPath.Child("startingDeadlineSeconds"))...)
	}
	if oldSpec == nil || !ptr.Equal(oldSpec.TimeZone, spec.TimeZone) {
		allErrs = append(allErrs, validateTimeZone(spec.TimeZone, fldPath.Child("timeZone"))...)
	}
	allErrs = append(allErrs, validateConcurrencyPolicy(spec.ConcurrencyPolicy, fldPath.Child("concurrencyPolicy"))...)
	if p := spec.MissedSchedulePolicy; p != nil && !oneOf(*p, supportedMissedSchedulePolicies) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("missedSchedulePolicy"), *p, supportedMissedSchedulePolicies))
	}
	if j := spec.JitterSeconds; j != nil && (*j < 0 || *j > MaxCronJobJitterSeconds) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("jitterSeconds"), *j, fmt.Sprintf("must be between 0 and %d", MaxCronJobJitterSeconds)))
	}
	allErrs = append(allErrs, validateJobTemplateSpec(&spec.JobTemplate, fldPath.Child("jobTemplate"))...)
	allErrs = append(allErrs, validateOptionalNonnegativeInt32(spec.SuccessfulJobsHistoryLimit, fldPath.Child("successfulJobsHistoryLimit"))...)
	allErrs = append(allErrs, validateOptionalNonnegativeInt32(spec.FailedJobsHistoryLimit, fldPath.Child("failedJobsHistoryLimit"))...)
	return allErrs
}

// validateConcurrencyPolicy validates the concurrency policy of a CronJob.
func validateConcurrencyPolicy(policy experimental.ConcurrencyPolicy, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	switch {
	case policy == "":
		allErrs = append(allErrs, field.Required(fldPath, ""))
	case !oneOf(policy, supportedConcurrencyPolicies):
		allErrs = append(allErrs, field.NotSupported(fldPath, policy, supportedConcurrencyPolicies))
	}
	return allErrs
}

// parseCronSchedule parses a standard cron schedule (five fields or a
// descriptor such as @daily or @every 1h), turning a panic of the parser
// into an error.
func parseCronSchedule(schedule string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched = nil
			err = fmt.Errorf("invalid schedule format: %v", r)
		}
	}()
	return cron.ParseStandard(schedule)
}

// validateScheduleFormat validates that a schedule parses and does not name
// a time zone (TZ= or CRON_TZ=), which belongs in the timeZone field.
func validateScheduleFormat(schedule string, allowTZInSchedule bool, timeZone *string, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if _, err := parseCronSchedule(schedule); err != nil {
		allErrs = append(allErrs, field.Invalid(fldPath, schedule, err.Error()))
	}
	hasTZ := strings.Contains(schedule, "TZ")
	switch {
	case allowTZInSchedule && hasTZ && timeZone != nil:
		allErrs = append(allErrs, field.Invalid(fldPath, schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
	case !allowTZInSchedule && hasTZ:
		allErrs = append(allErrs, field.Invalid(fldPath, schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
	}
	return allErrs
}

// validateTimeZone validates that a time zone is an explicit IANA time zone
// name known to the time zone database.
func validateTimeZone(timeZone *string, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if timeZone == nil {
		return allErrs
	}
	tz := *timeZone
	if len(tz) == 0 {
		return append(allErrs, field.Invalid(fldPath, tz, "timeZone must be nil or non-empty string"))
	}
	for _, part := range strings.Split(tz, "/") {
		if part == "." || part == ".." || strings.HasPrefix(part, "-") || !validTimeZoneCharacters.MatchString(part) {
			return append(allErrs, field.Invalid(fldPath, tz, fmt.Sprintf("unknown time zone %s", tz)))
		}
	}
	if strings.EqualFold(tz, "Local") {
		allErrs = append(allErrs, field.Invalid(fldPath, tz, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"))
	}
	if _, err := time.LoadLocation(tz); err != nil {
		allErrs = append(allErrs, field.Invalid(fldPath, tz, err.Error()))
	}
	return allErrs
}

// validateJobTemplateSpec validates the job template of a CronJob: its
// labels and annotations and its Job spec. The selector of the created Jobs
// is always generated, so it may not be set.
func validateJobTemplateSpec(template *experimental.JobTemplateSpec, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	metadataPath := fldPath.Child("metadata")
	allErrs = append(allErrs, metav1validation.ValidateLabels(template.Labels, metadataPath.Child("labels"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateAnnotations(template.Annotations, metadataPath.Child("annotations"))...)

	specPath := fldPath.Child("spec")
	allErrs = append(allErrs, validateJobSpecFields(&template.Spec, specPath)...)
	if template.Spec.Selector != nil {
		allErrs = append(allErrs, field.Invalid(specPath.Child("selector"), template.Spec.Selector, "`selector` will be auto-generated"))
	}
	if ptr.Deref(template.Spec.ManualSelector, false) {
		allErrs = append(allErrs, field.NotSupported(specPath.Child("manualSelector"), template.Spec.ManualSelector, []string{"nil", "false"}))
	}
	return allErrs
}
