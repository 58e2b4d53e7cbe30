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

package controllerutil

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2/ktesting"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned/fake"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestExpectations(t *testing.T) {
	logger, _ := ktesting.NewTestContext(t)
	clk := clocktesting.NewFakeClock(t0)
	e := NewExpectations(clk)
	const key = "ns/rs"
	if !e.SatisfiedExpectations(logger, key) {
		t.Fatal("no record must be satisfied")
	}
	e.ExpectCreations(logger, key, 2)
	if e.SatisfiedExpectations(logger, key) {
		t.Fatal("satisfied with 2 pending creations")
	}
	e.CreationObserved(logger, key)
	if e.SatisfiedExpectations(logger, key) {
		t.Fatal("satisfied with 1 pending creation")
	}
	e.LowerExpectations(logger, key, 1)
	if !e.SatisfiedExpectations(logger, key) {
		t.Fatal("not satisfied after every creation was observed or skipped")
	}

	e.ExpectDeletions(logger, key, []string{"ns/a", "ns/b"})
	e.DeletionObserved(logger, key, "ns/other")
	e.DeletionObserved(logger, key, "ns/a")
	e.DeletionObserved(logger, key, "ns/a")
	if _, dels, _ := e.Pending(key); len(dels) != 1 || dels[0] != "ns/b" {
		t.Fatalf("pending deletions = %v, want [ns/b]", dels)
	}
	if e.SatisfiedExpectations(logger, key) {
		t.Fatal("satisfied with ns/b still expected")
	}
	// TTL: a lost watch event does not block the controller forever.
	clk.Step(ExpectationsTimeout)
	if e.SatisfiedExpectations(logger, key) {
		t.Fatal("expired exactly at the TTL")
	}
	clk.Step(time.Second)
	if !e.SatisfiedExpectations(logger, key) {
		t.Fatal("not satisfied after the TTL")
	}
	e.DeleteExpectations(logger, key)
	if _, _, ok := e.Pending(key); ok {
		t.Fatal("record survived DeleteExpectations")
	}
}

func TestSlowStartBatch(t *testing.T) {
	var calls atomic.Int32
	ok, err := SlowStartBatch(10, 1, func() error { calls.Add(1); return nil })
	if ok != 10 || err != nil || calls.Load() != 10 {
		t.Fatalf("all succeed: %d successes, %v, %d calls", ok, err, calls.Load())
	}
	// Batches are 1, 2, 4, 8: the 4th call (first of the third batch) fails,
	// so the batch of 4 runs and nothing after it.
	calls.Store(0)
	boom := errors.New("forbidden")
	ok, err = SlowStartBatch(20, 1, func() error {
		if calls.Add(1) == 4 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || calls.Load() != 7 || ok != 6 {
		t.Fatalf("failing batch: %d successes, err %v, %d calls; want 6, forbidden, 7", ok, err, calls.Load())
	}
	if ok, err := SlowStartBatch(0, 1, func() error { return boom }); ok != 0 || err != nil {
		t.Fatalf("zero count: %d, %v", ok, err)
	}
}

func pod(name string, mut ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name), CreationTimestamp: metav1.NewTime(t0.Add(-time.Hour))}}
	p.Spec.NodeName = "node"
	p.Status.Phase = corev1.PodRunning
	for _, m := range mut {
		m(p)
	}
	return p
}

func ready(since time.Time) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(since)}}
	}
}

