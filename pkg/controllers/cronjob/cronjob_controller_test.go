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
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/component-base/metrics/legacyregistry"
	"k8s.io/component-base/metrics/testutil"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/internal/controllertest"
	"github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned/fake"
	informers "github.com/kube-experimental/workloads-apiserver/pkg/generated/informers/externalversions"
)

type fixture struct {
	t        *testing.T
	ctx      context.Context
	client   *fake.Clientset
	clock    *clocktesting.FakeClock
	recorder *record.FakeRecorder
	c        *Controller
	cjStore  cache.Indexer
	jobStore cache.Indexer
	requeued map[string]time.Duration
	// added holds the keys a sync queued again at once; followUps counts
	// the syncs that ran for them.
	added     []string
	followUps int
	events    []string
}

// newFixture builds a controller whose informers are never started: tests
// feed their indexers directly. The objects also seed the fake clientset,
// which the controller writes to.
func newFixture(t *testing.T, now time.Time, cjs []*v1alpha1.CronJob, jobs []*v1alpha1.Job) *fixture {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	var objs []runtime.Object
	for _, cj := range cjs {
		objs = append(objs, cj)
	}
	for _, j := range jobs {
		objs = append(objs, j)
	}
	f := &fixture{
		t:        t,
		ctx:      ctx,
		client:   fake.NewSimpleClientset(objs...),
		clock:    clocktesting.NewFakeClock(now),
		recorder: record.NewFakeRecorder(100),
		requeued: map[string]time.Duration{},
	}
	// The fake clientset sets no UIDs.
	controllertest.OnCreate(f.client, "jobs", controllertest.Fill{UID: true})
	factory := informers.NewSharedInformerFactory(f.client, 0)
	c, err := NewController(ctx, factory.Experimental().V1alpha1().CronJobs(), factory.Experimental().V1alpha1().Jobs(),
		f.client, f.recorder, f.clock)
	if err != nil {
		t.Fatal(err)
	}
	c.cronJobSynced = func() bool { return true }
	c.jobSynced = func() bool { return true }
	c.enqueueAfter = func(key string, d time.Duration) { f.requeued[key] = d }
	c.enqueue = func(key string) { f.added = append(f.added, key) }
	f.c = c
	f.cjStore = factory.Experimental().V1alpha1().CronJobs().Informer().GetIndexer()
	f.jobStore = factory.Experimental().V1alpha1().Jobs().Informer().GetIndexer()
	for _, cj := range cjs {
		f.add(f.cjStore, cj)
	}
	for _, j := range jobs {
		f.add(f.jobStore, j)
	}
	return f
}

func (f *fixture) add(store cache.Indexer, obj any) {
	f.t.Helper()
	if err := store.Add(obj); err != nil {
		f.t.Fatal(err)
	}
}

// sync runs a sync of the CronJob, and the syncs it queues at once as the
// worker would, and collects what they did.
func (f *fixture) sync(cj *v1alpha1.CronJob) error {
	f.t.Helper()
	f.client.ClearActions()
	f.requeued = map[string]time.Duration{}
	f.events = nil
	f.added = nil
	f.followUps = 0
	err := f.c.sync(f.ctx, key(cj))
	for err == nil && len(f.added) > 0 {
		if f.followUps == 3 {
			f.t.Fatalf("sync queued %s again %d times in a row", key(cj), f.followUps)
		}
		f.added = nil
		f.followUps++
		err = f.c.sync(f.ctx, key(cj))
	}
	for {
		select {
		case e := <-f.recorder.Events:
			f.events = append(f.events, e)
			continue
		default:
		}
		break
	}
	return err
}

func (f *fixture) mustSync(cj *v1alpha1.CronJob) {
	f.t.Helper()
	if err := f.sync(cj); err != nil {
		f.t.Fatalf("sync: %v", err)
	}
}

// countEvents counts the recorded events with reason.
func (f *fixture) countEvents(reason string) int {
	n := 0
	for _, e := range f.events {
		if strings.Contains(e, " "+reason+" ") {
			n++
		}
	}
	return n
}

func (f *fixture) createdJobs() []*v1alpha1.Job {
	return controllertest.Created[*v1alpha1.Job]("jobs", f.client.Actions())
}

func (f *fixture) deletedJobs() []clienttesting.DeleteActionImpl {
	var out []clienttesting.DeleteActionImpl
	for _, a := range f.client.Actions() {
		if d, ok := a.(clienttesting.DeleteActionImpl); ok && a.GetResource().Resource == "jobs" {
			out = append(out, d)
		}
	}
	return out
}

// status returns the last status written, or nil.
func (f *fixture) status() *v1alpha1.CronJobStatus {
	updates := controllertest.StatusUpdates[*v1alpha1.CronJob](f.client.Actions())
	if len(updates) == 0 {
		return nil
	}
	return &updates[len(updates)-1].Status
}

