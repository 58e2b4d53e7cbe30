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

package job

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	kubeinformers "k8s.io/client-go/informers"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/internal/controllertest"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/internal/controllerutil"
	"github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned/fake"
	informers "github.com/kube-experimental/workloads-apiserver/pkg/generated/informers/externalversions"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type fixture struct {
	t        testing.TB
	ctx      context.Context
	kube     *kubefake.Clientset
	client   *fake.Clientset
	clock    *clocktesting.FakeClock
	recorder *record.FakeRecorder
	c        *Controller
	jobStore cache.Indexer
	podStore cache.Indexer
	requeued map[string]time.Duration
	// paced keeps the controller's pacing of status tracking passes; by
	// default every sync of a test tracks status, as if a batch period
	// passed in between.
	paced bool

	mu  sync.Mutex
	log []string // writes of both clientsets, in order
}

// newFixture builds a controller whose informers are never started: tests
// feed the indexers directly; the objects also seed the fake clientsets.
func newFixture(t testing.TB, jobs []*v1alpha1.Job, pods []*corev1.Pod) *fixture {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	var kubeObjs, objs []runtime.Object
	for _, p := range pods {
		kubeObjs = append(kubeObjs, p)
	}
	for _, j := range jobs {
		objs = append(objs, j)
	}
	f := &fixture{
		t: t, ctx: ctx,
		kube:     kubefake.NewClientset(kubeObjs...),
		client:   fake.NewSimpleClientset(objs...),
		clock:    clocktesting.NewFakeClock(now),
		recorder: record.NewFakeRecorder(1000),
		requeued: map[string]time.Duration{},
	}
	// The fake clientset does not implement generateName.
	controllertest.OnCreate(f.kube, "pods", controllertest.Fill{GenerateName: true})
	record := func(a clienttesting.Action) (bool, runtime.Object, error) {
		if v := a.GetVerb(); v != "get" && v != "list" && v != "watch" {
			entry := v + " " + a.GetResource().Resource
			if sub := a.GetSubresource(); sub != "" {
				entry += "/" + sub
			}
			if u, ok := a.(clienttesting.UpdateAction); ok && a.GetSubresource() == "status" {
				if j, ok := u.GetObject().(*v1alpha1.Job); ok {
					entry += " " + statusSummary(j)
				}
			}
			f.mu.Lock()
			f.log = append(f.log, entry)
			f.mu.Unlock()
		}
		return false, nil, nil
	}
	f.kube.PrependReactor("*", "*", record)
	f.client.PrependReactor("*", "*", record)
	kubeInformers := kubeinformers.NewSharedInformerFactory(f.kube, 0)
	ourInformers := informers.NewSharedInformerFactory(f.client, 0)
	c, err := NewController(ctx, ourInformers.Experimental().V1alpha1().Jobs(), kubeInformers.Core().V1().Pods(),
		f.kube, f.client, f.recorder, f.clock)
	if err != nil {
		t.Fatal(err)
	}
	c.jobSynced = func() bool { return true }
	c.podSynced = func() bool { return true }
	c.enqueueAfter = func(key string, d time.Duration) { f.requeued[key] = d }
	f.c = c
	f.jobStore = ourInformers.Experimental().V1alpha1().Jobs().Informer().GetIndexer()
	f.podStore = kubeInformers.Core().V1().Pods().Informer().GetIndexer()
	for _, j := range jobs {
		f.must(f.jobStore.Add(j))
	}
	for _, p := range pods {
		f.must(f.podStore.Add(p))
	}
	return f
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func statusSummary(j *v1alpha1.Job) string {
	var conds []string
	for _, c := range j.Status.Conditions {
		if c.Status == corev1.ConditionTrue {
			conds = append(conds, string(c.Type))
		}
	}
	u := ptr.Deref(j.Status.UncountedTerminatedPods, v1alpha1.UncountedTerminatedPods{})
	return fmt.Sprintf("succeeded=%d failed=%d uncounted=%d/%d conds=%s", j.Status.Succeeded, j.Status.Failed,
		len(u.Succeeded), len(u.Failed), strings.Join(conds, ","))
}

func (f *fixture) sync(j *v1alpha1.Job) error {
	if !f.paced {
		f.c.tracked.ForgetAll()
	}
	f.kube.ClearActions()
	f.client.ClearActions()
	f.mu.Lock()
	f.log = nil
	f.mu.Unlock()
	return f.c.sync(f.ctx, key(j))
}

func (f *fixture) mustSync(j *v1alpha1.Job) {
	f.t.Helper()
	if err := f.sync(j); err != nil {
		f.t.Fatalf("sync: %v", err)
	}
}

func (f *fixture) writes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

func (f *fixture) actions(verb, resource string) []clienttesting.Action {
	return controllertest.Actions(verb, resource, f.kube.Actions(), f.client.Actions())
}

func (f *fixture) createdPods() []*corev1.Pod {
	return controllertest.Created[*corev1.Pod]("pods", f.kube.Actions(), f.client.Actions())
}

func (f *fixture) deletedPods() []string {
	return controllertest.DeletedNames("pods", f.kube.Actions(), f.client.Actions())
}

// patchedPods returns the names of pods whose tracking finalizer was
// patched away.
func (f *fixture) finalizerRemovals() []string {
	var out []string
	for _, a := range f.actions("patch", "pods") {
		p := a.(clienttesting.PatchAction)
		if strings.Contains(string(p.GetPatch()), "$deleteFromPrimitiveList/finalizers") {
			out = append(out, p.GetName())
		}
	}
	slices.Sort(out)
	return out
}

// lastStatus returns the last status written.
func (f *fixture) lastStatus() *v1alpha1.Job {
	f.t.Helper()
	updates := controllertest.StatusUpdates[*v1alpha1.Job](f.client.Actions())
	if len(updates) == 0 {
		f.t.Fatal("no status update")
	}
	return updates[len(updates)-1]
}

func (f *fixture) statusUpdates() int {
	return len(controllertest.StatusUpdates[*v1alpha1.Job](f.client.Actions()))
}

func (f *fixture) events() []string {
	var out []string
	for {
		select {
		case e := <-f.recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func hasEvent(events []string, reason string) bool {
	for _, e := range events {
		if strings.Contains(e, " "+reason+" ") {
			return true
		}
	}
	return false
}

func key(j *v1alpha1.Job) string { return j.Namespace + "/" + j.Name }

type jobOpt func(*v1alpha1.Job)

func newJob(name string, completions, parallelism int32, opts ...jobOpt) *v1alpha1.Job {
	uid := types.UID(name + "-uid")
	labels := map[string]string{"batch.kubernetes.io/controller-uid": string(uid), "batch.kubernetes.io/job-name": name}
	j := &v1alpha1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: uid, Generation: 1, ResourceVersion: "1"},
		Spec: v1alpha1.JobSpec{
			Completions:          ptr.To(completions),
			Parallelism:          ptr.To(parallelism),
			BackoffLimit:         ptr.To[int32](6),
			CompletionMode:       ptr.To(v1alpha1.NonIndexedCompletion),
			Suspend:              ptr.To(false),
			PodReplacementPolicy: ptr.To(v1alpha1.TerminatingOrFailed),
			Selector:             &metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/controller-uid": string(uid)}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{"note": "copied"}},
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers:    []corev1.Container{{Name: "main", Image: "busybox"}, {Name: "sidecar", Image: "busybox"}},
				},
			},
		},
		Status: v1alpha1.JobStatus{StartTime: ptr.To(metav1.NewTime(now.Add(-time.Minute)))},
	}
	for _, o := range opts {
		o(j)
	}
	return j
}

func indexed() jobOpt {
	return func(j *v1alpha1.Job) { j.Spec.CompletionMode = ptr.To(v1alpha1.IndexedCompletion) }
}

