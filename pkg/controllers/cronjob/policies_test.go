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
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// record feeds the last status the controller wrote back into the cache,
// as the informer would, and returns the updated CronJob.
func (f *fixture) record(cj *v1alpha1.CronJob) *v1alpha1.CronJob {
	f.t.Helper()
	st := f.status()
	if st == nil {
		return cj
	}
	cj = cj.DeepCopy()
	cj.Status = *st.DeepCopy()
	if err := f.cjStore.Update(cj); err != nil {
		f.t.Fatal(err)
	}
	return cj
}

// TestMissedSchedulePolicyAfterAWeekDown brings the controller back ten
// minutes after an hourly schedule time, a week after the last run.
func TestMissedSchedulePolicyAfterAWeekDown(t *testing.T) {
	for _, tc := range []struct {
		name     string
		policy   *v1alpha1.MissedSchedulePolicy
		wantJobs int
	}{
		{name: "unset runs the latest missed time once", policy: nil, wantJobs: 1},
		{name: "RunOnce runs the latest missed time once", policy: ptr.To(v1alpha1.MissedScheduleRunOnce), wantJobs: 1},
		{name: "Skip runs nothing", policy: ptr.To(v1alpha1.MissedScheduleSkip), wantJobs: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cj := lastScheduled(newCronJob("0 * * * *"), now.AddDate(0, 0, -7))
			cj.Spec.MissedSchedulePolicy = tc.policy
			f := newFixture(t, now.Add(10*time.Minute), []*v1alpha1.CronJob{cj}, nil)
			f.mustSync(cj)
			created := f.createdJobs()
			if len(created) != tc.wantJobs {
				t.Fatalf("created %d jobs after a week down, want %d", len(created), tc.wantJobs)
			}
			if tc.wantJobs == 1 && created[0].Name != jobName(cj, now) {
				t.Errorf("created %s, want %s (the latest missed time)", created[0].Name, jobName(cj, now))
			}
			if f.requeued[key(cj)] != 50*time.Minute {
				t.Errorf("requeued after %v, want 50m (the next schedule time)", f.requeued[key(cj)])
			}
			cj = f.record(cj)
			if tc.wantJobs == 0 {
				if f.countEvents(reasonMissSchedule) != 1 {
					t.Errorf("events %v, want one MissSchedule", f.events)
				}
				if f.status() != nil {
					t.Errorf("status written for a skipped run: %+v", f.status())
				}
				// Syncing again reports nothing new and still runs nothing.
				f.mustSync(cj)
				if len(f.createdJobs()) != 0 || f.countEvents(reasonMissSchedule) != 0 {
					t.Errorf("second sync: created %d jobs, events %v", len(f.createdJobs()), f.events)
				}
			}
			// The next schedule time runs under every policy.
			f.clock.SetTime(now.Add(time.Hour + 2*time.Second))
			f.mustSync(cj)
			if c := f.createdJobs(); len(c) != 1 || c[0].Name != jobName(cj, now.Add(time.Hour)) {
				t.Errorf("at the next schedule time created %v, want the 13:00 job", c)
			}
		})
	}
}

// TestMissedScheduleSkipRunsOnTime: Skip still runs a schedule time the
// controller handles within the tolerance.
func TestMissedScheduleSkipRunsOnTime(t *testing.T) {
	cj := lastScheduled(newCronJob("0 * * * *"), now.Add(-time.Hour))
	cj.Spec.MissedSchedulePolicy = ptr.To(v1alpha1.MissedScheduleSkip)
	f := newFixture(t, now.Add(missedScheduleTolerance), []*v1alpha1.CronJob{cj}, nil)
	f.mustSync(cj)
	if c := f.createdJobs(); len(c) != 1 || c[0].Name != jobName(cj, now) {
		t.Errorf("created %v, want the 12:00 job", c)
	}
}

func TestJitterOffsetIsStableAndBounded(t *testing.T) {
	cj := newCronJob("0 * * * *")
	if got := jitterOffset(cj); got != 0 {
		t.Errorf("offset without jitterSeconds: %v, want 0", got)
	}
	cj.Spec.JitterSeconds = ptr.To[int32](0)
	if got := jitterOffset(cj); got != 0 {
		t.Errorf("offset with jitterSeconds 0: %v, want 0", got)
	}

	const window = 3600
	distinct := map[time.Duration]bool{}
	for i := range 1000 {
		cj := newCronJob("0 * * * *")
		cj.UID = types.UID(fmt.Sprintf("8b1c6f2e-%04d-4a6e-9d55-1f0c2b7e%04d", i, i))
		cj.Spec.JitterSeconds = ptr.To[int32](window)
		off := jitterOffset(cj)
		if off < 0 || off >= window*time.Second || off%time.Second != 0 {
			t.Fatalf("offset %v of %s: want whole seconds in [0, %ds)", off, cj.UID, window)
		}
		for range 3 {
			if again := jitterOffset(cj.DeepCopy()); again != off {
				t.Fatalf("offset of %s changed between calls: %v then %v", cj.UID, off, again)
			}
		}
		distinct[off] = true
	}
	// 1000 CronJobs over 3600 seconds: a hash spreads them (about 870
	// distinct offsets expected); the same second for all would be 1.
	if len(distinct) < 700 {
		t.Errorf("1000 CronJobs got only %d distinct offsets", len(distinct))
	}
	cj.Spec.JitterSeconds = ptr.To[int32](1)
	if got := jitterOffset(cj); got != 0 {
		t.Errorf("offset with jitterSeconds 1: %v, want 0", got)
	}
}