// storedJobs lists the Jobs in the fake API.
func (f *fixture) storedJobs() []v1alpha1.Job {
	f.t.Helper()
	list, err := f.client.ExperimentalV1alpha1().Jobs("default").List(f.ctx, metav1.ListOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return list.Items
}

var (
	// now is a Sunday noon; schedules below fire on it.
	now     = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	created = now.Add(-24 * time.Hour)
)

func newCronJob(schedule string) *v1alpha1.CronJob {
	return &v1alpha1.CronJob{
		ObjectMeta: metav1.ObjectMeta{
			Name: "backup", Namespace: "default", UID: "backup-uid",
			CreationTimestamp: metav1.NewTime(created),
		},
		Spec: v1alpha1.CronJobSpec{
			Schedule:                   schedule,
			ConcurrencyPolicy:          v1alpha1.AllowConcurrent,
			Suspend:                    ptr.To(false),
			SuccessfulJobsHistoryLimit: ptr.To[int32](3),
			FailedJobsHistoryLimit:     ptr.To[int32](1),
			JobTemplate: v1alpha1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels:      map[string]string{"app": "backup"},
					Annotations: map[string]string{"team": "storage"},
				},
				Spec: v1alpha1.JobSpec{
					BackoffLimit: ptr.To[int32](2),
					Template: corev1.PodTemplateSpec{
						Spec: corev1.PodSpec{
							RestartPolicy: corev1.RestartPolicyNever,
							Containers:    []corev1.Container{{Name: "c", Image: "busybox"}},
						},
					},
				},
			},
		},
	}
}

func lastScheduled(cj *v1alpha1.CronJob, t time.Time) *v1alpha1.CronJob {
	cj.Status.LastScheduleTime = &metav1.Time{Time: t}
	return cj
}

type jobOpt func(*v1alpha1.Job)

// newJobOf returns a Job of cj scheduled at t, as the controller creates
// them.
func newJobOf(cj *v1alpha1.CronJob, t time.Time, opts ...jobOpt) *v1alpha1.Job {
	j := newJob(cj, t, time.UTC)
	j.UID = types.UID(j.Name + "-uid")
	j.CreationTimestamp = metav1.NewTime(t)
	j.Status.StartTime = &metav1.Time{Time: t}
	for _, o := range opts {
		o(j)
	}
	return j
}

func finished(cond v1alpha1.JobConditionType, at time.Time) jobOpt {
	return func(j *v1alpha1.Job) {
		j.Status.Conditions = append(j.Status.Conditions, v1alpha1.JobCondition{Type: cond, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(at)})
		if cond == v1alpha1.JobComplete {
			j.Status.CompletionTime = &metav1.Time{Time: at}
		}
	}
}

func activeRefs(jobs ...*v1alpha1.Job) []corev1.ObjectReference {
	var out []corev1.ObjectReference
	for _, j := range jobs {
		out = append(out, jobRef(j))
	}
	return out
}

func refNames(refs []corev1.ObjectReference) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.Name)
	}
	return out
}

func key(cj *v1alpha1.CronJob) string { return cj.Namespace + "/" + cj.Name }

func TestCreatesJobAtScheduleTime(t *testing.T) {
	cj := newCronJob("*/5 * * * *")
	cj.Spec.TimeZone = ptr.To("America/New_York")
	f := newFixture(t, now, []*v1alpha1.CronJob{lastScheduled(cj, now.Add(-5*time.Minute))}, nil)
	f.mustSync(cj)

	created := f.createdJobs()
	if len(created) != 1 {
		t.Fatalf("created %d jobs, want 1", len(created))
	}
	job := created[0]
	if want := fmt.Sprintf("backup-%d", now.Unix()/60); job.Name != want {
		t.Errorf("job name %q, want %q", job.Name, want)
	}
	// 12:00 UTC is 07:00 in New York (EST).
	if got := job.Annotations[ScheduledTimestampAnnotation]; got != "2026-03-01T07:00:00-05:00" {
		t.Errorf("scheduled-timestamp annotation %q, want 2026-03-01T07:00:00-05:00", got)
	}
	if job.Annotations["team"] != "storage" || job.Labels["app"] != "backup" {
		t.Errorf("template labels/annotations not copied: labels %v annotations %v", job.Labels, job.Annotations)
	}
	ref := metav1.GetControllerOf(job)
	if ref == nil || ref.UID != cj.UID || ref.Kind != "CronJob" || ref.APIVersion != "experimental/v1alpha1" || !ptr.Deref(ref.BlockOwnerDeletion, false) {
		t.Errorf("controller reference %+v, want the CronJob", ref)
	}
	if ptr.Deref(job.Spec.BackoffLimit, 0) != 2 || job.Spec.Template.Spec.Containers[0].Image != "busybox" {
		t.Errorf("job spec not copied from the template: %+v", job.Spec)
	}
	if cj.Spec.JobTemplate.Annotations[ScheduledTimestampAnnotation] != "" {
		t.Error("the CronJob's template was modified")
	}
	st := f.status()
	if st == nil || !st.LastScheduleTime.Time.Equal(now) || len(st.Active) != 1 || st.Active[0].Name != job.Name ||
		st.Active[0].UID != types.UID(job.Name+"-uid") || st.Active[0].Kind != "Job" || st.Active[0].APIVersion != "experimental/v1alpha1" {
		t.Fatalf("status %+v, want the new job active and lastScheduleTime %s", st, now)
	}
	if f.countEvents(reasonSuccessfulCreate) != 1 {
		t.Errorf("events %v, want one SuccessfulCreate", f.events)
	}
	if d := f.requeued[key(cj)]; d != 5*time.Minute {
		t.Errorf("requeued after %v, want 5m (the next schedule time)", d)
	}
}

