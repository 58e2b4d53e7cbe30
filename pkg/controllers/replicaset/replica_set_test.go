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

package replicaset

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
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
	t        *testing.T
	ctx      context.Context
	kube     *kubefake.Clientset
	client   *fake.Clientset
	clock    *clocktesting.FakeClock
	recorder *record.FakeRecorder
	c        *Controller
	rsStore  cache.Indexer
	podStore cache.Indexer
	requeued map[string]time.Duration
}

// newFixture builds a controller whose informers are never started: tests
// feed their indexers directly. kubeObjects and rsObjects also seed the fake
// clientsets, which the controller writes to.
func newFixture(t *testing.T, rss []*v1alpha1.ReplicaSet, pods []*corev1.Pod) *fixture {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	var kubeObjs, objs []runtime.Object
	for _, p := range pods {
		kubeObjs = append(kubeObjs, p)
	}
	for _, rs := range rss {
		objs = append(objs, rs)
	}
	f := &fixture{
		t:        t,
		ctx:      ctx,
		kube:     kubefake.NewClientset(kubeObjs...),
		client:   fake.NewSimpleClientset(objs...),
		clock:    clocktesting.NewFakeClock(now),
		recorder: record.NewFakeRecorder(100),
		requeued: map[string]time.Duration{},
	}
	// The fake clientset does not implement generateName.
	controllertest.OnCreate(f.kube, "pods", controllertest.Fill{GenerateName: true})
	kubeInformers := kubeinformers.NewSharedInformerFactory(f.kube, 0)
	ourInformers := informers.NewSharedInformerFactory(f.client, 0)
	c, err := NewController(ctx, ourInformers.Experimental().V1alpha1().ReplicaSets(), kubeInformers.Core().V1().Pods(),
		f.kube, f.client, f.recorder, f.clock)
	if err != nil {
		t.Fatal(err)
	}
	c.rsSynced = func() bool { return true }
	c.podSynced = func() bool { return true }
	c.enqueueAfter = func(key string, d time.Duration) { f.requeued[key] = d }
	f.c = c
	f.rsStore = ourInformers.Experimental().V1alpha1().ReplicaSets().Informer().GetIndexer()
	f.podStore = kubeInformers.Core().V1().Pods().Informer().GetIndexer()
	for _, rs := range rss {
		f.addToCache(f.rsStore, rs)
	}
	for _, p := range pods {
		f.addToCache(f.podStore, p)
	}
	return f
}

func (f *fixture) addToCache(store cache.Indexer, obj any) {
	f.t.Helper()
	if err := store.Add(obj); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) sync(key string) error {
	f.kube.ClearActions()
	f.client.ClearActions()
	return f.c.sync(f.ctx, key)
}

func (f *fixture) actions(verb, resource string) []clienttesting.Action {
	return controllertest.Actions(verb, resource, f.kube.Actions(), f.client.Actions())
}

func (f *fixture) statusUpdates() []*v1alpha1.ReplicaSet {
	return controllertest.StatusUpdates[*v1alpha1.ReplicaSet](f.client.Actions())
}

func (f *fixture) createdPods() []*corev1.Pod {
	return controllertest.Created[*corev1.Pod]("pods", f.kube.Actions(), f.client.Actions())
}

func (f *fixture) deletedPods() []string {
	return controllertest.DeletedNames("pods", f.kube.Actions(), f.client.Actions())
}

var selectorLabels = map[string]string{"app": "web"}

func newRS(name string, replicas int32) *v1alpha1.ReplicaSet {
	return &v1alpha1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(name + "-uid"), Generation: 1},
		Spec: v1alpha1.ReplicaSetSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: selectorLabels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels:      map[string]string{"app": "web", "tier": "front"},
					Annotations: map[string]string{"note": "copied"},
					Finalizers:  []string{"example.com/keep"},
				},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}},
			},
		},
	}
}

func key(rs *v1alpha1.ReplicaSet) string { return rs.Namespace + "/" + rs.Name }

type podOpt func(*corev1.Pod)

func onNode(n string) podOpt { return func(p *corev1.Pod) { p.Spec.NodeName = n } }
func phase(ph corev1.PodPhase) podOpt {
	return func(p *corev1.Pod) { p.Status.Phase = ph }
}
func readySince(t time.Time) podOpt {
	return func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t)}}
	}
}
func withLabels(l map[string]string) podOpt { return func(p *corev1.Pod) { p.Labels = l } }
func orphan() podOpt                        { return func(p *corev1.Pod) { p.OwnerReferences = nil } }
func deleting() podOpt {
	return func(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(metav1.NewTime(now)) }
}