type podOpt func(*corev1.Pod)

func newPod(name string, j *v1alpha1.Job, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "default", UID: types.UID(name + "-uid"), ResourceVersion: "1",
			Labels:            map[string]string{"batch.kubernetes.io/controller-uid": string(j.UID), "batch.kubernetes.io/job-name": j.Name},
			CreationTimestamp: metav1.NewTime(now.Add(-time.Hour)),
			OwnerReferences:   []metav1.OwnerReference{*metav1.NewControllerRef(j, controllerKind)},
			Finalizers:        []string{TrackingFinalizer},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func running() podOpt {
	return func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	}
}

func succeeded() podOpt {
	return func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }
}

// failedWith makes the pod Failed with the main container terminated with
// code at finishedAt.
func failedWith(code int32, finishedAt time.Time) podOpt {
	return func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodFailed
		p.Status.ContainerStatuses = []corev1.ContainerStatus{
			{Name: "main", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, FinishedAt: metav1.NewTime(finishedAt)}}},
			{Name: "sidecar", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, FinishedAt: metav1.NewTime(finishedAt)}}},
		}
	}
}

func failed() podOpt { return failedWith(1, now.Add(-time.Hour)) }

func withIndex(ix int) podOpt {
	return func(p *corev1.Pod) {
		p.Annotations = map[string]string{CompletionIndexAnnotation: fmt.Sprint(ix)}
		p.Labels[CompletionIndexAnnotation] = fmt.Sprint(ix)
	}
}

func terminating() podOpt {
	return func(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(metav1.NewTime(now)) }
}

func cond(j *v1alpha1.Job, t v1alpha1.JobConditionType) *v1alpha1.JobCondition {
	return trueCondition(j, t)
}

// Tests.

func TestCreatesUpToParallelismWithFinalizerAndOwner(t *testing.T) {
	j := newJob("pi", 5, 2)
	f := newFixture(t, []*v1alpha1.Job{j}, nil)
	f.mustSync(j)
	created := f.createdPods()
	if len(created) != 2 {
		t.Fatalf("created %d pods, want parallelism 2", len(created))
	}
	p := created[0]
	ref := metav1.GetControllerOf(p)
	if ref == nil || ref.UID != j.UID || ref.Kind != "Job" || ref.APIVersion != "experimental/v1alpha1" {
		t.Errorf("owner reference = %+v", ref)
	}
	if !slices.Contains(p.Finalizers, TrackingFinalizer) {
		t.Errorf("pod finalizers %v lack %s", p.Finalizers, TrackingFinalizer)
	}
	if p.GenerateName != "pi-" || p.Labels["batch.kubernetes.io/controller-uid"] != string(j.UID) || p.Annotations["note"] != "copied" {
		t.Errorf("pod not built from the template: %+v", p.ObjectMeta)
	}
	if st := f.lastStatus(); st.Status.Active != 2 {
		t.Errorf("status.active = %d, want 2", st.Status.Active)
	}
	if n := len(f.actions("create", "pods")); n != 2 {
		t.Errorf("%d creates", n)
	}
	if !hasEvent(f.events(), controllerutil.EventSuccessfulCreate) {
		t.Error("no SuccessfulCreate event")
	}
}

func TestNeverMoreThanParallelismActive(t *testing.T) {
	j := newJob("pi", 10, 3)
	pods := []*corev1.Pod{
		newPod("a", j, running()), newPod("b", j, running()), newPod("c", j),
		newPod("done", j, succeeded()),
	}
	f := newFixture(t, []*v1alpha1.Job{j}, pods)
	f.mustSync(j)
	if n := len(f.createdPods()); n != 0 {
		t.Fatalf("created %d pods with parallelism 3 already active", n)
	}
	// Parallelism lowered: the excess goes, not-ready pods first.
	j2 := j.DeepCopy()
	j2.Spec.Parallelism = ptr.To[int32](2)
	f.must(f.jobStore.Update(j2))
	f.mustSync(j2)
	if got := f.deletedPods(); len(got) != 1 || got[0] != "c" {
		t.Fatalf("deleted %v, want the pending pod c", got)
	}
	// Near the end only the remaining completions run.
	j3 := newJob("pi", 3, 3)
	f3 := newFixture(t, []*v1alpha1.Job{j3}, []*corev1.Pod{newPod("s1", j3, succeeded()), newPod("s2", j3, succeeded()), newPod("r", j3, running())})
	f3.mustSync(j3)
	if n := len(f3.createdPods()); n != 0 {
		t.Fatalf("created %d pods although 2 succeeded and 1 runs for 3 completions", n)
	}
}

func TestNoDuplicateCreatesBeforePodsObserved(t *testing.T) {
	j := newJob("pi", 4, 2)
	f := newFixture(t, []*v1alpha1.Job{j}, nil)
	f.mustSync(j)
	if n := len(f.createdPods()); n != 2 {
		t.Fatalf("created %d, want 2", n)
	}
	f.mustSync(j)
	if n := len(f.createdPods()); n != 0 {
		t.Fatalf("created %d more pods before the first ones were observed", n)
	}
}