func TestRequeueAtNextScheduleTime(t *testing.T) {
	for _, tc := range []struct {
		schedule string
		tz       *string
		at       time.Time
		want     time.Duration
	}{
		{"* * * * *", nil, now.Add(30*time.Second + 250*time.Millisecond), 29*time.Second + 750*time.Millisecond},
		{"0 13 * * *", nil, now.Add(time.Second), time.Hour - time.Second},
		// 13:00 in Berlin is 12:00 UTC: the next run is tomorrow.
		{"0 13 * * *", ptr.To("Europe/Berlin"), now.Add(time.Second), 24*time.Hour - time.Second},
		// Anchored at the last schedule time (12:00).
		{"@every 45m", nil, now.Add(10 * time.Minute), 35 * time.Minute},
	} {
		t.Run(tc.schedule, func(t *testing.T) {
			cj := newCronJob(tc.schedule)
			cj.Spec.TimeZone = tc.tz
			f := newFixture(t, tc.at, []*v1alpha1.CronJob{lastScheduled(cj, now)}, nil)
			f.mustSync(cj)
			if len(f.createdJobs()) != 0 {
				t.Errorf("created a job between schedule times")
			}
			if d, ok := f.requeued[key(cj)]; !ok || d != tc.want {
				t.Errorf("requeued after %v (queued=%v), want %v", d, ok, tc.want)
			}
		})
	}
}

func TestOneRunAfterLongDowntime(t *testing.T) {
	cj := lastScheduled(newCronJob("* * * * *"), now.AddDate(-1, 0, 0))
	f := newFixture(t, now.Add(42*time.Second), []*v1alpha1.CronJob{cj}, nil)
	f.mustSync(cj)
	created := f.createdJobs()
	if len(created) != 1 {
		t.Fatalf("created %d jobs after a year down, want exactly 1", len(created))
	}
	if want := jobName(cj, now); created[0].Name != want {
		t.Errorf("created %s, want %s (the most recent missed time)", created[0].Name, want)
	}
	if st := f.status(); st == nil || !st.LastScheduleTime.Time.Equal(now) {
		t.Errorf("status %+v, want lastScheduleTime %s", st, now)
	}
	if f.requeued[key(cj)] != 18*time.Second {
		t.Errorf("requeued after %v, want 18s", f.requeued[key(cj)])
	}
}

func TestStartingDeadlineSeconds(t *testing.T) {
	t.Run("too late: skipped with one event", func(t *testing.T) {
		cj := lastScheduled(newCronJob("0 * * * *"), now.Add(-time.Hour))
		cj.Spec.StartingDeadlineSeconds = ptr.To[int64](60)
		f := newFixture(t, now.Add(5*time.Minute), []*v1alpha1.CronJob{cj}, nil)
		f.mustSync(cj)
		if len(f.createdJobs()) != 0 {
			t.Fatal("created a job 5 minutes after its time with a 60s deadline")
		}
		if f.countEvents(reasonMissSchedule) != 1 {
			t.Errorf("events %v, want one MissSchedule", f.events)
		}
		if f.status() != nil {
			t.Errorf("status written for a missed run: %+v", f.status())
		}
		if f.requeued[key(cj)] != 55*time.Minute {
			t.Errorf("requeued after %v, want 55m", f.requeued[key(cj)])
		}
		f.mustSync(cj)
		if f.countEvents(reasonMissSchedule) != 0 {
			t.Errorf("the same miss was reported again: %v", f.events)
		}
		// At the next time the job runs.
		f.clock.SetTime(now.Add(time.Hour + 2*time.Second))
		f.mustSync(cj)
		if c := f.createdJobs(); len(c) != 1 || c[0].Name != jobName(cj, now.Add(time.Hour)) {
			t.Errorf("at the next schedule time created %v, want the 13:00 job", c)
		}
	})
	t.Run("within the deadline: runs", func(t *testing.T) {
		cj := lastScheduled(newCronJob("0 * * * *"), now.Add(-time.Hour))
		cj.Spec.StartingDeadlineSeconds = ptr.To[int64](600)
		f := newFixture(t, now.Add(5*time.Minute), []*v1alpha1.CronJob{cj}, nil)
		f.mustSync(cj)
		if c := f.createdJobs(); len(c) != 1 || c[0].Name != jobName(cj, now) {
			t.Errorf("created %v, want the 12:00 job", c)
		}
	})
}