func newPod(name string, rs *v1alpha1.ReplicaSet, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "default", UID: types.UID(name + "-uid"),
			Labels:            map[string]string{"app": "web", "tier": "front"},
			CreationTimestamp: metav1.NewTime(now.Add(-time.Hour)),
			OwnerReferences:   []metav1.OwnerReference{*metav1.NewControllerRef(rs, controllerKind)},
		},
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func TestScaleUpCreatesPodsFromTemplate(t *testing.T) {
	rs := newRS("web", 3)
	f := newFixture(t, []*v1alpha1.ReplicaSet{rs}, nil)
	if err := f.sync(key(rs)); err != nil {
		t.Fatal(err)
	}
	created := f.createdPods()
	if len(created) != 3 {
		t.Fatalf("created %d pods, want 3", len(created))
	}
	p := created[0]
	ref := metav1.GetControllerOf(p)
	if ref == nil || ref.UID != rs.UID || ref.Kind != "ReplicaSet" || ref.APIVersion != "experimental/v1alpha1" ||
		!ptr.Deref(ref.BlockOwnerDeletion, false) {
		t.Errorf("owner reference = %+v", ref)
	}
	if p.GenerateName != "web-" || p.Labels["tier"] != "front" || p.Annotations["note"] != "copied" ||
		len(p.Finalizers) != 1 || p.Spec.Containers[0].Image != "nginx" {
		t.Errorf("pod not built from the template: %+v", p.ObjectMeta)
	}
	if n := countEvents(f.recorder, controllerutil.EventSuccessfulCreate); n != 3 {
		t.Errorf("%d SuccessfulCreate events, want 3", n)
	}
	if adds, _, ok := f.c.expectations.Pending(key(rs)); !ok || adds != 3 {
		t.Errorf("pending creations = %d, %v; want 3", adds, ok)
	}
}

func TestNoDuplicateCreatesBeforeInformerSeesPods(t *testing.T) {
	rs := newRS("web", 2)
	f := newFixture(t, []*v1alpha1.ReplicaSet{rs}, nil)
	if err := f.sync(key(rs)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.createdPods()); n != 2 {
		t.Fatalf("first sync created %d pods, want 2", n)
	}
	// The informer has not delivered the pods yet: another sync (e.g. from a
	// ReplicaSet update) must not create them again.
	if err := f.sync(key(rs)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.createdPods()); n != 0 {
		t.Fatalf("second sync created %d more pods before the first were observed", n)
	}
	// One creation is observed; still waiting for the other.
	p1 := newPod("web-a", rs)
	f.addToCache(f.podStore, p1)
	f.c.addPod(klog.FromContext(f.ctx), p1)
	if err := f.sync(key(rs)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.createdPods()); n != 0 {
		t.Fatalf("created %d pods with one creation still expected", n)
	}
	// The watch event of the second pod was lost: after the expectations'
	// TTL the controller trusts its cache again and creates the missing one.
	f.clock.Step(controllerutil.ExpectationsTimeout + time.Second)
	if err := f.sync(key(rs)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.createdPods()); n != 1 {
		t.Fatalf("after the expectations expired created %d pods, want 1", n)
	}
}

func TestScaleDownPicksVictimsByRank(t *testing.T) {
	rs := newRS("web", 2)
	pods := []*corev1.Pod{
		newPod("ready-old", rs, onNode("n1"), readySince(now.Add(-time.Hour))),
		newPod("ready-new", rs, onNode("n2"), readySince(now.Add(-time.Minute))),
		newPod("unscheduled", rs),
		newPod("pending", rs, onNode("n3"), phase(corev1.PodPending)),
		newPod("ready-cheap", rs, onNode("n4"), readySince(now.Add(-2*time.Hour)), func(p *corev1.Pod) {
			p.Annotations = map[string]string{controllerutil.PodDeletionCostAnnotation: "-10"}
		}),
	}
	f := newFixture(t, []*v1alpha1.ReplicaSet{rs}, pods)
	if err := f.sync(key(rs)); err != nil {
		t.Fatal(err)
	}
	got := f.deletedPods()
	want := []string{"pending", "ready-cheap", "unscheduled"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("deleted %v, want %v", got, want)
	}
	for _, a := range f.actions("delete", "pods") {
		if pre := a.(clienttesting.DeleteActionImpl).DeleteOptions.Preconditions; pre == nil || pre.UID == nil {
			t.Errorf("delete of %s without UID precondition", a.(clienttesting.DeleteAction).GetName())
		}
	}
	_, dels, _ := f.c.expectations.Pending(key(rs))
	if len(dels) != 3 {
		t.Errorf("expected deletions %v, want 3", dels)
	}
	// Until the deletions are observed nothing else is deleted.
	if err := f.sync(key(rs)); err != nil {
		t.Fatal(err)
	}
	if got := f.deletedPods(); len(got) != 0 {
		t.Errorf("deleted %v again before observing the first deletions", got)
	}
}

