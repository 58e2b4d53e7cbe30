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

package experimental

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ---------------------------------------------------------------------------
// Job

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Job represents the configuration of a single job.
type Job struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Specification of the desired behavior of a job.
	// +optional
	Spec JobSpec `json:"spec,omitempty"`

	// Current status of a job.
	// +optional
	Status JobStatus `json:"status,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// JobList is a collection of jobs.
type JobList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items is the list of Jobs.
	Items []Job `json:"items"`
}

// CompletionMode specifies how Pod completions of a Job are tracked.
// +enum
type CompletionMode string

const (
	// NonIndexedCompletion is a Job completion mode. In this mode, the Job is
	// considered complete when there have been .spec.completions successfully
	// completed Pods. Pod completions are homologous to each other.
	NonIndexedCompletion CompletionMode = "NonIndexed"
	// IndexedCompletion is a Job completion mode. In this mode, the Pods of a
	// Job get an associated completion index from 0 to (.spec.completions - 1).
	// The Job is considered complete when a Pod completes for each completion index.
	IndexedCompletion CompletionMode = "Indexed"
)

// PodFailurePolicyAction specifies how a Pod failure is handled.
// +enum
type PodFailurePolicyAction string

const (
	// PodFailurePolicyActionFailJob marks the pod's job as Failed and terminates all running pods.
	PodFailurePolicyActionFailJob PodFailurePolicyAction = "FailJob"
	// PodFailurePolicyActionFailIndex marks the Job's index as failed to avoid
	// restarts within this index. Only allowed with backoffLimitPerIndex.
	PodFailurePolicyActionFailIndex PodFailurePolicyAction = "FailIndex"
	// PodFailurePolicyActionIgnore does not count the failure towards the
	// backoffLimit and creates a replacement pod.
	PodFailurePolicyActionIgnore PodFailurePolicyAction = "Ignore"
	// PodFailurePolicyActionCount handles the failure the default way: the
	// counter towards the .backoffLimit is incremented.
	PodFailurePolicyActionCount PodFailurePolicyAction = "Count"
)

// PodFailurePolicyOnExitCodesOperator is the relationship between a
// container's exit code and the specified values.
// +enum
type PodFailurePolicyOnExitCodesOperator string

const (
	// PodFailurePolicyOnExitCodesOpIn matches when the exit code is in the set of values.
	PodFailurePolicyOnExitCodesOpIn PodFailurePolicyOnExitCodesOperator = "In"
	// PodFailurePolicyOnExitCodesOpNotIn matches when the exit code is not in the set of values.
	PodFailurePolicyOnExitCodesOpNotIn PodFailurePolicyOnExitCodesOperator = "NotIn"
)

// PodReplacementPolicy specifies the policy for creating pod replacements.
// +enum
type PodReplacementPolicy string

const (
	// TerminatingOrFailed means that we recreate pods when they are
	// terminating (has a metadata.deletionTimestamp) or failed.
	TerminatingOrFailed PodReplacementPolicy = "TerminatingOrFailed"
	// Failed means to wait until a previously created Pod is fully terminated
	// (has phase Failed or Succeeded) before creating a replacement Pod.
	Failed PodReplacementPolicy = "Failed"
)

// PodFailurePolicyOnExitCodesRequirement describes the requirement for
// handling a failed pod based on its container exit codes.
type PodFailurePolicyOnExitCodesRequirement struct {
	// Restricts the check for exit codes to the container with the specified
	// name. When null, the rule applies to all containers.
	// +optional
	ContainerName *string `json:"containerName,omitempty"`

	// Represents the relationship between the container exit code(s) and the
	// specified values: In or NotIn.
	Operator PodFailurePolicyOnExitCodesOperator `json:"operator"`

	// Specifies the set of values. Each returned container exit code (might be
	// multiple in case of multiple containers) is checked against this set of
	// values with respect to the operator. The list of values must be ordered
	// and must not contain duplicates. Value '0' cannot be used for the In
	// operator. At least one element is required. At most 255 elements are allowed.
	// +listType=set
	Values []int32 `json:"values"`
}

// PodFailurePolicyOnPodConditionsPattern describes a pattern for matching an
// actual pod condition type.
type PodFailurePolicyOnPodConditionsPattern struct {
	// Specifies the required Pod condition type.
	Type corev1.PodConditionType `json:"type"`

	// Specifies the required Pod condition status. Defaults to True.
	// +optional
	Status corev1.ConditionStatus `json:"status,omitempty"`
}

// PodFailurePolicyRule describes how a pod failure is handled when the
// requirements are met. One of onExitCodes and onPodConditions, but not both,
// can be used in each rule.
type PodFailurePolicyRule struct {
	// Specifies the action taken on a pod failure when the requirements are satisfied.
	Action PodFailurePolicyAction `json:"action"`

	// Represents the requirement on the container exit codes.
	// +optional
	OnExitCodes *PodFailurePolicyOnExitCodesRequirement `json:"onExitCodes,omitempty"`

	// Represents the requirement on the pod conditions. The requirement is
	// represented as a list of pod condition patterns. The requirement is
	// satisfied if at least one pattern matches an actual pod condition. At
	// most 20 elements are allowed.
	// +listType=atomic
	// +optional
	OnPodConditions []PodFailurePolicyOnPodConditionsPattern `json:"onPodConditions,omitempty"`
}

// PodFailurePolicy describes how failed pods influence the backoffLimit.
type PodFailurePolicy struct {
	// A list of pod failure policy rules. The rules are evaluated in order.
	// Once a rule matches a Pod failure, the remaining of the rules are
	// ignored. When no rule matches the Pod failure, the default handling
	// applies - the counter of pod failures is incremented and it is checked
	// against the backoffLimit. At most 20 elements are allowed.
	// +listType=atomic
	Rules []PodFailurePolicyRule `json:"rules"`
}

// SuccessPolicy describes when a Job can be declared as succeeded based on
// the success of some indexes.
type SuccessPolicy struct {
	// rules represents the list of alternative rules for the declaring the
	// Jobs as successful before `.status.succeeded >= .spec.completions`. Once
	// any of the rules are met, the "SuccessCriteriaMet" condition is added,
	// and the lingering pods are removed. At most 20 elements are allowed.
	// +listType=atomic
	Rules []SuccessPolicyRule `json:"rules"`
}

// SuccessPolicyRule describes rule for declaring a Job as succeeded. Each rule
// must have at least one of the "succeededIndexes" or "succeededCount" specified.
type SuccessPolicyRule struct {
	// succeededIndexes specifies the set of indexes which need to be contained
	// in the actual set of the succeeded indexes for the Job. The list of
	// indexes must be within 0 to ".spec.completions-1" and must not contain
	// duplicates. At least one element is required. The indexes are
	// represented as intervals separated by commas, e.g. "1,3-5,7".
	// +optional
	SucceededIndexes *string `json:"succeededIndexes,omitempty"`

	// succeededCount specifies the minimal required size of the actual set of
	// the succeeded indexes for the Job.
	// +optional
	SucceededCount *int32 `json:"succeededCount,omitempty"`
}

// JobSpec describes how the job execution will look like.
type JobSpec struct {
	// Specifies the maximum desired number of pods the job should run at any
	// given time. Defaults to 1.
	// +optional
	Parallelism *int32 `json:"parallelism,omitempty"`

	// Specifies the desired number of successfully finished pods the job
	// should be run with. Setting to null means that the success of any pod
	// signals the success of all pods.
	// +optional
	Completions *int32 `json:"completions,omitempty"`

	// Specifies the duration in seconds relative to the startTime that the job
	// may be continuously active before the system tries to terminate it;
	// value must be positive integer.
	// +optional
	ActiveDeadlineSeconds *int64 `json:"activeDeadlineSeconds,omitempty"`

	// Specifies the policy of handling failed pods. Only allowed when the pod
	// template's restartPolicy is Never.
	// +optional
	PodFailurePolicy *PodFailurePolicy `json:"podFailurePolicy,omitempty"`

	// successPolicy specifies the policy when the Job can be declared as
	// succeeded. Only allowed for Indexed Jobs.
	// +optional
	SuccessPolicy *SuccessPolicy `json:"successPolicy,omitempty"`

	// Specifies the number of retries before marking this job failed. Defaults
	// to 6, unless backoffLimitPerIndex (only Indexed Job) is specified.
	// +optional
	BackoffLimit *int32 `json:"backoffLimit,omitempty"`

	// Specifies the limit for the number of retries within an index before
	// marking this index as failed. Only for Indexed Jobs.
	// +optional
	BackoffLimitPerIndex *int32 `json:"backoffLimitPerIndex,omitempty"`

	// Specifies the maximal number of failed indexes before marking the Job as
	// failed, when backoffLimitPerIndex is set.
	// +optional
	MaxFailedIndexes *int32 `json:"maxFailedIndexes,omitempty"`

	// A label query over pods that should match the pod count. Normally, the
	// system sets this field for you.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`

	// manualSelector controls generation of pod labels and pod selectors.
	// Leave unset unless you are certain what you are doing.
	// +optional
	ManualSelector *bool `json:"manualSelector,omitempty"`

	// Describes the pod that will be created when executing a job. The only
	// allowed template.spec.restartPolicy values are "Never" or "OnFailure".
	Template corev1.PodTemplateSpec `json:"template"`

	// ttlSecondsAfterFinished limits the lifetime of a Job that has finished
	// execution (either Complete or Failed). If set, after the Job finishes,
	// it is eligible to be automatically deleted.
	// +optional
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty"`

	// completionMode specifies how Pod completions are tracked. It can be
	// `NonIndexed` (default) or `Indexed`.
	// +optional
	CompletionMode *CompletionMode `json:"completionMode,omitempty"`

	// suspend specifies whether the Job controller should create Pods or not.
	// Defaults to false.
	// +optional
	Suspend *bool `json:"suspend,omitempty"`

	// podReplacementPolicy specifies when to create replacement Pods:
	// TerminatingOrFailed (default) or Failed (default when podFailurePolicy is used).
	// +optional
	PodReplacementPolicy *PodReplacementPolicy `json:"podReplacementPolicy,omitempty"`

	// ManagedBy field indicates the controller that manages a Job. The
	// built-in controller reconciles Jobs that have this field unset or set to
	// "experimental/job-controller"; others are skipped. Immutable.
	// +optional
	ManagedBy *string `json:"managedBy,omitempty"`
}