func TestConcurrencyPolicy(t *testing.T) {
	prev := now.Add(-time.Minute)
	setup := func(t *testing.T, policy v1alpha1.ConcurrencyPolicy) (*fixture, *v1alpha1.CronJob, *v1alpha1.Job) {
		cj := lastScheduled(newCronJob("* * * * *"), prev)
		cj.Spec.ConcurrencyPolicy = policy
		running := newJobOf(cj, prev)
		cj.Status.Active = activeRefs(running)
		return newFixture(t, now.Add(time.Second), []*v1alpha1.CronJob{cj}, []*v1alpha1.Job{running}), cj, running
	}
	t.Run("Forbid skips while a job is active", func(t *testing.T) {
		f, cj, running := setup(t, v1alpha1.ForbidConcurrent)
		f.mustSync(cj)
		if len(f.createdJobs()) != 0 {
			t.Fatal("created a job while one is active with Forbid")
		}
		if f.countEvents(reasonJobAlreadyActive) != 1 {
			t.Errorf("events %v, want one JobAlreadyActive", f.events)
		}
		if f.requeued[key(cj)] != time.Minute-time.Second {
			t.Errorf("requeued after %v, want 59s", f.requeued[key(cj)])
		}
		f.mustSync(cj)
		if f.countEvents(reasonJobAlreadyActive) != 0 {
			t.Errorf("the same skipped time was reported again: %v", f.events)
		}
		// Once the active job finished, the skipped time runs (within no
		// deadline), as upstream.
		done := running.DeepCopy()
		finished(v1alpha1.JobComplete, now.Add(2*time.Second))(done)
		f.add(f.jobStore, done)
		f.clock.SetTime(now.Add(3 * time.Second))
		f.mustSync(cj)
		if c := f.createdJobs(); len(c) != 1 || c[0].Name != jobName(cj, now) {
			t.Errorf("after the active job finished created %v, want the 12:00 job", c)
		}
	})
	t.Run("Replace deletes the active job, then creates", func(t *testing.T) {
		f, cj, running := setup(t, v1alpha1.ReplaceConcurrent)
		f.mustSync(cj)
		var verbs []string
		for _, a := range f.client.Actions() {
			if a.GetResource().Resource == "jobs" && (a.GetVerb() == "delete" || a.GetVerb() == "create") {
				verbs = append(verbs, a.GetVerb())
			}
		}
		if strings.Join(verbs, ",") != "delete,create" {
			t.Fatalf("job actions %v, want delete then create", verbs)
		}
		del := f.deletedJobs()[0]
		if del.Name != running.Name || del.DeleteOptions.PropagationPolicy == nil || *del.DeleteOptions.PropagationPolicy != metav1.DeletePropagationBackground {
			t.Errorf("deleted %s with %+v, want %s with background propagation", del.Name, del.DeleteOptions, running.Name)
		}
		st := f.status()
		if st == nil || strings.Join(refNames(st.Active), ",") != jobName(cj, now) {
			t.Errorf("status %+v, want only the new job active", st)
		}
		if f.countEvents(reasonSuccessfulDelete) != 1 || f.countEvents(reasonSuccessfulCreate) != 1 {
			t.Errorf("events %v, want SuccessfulDelete and SuccessfulCreate", f.events)
		}
	})
	t.Run("Allow creates alongside", func(t *testing.T) {
		f, cj, running := setup(t, v1alpha1.AllowConcurrent)
		f.mustSync(cj)
		if len(f.createdJobs()) != 1 || len(f.deletedJobs()) != 0 {
			t.Fatalf("created %d and deleted %d jobs, want 1 and 0", len(f.createdJobs()), len(f.deletedJobs()))
		}
		st := f.status()
		if st == nil || strings.Join(refNames(st.Active), ",") != running.Name+","+jobName(cj, now) {
			t.Errorf("status %+v, want both jobs active", st)
		}
	})
}

