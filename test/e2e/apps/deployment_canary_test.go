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

package apps

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	informers "github.com/kube-experimental/workloads-apiserver/pkg/generated/informers/externalversions"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

// rsSizeEvent is a size of a ReplicaSet seen by the watch, with when.
type rsSizeEvent struct {
	at       time.Time
	image    string
	replicas int32
}

// rsSizeLog records every size of every ReplicaSet of a namespace, in
// watch order.
type rsSizeLog struct {
	mu     sync.Mutex
	events []rsSizeEvent
}

func (e *env) watchReplicaSetSizes(t *testing.T, ns string) *rsSizeLog {
	t.Helper()
	l := &rsSizeLog{}
	factory := informers.NewSharedInformerFactoryWithOptions(e.client, 0, informers.WithNamespace(ns))
	record := func(obj any) {
		rs, ok := obj.(*v1alpha1.ReplicaSet)
		if !ok {
			return
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.events = append(l.events, rsSizeEvent{at: time.Now(), image: rs.Spec.Template.Spec.Containers[0].Image, replicas: ptr.Deref(rs.Spec.Replicas, 1)})
	}
	reg, err := factory.Experimental().V1alpha1().ReplicaSets().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    record,
		UpdateFunc: func(_, cur any) { record(cur) },
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop); factory.Shutdown() })
	factory.Start(stop)
	if !cache.WaitForCacheSync(stop, reg.HasSynced) {
		t.Fatal("the ReplicaSet watch did not sync")
	}
	return l
}

// maxSize returns the largest size the ReplicaSets with image had in
// events before the time limit.
func (l *rsSizeLog) maxSize(image string, before time.Time) (int32, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var m int32
	n := 0
	for _, ev := range l.events {
		if ev.image == image && ev.at.Before(before) {
			m = max(m, ev.replicas)
			n++
		}
	}
	return m, n
}

// deployWaitCanary waits until the Deployment is paused at canary step
// index with want new pods available and returns it.
func (e *env) deployWaitCanary(t *testing.T, ns, name string, index int32, wantNew int32, timeout time.Duration) *v1alpha1.Deployment {
	t.Helper()
	var d *v1alpha1.Deployment
	var last string
	pollFor(t, fmt.Sprintf("Deployment %s/%s paused at canary step %d with %d new pods", ns, name, index, wantNew), timeout, func(ctx context.Context) (bool, error) {
		var err error
		d, err = e.client.ExperimentalV1alpha1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		st := d.Status.Canary
		last = fmt.Sprintf("canary=%+v status=%+v", st, d.Status)
		return st != nil && st.CurrentStepIndex == index && st.PauseStartTime != nil &&
			d.Status.UpdatedReplicas == wantNew && d.Status.AvailableReplicas == ptr.Deref(d.Spec.Replicas, 1) &&
			d.Status.Replicas == ptr.Deref(d.Spec.Replicas, 1), nil
	})
	t.Logf("at canary step %d: %s", index, last)
	return d
}

