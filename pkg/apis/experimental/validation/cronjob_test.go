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
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

func TestValidateCronJob(t *testing.T) {
	const jobSpec = "spec.jobTemplate.spec"
	tests := []struct {
		name   string
		mutate func(*experimental.CronJob)
		want   []wantErr
	}{
		{name: "valid", mutate: func(*experimental.CronJob) {}},
		{name: "name of 52 characters", mutate: func(c *experimental.CronJob) { c.Name = strings.Repeat("a", 52) }},
		{name: "name of 53 characters", mutate: func(c *experimental.CronJob) { c.Name = strings.Repeat("a", 53) },
			want: []wantErr{invalid("metadata.name")}},
		{name: "name not a DNS subdomain", mutate: func(c *experimental.CronJob) { c.Name = "Nightly" },
			want: []wantErr{invalid("metadata.name")}},

		// schedule
		{name: "descriptor schedules", mutate: func(c *experimental.CronJob) { c.Spec.Schedule = "@hourly" }},
		{name: "every schedule", mutate: func(c *experimental.CronJob) { c.Spec.Schedule = "@every 1h30m" }},
		{name: "named fields", mutate: func(c *experimental.CronJob) { c.Spec.Schedule = "0 9 * JAN-MAR MON-FRI" }},
		{name: "missing schedule", mutate: func(c *experimental.CronJob) { c.Spec.Schedule = "" },
			want: []wantErr{required("spec.schedule")}},
		{name: "schedule with six fields", mutate: func(c *experimental.CronJob) { c.Spec.Schedule = "0 */5 * * * *" },
			want: []wantErr{invalid("spec.schedule")}},
		{name: "schedule out of range", mutate: func(c *experimental.CronJob) { c.Spec.Schedule = "61 * * * *" },
			want: []wantErr{invalid("spec.schedule")}},
		{name: "unknown descriptor", mutate: func(c *experimental.CronJob) { c.Spec.Schedule = "@fortnightly" },
			want: []wantErr{invalid("spec.schedule")}},
		{name: "TZ in schedule", mutate: func(c *experimental.CronJob) { c.Spec.Schedule = "TZ=UTC 0 * * * *" },
			want: []wantErr{invalid("spec.schedule")}},
		{name: "CRON_TZ in schedule", mutate: func(c *experimental.CronJob) { c.Spec.Schedule = "CRON_TZ=Europe/Paris 0 * * * *" },
			want: []wantErr{invalid("spec.schedule")}},

		// time zone
		{name: "valid time zone", mutate: func(c *experimental.CronJob) { c.Spec.TimeZone = ptr.To("America/New_York") }},
		{name: "UTC time zone", mutate: func(c *experimental.CronJob) { c.Spec.TimeZone = ptr.To("Etc/UTC") }},
		{name: "empty time zone", mutate: func(c *experimental.CronJob) { c.Spec.TimeZone = ptr.To("") },
			want: []wantErr{invalid("spec.timeZone")}},
		{name: "unknown time zone", mutate: func(c *experimental.CronJob) { c.Spec.TimeZone = ptr.To("Mars/Olympus_Mons") },
			want: []wantErr{invalid("spec.timeZone")}},
		{name: "time zone with spaces", mutate: func(c *experimental.CronJob) { c.Spec.TimeZone = ptr.To(" Europe/Paris") },
			want: []wantErr{invalid("spec.timeZone")}},
		{name: "relative time zone path", mutate: func(c *experimental.CronJob) { c.Spec.TimeZone = ptr.To("../etc/passwd") },
			want: []wantErr{invalid("spec.timeZone")}},
		{name: "Local time zone", mutate: func(c *experimental.CronJob) { c.Spec.TimeZone = ptr.To("Local") },
			want: []wantErr{invalid("spec.timeZone")}},

		// policies and limits
		{name: "Forbid concurrency", mutate: func(c *experimental.CronJob) { c.Spec.ConcurrencyPolicy = experimental.ForbidConcurrent }},
		{name: "missing concurrency policy", mutate: func(c *experimental.CronJob) { c.Spec.ConcurrencyPolicy = "" },
			want: []wantErr{required("spec.concurrencyPolicy")}},
		{name: "unknown concurrency policy", mutate: func(c *experimental.CronJob) { c.Spec.ConcurrencyPolicy = "Queue" },
			want: []wantErr{notSupported("spec.concurrencyPolicy")}},
		{name: "zero starting deadline", mutate: func(c *experimental.CronJob) { c.Spec.StartingDeadlineSeconds = ptr.To[int64](0) }},
		{name: "negative starting deadline", mutate: func(c *experimental.CronJob) { c.Spec.StartingDeadlineSeconds = ptr.To[int64](-1) },
			want: []wantErr{invalid("spec.startingDeadlineSeconds")}},
		{name: "zero history limits", mutate: func(c *experimental.CronJob) {
			c.Spec.SuccessfulJobsHistoryLimit, c.Spec.FailedJobsHistoryLimit = ptr.To[int32](0), ptr.To[int32](0)
		}},
		{name: "negative history limits", mutate: func(c *experimental.CronJob) {
			c.Spec.SuccessfulJobsHistoryLimit, c.Spec.FailedJobsHistoryLimit = ptr.To[int32](-1), ptr.To[int32](-1)
		}, want: []wantErr{invalid("spec.successfulJobsHistoryLimit"), invalid("spec.failedJobsHistoryLimit")}},
		{name: "missed schedule policy RunOnce", mutate: func(c *experimental.CronJob) {
			c.Spec.MissedSchedulePolicy = ptr.To(experimental.MissedScheduleRunOnce)
		}},
		{name: "missed schedule policy Skip", mutate: func(c *experimental.CronJob) { c.Spec.MissedSchedulePolicy = ptr.To(experimental.MissedScheduleSkip) }},
		{name: "unknown missed schedule policy", mutate: func(c *experimental.CronJob) {
			c.Spec.MissedSchedulePolicy = ptr.To(experimental.MissedSchedulePolicy("RunAll"))
		}, want: []wantErr{notSupported("spec.missedSchedulePolicy")}},
		{name: "empty missed schedule policy", mutate: func(c *experimental.CronJob) {
			c.Spec.MissedSchedulePolicy = ptr.To(experimental.MissedSchedulePolicy(""))
		},
			want: []wantErr{notSupported("spec.missedSchedulePolicy")}},
		{name: "zero jitter", mutate: func(c *experimental.CronJob) { c.Spec.JitterSeconds = ptr.To[int32](0) }},
		{name: "jitter of an hour", mutate: func(c *experimental.CronJob) { c.Spec.JitterSeconds = ptr.To[int32](3600) }},
		{name: "jitter above an hour", mutate: func(c *experimental.CronJob) { c.Spec.JitterSeconds = ptr.To[int32](3601) },
			want: []wantErr{invalid("spec.jitterSeconds")}},
		{name: "negative jitter", mutate: func(c *experimental.CronJob) { c.Spec.JitterSeconds = ptr.To[int32](-1) },
			want: []wantErr{invalid("spec.jitterSeconds")}},

		// job template
		{name: "invalid job template label", mutate: func(c *experimental.CronJob) { c.Spec.JobTemplate.Labels["team"] = "a b" },
			want: []wantErr{invalid("spec.jobTemplate.metadata.labels")}},
		{name: "invalid job template annotation", mutate: func(c *experimental.CronJob) { c.Spec.JobTemplate.Annotations = map[string]string{"a b": ""} },
			want: []wantErr{invalid("spec.jobTemplate.metadata.annotations")}},
		{name: "job template with selector", mutate: func(c *experimental.CronJob) { c.Spec.JobTemplate.Spec.Selector = testSelector() },
			want: []wantErr{invalid(jobSpec + ".selector")}},
		{name: "job template with manual selector", mutate: func(c *experimental.CronJob) { c.Spec.JobTemplate.Spec.ManualSelector = ptr.To(true) },
			want: []wantErr{notSupported(jobSpec + ".manualSelector")}},
		{name: "job template restart policy Always", mutate: func(c *experimental.CronJob) {
			c.Spec.JobTemplate.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways
		}, want: []wantErr{required(jobSpec + ".template.spec.restartPolicy")}},
		{name: "job template negative backoff limit", mutate: func(c *experimental.CronJob) { c.Spec.JobTemplate.Spec.BackoffLimit = ptr.To[int32](-1) },
			want: []wantErr{invalid(jobSpec + ".backoffLimit")}},
		{name: "job template Indexed without completions", mutate: func(c *experimental.CronJob) {
			c.Spec.JobTemplate.Spec.CompletionMode = ptr.To(experimental.IndexedCompletion)
		}, want: []wantErr{required(jobSpec + ".completions")}},
		{name: "job template invalid container", mutate: func(c *experimental.CronJob) { c.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Name = "" },
			want: []wantErr{required(jobSpec + ".template.spec.containers[0].name")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cronJob := validCronJob()
			tc.mutate(cronJob)
			expectErrors(t, ValidateCronJob(cronJob), tc.want...)
		})
	}

	cronJob := validCronJob()
	cronJob.Spec.Schedule = "TZ=UTC 0 * * * *"
	expectErrorMessage(t, ValidateCronJob(cronJob), `spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead`)
}

