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

package deployment

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

func TestCreatesNewReplicaSet(t *testing.T) {
	d := newDeployment("web", 3, intstr.FromInt32(1), intstr.FromInt32(0))
	d.Annotations = map[string]string{"team": "blue", corev1.LastAppliedConfigAnnotation: "{}"}
	d.Spec.MinReadySeconds = 7
	f := newFixture(t, []*v1alpha1.Deployment{d}, nil, nil)
	f.mustSync(d)

	created := f.createdReplicaSets()
	if len(created) != 1 {
		t.Fatalf("created %d ReplicaSets, want 1", len(created))
	}
	rs := created[0]
	hash := computeHash(&d.Spec.Template, nil)
	if rs.Name != "web-"+hash {
		t.Errorf("name = %q, want web-%s", rs.Name, hash)
	}
	if rs.Labels[v1alpha1.DefaultDeploymentUniqueLabelKey] != hash || rs.Labels["app"] != "web" ||
		rs.Spec.Template.Labels[v1alpha1.DefaultDeploymentUniqueLabelKey] != hash ||
		rs.Spec.Selector.MatchLabels[v1alpha1.DefaultDeploymentUniqueLabelKey] != hash || rs.Spec.Selector.MatchLabels["app"] != "web" {
		t.Errorf("hash label missing: labels %v, template labels %v, selector %v", rs.Labels, rs.Spec.Template.Labels, rs.Spec.Selector)
	}
	if d.Spec.Template.Labels[v1alpha1.DefaultDeploymentUniqueLabelKey] != "" {
		t.Errorf("the Deployment's template was mutated")
	}
	ref := metav1.GetControllerOf(rs)
	if ref == nil || ref.UID != d.UID || ref.Kind != "Deployment" || ref.APIVersion != "experimental/v1alpha1" || !ptr.Deref(ref.BlockOwnerDeletion, false) {
		t.Errorf("controller ref = %+v", ref)
	}
	// maxSurge 1, maxUnavailable 0, no old pods: all 3 at once.
	if got := ptr.Deref(rs.Spec.Replicas, -1); got != 3 || rs.Spec.MinReadySeconds != 7 {
		t.Errorf("replicas %d minReadySeconds %d, want 3 and 7", got, rs.Spec.MinReadySeconds)
	}
	wantAnn := map[string]string{RevisionAnnotation: "1", DesiredReplicasAnnotation: "3", MaxReplicasAnnotation: "4", "team": "blue"}
	for k, v := range wantAnn {
		if rs.Annotations[k] != v {
			t.Errorf("annotation %s = %q, want %q", k, rs.Annotations[k], v)
		}
	}
	if _, ok := rs.Annotations[corev1.LastAppliedConfigAnnotation]; ok {
		t.Errorf("last-applied-configuration copied to the ReplicaSet")
	}
	stored := f.getDeployment(d)
	if stored.Annotations[RevisionAnnotation] != "1" {
		t.Errorf("deployment revision = %q, want 1", stored.Annotations[RevisionAnnotation])
	}
	cond := getCondition(stored.Status, v1alpha1.DeploymentProgressing)
	if cond == nil || cond.Status != corev1.ConditionTrue || cond.Reason != ReasonNewReplicaSetCreated || !strings.Contains(cond.Message, rs.Name) {
		t.Errorf("Progressing = %+v, want True/NewReplicaSetCreated", cond)
	}
	if a := getCondition(stored.Status, v1alpha1.DeploymentAvailable); a == nil || a.Status != corev1.ConditionFalse || a.Reason != ReasonMinimumReplicasUnavailable {
		t.Errorf("Available = %+v, want False/MinimumReplicasUnavailable", a)
	}
	if stored.Status.ObservedGeneration != 1 {
		t.Errorf("observedGeneration = %d", stored.Status.ObservedGeneration)
	}
	if ev := f.events(); !hasEvent(ev, ReasonScalingReplicaSet) || !strings.Contains(strings.Join(ev, "\n"), "Scaled up replica set "+rs.Name+" from 0 to 3") {
		t.Errorf("events = %v, want the scale-up", ev)
	}

	// The next sync (cache caught up) creates nothing more.
	f.refresh()
	f.mustSync(d)
	if n := len(f.createdReplicaSets()); n != 0 {
		t.Errorf("second sync created %d ReplicaSets", n)
	}
}