func TestSuspend(t *testing.T) {
	t.Run("suspended: nothing runs, no requeue", func(t *testing.T) {
		cj := lastScheduled(newCronJob("* * * * *"), now.Add(-10*time.Minute))
		cj.Spec.Suspend = ptr.To(true)
		f := newFixture(t, now.Add(time.Second), []*v1alpha1.CronJob{cj}, nil)
		f.mustSync(cj)
		if len(f.createdJobs()) != 0 || len(f.requeued) != 0 {
			t.Errorf("suspended CronJob: created %d jobs, requeued %v", len(f.createdJobs()), f.requeued)
		}
	})
	t.Run("time spent suspended is not missed", func(t *testing.T) {
		suspended := lastScheduled(newCronJob("*/10 * * * *"), now.Add(-time.Hour))
		suspended.Spec.Suspend = ptr.To(true)
		f := newFixture(t, now.Add(5*time.Minute), []*v1alpha1.CronJob{suspended}, nil)
		f.mustSync(suspended)

		// Resumed at 12:05: 11:10 ... 12:00 passed while suspended.
		resumed := suspended.DeepCopy()
		resumed.Spec.Suspend = ptr.To(false)
		resumed.ResourceVersion = "2"
		f.c.updateCronJob(klogFor(f), suspended, resumed)
		f.add(f.cjStore, resumed)
		f.mustSync(resumed)
		if len(f.createdJobs()) != 0 {
			t.Fatalf("created %v right after resume, want nothing for times that passed while suspended", f.createdJobs())
		}
		if f.requeued[key(resumed)] != 5*time.Minute {
			t.Errorf("requeued after %v, want 5m (12:10)", f.requeued[key(resumed)])
		}
		f.clock.SetTime(now.Add(10 * time.Minute))
		f.mustSync(resumed)
		if c := f.createdJobs(); len(c) != 1 || c[0].Name != jobName(resumed, now.Add(10*time.Minute)) {
			t.Errorf("at 12:10 created %v, want the 12:10 job", c)
		}
	})
	t.Run("resume the controller did not see: one catch-up run", func(t *testing.T) {
		cj := lastScheduled(newCronJob("*/10 * * * *"), now.Add(-time.Hour))
		f := newFixture(t, now.Add(5*time.Minute), []*v1alpha1.CronJob{cj}, nil)
		f.mustSync(cj)
		if c := f.createdJobs(); len(c) != 1 || c[0].Name != jobName(cj, now) {
			t.Errorf("created %v, want one run for 12:00", c)
		}
	})
}

func TestScheduleChangeRestartsWindow(t *testing.T) {
	old := lastScheduled(newCronJob("0 0 * * *"), now.Add(-12*time.Hour))
	f := newFixture(t, now.Add(30*time.Minute), []*v1alpha1.CronJob{old}, nil)
	cur := old.DeepCopy()
	cur.Spec.Schedule = "0 * * * *"
	f.c.updateCronJob(klogFor(f), old, cur)
	f.add(f.cjStore, cur)
	f.mustSync(cur)
	if len(f.createdJobs()) != 0 {
		t.Errorf("created %v: hourly times before the schedule changed are not missed runs", f.createdJobs())
	}
	if f.requeued[key(cur)] != 30*time.Minute {
		t.Errorf("requeued after %v, want 30m", f.requeued[key(cur)])
	}
}

