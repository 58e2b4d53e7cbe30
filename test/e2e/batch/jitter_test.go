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
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

const (
	// jitterCronJobs is how many CronJobs of each kind (with and without
	// jitter) TestCronJobJitterSpreadsRuns creates.
	jitterCronJobs = 60
	// jitterWindow is their spec.jitterSeconds.
	jitterWindow = 30
	// jitterFirstRunTimeout bounds the wait for every first run: up to a
	// minute to the next boundary, the jitter window and the controller's
	// work on 120 CronJobs at once.
	jitterFirstRunTimeout = 150 * time.Second
	// jitterMaxCreationLag bounds how long after its scheduled time the
	// controller may create a Job (a burst of 60 CronJobs firing together
	// on a 2-core machine).
	jitterMaxCreationLag = 20 * time.Second
)

// firstRun is the first Job a CronJob created.
type firstRun struct {
	job       string
	scheduled time.Time
	created   time.Time
}

// offset is the scheduled time's position within its minute.
func (r firstRun) offset() time.Duration { return r.scheduled.Sub(r.scheduled.Truncate(time.Minute)) }

// lag is how long after the scheduled time the Job was created
// (creationTimestamp has whole seconds).
func (r firstRun) lag() time.Duration { return r.created.Sub(r.scheduled) }

// TestCronJobJitterSpreadsRuns: sixty every-minute CronJobs with
// jitterSeconds 30 run at offsets spread over [0, 30) s of the minute, each
// published in status.nextScheduleTime, while sixty identical CronJobs
// without jitter all run at second 0.
func TestCronJobJitterSpreadsRuns(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ns := e.namespace(t, "cronjob-jitter-spread")

	jittered := e.createSpreadCronJobs(t, ns, "jitter", ptr.To[int32](jitterWindow))
	plain := e.createSpreadCronJobs(t, ns, "plain", nil)
	names := map[types.UID]string{}
	for _, cj := range append(slices.Clone(jittered), plain...) {
		names[cj.UID] = cj.Name
	}

	start := time.Now()
	runs := e.waitFirstRuns(t, ns, names)
	t.Logf("all %d CronJobs ran once within %s", len(names), time.Since(start).Round(time.Second))

	// Without jitter: every run on second 0 of its minute.
	plainOffsets := sets.New[time.Duration]()
	var plainMaxLag time.Duration
	for _, cj := range plain {
		r := runs[cj.UID]
		plainOffsets.Insert(r.offset())
		plainMaxLag = max(plainMaxLag, r.lag())
		if r.offset() != 0 {
			t.Errorf("CronJob %s without jitter: Job %s scheduled at %s, want second 0 of a minute", cj.Name, r.job, r.scheduled.Format(time.RFC3339))
		}
		e.checkRunTiming(t, cj, r)
	}

	// With jitter: offsets in [0, 30) s, spread over the window.
	seconds := sets.New[int]()
	var offsets []time.Duration
	var jitterMaxLag time.Duration
	for _, cj := range jittered {
		r := runs[cj.UID]
		off := r.offset()
		offsets = append(offsets, off)
		seconds.Insert(int(off / time.Second))
		jitterMaxLag = max(jitterMaxLag, r.lag())
		if off < 0 || off >= jitterWindow*time.Second || off%time.Second != 0 {
			t.Errorf("CronJob %s: Job %s scheduled at %s, offset %s: want whole seconds in [0, %ds)",
				cj.Name, r.job, r.scheduled.Format(time.RFC3339), off, jitterWindow)
		}
		e.checkRunTiming(t, cj, r)
	}
	slices.Sort(offsets)
	spread := offsets[len(offsets)-1] - offsets[0]
	t.Logf("jittered offsets (s, sorted): %v", offsetSeconds(offsets))
	t.Logf("jittered: %d distinct whole-second offsets, min %s max %s spread %s, max creation lag %s",
		seconds.Len(), offsets[0], offsets[len(offsets)-1], spread, jitterMaxLag)
	t.Logf("without jitter: offsets %v, max creation lag %s", offsetSeconds(sets.List(plainOffsets)), plainMaxLag)
	if seconds.Len() < 10 || spread < 15*time.Second {
		t.Errorf("jittered runs at %d distinct seconds spread over %s: want at least 10 seconds over at least 15s", seconds.Len(), spread)
	}
	if plainOffsets.Len() != 1 {
		t.Errorf("runs without jitter at %d distinct offsets, want all at second 0", plainOffsets.Len())
	}

	e.checkNextScheduleTimes(t, ns, jittered, plain, runs)
}

// createSpreadCronJobs creates jitterCronJobs every-minute CronJobs named
// prefix-NN with jitterSeconds (nil: none), Forbid, a history of one and
// pods that succeed after a second.
func (e *env) createSpreadCronJobs(t *testing.T, ns, prefix string, jitterSeconds *int32) []*v1alpha1.CronJob {
	t.Helper()
	out := make([]*v1alpha1.CronJob, 0, jitterCronJobs)
	for i := range jitterCronJobs {
		out = append(out, e.cjNew(t, ns, fmt.Sprintf("%s-%02d", prefix, i), func(cj *v1alpha1.CronJob) {
			cj.Spec.JitterSeconds = jitterSeconds
			cj.Spec.ConcurrencyPolicy = v1alpha1.ForbidConcurrent
			cj.Spec.SuccessfulJobsHistoryLimit = ptr.To[int32](1)
			cj.Spec.FailedJobsHistoryLimit = ptr.To[int32](1)
		}, succeedAfter("1s")))
	}
	return out
}