func TestCreateIsIdempotentWhenCacheIsBehind(t *testing.T) {
	d := newDeployment("web", 2, intstr.FromInt32(1), intstr.FromInt32(0))
	f := newFixture(t, []*v1alpha1.Deployment{d}, nil, nil)
	f.mustSync(d)
	// The informers have delivered neither the new ReplicaSet nor the
	// Deployment's status: the next sync tries the same create, which must
	// not count as a hash collision.
	err := f.sync(d)
	if err == nil || !strings.Contains(err.Error(), "not in the cache yet") {
		t.Fatalf("sync error = %v, want a retry until the cache has the ReplicaSet", err)
	}
	if got := ptr.Deref(f.getDeployment(d).Status.CollisionCount, 0); got != 0 {
		t.Errorf("collisionCount = %d for our own ReplicaSet", got)
	}
	// Only the ReplicaSet informer caught up: it is ours, with our template.
	rss, err := f.client.ExperimentalV1alpha1().ReplicaSets("default").List(f.ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.add(f.rsStore, &rss.Items[0])
	f.mustSync(d)
	if n := len(f.createdReplicaSets()); n != 0 {
		t.Errorf("created %d more ReplicaSets", n)
	}
	if got := ptr.Deref(f.getDeployment(d).Status.CollisionCount, 0); got != 0 {
		t.Errorf("collisionCount = %d for our own ReplicaSet", got)
	}
}

func TestHashCollisionBumpsCollisionCount(t *testing.T) {
	d := newDeployment("web", 2, intstr.FromInt32(1), intstr.FromInt32(0))
	hash := computeHash(&d.Spec.Template, nil)
	// Someone else's ReplicaSet holds the name the Deployment would use.
	squatter := &v1alpha1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-" + hash, Namespace: "default", UID: "squatter-uid", Labels: map[string]string{"app": "other"}},
		Spec: v1alpha1.ReplicaSetSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "other"}}},
		},
	}
	f := newFixture(t, []*v1alpha1.Deployment{d}, []*v1alpha1.ReplicaSet{squatter}, nil)
	err := f.sync(d)
	if err == nil || !apierrors.IsAlreadyExists(errors.Unwrap(err)) {
		t.Fatalf("sync error = %v, want the AlreadyExists of the collision", err)
	}
	stored := f.getDeployment(d)
	if got := ptr.Deref(stored.Status.CollisionCount, 0); got != 1 {
		t.Fatalf("collisionCount = %d, want 1", got)
	}
	f.refresh()
	f.mustSync(d)
	created := f.createdReplicaSets()
	if len(created) != 1 {
		t.Fatalf("created %d ReplicaSets after the collision, want 1", len(created))
	}
	newHash := computeHash(&d.Spec.Template, ptr.To[int32](1))
	if newHash == hash || created[0].Name != "web-"+newHash {
		t.Errorf("new ReplicaSet %q, want web-%s (a hash different from %s)", created[0].Name, newHash, hash)
	}
	if got := ptr.Deref(f.getDeployment(d).Status.CollisionCount, 0); got != 1 {
		t.Errorf("collisionCount after the retry = %d, want 1", got)
	}
}

// TestRollingUpdateRespectsBounds simulates a rollout: after every sync the
// "ReplicaSet controller" brings each ReplicaSet's pods to its size, and pods
// that existed before the sync become available. At every step the sizes
// must stay within replicas+maxSurge and the available pods at or above
// replicas-maxUnavailable, and the rollout must complete.
func TestRollingUpdateRespectsBounds(t *testing.T) {
	for _, tc := range []struct {
		replicas                       int32
		surge, unavailable             intstr.IntOrString
		wantMaxTotal, wantMinAvailable int32
	}{
		{5, intstr.FromInt32(1), intstr.FromInt32(0), 6, 5},
		{5, intstr.FromInt32(0), intstr.FromInt32(1), 5, 4},
		{10, intstr.FromString("25%"), intstr.FromString("25%"), 13, 8}, // surge rounds up, unavailable down
		{3, intstr.FromInt32(2), intstr.FromInt32(2), 5, 1},
		{4, intstr.FromString("50%"), intstr.FromString("0%"), 6, 4},
		{1, intstr.FromString("0%"), intstr.FromString("1%"), 1, 0}, // both round to 0: unavailable becomes 1
	} {
		t.Run(fmt.Sprintf("%d-surge-%s-unavailable-%s", tc.replicas, tc.surge.String(), tc.unavailable.String()), func(t *testing.T) {
			d := newDeployment("web", tc.replicas, tc.surge, tc.unavailable)
			old := newReplicaSetFor(d, "nginx:0", 1, tc.replicas, time.Hour)
			d.Spec.Template = podTemplate("nginx:1")
			d.Generation = 2
			f := newFixture(t, []*v1alpha1.Deployment{d}, []*v1alpha1.ReplicaSet{old}, nil)
			var newName string
			for step := 0; ; step++ {
				if step > 50 {
					t.Fatal("the rollout did not complete in 50 syncs")
				}
				f.clock.Step(time.Second)
				f.refresh()
				before := f.replicaSets()
				f.mustSync(d)
				after := f.replicaSets()
				var total, available int32
				for name, rs := range after {
					if rs.UID != old.UID {
						newName = name
					}
					total += rsReplicas(rs)
					// The ReplicaSet controller: pods follow the size; the
					// ones that existed before this step are available now.
					prev := int32(0)
					if b, ok := before[name]; ok {
						prev = b.Status.Replicas
					}
					avail := min(rsReplicas(rs), prev)
					available += avail
					f.setRSStatus(rs, rsReplicas(rs), avail)
				}
				if total > tc.wantMaxTotal {
					t.Fatalf("step %d: ReplicaSets sized %d in total, above replicas+maxSurge=%d", step, total, tc.wantMaxTotal)
				}
				if available < tc.wantMinAvailable {
					t.Fatalf("step %d: %d pods available, below replicas-maxUnavailable=%d", step, available, tc.wantMinAvailable)
				}
				newRS := after[newName]
				if newRS != nil && rsReplicas(newRS) == tc.replicas && newRS.Status.AvailableReplicas == tc.replicas &&
					rsReplicas(after[old.Name]) == 0 {
					break
				}
			}
			// One more sync sees the final state and reports completion.
			f.refresh()
			f.mustSync(d)
			stored := f.getDeployment(d)
			s := stored.Status
			if s.Replicas != tc.replicas || s.UpdatedReplicas != tc.replicas || s.AvailableReplicas != tc.replicas || s.UnavailableReplicas != 0 || s.ObservedGeneration != 2 {
				t.Errorf("final status %+v", s)
			}
			if c := getCondition(s, v1alpha1.DeploymentProgressing); c == nil || c.Reason != ReasonNewRSAvailable || c.Status != corev1.ConditionTrue {
				t.Errorf("Progressing = %+v, want NewReplicaSetAvailable", c)
			}
			if c := getCondition(s, v1alpha1.DeploymentAvailable); c == nil || c.Status != corev1.ConditionTrue || c.Reason != ReasonMinimumReplicasAvailable {
				t.Errorf("Available = %+v", c)
			}
			if stored.Annotations[RevisionAnnotation] != "2" {
				t.Errorf("deployment revision %q, want 2", stored.Annotations[RevisionAnnotation])
			}
		})
	}
}