// TestJitterDelaysRuns: a CronJob with jitter runs at its schedule time
// plus its offset, publishes that time in status.nextScheduleTime, and
// records it as the scheduled time.
func TestJitterDelaysRuns(t *testing.T) {
	cj := lastScheduled(newCronJob("0 * * * *"), now.Add(-time.Hour))
	cj.Spec.JitterSeconds = ptr.To[int32](900)
	// Find a UID whose offset is not zero, so the test can tell.
	for i := 0; jitterOffset(cj) == 0; i++ {
		cj.UID = types.UID(fmt.Sprintf("backup-uid-%d", i))
	}
	off := jitterOffset(cj)
	cj.Status.LastScheduleTime = &metav1.Time{Time: now.Add(-time.Hour + off)}
	due := now.Add(off)

	f := newFixture(t, due.Add(-time.Second), []*v1alpha1.CronJob{cj}, nil)
	f.mustSync(cj)
	if len(f.createdJobs()) != 0 {
		t.Fatalf("created a job %v before the jittered time %s", f.createdJobs()[0].Name, due)
	}
	if f.requeued[key(cj)] != time.Second {
		t.Errorf("requeued after %v, want 1s", f.requeued[key(cj)])
	}
	st := f.status()
	if st == nil || st.NextScheduleTime == nil || !st.NextScheduleTime.Time.Equal(due) {
		t.Fatalf("status %+v, want nextScheduleTime %s", st, due)
	}
	cj = f.record(cj)

	f.clock.SetTime(due)
	f.mustSync(cj)
	c := f.createdJobs()
	if len(c) != 1 || c[0].Name != jobName(cj, due) {
		t.Fatalf("at the jittered time created %v, want %s", c, jobName(cj, due))
	}
	if got, ok := scheduledTime(c[0]); !ok || !got.Equal(due) {
		t.Errorf("scheduled-timestamp annotation %v, want %s", c[0].Annotations[ScheduledTimestampAnnotation], due)
	}
	st = f.status()
	if st == nil || !st.LastScheduleTime.Time.Equal(due) || !st.NextScheduleTime.Time.Equal(due.Add(time.Hour)) {
		t.Errorf("status %+v, want lastScheduleTime %s and nextScheduleTime %s", st, due, due.Add(time.Hour))
	}
}

// TestNoNextScheduleTimeWithoutJitter: CronJobs without jitterSeconds keep
// batch/v1's status.
func TestNoNextScheduleTimeWithoutJitter(t *testing.T) {
	cj := lastScheduled(newCronJob("0 * * * *"), now.Add(-time.Hour))
	f := newFixture(t, now, []*v1alpha1.CronJob{cj}, nil)
	f.mustSync(cj)
	if st := f.status(); st == nil || st.NextScheduleTime != nil {
		t.Errorf("status %+v, want no nextScheduleTime", st)
	}
}