// TestScaleDownRanksBySiblingsOnly checks the pods a sync reads through the
// controller index: the pods of the ReplicaSets sharing its Deployment
// count when ranking victims by co-location, while pods of other
// controllers, even with matching labels and on the same nodes, are neither
// counted, claimed nor deleted.
func TestScaleDownRanksBySiblingsOnly(t *testing.T) {
	d := metav1.OwnerReference{APIVersion: "experimental/v1alpha1", Kind: "Deployment", Name: "d", UID: "d-uid", Controller: ptr.To(true)}
	rs := newRS("web-new", 1)
	rs.OwnerReferences = []metav1.OwnerReference{d}
	sibling := newRS("web-old", 2)
	sibling.OwnerReferences = []metav1.OwnerReference{d}
	other := newRS("other", 3)
	ready := readySince(now.Add(-time.Hour))
	pods := []*corev1.Pod{
		// Ready more recently: without the sibling pods in the ranking it
		// would be the victim.
		newPod("new-n1", rs, onNode("n1"), readySince(now.Add(-time.Minute))),
		newPod("new-n2", rs, onNode("n2"), ready),
		newPod("old-n2-a", sibling, onNode("n2"), ready),
		newPod("old-n2-b", sibling, onNode("n2"), ready),
		newPod("other-n1-a", other, onNode("n1"), ready),
		newPod("other-n1-b", other, onNode("n1"), ready),
		newPod("other-n1-c", other, onNode("n1"), ready),
	}
	f := newFixture(t, []*v1alpha1.ReplicaSet{rs, sibling, other}, pods)
	if err := f.sync(key(rs)); err != nil {
		t.Fatal(err)
	}
	// n2 holds three pods of the Deployment, n1 one: the pod on n2 goes.
	if got := f.deletedPods(); strings.Join(got, ",") != "new-n2" {
		t.Fatalf("deleted %v, want [new-n2]", got)
	}
	if n := len(f.actions("patch", "pods")); n != 0 {
		t.Errorf("%d pod patches; pods of other controllers must be left alone", n)
	}
	if st := f.statusUpdates(); len(st) != 1 || st[0].Status.Replicas != 2 {
		t.Errorf("status updates = %v, want one counting the 2 pods of the ReplicaSet", st)
	}
}

func TestAdoptsOrphansAndReleasesMismatches(t *testing.T) {
	rs := newRS("web", 2)
	pods := []*corev1.Pod{
		newPod("orphan", rs, orphan(), onNode("n1"), readySince(now.Add(-time.Hour))),
		newPod("relabelled", rs, withLabels(map[string]string{"app": "other"}), onNode("n1")),
		newPod("owned", rs, onNode("n1"), readySince(now.Add(-time.Hour))),
		newPod("foreign", rs, orphan(), withLabels(map[string]string{"app": "db"})),
	}
	f := newFixture(t, []*v1alpha1.ReplicaSet{rs}, pods)
	if err := f.sync(key(rs)); err != nil {
		t.Fatal(err)
	}
	patches := map[string]string{}
	for _, a := range f.actions("patch", "pods") {
		p := a.(clienttesting.PatchAction)
		patches[p.GetName()] = string(p.GetPatch())
	}
	if len(patches) != 2 {
		t.Fatalf("patched %v, want orphan and relabelled", patches)
	}
	if !strings.Contains(patches["orphan"], `"controller":true`) || !strings.Contains(patches["orphan"], string(rs.UID)) {
		t.Errorf("adoption patch = %s", patches["orphan"])
	}
	if !strings.Contains(patches["relabelled"], `"$patch":"delete"`) {
		t.Errorf("release patch = %s", patches["relabelled"])
	}
	// Adoption re-read the ReplicaSet from the API server.
	if len(f.actions("get", "replicasets")) != 1 {
		t.Errorf("adoption did not re-read the ReplicaSet: %v", f.client.Actions())
	}
	if n := len(f.createdPods()) + len(f.deletedPods()); n != 0 {
		t.Errorf("created or deleted %d pods; the adopted orphan should complete the replicas", n)
	}
	if s := f.statusUpdates(); len(s) != 1 || s[0].Status.Replicas != 2 {
		t.Errorf("status updates %v, want replicas 2", s)
	}
}