func TestSurgeCountsPodsOfScaledDownReplicaSets(t *testing.T) {
	d := newDeployment("web", 5, intstr.FromInt32(1), intstr.FromInt32(0))
	old := newReplicaSetFor(d, "nginx:0", 1, 4, time.Hour)
	old.Status.Replicas, old.Status.AvailableReplicas, old.Status.ReadyReplicas = 5, 5, 5 // one pod not deleted yet
	d.Spec.Template = podTemplate("nginx:1")
	cur := newReplicaSetFor(d, "nginx:1", 2, 1, time.Minute)
	f := newFixture(t, []*v1alpha1.Deployment{d}, []*v1alpha1.ReplicaSet{old, cur}, nil)
	f.mustSync(d)
	if got := rsReplicas(f.replicaSets()[cur.Name]); got != 1 {
		t.Fatalf("new ReplicaSet scaled to %d while the old one still has 5 pods; 6 pods is the surge limit", got)
	}
	// The old pod is gone: the new ReplicaSet may grow.
	f.setRSStatus(f.replicaSets()[old.Name], 4, 4)
	f.refresh()
	f.mustSync(d)
	if got := rsReplicas(f.replicaSets()[cur.Name]); got != 2 {
		t.Fatalf("new ReplicaSet at %d after the old pod went away, want 2", got)
	}
}

func TestRecreateWaitsForOldPods(t *testing.T) {
	d := recreate(newDeployment("web", 3, intstr.IntOrString{}, intstr.IntOrString{}))
	old := newReplicaSetFor(d, "nginx:0", 1, 3, time.Hour)
	d.Spec.Template = podTemplate("nginx:1")
	pods := []*corev1.Pod{newPod("a", old, corev1.PodRunning), newPod("b", old, corev1.PodRunning), newPod("c", old, corev1.PodRunning)}
	f := newFixture(t, []*v1alpha1.Deployment{d}, []*v1alpha1.ReplicaSet{old}, pods)

	f.mustSync(d)
	if n := len(f.createdReplicaSets()); n != 0 {
		t.Fatalf("created a ReplicaSet while old pods run")
	}
	if got := rsReplicas(f.replicaSets()[old.Name]); got != 0 {
		t.Fatalf("old ReplicaSet at %d, want scaled to 0", got)
	}
	// The old ReplicaSet reports no replicas, but its pods are still
	// terminating.
	f.setRSStatus(f.replicaSets()[old.Name], 0, 0)
	for _, p := range pods {
		p = p.DeepCopy()
		p.DeletionTimestamp = ptr.To(metav1.NewTime(t0))
		if err := f.podStore.Update(p); err != nil {
			t.Fatal(err)
		}
	}
	f.refresh()
	f.mustSync(d)
	if n := len(f.createdReplicaSets()); n != 0 {
		t.Fatalf("created the new ReplicaSet while old pods terminate")
	}
	// A failed pod does not hold the rollout back.
	for _, name := range []string{"a", "b"} {
		obj, _, _ := f.podStore.GetByKey("default/" + name)
		if err := f.podStore.Delete(obj); err != nil {
			t.Fatal(err)
		}
	}
	failed := newPod("c", old, corev1.PodFailed)
	if err := f.podStore.Update(failed); err != nil {
		t.Fatal(err)
	}
	f.mustSync(d)
	created := f.createdReplicaSets()
	if len(created) != 1 || ptr.Deref(created[0].Spec.Replicas, 0) != 3 {
		t.Fatalf("created %v, want the new ReplicaSet with all 3 replicas", created)
	}
}

