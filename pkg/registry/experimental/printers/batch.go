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

package printers

import (
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

var (
	_ rest.TableConvertor = tableConvertor[*experimental.Job]{}
	_ rest.TableConvertor = tableConvertor[*experimental.CronJob]{}
)

// Jobs: NAME STATUS COMPLETIONS DURATION AGE [CONTAINERS IMAGES SELECTOR]

var jobColumns = append([]metav1.TableColumnDefinition{
	nameColumn(),
	{Name: "Status", Type: "string", Description: "Status of the job."},
	{Name: "Completions", Type: "string", Description: batchv1.JobStatus{}.SwaggerDoc()["succeeded"]},
	{Name: "Duration", Type: "string", Description: "Time required to complete the job."},
	ageColumn(),
}, podTemplateColumns(batchv1.JobSpec{}.SwaggerDoc()["selector"])...)

// NewJobTableConvertor returns the table convertor for jobs.
func NewJobTableConvertor() rest.TableConvertor {
	return newTableConvertor(jobColumns, jobRow)
}

func jobRow(job *experimental.Job) []interface{} {
	cells := []interface{}{
		job.Name,
		jobStatus(job),
		jobCompletions(job),
		jobDuration(job),
		translateTimestampSince(job.CreationTimestamp),
	}
	return append(cells, podTemplateCells(&job.Spec.Template, metav1.FormatLabelSelector(job.Spec.Selector))...)
}

// jobStatus summarises the job state. Terminal conditions win over a pending
// deletion, which in turn wins over the transient conditions.
func jobStatus(job *experimental.Job) string {
	conditions := job.Status.Conditions
	switch {
	case jobConditionTrue(conditions, experimental.JobComplete):
		return "Complete"
	case jobConditionTrue(conditions, experimental.JobFailed):
		return "Failed"
	case job.DeletionTimestamp != nil:
		return "Terminating"
	case jobConditionTrue(conditions, experimental.JobSuspended):
		return "Suspended"
	case jobConditionTrue(conditions, experimental.JobFailureTarget):
		return "FailureTarget"
	case jobConditionTrue(conditions, experimental.JobSuccessCriteriaMet):
		return "SuccessCriteriaMet"
	default:
		return "Running"
	}
}

// jobConditionTrue reports whether the first condition of the given type has
// status True.
func jobConditionTrue(conditions []experimental.JobCondition, conditionType experimental.JobConditionType) bool {
	for i := range conditions {
		if conditions[i].Type == conditionType {
			return conditions[i].Status == corev1.ConditionTrue
		}
	}
	return false
}

// jobCompletions renders "succeeded/completions"; jobs without a completion
// count finish after a single success, optionally across parallel pods.
func jobCompletions(job *experimental.Job) string {
	if job.Spec.Completions != nil {
		return fmt.Sprintf("%d/%d", job.Status.Succeeded, *job.Spec.Completions)
	}
	if p := job.Spec.Parallelism; p != nil && *p > 1 {
		return fmt.Sprintf("%d/1 of %d", job.Status.Succeeded, *p)
	}
	return fmt.Sprintf("%d/1", job.Status.Succeeded)
}

// jobDuration is empty until the job starts, then runs until it completes.
func jobDuration(job *experimental.Job) string {
	start := job.Status.StartTime
	switch {
	case start == nil:
		return ""
	case job.Status.CompletionTime == nil:
		return duration.HumanDuration(now().Sub(start.Time))
	default:
		return duration.HumanDuration(job.Status.CompletionTime.Sub(start.Time))
	}
}

// CronJobs: NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE
// [CONTAINERS IMAGES SELECTOR]

var cronJobColumns = append([]metav1.TableColumnDefinition{
	nameColumn(),
	{Name: "Schedule", Type: "string", Description: batchv1.CronJobSpec{}.SwaggerDoc()["schedule"]},
	{Name: "Timezone", Type: "string", Description: batchv1.CronJobSpec{}.SwaggerDoc()["timeZone"]},
	{Name: "Suspend", Type: "boolean", Description: batchv1.CronJobSpec{}.SwaggerDoc()["suspend"]},
	{Name: "Active", Type: "integer", Description: batchv1.CronJobStatus{}.SwaggerDoc()["active"]},
	{Name: "Last Schedule", Type: "string", Description: batchv1.CronJobStatus{}.SwaggerDoc()["lastScheduleTime"]},
	ageColumn(),
}, podTemplateColumns(batchv1.JobSpec{}.SwaggerDoc()["selector"])...)

// NewCronJobTableConvertor returns the table convertor for cron jobs.
func NewCronJobTableConvertor() rest.TableConvertor {
	return newTableConvertor(cronJobColumns, cronJobRow)
}

func cronJobRow(cj *experimental.CronJob) []interface{} {
	lastSchedule := "<none>"
	if cj.Status.LastScheduleTime != nil {
		lastSchedule = translateTimestampSince(*cj.Status.LastScheduleTime)
	}
	timeZone := "<none>"
	if cj.Spec.TimeZone != nil {
		timeZone = *cj.Spec.TimeZone
	}
	cells := []interface{}{
		cj.Name,
		cj.Spec.Schedule,
		timeZone,
		boolPtrCell(cj.Spec.Suspend),
		int64(len(cj.Status.Active)),
		lastSchedule,
		translateTimestampSince(cj.CreationTimestamp),
	}
	jobSpec := &cj.Spec.JobTemplate.Spec
	return append(cells, podTemplateCells(&jobSpec.Template, metav1.FormatLabelSelector(jobSpec.Selector))...)
}