func TestNoAdoptionWhenOwnerReplacedOrDeleting(t *testing.T) {
	for name, fresh := range map[string]func(*v1alpha1.ReplicaSet){
		"replaced": func(rs *v1alpha1.ReplicaSet) { rs.UID = "another-uid" },
		"deleting": func(rs *v1alpha1.ReplicaSet) { rs.DeletionTimestamp = ptr.To(metav1.NewTime(now)) },
	} {
		t.Run(name, func(t *testing.T) {
			rs := newRS("web", 1)
			f := newFixture(t, []*v1alpha1.ReplicaSet{rs}, []*corev1.Pod{newPod("orphan", rs, orphan())})
			// The API server has a newer version of the ReplicaSet than the
			// informer cache.
			f.client.PrependReactor("get", "replicasets", func(clienttesting.Action) (bool, runtime.Object, error) {
				r := rs.DeepCopy()
				fresh(r)
				return true, r, nil
			})
			err := f.sync(key(rs))
			if err == nil || !strings.Contains(err.Error(), "not adopting") {
				t.Fatalf("sync error = %v, want a refused adoption", err)
			}
			if p := f.actions("patch", "pods"); len(p) != 0 {
				t.Errorf("pod patched: %v", p)
			}
			if n := len(f.createdPods()); n != 0 {
				t.Errorf("created %d pods after the claim failed", n)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	rs := newRS("web", 4)
	rs.Generation = 3
	rs.Spec.MinReadySeconds = 10
	pods := []*corev1.Pod{
		newPod("available", rs, onNode("n1"), readySince(now.Add(-time.Minute))),
		newPod("just-ready", rs, onNode("n1"), readySince(now.Add(-3*time.Second))),
		newPod("partly-labelled", rs, onNode("n1"), withLabels(map[string]string{"app": "web"})),
		newPod("running", rs, onNode("n2"), phase(corev1.PodRunning)),
		newPod("terminating", rs, onNode("n2"), deleting()),
		newPod("failed", rs, onNode("n2"), phase(corev1.PodFailed)),
	}
	f := newFixture(t, []*v1alpha1.ReplicaSet{rs}, pods)
	if err := f.sync(key(rs)); err != nil {
		t.Fatal(err)
	}
	updates := f.statusUpdates()
	if len(updates) != 1 {
		t.Fatalf("%d status updates, want 1", len(updates))
	}
	got := updates[0].Status
	want := v1alpha1.ReplicaSetStatus{
		Replicas: 4, FullyLabeledReplicas: 3, ReadyReplicas: 2, AvailableReplicas: 1,
		TerminatingReplicas: ptr.To[int32](1), ObservedGeneration: 3,
	}
	if got.TerminatingReplicas == nil || *got.TerminatingReplicas != 1 {
		t.Errorf("terminatingReplicas = %v, want 1", got.TerminatingReplicas)
	}
	got.TerminatingReplicas, want.TerminatingReplicas = nil, nil
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("status = %+v, want %+v", got, want)
	}
	// The pod ready for 3s becomes available 7s from now: sync again then.
	if d := f.requeued[key(rs)]; d != 7*time.Second {
		t.Errorf("requeued after %v, want 7s", d)
	}

	// Nothing changed: no write.
	if err := f.rsStore.Update(updates[0]); err != nil {
		t.Fatal(err)
	}
	f.requeued = map[string]time.Duration{}
	if err := f.sync(key(rs)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.statusUpdates()); n != 0 {
		t.Errorf("%d status updates for an unchanged status", n)
	}
	// After the remaining time the pod is available.
	f.clock.Step(8 * time.Second)
	if err := f.sync(key(rs)); err != nil {
		t.Fatal(err)
	}
	if u := f.statusUpdates(); len(u) != 1 || u[0].Status.AvailableReplicas != 2 {
		t.Errorf("status after minReadySeconds = %+v", u)
	}
}

func TestReplicaFailureOnForbiddenCreate(t *testing.T) {
	rs := newRS("web", 5)
	f := newFixture(t, []*v1alpha1.ReplicaSet{rs}, nil)
	calls := 0
	f.kube.PrependReactor("create", "pods", func(clienttesting.Action) (bool, runtime.Object, error) {
		calls++
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("exceeded quota: compute"))
	})
	err := f.sync(key(rs))
	if err == nil || !apierrors.IsForbidden(errors.Unwrap(err)) {
		t.Fatalf("sync error = %v, want the Forbidden create error", err)
	}
	// Slow start: the first batch (one pod) failed, so no more were tried,
	// and the skipped creations are not expected.
	if calls != 1 {
		t.Errorf("%d create calls, want 1", calls)
	}
	if adds, _, _ := f.c.expectations.Pending(key(rs)); adds != 0 {
		t.Errorf("pending creations = %d, want 0", adds)
	}
	if n := countEvents(f.recorder, controllerutil.EventFailedCreate); n != 1 {
		t.Errorf("%d FailedCreate events, want 1", n)
	}
	updates := f.statusUpdates()
	if len(updates) != 1 {
		t.Fatalf("%d status updates, want 1", len(updates))
	}
	cond := getCondition(updates[0].Status, v1alpha1.ReplicaSetReplicaFailure)
	if cond == nil || cond.Status != corev1.ConditionTrue || cond.Reason != ReasonFailedCreate || !strings.Contains(cond.Message, "exceeded quota") {
		t.Fatalf("ReplicaFailure condition = %+v", cond)
	}

	// Quota raised: creates succeed and the condition goes away.
	f.kube.ReactionChain = f.kube.ReactionChain[1:] // drop the Forbidden reactor
	if err := f.rsStore.Update(updates[0]); err != nil {
		t.Fatal(err)
	}
	if err := f.sync(key(rs)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.createdPods()); n != 5 {
		t.Errorf("created %d pods, want 5", n)
	}
	if u := f.statusUpdates(); len(u) != 1 || getCondition(u[0].Status, v1alpha1.ReplicaSetReplicaFailure) != nil {
		t.Errorf("ReplicaFailure not cleared: %+v", u)
	}
}

func TestStatusUpdateRetriesConflicts(t *testing.T) {
	rs := newRS("web", 1)
	pod := newPod("p", rs, onNode("n1"), readySince(now.Add(-time.Minute)))
	f := newFixture(t, []*v1alpha1.ReplicaSet{rs}, []*corev1.Pod{pod})
	conflicts := 0
	f.client.PrependReactor("update", "replicasets", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "status" || conflicts > 0 {
			return false, nil, nil
		}
		conflicts++
		return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "experimental", Resource: "replicasets"}, rs.Name, errors.New("modified"))
	})
	if err := f.sync(key(rs)); err != nil {
		t.Fatalf("sync after one conflict: %v", err)
	}
	if n := len(f.statusUpdates()); n != 2 {
		t.Errorf("%d status update attempts, want 2", n)
	}
	if len(f.actions("get", "replicasets")) != 1 {
		t.Errorf("no fresh read after the conflict")
	}
	stored, err := f.client.ExperimentalV1alpha1().ReplicaSets("default").Get(f.ctx, rs.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status.ReadyReplicas != 1 || stored.Status.ObservedGeneration != 1 {
		t.Errorf("stored status = %+v", stored.Status)
	}
}

