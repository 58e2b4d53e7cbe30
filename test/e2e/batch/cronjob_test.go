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

package batch

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// The CronJob cases run in parallel on the package's shared cluster: each
// waits for minute boundaries, so running them side by side keeps the whole
// test near three minutes.

// cjScheduledTimestamp is the annotation the controller puts on the Jobs it
// creates.
const cjScheduledTimestamp = "batch.kubernetes.io/cronjob-scheduled-timestamp"

// cjNew creates a CronJob running every minute whose pods carry
// podAnnotations.
func (e *env) cjNew(t *testing.T, ns, name string, mutate func(*v1alpha1.CronJob), podAnnotations map[string]string) *v1alpha1.CronJob {
	t.Helper()
	cj := &v1alpha1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.CronJobSpec{
			Schedule: "* * * * *",
			JobTemplate: v1alpha1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"cronjob": name}},
				Spec: v1alpha1.JobSpec{
					Template: jobPodTemplate(podAnnotations),
				},
			},
		},
	}
	if mutate != nil {
		mutate(cj)
	}
	created, err := e.client.ExperimentalV1alpha1().CronJobs(ns).Create(context.Background(), cj, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating CronJob %s/%s: %v", ns, name, err)
	}
	return created
}

// cjJobs lists the Jobs controlled by cj.
func (e *env) cjJobs(ctx context.Context, cj *v1alpha1.CronJob) ([]v1alpha1.Job, error) {
	list, err := e.client.ExperimentalV1alpha1().Jobs(cj.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []v1alpha1.Job
	for _, j := range list.Items {
		if metav1.IsControlledBy(&j, cj) {
			out = append(out, j)
		}
	}
	return out, nil
}

// cjEvents lists the events with reason recorded for cj.
func (e *env) cjEvents(ctx context.Context, cj *v1alpha1.CronJob, reason string) ([]corev1.Event, error) {
	list, err := e.c.KubeClient().CoreV1().Events(cj.Namespace).List(ctx, metav1.ListOptions{
		FieldSelector: fields.Set{"involvedObject.name": cj.Name, "involvedObject.uid": string(cj.UID), "reason": reason}.String(),
	})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

// cjNoWarnings fails the test when a Warning event was recorded for cj
// (UnexpectedJob, MissingJob, FailedCreate, ...): on a healthy cluster the
// controller has nothing to warn about.
func (e *env) cjNoWarnings(t *testing.T, cj *v1alpha1.CronJob) {
	t.Helper()
	list, err := e.c.KubeClient().CoreV1().Events(cj.Namespace).List(context.Background(), metav1.ListOptions{
		FieldSelector: fields.Set{"involvedObject.name": cj.Name, "involvedObject.uid": string(cj.UID), "type": corev1.EventTypeWarning}.String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range list.Items {
		t.Errorf("Warning event on CronJob %s: %s: %s", cj.Name, ev.Reason, ev.Message)
	}
}

func cjFinished(j *v1alpha1.Job) v1alpha1.JobConditionType {
	for _, c := range j.Status.Conditions {
		if (c.Type == v1alpha1.JobComplete || c.Type == v1alpha1.JobFailed) && c.Status == corev1.ConditionTrue {
			return c.Type
		}
	}
	return ""
}

func cjRefNames(refs []corev1.ObjectReference) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.Name)
	}
	return out
}

func TestCronJob(t *testing.T) {
	e := sharedEnv(t)

	t.Run("creates a Job on schedule", func(t *testing.T) {
		t.Parallel()
		ns := e.namespace(t, "cronjob-create")
		cj := e.cjNew(t, ns, "tick", nil, nil)
		// The same schedule read in a time zone 5:30 ahead of UTC.
		zoned := e.cjNew(t, ns, "tick-kolkata", func(cj *v1alpha1.CronJob) {
			cj.Spec.TimeZone = ptr.To("Asia/Kolkata")
		}, nil)
		var job v1alpha1.Job
		pollFor(t, "the first Job of CronJob tick", 75*time.Second, func(ctx context.Context) (bool, error) {
			jobs, err := e.cjJobs(ctx, cj)
			if err != nil || len(jobs) == 0 {
				return false, err
			}
			job = jobs[0]
			return true, nil
		})
		stamp, err := time.Parse(time.RFC3339, job.Annotations[cjScheduledTimestamp])
		if err != nil {
			t.Fatalf("Job %s: annotation %s=%q is not RFC 3339: %v", job.Name, cjScheduledTimestamp, job.Annotations[cjScheduledTimestamp], err)
		}
		if stamp.Second() != 0 || stamp.Before(cj.CreationTimestamp.Time) {
			t.Errorf("scheduled time %s: want a whole minute after the CronJob's creation at %s", stamp, cj.CreationTimestamp)
		}
		if _, offset := stamp.Zone(); offset != 0 {
			t.Errorf("scheduled time %s: want UTC (no timeZone set)", job.Annotations[cjScheduledTimestamp])
		}
		if want := fmt.Sprintf("tick-%d", stamp.Unix()/60); job.Name != want {
			t.Errorf("Job name %s, want %s", job.Name, want)
		}
		ref := metav1.GetControllerOf(&job)
		if ref == nil || ref.Kind != "CronJob" || ref.APIVersion != "experimental/v1alpha1" || ref.Name != "tick" || !ptr.Deref(ref.BlockOwnerDeletion, false) {
			t.Errorf("Job controller reference %+v, want CronJob tick", ref)
		}
		if job.Labels["cronjob"] != "tick" {
			t.Errorf("Job labels %v, want the template's", job.Labels)
		}
		// The pods never finish: the Job stays in status.active.
		pollFor(t, "CronJob tick's status to show the Job", 30*time.Second, func(ctx context.Context) (bool, error) {
			cur, err := e.client.ExperimentalV1alpha1().CronJobs(ns).Get(ctx, "tick", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			return cur.Status.LastScheduleTime != nil && !cur.Status.LastScheduleTime.Time.Before(stamp) &&
				sets.New(cjRefNames(cur.Status.Active)...).Has(job.Name), nil
		})
		events, err := e.cjEvents(context.Background(), cj, "SuccessfulCreate")
		if err != nil {
			t.Fatal(err)
		}
		if len(events) == 0 || !strings.Contains(events[0].Message, "tick-") {
			t.Errorf("SuccessfulCreate events %v, want one naming the Job", events)
		}

		var zonedJob v1alpha1.Job
		pollFor(t, "the first Job of CronJob tick-kolkata", 75*time.Second, func(ctx context.Context) (bool, error) {
			jobs, err := e.cjJobs(ctx, zoned)
			if err != nil || len(jobs) == 0 {
				return false, err
			}
			zonedJob = jobs[0]
			return true, nil
		})
		v := zonedJob.Annotations[cjScheduledTimestamp]
		zonedStamp, err := time.Parse(time.RFC3339, v)
		if err != nil || !strings.HasSuffix(v, "+05:30") || zonedStamp.Second() != 0 {
			t.Errorf("Job %s: annotation %s=%q, want a whole minute in +05:30", zonedJob.Name, cjScheduledTimestamp, v)
		}
		e.cjNoWarnings(t, cj)
		e.cjNoWarnings(t, zoned)
	})

	t.Run("Forbid does not start a second Job while one runs", func(t *testing.T) {
		t.Parallel()
		ns := e.namespace(t, "cronjob-forbid")
		cj := e.cjNew(t, ns, "exclusive", func(cj *v1alpha1.CronJob) {
			cj.Spec.ConcurrencyPolicy = v1alpha1.ForbidConcurrent
		}, nil)
		var first v1alpha1.Job
		pollFor(t, "the first Job of CronJob exclusive", 75*time.Second, func(ctx context.Context) (bool, error) {
			jobs, err := e.cjJobs(ctx, cj)
			if err != nil || len(jobs) == 0 {
				return false, err
			}
			first = jobs[0]
			return true, nil
		})
		// The next minute the controller must decline to start another one.
		pollFor(t, "a JobAlreadyActive event", 75*time.Second, func(ctx context.Context) (bool, error) {
			events, err := e.cjEvents(ctx, cj, "JobAlreadyActive")
			return len(events) > 0, err
		})
		jobs, err := e.cjJobs(context.Background(), cj)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) != 1 || jobs[0].Name != first.Name {
			var names []string
			for _, j := range jobs {
				names = append(names, j.Name)
			}
			t.Fatalf("Jobs %v, want only %s", names, first.Name)
		}
		cur, err := e.client.ExperimentalV1alpha1().CronJobs(ns).Get(context.Background(), "exclusive", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if names := cjRefNames(cur.Status.Active); len(names) != 1 || names[0] != first.Name {
			t.Errorf("status.active %v, want only %s", names, first.Name)
		}
		e.cjNoWarnings(t, cj)
	})

	t.Run("keeps successfulJobsHistoryLimit finished Jobs", func(t *testing.T) {
		t.Parallel()
		ns := e.namespace(t, "cronjob-history")
		cj := e.cjNew(t, ns, "short", func(cj *v1alpha1.CronJob) {
			cj.Spec.SuccessfulJobsHistoryLimit = ptr.To[int32](1)
		}, succeedAfter("1s"))
		// Every Job ever seen, and whether it completed.
		seen := sets.New[string]()
		completed := sets.New[string]()
		var last string
		pollFor(t, "a completed Job to be deleted once a newer one completed", 190*time.Second, func(ctx context.Context) (bool, error) {
			jobs, err := e.cjJobs(ctx, cj)
			if err != nil {
				return false, err
			}
			present := sets.New[string]()
			completeNow := 0
			for i := range jobs {
				j := &jobs[i]
				seen.Insert(j.Name)
				present.Insert(j.Name)
				if cjFinished(j) == v1alpha1.JobComplete {
					completed.Insert(j.Name)
					completeNow++
				}
			}
			// More than one complete Job can be present for a moment: the
			// limit is applied on the sync after the newer Job completed.
			deleted := completed.Difference(present)
			last = fmt.Sprintf("seen %v, completed %v, present %v", sets.List(seen), sets.List(completed), sets.List(present))
			return deleted.Len() > 0 && completeNow <= 1 && present.Len() >= 1, nil
		})
		t.Logf("history: %s", last)
		// The deleted Job is the older one.
		oldest := sets.List(completed)[0]
		if _, err := e.client.ExperimentalV1alpha1().Jobs(ns).Get(context.Background(), oldest, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("the oldest completed Job %s still exists (err %v)", oldest, err)
		}
		events, err := e.cjEvents(context.Background(), cj, "SuccessfulDelete")
		if err != nil {
			t.Fatal(err)
		}
		if len(events) == 0 || !strings.Contains(events[0].Message, oldest) {
			t.Errorf("SuccessfulDelete events %v, want one for %s", events, oldest)
		}
		cur, err := e.client.ExperimentalV1alpha1().CronJobs(ns).Get(context.Background(), "short", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if cur.Status.LastSuccessfulTime == nil {
			t.Errorf("status.lastSuccessfulTime is not set: %+v", cur.Status)
		}
		e.cjNoWarnings(t, cj)
	})
}