func TestDeterministicNameAndAlreadyExists(t *testing.T) {
	t.Run("restart after create, before status: no duplicate", func(t *testing.T) {
		cj := lastScheduled(newCronJob("* * * * *"), now.Add(-time.Minute))
		f := newFixture(t, now.Add(time.Second), []*v1alpha1.CronJob{cj}, nil)
		f.mustSync(cj)
		if len(f.createdJobs()) != 1 {
			t.Fatalf("first controller created %d jobs", len(f.createdJobs()))
		}
		// A new controller starts with the same (stale) CronJob and a cache
		// that has not seen the job yet; the fake API holds the job.
		g := newFixture(t, now.Add(2*time.Second), []*v1alpha1.CronJob{cj}, nil)
		g.client = f.client
		g.c.client = f.client
		g.mustSync(cj)
		if n := len(g.storedJobs()); n != 1 {
			t.Fatalf("%d jobs exist after the restart, want 1", n)
		}
		if g.countEvents(reasonSuccessfulCreate) != 0 {
			t.Errorf("events %v: the existing job must not count as a creation", g.events)
		}
		st := g.status()
		if st == nil || strings.Join(refNames(st.Active), ",") != jobName(cj, now) || !st.LastScheduleTime.Time.Equal(now) {
			t.Errorf("status %+v, want the existing job adopted as active", st)
		}
	})
	t.Run("restart with the job in the cache: caught up from its annotation", func(t *testing.T) {
		cj := lastScheduled(newCronJob("* * * * *"), now.Add(-time.Minute))
		job := newJobOf(cj, now)
		f := newFixture(t, now.Add(time.Second), []*v1alpha1.CronJob{cj}, []*v1alpha1.Job{job})
		f.mustSync(cj)
		if len(f.createdJobs()) != 0 {
			t.Errorf("created %v; the job for 12:00 exists", f.createdJobs())
		}
		st := f.status()
		if st == nil || !st.LastScheduleTime.Time.Equal(now) || strings.Join(refNames(st.Active), ",") != job.Name {
			t.Errorf("status %+v, want lastScheduleTime 12:00 and the job active", st)
		}
		if f.countEvents(reasonUnexpectedJob) != 0 {
			t.Errorf("events %v: a job this controller created is not unexpected", f.events)
		}
	})
	t.Run("a running job someone else created for this CronJob", func(t *testing.T) {
		cj := lastScheduled(newCronJob("0 * * * *"), now)
		manual := newJobOf(cj, now)
		manual.Name = "backup-manual"
		delete(manual.Annotations, ScheduledTimestampAnnotation)
		f := newFixture(t, now.Add(time.Second), []*v1alpha1.CronJob{cj}, []*v1alpha1.Job{manual})
		f.mustSync(cj)
		if f.countEvents(reasonUnexpectedJob) != 1 {
			t.Errorf("events %v, want one UnexpectedJob", f.events)
		}
		if st := f.status(); st == nil || strings.Join(refNames(st.Active), ",") != manual.Name {
			t.Errorf("status %+v, want the job tracked as active", st)
		}
	})
	t.Run("a job of that name that is not ours", func(t *testing.T) {
		cj := lastScheduled(newCronJob("* * * * *"), now.Add(-time.Minute))
		foreign := &v1alpha1.Job{ObjectMeta: metav1.ObjectMeta{Name: jobName(cj, now), Namespace: "default", UID: "foreign"}}
		f := newFixture(t, now.Add(time.Second), []*v1alpha1.CronJob{cj}, nil)
		if _, err := f.client.ExperimentalV1alpha1().Jobs("default").Create(f.ctx, foreign, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		f.mustSync(cj)
		if f.countEvents(reasonFailedCreate) != 1 {
			t.Errorf("events %v, want one FailedCreate", f.events)
		}
		if st := f.status(); st != nil {
			t.Errorf("status written %+v; the foreign job must not be tracked", st)
		}
	})
}

func TestHistoryLimits(t *testing.T) {
	cj := lastScheduled(newCronJob("0 * * * *"), now)
	cj.Spec.SuccessfulJobsHistoryLimit = ptr.To[int32](1)
	cj.Spec.FailedJobsHistoryLimit = ptr.To[int32](1)
	var jobs []*v1alpha1.Job
	for i := 5; i >= 1; i-- {
		at := now.Add(-time.Duration(i) * time.Hour)
		cond := v1alpha1.JobComplete
		if i == 2 || i == 4 {
			cond = v1alpha1.JobFailed
		}
		jobs = append(jobs, newJobOf(cj, at, finished(cond, at.Add(time.Minute))))
	}
	running := newJobOf(cj, now)
	cj.Status.Active = activeRefs(running)
	jobs = append(jobs, running)
	f := newFixture(t, now.Add(time.Second), []*v1alpha1.CronJob{cj}, jobs)
	f.mustSync(cj)

	var deleted []string
	for _, d := range f.deletedJobs() {
		deleted = append(deleted, d.Name)
		if d.DeleteOptions.PropagationPolicy == nil || *d.DeleteOptions.PropagationPolicy != metav1.DeletePropagationBackground {
			t.Errorf("deleted %s without background propagation", d.Name)
		}
	}
	// Succeeded: 5h, 3h, 1h ago -> keep 1h. Failed: 4h, 2h ago -> keep 2h.
	want := []string{jobName(cj, now.Add(-5*time.Hour)), jobName(cj, now.Add(-3*time.Hour)), jobName(cj, now.Add(-4*time.Hour))}
	if strings.Join(deleted, ",") != strings.Join(want, ",") {
		t.Errorf("deleted %v, want %v", deleted, want)
	}
	if f.countEvents(reasonSuccessfulDelete) != 3 {
		t.Errorf("events %v, want three SuccessfulDelete", f.events)
	}
	if st := f.status(); st == nil || !st.LastSuccessfulTime.Time.Equal(now.Add(-time.Hour+time.Minute)) {
		t.Errorf("status %+v, want lastSuccessfulTime 11:01", st)
	}
}

func TestStatusTracksJobs(t *testing.T) {
	cj := lastScheduled(newCronJob("0 * * * *"), now)
	done := newJobOf(cj, now.Add(-time.Hour), finished(v1alpha1.JobComplete, now.Add(-50*time.Minute)))
	failed := newJobOf(cj, now.Add(-2*time.Hour), finished(v1alpha1.JobFailed, now.Add(-90*time.Minute)))
	running := newJobOf(cj, now)
	gone := newJobOf(cj, now.Add(-3*time.Hour))
	cj.Status.Active = activeRefs(done, failed, running, gone)
	// gone is neither in the cache nor in the API.
	f := newFixture(t, now.Add(time.Second), []*v1alpha1.CronJob{cj}, []*v1alpha1.Job{done, failed, running})
	f.mustSync(cj)

	st := f.status()
	if st == nil {
		t.Fatal("no status written")
	}
	if strings.Join(refNames(st.Active), ",") != running.Name {
		t.Errorf("active %v, want only %s", refNames(st.Active), running.Name)
	}
	if !st.LastSuccessfulTime.Time.Equal(now.Add(-50 * time.Minute)) {
		t.Errorf("lastSuccessfulTime %v, want 11:10", st.LastSuccessfulTime)
	}
	if !st.LastScheduleTime.Time.Equal(now) {
		t.Errorf("lastScheduleTime %v, want 12:00", st.LastScheduleTime)
	}
	if f.countEvents(reasonSawCompletedJob) != 2 || f.countEvents(reasonMissingJob) != 1 {
		t.Errorf("events %v, want two SawCompletedJob and one MissingJob", f.events)
	}

	// Nothing changed: no second write.
	settled := cj.DeepCopy()
	settled.Status = *st
	f.add(f.cjStore, settled)
	f.mustSync(settled)
	if f.status() != nil {
		t.Errorf("status written again without a change: %+v", f.status())
	}
}

func TestStaleCacheIsReadAgainBeforeUnexpectedJob(t *testing.T) {
	// The cache still has the CronJob from before the status write that
	// listed the job; the API has the newer one.
	stale := lastScheduled(newCronJob("0 * * * *"), now.Add(-time.Hour))
	stale.ResourceVersion = "1"
	job := newJobOf(stale, now)
	fresh := lastScheduled(stale.DeepCopy(), now)
	fresh.ResourceVersion = "2"
	fresh.Status.Active = activeRefs(job)
	f := newFixture(t, now.Add(time.Second), []*v1alpha1.CronJob{fresh}, []*v1alpha1.Job{job})
	f.add(f.cjStore, stale)
	f.mustSync(stale)
	if f.countEvents(reasonUnexpectedJob) != 0 || len(f.createdJobs()) != 0 {
		t.Errorf("events %v, created %v: the fresh CronJob already tracks the job", f.events, f.createdJobs())
	}
	if f.status() != nil {
		t.Errorf("status written %+v, nothing changed", f.status())
	}
}

func TestUnusableScheduleIsReported(t *testing.T) {
	cj := newCronJob("0 * * * *")
	cj.Spec.TimeZone = ptr.To("Mars/Olympus_Mons")
	f := newFixture(t, now, []*v1alpha1.CronJob{cj}, nil)
	f.mustSync(cj)
	if f.countEvents(reasonFailedNeedsStart) != 1 || len(f.createdJobs()) != 0 || len(f.requeued) != 0 {
		t.Errorf("events %v, created %d, requeued %v: want one FailedNeedsStart and nothing else", f.events, len(f.createdJobs()), f.requeued)
	}
}

func TestCreateErrorIsRetriedAndStillRequeued(t *testing.T) {
	cj := lastScheduled(newCronJob("* * * * *"), now.Add(-time.Minute))
	f := newFixture(t, now.Add(time.Second), []*v1alpha1.CronJob{cj}, nil)
	f.client.PrependReactor("create", "jobs", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewServiceUnavailable("etcd is down")
	})
	if err := f.sync(cj); err == nil {
		t.Fatal("sync succeeded although the create failed")
	}
	if f.countEvents(reasonFailedCreate) != 1 {
		t.Errorf("events %v, want one FailedCreate", f.events)
	}
	if f.requeued[key(cj)] != time.Minute-time.Second {
		t.Errorf("requeued after %v, want 59s even though the sync failed", f.requeued[key(cj)])
	}
}