// JobStatus represents the current state of a Job.
type JobStatus struct {
	// The latest available observations of an object's current state. When a
	// Job fails, one of the conditions will have type "Failed" and status
	// true. When a Job is suspended, one of the conditions will have type
	// "Suspended" and status true. When a Job is completed, one of the
	// conditions will have type "Complete" and status true.
	// +optional
	// +patchMergeKey=type
	// +patchStrategy=merge
	// +listType=atomic
	Conditions []JobCondition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// Represents time when the job controller started processing a job.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// Represents time when the job was completed.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`

	// The number of pending and running pods which are not terminating.
	// +optional
	Active int32 `json:"active,omitempty"`

	// The number of pods which reached phase Succeeded.
	// +optional
	Succeeded int32 `json:"succeeded,omitempty"`

	// The number of pods which reached phase Failed.
	// +optional
	Failed int32 `json:"failed,omitempty"`

	// The number of pods which are terminating (in phase Pending or Running
	// and have a deletionTimestamp).
	// +optional
	Terminating *int32 `json:"terminating,omitempty"`

	// completedIndexes holds the completed indexes when
	// .spec.completionMode = "Indexed" in a text format, e.g. "1,3-5,7".
	// +optional
	CompletedIndexes string `json:"completedIndexes,omitempty"`

	// FailedIndexes holds the failed indexes when spec.backoffLimitPerIndex is set.
	// +optional
	FailedIndexes *string `json:"failedIndexes,omitempty"`

	// uncountedTerminatedPods holds the UIDs of Pods that have terminated but
	// the job controller hasn't yet accounted for in the status counters.
	// +optional
	UncountedTerminatedPods *UncountedTerminatedPods `json:"uncountedTerminatedPods,omitempty"`

	// The number of active pods which have a Ready condition.
	// +optional
	Ready *int32 `json:"ready,omitempty"`
}