func TestDeletedPodEventsSatisfyExpectations(t *testing.T) {
	rs := newRS("web", 1)
	a := newPod("a", rs, onNode("n1"), phase(corev1.PodRunning))
	b := newPod("b", rs, onNode("n1"), readySince(now.Add(-time.Minute)))
	f := newFixture(t, []*v1alpha1.ReplicaSet{rs}, []*corev1.Pod{a, b})
	if err := f.sync(key(rs)); err != nil {
		t.Fatal(err)
	}
	if got := f.deletedPods(); len(got) != 1 || got[0] != "a" {
		t.Fatalf("deleted %v, want [a]", got)
	}
	logger := klog.FromContext(f.ctx)
	// A deletion of a pod the controller did not delete does not count.
	f.c.deletePod(logger, newPod("unrelated", rs))
	if f.c.expectations.SatisfiedExpectations(logger, key(rs)) {
		t.Fatal("expectations satisfied by an unexpected deletion")
	}
	// The graceful delete of a shows up as an update with a deletion timestamp.
	aDeleting := a.DeepCopy()
	aDeleting.DeletionTimestamp = ptr.To(metav1.NewTime(now))
	aDeleting.ResourceVersion = "2"
	f.c.updatePod(logger, a, aDeleting)
	if !f.c.expectations.SatisfiedExpectations(logger, key(rs)) {
		t.Fatal("expectations not satisfied after the deletion was observed")
	}
}