// TestDeploymentCanarySteps rolls a 10-replica Deployment out through
// 20% -> pause -> 50% -> pause 20s -> 100%: a watch on its ReplicaSets shows
// the new one never above the step's count before each promotion or pause
// expiry, a watch on its pods shows maxSurge/maxUnavailable hold
// throughout; promotion goes through the subresource, then (for a second
// rollout) the plugin; a user who may update Deployments but not create
// deployments/promote is Forbidden.
func TestDeploymentCanarySteps(t *testing.T) {
	e := sharedEnv(t)
	ns := e.namespace(t, "deploy-canary")
	const replicas = 10
	twenty, fifty, all := intstr.FromString("20%"), intstr.FromString("50%"), intstr.FromString("100%")
	steps := []v1alpha1.CanaryStep{
		{Replicas: &twenty},
		{Pause: &v1alpha1.CanaryPause{}},
		{Replicas: &fifty},
		{Pause: &v1alpha1.CanaryPause{Duration: &metav1.Duration{Duration: 20 * time.Second}}},
		{Replicas: &all},
	}
	e.deployNew(t, ns, "web", replicas, func(d *v1alpha1.Deployment) {
		deployRolling(intstr.FromString("25%"), intstr.FromString("25%"))(d)
		d.Spec.Strategy.Canary = &v1alpha1.CanaryStrategy{Steps: steps}
	})
	d := e.deployWaitComplete(t, ns, "web", 3*time.Minute)
	if st := d.Status.Canary; st == nil || st.CurrentStepIndex != int32(len(steps)) {
		t.Errorf("first rollout: canary status %+v, want the steps skipped", st)
	}

	sizes := e.watchReplicaSetSizes(t, ns)
	// maxSurge 25% of 10 = 3 (up), maxUnavailable 25% = 2 (down).
	sampler := e.deploySamplePods(t, ns, func(pods map[types.UID]*corev1.Pod) string {
		live, ready := 0, 0
		for _, p := range pods {
			if p.Labels["app"] != "web" || !deployPodLive(p) {
				continue
			}
			live++
			if podReady(p) {
				ready++
			}
		}
		switch {
		case live > replicas+3:
			return fmt.Sprintf("%d live pods, above replicas+maxSurge=%d", live, replicas+3)
		case ready < replicas-2:
			return fmt.Sprintf("%d ready pods, below replicas-maxUnavailable=%d", ready, replicas-2)
		}
		return ""
	})
	const v2 = "registry.example/app:2.0"
	e.deployUpdate(t, ns, "web", deploySetImage(v2))

	d = e.deployWaitCanary(t, ns, "web", 1, 2, 2*time.Minute)
	if c := deployCondition(d, v1alpha1.DeploymentProgressing); c == nil || c.Reason != "CanaryStepPaused" || c.Status != corev1.ConditionUnknown {
		t.Errorf("Progressing = %+v, want Unknown/CanaryStepPaused", c)
	}
	wide := e.kubectl(t, "-n", ns, "get", "xdeploy", "web", "-o", "wide", "--no-headers")
	if f := strings.Fields(wide); len(f) < 2 || f[len(f)-2] != "1/5" || f[len(f)-1] != "CanaryStepPaused" {
		t.Errorf("kubectl get -o wide: %q, want STEP 1/5 and ROLLOUT CanaryStepPaused", wide)
	}
	out, errOut, err := e.c.Plugin(t, "-n", ns, "rollout", "status", "deployment/web", "--watch=false")
	if err != nil || !strings.Contains(out, "paused at canary step 1 of 5") {
		t.Errorf("rollout status --watch=false: %v, %q %q", err, out, errOut)
	}
	explain := e.kubectl(t, "explain", "deployments.spec.strategy.canary.steps", "--api-version=experimental/v1alpha1")
	if !strings.Contains(explain, "pause") || !strings.Contains(explain, "rounded up") {
		t.Errorf("kubectl explain of the canary steps lacks their documentation:\n%s", explain)
	}
	out, errOut, err = e.c.Plugin(t, "-n", ns, "describe", "deployment/web")
	if err != nil || !strings.Contains(out, "CanarySteps:") || !strings.Contains(out, "Current step:") {
		t.Errorf("describe: %v, lacks the canary steps:\n%s%s", err, out, errOut)
	}

	t.Run("RBAC: update on deployments does not allow promote", func(t *testing.T) {
		_, err := e.c.KubeClient().RbacV1().Roles(ns).Create(context.Background(), &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: "deployment-updater"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{"experimental"}, Resources: []string{"deployments"},
				Verbs: []string{"get", "list", "watch", "update", "patch"}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.c.KubeClient().RbacV1().RoleBindings(ns).Create(context.Background(), &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "updater"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "updater"}},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "deployment-updater"},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		updaterClient, err := e.c.ClientAs("updater", "system:authenticated")
		if err != nil {
			t.Fatal(err)
		}
		updater := updaterClient.ExperimentalV1alpha1().Deployments(ns)
		// The binding counts once the updater may read the Deployment
		// (kube-apiserver's and our delegated authorizer's caches).
		pollFor(t, "the updater to be allowed get on deployments", pollTimeout, func(ctx context.Context) (bool, error) {
			_, err := updater.Get(ctx, "web", metav1.GetOptions{})
			if apierrors.IsForbidden(err) {
				return false, nil
			}
			return err == nil, err
		})
		_, err = updater.Promote(context.Background(), "web", &v1alpha1.DeploymentPromote{}, metav1.CreateOptions{})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "deployments/promote") {
			t.Errorf("promote as updater: want Forbidden on deployments/promote, got %v", err)
		}
		// The updater can still write the Deployment itself.
		if _, err := updater.Patch(context.Background(), "web", types.MergePatchType,
			[]byte(`{"metadata":{"annotations":{"owner":"updater"}}}`), metav1.PatchOptions{}); err != nil {
			t.Errorf("patch as updater: %v", err)
		}
	})
	if got, _ := e.client.ExperimentalV1alpha1().Deployments(ns).Get(context.Background(), "web", metav1.GetOptions{}); got.Status.Canary.CurrentStepIndex != 1 {
		t.Fatalf("the refused promotion moved the rollout to step %d", got.Status.Canary.CurrentStepIndex)
	}

	// The updater's annotation bumped the generation; promote refuses a
	// spec the controller has not observed (409), so wait for it.
	poll(t, "the controller to observe the annotated Deployment", func(ctx context.Context) (bool, error) {
		d, err := e.client.ExperimentalV1alpha1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		return err == nil && d.Status.ObservedGeneration == d.Generation, err
	})
	promotedAt := time.Now()
	d, err = e.client.ExperimentalV1alpha1().Deployments(ns).Promote(context.Background(), "web", &v1alpha1.DeploymentPromote{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("promote: %v", err)
	}
	if d.Status.Canary.CurrentStepIndex != 2 {
		t.Errorf("promote answered step %d, want 2", d.Status.Canary.CurrentStepIndex)
	}
	d = e.deployWaitCanary(t, ns, "web", 3, 5, 2*time.Minute)
	pauseEnd := d.Status.Canary.PauseEndTime
	if pauseEnd == nil || pauseEnd.Sub(d.Status.Canary.PauseStartTime.Time) != 20*time.Second {
		t.Fatalf("pause of step 3: %+v, want 20s", d.Status.Canary)
	}
	d = e.deployWaitComplete(t, ns, "web", 3*time.Minute)
	if st := d.Status.Canary; st.CurrentStepIndex != int32(len(steps)) {
		t.Errorf("after the rollout: step %d, want %d", st.CurrentStepIndex, len(steps))
	}

	// The watch: 2 until the promotion, 5 until the pause ended (stored
	// with second precision, hence the second of slack).
	if m, n := sizes.maxSize(v2, promotedAt); m != 2 || n == 0 {
		t.Errorf("new ReplicaSet before the promotion: max %d over %d events, want 2", m, n)
	}
	if m, _ := sizes.maxSize(v2, pauseEnd.Add(-time.Second)); m != 5 {
		t.Errorf("new ReplicaSet before the 20s pause ended: max %d, want 5", m)
	}
	errs, sampled := sampler.violations()
	t.Logf("sampled the pods after %d pod events", sampled)
	if sampled < 2*replicas {
		t.Errorf("only %d pod events sampled during a rollout of %d pods", sampled, replicas)
	}
	for _, msg := range errs {
		t.Errorf("bound exceeded %s", msg)
	}
	events := e.deployEventReasons(t, ns, "web")
	for _, want := range []string{"CanaryStepPaused", "CanaryStepCompleted"} {
		if !strings.Contains(events, want) {
			t.Errorf("no %s event: %s", want, events)
		}
	}

	// A second rollout, promoted to the end at once with the plugin.
	const v3 = "registry.example/app:3.0"
	e.deployUpdate(t, ns, "web", deploySetImage(v3))
	e.deployWaitCanary(t, ns, "web", 1, 2, 2*time.Minute)
	out, errOut, err = e.c.Plugin(t, "-n", ns, "rollout", "promote", "deployment/web", "--full")
	if err != nil || !strings.Contains(out, "promoted past its last canary step") {
		t.Fatalf("rollout promote --full: %v, %q %q", err, out, errOut)
	}
	d = e.deployWaitComplete(t, ns, "web", 3*time.Minute)
	if d.Spec.Template.Spec.Containers[0].Image != v3 {
		t.Errorf("image %s after the full promotion", d.Spec.Template.Spec.Containers[0].Image)
	}
	out, _, err = e.c.Plugin(t, "-n", ns, "rollout", "promote", "deployment/web")
	if err == nil {
		t.Errorf("promote of a finished rollout succeeded: %s", out)
	}
}