func TestActivePodsWithRanks(t *testing.T) {
	tests := []struct {
		name         string
		first, later *corev1.Pod
		rankFirst    int
		rankLater    int
	}{
		{"unscheduled before scheduled", pod("a", func(p *corev1.Pod) { p.Spec.NodeName = "" }), pod("b"), 0, 0},
		{"pending before unknown", pod("a", func(p *corev1.Pod) { p.Status.Phase = corev1.PodPending }), pod("b", func(p *corev1.Pod) { p.Status.Phase = corev1.PodUnknown }), 0, 0},
		{"unknown before running", pod("a", func(p *corev1.Pod) { p.Status.Phase = corev1.PodUnknown }), pod("b"), 0, 0},
		{"not ready before ready", pod("a"), pod("b", ready(t0)), 0, 0},
		{"lower deletion cost first", pod("a", ready(t0), func(p *corev1.Pod) {
			p.Annotations = map[string]string{PodDeletionCostAnnotation: "5"}
		}), pod("b", ready(t0), func(p *corev1.Pod) {
			p.Annotations = map[string]string{PodDeletionCostAnnotation: "100"}
		}), 0, 0},
		{"more co-located first", pod("a", ready(t0)), pod("b", ready(t0)), 3, 1},
		{"more recently ready first", pod("a", ready(t0.Add(-time.Minute))), pod("b", ready(t0.Add(-time.Hour))), 0, 0},
		{"more restarts first", pod("a", func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{RestartCount: 4}}
		}), pod("b", func(p *corev1.Pod) { p.Status.ContainerStatuses = []corev1.ContainerStatus{{RestartCount: 1}} }), 0, 0},
		{"newer first", pod("a", func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(t0) }), pod("b"), 0, 0},
		{"cost outranks co-location", pod("a", func(p *corev1.Pod) {
			p.Annotations = map[string]string{PodDeletionCostAnnotation: "-1"}
		}), pod("b"), 0, 9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, order := range [][2]int{{0, 1}, {1, 0}} {
				pods := []*corev1.Pod{tc.first, tc.later}
				ranks := []int{tc.rankFirst, tc.rankLater}
				s := ActivePodsWithRanks{
					Pods: []*corev1.Pod{pods[order[0]], pods[order[1]]},
					Rank: []int{ranks[order[0]], ranks[order[1]]},
				}
				sort.Sort(s)
				if s.Pods[0] != tc.first {
					t.Errorf("sorted %s before %s", s.Pods[0].Name, s.Pods[1].Name)
				}
			}
		})
	}
}

func TestRankPodsByColocation(t *testing.T) {
	a := pod("a", func(p *corev1.Pod) { p.Spec.NodeName = "n1" })
	b := pod("b", func(p *corev1.Pod) { p.Spec.NodeName = "n2" })
	sibling := pod("s", func(p *corev1.Pod) { p.Spec.NodeName = "n1" })
	r := RankPodsByColocation([]*corev1.Pod{a, b}, []*corev1.Pod{a, b, sibling})
	if r.Rank[0] != 2 || r.Rank[1] != 1 {
		t.Fatalf("ranks = %v, want [2 1]", r.Rank)
	}
}

func TestAvailableIn(t *testing.T) {
	p := pod("a", ready(t0.Add(-4*time.Second)))
	if d, ok := AvailableIn(p, 10, t0); !ok || d != 6*time.Second {
		t.Errorf("AvailableIn = %v, %v; want 6s", d, ok)
	}
	if d, ok := AvailableIn(p, 2, t0); !ok || d != 0 {
		t.Errorf("AvailableIn after minReadySeconds = %v, %v; want 0", d, ok)
	}
	if _, ok := AvailableIn(pod("b"), 10, t0); ok {
		t.Error("a pod that is not ready reported as becoming available")
	}
}

func rsOwner(uid types.UID) *v1alpha1.ReplicaSet {
	return &v1alpha1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "rs", Namespace: "ns", UID: uid}}
}

var rsKind = v1alpha1.SchemeGroupVersion.WithKind("ReplicaSet")