// UncountedTerminatedPods holds UIDs of Pods that have terminated but haven't
// been accounted in Job status counters.
type UncountedTerminatedPods struct {
	// succeeded holds UIDs of succeeded Pods.
	// +listType=set
	// +optional
	Succeeded []types.UID `json:"succeeded,omitempty"`

	// failed holds UIDs of failed Pods.
	// +listType=set
	// +optional
	Failed []types.UID `json:"failed,omitempty"`
}

// JobConditionType is a valid value for JobCondition.Type.
type JobConditionType string

const (
	// JobSuspended means the job has been suspended.
	JobSuspended JobConditionType = "Suspended"
	// JobComplete means the job has completed its execution.
	JobComplete JobConditionType = "Complete"
	// JobFailed means the job has failed its execution.
	JobFailed JobConditionType = "Failed"
	// JobFailureTarget means the job is about to fail its execution.
	JobFailureTarget JobConditionType = "FailureTarget"
	// JobSuccessCriteriaMet means the Job has been succeeded.
	JobSuccessCriteriaMet JobConditionType = "SuccessCriteriaMet"
)

// JobCondition describes current state of a job.
type JobCondition struct {
	// Type of job condition, Complete or Failed.
	Type JobConditionType `json:"type"`
	// Status of the condition, one of True, False, Unknown.
	Status corev1.ConditionStatus `json:"status"`
	// Last time the condition was checked.
	// +optional
	LastProbeTime metav1.Time `json:"lastProbeTime,omitempty"`
	// Last time the condition transit from one status to another.
	// +optional
	LastTransitionTime metav1.Time `json:"lastTransitionTime,omitempty"`
	// (brief) reason for the condition's last transition.
	// +optional
	Reason string `json:"reason,omitempty"`
	// Human readable message indicating details about last transition.
	// +optional
	Message string `json:"message,omitempty"`
}

