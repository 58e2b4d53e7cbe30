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
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	kubeinformers "k8s.io/client-go/informers"
	kubefake "k8s.io/client-go/kubernetes/fake"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned/fake"
	informers "github.com/kube-experimental/workloads-apiserver/pkg/generated/informers/externalversions"
)

// podInformer returns a pod informer of a fake clientset that is never
// started: tests fill its store directly, which keeps the indexes current
// as the informer would.
func podInformer(t *testing.T) cache.SharedIndexInformer {
	t.Helper()
	return kubeinformers.NewSharedInformerFactory(kubefake.NewClientset(), 0).Core().V1().Pods().Informer()
}

// indexedPod returns a pod in namespace ns; controller, when not empty, is
// the UID of its controller.
func indexedPod(ns, name string, controller types.UID, mut ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(ns + "-" + name),
		Labels: map[string]string{"app": "web"}}}
	if controller != "" {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "experimental/v1alpha1", Kind: "ReplicaSet",
			Name: "owner-" + string(controller), UID: controller, Controller: ptr.To(true)}}
	}
	for _, m := range mut {
		m(p)
	}
	return p
}

func ownerIn(ns string, uid types.UID) *v1alpha1.ReplicaSet {
	return &v1alpha1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "owner-" + string(uid), UID: uid}}
}

func podNames(pods []*corev1.Pod) []string {
	names := make([]string, 0, len(pods))
	for _, p := range pods {
		names = append(names, p.Namespace+"/"+p.Name)
	}
	slices.Sort(names)
	return names
}

func mustAdd(t *testing.T, store cache.Store, objs ...any) {
	t.Helper()
	for _, o := range objs {
		if err := store.Add(o); err != nil {
			t.Fatal(err)
		}
	}
}