func TestIndexedCreatesEachMissingIndexOnce(t *testing.T) {
	j := newJob("idx", 4, 4, indexed())
	pods := []*corev1.Pod{newPod("idx-1", j, running(), withIndex(1)), newPod("idx-3", j, succeeded(), withIndex(3))}
	f := newFixture(t, []*v1alpha1.Job{j}, pods)
	f.mustSync(j)
	created := f.createdPods()
	got := map[string]*corev1.Pod{}
	for _, p := range created {
		got[p.Annotations[CompletionIndexAnnotation]] = p
	}
	if len(created) != 2 || got["0"] == nil || got["2"] == nil {
		t.Fatalf("created indexes %v, want exactly 0 and 2", keys(got))
	}
	p := got["2"]
	if p.Labels[CompletionIndexAnnotation] != "2" || p.Spec.Hostname != "idx-2" || p.Spec.Subdomain != "" || p.GenerateName != "idx-2-" {
		t.Errorf("index 2 pod: labels=%v hostname=%q subdomain=%q generateName=%q", p.Labels, p.Spec.Hostname, p.Spec.Subdomain, p.GenerateName)
	}
	for _, c := range p.Spec.Containers {
		var env *corev1.EnvVar
		for i := range c.Env {
			if c.Env[i].Name == CompletionIndexEnv {
				env = &c.Env[i]
			}
		}
		if env == nil || env.ValueFrom == nil || env.ValueFrom.FieldRef == nil ||
			env.ValueFrom.FieldRef.FieldPath != "metadata.labels['batch.kubernetes.io/job-completion-index']" {
			t.Errorf("container %s: JOB_COMPLETION_INDEX env = %+v", c.Name, env)
		}
	}
	st := f.lastStatus()
	if st.Status.CompletedIndexes != "3" || st.Status.Succeeded != 1 {
		t.Errorf("completedIndexes=%q succeeded=%d, want \"3\" and 1", st.Status.CompletedIndexes, st.Status.Succeeded)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestIndexedRemovesDuplicateIndexes(t *testing.T) {
	j := newJob("idx", 2, 2, indexed())
	pods := []*corev1.Pod{
		newPod("a", j, running(), withIndex(0)),
		newPod("b", j, withIndex(0)), // pending duplicate
		newPod("c", j, running(), withIndex(1)),
		newPod("d", j, running(), withIndex(7)), // out of range
	}
	f := newFixture(t, []*v1alpha1.Job{j}, pods)
	f.mustSync(j)
	if got := f.deletedPods(); strings.Join(got, ",") != "b,d" {
		t.Fatalf("deleted %v, want the duplicate b and the out-of-range d", got)
	}
}

func TestTrackingFinalizerFlow(t *testing.T) {
	j := newJob("pi", 3, 1)
	pods := []*corev1.Pod{newPod("ok", j, succeeded()), newPod("bad", j, failed())}
	f := newFixture(t, []*v1alpha1.Job{j}, pods)
	f.mustSync(j)
	// First persist the UIDs as uncounted, then remove the finalizers, then
	// move them into the counters.
	var order []string
	for _, w := range f.writes() {
		switch {
		case strings.HasPrefix(w, "update jobs/status"), strings.HasPrefix(w, "patch pods"):
			order = append(order, w)
		}
	}
	want := []string{
		"update jobs/status succeeded=0 failed=0 uncounted=1/1 conds=",
		"patch pods", "patch pods",
		"update jobs/status succeeded=1 failed=1 uncounted=0/0 conds=",
	}
	if strings.Join(order, "|") != strings.Join(want, "|") {
		t.Fatalf("writes:\n%s\nwant:\n%s", strings.Join(order, "\n"), strings.Join(want, "\n"))
	}
	if got := f.finalizerRemovals(); strings.Join(got, ",") != "bad,ok" {
		t.Errorf("finalizers removed from %v", got)
	}
	// Until the finalizer removals are observed, a new sync (from a stale
	// cache still showing the finalizers) must not count the pods again.
	stored, err := f.client.ExperimentalV1alpha1().Jobs("default").Get(f.ctx, "pi", metav1.GetOptions{})
	f.must(err)
	f.must(f.jobStore.Update(stored))
	f.mustSync(stored)
	if f.statusUpdates() > 0 {
		if st := f.lastStatus(); st.Status.Succeeded != 1 || st.Status.Failed != 1 {
			t.Fatalf("pods counted twice: %s", statusSummary(st))
		}
	}
	if got := f.finalizerRemovals(); len(got) != 0 {
		t.Errorf("finalizers removed again from %v", got)
	}
}

func TestUncountedPodsWithoutFinalizerAreCounted(t *testing.T) {
	// A previous sync persisted the UIDs and removed the finalizers but
	// crashed before counting: the next one moves them into the counters.
	j := newJob("pi", 3, 1)
	j.Status.UncountedTerminatedPods = &v1alpha1.UncountedTerminatedPods{Succeeded: []types.UID{"ok-uid"}, Failed: []types.UID{"gone-uid"}}
	ok := newPod("ok", j, succeeded())
	ok.Finalizers = nil
	f := newFixture(t, []*v1alpha1.Job{j}, []*corev1.Pod{ok, newPod("r", j, running())})
	f.mustSync(j)
	st := f.lastStatus()
	if st.Status.Succeeded != 1 || st.Status.Failed != 1 || len(st.Status.UncountedTerminatedPods.Succeeded)+len(st.Status.UncountedTerminatedPods.Failed) != 0 {
		t.Fatalf("status %s, want succeeded=1 failed=1 nothing uncounted", statusSummary(st))
	}
}

func TestDeletedPodIsCountedAsFailedAndReleased(t *testing.T) {
	j := newJob("pi", 2, 1)
	// Deleted an hour ago: the failure backoff is over.
	deletedLongAgo := func(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(metav1.NewTime(now.Add(-time.Hour))) }
	f := newFixture(t, []*v1alpha1.Job{j}, []*corev1.Pod{newPod("victim", j, running(), deletedLongAgo)})
	f.mustSync(j)
	if got := f.finalizerRemovals(); strings.Join(got, ",") != "victim" {
		t.Fatalf("finalizer removed from %v, want victim", got)
	}
	if st := f.lastStatus(); st.Status.Failed != 1 || ptr.Deref(st.Status.Terminating, -1) != 1 {
		t.Errorf("status %s terminating=%v, want failed=1 terminating=1", statusSummary(st), st.Status.Terminating)
	}
	// TerminatingOrFailed: the replacement does not wait.
	if n := len(f.createdPods()); n != 1 {
		t.Errorf("created %d replacements, want 1", n)
	}
}

func TestDeletedJobReleasesPodFinalizers(t *testing.T) {
	j := newJob("pi", 2, 2)
	pods := []*corev1.Pod{newPod("a", j, running()), newPod("b", j, succeeded())}
	other := newPod("foreign", j, running())
	other.OwnerReferences[0].Kind = "ReplicaSet"
	f := newFixture(t, []*v1alpha1.Job{j}, append(pods, other))
	f.must(f.jobStore.Delete(j))
	f.c.deleteJob(klog.FromContext(f.ctx), j)
	if n := f.c.orphanQueue.Len(); n != 2 {
		t.Fatalf("%d pods queued for finalizer removal, want 2", n)
	}
	for f.c.orphanQueue.Len() > 0 {
		k, _ := f.c.orphanQueue.Get()
		f.must(f.c.syncOrphanPod(f.ctx, k))
		f.c.orphanQueue.Done(k)
	}
	if got := f.finalizerRemovals(); strings.Join(got, ",") != "a,b" {
		t.Fatalf("finalizers removed from %v, want a,b", got)
	}
	for _, name := range []string{"a", "b"} {
		p, err := f.kube.CoreV1().Pods("default").Get(f.ctx, name, metav1.GetOptions{})
		f.must(err)
		if len(p.Finalizers) != 0 {
			t.Errorf("pod %s still has finalizers %v", name, p.Finalizers)
		}
	}
	// A sync of the deleted Job forgets its state and writes nothing.
	f.mustSync(j)
	if n := len(f.writes()); n != 0 {
		t.Errorf("sync of a deleted Job wrote %v", f.writes())
	}
}

func TestOrphanPodLosesFinalizerButActiveJobsPodKeepsIt(t *testing.T) {
	j := newJob("pi", 2, 2)
	orphan := newPod("orphan", j, running(), func(p *corev1.Pod) { p.OwnerReferences = nil; p.Labels = map[string]string{"x": "y"} })
	owned := newPod("owned", j, running())
	f := newFixture(t, []*v1alpha1.Job{j}, []*corev1.Pod{orphan, owned})
	f.must(f.c.syncOrphanPod(f.ctx, "default/orphan"))
	f.must(f.c.syncOrphanPod(f.ctx, "default/owned"))
	if got := f.finalizerRemovals(); strings.Join(got, ",") != "orphan" {
		t.Fatalf("finalizers removed from %v, want only the orphan", got)
	}
}

func TestBackoffLimitExceeded(t *testing.T) {
	j := newJob("pi", 5, 1)
	j.Spec.BackoffLimit = ptr.To[int32](1)
	pods := []*corev1.Pod{newPod("f1", j, failed()), newPod("f2", j, failed()), newPod("r", j, running())}
	f := newFixture(t, []*v1alpha1.Job{j}, pods)
	f.mustSync(j)
	var statuses []string
	for _, w := range f.writes() {
		if strings.HasPrefix(w, "update jobs/status") {
			statuses = append(statuses, w)
		}
	}
	if len(statuses) == 0 || !strings.Contains(statuses[0], "conds=FailureTarget") || !strings.Contains(statuses[0], "uncounted=0/3") {
		t.Fatalf("first status write %v: want FailureTarget with the failed and the running pod uncounted", statuses)
	}
	if got := f.deletedPods(); strings.Join(got, ",") != "r" {
		t.Errorf("deleted %v, want the running pod", got)
	}
	st := f.lastStatus()
	// The running pod was deleted in this sync: it is terminating, so Failed
	// waits for it.
	if cond(st, v1alpha1.JobFailed) != nil {
		t.Fatalf("Failed set while a pod is terminating: %s", statusSummary(st))
	}
	ft := cond(st, v1alpha1.JobFailureTarget)
	if ft == nil || ft.Reason != ReasonBackoffLimitExceeded {
		t.Fatalf("FailureTarget = %+v", ft)
	}
	if st.Status.Failed != 3 {
		t.Errorf("failed = %d, want 3", st.Status.Failed)
	}
	// Next sync: the pod is gone, the Job is Failed.
	stored, err := f.client.ExperimentalV1alpha1().Jobs("default").Get(f.ctx, "pi", metav1.GetOptions{})
	f.must(err)
	f.must(f.jobStore.Update(stored))
	for _, name := range []string{"f1", "f2", "r"} {
		p, _, _ := f.podStore.GetByKey("default/" + name)
		f.must(f.podStore.Delete(p))
	}
	f.c.finalizerExpectations.forget(key(j))
	f.c.expectations.DeleteExpectations(klog.FromContext(f.ctx), key(j))
	f.mustSync(stored)
	st = f.lastStatus()
	fc := cond(st, v1alpha1.JobFailed)
	if fc == nil || fc.Reason != ReasonBackoffLimitExceeded || st.Status.CompletionTime != nil || st.Status.Active != 0 {
		t.Fatalf("final status %s failed=%+v completionTime=%v", statusSummary(st), fc, st.Status.CompletionTime)
	}
	if !hasEvent(f.events(), ReasonBackoffLimitExceeded) {
		t.Error("no BackoffLimitExceeded event")
	}
}

func TestBackoffDelay(t *testing.T) {
	for _, tc := range []struct {
		failures int32
		want     time.Duration
	}{
		{0, 0}, {1, 10 * time.Second}, {2, 20 * time.Second}, {3, 40 * time.Second}, {4, 80 * time.Second},
		{5, 160 * time.Second}, {6, 320 * time.Second}, {7, 10 * time.Minute}, {30, 10 * time.Minute},
	} {
		if got := backoffDelay(tc.failures, DefaultPodFailureBackoff, MaxPodFailureBackoff); got != tc.want {
			t.Errorf("backoffDelay(%d) = %v, want %v", tc.failures, got, tc.want)
		}
	}
	last := now.Add(-3 * time.Second)
	if got := remainingBackoff(now, 2, &last); got != 17*time.Second {
		t.Errorf("remaining after 2 failures 3s ago = %v, want 17s", got)
	}
	if got := remainingBackoff(now, 1, ptr.To(now.Add(-time.Minute))); got != 0 {
		t.Errorf("remaining after the delay passed = %v, want 0", got)
	}
}

func TestReplacementWaitsForBackoff(t *testing.T) {
	j := newJob("pi", 1, 1)
	f := newFixture(t, []*v1alpha1.Job{j}, []*corev1.Pod{newPod("f1", j, failedWith(1, now.Add(-4*time.Second)))})
	f.mustSync(j)
	if n := len(f.createdPods()); n != 0 {
		t.Fatalf("created %d pods 4s after the first failure", n)
	}
	if d := f.requeued[key(j)]; d != 6*time.Second {
		t.Fatalf("requeued after %v, want 6s (10s backoff - 4s)", d)
	}
	// The failure is counted now; at the backoff's end the replacement comes.
	stored, err := f.client.ExperimentalV1alpha1().Jobs("default").Get(f.ctx, "pi", metav1.GetOptions{})
	f.must(err)
	f.must(f.jobStore.Update(stored))
	p, _, _ := f.podStore.GetByKey("default/f1")
	f.must(f.podStore.Delete(p))
	f.clock.Step(6 * time.Second)
	f.mustSync(stored)
	if n := len(f.createdPods()); n != 1 {
		t.Fatalf("created %d pods after the backoff, want 1", n)
	}
}

func TestBackoffLimitPerIndexAndMaxFailedIndexes(t *testing.T) {
	j := newJob("idx", 3, 3, indexed())
	j.Spec.BackoffLimitPerIndex = ptr.To[int32](1)
	j.Spec.BackoffLimit = ptr.To[int32](1 << 30)
	ann := func(n int) podOpt {
		return func(p *corev1.Pod) { p.Annotations[IndexFailureCountAnnotation] = fmt.Sprint(n) }
	}
	pods := []*corev1.Pod{
		newPod("i0", j, withIndex(0), ann(1), failed()), // second failure of index 0: the index fails
		newPod("i1", j, withIndex(1), ann(0), failed()), // first failure of index 1: retried
		newPod("i2", j, withIndex(2), ann(0), running()),
	}
	f := newFixture(t, []*v1alpha1.Job{j}, pods)
	f.mustSync(j)
	st := f.lastStatus()
	if ptr.Deref(st.Status.FailedIndexes, "") != "0" {
		t.Fatalf("failedIndexes = %v, want \"0\"", st.Status.FailedIndexes)
	}
	created := f.createdPods()
	if len(created) != 1 || created[0].Annotations[CompletionIndexAnnotation] != "1" || created[0].Annotations[IndexFailureCountAnnotation] != "1" {
		t.Fatalf("created %d pods; want one replacement for index 1 with failure count 1, got %+v", len(created), annotationsOf(created))
	}
	// The failed pod of index 1 keeps its finalizer until the replacement
	// is observed; index 0's pod is released.
	if got := f.finalizerRemovals(); strings.Join(got, ",") != "i0" {
		t.Errorf("finalizers removed from %v, want i0", got)
	}
	if cond(st, v1alpha1.JobFailureTarget) != nil {
		t.Errorf("Job failing without maxFailedIndexes: %s", statusSummary(st))
	}

	// With maxFailedIndexes 0 the same failure fails the Job.
	j2 := j.DeepCopy()
	j2.Spec.MaxFailedIndexes = ptr.To[int32](0)
	f2 := newFixture(t, []*v1alpha1.Job{j2}, pods)
	f2.mustSync(j2)
	ft := cond(f2.lastStatus(), v1alpha1.JobFailureTarget)
	if ft == nil || ft.Reason != ReasonMaxFailedIndexesExceeded {
		t.Fatalf("FailureTarget = %+v, want MaxFailedIndexesExceeded", ft)
	}
	if n := len(f2.createdPods()); n != 0 {
		t.Errorf("created %d pods for a failing Job", n)
	}
}

func annotationsOf(pods []*corev1.Pod) []map[string]string {
	var out []map[string]string
	for _, p := range pods {
		out = append(out, p.Annotations)
	}
	return out
}

func TestPodFailurePolicyMatching(t *testing.T) {
	rules := func(r ...v1alpha1.PodFailurePolicyRule) *v1alpha1.PodFailurePolicy {
		return &v1alpha1.PodFailurePolicy{Rules: r}
	}
	exit := func(action v1alpha1.PodFailurePolicyAction, op v1alpha1.PodFailurePolicyOnExitCodesOperator, container *string, codes ...int32) v1alpha1.PodFailurePolicyRule {
		return v1alpha1.PodFailurePolicyRule{Action: action, OnExitCodes: &v1alpha1.PodFailurePolicyOnExitCodesRequirement{ContainerName: container, Operator: op, Values: codes}}
	}
	disruption := v1alpha1.PodFailurePolicyRule{Action: v1alpha1.PodFailurePolicyActionIgnore,
		OnPodConditions: []v1alpha1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}}}
	j := newJob("pi", 1, 1)
	exit42 := newPod("p", j, failedWith(42, now))
	exit1 := newPod("p", j, failedWith(1, now))
	disrupted := newPod("p", j, failedWith(137, now), func(p *corev1.Pod) {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue})
	})
	for _, tc := range []struct {
		name       string
		policy     *v1alpha1.PodFailurePolicy
		pod        *corev1.Pod
		wantFail   bool
		wantCounts bool
		wantAction string
	}{
		{"no policy", nil, exit42, false, true, ""},
		{"In matches: FailJob", rules(exit(v1alpha1.PodFailurePolicyActionFailJob, v1alpha1.PodFailurePolicyOnExitCodesOpIn, nil, 42)), exit42, true, true, "FailJob"},
		{"In does not match", rules(exit(v1alpha1.PodFailurePolicyActionFailJob, v1alpha1.PodFailurePolicyOnExitCodesOpIn, nil, 42)), exit1, false, true, ""},
		{"NotIn matches: Ignore", rules(exit(v1alpha1.PodFailurePolicyActionIgnore, v1alpha1.PodFailurePolicyOnExitCodesOpNotIn, nil, 1, 2)), exit42, false, false, "Ignore"},
		{"NotIn does not match", rules(exit(v1alpha1.PodFailurePolicyActionIgnore, v1alpha1.PodFailurePolicyOnExitCodesOpNotIn, nil, 1, 2)), exit1, false, true, ""},
		{"container name matches", rules(exit(v1alpha1.PodFailurePolicyActionCount, v1alpha1.PodFailurePolicyOnExitCodesOpIn, ptr.To("main"), 42)), exit42, false, true, "Count"},
		{"other container's name", rules(exit(v1alpha1.PodFailurePolicyActionFailJob, v1alpha1.PodFailurePolicyOnExitCodesOpIn, ptr.To("sidecar"), 42)), exit42, false, true, ""},
		{"exit code 0 never matches NotIn", rules(exit(v1alpha1.PodFailurePolicyActionFailJob, v1alpha1.PodFailurePolicyOnExitCodesOpNotIn, ptr.To("sidecar"), 42)), exit42, false, true, ""},
		{"DisruptionTarget ignored", rules(disruption, exit(v1alpha1.PodFailurePolicyActionFailJob, v1alpha1.PodFailurePolicyOnExitCodesOpIn, nil, 137)), disrupted, false, false, "Ignore"},
		{"first matching rule wins", rules(exit(v1alpha1.PodFailurePolicyActionFailIndex, v1alpha1.PodFailurePolicyOnExitCodesOpIn, nil, 42), exit(v1alpha1.PodFailurePolicyActionIgnore, v1alpha1.PodFailurePolicyOnExitCodesOpIn, nil, 42)), exit42, false, true, "FailIndex"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, counts, action := matchPodFailurePolicy(tc.policy, tc.pod)
			if (msg != nil) != tc.wantFail || counts != tc.wantCounts || string(ptr.Deref(action, "")) != tc.wantAction {
				t.Errorf("got msg=%v counts=%v action=%v; want fail=%v counts=%v action=%q", ptr.Deref(msg, "<nil>"), counts, ptr.Deref(action, ""), tc.wantFail, tc.wantCounts, tc.wantAction)
			}
			if tc.wantFail && !strings.Contains(*msg, "exit code 42") {
				t.Errorf("message %q does not name the exit code", *msg)
			}
		})
	}
}