func countEvents(r *record.FakeRecorder, reason string) int {
	n := 0
	for {
		select {
		case e := <-r.Events:
			if strings.Contains(e, " "+reason+" ") {
				n++
			}
		default:
			return n
		}
	}
}

// Pod status changes sync at once after a quiet period and wait
// podStatusBatchPeriod inside a burst, so a scale-up's readiness changes
// share status writes; a change of labels is handled at once.
func TestPodStatusChangesAreBatchedInBursts(t *testing.T) {
	rs := newRS("web", 2)
	pending := newPod("p", rs)
	pending.ResourceVersion = "1"
	f := newFixture(t, []*v1alpha1.ReplicaSet{rs}, []*corev1.Pod{pending})
	logger := klog.FromContext(f.ctx)
	drain := func() {
		for f.c.queue.Len() > 0 {
			k, _ := f.c.queue.Get()
			f.c.queue.Done(k)
		}
		f.requeued = map[string]time.Duration{}
	}

	ready := newPod("p", rs, readySince(now))
	ready.ResourceVersion = "2"
	f.c.updatePod(logger, pending, ready)
	if n := f.c.queue.Len(); n != 1 || len(f.requeued) != 0 {
		t.Errorf("first status change: %d keys queued, delayed %v; want it queued at once", n, f.requeued)
	}
	drain()

	// Another change right after: part of a burst, delayed.
	f.clock.Step(podStatusBatchPeriod / 2)
	notReady := newPod("p", rs)
	notReady.ResourceVersion = "3"
	f.c.updatePod(logger, ready, notReady)
	if d, ok := f.requeued[key(rs)]; !ok || d != podStatusBatchPeriod || f.c.queue.Len() != 0 {
		t.Errorf("status change in a burst: delayed %v (%v), %d queued at once; want delayed %v", d, ok, f.c.queue.Len(), podStatusBatchPeriod)
	}
	drain()

	// After a quiet period: at once again.
	f.clock.Step(2 * podStatusBatchPeriod)
	ready.ResourceVersion = "4"
	f.c.updatePod(logger, notReady, ready)
	if n := f.c.queue.Len(); n != 1 || len(f.requeued) != 0 {
		t.Errorf("status change after a quiet period: %d queued, delayed %v; want it queued at once", n, f.requeued)
	}
	drain()

	// A label change inside a burst is never delayed.
	f.clock.Step(podStatusBatchPeriod / 10)
	relabelled := newPod("p", rs, readySince(now), withLabels(map[string]string{"app": "web"}))
	relabelled.ResourceVersion = "5"
	f.c.updatePod(logger, ready, relabelled)
	if n := f.c.queue.Len(); n != 1 || len(f.requeued) != 0 {
		t.Errorf("label change: %d queued, delayed %v; want it queued at once", n, f.requeued)
	}
}

// The delete event drops the status-burst memory of the ReplicaSet with its
// expectations.
func TestDeleteForgetsStatusBursts(t *testing.T) {
	rs := newRS("web", 2)
	pending := newPod("p", rs)
	pending.ResourceVersion = "1"
	f := newFixture(t, []*v1alpha1.ReplicaSet{rs}, []*corev1.Pod{pending})
	logger := klog.FromContext(f.ctx)
	ready := newPod("p", rs, readySince(now))
	ready.ResourceVersion = "2"
	f.c.updatePod(logger, pending, ready)
	if n := f.c.statusEvents.Len(); n != 1 {
		t.Fatalf("status changes remembered for %d ReplicaSets, want 1", n)
	}
	f.c.deleteRS(logger, rs)
	if n := f.c.statusEvents.Len(); n != 0 {
		t.Errorf("status changes remembered for %d ReplicaSets after the delete event, want 0", n)
	}
}
