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

package cronjob

import (
	"fmt"
	"maps"
	"sort"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// ScheduledTimestampAnnotation holds, on each Job a CronJob created, the
// time the Job was scheduled for (RFC 3339, in the CronJob's time zone); the
// key is batch/v1's.
const ScheduledTimestampAnnotation = batchv1.CronJobScheduledTimestampAnnotation

// jobName is the deterministic name of the Job of cj scheduled at t: the
// CronJob's name and t in minutes since the Unix epoch. A restarted
// controller that runs the same scheduled time again gets AlreadyExists
// instead of a second Job.
func jobName(cj *v1alpha1.CronJob, t time.Time) string {
	return fmt.Sprintf("%s-%d", cj.Name, t.Unix()/60)
}

// newJob returns the Job of cj for the scheduled time t: the job template's
// labels, annotations and spec, the scheduled-timestamp annotation and cj as
// its controller.
func newJob(cj *v1alpha1.CronJob, t time.Time, loc *time.Location) *v1alpha1.Job {
	annotations := maps.Clone(cj.Spec.JobTemplate.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[ScheduledTimestampAnnotation] = t.In(loc).Format(time.RFC3339)
	job := &v1alpha1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:            jobName(cj, t),
			Namespace:       cj.Namespace,
			Labels:          maps.Clone(cj.Spec.JobTemplate.Labels),
			Annotations:     annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(cj, controllerKind)},
		},
	}
	cj.Spec.JobTemplate.Spec.DeepCopyInto(&job.Spec)
	return job
}

// scheduledTime returns the time from a Job's scheduled-timestamp
// annotation.
func scheduledTime(job *v1alpha1.Job) (time.Time, bool) {
	v, ok := job.Annotations[ScheduledTimestampAnnotation]
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, v)
	return t, err == nil
}

// finishedCondition returns Complete or Failed when the Job has that
// condition with status True, and "" while it runs.
func finishedCondition(job *v1alpha1.Job) v1alpha1.JobConditionType {
	for _, c := range job.Status.Conditions {
		if (c.Type == v1alpha1.JobComplete || c.Type == v1alpha1.JobFailed) && c.Status == corev1.ConditionTrue {
			return c.Type
		}
	}
	return ""
}

// completionTime returns when a Complete Job finished: status.completionTime,
// or the time of its Complete condition.
func completionTime(job *v1alpha1.Job) *metav1.Time {
	if job.Status.CompletionTime != nil {
		return job.Status.CompletionTime
	}
	for _, c := range job.Status.Conditions {
		if c.Type == v1alpha1.JobComplete && c.Status == corev1.ConditionTrue && !c.LastTransitionTime.IsZero() {
			return &c.LastTransitionTime
		}
	}
	return nil
}

// jobRef returns the reference to job kept in status.active.
func jobRef(job *v1alpha1.Job) corev1.ObjectReference {
	return corev1.ObjectReference{
		Kind:            "Job",
		APIVersion:      v1alpha1.SchemeGroupVersion.String(),
		Namespace:       job.Namespace,
		Name:            job.Name,
		UID:             job.UID,
		ResourceVersion: job.ResourceVersion,
	}
}

func inActive(cj *v1alpha1.CronJob, uid types.UID) bool {
	for _, r := range cj.Status.Active {
		if r.UID == uid {
			return true
		}
	}
	return false
}

func inActiveByName(cj *v1alpha1.CronJob, name string) bool {
	for _, r := range cj.Status.Active {
		if r.Name == name {
			return true
		}
	}
	return false
}

func removeFromActive(cj *v1alpha1.CronJob, uid types.UID) {
	active := cj.Status.Active[:0:0]
	for _, r := range cj.Status.Active {
		if r.UID != uid {
			active = append(active, r)
		}
	}
	cj.Status.Active = active
}

// sortOldestFirst orders finished Jobs for history cleanup: by start time
// (Jobs that never started last), then scheduled time, then name.
func sortOldestFirst(jobs []*v1alpha1.Job) {
	key := func(j *v1alpha1.Job) time.Time {
		if t, ok := scheduledTime(j); ok {
			return t
		}
		return j.CreationTimestamp.Time
	}
	sort.SliceStable(jobs, func(a, b int) bool {
		ja, jb := jobs[a], jobs[b]
		sa, sb := ja.Status.StartTime, jb.Status.StartTime
		switch {
		case sa == nil && sb != nil:
			return false
		case sa != nil && sb == nil:
			return true
		case sa != nil && !sa.Equal(sb):
			return sa.Before(sb)
		}
		if ka, kb := key(ja), key(jb); !ka.Equal(kb) {
			return ka.Before(kb)
		}
		return ja.Name < jb.Name
	})
}