func TestPodFailurePolicyFailJobAndIgnore(t *testing.T) {
	policy := &v1alpha1.PodFailurePolicy{Rules: []v1alpha1.PodFailurePolicyRule{
		{Action: v1alpha1.PodFailurePolicyActionIgnore, OnExitCodes: &v1alpha1.PodFailurePolicyOnExitCodesRequirement{Operator: v1alpha1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{3}}},
		{Action: v1alpha1.PodFailurePolicyActionFailJob, OnExitCodes: &v1alpha1.PodFailurePolicyOnExitCodesRequirement{Operator: v1alpha1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{42}}},
	}}
	withPolicy := func(j *v1alpha1.Job) {
		j.Spec.PodFailurePolicy = policy
		j.Spec.PodReplacementPolicy = ptr.To(v1alpha1.Failed)
		j.Spec.BackoffLimit = ptr.To[int32](0)
	}
	// Ignore: not counted towards the backoff limit, replaced (the failure
	// is an hour old, so the backoff delay is over).
	j := newJob("pi", 1, 1, withPolicy)
	f := newFixture(t, []*v1alpha1.Job{j}, []*corev1.Pod{newPod("p", j, failedWith(3, now.Add(-time.Hour)))})
	f.mustSync(j)
	st := f.lastStatus()
	if st.Status.Failed != 0 || cond(st, v1alpha1.JobFailureTarget) != nil {
		t.Fatalf("ignored failure counted: %s", statusSummary(st))
	}
	if n := len(f.createdPods()); n != 1 {
		t.Fatalf("created %d replacements for an ignored failure, want 1", n)
	}
	if got := f.finalizerRemovals(); strings.Join(got, ",") != "p" {
		t.Errorf("finalizers removed from %v", got)
	}
	// FailJob: Failed with reason PodFailurePolicy and the rule's message.
	j2 := newJob("pj", 1, 1, withPolicy)
	f2 := newFixture(t, []*v1alpha1.Job{j2}, []*corev1.Pod{newPod("q", j2, failedWith(42, now))})
	f2.mustSync(j2)
	st = f2.lastStatus()
	fc := cond(st, v1alpha1.JobFailed)
	if fc == nil || fc.Reason != ReasonPodFailurePolicy || !strings.Contains(fc.Message, "exit code 42") || cond(st, v1alpha1.JobFailureTarget) == nil {
		t.Fatalf("status %s conditions %+v", statusSummary(st), st.Status.Conditions)
	}
	if st.Status.Failed != 1 {
		t.Errorf("failed = %d, want 1", st.Status.Failed)
	}
}

