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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

const (
	deployRevisionAnnotation        = "deployment.kubernetes.io/revision"
	deployRevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
)

// deployNew creates a Deployment selecting app=<name> with image
// registry.example/app:1.0, after mutate.
func (e *env) deployNew(t *testing.T, ns, name string, replicas int32, mutate func(*v1alpha1.Deployment)) *v1alpha1.Deployment {
	t.Helper()
	d := &v1alpha1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: podTemplate(name),
		},
	}
	if mutate != nil {
		mutate(d)
	}
	created, err := e.client.ExperimentalV1alpha1().Deployments(ns).Create(context.Background(), d, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating Deployment %s/%s: %v", ns, name, err)
	}
	return created
}

func deployRolling(surge, unavailable intstr.IntOrString) func(*v1alpha1.Deployment) {
	return func(d *v1alpha1.Deployment) {
		d.Spec.Strategy = v1alpha1.DeploymentStrategy{
			Type:          v1alpha1.RollingUpdateDeploymentStrategyType,
			RollingUpdate: &v1alpha1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable},
		}
	}
}

// deployUpdate applies mutate to the stored Deployment, retrying conflicts.
func (e *env) deployUpdate(t *testing.T, ns, name string, mutate func(*v1alpha1.Deployment)) *v1alpha1.Deployment {
	t.Helper()
	var out *v1alpha1.Deployment
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := e.client.ExperimentalV1alpha1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		mutate(d)
		out, err = e.client.ExperimentalV1alpha1().Deployments(ns).Update(context.Background(), d, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("updating Deployment %s/%s: %v", ns, name, err)
	}
	return out
}

func deploySetImage(image string) func(*v1alpha1.Deployment) {
	return func(d *v1alpha1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = image }
}

func deployCondition(d *v1alpha1.Deployment, t v1alpha1.DeploymentConditionType) *v1alpha1.DeploymentCondition {
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == t {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}

// deployReplicaSets lists the ReplicaSets controlled by d.
func (e *env) deployReplicaSets(ctx context.Context, d *v1alpha1.Deployment) ([]v1alpha1.ReplicaSet, error) {
	list, err := e.client.ExperimentalV1alpha1().ReplicaSets(d.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []v1alpha1.ReplicaSet
	for _, rs := range list.Items {
		if metav1.IsControlledBy(&rs, d) {
			out = append(out, rs)
		}
	}
	return out, nil
}

// deployPods lists the pods of every ReplicaSet of d.
func (e *env) deployPods(ctx context.Context, d *v1alpha1.Deployment) ([]corev1.Pod, error) {
	sets, err := e.deployReplicaSets(ctx, d)
	if err != nil {
		return nil, err
	}
	var out []corev1.Pod
	for _, rs := range sets {
		pods, err := e.ownedPods(ctx, d.Namespace, rs.UID)
		if err != nil {
			return nil, err
		}
		out = append(out, pods...)
	}
	return out, nil
}

// deployWaitComplete waits until the Deployment's rollout is complete for
// its current generation: its status reports spec.replicas updated, ready
// and available pods, Progressing is NewReplicaSetAvailable, and exactly
// that many pods exist, all Running, Ready, with the Deployment's image and
// none terminating.
func (e *env) deployWaitComplete(t *testing.T, ns, name string, timeout time.Duration) *v1alpha1.Deployment {
	t.Helper()
	var d *v1alpha1.Deployment
	var last string
	pollFor(t, fmt.Sprintf("Deployment %s/%s to complete its rollout", ns, name), timeout, func(ctx context.Context) (bool, error) {
		var err error
		d, err = e.client.ExperimentalV1alpha1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		pods, err := e.deployPods(ctx, d)
		if err != nil {
			return false, err
		}
		want := ptr.Deref(d.Spec.Replicas, 1)
		image := d.Spec.Template.Spec.Containers[0].Image
		good := 0
		for i := range pods {
			p := &pods[i]
			if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning && podReady(p) && p.Spec.Containers[0].Image == image {
				good++
			}
		}
		s := d.Status
		progressing := deployCondition(d, v1alpha1.DeploymentProgressing)
		last = fmt.Sprintf("pods=%d good=%d status=%+v", len(pods), good, s)
		return s.ObservedGeneration == d.Generation && s.Replicas == want && s.UpdatedReplicas == want &&
			s.ReadyReplicas == want && s.AvailableReplicas == want && s.UnavailableReplicas == 0 &&
			progressing != nil && progressing.Reason == "NewReplicaSetAvailable" &&
			len(pods) == int(want) && good == int(want), nil
	})
	t.Logf("Deployment %s/%s complete: %s", ns, name, last)
	return d
}

// deployPodSampler follows every pod event of a namespace in order and
// checks a predicate on the set of pods after each one.
type deployPodSampler struct {
	mu   sync.Mutex
	pods map[types.UID]*corev1.Pod
	// armed is set once the handler received the initial list: the pods
	// are checked from then on.
	armed  bool
	events int
	check  func(pods map[types.UID]*corev1.Pod) string
	errs   []string
}

func (e *env) deploySamplePods(t *testing.T, ns string, check func(pods map[types.UID]*corev1.Pod) string) *deployPodSampler {
	t.Helper()
	s := &deployPodSampler{pods: map[types.UID]*corev1.Pod{}, check: check}
	factory := informers.NewSharedInformerFactoryWithOptions(e.c.KubeClient(), 0, informers.WithNamespace(ns))
	apply := func(p *corev1.Pod, deleted bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if deleted {
			delete(s.pods, p.UID)
		} else {
			s.pods[p.UID] = p
		}
		if !s.armed {
			return
		}
		s.events++
		if msg := s.check(s.pods); msg != "" && len(s.errs) < 10 {
			s.errs = append(s.errs, fmt.Sprintf("after pod event %d (%s): %s", s.events, p.Name, msg))
		}
	}
	reg, err := factory.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { apply(obj.(*corev1.Pod), false) },
		UpdateFunc: func(_, cur any) { apply(cur.(*corev1.Pod), false) },
		DeleteFunc: func(obj any) {
			if p, ok := obj.(*corev1.Pod); ok {
				apply(p, true)
			} else if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				if p, ok := tomb.Obj.(*corev1.Pod); ok {
					apply(p, true)
				}
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop); factory.Shutdown() })
	factory.Start(stop)
	if !cache.WaitForCacheSync(stop, reg.HasSynced) {
		t.Fatal("the pod sampler did not sync")
	}
	s.mu.Lock()
	s.armed = true
	if msg := s.check(s.pods); msg != "" {
		s.errs = append(s.errs, "before the change: "+msg)
	}
	s.mu.Unlock()
	return s
}