// JobTemplateSpec describes the data a Job should have when created from a template.
type JobTemplateSpec struct {
	// Standard object's metadata of the jobs created from this template.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Specification of the desired behavior of the job.
	// +optional
	Spec JobSpec `json:"spec,omitempty"`
}

// ---------------------------------------------------------------------------
// CronJob

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// CronJob represents the configuration of a single cron job.
type CronJob struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Specification of the desired behavior of a cron job, including the schedule.
	// +optional
	Spec CronJobSpec `json:"spec,omitempty"`

	// Current status of a cron job.
	// +optional
	Status CronJobStatus `json:"status,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// CronJobList is a collection of cron jobs.
type CronJobList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items is the list of CronJobs.
	Items []CronJob `json:"items"`
}

// CronJobSpec describes how the job execution will look like and when it will actually run.
type CronJobSpec struct {
	// The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.
	Schedule string `json:"schedule"`

	// The time zone name for the given schedule, see
	// https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not
	// specified, this defaults to UTC.
	// +optional
	TimeZone *string `json:"timeZone,omitempty"`

	// Optional deadline in seconds for starting the job if it misses scheduled
	// time for any reason. Missed jobs executions will be counted as failed ones.
	// +optional
	StartingDeadlineSeconds *int64 `json:"startingDeadlineSeconds,omitempty"`

	// Specifies how to treat concurrent executions of a Job. Valid values are
	// "Allow" (default), "Forbid" and "Replace".
	// +optional
	ConcurrencyPolicy ConcurrencyPolicy `json:"concurrencyPolicy,omitempty"`

	// This flag tells the controller to suspend subsequent executions, it does
	// not apply to already started executions. Defaults to false.
	// +optional
	Suspend *bool `json:"suspend,omitempty"`

	// Specifies the job that will be created when executing a CronJob.
	JobTemplate JobTemplateSpec `json:"jobTemplate"`

	// The number of successful finished jobs to retain. Value must be
	// non-negative integer. Defaults to 3.
	// +optional
	SuccessfulJobsHistoryLimit *int32 `json:"successfulJobsHistoryLimit,omitempty"`

	// The number of failed finished jobs to retain. Value must be non-negative
	// integer. Defaults to 1.
	// +optional
	FailedJobsHistoryLimit *int32 `json:"failedJobsHistoryLimit,omitempty"`

	// missedSchedulePolicy says what the controller does with schedule
	// times that passed while no run could start for them, for example
	// while the controller was not running. "RunOnce" (the behaviour of
	// batch/v1, used when unset) starts one Job for the most recent missed
	// time, however many were missed. "Skip" starts no Job for a schedule
	// time the controller handles more than 60 seconds after it: missed
	// times are skipped with a MissSchedule event and the CronJob waits
	// for its next schedule time. startingDeadlineSeconds, when set, still
	// applies under both policies. Not part of batch/v1.
	// +optional
	MissedSchedulePolicy *MissedSchedulePolicy `json:"missedSchedulePolicy,omitempty"`

	// jitterSeconds spreads the runs of many CronJobs with the same
	// schedule: every schedule time of this CronJob is delayed by a fixed
	// offset in [0, jitterSeconds) seconds, derived from the CronJob's UID,
	// so it stays the same for the CronJob's lifetime while CronJobs
	// with "0 * * * *" fire spread over the window instead of in the same
	// second. The delayed time is the scheduled time everywhere:
	// status.lastScheduleTime, status.nextScheduleTime, the Job's
	// scheduled-timestamp annotation and startingDeadlineSeconds. @every
	// schedules, which count from the CronJob's last run, are not delayed.
	// Must be between 0 and 3600; unset or 0 means no delay, as in
	// batch/v1. Not part of batch/v1.
	// +optional
	JitterSeconds *int32 `json:"jitterSeconds,omitempty"`
}

// MissedSchedulePolicy says what happens to schedule times a CronJob missed.
// +enum
type MissedSchedulePolicy string

const (
	// MissedScheduleRunOnce starts one Job for the most recent missed
	// schedule time, as batch/v1 does.
	MissedScheduleRunOnce MissedSchedulePolicy = "RunOnce"
	// MissedScheduleSkip starts no Job for missed schedule times; the next
	// run is at the next schedule time.
	MissedScheduleSkip MissedSchedulePolicy = "Skip"
)

// ConcurrencyPolicy describes how the job will be handled. Only one of the
// following concurrent policies may be specified.
// +enum
type ConcurrencyPolicy string

const (
	// AllowConcurrent allows CronJobs to run concurrently.
	AllowConcurrent ConcurrencyPolicy = "Allow"
	// ForbidConcurrent forbids concurrent runs, skipping next run if previous
	// hasn't finished yet.
	ForbidConcurrent ConcurrencyPolicy = "Forbid"
	// ReplaceConcurrent cancels currently running job and replaces it with a new one.
	ReplaceConcurrent ConcurrencyPolicy = "Replace"
)

// CronJobStatus represents the current state of a cron job.
type CronJobStatus struct {
	// A list of pointers to currently running jobs.
	// +optional
	// +listType=atomic
	Active []corev1.ObjectReference `json:"active,omitempty"`

	// Information when was the last time the job was successfully scheduled.
	// +optional
	LastScheduleTime *metav1.Time `json:"lastScheduleTime,omitempty"`

	// Information when was the last time the job successfully completed.
	// +optional
	LastSuccessfulTime *metav1.Time `json:"lastSuccessfulTime,omitempty"`

	// nextScheduleTime is when the controller will start the next Job,
	// spec.jitterSeconds included. The controller sets it on CronJobs with
	// spec.jitterSeconds (others keep the status of batch/v1); it is unset
	// while the CronJob is suspended or its schedule matches no time. Not
	// part of batch/v1.
	// +optional
	NextScheduleTime *metav1.Time `json:"nextScheduleTime,omitempty"`

	// conditions are the latest observations of the CronJob's state. The
	// controller sets RunsBlocked to True while concurrencyPolicy Forbid
	// holds back scheduled runs because a Job is still active (its message
	// names the Job and how many runs were skipped), and to False when a
	// run proceeds or no Job is active any more. Not part of batch/v1.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchMergeKey=type
	// +patchStrategy=merge
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// CronJobConditionRunsBlocked is the condition type that is True while
// concurrencyPolicy Forbid holds back scheduled runs of a CronJob.
const CronJobConditionRunsBlocked = "RunsBlocked"

// CronJobManualInstantiateAnnotation marks Jobs started outside the schedule
// (by the cronjobs/trigger subresource or kubectl create job --from) with the
// value "manual"; the key is the one kubectl uses.
const CronJobManualInstantiateAnnotation = "cronjob.kubernetes.io/instantiate"

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// CronJobTrigger is the body of a POST to cronjobs/NAME/trigger, which
// starts a Job from the CronJob's job template now, outside its schedule,
// as kubectl create job --from=cronjob/NAME does. The response is the
// created Job. The Job is annotated cronjob.kubernetes.io/instantiate:
// manual and controlled by the CronJob, so it counts in status.active and
// the history limits. concurrencyPolicy applies: Forbid refuses with 409
// Conflict while a Job of the CronJob is active, Replace deletes the
// active Jobs first.
type CronJobTrigger struct {
	metav1.TypeMeta `json:",inline"`
	// jobName is the name of the Job to create. When empty the server
	// generates one: the CronJob's name, "-manual-" and a random suffix.
	// +optional
	JobName string `json:"jobName,omitempty"`
}