func TestSuccessPolicy(t *testing.T) {
	j := newJob("idx", 5, 5, indexed(), func(j *v1alpha1.Job) {
		j.Spec.SuccessPolicy = &v1alpha1.SuccessPolicy{Rules: []v1alpha1.SuccessPolicyRule{{SucceededIndexes: ptr.To("0-1")}}}
	})
	pods := []*corev1.Pod{
		newPod("i0", j, withIndex(0), succeeded()), newPod("i1", j, withIndex(1), succeeded()),
		newPod("i2", j, withIndex(2), running()),
	}
	f := newFixture(t, []*v1alpha1.Job{j}, pods)
	f.mustSync(j)
	st := f.lastStatus()
	sc := cond(st, v1alpha1.JobSuccessCriteriaMet)
	if sc == nil || sc.Reason != ReasonSuccessPolicy {
		t.Fatalf("SuccessCriteriaMet = %+v", sc)
	}
	if cond(st, v1alpha1.JobComplete) != nil {
		t.Error("Complete while a lingering pod terminates")
	}
	if got := f.deletedPods(); strings.Join(got, ",") != "i2" {
		t.Errorf("deleted %v, want the lingering i2", got)
	}
	if n := len(f.createdPods()); n != 0 {
		t.Errorf("created %d pods after the success criteria were met", n)
	}
	if st.Status.CompletedIndexes != "0,1" {
		t.Errorf("completedIndexes = %q", st.Status.CompletedIndexes)
	}
	// Success policy table.
	logger := klog.FromContext(f.ctx)
	for _, tc := range []struct {
		rule      v1alpha1.SuccessPolicyRule
		succeeded string
		want      bool
	}{
		{v1alpha1.SuccessPolicyRule{SucceededIndexes: ptr.To("0-2")}, "0,1", false},
		{v1alpha1.SuccessPolicyRule{SucceededIndexes: ptr.To("0-2")}, "0-3", true},
		{v1alpha1.SuccessPolicyRule{SucceededIndexes: ptr.To("0-4"), SucceededCount: ptr.To[int32](2)}, "1,3", true},
		{v1alpha1.SuccessPolicyRule{SucceededIndexes: ptr.To("0-1"), SucceededCount: ptr.To[int32](2)}, "1,3", false},
		{v1alpha1.SuccessPolicyRule{SucceededCount: ptr.To[int32](3)}, "1,3-4", true},
		{v1alpha1.SuccessPolicyRule{SucceededCount: ptr.To[int32](3)}, "1,3", false},
	} {
		_, got := matchSuccessPolicy(logger, &v1alpha1.SuccessPolicy{Rules: []v1alpha1.SuccessPolicyRule{tc.rule}}, 5, parseIntervals(logger, tc.succeeded, 5))
		if got != tc.want {
			t.Errorf("rule %+v with %q succeeded: met=%v, want %v", tc.rule, tc.succeeded, got, tc.want)
		}
	}
}