func TestProportionalSizes(t *testing.T) {
	base := t0.Add(-time.Hour)
	mk := func(name string, replicas, maxReplicasAnn int32, age time.Duration) *v1alpha1.ReplicaSet {
		return &v1alpha1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(base.Add(-age)),
				Annotations: map[string]string{MaxReplicasAnnotation: fmt.Sprint(maxReplicasAnn)}},
			Spec: v1alpha1.ReplicaSetSpec{Replicas: ptr.To(replicas)},
		}
	}
	for _, tc := range []struct {
		name               string
		replicas           int32
		surge, unavailable intstr.IntOrString
		sets               []*v1alpha1.ReplicaSet
		want               map[string]int32
	}{{
		// 10 replicas + 3 surge = 13 before; 20 + 3 = 23 after: +10 spread 8:5.
		name: "scale up", replicas: 20, surge: intstr.FromInt32(3), unavailable: intstr.FromInt32(0),
		sets: []*v1alpha1.ReplicaSet{mk("old", 8, 13, time.Hour), mk("new", 5, 13, 0)},
		want: map[string]int32{"old": 14, "new": 9},
	}, {
		name: "scale down", replicas: 5, surge: intstr.FromInt32(3), unavailable: intstr.FromInt32(0),
		sets: []*v1alpha1.ReplicaSet{mk("old", 8, 13, time.Hour), mk("new", 5, 13, 0)},
		want: map[string]int32{"old": 5, "new": 3},
	}, {
		name: "scale to zero", replicas: 0, surge: intstr.FromInt32(3), unavailable: intstr.FromInt32(0),
		sets: []*v1alpha1.ReplicaSet{mk("old", 8, 13, time.Hour), mk("new", 5, 13, 0)},
		want: map[string]int32{"old": 0, "new": 0},
	}, {
		// 25% of 40 is a surge of 10: 13 → 50, three sets of 6, 4 and 3.
		name: "percent surge", replicas: 40, surge: intstr.FromString("25%"), unavailable: intstr.FromInt32(0),
		sets: []*v1alpha1.ReplicaSet{mk("a", 6, 13, 2*time.Hour), mk("b", 4, 13, time.Hour), mk("c", 3, 13, 0)},
		want: map[string]int32{"a": 23, "b": 15, "c": 12},
	}, {
		// Equal shares round to nothing: the leftover goes to the newest
		// when scaling up ...
		name: "leftover up goes to newest", replicas: 4, surge: intstr.FromInt32(0), unavailable: intstr.FromInt32(1),
		sets: []*v1alpha1.ReplicaSet{mk("a", 1, 3, 2*time.Hour), mk("b", 1, 3, time.Hour), mk("c", 1, 3, 0)},
		want: map[string]int32{"a": 1, "b": 1, "c": 2},
	}, {
		// ... and is taken from the oldest when scaling down.
		name: "leftover down from oldest", replicas: 2, surge: intstr.FromInt32(0), unavailable: intstr.FromInt32(1),
		sets: []*v1alpha1.ReplicaSet{mk("a", 1, 3, 2*time.Hour), mk("b", 1, 3, time.Hour), mk("c", 1, 3, 0)},
		want: map[string]int32{"a": 0, "b": 1, "c": 1},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDeployment("web", tc.replicas, tc.surge, tc.unavailable)
			got := map[string]int32{}
			var sum int32
			for _, s := range proportionalSizes(d, tc.sets) {
				got[s.rs.Name] = s.size
				sum += s.size
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("sizes %v, want %v", got, tc.want)
			}
			if allowed := tc.replicas + maxSurge(d); tc.replicas > 0 && sum != allowed {
				t.Errorf("sizes add up to %d, want replicas+maxSurge = %d", sum, allowed)
			}
		})
	}
}

func TestScalingMidRolloutIsProportional(t *testing.T) {
	d := newDeployment("web", 10, intstr.FromInt32(3), intstr.FromInt32(2))
	old := newReplicaSetFor(d, "nginx:0", 1, 8, time.Hour)
	cur := newReplicaSetFor(d, "nginx:1", 2, 5, time.Minute)
	cur.Status.AvailableReplicas = 2
	d.Spec.Template = podTemplate("nginx:1")
	d.Spec.Replicas = ptr.To[int32](20) // the scaling event
	f := newFixture(t, []*v1alpha1.Deployment{d}, []*v1alpha1.ReplicaSet{old, cur}, nil)
	f.mustSync(d)
	got := f.replicaSets()
	if rsReplicas(got[old.Name]) != 14 || rsReplicas(got[cur.Name]) != 9 {
		t.Errorf("sizes old=%d new=%d, want 14 and 9", rsReplicas(got[old.Name]), rsReplicas(got[cur.Name]))
	}
	for _, rs := range got {
		if rs.Annotations[DesiredReplicasAnnotation] != "20" || rs.Annotations[MaxReplicasAnnotation] != "23" {
			t.Errorf("%s annotations %v, want desired 20, max 23", rs.Name, rs.Annotations)
		}
	}
}