func TestRunsBlockedCondition(t *testing.T) {
	prev := now.Add(-time.Minute)
	cj := lastScheduled(newCronJob("* * * * *"), prev)
	cj.Spec.ConcurrencyPolicy = v1alpha1.ForbidConcurrent
	running := newJobOf(cj, prev)
	cj.Status.Active = activeRefs(running)
	f := newFixture(t, now.Add(time.Second), []*v1alpha1.CronJob{cj}, []*v1alpha1.Job{running})

	blocked := func(wantSkipped int) {
		t.Helper()
		st := f.status()
		if st == nil {
			t.Fatal("no status written for a blocked run")
		}
		cond := meta.FindStatusCondition(st.Conditions, v1alpha1.CronJobConditionRunsBlocked)
		if cond == nil || cond.Status != metav1.ConditionTrue || cond.Reason != conditionReasonJobStillActive {
			t.Fatalf("conditions %+v, want RunsBlocked True with reason %s", st.Conditions, conditionReasonJobStillActive)
		}
		if !strings.Contains(cond.Message, "Job "+running.Name+" is still active") ||
			!strings.Contains(cond.Message, fmt.Sprintf(": %d scheduled run(s) skipped", wantSkipped)) {
			t.Errorf("condition message %q, want the blocking job %s and %d skipped runs", cond.Message, running.Name, wantSkipped)
		}
		if !cond.LastTransitionTime.Time.Equal(now.Add(time.Second)) {
			t.Errorf("lastTransitionTime %v, want the first block at %v (from the controller's clock)", cond.LastTransitionTime, now.Add(time.Second))
		}
	}

	f.mustSync(cj)
	if len(f.createdJobs()) != 0 {
		t.Fatal("created a job while one is active with Forbid")
	}
	blocked(1)
	if f.countEvents(reasonJobAlreadyActive) != 1 || !strings.Contains(f.events[0], running.Name) {
		t.Errorf("events %v, want one JobAlreadyActive naming %s", f.events, running.Name)
	}
	cj = f.record(cj)

	// The next minute is blocked too: two runs skipped, same transition.
	f.clock.SetTime(now.Add(time.Minute + time.Second))
	f.mustSync(cj)
	blocked(2)
	cj = f.record(cj)

	// The job finishes: the condition stays until a run proceeds, which
	// RunOnce does at once for the 12:01 time.
	done := running.DeepCopy()
	finished(v1alpha1.JobComplete, now.Add(time.Minute+2*time.Second))(done)
	f.add(f.jobStore, done)
	f.clock.SetTime(now.Add(time.Minute + 3*time.Second))
	f.mustSync(cj)
	if c := f.createdJobs(); len(c) != 1 || c[0].Name != jobName(cj, now.Add(time.Minute)) {
		t.Fatalf("after the active job finished created %v, want the 12:01 job", c)
	}
	st := f.status()
	if st == nil {
		t.Fatal("no status written when the run proceeded")
	}
	cond := meta.FindStatusCondition(st.Conditions, v1alpha1.CronJobConditionRunsBlocked)
	if cond == nil || cond.Status != metav1.ConditionFalse || cond.Reason != conditionReasonRunStarted ||
		!strings.Contains(cond.Message, jobName(cj, now.Add(time.Minute))) {
		t.Errorf("condition %+v, want RunsBlocked False with reason %s naming the new job", cond, conditionReasonRunStarted)
	}
}

// TestNoRunsBlockedConditionWhenNotBlocked: a CronJob that is never held
// back gets no condition (batch/v1's status).
func TestNoRunsBlockedConditionWhenNotBlocked(t *testing.T) {
	cj := lastScheduled(newCronJob("* * * * *"), now.Add(-time.Minute))
	cj.Spec.ConcurrencyPolicy = v1alpha1.ForbidConcurrent
	f := newFixture(t, now.Add(time.Second), []*v1alpha1.CronJob{cj}, nil)
	f.mustSync(cj)
	if st := f.status(); st == nil || len(st.Conditions) != 0 {
		t.Errorf("status %+v, want no conditions", st)
	}
}

// TestManualJobIsTracked: a Job started by hand (cronjobs/trigger) counts
// as active without an UnexpectedJob warning, and blocks Forbid.
func TestManualJobIsTracked(t *testing.T) {
	cj := lastScheduled(newCronJob("0 * * * *"), now.Add(-time.Hour))
	cj.Spec.ConcurrencyPolicy = v1alpha1.ForbidConcurrent
	manual := newJobOf(cj, now.Add(-10*time.Minute))
	manual.Name = "backup-manual-x7k2p"
	manual.UID = "manual-uid"
	delete(manual.Annotations, ScheduledTimestampAnnotation)
	manual.Annotations[v1alpha1.CronJobManualInstantiateAnnotation] = "manual"
	f := newFixture(t, now.Add(time.Second), []*v1alpha1.CronJob{cj}, []*v1alpha1.Job{manual})
	f.mustSync(cj)
	if f.countEvents(reasonUnexpectedJob) != 0 || f.countEvents(reasonManualJob) != 1 {
		t.Errorf("events %v, want ManualJob and no UnexpectedJob", f.events)
	}
	if len(f.createdJobs()) != 0 {
		t.Errorf("created %v while the manual job is active with Forbid", f.createdJobs()[0].Name)
	}
	st := f.status()
	if st == nil || strings.Join(refNames(st.Active), ",") != manual.Name {
		t.Fatalf("status %+v, want the manual job active", st)
	}
	if !st.LastScheduleTime.Time.Equal(now.Add(-time.Hour)) {
		t.Errorf("lastScheduleTime %v moved for a manual job", st.LastScheduleTime)
	}
	cond := meta.FindStatusCondition(st.Conditions, v1alpha1.CronJobConditionRunsBlocked)
	if cond == nil || !strings.Contains(cond.Message, manual.Name) || !strings.Contains(cond.Message, ": 1 scheduled run(s)") {
		t.Errorf("condition %+v, want RunsBlocked naming %s with 1 skipped run", cond, manual.Name)
	}
}