// waitFirstRuns waits until every CronJob of names (by UID) has created a
// Job and returns the earliest Job seen of each: its scheduled-timestamp
// annotation and creation time.
func (e *env) waitFirstRuns(t *testing.T, ns string, names map[types.UID]string) map[types.UID]firstRun {
	t.Helper()
	runs := map[types.UID]firstRun{}
	err := wait.PollUntilContextTimeout(context.Background(), time.Second, jitterFirstRunTimeout, true, func(ctx context.Context) (bool, error) {
		list, err := e.client.ExperimentalV1alpha1().Jobs(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, j := range list.Items {
			ref := metav1.GetControllerOf(&j)
			if ref == nil || names[ref.UID] == "" {
				continue
			}
			v := j.Annotations[cjScheduledTimestamp]
			stamp, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return false, fmt.Errorf("Job %s: annotation %s=%q is not RFC 3339: %w", j.Name, cjScheduledTimestamp, v, err)
			}
			if r, ok := runs[ref.UID]; !ok || stamp.Before(r.scheduled) {
				runs[ref.UID] = firstRun{job: j.Name, scheduled: stamp, created: j.CreationTimestamp.Time}
			}
		}
		return len(runs) == len(names), nil
	})
	if err != nil {
		var missing []string
		for uid, name := range names {
			if _, ok := runs[uid]; !ok {
				missing = append(missing, name)
			}
		}
		slices.Sort(missing)
		t.Fatalf("waiting for the first Job of %d CronJobs: %v; %d have none: %v", len(names), err, len(missing), missing)
	}
	return runs
}

// checkRunTiming checks that a first run was scheduled after the CronJob's
// creation, named after its scheduled time, and created at (not before) that
// time.
func (e *env) checkRunTiming(t *testing.T, cj *v1alpha1.CronJob, r firstRun) {
	t.Helper()
	if r.scheduled.Before(cj.CreationTimestamp.Time) {
		t.Errorf("CronJob %s created at %s: first Job %s scheduled before, at %s", cj.Name, cj.CreationTimestamp.Format(time.RFC3339), r.job, r.scheduled.Format(time.RFC3339))
	}
	if want := fmt.Sprintf("%s-%d", cj.Name, r.scheduled.Unix()/60); r.job != want {
		t.Errorf("CronJob %s: Job %s scheduled at %s, want it named %s", cj.Name, r.job, r.scheduled.Format(time.RFC3339), want)
	}
	if r.lag() < 0 || r.lag() > jitterMaxCreationLag {
		t.Errorf("CronJob %s: Job %s scheduled at %s was created at %s: want within %s after its scheduled time",
			cj.Name, r.job, r.scheduled.Format(time.RFC3339), r.created.Format(time.RFC3339), jitterMaxCreationLag)
	}
}

// checkNextScheduleTimes checks that every jittered CronJob publishes a
// next run on a minute boundary plus the offset of its first run, and that
// the CronJobs without jitter publish none (as batch/v1).
func (e *env) checkNextScheduleTimes(t *testing.T, ns string, jittered, plain []*v1alpha1.CronJob, runs map[types.UID]firstRun) {
	t.Helper()
	var pending []string
	var crons map[string]*v1alpha1.CronJob
	err := wait.PollUntilContextTimeout(context.Background(), time.Second, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		list, err := e.client.ExperimentalV1alpha1().CronJobs(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		crons = map[string]*v1alpha1.CronJob{}
		for i := range list.Items {
			crons[list.Items[i].Name] = &list.Items[i]
		}
		// The status is written after the first run: wait until it names
		// a later one.
		pending = nil
		for _, cj := range jittered {
			cur := crons[cj.Name]
			if cur == nil || cur.Status.NextScheduleTime == nil || !cur.Status.NextScheduleTime.After(runs[cj.UID].scheduled) {
				pending = append(pending, cj.Name)
			}
		}
		return len(pending) == 0, nil
	})
	if err != nil {
		t.Fatalf("waiting for status.nextScheduleTime after the first run: %v; still pending: %v", err, pending)
	}
	for _, cj := range jittered {
		next := crons[cj.Name].Status.NextScheduleTime.Time
		want := runs[cj.UID].offset()
		if got := next.Sub(next.Truncate(time.Minute)); got != want {
			t.Errorf("CronJob %s: status.nextScheduleTime %s is at offset %s, want its runs' offset %s",
				cj.Name, next.UTC().Format(time.RFC3339), got, want)
		}
	}
	for _, cj := range plain {
		if next := crons[cj.Name].Status.NextScheduleTime; next != nil {
			t.Errorf("CronJob %s without jitter: status.nextScheduleTime %s, want unset as in batch/v1", cj.Name, next.UTC().Format(time.RFC3339))
		}
	}
	t.Logf("status.nextScheduleTime of the %d jittered CronJobs matches their runs' offsets", len(jittered))
}

// offsetSeconds returns offsets in whole seconds, for logs.
func offsetSeconds(offsets []time.Duration) []int {
	out := make([]int, len(offsets))
	for i, o := range offsets {
		out[i] = int(o / time.Second)
	}
	return out
}