func TestPausedDeploymentScalesButDoesNotRollOut(t *testing.T) {
	d := newDeployment("web", 3, intstr.FromInt32(1), intstr.FromInt32(0))
	old := newReplicaSetFor(d, "nginx:0", 1, 3, time.Hour)
	d.Spec.Template = podTemplate("nginx:1")
	d.Spec.Paused = true
	d.Spec.Replicas = ptr.To[int32](5)
	f := newFixture(t, []*v1alpha1.Deployment{d}, []*v1alpha1.ReplicaSet{old}, nil)
	f.mustSync(d)
	if n := len(f.createdReplicaSets()); n != 0 {
		t.Fatalf("paused Deployment created %d ReplicaSets", n)
	}
	if got := rsReplicas(f.replicaSets()[old.Name]); got != 5 {
		t.Errorf("paused Deployment did not scale: old ReplicaSet at %d, want 5", got)
	}
	stored := f.getDeployment(d)
	if c := getCondition(stored.Status, v1alpha1.DeploymentProgressing); c == nil || c.Reason != ReasonPaused || c.Status != corev1.ConditionUnknown {
		t.Errorf("Progressing = %+v, want Unknown/DeploymentPaused", c)
	}
	// The deadline does not run while paused.
	f.clock.Step(time.Hour)
	f.refresh()
	f.mustSync(d)
	if c := getCondition(f.getDeployment(d).Status, v1alpha1.DeploymentProgressing); c == nil || c.Reason != ReasonPaused {
		t.Errorf("Progressing after an hour paused = %+v", c)
	}
	if len(f.requeuedAfter) != 0 {
		t.Errorf("paused Deployment requeued for a deadline: %v", f.requeuedAfter)
	}

	// Resume: the rollout starts.
	resumed := f.getDeployment(d)
	resumed.Spec.Paused = false
	if _, err := f.client.ExperimentalV1alpha1().Deployments("default").Update(f.ctx, resumed, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	f.mustSync(d)
	created := f.createdReplicaSets()
	if len(created) != 1 || created[0].Spec.Template.Spec.Containers[0].Image != "nginx:1" {
		t.Fatalf("resumed Deployment created %v, want the new ReplicaSet", created)
	}
	var reasons []string
	for _, a := range f.actions("update", "deployments") {
		if a.GetSubresource() == "status" {
			if c := getCondition(a.(clienttesting.UpdateAction).GetObject().(*v1alpha1.Deployment).Status, v1alpha1.DeploymentProgressing); c != nil {
				reasons = append(reasons, c.Reason)
			}
		}
	}
	if len(reasons) < 2 || reasons[0] != ReasonResumed || reasons[1] != ReasonNewReplicaSetCreated {
		t.Errorf("Progressing reasons written %v, want DeploymentResumed then NewReplicaSetCreated", reasons)
	}
}

func TestRevisionHistoryCleanup(t *testing.T) {
	d := newDeployment("web", 2, intstr.FromInt32(1), intstr.FromInt32(0))
	d.Spec.RevisionHistoryLimit = ptr.To[int32](2)
	var rss []*v1alpha1.ReplicaSet
	for i := 1; i <= 5; i++ {
		rs := newReplicaSetFor(d, fmt.Sprintf("nginx:%d", i), i, 0, time.Duration(10-i)*time.Hour)
		rss = append(rss, rs)
	}
	// Revision 2 still has a terminating pod reported: kept.
	rss[1].Status.Replicas = 1
	cur := newReplicaSetFor(d, "nginx:6", 6, 2, time.Minute)
	d.Spec.Template = podTemplate("nginx:6")
	d.Annotations = map[string]string{RevisionAnnotation: "6"}
	rss = append(rss, cur)
	f := newFixture(t, []*v1alpha1.Deployment{d}, rss, nil)
	// The status says complete already.
	d.Status = v1alpha1.DeploymentStatus{ObservedGeneration: 1, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2, ReadyReplicas: 2}
	f.add(f.dStore, d)
	f.mustSync(d)
	var deleted []string
	for _, a := range f.actions("delete", "replicasets") {
		deleted = append(deleted, a.(clienttesting.DeleteAction).GetName())
	}
	sort.Strings(deleted)
	// 5 old, limit 2: the 3 oldest (revisions 1-3) go, but revision 2 has
	// pods.
	want := []string{rss[0].Name, rss[2].Name}
	sort.Strings(want)
	if fmt.Sprint(deleted) != fmt.Sprint(want) {
		t.Errorf("deleted %v, want %v (revisions 1 and 3)", deleted, want)
	}
	for _, name := range deleted {
		if name == cur.Name {
			t.Errorf("deleted the current ReplicaSet")
		}
	}
}

func TestRollback(t *testing.T) {
	for _, tc := range []struct {
		name        string
		to          int64
		wantImage   string
		wantReason  string
		wantMessage string
	}{
		{"to a revision", 1, "nginx:1", ReasonRollbackDone, `Rolled back deployment "web" to revision 1`},
		{"to the previous revision", 0, "nginx:2", ReasonRollbackDone, `Rolled back deployment "web" to revision 2`},
		{"revision not found", 7, "nginx:3", ReasonRollbackRevisionNotFound, "Unable to find the revision to rollback to."},
		{"template unchanged", 3, "nginx:3", ReasonRollbackTemplateUnchanged, "same template"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDeployment("web", 2, intstr.FromInt32(1), intstr.FromInt32(0))
			r1 := newReplicaSetFor(d, "nginx:1", 1, 0, 3*time.Hour)
			r1.Annotations["change-cause"] = "first"
			r2 := newReplicaSetFor(d, "nginx:2", 2, 0, 2*time.Hour)
			r3 := newReplicaSetFor(d, "nginx:3", 3, 2, time.Hour)
			d.Spec.Template = podTemplate("nginx:3")
			d.Annotations = map[string]string{RevisionAnnotation: "3", "change-cause": "third"}
			d.Spec.RollbackTo = &v1alpha1.RollbackConfig{Revision: tc.to}
			f := newFixture(t, []*v1alpha1.Deployment{d}, []*v1alpha1.ReplicaSet{r1, r2, r3}, nil)
			f.mustSync(d)
			stored := f.getDeployment(d)
			if stored.Spec.RollbackTo != nil {
				t.Errorf("spec.rollbackTo not cleared")
			}
			if img := stored.Spec.Template.Spec.Containers[0].Image; img != tc.wantImage {
				t.Errorf("template image %q, want %q", img, tc.wantImage)
			}
			if _, ok := stored.Spec.Template.Labels[v1alpha1.DefaultDeploymentUniqueLabelKey]; ok {
				t.Errorf("pod-template-hash copied into the Deployment's template")
			}
			if len(f.createdReplicaSets()) != 0 {
				t.Errorf("rollback created a ReplicaSet itself; the next syncs roll out")
			}
			events := f.events()
			if !hasEvent(events, tc.wantReason) || !strings.Contains(strings.Join(events, "\n"), tc.wantMessage) {
				t.Errorf("events %v, want %s %q", events, tc.wantReason, tc.wantMessage)
			}
			if tc.to == 1 && stored.Annotations["change-cause"] != "first" {
				t.Errorf("annotations %v, want those of revision 1", stored.Annotations)
			}
		})
	}

	t.Run("no previous revision", func(t *testing.T) {
		d := newDeployment("web", 2, intstr.FromInt32(1), intstr.FromInt32(0))
		only := newReplicaSetFor(d, "nginx:1", 1, 2, time.Hour)
		d.Spec.Template = podTemplate("nginx:1")
		d.Spec.RollbackTo = &v1alpha1.RollbackConfig{}
		f := newFixture(t, []*v1alpha1.Deployment{d}, []*v1alpha1.ReplicaSet{only}, nil)
		f.mustSync(d)
		if f.getDeployment(d).Spec.RollbackTo != nil {
			t.Errorf("spec.rollbackTo not cleared")
		}
		if ev := f.events(); !hasEvent(ev, ReasonRollbackRevisionNotFound) || !strings.Contains(strings.Join(ev, "\n"), "Unable to find last revision.") {
			t.Errorf("events %v", ev)
		}
	})
}

