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
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	jobcontroller "github.com/kube-experimental/workloads-apiserver/pkg/controllers/job"
)

func newJob(name string, completions, parallelism int32, annotations map[string]string) *v1alpha1.Job {
	return &v1alpha1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.JobSpec{
			Completions: ptr.To(completions),
			Parallelism: ptr.To(parallelism),
			Template:    jobPodTemplate(annotations),
		},
	}
}

// TestJobCompletionsWithParallelism runs 20 completions 5 at a time and
// checks, on every pod event, that never more than 5 pods are active.
func TestJobCompletionsWithParallelism(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ns := e.namespace(t, "job-parallel")
	var mu sync.Mutex
	maxActive := 0
	e.watchPods(t, ns, func(pods []*corev1.Pod) {
		active := 0
		for _, p := range pods {
			if isActive(p) {
				active++
			}
		}
		mu.Lock()
		maxActive = max(maxActive, active)
		mu.Unlock()
	})
	job := e.createJob(t, ns, newJob("parallel", 20, 5, succeedAfter("2s")))
	done := e.waitJobCondition(t, ns, job.Name, v1alpha1.JobComplete, 3*time.Minute)

	if done.Status.Succeeded != 20 || done.Status.Failed != 0 || done.Status.Active != 0 || done.Status.CompletionTime == nil {
		t.Errorf("final status %+v", done.Status)
	}
	if c := jobCondition(done, v1alpha1.JobSuccessCriteriaMet); c == nil || c.Reason != jobcontroller.ReasonCompletionsReached {
		t.Errorf("SuccessCriteriaMet = %+v", c)
	}
	mu.Lock()
	if maxActive > 5 || maxActive == 0 {
		t.Errorf("at most %d pods were active at once; want 1..5", maxActive)
	}
	t.Logf("max active pods: %d", maxActive)
	mu.Unlock()
	pods, err := e.ownedPods(context.Background(), ns, job.UID)
	if err != nil {
		t.Fatal(err)
	}
	succeeded := 0
	for _, p := range pods {
		if p.Status.Phase == corev1.PodSucceeded {
			succeeded++
		}
	}
	if succeeded != 20 {
		t.Errorf("%d succeeded pods, want 20: %s", succeeded, podNames(pods))
	}
	e.waitEvent(t, ns, job.Name, jobcontroller.EventCompleted)
	e.expectNoTrackingFinalizers(t, ns)
}

// TestJobBackoffLimitExceeded: every pod fails; with backoffLimit 2 the
// third failure (after 10s and 20s of backoff) fails the Job.
func TestJobBackoffLimitExceeded(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ns := e.namespace(t, "job-backoff")
	j := newJob("backoff", 1, 1, failAfter("1s", 1))
	j.Spec.BackoffLimit = ptr.To[int32](2)
	job := e.createJob(t, ns, j)
	start := time.Now()
	failed := e.waitJobCondition(t, ns, job.Name, v1alpha1.JobFailed, 90*time.Second)
	elapsed := time.Since(start)

	fc := jobCondition(failed, v1alpha1.JobFailed)
	if fc.Reason != jobcontroller.ReasonBackoffLimitExceeded {
		t.Errorf("Failed reason %q, want %s", fc.Reason, jobcontroller.ReasonBackoffLimitExceeded)
	}
	if ft := jobCondition(failed, v1alpha1.JobFailureTarget); ft == nil || ft.Reason != jobcontroller.ReasonBackoffLimitExceeded {
		t.Errorf("FailureTarget = %+v", ft)
	}
	if failed.Status.Failed != 3 || failed.Status.Succeeded != 0 || failed.Status.Active != 0 || failed.Status.CompletionTime != nil {
		t.Errorf("final status %+v; want failed=3", failed.Status)
	}
	// Replacements waited for the backoff: 10s then 20s.
	if elapsed < 30*time.Second {
		t.Errorf("Job failed after %v; the backoff (10s + 20s) was not honoured", elapsed)
	}
	pods, err := e.ownedPods(context.Background(), ns, job.UID)
	if err != nil {
		t.Fatal(err)
	}
	if len(pods) != 3 {
		t.Errorf("%d pods, want 3: %s", len(pods), podNames(pods))
	}
	e.waitEvent(t, ns, job.Name, jobcontroller.ReasonBackoffLimitExceeded)
	e.expectNoTrackingFinalizers(t, ns)
}