// TestDeploymentRollbackOnFailure: a template whose pods never become ready
// passes its progress deadline, and the controller returns to the previous
// template within deadline + 30s, with a Warning event and a
// RolledBackOnFailure condition naming the failed revision.
func TestDeploymentRollbackOnFailure(t *testing.T) {
	e := sharedEnv(t)
	ns := e.namespace(t, "deploy-autorollback")
	const deadline = 15
	e.deployNew(t, ns, "web", 4, func(d *v1alpha1.Deployment) {
		d.Spec.ProgressDeadlineSeconds = ptr.To[int32](deadline)
		d.Spec.RollbackOnFailure = &v1alpha1.DeploymentRollbackOnFailure{}
	})
	stable := e.deployWaitComplete(t, ns, "web", 3*time.Minute)
	stableImage := stable.Spec.Template.Spec.Containers[0].Image
	poll(t, "the stable template to be recorded", func(ctx context.Context) (bool, error) {
		d, err := e.client.ExperimentalV1alpha1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		return err == nil && d.Status.RollbackOnFailure != nil && d.Status.RollbackOnFailure.StablePodTemplateHash != "", err
	})

	updatedAt := time.Now()
	e.deployUpdate(t, ns, "web", func(d *v1alpha1.Deployment) {
		d.Spec.Template.Spec.Containers[0].Image = "registry.example/app:bad"
		d.Spec.Template.Annotations = map[string]string{framework.AnnotationNeverReady: "true"}
	})
	var d *v1alpha1.Deployment
	pollFor(t, "the automatic rollback", (deadline+30)*time.Second, func(ctx context.Context) (bool, error) {
		var err error
		d, err = e.client.ExperimentalV1alpha1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		c := deployCondition(d, v1alpha1.DeploymentRolledBackOnFailure)
		return c != nil && c.Status == corev1.ConditionTrue, nil
	})
	c := deployCondition(d, v1alpha1.DeploymentRolledBackOnFailure)
	if c.Reason != "ProgressDeadlineExceeded" || !strings.Contains(c.Message, "from revision 2") || !strings.Contains(c.Message, "to revision 1") {
		t.Errorf("RolledBackOnFailure = %s: %s", c.Reason, c.Message)
	}
	if img := d.Spec.Template.Spec.Containers[0].Image; img != stableImage {
		t.Errorf("template image %s after the rollback, want %s", img, stableImage)
	}
	remaining := time.Until(updatedAt.Add((deadline + 30) * time.Second))
	d = e.deployWaitComplete(t, ns, "web", max(remaining, time.Second))
	t.Logf("back on the previous template %v after the bad update", time.Since(updatedAt).Round(time.Second))
	if rb := d.Status.RollbackOnFailure; rb == nil || rb.FailedRevision != 2 || rb.FailedPodTemplateHash == "" {
		t.Errorf("status.rollbackOnFailure %+v", d.Status.RollbackOnFailure)
	}
	if events := e.deployEventReasons(t, ns, "web"); !strings.Contains(events, "RolledBackOnFailure") {
		t.Errorf("no RolledBackOnFailure event: %s", events)
	}
	out, errOut, err := e.c.Plugin(t, "-n", ns, "describe", "deployment/web")
	if err != nil || !strings.Contains(out, "RolledBackOnFailure:") {
		t.Errorf("describe lacks the rollback: %v\n%s%s", err, out, errOut)
	}
}