func TestRollbackThenRolloutReusesOldReplicaSet(t *testing.T) {
	d := newDeployment("web", 2, intstr.FromInt32(1), intstr.FromInt32(0))
	r1 := newReplicaSetFor(d, "nginx:1", 1, 0, 2*time.Hour)
	r2 := newReplicaSetFor(d, "nginx:2", 2, 2, time.Hour)
	d.Spec.Template = podTemplate("nginx:2")
	d.Annotations = map[string]string{RevisionAnnotation: "2"}
	d.Spec.RollbackTo = &v1alpha1.RollbackConfig{}
	f := newFixture(t, []*v1alpha1.Deployment{d}, []*v1alpha1.ReplicaSet{r1, r2}, nil)
	f.mustSync(d)
	f.refresh()
	f.mustSync(d)
	if n := len(f.createdReplicaSets()); n != 0 {
		t.Fatalf("created %d ReplicaSets rolling back to an existing one", n)
	}
	got := f.replicaSets()[r1.Name]
	if got.Annotations[RevisionAnnotation] != "3" || got.Annotations[RevisionHistoryAnnotation] != "1" {
		t.Errorf("revision %q history %q, want 3 and 1", got.Annotations[RevisionAnnotation], got.Annotations[RevisionHistoryAnnotation])
	}
}