func TestCompletesWhenCompletionsReached(t *testing.T) {
	j := newJob("pi", 2, 2)
	f := newFixture(t, []*v1alpha1.Job{j}, []*corev1.Pod{newPod("a", j, succeeded()), newPod("b", j, succeeded())})
	f.mustSync(j)
	st := f.lastStatus()
	cc, sc := cond(st, v1alpha1.JobComplete), cond(st, v1alpha1.JobSuccessCriteriaMet)
	if cc == nil || sc == nil || cc.Reason != ReasonCompletionsReached || st.Status.CompletionTime == nil || st.Status.Succeeded != 2 {
		t.Fatalf("status %s conditions %+v completionTime %v", statusSummary(st), st.Status.Conditions, st.Status.CompletionTime)
	}
	if !hasEvent(f.events(), EventCompleted) {
		t.Error("no Completed event")
	}
	// Marked finished: a sync from the stale cache does nothing.
	f.mustSync(j)
	if n := len(f.writes()); n != 0 {
		t.Errorf("sync after finishing wrote %v", f.writes())
	}
}

func TestPodReplacementPolicyFailedWaitsForTerminatingPods(t *testing.T) {
	for _, tc := range []struct {
		policy v1alpha1.PodReplacementPolicy
		want   int
	}{{v1alpha1.Failed, 0}, {v1alpha1.TerminatingOrFailed, 1}} {
		t.Run(string(tc.policy), func(t *testing.T) {
			j := newJob("pi", 4, 2, func(j *v1alpha1.Job) { j.Spec.PodReplacementPolicy = ptr.To(tc.policy) })
			f := newFixture(t, []*v1alpha1.Job{j}, []*corev1.Pod{newPod("a", j, running()), newPod("t", j, running(), terminating(), func(p *corev1.Pod) { p.Finalizers = nil })})
			f.mustSync(j)
			if n := len(f.createdPods()); n != tc.want {
				t.Fatalf("created %d pods with one terminating, want %d", n, tc.want)
			}
			if st := f.lastStatus(); ptr.Deref(st.Status.Terminating, -1) != 1 {
				t.Errorf("status.terminating = %v, want 1", st.Status.Terminating)
			}
		})
	}
}

func TestActiveDeadline(t *testing.T) {
	j := newJob("pi", 3, 1, func(j *v1alpha1.Job) {
		j.Spec.ActiveDeadlineSeconds = ptr.To[int64](60)
		j.Status.StartTime = ptr.To(metav1.NewTime(now.Add(-20 * time.Second)))
	})
	f := newFixture(t, []*v1alpha1.Job{j}, []*corev1.Pod{newPod("a", j, running())})
	f.mustSync(j)
	if d := f.requeued[key(j)]; d != 40*time.Second {
		t.Fatalf("requeued after %v, want 40s (at the deadline)", d)
	}
	if f.statusUpdates() > 0 && cond(f.lastStatus(), v1alpha1.JobFailureTarget) != nil {
		t.Fatal("failing before the deadline")
	}
	f.clock.Step(40 * time.Second)
	f.mustSync(j)
	st := f.lastStatus()
	ft := cond(st, v1alpha1.JobFailureTarget)
	if ft == nil || ft.Reason != ReasonDeadlineExceeded {
		t.Fatalf("FailureTarget = %+v at the deadline", ft)
	}
	if got := f.deletedPods(); strings.Join(got, ",") != "a" {
		t.Errorf("deleted %v, want the active pod", got)
	}
}

func TestSuspendAndResume(t *testing.T) {
	j := newJob("pi", 3, 2, func(j *v1alpha1.Job) { j.Spec.Suspend = ptr.To(true) })
	f := newFixture(t, []*v1alpha1.Job{j}, []*corev1.Pod{newPod("a", j, running()), newPod("b", j)})
	f.mustSync(j)
	if got := f.deletedPods(); strings.Join(got, ",") != "a,b" {
		t.Fatalf("deleted %v, want every active pod", got)
	}
	// The finalizer goes before the delete: suspended pods are not failures.
	if got := f.finalizerRemovals(); strings.Join(got, ",") != "a,b" {
		t.Errorf("finalizers removed from %v", got)
	}
	st := f.lastStatus()
	if sc := cond(st, v1alpha1.JobSuspended); sc == nil || sc.Reason != "JobSuspended" {
		t.Fatalf("Suspended condition = %+v", sc)
	}
	if st.Status.StartTime != nil || st.Status.Failed != 0 || st.Status.Active != 0 {
		t.Errorf("suspended status: startTime=%v %s active=%d", st.Status.StartTime, statusSummary(st), st.Status.Active)
	}
	if !hasEvent(f.events(), EventSuspended) {
		t.Error("no Suspended event")
	}

	// Resume: the condition turns False and startTime restarts now.
	f.clock.Step(time.Hour)
	resumed := st.DeepCopy()
	resumed.Spec.Suspend = ptr.To(false)
	f2 := newFixture(t, []*v1alpha1.Job{resumed}, nil)
	f2.clock.SetTime(now.Add(time.Hour))
	f2.mustSync(resumed)
	st = f2.lastStatus()
	sc := findCondition(st.Status.Conditions, v1alpha1.JobSuspended)
	if sc == nil || sc.Status != corev1.ConditionFalse || sc.Reason != "JobResumed" {
		t.Fatalf("Suspended condition after resume = %+v", sc)
	}
	if st.Status.StartTime == nil || !st.Status.StartTime.Time.Equal(now.Add(time.Hour)) {
		t.Errorf("startTime = %v, want the resume time", st.Status.StartTime)
	}
	if n := len(f2.createdPods()); n != 2 {
		t.Errorf("created %d pods on resume, want 2", n)
	}
	if !hasEvent(f2.events(), EventResumed) {
		t.Error("no Resumed event")
	}
}

func TestManagedBy(t *testing.T) {
	for _, tc := range []struct {
		managedBy *string
		managed   bool
	}{{nil, true}, {ptr.To(ManagedByValue), true}, {ptr.To("example.com/queue-controller"), false}} {
		t.Run(ptr.Deref(tc.managedBy, "unset"), func(t *testing.T) {
			j := newJob("pi", 1, 1, func(j *v1alpha1.Job) { j.Spec.ManagedBy = tc.managedBy })
			f := newFixture(t, []*v1alpha1.Job{j}, []*corev1.Pod{newPod("done", j, succeeded())})
			f.mustSync(j)
			if wrote := len(f.writes()) > 0; wrote != tc.managed {
				t.Fatalf("managedBy %v: writes %v, want managed=%v", tc.managedBy, f.writes(), tc.managed)
			}
			// Pods of a Job managed elsewhere keep their finalizer.
			f.must(f.c.syncOrphanPod(f.ctx, "default/done"))
			if !tc.managed && len(f.finalizerRemovals()) > 0 {
				t.Errorf("removed the finalizer of a pod of a Job managed elsewhere")
			}
		})
	}
}