func TestClaimPods(t *testing.T) {
	owner := rsOwner("owner-uid")
	selector := labels.SelectorFromSet(labels.Set{"app": "web"})
	web := map[string]string{"app": "web"}
	orphan := pod("orphan", func(p *corev1.Pod) { p.Labels = web })
	owned := pod("owned", func(p *corev1.Pod) {
		p.Labels = web
		p.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(owner, rsKind)}
	})
	mismatched := pod("mismatched", func(p *corev1.Pod) {
		p.Labels = map[string]string{"app": "other"}
		p.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(owner, rsKind)}
	})
	foreign := pod("foreign", func(p *corev1.Pod) {
		p.Labels = web
		p.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(rsOwner("other"), rsKind)}
	})
	terminatingOrphan := pod("terminating", func(p *corev1.Pod) {
		p.Labels = web
		p.DeletionTimestamp = ptr.To(metav1.NewTime(t0))
	})
	all := []*corev1.Pod{orphan, owned, mismatched, foreign, terminatingOrphan}

	fresh := func(mut func(*v1alpha1.ReplicaSet)) func(context.Context) (metav1.Object, error) {
		return func(context.Context) (metav1.Object, error) {
			rs := owner.DeepCopy()
			mut(rs)
			return rs, nil
		}
	}
	tests := []struct {
		name        string
		fresh       func(*v1alpha1.ReplicaSet)
		wantClaimed []string
		wantErr     string
		wantPatched []string
	}{
		{"adopts and releases", func(*v1alpha1.ReplicaSet) {}, []string{"orphan", "owned"}, "", []string{"mismatched", "orphan"}},
		{"owner replaced", func(rs *v1alpha1.ReplicaSet) { rs.UID = "new-uid" }, []string{"owned"}, "was replaced", []string{"mismatched"}},
		{"owner deleting", func(rs *v1alpha1.ReplicaSet) { rs.DeletionTimestamp = ptr.To(metav1.NewTime(t0)) }, []string{"owned"}, "has just been deleted", []string{"mismatched"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ctx := ktesting.NewTestContext(t)
			client := kubefake.NewClientset()
			client.PrependReactor("patch", "pods", func(clienttesting.Action) (bool, runtime.Object, error) {
				return true, &corev1.Pod{}, nil
			})
			var rereads atomic.Int32
			get := fresh(tc.fresh)
			m := NewPodControllerRefManager(client, owner, rsKind, selector, FreshOwnerCheck(owner, func(ctx context.Context) (metav1.Object, error) {
				rereads.Add(1)
				return get(ctx)
			}))
			claimed, err := m.ClaimPods(ctx, all)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error = %v, want %q", err, tc.wantErr)
			}
			var names, patched []string
			for _, p := range claimed {
				names = append(names, p.Name)
			}
			for _, a := range client.Actions() {
				patched = append(patched, a.(clienttesting.PatchAction).GetName())
			}
			sort.Strings(names)
			sort.Strings(patched)
			if fmt.Sprint(names) != fmt.Sprint(tc.wantClaimed) || fmt.Sprint(patched) != fmt.Sprint(tc.wantPatched) {
				t.Errorf("claimed %v patched %v; want %v and %v", names, patched, tc.wantClaimed, tc.wantPatched)
			}
			if rereads.Load() != 1 {
				t.Errorf("owner re-read %d times, want once", rereads.Load())
			}
		})
	}

	t.Run("owner being deleted neither adopts nor releases", func(t *testing.T) {
		_, ctx := ktesting.NewTestContext(t)
		client := kubefake.NewClientset()
		deleting := owner.DeepCopy()
		deleting.DeletionTimestamp = ptr.To(metav1.NewTime(t0))
		m := NewPodControllerRefManager(client, deleting, rsKind, selector, func(context.Context) error {
			t.Error("re-read for an owner being deleted")
			return nil
		})
		claimed, err := m.ClaimPods(ctx, all)
		if err != nil || len(claimed) != 1 || claimed[0].Name != "owned" || len(client.Actions()) != 0 {
			t.Errorf("claimed %v, err %v, actions %v", claimed, err, client.Actions())
		}
	})
}