func TestProgressDeadline(t *testing.T) {
	d := newDeployment("web", 2, intstr.FromInt32(1), intstr.FromInt32(0))
	d.Spec.ProgressDeadlineSeconds = ptr.To[int32](10)
	f := newFixture(t, []*v1alpha1.Deployment{d}, nil, nil)
	progressing := func() *v1alpha1.DeploymentCondition {
		t.Helper()
		c := getCondition(f.getDeployment(d).Status, v1alpha1.DeploymentProgressing)
		if c == nil {
			t.Fatal("no Progressing condition")
		}
		return c
	}
	step := func(d time.Duration) {
		f.clock.Step(d)
		f.refresh()
		f.requeuedAfter = map[string]time.Duration{}
		f.mustSync(newDeployment("web", 0, intstr.IntOrString{}, intstr.IntOrString{}))
	}
	f.mustSync(d)
	if c := progressing(); c.Reason != ReasonNewReplicaSetCreated || c.Status != corev1.ConditionTrue {
		t.Fatalf("Progressing = %+v", c)
	}
	rsName := f.createdReplicaSets()[0].Name

	// Pods are created: progress, and a check is scheduled for 10s (+1s)
	// after it.
	f.clock.Step(3 * time.Second)
	f.setRSStatus(f.replicaSets()[rsName], 2, 0)
	step(0)
	c := progressing()
	if c.Reason != ReasonReplicaSetUpdated || !c.LastUpdateTime.Time.Equal(t0.Add(3*time.Second)) || !c.LastTransitionTime.Time.Equal(t0) {
		t.Fatalf("Progressing after pods were created = %+v", c)
	}
	if got := f.requeuedAfter["default/web"]; got != 11*time.Second {
		t.Errorf("requeued after %v, want 11s", got)
	}
	// No progress, deadline not passed yet: nothing changes, requeued for
	// the rest.
	step(4 * time.Second)
	if c := progressing(); c.Reason != ReasonReplicaSetUpdated {
		t.Fatalf("Progressing before the deadline = %+v", c)
	}
	if got := f.requeuedAfter["default/web"]; got != 7*time.Second {
		t.Errorf("requeued after %v, want 7s", got)
	}
	// Past the deadline.
	step(7 * time.Second)
	c = progressing()
	if c.Status != corev1.ConditionFalse || c.Reason != ReasonTimedOut || !strings.Contains(c.Message, "timed out") {
		t.Fatalf("Progressing after the deadline = %+v", c)
	}
	if len(f.requeuedAfter) != 0 || len(f.rateLimited) != 0 {
		t.Errorf("requeued after timing out: %v %v", f.requeuedAfter, f.rateLimited)
	}
	if a := getCondition(f.getDeployment(d).Status, v1alpha1.DeploymentAvailable); a == nil || a.Status != corev1.ConditionFalse {
		t.Errorf("Available = %+v, want False", a)
	}
	// The pods finally become available: complete.
	f.setRSStatus(f.replicaSets()[rsName], 2, 2)
	step(time.Minute)
	c = progressing()
	if c.Status != corev1.ConditionTrue || c.Reason != ReasonNewRSAvailable {
		t.Fatalf("Progressing after the pods became available = %+v", c)
	}
	if a := getCondition(f.getDeployment(d).Status, v1alpha1.DeploymentAvailable); a == nil || a.Status != corev1.ConditionTrue || a.Reason != ReasonMinimumReplicasAvailable {
		t.Errorf("Available = %+v, want True", a)
	}
}