// TestIndexedJobCompletesEveryIndex: each index 0..4 completes once, with
// the index annotation, label and hostname.
func TestIndexedJobCompletesEveryIndex(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ns := e.namespace(t, "job-indexed")
	j := newJob("indexed", 5, 3, succeedAfter("1s"))
	j.Spec.CompletionMode = ptr.To(v1alpha1.IndexedCompletion)
	job := e.createJob(t, ns, j)
	done := e.waitJobCondition(t, ns, job.Name, v1alpha1.JobComplete, 2*time.Minute)
	if done.Status.CompletedIndexes != "0-4" || done.Status.Succeeded != 5 {
		t.Errorf("completedIndexes=%q succeeded=%d, want 0-4 and 5", done.Status.CompletedIndexes, done.Status.Succeeded)
	}
	pods, err := e.ownedPods(context.Background(), ns, job.UID)
	if err != nil {
		t.Fatal(err)
	}
	succeededIndexes := map[string]int{}
	for _, p := range pods {
		ix := p.Annotations[jobcontroller.CompletionIndexAnnotation]
		if p.Labels[jobcontroller.CompletionIndexAnnotation] != ix || p.Spec.Hostname != "indexed-"+ix {
			t.Errorf("pod %s: index annotation %q, label %q, hostname %q", p.Name, ix, p.Labels[jobcontroller.CompletionIndexAnnotation], p.Spec.Hostname)
		}
		if p.Status.Phase == corev1.PodSucceeded {
			succeededIndexes[ix]++
		}
	}
	for ix := range 5 {
		if n := succeededIndexes[fmt.Sprint(ix)]; n != 1 {
			t.Errorf("index %d succeeded %d times, want once (pods: %s)", ix, n, podNames(pods))
		}
	}
	e.expectNoTrackingFinalizers(t, ns)
}

// TestJobSuspendResume: a Job created suspended runs nothing; resumed it
// starts (startTime set); suspended again its pods go; resumed again it
// completes.
func TestJobSuspendResume(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ns := e.namespace(t, "job-suspend")
	j := newJob("suspend", 2, 2, succeedAfter("15s"))
	j.Spec.Suspend = ptr.To(true)
	job := e.createJob(t, ns, j)
	ctx := context.Background()

	suspended := e.waitJobCondition(t, ns, job.Name, v1alpha1.JobSuspended, 30*time.Second)
	if suspended.Status.StartTime != nil || suspended.Status.Active != 0 {
		t.Errorf("suspended Job status %+v", suspended.Status)
	}
	if pods, err := e.ownedPods(ctx, ns, job.UID); err != nil || len(pods) != 0 {
		t.Fatalf("suspended Job has pods %s (%v)", podNames(pods), err)
	}

	setSuspend := func(v bool) {
		t.Helper()
		patch := fmt.Sprintf(`{"spec":{"suspend":%t}}`, v)
		if _, err := e.client.ExperimentalV1alpha1().Jobs(ns).Patch(ctx, job.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatalf("setting suspend=%t: %v", v, err)
		}
	}
	setSuspend(false)
	var firstPods []corev1.Pod
	poll(t, "the resumed Job to run 2 pods", func(ctx context.Context) (bool, error) {
		cur, err := e.getJob(ctx, ns, job.Name)
		if err != nil {
			return false, err
		}
		firstPods, err = e.ownedPods(ctx, ns, job.UID)
		if err != nil {
			return false, err
		}
		sc := findSuspended(cur)
		return cur.Status.Active == 2 && cur.Status.StartTime != nil && sc != nil && sc.Status == corev1.ConditionFalse && sc.Reason == "JobResumed", nil
	})
	e.waitEvent(t, ns, job.Name, jobcontroller.EventResumed)

	// Suspend while the pods run (they take 15s): they are deleted, not
	// counted as failures.
	setSuspend(true)
	poll(t, "the suspended Job to have no pods", func(ctx context.Context) (bool, error) {
		cur, err := e.getJob(ctx, ns, job.Name)
		if err != nil {
			return false, err
		}
		pods, err := e.ownedPods(ctx, ns, job.UID)
		if err != nil {
			return false, err
		}
		return len(pods) == 0 && cur.Status.Active == 0 && jobCondition(cur, v1alpha1.JobSuspended) != nil && cur.Status.StartTime == nil, nil
	})
	if cur, err := e.getJob(ctx, ns, job.Name); err != nil || cur.Status.Failed != 0 || cur.Status.Succeeded != 0 {
		t.Errorf("after suspending: %+v (%v); deleted pods must not count", cur.Status, err)
	}

	setSuspend(false)
	done := e.waitJobCondition(t, ns, job.Name, v1alpha1.JobComplete, 2*time.Minute)
	if done.Status.Succeeded != 2 || done.Status.Failed != 0 {
		t.Errorf("final status %+v", done.Status)
	}
	pods, err := e.ownedPods(ctx, ns, job.UID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods {
		for _, f := range firstPods {
			if p.UID == f.UID {
				t.Errorf("pod %s from before the suspension survived", p.Name)
			}
		}
	}
	e.expectNoTrackingFinalizers(t, ns)
}

func findSuspended(job *v1alpha1.Job) *v1alpha1.JobCondition {
	for i := range job.Status.Conditions {
		if job.Status.Conditions[i].Type == v1alpha1.JobSuspended {
			return &job.Status.Conditions[i]
		}
	}
	return nil
}

// TestJobPodFailurePolicy: exit code 42 matches a FailJob rule; exit code 3
// matches an Ignore rule, which neither counts towards backoffLimit 0 nor
// stops the replacement.
func TestJobPodFailurePolicy(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ns := e.namespace(t, "job-pfp")
	ctx := context.Background()
	policy := &v1alpha1.PodFailurePolicy{Rules: []v1alpha1.PodFailurePolicyRule{
		{Action: v1alpha1.PodFailurePolicyActionFailJob, OnExitCodes: &v1alpha1.PodFailurePolicyOnExitCodesRequirement{
			ContainerName: ptr.To("main"), Operator: v1alpha1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{42}}},
		{Action: v1alpha1.PodFailurePolicyActionIgnore, OnExitCodes: &v1alpha1.PodFailurePolicyOnExitCodesRequirement{
			Operator: v1alpha1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{3}}},
	}}

	failJob := newJob("failjob", 3, 1, failAfter("1s", 42))
	failJob.Spec.PodFailurePolicy = policy
	failJob = e.createJob(t, ns, failJob)

	ignore := newJob("ignore", 1, 1, failAfter("1s", 3))
	ignore.Spec.PodFailurePolicy = policy
	ignore.Spec.BackoffLimit = ptr.To[int32](0)
	ignore = e.createJob(t, ns, ignore)

	failed := e.waitJobCondition(t, ns, failJob.Name, v1alpha1.JobFailed, time.Minute)
	fc := jobCondition(failed, v1alpha1.JobFailed)
	if fc.Reason != jobcontroller.ReasonPodFailurePolicy || !strings.Contains(fc.Message, "exit code 42") || !strings.Contains(fc.Message, "FailJob") {
		t.Errorf("Failed condition %+v", fc)
	}
	if failed.Status.Failed != 1 {
		t.Errorf("failJob status %+v; want failed=1", failed.Status)
	}

	// The ignored failure is replaced (after the 10s failure backoff) and
	// the Job, with backoffLimit 0, does not fail.
	var pods []corev1.Pod
	pollFor(t, "a replacement for the ignored failure", time.Minute, func(ctx context.Context) (bool, error) {
		var err error
		pods, err = e.ownedPods(ctx, ns, ignore.UID)
		if err != nil {
			return false, err
		}
		failedPods := 0
		for _, p := range pods {
			if p.Status.Phase == corev1.PodFailed {
				failedPods++
			}
		}
		return failedPods >= 1 && len(pods) >= 2, nil
	})
	cur, err := e.getJob(ctx, ns, ignore.Name)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Status.Failed != 0 || jobCondition(cur, v1alpha1.JobFailed) != nil || jobCondition(cur, v1alpha1.JobFailureTarget) != nil {
		t.Errorf("ignored failures counted: %+v", cur.Status)
	}
	// Deleting the Job mid-flight leaves no finalizer behind.
	if err := e.client.ExperimentalV1alpha1().Jobs(ns).Delete(ctx, ignore.Name, metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)}); err != nil {
		t.Fatal(err)
	}
	e.expectNoTrackingFinalizers(t, ns)
}