func TestControllerIndexLookups(t *testing.T) {
	informer := podInformer(t)
	if err := AddControllerIndex(informer); err != nil {
		t.Fatal(err)
	}
	indexer := informer.GetIndexer()
	mustAdd(t, indexer,
		indexedPod("ns", "a-1", "a"),
		indexedPod("ns", "a-2", "a", func(p *corev1.Pod) { p.Labels = nil }), // owned, no longer matching: still a candidate (to be released)
		indexedPod("ns", "b-1", "b"),
		indexedPod("ns", "orphan", ""),
		// An owner reference that is not the controller leaves the pod an orphan.
		indexedPod("ns", "not-controller", "", func(p *corev1.Pod) {
			p.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "owner-a", UID: "a"}}
		}),
		indexedPod("other", "a-elsewhere", "a"), // same controller UID in another namespace
		indexedPod("other", "orphan", ""),
	)

	tests := []struct {
		name string
		list func() ([]*corev1.Pod, error)
		want []string
	}{{
		name: "controlled by a",
		list: func() ([]*corev1.Pod, error) { return ListControlledBy[*corev1.Pod](indexer, "ns", "a") },
		want: []string{"ns/a-1", "ns/a-2"},
	}, {
		name: "controlled by b",
		list: func() ([]*corev1.Pod, error) { return ListControlledBy[*corev1.Pod](indexer, "ns", "b") },
		want: []string{"ns/b-1"},
	}, {
		name: "controlled by an owner without pods",
		list: func() ([]*corev1.Pod, error) { return ListControlledBy[*corev1.Pod](indexer, "ns", "c") },
		want: []string{},
	}, {
		name: "claim candidates of a: its pods and the orphans of its namespace",
		list: func() ([]*corev1.Pod, error) { return ListClaimCandidates[*corev1.Pod](indexer, ownerIn("ns", "a")) },
		want: []string{"ns/a-1", "ns/a-2", "ns/not-controller", "ns/orphan"},
	}, {
		name: "claim candidates of a new owner: only orphans",
		list: func() ([]*corev1.Pod, error) { return ListClaimCandidates[*corev1.Pod](indexer, ownerIn("ns", "c")) },
		want: []string{"ns/not-controller", "ns/orphan"},
	}, {
		name: "claim candidates in another namespace",
		list: func() ([]*corev1.Pod, error) { return ListClaimCandidates[*corev1.Pod](indexer, ownerIn("other", "a")) },
		want: []string{"other/a-elsewhere", "other/orphan"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pods, err := tc.list()
			if err != nil {
				t.Fatal(err)
			}
			if got := podNames(pods); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestControllerIndexFollowsOwnershipChanges checks that adoption, release,
// a change of controller and deletion move a pod between index keys: a
// controller never sees a pod it lost, and always sees one it gained.
func TestControllerIndexFollowsOwnershipChanges(t *testing.T) {
	informer := podInformer(t)
	if err := AddControllerIndex(informer); err != nil {
		t.Fatal(err)
	}
	indexer := informer.GetIndexer()
	a, b := ownerIn("ns", "a"), ownerIn("ns", "b")
	check := func(step string, wantA, wantB, wantOrphans []string) {
		t.Helper()
		for _, c := range []struct {
			key  string
			uid  types.UID
			want []string
		}{{"a", a.UID, wantA}, {"b", b.UID, wantB}} {
			pods, err := ListControlledBy[*corev1.Pod](indexer, "ns", c.uid)
			if err != nil {
				t.Fatal(err)
			}
			if got := podNames(pods); !slices.Equal(got, c.want) {
				t.Errorf("%s: controlled by %s = %v, want %v", step, c.key, got, c.want)
			}
		}
		// Orphans are the candidates of b minus its own pods.
		cands, err := ListClaimCandidates[*corev1.Pod](indexer, b)
		if err != nil {
			t.Fatal(err)
		}
		var orphans []*corev1.Pod
		for _, p := range cands {
			if metav1.GetControllerOfNoCopy(p) == nil {
				orphans = append(orphans, p)
			}
		}
		if got := podNames(orphans); !slices.Equal(got, wantOrphans) {
			t.Errorf("%s: orphans = %v, want %v", step, got, wantOrphans)
		}
	}

	p := indexedPod("ns", "p", "")
	mustAdd(t, indexer, p)
	check("orphan", []string{}, []string{}, []string{"ns/p"})

	adopted := indexedPod("ns", "p", a.UID)
	if err := indexer.Update(adopted); err != nil {
		t.Fatal(err)
	}
	check("adopted by a", []string{"ns/p"}, []string{}, []string{})

	released := indexedPod("ns", "p", "")
	if err := indexer.Update(released); err != nil {
		t.Fatal(err)
	}
	check("released by a", []string{}, []string{}, []string{"ns/p"})

	if err := indexer.Update(indexedPod("ns", "p", b.UID)); err != nil {
		t.Fatal(err)
	}
	check("adopted by b", []string{}, []string{"ns/p"}, []string{})

	// A label change keeps the pod where it is.
	relabelled := indexedPod("ns", "p", b.UID, func(p *corev1.Pod) { p.Labels = map[string]string{"app": "db"} })
	if err := indexer.Update(relabelled); err != nil {
		t.Fatal(err)
	}
	check("relabelled", []string{}, []string{"ns/p"}, []string{})

	if err := indexer.Delete(relabelled); err != nil {
		t.Fatal(err)
	}
	check("deleted", []string{}, []string{}, []string{})
}

func TestAddControllerIndex(t *testing.T) {
	t.Run("indexes objects already cached and is idempotent", func(t *testing.T) {
		informer := podInformer(t)
		mustAdd(t, informer.GetIndexer(), indexedPod("ns", "a-1", "a"), indexedPod("ns", "orphan", ""))
		before := len(informer.GetIndexer().GetIndexers())
		for range 2 { // a second controller sharing the informer
			if err := AddControllerIndex(informer); err != nil {
				t.Fatalf("AddControllerIndex: %v", err)
			}
		}
		if n := len(informer.GetIndexer().GetIndexers()); n != before+1 {
			t.Errorf("%d indexers, want %d", n, before+1)
		}
		pods, err := ListClaimCandidates[*corev1.Pod](informer.GetIndexer(), ownerIn("ns", "a"))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := podNames(pods), []string{"ns/a-1", "ns/orphan"}; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("lookups without the index fail", func(t *testing.T) {
		informer := podInformer(t)
		_, err := ListControlledBy[*corev1.Pod](informer.GetIndexer(), "ns", "a")
		if err == nil || !strings.Contains(err.Error(), ControllerIndex) {
			t.Errorf("err = %v, want one naming %s", err, ControllerIndex)
		}
	})
	t.Run("a lookup of the wrong type fails", func(t *testing.T) {
		informer := podInformer(t)
		if err := AddControllerIndex(informer); err != nil {
			t.Fatal(err)
		}
		mustAdd(t, informer.GetIndexer(), indexedPod("ns", "a-1", "a"))
		if _, err := ListControlledBy[*v1alpha1.Job](informer.GetIndexer(), "ns", "a"); err == nil {
			t.Error("reading pods as Jobs succeeded")
		}
	})
}

// TestControllerIndexOnJobs checks the same index on another kind: the Jobs
// of a CronJob.
func TestControllerIndexOnJobs(t *testing.T) {
	informer := informers.NewSharedInformerFactory(fake.NewClientset(), 0).Experimental().V1alpha1().Jobs().Informer()
	if err := AddControllerIndex(informer); err != nil {
		t.Fatal(err)
	}
	cj := &v1alpha1.CronJob{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "cj", UID: "cj-uid"}}
	ref := *metav1.NewControllerRef(cj, v1alpha1.SchemeGroupVersion.WithKind("CronJob"))
	mustAdd(t, informer.GetIndexer(),
		&v1alpha1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "cj-1", OwnerReferences: []metav1.OwnerReference{ref}}},
		&v1alpha1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "manual"}},
	)
	jobs, err := ListControlledBy[*v1alpha1.Job](informer.GetIndexer(), "ns", cj.UID)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].Name != "cj-1" {
		t.Errorf("jobs of the CronJob = %v, want [cj-1]", jobs)
	}
}