// violations returns the failed checks and how many events were sampled.
func (s *deployPodSampler) violations() ([]string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.errs...), s.events
}

func deployPodLive(p *corev1.Pod) bool {
	return p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed
}

func (e *env) deployEventReasons(t *testing.T, ns, name string) string {
	t.Helper()
	return e.kubectl(t, "-n", ns, "get", "events", "--field-selector=involvedObject.kind=Deployment,involvedObject.name="+name,
		"-o", "custom-columns=REASON:.reason,MESSAGE:.message", "--no-headers")
}

func TestDeploymentRollingUpdateBounds(t *testing.T) {
	e := sharedEnv(t)
	ns := e.namespace(t, "deploy-rolling")
	const replicas = 5
	e.deployNew(t, ns, "web", replicas, deployRolling(intstr.FromInt32(1), intstr.FromInt32(0)))
	e.deployWaitComplete(t, ns, "web", 3*time.Minute)
	// kubectl wait works on the Available condition.
	out := e.kubectl(t, "-n", ns, "wait", "--for=condition=Available", "xdeploy/web", "--timeout=60s")
	if !strings.Contains(out, "condition met") {
		t.Errorf("kubectl wait: %q", out)
	}

	creations := e.watchPodCreations(t, ns)
	// Bounds on the pods that actually exist, after every pod event: at most
	// replicas+maxSurge live pods, at least replicas-maxUnavailable ready.
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
		case live > replicas+1:
			return fmt.Sprintf("%d live pods, above replicas+maxSurge=%d", live, replicas+1)
		case ready < replicas:
			return fmt.Sprintf("%d ready pods, below replicas-maxUnavailable=%d", ready, replicas)
		}
		return ""
	})
	e.deployUpdate(t, ns, "web", deploySetImage("registry.example/app:2.0"))
	d := e.deployWaitComplete(t, ns, "web", 3*time.Minute)

	errs, sampled := sampler.violations()
	t.Logf("sampled the pods after %d pod events", sampled)
	if sampled < 2*replicas {
		t.Errorf("only %d pod events were sampled during a rollout of %d pods", sampled, replicas)
	}
	for _, msg := range errs {
		t.Errorf("bound exceeded %s", msg)
	}
	sets, err := e.deployReplicaSets(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 2 {
		t.Fatalf("%d ReplicaSets, want the old and the new one", len(sets))
	}
	for _, rs := range sets {
		image := rs.Spec.Template.Spec.Containers[0].Image
		hash := rs.Labels["pod-template-hash"]
		if hash == "" || rs.Name != "web-"+hash || rs.Spec.Selector.MatchLabels["pod-template-hash"] != hash {
			t.Errorf("ReplicaSet %s: pod-template-hash %q not in its name/selector", rs.Name, hash)
		}
		switch image {
		case "registry.example/app:2.0":
			if rs.Annotations[deployRevisionAnnotation] != "2" || ptr.Deref(rs.Spec.Replicas, -1) != replicas {
				t.Errorf("new ReplicaSet %s: revision %q replicas %d", rs.Name, rs.Annotations[deployRevisionAnnotation], ptr.Deref(rs.Spec.Replicas, -1))
			}
			if n := creations.count(rs.UID); n != replicas {
				t.Errorf("%d pods were created for the new ReplicaSet, want %d", n, replicas)
			}
		default:
			if rs.Annotations[deployRevisionAnnotation] != "1" || ptr.Deref(rs.Spec.Replicas, -1) != 0 {
				t.Errorf("old ReplicaSet %s: revision %q replicas %d", rs.Name, rs.Annotations[deployRevisionAnnotation], ptr.Deref(rs.Spec.Replicas, -1))
			}
		}
	}
	if d.Annotations[deployRevisionAnnotation] != "2" {
		t.Errorf("Deployment revision %q, want 2", d.Annotations[deployRevisionAnnotation])
	}
	if events := e.deployEventReasons(t, ns, "web"); !strings.Contains(events, "ScalingReplicaSet") {
		t.Errorf("no ScalingReplicaSet events: %s", events)
	}
}