func TestIntervals(t *testing.T) {
	logger := klog.Background()
	for _, tc := range []struct {
		in   string
		add  []int
		want string
	}{
		{"", []int{3, 1, 2}, "1-3"},
		{"1,3-5,7", []int{6}, "1,3-7"},
		{"0", []int{1}, "0,1"},
		{"2-4", nil, "2-4"},
		{"1,x,5", []int{2}, "1,2,5"},
		{"8-20", []int{0}, "0,8,9"}, // clipped at completions 10
	} {
		got := parseIntervals(logger, tc.in, 10).withIndexes(tc.add)
		if got.String() != tc.want {
			t.Errorf("%q + %v = %q, want %q", tc.in, tc.add, got.String(), tc.want)
		}
	}
	iv := parseIntervals(logger, "1,3-5", 10)
	if !iv.has(4) || iv.has(2) || iv.total() != 4 {
		t.Errorf("has/total wrong for %v", iv)
	}
}

func TestAdoptedOrphanGetsTrackingFinalizer(t *testing.T) {
	j := newJob("pi", 2, 1)
	orphan := newPod("stray", j, succeeded(), func(p *corev1.Pod) { p.OwnerReferences = nil; p.Finalizers = nil })
	f := newFixture(t, []*v1alpha1.Job{j}, []*corev1.Pod{orphan})
	f.mustSync(j)
	var adopted, tracked bool
	for _, a := range f.actions("patch", "pods") {
		patch := string(a.(clienttesting.PatchAction).GetPatch())
		adopted = adopted || strings.Contains(patch, "ownerReferences")
		tracked = tracked || strings.Contains(patch, `"finalizers":["`+TrackingFinalizer+`"]`)
	}
	if !adopted || !tracked {
		t.Fatalf("adopted=%v finalizer added=%v; patches: %v", adopted, tracked, f.writes())
	}
	// The adopted pod is counted like the pods the controller creates.
	if st := f.lastStatus(); st.Status.Succeeded != 1 {
		t.Errorf("adopted succeeded pod not counted: %s", statusSummary(st))
	}
}

// TestPodsOfOtherControllersAreIgnored checks the pods a sync reads through
// the controller index: a pod controlled by another Job is neither counted,
// adopted nor touched, even with labels the Job's selector matches.
func TestPodsOfOtherControllersAreIgnored(t *testing.T) {
	j := newJob("pi", 4, 2)
	other := newJob("other", 1, 1)
	foreign := newPod("foreign", other, running(), func(p *corev1.Pod) { p.Labels = j.Spec.Template.Labels })
	f := newFixture(t, []*v1alpha1.Job{j, other}, []*corev1.Pod{newPod("own", j, running()), foreign})
	f.mustSync(j)
	if n := len(f.createdPods()); n != 1 {
		t.Errorf("created %d pods, want 1 next to the one running pod of the Job", n)
	}
	for _, a := range append(f.actions("patch", "pods"), f.actions("delete", "pods")...) {
		if a.(interface{ GetName() string }).GetName() == "foreign" {
			t.Errorf("%s of the pod of another Job", a.GetVerb())
		}
	}
	// Active counts the running pod and the one just created.
	if st := f.lastStatus(); st.Status.Active != 2 {
		t.Errorf("active = %d, want 2: %s", st.Status.Active, statusSummary(st))
	}
}

func TestPodEventsSettleExpectations(t *testing.T) {
	j := newJob("pi", 2, 1)
	f := newFixture(t, []*v1alpha1.Job{j}, nil)
	logger := klog.FromContext(f.ctx)
	f.mustSync(j)
	if adds, _, _ := f.c.expectations.Pending(key(j)); adds != 1 {
		t.Fatalf("pending creations %d, want 1", adds)
	}
	p := newPod("pi-1", j, running())
	f.must(f.podStore.Add(p))
	f.c.addPod(logger, p)
	if !f.c.expectations.SatisfiedExpectations(logger, key(j)) {
		t.Fatal("creation not observed")
	}
	// Finalizer removal expectations clear on the pod update without it.
	f.c.finalizerExpectations.expect(logger, key(j), []types.UID{p.UID})
	cur := p.DeepCopy()
	cur.ResourceVersion = "2"
	cur.Finalizers = nil
	cur.Status.Phase = corev1.PodSucceeded
	f.c.updatePod(logger, p, cur)
	if f.c.finalizerExpectations.get(key(j)).Has(p.UID) {
		t.Error("finalizer removal not observed")
	}
}

func TestActiveDeadlineChangeRequeuesAtNewDeadline(t *testing.T) {
	old := newJob("pi", 1, 1, func(j *v1alpha1.Job) { j.Status.StartTime = ptr.To(metav1.NewTime(now.Add(-10 * time.Second))) })
	cur := old.DeepCopy()
	cur.Generation = 2
	cur.Spec.ActiveDeadlineSeconds = ptr.To[int64](30)
	f := newFixture(t, []*v1alpha1.Job{cur}, nil)
	f.c.updateJob(klog.FromContext(f.ctx), old, cur)
	if d := f.requeued[key(cur)]; d != 20*time.Second {
		t.Fatalf("requeued after %v, want 20s", d)
	}
}

func TestFailIndexRuleFailsOnlyThatIndex(t *testing.T) {
	j := newJob("idx", 2, 2, indexed(), func(j *v1alpha1.Job) {
		j.Spec.BackoffLimitPerIndex = ptr.To[int32](3)
		j.Spec.BackoffLimit = ptr.To[int32](1 << 30)
		j.Spec.PodReplacementPolicy = ptr.To(v1alpha1.Failed)
		j.Spec.PodFailurePolicy = &v1alpha1.PodFailurePolicy{Rules: []v1alpha1.PodFailurePolicyRule{{
			Action:      v1alpha1.PodFailurePolicyActionFailIndex,
			OnExitCodes: &v1alpha1.PodFailurePolicyOnExitCodesRequirement{Operator: v1alpha1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{42}},
		}}}
	})
	pods := []*corev1.Pod{newPod("i0", j, withIndex(0), failedWith(42, now.Add(-time.Hour))), newPod("i1", j, withIndex(1), running())}
	f := newFixture(t, []*v1alpha1.Job{j}, pods)
	f.mustSync(j)
	st := f.lastStatus()
	if ptr.Deref(st.Status.FailedIndexes, "") != "0" || st.Status.Failed != 1 {
		t.Fatalf("failedIndexes=%v failed=%d, want \"0\" and 1", st.Status.FailedIndexes, st.Status.Failed)
	}
	if n := len(f.createdPods()); n != 0 {
		t.Errorf("index 0 retried (%d pods created) although its FailIndex rule matched", n)
	}
	if cond(st, v1alpha1.JobFailureTarget) != nil {
		t.Errorf("Job failing while index 1 still runs: %s", statusSummary(st))
	}
	// Once index 1 succeeds, every index is done and one failed: the Job
	// fails with FailedIndexes.
	stored, err := f.client.ExperimentalV1alpha1().Jobs("default").Get(f.ctx, "idx", metav1.GetOptions{})
	f.must(err)
	f.must(f.jobStore.Update(stored))
	p0, _, _ := f.podStore.GetByKey("default/i0")
	f.must(f.podStore.Delete(p0))
	f.must(f.podStore.Update(newPod("i1", j, withIndex(1), succeeded())))
	f.c.finalizerExpectations.forget(key(j))
	f.mustSync(stored)
	fc := cond(f.lastStatus(), v1alpha1.JobFailed)
	if fc == nil || fc.Reason != ReasonFailedIndexes {
		t.Fatalf("Failed = %+v, want reason FailedIndexes", fc)
	}
}