func TestJobEventsQueueTheirCronJob(t *testing.T) {
	cj := newCronJob("0 * * * *")
	f := newFixture(t, now, []*v1alpha1.CronJob{cj}, nil)
	job := newJobOf(cj, now)
	orphan := newJobOf(cj, now)
	orphan.OwnerReferences = nil
	orphan.Name = "orphan"
	f.c.enqueueOwner(klog.Background(), orphan)
	if f.c.queue.Len() != 0 {
		t.Fatalf("an orphan job queued %d keys", f.c.queue.Len())
	}
	updated := job.DeepCopy()
	updated.ResourceVersion = "2"
	f.c.updateJob(klog.Background(), job, updated)
	if f.c.queue.Len() != 1 {
		t.Fatalf("queue has %d keys after a job update, want 1", f.c.queue.Len())
	}
	if k, _ := f.c.queue.Get(); k != key(cj) {
		t.Errorf("queued %q, want %q", k, key(cj))
	}
}

func klogFor(f *fixture) klog.Logger { return klog.FromContext(f.ctx) }

func skewSamples(t *testing.T) (uint64, float64) {
	t.Helper()
	vec, err := testutil.GetHistogramVecFromGatherer(legacyregistry.DefaultGatherer, "workloads_cronjob_controller_job_creation_skew_seconds", nil)
	if err != nil {
		t.Fatalf("reading the skew histogram: %v", err)
	}
	return vec.GetAggregatedSampleCount(), vec.GetAggregatedSampleSum()
}

func TestScheduleLagMetric(t *testing.T) {
	cj := lastScheduled(newCronJob("* * * * *"), now.Add(-time.Minute))
	f := newFixture(t, now.Add(1500*time.Millisecond), []*v1alpha1.CronJob{cj}, nil)
	count, sum := skewSamples(t)
	f.mustSync(cj)
	count2, sum2 := skewSamples(t)
	if count2 != count+1 || sum2-sum != 1.5 {
		t.Errorf("histogram moved by %d samples summing to %v, want 1 sample of 1.5s", count2-count, sum2-sum)
	}
	// Finding the Job already there is not a creation.
	g := newFixture(t, now.Add(2*time.Second), []*v1alpha1.CronJob{cj}, nil)
	g.c.client = f.client
	g.client = f.client
	g.mustSync(cj)
	if count3, _ := skewSamples(t); count3 != count2 {
		t.Errorf("histogram moved by %d samples for an existing Job, want 0", count3-count2)
	}
}