func TestDeploymentRecreate(t *testing.T) {
	e := sharedEnv(t)
	ns := e.namespace(t, "deploy-recreate")
	d := e.deployNew(t, ns, "web", 3, func(d *v1alpha1.Deployment) {
		d.Spec.Strategy = v1alpha1.DeploymentStrategy{Type: v1alpha1.RecreateDeploymentStrategyType}
	})
	e.deployWaitComplete(t, ns, "web", 3*time.Minute)
	sampler := e.deploySamplePods(t, ns, func(pods map[types.UID]*corev1.Pod) string {
		var oldPods, newPods int
		for _, p := range pods {
			if p.Labels["app"] != "web" {
				continue
			}
			// Every new pod object counts. An old pod counts until it is
			// terminal: as upstream, Recreate waits for the old pods'
			// containers to stop (phase Failed or Succeeded), not for the
			// objects to be removed, which the kubelet does after that.
			if p.Spec.Containers[0].Image == "registry.example/app:2.0" {
				newPods++
			} else if p.Status.Phase != corev1.PodFailed && p.Status.Phase != corev1.PodSucceeded {
				oldPods++
			}
		}
		if oldPods > 0 && newPods > 0 {
			return fmt.Sprintf("%d new pods exist while %d old pods do", newPods, oldPods)
		}
		return ""
	})
	e.deployUpdate(t, ns, "web", deploySetImage("registry.example/app:2.0"))
	e.deployWaitComplete(t, ns, "web", 3*time.Minute)
	errs, sampled := sampler.violations()
	if sampled < 6 {
		t.Errorf("only %d pod events were sampled", sampled)
	}
	for _, msg := range errs {
		t.Errorf("Recreate overlap %s", msg)
	}
	sets, err := e.deployReplicaSets(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 2 {
		t.Errorf("%d ReplicaSets, want 2", len(sets))
	}
}

func TestDeploymentPauseResume(t *testing.T) {
	e := sharedEnv(t)
	ns := e.namespace(t, "deploy-pause")
	d := e.deployNew(t, ns, "web", 3, nil)
	e.deployWaitComplete(t, ns, "web", 3*time.Minute)

	e.kubectl(t, "-n", ns, "patch", "xdeploy/web", "--type=merge", "-p", `{"spec":{"paused":true}}`)
	paused := e.deployUpdate(t, ns, "web", deploySetImage("registry.example/app:2.0"))
	poll(t, "the paused Deployment to be observed", func(ctx context.Context) (bool, error) {
		got, err := e.client.ExperimentalV1alpha1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		c := deployCondition(got, v1alpha1.DeploymentProgressing)
		return got.Status.ObservedGeneration >= paused.Generation && c != nil && c.Reason == "DeploymentPaused" && c.Status == corev1.ConditionUnknown, nil
	})
	// Scaling still works while paused, with the old template.
	e.kubectl(t, "-n", ns, "scale", "xdeploy/web", "--replicas=4")
	poll(t, "the paused Deployment to scale to 4 old pods", func(ctx context.Context) (bool, error) {
		pods, err := e.deployPods(ctx, d)
		if err != nil {
			return false, err
		}
		n := 0
		for i := range pods {
			if deployPodLive(&pods[i]) && podReady(&pods[i]) {
				n++
			}
		}
		return n == 4, nil
	})
	sets, err := e.deployReplicaSets(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 1 {
		t.Fatalf("%d ReplicaSets while paused, want only the original", len(sets))
	}
	pods, err := e.deployPods(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods {
		if img := p.Spec.Containers[0].Image; img != "registry.example/app:1.0" {
			t.Errorf("pod %s runs %s while the Deployment is paused", p.Name, img)
		}
	}

	e.kubectl(t, "-n", ns, "patch", "xdeploy/web", "--type=merge", "-p", `{"spec":{"paused":false}}`)
	done := e.deployWaitComplete(t, ns, "web", 3*time.Minute)
	if got := ptr.Deref(done.Spec.Replicas, 0); got != 4 {
		t.Errorf("replicas %d after resume, want 4", got)
	}
}

func TestDeploymentRollback(t *testing.T) {
	e := sharedEnv(t)
	ns := e.namespace(t, "deploy-rollback")
	ctx := context.Background()
	d := e.deployNew(t, ns, "web", 2, nil)
	e.deployWaitComplete(t, ns, "web", 3*time.Minute)
	e.deployUpdate(t, ns, "web", deploySetImage("registry.example/app:2.0"))
	e.deployWaitComplete(t, ns, "web", 3*time.Minute)

	rollback := &v1alpha1.DeploymentRollback{Name: "web", RollbackTo: v1alpha1.RollbackConfig{Revision: 0}}
	if _, err := e.client.ExperimentalV1alpha1().Deployments(ns).Rollback(ctx, "web", rollback, metav1.CreateOptions{}); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	poll(t, "the rollback to be applied", func(ctx context.Context) (bool, error) {
		got, err := e.client.ExperimentalV1alpha1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return got.Spec.RollbackTo == nil && got.Spec.Template.Spec.Containers[0].Image == "registry.example/app:1.0", nil
	})
	done := e.deployWaitComplete(t, ns, "web", 3*time.Minute)
	if done.Annotations[deployRevisionAnnotation] != "3" {
		t.Errorf("revision after the rollback %q, want 3", done.Annotations[deployRevisionAnnotation])
	}
	sets, err := e.deployReplicaSets(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 2 {
		t.Errorf("%d ReplicaSets after rolling back, want the first one reused", len(sets))
	}
	for _, rs := range sets {
		if rs.Spec.Template.Spec.Containers[0].Image == "registry.example/app:1.0" &&
			(rs.Annotations[deployRevisionAnnotation] != "3" || rs.Annotations[deployRevisionHistoryAnnotation] != "1") {
			t.Errorf("reused ReplicaSet revision %q history %q, want 3 and 1", rs.Annotations[deployRevisionAnnotation], rs.Annotations[deployRevisionHistoryAnnotation])
		}
	}

	// A revision that does not exist: an event, and nothing changes.
	rollback.RollbackTo.Revision = 42
	if _, err := e.client.ExperimentalV1alpha1().Deployments(ns).Rollback(ctx, "web", rollback, metav1.CreateOptions{}); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	poll(t, "the rollback request to be cleared", func(ctx context.Context) (bool, error) {
		got, err := e.client.ExperimentalV1alpha1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		return err == nil && got.Spec.RollbackTo == nil, err
	})
	poll(t, "the rollback events", func(context.Context) (bool, error) {
		ev := e.deployEventReasons(t, ns, "web")
		return strings.Contains(ev, "DeploymentRollbackRevisionNotFound") && strings.Contains(ev, "DeploymentRollback ") &&
			strings.Contains(ev, "to revision 1"), nil
	})
	got, err := e.client.ExperimentalV1alpha1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img := got.Spec.Template.Spec.Containers[0].Image; img != "registry.example/app:1.0" {
		t.Errorf("image %s after a rollback to a missing revision", img)
	}
}

func TestDeploymentProgressDeadlineExceeded(t *testing.T) {
	e := sharedEnv(t)
	ns := e.namespace(t, "deploy-deadline")
	e.deployNew(t, ns, "stuck", 2, func(d *v1alpha1.Deployment) {
		d.Spec.ProgressDeadlineSeconds = ptr.To[int32](10)
		d.Spec.Template.Annotations = map[string]string{framework.AnnotationNeverReady: "true"}
	})
	var last *v1alpha1.DeploymentCondition
	pollFor(t, "Progressing=False/ProgressDeadlineExceeded", 90*time.Second, func(ctx context.Context) (bool, error) {
		d, err := e.client.ExperimentalV1alpha1().Deployments(ns).Get(ctx, "stuck", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		last = deployCondition(d, v1alpha1.DeploymentProgressing)
		return last != nil && last.Status == corev1.ConditionFalse && last.Reason == "ProgressDeadlineExceeded", nil
	})
	d, err := e.client.ExperimentalV1alpha1().Deployments(ns).Get(context.Background(), "stuck", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The deadline counts from the last progress: the pods were created.
	if elapsed := last.LastUpdateTime.Sub(d.CreationTimestamp.Time); elapsed < 10*time.Second {
		t.Errorf("timed out %v after creation, before the 10s deadline", elapsed)
	}
	if a := deployCondition(d, v1alpha1.DeploymentAvailable); a == nil || a.Status != corev1.ConditionFalse || a.Reason != "MinimumReplicasUnavailable" {
		t.Errorf("Available = %+v, want False/MinimumReplicasUnavailable", a)
	}
	if d.Status.Replicas != 2 || d.Status.ReadyReplicas != 0 || d.Status.UnavailableReplicas != 2 {
		t.Errorf("status %+v, want 2 pods, none ready", d.Status)
	}
}

// TestDeploymentControllerManagerRestartMidRollout stops
// workloads-controller-manager in the middle of a rollout and checks the
// restarted one finishes it without creating extra pods.
func TestDeploymentControllerManagerRestartMidRollout(t *testing.T) {
	e := ownEnv(t, 2)
	ns := e.namespace(t, "deploy-restart")
	// One pod at a time, so the rollout takes many steps.
	const replicas = 20
	d := e.deployNew(t, ns, "web", replicas, deployRolling(intstr.FromInt32(1), intstr.FromInt32(0)))
	e.deployWaitComplete(t, ns, "web", 3*time.Minute)
	creations := e.watchPodCreations(t, ns)
	e.deployUpdate(t, ns, "web", deploySetImage("registry.example/app:2.0"))
	poll(t, "the rollout to be under way", func(ctx context.Context) (bool, error) {
		pods, err := e.deployPods(ctx, d)
		if err != nil {
			return false, err
		}
		n := 0
		for _, p := range pods {
			if p.Spec.Containers[0].Image == "registry.example/app:2.0" {
				n++
			}
		}
		return n > 0, nil
	})
	if err := e.c.StopWorkloadsControllerManager(); err != nil {
		t.Fatal(err)
	}
	pods, err := e.deployPods(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	oldLive := 0
	for i := range pods {
		if deployPodLive(&pods[i]) && pods[i].Spec.Containers[0].Image != "registry.example/app:2.0" {
			oldLive++
		}
	}
	t.Logf("controller manager stopped with %d pods, %d of them old", len(pods), oldLive)
	if oldLive == 0 {
		t.Fatal("the rollout finished before the controller manager stopped; nothing was tested")
	}
	if err := e.c.StartWorkloadsControllerManager(); err != nil {
		t.Fatal(err)
	}
	e.deployWaitComplete(t, ns, "web", 3*time.Minute)
	sets, err := e.deployReplicaSets(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 2 {
		t.Fatalf("%d ReplicaSets, want 2", len(sets))
	}
	for _, rs := range sets {
		// The old ReplicaSet only shrinks: its count is the pods it had.
		if n := creations.count(rs.UID); n != replicas {
			t.Errorf("ReplicaSet %s (%s) had %d pods across the restart, want %d",
				rs.Name, rs.Spec.Template.Spec.Containers[0].Image, n, replicas)
		}
	}
}