func TestValidateCronJobUpdate(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(*experimental.CronJob)
		mutate  func(*experimental.CronJob)
		want    []wantErr
	}{
		{name: "new schedule", mutate: func(c *experimental.CronJob) { c.Spec.Schedule = "0 0 * * *" }},
		{name: "long name of an existing CronJob", prepare: func(c *experimental.CronJob) { c.Name = strings.Repeat("a", 60) },
			mutate: func(c *experimental.CronJob) { c.Spec.Suspend = ptr.To(true) }},
		{name: "TZ kept in schedule", prepare: func(c *experimental.CronJob) { c.Spec.Schedule = "TZ=UTC 0 * * * *" },
			mutate: func(c *experimental.CronJob) { c.Spec.Schedule = "TZ=UTC 30 * * * *" }},
		{name: "TZ in schedule and time zone", prepare: func(c *experimental.CronJob) { c.Spec.Schedule = "TZ=UTC 0 * * * *" },
			mutate: func(c *experimental.CronJob) { c.Spec.TimeZone = ptr.To("Etc/UTC") },
			want:   []wantErr{invalid("spec.schedule")}},
		{name: "TZ added to schedule", mutate: func(c *experimental.CronJob) { c.Spec.Schedule = "TZ=UTC 0 * * * *" },
			want: []wantErr{invalid("spec.schedule")}},
		{name: "unchanged invalid time zone", prepare: func(c *experimental.CronJob) { c.Spec.TimeZone = ptr.To("Mars/Olympus_Mons") },
			mutate: func(c *experimental.CronJob) { c.Spec.Suspend = ptr.To(true) }},
		{name: "changed invalid time zone", mutate: func(c *experimental.CronJob) { c.Spec.TimeZone = ptr.To("Mars/Olympus_Mons") },
			want: []wantErr{invalid("spec.timeZone")}},
		{name: "namespace change", mutate: func(c *experimental.CronJob) { c.Namespace = "other" },
			want: []wantErr{invalid("metadata.namespace")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := validCronJob()
			if tc.prepare != nil {
				tc.prepare(old)
			}
			cronJob := old.DeepCopy()
			tc.mutate(cronJob)
			expectErrors(t, ValidateCronJobUpdate(cronJob, old), tc.want...)
		})
	}
}