func TestPodsAreReplacedAtOnceAndStatusTrackedOncePerBatchPeriod(t *testing.T) {
	j := newJob("pi", 4, 2)
	a, b := newPod("a", j, running()), newPod("b", j, running())
	f := newFixture(t, []*v1alpha1.Job{j}, []*corev1.Pod{a, b})
	f.paced = true
	logger := klog.FromContext(f.ctx)
	f.mustSync(j) // tracks: status active=2 ready=2

	// a succeeds: its event queues a sync after podSyncBatchPeriod.
	done := a.DeepCopy()
	done.ResourceVersion = "2"
	done.Status.Phase = corev1.PodSucceeded
	f.must(f.podStore.Update(done))
	f.c.updatePod(logger, a, done)
	if d := f.requeued[key(j)]; d != podSyncBatchPeriod {
		t.Fatalf("pod event queued the Job after %v, want %v", d, podSyncBatchPeriod)
	}
	f.clock.Step(podSyncBatchPeriod)
	f.mustSync(j)
	if n := len(f.createdPods()); n != 1 {
		t.Fatalf("created %d pods, want a's replacement at once", n)
	}
	if f.statusUpdates() != 0 || len(f.finalizerRemovals()) != 0 {
		t.Fatalf("writes %v: status and finalizers are tracked at most once per %v", f.writes(), syncBatchPeriod)
	}
	if d := f.requeued[key(j)]; d != syncBatchPeriod-podSyncBatchPeriod {
		t.Fatalf("requeued after %v, want %v (a batch period after the last tracking)", d, syncBatchPeriod-podSyncBatchPeriod)
	}
	list, err := f.kube.CoreV1().Pods("default").List(f.ctx, metav1.ListOptions{})
	f.must(err)
	var replacement *corev1.Pod
	for i := range list.Items {
		if p := &list.Items[i]; p.Name != "a" && p.Name != "b" {
			replacement = p
		}
	}
	replacement.UID = "replacement-uid"
	f.must(f.podStore.Add(replacement))
	f.c.addPod(logger, replacement)

	// The requeue tracks: a is counted exactly once and released.
	f.clock.Step(syncBatchPeriod - podSyncBatchPeriod)
	f.mustSync(j)
	if n := len(f.createdPods()); n != 0 {
		t.Errorf("created %d more pods", n)
	}
	if got := f.finalizerRemovals(); strings.Join(got, ",") != "a" {
		t.Errorf("finalizers removed from %v, want a", got)
	}
	if st := f.lastStatus(); st.Status.Succeeded != 1 || st.Status.Active != 2 {
		t.Errorf("status %s active=%d, want succeeded=1 active=2", statusSummary(st), st.Status.Active)
	}
}

func TestPodsAreNotManagedFromAStatusOlderThanTheLastWrite(t *testing.T) {
	// Completions 2: a succeeded, b runs; nothing more is needed.
	j := newJob("pi", 2, 2)
	a, b := newPod("a", j, succeeded()), newPod("b", j, running())
	f := newFixture(t, []*v1alpha1.Job{j}, []*corev1.Pod{a, b})
	f.paced = true
	written := 1
	f.client.PrependReactor("update", "jobs", func(act clienttesting.Action) (bool, runtime.Object, error) {
		if act.GetSubresource() == "status" {
			written++
			act.(clienttesting.UpdateAction).GetObject().(*v1alpha1.Job).ResourceVersion = fmt.Sprint(written)
		}
		return false, nil, nil
	})
	f.mustSync(j) // tracks: a counted (succeeded=1) and its finalizer removed
	if st := f.lastStatus(); st.Status.Succeeded != 1 || len(f.createdPods()) != 0 {
		t.Fatalf("status %s, created %d: want a counted and no pod created", statusSummary(st), len(f.createdPods()))
	}

	// The cache still has the Job from before those writes and a with its
	// finalizer: it would count no success and create a second pod.
	f.clock.Step(podSyncBatchPeriod)
	f.mustSync(j)
	if n := len(f.createdPods()); n != 0 {
		t.Fatalf("created %d pods from a status older than the last write", n)
	}
	if d := f.requeued[key(j)]; d != podSyncBatchPeriod {
		t.Errorf("requeued after %v, want %v", d, podSyncBatchPeriod)
	}

	// Once the cache has the write, pods are managed again, rightly.
	stored, err := f.client.ExperimentalV1alpha1().Jobs("default").Get(f.ctx, "pi", metav1.GetOptions{})
	f.must(err)
	f.must(f.jobStore.Update(stored))
	f.clock.Step(podSyncBatchPeriod)
	f.mustSync(stored)
	if n := len(f.createdPods()); n != 0 {
		t.Errorf("created %d pods, none are needed", n)
	}
	if d, ok := f.requeued[key(j)]; !ok || d != syncBatchPeriod-2*podSyncBatchPeriod {
		t.Errorf("requeued after %v (%v), want the tracking pass in %v", d, ok, syncBatchPeriod-2*podSyncBatchPeriod)
	}
}

func TestDeleteForgetsEverythingOfTheJob(t *testing.T) {
	j := newJob("pi", 2, 2)
	f := newFixture(t, []*v1alpha1.Job{j}, []*corev1.Pod{newPod("a", j, succeeded()), newPod("b", j, succeeded())})
	f.paced = true
	f.mustSync(j) // finishes the Job: its status written, tracked and marked finished
	if f.c.written.Len() == 0 || f.c.finished.Len() == 0 || f.c.tracked.Len() == 0 {
		t.Fatalf("after a finishing sync: written=%d finished=%d tracked=%d, want each remembered",
			f.c.written.Len(), f.c.finished.Len(), f.c.tracked.Len())
	}
	f.c.deleteJob(klog.FromContext(f.ctx), j)
	if n := f.c.written.Len() + f.c.finished.Len() + f.c.tracked.Len(); n != 0 {
		t.Errorf("after the delete event: written=%d finished=%d tracked=%d, want nothing left",
			f.c.written.Len(), f.c.finished.Len(), f.c.tracked.Len())
	}
	if got := f.c.finalizerExpectations.get(key(j)); got.Len() != 0 {
		t.Errorf("finalizer expectations left after the delete event: %v", got)
	}
}

func TestPodEventBatchGrowsWithTheJobsPods(t *testing.T) {
	withStatus := func(active, succeeded, failed int32, uncounted int) *v1alpha1.Job {
		j := newJob("big", 20000, 1000)
		j.Status.Active, j.Status.Succeeded, j.Status.Failed = active, succeeded, failed
		if uncounted > 0 {
			j.Status.UncountedTerminatedPods = &v1alpha1.UncountedTerminatedPods{}
			for i := range uncounted {
				j.Status.UncountedTerminatedPods.Succeeded = append(j.Status.UncountedTerminatedPods.Succeeded, types.UID(fmt.Sprint(i)))
			}
		}
		return j
	}
	for _, tc := range []struct {
		name string
		job  *v1alpha1.Job
		want time.Duration
	}{
		{"new", withStatus(0, 0, 0, 0), podSyncBatchPeriod},
		{"1000 pods", withStatus(100, 800, 100, 0), podSyncBatchPeriod},
		{"5000 pods with uncounted ones", withStatus(1000, 3500, 0, 500), 500 * time.Millisecond},
		{"10 000 pods", withStatus(1000, 9000, 0, 0), syncBatchPeriod},
		{"50 000 pods", withStatus(1000, 49000, 0, 0), syncBatchPeriod},
	} {
		if got := podEventBatchPeriod(tc.job); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}

	// The handlers use it: a pod event of a Job with 10 000 pods queues
	// its sync a syncBatchPeriod later.
	j := withStatus(1000, 9000, 0, 0)
	a := newPod("a", j, running())
	f := newFixture(t, []*v1alpha1.Job{j}, []*corev1.Pod{a})
	done := a.DeepCopy()
	done.ResourceVersion = "2"
	done.Status.Phase = corev1.PodSucceeded
	f.must(f.podStore.Update(done))
	f.c.updatePod(klog.FromContext(f.ctx), a, done)
	if d := f.requeued[key(j)]; d != syncBatchPeriod {
		t.Errorf("a pod event of a Job with 10 000 pods queued it after %v, want %v", d, syncBatchPeriod)
	}
}
