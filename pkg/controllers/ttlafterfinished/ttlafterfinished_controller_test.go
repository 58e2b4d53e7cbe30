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

package ttlafterfinished

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned/fake"
	informers "github.com/kube-experimental/workloads-apiserver/pkg/generated/informers/externalversions"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type fixture struct {
	t        *testing.T
	ctx      context.Context
	client   *fake.Clientset
	clock    *clocktesting.FakeClock
	c        *Controller
	store    cache.Indexer
	requeued map[string]time.Duration
}

// newFixture seeds the cache with cached and the API (fake clientset) with
// fresh (the same Jobs unless a test makes them differ).
func newFixture(t *testing.T, cached []*v1alpha1.Job, fresh []*v1alpha1.Job) *fixture {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	var objs []runtime.Object
	for _, j := range fresh {
		objs = append(objs, j)
	}
	f := &fixture{t: t, ctx: ctx, client: fake.NewSimpleClientset(objs...), clock: clocktesting.NewFakeClock(now), requeued: map[string]time.Duration{}}
	factory := informers.NewSharedInformerFactory(f.client, 0)
	c, err := NewController(ctx, factory.Experimental().V1alpha1().Jobs(), f.client, record.NewFakeRecorder(10), f.clock)
	if err != nil {
		t.Fatal(err)
	}
	c.enqueueAfter = func(key string, d time.Duration) { f.requeued[key] = d }
	f.c = c
	f.store = factory.Experimental().V1alpha1().Jobs().Informer().GetIndexer()
	for _, j := range cached {
		if err := f.store.Add(j); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *fixture) deletes() []clienttesting.DeleteActionImpl {
	var out []clienttesting.DeleteActionImpl
	for _, a := range f.client.Actions() {
		if d, ok := a.(clienttesting.DeleteActionImpl); ok {
			out = append(out, d)
		}
	}
	return out
}

func finishedJob(name string, ttl *int32, finishedAt time.Time, condType v1alpha1.JobConditionType) *v1alpha1.Job {
	return &v1alpha1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name), ResourceVersion: "7"},
		Spec:       v1alpha1.JobSpec{TTLSecondsAfterFinished: ttl},
		Status: v1alpha1.JobStatus{Conditions: []v1alpha1.JobCondition{
			{Type: condType, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(finishedAt)},
		}},
	}
}

func TestNotExpiredRequeuesAtExpiry(t *testing.T) {
	j := finishedJob("j", ptr.To[int32](100), now.Add(-30*time.Second), v1alpha1.JobComplete)
	f := newFixture(t, []*v1alpha1.Job{j}, []*v1alpha1.Job{j})
	if err := f.c.sync(f.ctx, "default/j"); err != nil {
		t.Fatal(err)
	}
	if len(f.deletes()) != 0 {
		t.Fatal("deleted a Job before its TTL expired")
	}
	if d := f.requeued["default/j"]; d != 70*time.Second {
		t.Fatalf("requeued after %v, want 70s", d)
	}
}

func TestExpiredDeletesWithPreconditionsAndBackgroundPropagation(t *testing.T) {
	for _, ct := range []v1alpha1.JobConditionType{v1alpha1.JobComplete, v1alpha1.JobFailed} {
		t.Run(string(ct), func(t *testing.T) {
			j := finishedJob("j", ptr.To[int32](10), now.Add(-10*time.Second), ct)
			f := newFixture(t, []*v1alpha1.Job{j}, []*v1alpha1.Job{j})
			if err := f.c.sync(f.ctx, "default/j"); err != nil {
				t.Fatal(err)
			}
			dels := f.deletes()
			if len(dels) != 1 {
				t.Fatalf("%d deletes, want 1", len(dels))
			}
			opts := dels[0].DeleteOptions
			if ptr.Deref(opts.PropagationPolicy, "") != metav1.DeletePropagationBackground {
				t.Errorf("propagation = %v, want Background", opts.PropagationPolicy)
			}
			if opts.Preconditions == nil || ptr.Deref(opts.Preconditions.UID, "") != j.UID || ptr.Deref(opts.Preconditions.ResourceVersion, "") != "7" {
				t.Errorf("preconditions = %+v, want the fresh UID and resourceVersion", opts.Preconditions)
			}
			if _, err := f.client.ExperimentalV1alpha1().Jobs("default").Get(f.ctx, "j", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("Job still there: %v", err)
			}
		})
	}
}

func TestFreshTTLWins(t *testing.T) {
	// The cache says expired, but the TTL was raised meanwhile.
	cached := finishedJob("j", ptr.To[int32](0), now.Add(-10*time.Second), v1alpha1.JobComplete)
	fresh := cached.DeepCopy()
	fresh.Spec.TTLSecondsAfterFinished = ptr.To[int32](60)
	fresh.ResourceVersion = "8"
	f := newFixture(t, []*v1alpha1.Job{cached}, []*v1alpha1.Job{fresh})
	if err := f.c.sync(f.ctx, "default/j"); err != nil {
		t.Fatal(err)
	}
	if len(f.deletes()) != 0 {
		t.Fatal("deleted although the fresh TTL has not expired")
	}
	if d := f.requeued["default/j"]; d != 50*time.Second {
		t.Fatalf("requeued after %v, want 50s from the fresh TTL", d)
	}
	var gets int
	for _, a := range f.client.Actions() {
		if a.GetVerb() == "get" && a.GetResource() == (schema.GroupVersionResource{Group: "experimental", Version: "v1alpha1", Resource: "jobs"}) {
			gets++
		}
	}
	if gets != 1 {
		t.Errorf("%d fresh GETs, want 1", gets)
	}
}

func TestIgnoresUnfinishedAndTTLLessJobs(t *testing.T) {
	running := &v1alpha1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "running", Namespace: "default"},
		Spec:       v1alpha1.JobSpec{TTLSecondsAfterFinished: ptr.To[int32](0)},
		Status: v1alpha1.JobStatus{Conditions: []v1alpha1.JobCondition{
			{Type: v1alpha1.JobFailureTarget, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-time.Hour))},
		}},
	}
	noTTL := finishedJob("nottl", nil, now.Add(-time.Hour), v1alpha1.JobComplete)
	deleting := finishedJob("deleting", ptr.To[int32](0), now.Add(-time.Hour), v1alpha1.JobComplete)
	deleting.DeletionTimestamp = ptr.To(metav1.NewTime(now))
	jobs := []*v1alpha1.Job{running, noTTL, deleting}
	f := newFixture(t, jobs, jobs)
	for _, j := range jobs {
		f.c.maybeEnqueue(klog.FromContext(f.ctx), j)
		if err := f.c.sync(f.ctx, "default/"+j.Name); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.c.queue.Len(); n != 0 {
		t.Errorf("%d Jobs queued, want none", n)
	}
	if len(f.deletes()) != 0 || len(f.requeued) != 0 {
		t.Errorf("deletes %v requeues %v, want none", f.deletes(), f.requeued)
	}
	// A finished Job with a TTL is queued by its event.
	f.c.maybeEnqueue(klog.FromContext(f.ctx), finishedJob("done", ptr.To[int32](5), now, v1alpha1.JobComplete))
	if n := f.c.queue.Len(); n != 1 {
		t.Errorf("%d Jobs queued for a finished Job with a TTL, want 1", n)
	}
}