func TestManyDueCronJobsCreateEveryJobBeforeAnyStatusWrite(t *testing.T) {
	var cjs []*v1alpha1.CronJob
	for _, name := range []string{"a", "b", "c"} {
		cj := lastScheduled(newCronJob("* * * * *"), now.Add(-time.Minute))
		cj.Name, cj.UID = name, types.UID(name+"-uid")
		cjs = append(cjs, cj)
	}
	f := newFixture(t, now.Add(time.Second), cjs, nil)
	// The worker's queue, as in production; the Job cache never sees the
	// created Jobs, so the follow-up syncs work from what the first
	// remembered.
	f.c.enqueue = f.c.queue.Add
	for _, cj := range cjs {
		f.c.queue.Add(key(cj))
	}
	for f.c.queue.Len() > 0 {
		k, _ := f.c.queue.Get()
		if err := f.c.sync(f.ctx, k); err != nil {
			t.Fatalf("sync %s: %v", k, err)
		}
		f.c.queue.Done(k)
	}

	var order []string
	statuses := map[string]v1alpha1.CronJobStatus{}
	for _, a := range f.client.Actions() {
		switch {
		case a.GetVerb() == "create" && a.GetResource().Resource == "jobs":
			order = append(order, "create "+a.(clienttesting.CreateAction).GetObject().(*v1alpha1.Job).Name)
		case a.GetVerb() == "update" && a.GetSubresource() == "status":
			cj := a.(clienttesting.UpdateAction).GetObject().(*v1alpha1.CronJob)
			order = append(order, "status "+cj.Name)
			statuses[cj.Name] = cj.Status
		case a.GetVerb() == "get":
			t.Errorf("unexpected read %s %s: the controller knows the Job it created", a.GetResource().Resource, a.(clienttesting.GetAction).GetName())
		}
	}
	minute := now.Unix() / 60
	want := []string{
		fmt.Sprintf("create a-%d", minute), fmt.Sprintf("create b-%d", minute), fmt.Sprintf("create c-%d", minute),
		"status a", "status b", "status c",
	}
	if strings.Join(order, ",") != strings.Join(want, ",") {
		t.Errorf("writes %v, want %v", order, want)
	}
	for _, cj := range cjs {
		st := statuses[cj.Name]
		if st.LastScheduleTime == nil || !st.LastScheduleTime.Time.Equal(now) || len(st.Active) != 1 ||
			st.Active[0].Name != fmt.Sprintf("%s-%d", cj.Name, minute) || st.Active[0].UID == "" {
			t.Errorf("status of %s %+v, want its Job active and lastScheduleTime %s", cj.Name, st, now)
		}
	}
	if len(f.c.unrecorded) != 0 {
		t.Errorf("%d Jobs still unrecorded after their status writes", len(f.c.unrecorded))
	}
}

func TestCreatedJobIsRecordedAfterAFailedStatusWrite(t *testing.T) {
	cj := lastScheduled(newCronJob("* * * * *"), now.Add(-time.Minute))
	f := newFixture(t, now.Add(time.Second), []*v1alpha1.CronJob{cj}, nil)
	failures := 0
	f.client.PrependReactor("update", "cronjobs", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() == "status" && failures == 0 {
			failures++
			return true, nil, apierrors.NewServiceUnavailable("etcd is down")
		}
		return false, nil, nil
	})
	if err := f.sync(cj); err == nil {
		t.Fatal("sync succeeded although its status write failed")
	}
	if len(f.createdJobs()) != 1 || f.followUps != 1 {
		t.Fatalf("created %d Jobs with %d follow-up syncs, want 1 and 1", len(f.createdJobs()), f.followUps)
	}
	// The rate-limited retry: the Job cache still lacks the Job.
	f.mustSync(cj)
	st := f.status()
	if len(f.createdJobs()) != 0 {
		t.Errorf("the retry created %d more Jobs", len(f.createdJobs()))
	}
	if st == nil || len(st.Active) != 1 || st.Active[0].Name != fmt.Sprintf("backup-%d", now.Unix()/60) || !st.LastScheduleTime.Time.Equal(now) {
		t.Errorf("status %+v, want the created Job active and lastScheduleTime %s", st, now)
	}
}

func TestReplacedJobIsNotLeftForTheNextSync(t *testing.T) {
	// Replace deletes the running Job: a status change besides the new Job,
	// so the status is written in the same sync, without the deleted Job.
	cj := lastScheduled(newCronJob("* * * * *"), now.Add(-time.Minute))
	cj.Spec.ConcurrencyPolicy = v1alpha1.ReplaceConcurrent
	old := newJobOf(cj, now.Add(-time.Minute))
	cj.Status.Active = activeRefs(old)
	f := newFixture(t, now.Add(time.Second), []*v1alpha1.CronJob{cj}, []*v1alpha1.Job{old})
	f.mustSync(cj)
	if f.followUps != 0 {
		t.Errorf("%d follow-up syncs, want the status written at once", f.followUps)
	}
	if st := f.status(); st == nil || len(st.Active) != 1 || st.Active[0].Name == old.Name {
		t.Errorf("status %+v, want only the new Job active", st)
	}
}