// benchmarkNamespace fills a pod indexer with the pods of one owner and
// unrelated pods controlled by other owners, all in one namespace.
func benchmarkNamespace(b *testing.B, owned, unrelated int) (cache.SharedIndexInformer, *v1alpha1.ReplicaSet) {
	b.Helper()
	informer := kubeinformers.NewSharedInformerFactory(kubefake.NewClientset(), 0).Core().V1().Pods().Informer()
	if err := AddControllerIndex(informer); err != nil {
		b.Fatal(err)
	}
	owner := ownerIn("ns", "owner")
	owner.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	store := informer.GetIndexer()
	add := func(p *corev1.Pod) {
		if err := store.Add(p); err != nil {
			b.Fatal(err)
		}
	}
	for i := range owned {
		add(indexedPod("ns", fmt.Sprintf("owned-%d", i), owner.UID))
	}
	for i := range unrelated {
		// 100 pods per unrelated owner, with matching-looking labels.
		add(indexedPod("ns", fmt.Sprintf("unrelated-%d", i), types.UID(fmt.Sprintf("other-%d", i/100))))
	}
	return informer, owner
}

// BenchmarkSyncPodLookup measures what a ReplicaSet, Job or DaemonSet sync
// does to find its pods, with 100 pods of its own and 10 000 pods of other
// owners in the namespace: "namespace-list" is the lookup the syncs did
// before the index (list the namespace from the lister, keep the pods it
// controls and the orphans, claim them), "controller-index" is the one they
// do now. Both claim the same pods (no adoption is needed, so no API call
// is made). Compare the two in one run:
//
//	go test ./pkg/controllers/internal/controllerutil/ -run '^$' -bench BenchmarkSyncPodLookup -count 5
func BenchmarkSyncPodLookup(b *testing.B) {
	informer, owner := benchmarkNamespace(b, 100, 10000)
	selector, err := metav1.LabelSelectorAsSelector(owner.Spec.Selector)
	if err != nil {
		b.Fatal(err)
	}
	m := NewPodControllerRefManager(kubefake.NewClientset(), owner, v1alpha1.SchemeGroupVersion.WithKind("ReplicaSet"), selector, nil)
	ctx := b.Context()
	claim := func(b *testing.B, pods []*corev1.Pod) {
		claimed, err := m.ClaimPods(ctx, FilterActivePods(pods))
		if err != nil {
			b.Fatal(err)
		}
		if len(claimed) != 100 {
			b.Fatalf("claimed %d pods, want 100", len(claimed))
		}
	}
	b.Run("namespace-list", func(b *testing.B) {
		podLister := corelisters.NewPodLister(informer.GetIndexer())
		for b.Loop() {
			all, err := podLister.Pods(owner.Namespace).List(labels.Everything())
			if err != nil {
				b.Fatal(err)
			}
			var candidates []*corev1.Pod
			for _, p := range all {
				if ref := metav1.GetControllerOfNoCopy(p); ref == nil || ref.UID == owner.UID {
					candidates = append(candidates, p)
				}
			}
			claim(b, candidates)
		}
	})
	b.Run("controller-index", func(b *testing.B) {
		for b.Loop() {
			candidates, err := ListClaimCandidates[*corev1.Pod](informer.GetIndexer(), owner)
			if err != nil {
				b.Fatal(err)
			}
			claim(b, candidates)
		}
	})
}