func TestValidateCronJobStatusUpdate(t *testing.T) {
	old := validCronJob()
	cronJob := old.DeepCopy()
	cronJob.Status.LastScheduleTime = ptr.To(metav1.Now())
	cronJob.Status.Active = []corev1.ObjectReference{{Kind: "Job", Name: "nightly-1"}}
	expectErrors(t, ValidateCronJobStatusUpdate(cronJob, old))

	cronJob.Status.Conditions = []metav1.Condition{{
		Type: "RunsBlocked", Status: metav1.ConditionTrue, Reason: "ConcurrencyPolicyForbid", LastTransitionTime: metav1.Now(),
	}}
	expectErrors(t, ValidateCronJobStatusUpdate(cronJob, old))
	cronJob.Status.Conditions[0].Reason = "not a reason"
	expectErrors(t, ValidateCronJobStatusUpdate(cronJob, old), invalid("status.conditions[0].reason"))
	cronJob.Status.Conditions[0].Reason = "ConcurrencyPolicyForbid"

	cronJob.Name = "renamed"
	expectErrors(t, ValidateCronJobStatusUpdate(cronJob, old), invalid("metadata.name"))
}

func TestValidateCronJobTrigger(t *testing.T) {
	expectErrors(t, ValidateCronJobTrigger(&experimental.CronJobTrigger{}))
	expectErrors(t, ValidateCronJobTrigger(&experimental.CronJobTrigger{JobName: "report-now"}))
	expectErrors(t, ValidateCronJobTrigger(&experimental.CronJobTrigger{JobName: "Report_Now"}), invalid("jobName"))
	expectErrors(t, ValidateCronJobTrigger(&experimental.CronJobTrigger{JobName: strings.Repeat("a", 64)}), invalid("jobName"))
}

func TestWarningsForCronJob(t *testing.T) {
	cronJob := validCronJob()
	if w := WarningsForCronJob(cronJob); len(w) != 0 {
		t.Errorf("unexpected warnings %q", w)
	}
	cronJob.Name = "nightly.backup"
	cronJob.Spec.Schedule = "TZ=UTC 0 * * * *"
	cronJob.Spec.JobTemplate.Spec.Template.Spec.NodeSelector = map[string]string{"beta.kubernetes.io/arch": "amd64"}
	w := WarningsForCronJob(cronJob)
	if len(w) != 3 || !strings.HasPrefix(w[2], "spec.jobTemplate.spec.template.spec.nodeSelector[beta.kubernetes.io/arch]") {
		t.Errorf("unexpected warnings %q", w)
	}
}
