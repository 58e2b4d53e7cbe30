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

package apiserver

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	ac "github.com/kube-experimental/workloads-apiserver/pkg/generated/applyconfigurations/experimental/v1alpha1"
)

// typedClient is the shape every generated typed client of a kind with a
// status subresource has.
type typedClient[T any, L any, A any] interface {
	Create(ctx context.Context, obj *T, opts metav1.CreateOptions) (*T, error)
	Update(ctx context.Context, obj *T, opts metav1.UpdateOptions) (*T, error)
	UpdateStatus(ctx context.Context, obj *T, opts metav1.UpdateOptions) (*T, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
	Get(ctx context.Context, name string, opts metav1.GetOptions) (*T, error)
	List(ctx context.Context, opts metav1.ListOptions) (*L, error)
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
	Patch(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, subresources ...string) (*T, error)
	Apply(ctx context.Context, obj *A, opts metav1.ApplyOptions) (*T, error)
}

// kindCase drives the common lifecycle of one kind.
type kindCase[T any, PT interface {
	*T
	metav1.Object
	runtime.Object
}, L any, A any] struct {
	client typedClient[T, L, A]
	// newObj returns a valid object named name.
	newObj func(name string) PT
	// setStatus writes something recognisable into the status.
	setStatus func(PT)
	// statusSet reports whether setStatus's mark is present.
	statusSet func(PT) bool
	// changeSpec changes the spec in a valid way.
	changeSpec func(PT)
	// specPatch is a JSON merge patch that changes the spec validly.
	specPatch string
	// invalid breaks the object; invalidField is the field path expected in the error.
	invalid      func(PT)
	invalidField string
	// apply returns an apply configuration for name in ns.
	apply func(name, ns string) *A
}

func runLifecycle[T any, PT interface {
	*T
	metav1.Object
	runtime.Object
}, L any, A any](t *testing.T, kc kindCase[T, PT, L, A], ns string) {
	ctx := context.Background()

	w, err := kc.client.Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	defer w.Stop()

	// Create: status is dropped and the generation starts at 1.
	obj := kc.newObj("first")
	kc.setStatus(obj)
	created, err := kc.client.Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if PT(created).GetGeneration() != 1 {
		t.Errorf("generation after create = %d, want 1", PT(created).GetGeneration())
	}
	if kc.statusSet(created) {
		t.Errorf("create kept the status the client sent")
	}
	expectEvent(t, w, watch.Added, "first")

	// Invalid objects are rejected with a field path.
	bad := kc.newObj("bad")
	kc.invalid(bad)
	_, err = kc.client.Create(ctx, bad, metav1.CreateOptions{})
	expectInvalid(t, err, kc.invalidField)

	// Dry run stores nothing.
	if _, err := kc.client.Create(ctx, kc.newObj("dry"), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Fatalf("dry-run create: %v", err)
	}
	if _, err := kc.client.Get(ctx, "dry", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("dry-run create stored the object: %v", err)
	}

	// Get and list, with label and field selectors.
	if _, err := kc.client.Create(ctx, kc.newObj("second"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create second: %v", err)
	}
	expectEvent(t, w, watch.Added, "second")
	got, err := kc.client.Get(ctx, "first", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	expectNames(t, "list all", listNames(t, kc.client, metav1.ListOptions{}), "first", "second")
	expectNames(t, "list by label", listNames(t, kc.client, metav1.ListOptions{LabelSelector: "tier=web"}), "first", "second")
	expectNames(t, "list by other label", listNames(t, kc.client, metav1.ListOptions{LabelSelector: "tier=db"}))
	expectNames(t, "list by name", listNames(t, kc.client, metav1.ListOptions{FieldSelector: "metadata.name=second"}), "second")
	if _, err := kc.client.List(ctx, metav1.ListOptions{FieldSelector: "spec.nonsense=1"}); !apierrors.IsBadRequest(err) {
		t.Errorf("list with unsupported field selector: expected BadRequest, got %v", err)
	}
	page, err := kc.client.List(ctx, metav1.ListOptions{Limit: 1})
	if err != nil {
		t.Fatalf("list page: %v", err)
	}
	if lm, _ := meta.ListAccessor(any(page).(runtime.Object)); lm.GetContinue() == "" {
		t.Errorf("list with limit 1 of 2 objects returned no continue token")
	}

	// A label-only update keeps the generation; a spec update bumps it.
	PT(got).SetLabels(map[string]string{"tier": "web", "extra": "yes"})
	updated, err := kc.client.Update(ctx, got, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update labels: %v", err)
	}
	if g := PT(updated).GetGeneration(); g != 1 {
		t.Errorf("generation after label update = %d, want 1", g)
	}
	expectEvent(t, w, watch.Modified, "first")
	kc.changeSpec(updated)
	kc.setStatus(updated)
	updated, err = kc.client.Update(ctx, updated, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update spec: %v", err)
	}
	if g := PT(updated).GetGeneration(); g != 2 {
		t.Errorf("generation after spec update = %d, want 2", g)
	}
	if kc.statusSet(updated) {
		t.Errorf("update of the main resource changed the status")
	}
	expectEvent(t, w, watch.Modified, "first")

	// The status subresource writes only status: generation and labels stay.
	withStatus := PT(updated).DeepCopyObject().(PT)
	kc.setStatus(withStatus)
	withStatus.SetLabels(map[string]string{"changed": "by-status"})
	statusUpdated, err := kc.client.UpdateStatus(ctx, withStatus, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update status: %v", err)
	}
	if !kc.statusSet(statusUpdated) {
		t.Errorf("status update did not store the status")
	}
	if g := PT(statusUpdated).GetGeneration(); g != 2 {
		t.Errorf("generation after status update = %d, want 2", g)
	}
	if PT(statusUpdated).GetLabels()["changed"] != "" {
		t.Errorf("status update changed labels")
	}
	expectEvent(t, w, watch.Modified, "first")

	// Merge patch and strategic merge patch of the spec and metadata.
	patched, err := kc.client.Patch(ctx, "first", types.MergePatchType, []byte(kc.specPatch), metav1.PatchOptions{})
	if err != nil {
		t.Fatalf("merge patch: %v", err)
	}
	if g := PT(patched).GetGeneration(); g != 3 {
		t.Errorf("generation after spec patch = %d, want 3", g)
	}
	if !kc.statusSet(patched) {
		t.Errorf("spec patch lost the status")
	}
	patched, err = kc.client.Patch(ctx, "first", types.StrategicMergePatchType, []byte(`{"metadata":{"annotations":{"note":"strategic"}}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatalf("strategic merge patch: %v", err)
	}
	if PT(patched).GetAnnotations()["note"] != "strategic" {
		t.Errorf("strategic merge patch did not set the annotation")
	}

	// Server-side apply creates and then updates, tracking the manager.
	applied, err := kc.client.Apply(ctx, kc.apply("applied", ns), metav1.ApplyOptions{FieldManager: "integration-test"})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	managers := map[string]bool{}
	for _, mf := range PT(applied).GetManagedFields() {
		managers[mf.Manager] = true
	}
	if !managers["integration-test"] {
		t.Errorf("apply: managed fields %v do not name the field manager", managers)
	}
	if PT(applied).GetGeneration() != 1 {
		t.Errorf("apply-created generation = %d, want 1", PT(applied).GetGeneration())
	}

	// Delete, and the watch sees it.
	if err := kc.client.Delete(ctx, "second", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	for {
		ev := nextEvent(t, w)
		if ev.Type == watch.Deleted {
			if name := ev.Object.(metav1.Object).GetName(); name != "second" {
				t.Errorf("deleted event for %q, want second", name)
			}
			break
		}
	}
	if _, err := kc.client.Get(ctx, "second", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("get after delete: expected NotFound, got %v", err)
	}
}

func nextEvent(t *testing.T, w watch.Interface) watch.Event {
	t.Helper()
	select {
	case ev, ok := <-w.ResultChan():
		if !ok {
			t.Fatalf("watch closed")
		}
		return ev
	case <-time.After(30 * time.Second):
		t.Fatalf("no watch event within 30s")
	}
	return watch.Event{}
}

func expectEvent(t *testing.T, w watch.Interface, typ watch.EventType, name string) {
	t.Helper()
	ev := nextEvent(t, w)
	obj, ok := ev.Object.(metav1.Object)
	if ev.Type != typ || !ok || obj.GetName() != name {
		t.Fatalf("watch event = %s %v, want %s %s", ev.Type, ev.Object, typ, name)
	}
}

func expectInvalid(t *testing.T, err error, fieldPath string) {
	t.Helper()
	if !apierrors.IsInvalid(err) {
		t.Fatalf("expected Invalid error, got %v", err)
	}
	status, ok := err.(apierrors.APIStatus)
	if !ok || status.Status().Details == nil {
		t.Fatalf("invalid error without details: %v", err)
	}
	for _, c := range status.Status().Details.Causes {
		if c.Field == fieldPath {
			return
		}
	}
	t.Errorf("error %v has no cause for field %s", err, fieldPath)
}

func listNames[T any, L any, A any](t *testing.T, c typedClient[T, L, A], opts metav1.ListOptions) []string {
	t.Helper()
	list, err := c.List(context.Background(), opts)
	if err != nil {
		t.Fatalf("list %+v: %v", opts, err)
	}
	items, err := meta.ExtractList(any(list).(runtime.Object))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, item := range items {
		names = append(names, item.(metav1.Object).GetName())
	}
	return names
}

func expectNames(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func TestLifecycleOfEveryKind(t *testing.T) {
	s := startServer(t, map[string]string{"experimental/v1alpha1": "true"})
	c := s.Client.ExperimentalV1alpha1()
	ns := "default"

	t.Run("deployments", func(t *testing.T) {
		runLifecycle(t, kindCase[v1alpha1.Deployment, *v1alpha1.Deployment, v1alpha1.DeploymentList, ac.DeploymentApplyConfiguration]{
			client:       c.Deployments(ns),
			newObj:       newDeployment,
			setStatus:    func(d *v1alpha1.Deployment) { d.Status.Replicas, d.Status.ObservedGeneration = 7, 1 },
			statusSet:    func(d *v1alpha1.Deployment) bool { return d.Status.Replicas == 7 },
			changeSpec:   func(d *v1alpha1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "registry.example/app:2.0" },
			specPatch:    `{"spec":{"minReadySeconds":5}}`,
			invalid:      func(d *v1alpha1.Deployment) { d.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever },
			invalidField: "spec.template.spec.restartPolicy",
			apply:        func(name, ns string) *ac.DeploymentApplyConfiguration { return applyDeployment(name, ns, 2) },
		}, ns)
	})
	t.Run("replicasets", func(t *testing.T) {
		runLifecycle(t, kindCase[v1alpha1.ReplicaSet, *v1alpha1.ReplicaSet, v1alpha1.ReplicaSetList, ac.ReplicaSetApplyConfiguration]{
			client:       c.ReplicaSets(ns),
			newObj:       newReplicaSet,
			setStatus:    func(r *v1alpha1.ReplicaSet) { r.Status.Replicas = 7 },
			statusSet:    func(r *v1alpha1.ReplicaSet) bool { return r.Status.Replicas == 7 },
			changeSpec:   func(r *v1alpha1.ReplicaSet) { r.Spec.Replicas = ptr.To[int32](4) },
			specPatch:    `{"spec":{"replicas":5}}`,
			invalid:      func(r *v1alpha1.ReplicaSet) { r.Spec.Replicas = ptr.To[int32](-1) },
			invalidField: "spec.replicas",
			apply: func(name, ns string) *ac.ReplicaSetApplyConfiguration {
				return ac.ReplicaSet(name, ns).WithSpec(ac.ReplicaSetSpec().WithReplicas(1).
					WithSelector(metav1ac.LabelSelector().WithMatchLabels(map[string]string{"app": name})).
					WithTemplate(podTemplateApply(name, corev1.RestartPolicyAlways)))
			},
		}, ns)
	})
	t.Run("daemonsets", func(t *testing.T) {
		runLifecycle(t, kindCase[v1alpha1.DaemonSet, *v1alpha1.DaemonSet, v1alpha1.DaemonSetList, ac.DaemonSetApplyConfiguration]{
			client:       c.DaemonSets(ns),
			newObj:       newDaemonSet,
			setStatus:    func(d *v1alpha1.DaemonSet) { d.Status.DesiredNumberScheduled = 7 },
			statusSet:    func(d *v1alpha1.DaemonSet) bool { return d.Status.DesiredNumberScheduled == 7 },
			changeSpec:   func(d *v1alpha1.DaemonSet) { d.Spec.MinReadySeconds = 10 },
			specPatch:    `{"spec":{"minReadySeconds":3}}`,
			invalid:      func(d *v1alpha1.DaemonSet) { d.Spec.Template.Spec.Containers[0].Image = "" },
			invalidField: "spec.template.spec.containers[0].image",
			apply: func(name, ns string) *ac.DaemonSetApplyConfiguration {
				return ac.DaemonSet(name, ns).WithSpec(ac.DaemonSetSpec().
					WithSelector(metav1ac.LabelSelector().WithMatchLabels(map[string]string{"app": name})).
					WithTemplate(podTemplateApply(name, corev1.RestartPolicyAlways)))
			},
		}, ns)
	})
	t.Run("jobs", func(t *testing.T) {
		runLifecycle(t, kindCase[v1alpha1.Job, *v1alpha1.Job, v1alpha1.JobList, ac.JobApplyConfiguration]{
			client:       c.Jobs(ns),
			newObj:       newJob,
			setStatus:    func(j *v1alpha1.Job) { j.Status.Succeeded = 7 },
			statusSet:    func(j *v1alpha1.Job) bool { return j.Status.Succeeded == 7 },
			changeSpec:   func(j *v1alpha1.Job) { j.Spec.Parallelism = ptr.To[int32](3) },
			specPatch:    `{"spec":{"parallelism":1}}`,
			invalid:      func(j *v1alpha1.Job) { j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways },
			invalidField: "spec.template.spec.restartPolicy",
			apply: func(name, ns string) *ac.JobApplyConfiguration {
				return ac.Job(name, ns).WithSpec(ac.JobSpec().WithTemplate(podTemplateApply(name, corev1.RestartPolicyNever)))
			},
		}, ns)
	})
	t.Run("cronjobs", func(t *testing.T) {
		runLifecycle(t, kindCase[v1alpha1.CronJob, *v1alpha1.CronJob, v1alpha1.CronJobList, ac.CronJobApplyConfiguration]{
			client:       c.CronJobs(ns),
			newObj:       newCronJob,
			setStatus:    func(cj *v1alpha1.CronJob) { cj.Status.LastScheduleTime = &metav1.Time{Time: time.Unix(1700000000, 0)} },
			statusSet:    func(cj *v1alpha1.CronJob) bool { return cj.Status.LastScheduleTime != nil },
			changeSpec:   func(cj *v1alpha1.CronJob) { cj.Spec.Schedule = "@hourly" },
			specPatch:    `{"spec":{"suspend":true}}`,
			invalid:      func(cj *v1alpha1.CronJob) { cj.Spec.Schedule = "not a schedule" },
			invalidField: "spec.schedule",
			apply: func(name, ns string) *ac.CronJobApplyConfiguration {
				return ac.CronJob(name, ns).WithSpec(ac.CronJobSpec().WithSchedule("@daily").
					WithJobTemplate(ac.JobTemplateSpec().WithSpec(ac.JobSpec().WithTemplate(podTemplateApply(name, corev1.RestartPolicyOnFailure)))))
			},
		}, ns)
	})
	t.Run("horizontalpodautoscalers", func(t *testing.T) {
		runLifecycle(t, kindCase[v1alpha1.HorizontalPodAutoscaler, *v1alpha1.HorizontalPodAutoscaler, v1alpha1.HorizontalPodAutoscalerList, ac.HorizontalPodAutoscalerApplyConfiguration]{
			client:     c.HorizontalPodAutoscalers(ns),
			newObj:     newHPA,
			setStatus:  func(h *v1alpha1.HorizontalPodAutoscaler) { h.Status.DesiredReplicas = 7 },
			statusSet:  func(h *v1alpha1.HorizontalPodAutoscaler) bool { return h.Status.DesiredReplicas == 7 },
			changeSpec: func(h *v1alpha1.HorizontalPodAutoscaler) { h.Spec.MaxReplicas = 20 },
			specPatch:  `{"spec":{"maxReplicas":15}}`,
			invalid: func(h *v1alpha1.HorizontalPodAutoscaler) {
				h.Spec.MaxReplicas = 1
				h.Spec.MinReplicas = ptr.To[int32](3)
			},
			invalidField: "spec.maxReplicas",
			apply: func(name, ns string) *ac.HorizontalPodAutoscalerApplyConfiguration {
				return ac.HorizontalPodAutoscaler(name, ns).WithSpec(ac.HorizontalPodAutoscalerSpec().WithMaxReplicas(4).
					WithScaleTargetRef(ac.CrossVersionObjectReference().WithAPIVersion("experimental/v1alpha1").WithKind("Deployment").WithName("web")))
			},
		}, ns)
	})
}