func TestReplicaFailureCopiedFromReplicaSet(t *testing.T) {
	d := newDeployment("web", 2, intstr.FromInt32(1), intstr.FromInt32(0))
	rs := newReplicaSetFor(d, "nginx:1", 1, 2, time.Hour)
	rs.Status.AvailableReplicas, rs.Status.ReadyReplicas, rs.Status.Replicas = 0, 0, 0
	rs.Status.Conditions = []v1alpha1.ReplicaSetCondition{{Type: v1alpha1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue,
		Reason: "FailedCreate", Message: "exceeded quota", LastTransitionTime: metav1.NewTime(t0)}}
	d.Spec.Template = podTemplate("nginx:1")
	f := newFixture(t, []*v1alpha1.Deployment{d}, []*v1alpha1.ReplicaSet{rs}, nil)
	f.mustSync(d)
	c := getCondition(f.getDeployment(d).Status, v1alpha1.DeploymentReplicaFailure)
	if c == nil || c.Status != corev1.ConditionTrue || c.Reason != "FailedCreate" || c.Message != "exceeded quota" {
		t.Fatalf("ReplicaFailure = %+v", c)
	}
	// The ReplicaSet recovers: the condition goes away.
	fixed := f.replicaSets()[rs.Name]
	fixed.Status.Conditions = nil
	if _, err := f.client.ExperimentalV1alpha1().ReplicaSets("default").UpdateStatus(f.ctx, fixed, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	f.mustSync(d)
	if c := getCondition(f.getDeployment(d).Status, v1alpha1.DeploymentReplicaFailure); c != nil {
		t.Errorf("ReplicaFailure not cleared: %+v", c)
	}
}

func TestAdoptsAndReleasesReplicaSets(t *testing.T) {
	d := newDeployment("web", 2, intstr.FromInt32(1), intstr.FromInt32(0))
	orphan := newReplicaSetFor(d, "nginx:1", 1, 2, time.Hour)
	orphan.OwnerReferences = nil
	relabelled := newReplicaSetFor(d, "nginx:0", 0, 0, 2*time.Hour)
	relabelled.Labels = map[string]string{"app": "moved"}
	foreign := newReplicaSetFor(d, "nginx:9", 0, 1, time.Hour)
	foreign.Name, foreign.UID = "foreign", "foreign-uid"
	foreign.OwnerReferences = []metav1.OwnerReference{{APIVersion: "experimental/v1alpha1", Kind: "Deployment", Name: "other", UID: "other-uid", Controller: ptr.To(true)}}
	d.Spec.Template = podTemplate("nginx:1")
	f := newFixture(t, []*v1alpha1.Deployment{d}, []*v1alpha1.ReplicaSet{orphan, relabelled, foreign}, nil)
	f.mustSync(d)
	patches := map[string]string{}
	for _, a := range f.actions("patch", "replicasets") {
		p := a.(clienttesting.PatchAction)
		patches[p.GetName()] = string(p.GetPatch())
	}
	if len(patches) != 2 {
		t.Fatalf("patched %v, want the orphan and the relabelled ReplicaSet", patches)
	}
	if p := patches[orphan.Name]; !strings.Contains(p, `"controller":true`) || !strings.Contains(p, string(d.UID)) {
		t.Errorf("adoption patch %s", p)
	}
	if p := patches[relabelled.Name]; !strings.Contains(p, `"$patch":"delete"`) {
		t.Errorf("release patch %s", p)
	}
	if len(f.actions("get", "deployments")) != 1 {
		t.Errorf("adoption did not re-read the Deployment")
	}
	// The adopted ReplicaSet has the template: it is the new one, nothing
	// is created.
	if n := len(f.createdReplicaSets()); n != 0 {
		t.Errorf("created %d ReplicaSets next to the adopted one", n)
	}
	if got := f.getDeployment(d).Status.Replicas; got != 2 {
		t.Errorf("status.replicas = %d, want the adopted ReplicaSet's 2", got)
	}
}

func TestNoAdoptionByDeletedDeployment(t *testing.T) {
	d := newDeployment("web", 2, intstr.FromInt32(1), intstr.FromInt32(0))
	orphan := newReplicaSetFor(d, "nginx:1", 1, 2, time.Hour)
	orphan.OwnerReferences = nil
	f := newFixture(t, []*v1alpha1.Deployment{d}, []*v1alpha1.ReplicaSet{orphan}, nil)
	f.client.PrependReactor("get", "deployments", func(clienttesting.Action) (bool, runtime.Object, error) {
		fresh := d.DeepCopy()
		fresh.UID = "replacement-uid"
		return true, fresh, nil
	})
	err := f.sync(d)
	if err == nil || !strings.Contains(err.Error(), "not adopting") {
		t.Fatalf("sync error %v, want a refused adoption", err)
	}
	if p := f.actions("patch", "replicasets"); len(p) != 0 {
		t.Errorf("patched %v", p)
	}
	if n := len(f.createdReplicaSets()); n != 0 {
		t.Errorf("created %d ReplicaSets after the claim failed", n)
	}
}

func TestWriteConflictIsReturnedForRetry(t *testing.T) {
	d := newDeployment("web", 2, intstr.FromInt32(1), intstr.FromInt32(0))
	f := newFixture(t, []*v1alpha1.Deployment{d}, nil, nil)
	f.client.PrependReactor("update", "deployments", func(a clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "experimental", Resource: "deployments"}, "web", errors.New("modified"))
	})
	if err := f.sync(d); err == nil || !apierrors.IsConflict(errors.Unwrap(err)) {
		t.Fatalf("sync error %v, want the conflict returned for a retry", err)
	}
}

func TestEventHandlersEnqueueTheOwner(t *testing.T) {
	d := recreate(newDeployment("web", 1, intstr.IntOrString{}, intstr.IntOrString{}))
	other := newDeployment("other", 1, intstr.FromInt32(1), intstr.FromInt32(0))
	other.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}}
	rs := newReplicaSetFor(d, "nginx:1", 1, 1, time.Hour)
	f := newFixture(t, []*v1alpha1.Deployment{d, other}, []*v1alpha1.ReplicaSet{rs}, nil)
	logger := klog.FromContext(f.ctx)
	drain := func() []string {
		var keys []string
		for f.c.queue.Len() > 0 {
			k, _ := f.c.queue.Get()
			f.c.queue.Done(k)
			f.c.queue.Forget(k)
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return keys
	}
	drain()

	f.c.addReplicaSet(logger, rs)
	if got := drain(); fmt.Sprint(got) != "[default/web]" {
		t.Errorf("owned ReplicaSet added: queued %v", got)
	}
	orphan := rs.DeepCopy()
	orphan.OwnerReferences = nil
	f.c.addReplicaSet(logger, orphan)
	if got := drain(); fmt.Sprint(got) != "[default/web]" {
		t.Errorf("orphan ReplicaSet added: queued %v, want the matching Deployment only", got)
	}
	// A pod of a Recreate Deployment goes away: the rollout may go on.
	f.c.deletePod(logger, newPod("p", rs, corev1.PodRunning))
	if got := drain(); fmt.Sprint(got) != "[default/web]" {
		t.Errorf("pod deleted: queued %v", got)
	}
	// The same for a RollingUpdate Deployment is not needed: its ReplicaSet
	// status changes instead.
	rolling := rs.DeepCopy()
	rolling.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(other, controllerKind)}
	f.add(f.rsStore, rolling)
	f.c.deletePod(logger, newPod("q", rolling, corev1.PodRunning))
	if got := drain(); len(got) != 0 {
		t.Errorf("pod of a RollingUpdate Deployment deleted: queued %v", got)
	}
}