// TestDeploymentStuckScaleUpTimesOut: a complete Deployment scaled up to
// a pod that can never be scheduled reports ProgressDeadlineExceeded after
// progressDeadlineSeconds (upstream never does, kubernetes/kubernetes
// #106054), and is complete again once scaled back.
func TestDeploymentStuckScaleUpTimesOut(t *testing.T) {
	e := sharedEnv(t)
	ns := e.namespace(t, "deploy-stuck-scale")
	// Exactly one node carries the label, and the pods repel each other:
	// one pod fits, a second stays Pending.
	nodes, err := e.c.KubeClient().CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		t.Fatalf("listing nodes: %v", err)
	}
	node := nodes.Items[0].Name
	label := "deploy-stuck-scale.experimental.test/" + ns
	patch := fmt.Sprintf(`{"metadata":{"labels":{%q:"true"}}}`, label)
	if _, err := e.c.KubeClient().CoreV1().Nodes().Patch(context.Background(), node, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unpatch := fmt.Sprintf(`{"metadata":{"labels":{%q:null}}}`, label)
		_, _ = e.c.KubeClient().CoreV1().Nodes().Patch(context.Background(), node, types.MergePatchType, []byte(unpatch), metav1.PatchOptions{})
	})
	const deadline = 10
	e.deployNew(t, ns, "web", 1, func(d *v1alpha1.Deployment) {
		d.Spec.ProgressDeadlineSeconds = ptr.To[int32](deadline)
		d.Spec.Template.Spec.NodeSelector = map[string]string{label: "true"}
		d.Spec.Template.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
				TopologyKey:   corev1.LabelHostname,
			}},
		}}
	})
	e.deployWaitComplete(t, ns, "web", 2*time.Minute)

	scaledAt := time.Now()
	e.kubectl(t, "-n", ns, "scale", "xdeploy/web", "--replicas=2")
	var last *v1alpha1.DeploymentCondition
	pollFor(t, "Progressing=False/ProgressDeadlineExceeded after the scale-up", (deadline+30)*time.Second, func(ctx context.Context) (bool, error) {
		d, err := e.client.ExperimentalV1alpha1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		last = deployCondition(d, v1alpha1.DeploymentProgressing)
		return last != nil && last.Status == corev1.ConditionFalse && last.Reason == "ProgressDeadlineExceeded", nil
	})
	if elapsed := last.LastUpdateTime.Sub(scaledAt); elapsed < (deadline-1)*time.Second {
		t.Errorf("timed out %v after the scale-up, before the %ds deadline", elapsed, deadline)
	}
	e.kubectl(t, "-n", ns, "scale", "xdeploy/web", "--replicas=1")
	e.deployWaitComplete(t, ns, "web", 2*time.Minute)
}