// TestJobDeletedMidFlightReleasesPods: deleting a Job whose pods still run
// lets the garbage collector remove them; the controller removes their
// tracking finalizers so none is left hanging.
func TestJobDeletedMidFlightReleasesPods(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ns := e.namespace(t, "job-delete")
	ctx := context.Background()
	job := e.createJob(t, ns, newJob("long", 3, 3, succeedAfter("1h")))
	e.trackedRunningPods(t, job, 3)
	if err := e.client.ExperimentalV1alpha1().Jobs(ns).Delete(ctx, job.Name, metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)}); err != nil {
		t.Fatal(err)
	}
	var left []corev1.Pod
	pollFor(t, "the pods of the deleted Job to be gone", time.Minute, func(ctx context.Context) (bool, error) {
		var err error
		left, err = e.ownedPods(ctx, ns, job.UID)
		return len(left) == 0, err
	})
	e.expectNoTrackingFinalizers(t, ns)
}

// TestJobTTLAfterFinished: a finished Job with ttlSecondsAfterFinished 2 is
// deleted, with its pods, about 2s after it completes.
func TestJobTTLAfterFinished(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ns := e.namespace(t, "job-ttl")
	j := newJob("ttl", 1, 1, succeedAfter("1s"))
	j.Spec.TTLSecondsAfterFinished = ptr.To[int32](2)
	job := e.createJob(t, ns, j)
	done := e.waitJobCondition(t, ns, job.Name, v1alpha1.JobComplete, time.Minute)
	finishedAt := jobCondition(done, v1alpha1.JobComplete).LastTransitionTime.Time
	pollFor(t, "the finished Job to be deleted", time.Minute, func(ctx context.Context) (bool, error) {
		_, err := e.getJob(ctx, ns, job.Name)
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	// Deleted after the TTL, not before (second precision of the condition).
	if since := time.Since(finishedAt); since < time.Second {
		t.Errorf("Job deleted %v after it finished, before its 2s TTL", since)
	}
	pollFor(t, "the pods of the deleted Job to be garbage collected", time.Minute, func(ctx context.Context) (bool, error) {
		pods, err := e.ownedPods(ctx, ns, job.UID)
		return len(pods) == 0, err
	})
	e.expectNoTrackingFinalizers(t, ns)
}