func TestClaimReplicaSets(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	owner := &v1alpha1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "ns", UID: "d-uid"}}
	dKind := v1alpha1.SchemeGroupVersion.WithKind("Deployment")
	orphan := &v1alpha1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ns", UID: "a", Labels: map[string]string{"app": "web"}}}
	client := fake.NewSimpleClientset(orphan)
	m := NewReplicaSetControllerRefManager(client, owner, dKind, labels.SelectorFromSet(labels.Set{"app": "web"}),
		func(context.Context) error { return nil })
	claimed, err := m.ClaimReplicaSets(ctx, []*v1alpha1.ReplicaSet{orphan})
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claimed %v, %v", claimed, err)
	}
	patches := 0
	for _, a := range client.Actions() {
		if p, ok := a.(clienttesting.PatchAction); ok {
			patches++
			if !strings.Contains(string(p.GetPatch()), `"kind":"Deployment"`) {
				t.Errorf("patch %s", p.GetPatch())
			}
		}
	}
	if patches != 1 {
		t.Errorf("%d patches, want 1", patches)
	}
}

func TestWorkerRetryCap(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	q := workqueue.NewTypedRateLimitingQueue[string](workqueue.NewTypedItemExponentialFailureRateLimiter[string](0, 0))
	defer q.ShutDown()
	w := &Worker{Name: "test", Queue: q, MaxRetries: 3}
	boom := errors.New("boom")
	for i := range 3 {
		w.HandleErr(ctx, "k", boom)
		if got := q.NumRequeues("k"); got != i+1 {
			t.Fatalf("after %d failures NumRequeues = %d", i+1, got)
		}
	}
	w.HandleErr(ctx, "k", boom)
	if got := q.NumRequeues("k"); got != 0 {
		t.Fatalf("key not dropped after the retry cap: NumRequeues = %d", got)
	}
	w.HandleErr(ctx, "j", boom)
	w.HandleErr(ctx, "j", nil)
	if got := q.NumRequeues("j"); got != 0 {
		t.Fatalf("success did not forget the key: NumRequeues = %d", got)
	}
}

func TestPodFromTemplate(t *testing.T) {
	owner := rsOwner("uid")
	tmpl := &corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "b"}}}
	ref := metav1.NewControllerRef(owner, rsKind)
	ref.BlockOwnerDeletion = nil
	p, err := PodFromTemplate(tmpl, owner, ref)
	if err != nil {
		t.Fatal(err)
	}
	got := p.OwnerReferences[0]
	if !*got.Controller || !*got.BlockOwnerDeletion || p.GenerateName != "rs-" || p.Labels["a"] != "b" {
		t.Errorf("pod = %+v", p.ObjectMeta)
	}
	p.Labels["a"] = "changed"
	if tmpl.Labels["a"] != "b" {
		t.Error("pod shares the template's label map")
	}
}

// Enqueue queues the key of an object and reports, through the caller's
// logger, an object without one.
func TestEnqueue(t *testing.T) {
	logger := ktesting.NewLogger(t, ktesting.NewConfig(ktesting.BufferLogs(true)))
	q := workqueue.NewTyped[string]()
	defer q.ShutDown()
	Enqueue(logger, q, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"}})
	Enqueue(logger, q, "not an object")
	if q.Len() != 1 {
		t.Fatalf("%d keys queued, want 1", q.Len())
	}
	if key, _ := q.Get(); key != "ns/p" {
		t.Errorf("queued %q, want ns/p", key)
	}
	underlier, ok := logger.GetSink().(ktesting.Underlier)
	if !ok {
		t.Fatalf("logger sink %T is not a ktesting.Underlier", logger.GetSink())
	}
	logged := underlier.GetBuffer().String()
	if !strings.Contains(logged, "Computing the queue key") || !strings.Contains(logged, `type="string"`) {
		t.Errorf("the keyless object was not reported through the logger; logged:\n%s", logged)
	}
}
