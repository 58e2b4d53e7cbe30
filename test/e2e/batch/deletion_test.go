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

package batch

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	jobcontroller "github.com/kube-experimental/workloads-apiserver/pkg/controllers/job"
)

// deletionDeadline is how long a deletion may take on the local cluster: the
// kwok stages terminate a deleted pod at once, so this bounds only the
// controllers' and the namespace controller's work.
const deletionDeadline = 60 * time.Second

// trackedRunningPods waits until the Job counts n active pods and n of its
// pods are Running and carry the tracking finalizer.
func (e *env) trackedRunningPods(t *testing.T, job *v1alpha1.Job, n int32) {
	t.Helper()
	poll(t, fmt.Sprintf("%d running pods carrying the tracking finalizer", n), func(ctx context.Context) (bool, error) {
		cur, err := e.getJob(ctx, job.Namespace, job.Name)
		if err != nil || cur.Status.Active != n {
			return false, err
		}
		pods, err := e.ownedPods(ctx, job.Namespace, job.UID)
		if err != nil {
			return false, err
		}
		var tracked int32
		for _, p := range pods {
			if p.Status.Phase == corev1.PodRunning && slices.Contains(p.Finalizers, jobcontroller.TrackingFinalizer) {
				tracked++
			}
		}
		return tracked == n, nil
	})
}

// killedPods records, from a pod watch, which pods were seen terminated as a
// kubelet terminates a deleted pod: deletionTimestamp set, phase Failed, every
// container terminated with exit code 137.
type killedPods struct {
	mu     sync.Mutex
	killed map[string]bool
}

func (k *killedPods) observe(pods []*corev1.Pod) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, p := range pods {
		if p.DeletionTimestamp == nil || p.Status.Phase != corev1.PodFailed || len(p.Status.ContainerStatuses) == 0 {
			continue
		}
		all := true
		for _, cs := range p.Status.ContainerStatuses {
			if cs.State.Terminated == nil || cs.State.Terminated.ExitCode != 137 || cs.State.Terminated.Reason != "Error" {
				all = false
			}
		}
		if all {
			k.killed[p.Name] = true
		}
	}
}

func (k *killedPods) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.killed)
}

// TestNamespaceWithRunningJobPodsIsDeleted: a namespace holding every example
// object, among them a Job with a podFailurePolicy (so its pods are replaced
// only once Failed, and keep the tracking finalizer until they are terminal)
// with running pods, is deleted completely: the deleted pods are terminated
// as by a kubelet, the Job controller lets them go, and the namespace
// controller then deletes every experimental object.
func TestNamespaceWithRunningJobPodsIsDeleted(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ns := e.namespace(t, "ns-delete")
	ctx := context.Background()
	kill := &killedPods{killed: map[string]bool{}}
	e.watchPods(t, ns, kill.observe)

	out, errOut, err := e.c.Kubectl("apply", "-n", ns, "-f", filepath.Join(e.c.RepoRoot, "artifacts", "examples"))
	if err != nil {
		t.Fatalf("kubectl apply -f artifacts/examples: %v\n%s%s", err, out, errOut)
	}
	job, err := e.getJob(ctx, ns, "render")
	if err != nil {
		t.Fatal(err)
	}
	if got := ptr.Deref(job.Spec.PodReplacementPolicy, ""); got != v1alpha1.Failed {
		t.Fatalf("example Job podReplacementPolicy = %q, want %q (defaulted from its podFailurePolicy)", got, v1alpha1.Failed)
	}
	e.trackedRunningPods(t, job, 3)
	deploy, err := e.client.ExperimentalV1alpha1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "the example Deployment to be available", func(ctx context.Context) (bool, error) {
		d, err := e.client.ExperimentalV1alpha1().Deployments(ns).Get(ctx, deploy.Name, metav1.GetOptions{})
		return err == nil && d.Status.AvailableReplicas == ptr.Deref(d.Spec.Replicas, 1), err
	})
	pods, err := e.c.KubeClient().CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	running := 0
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodRunning {
			running++
		}
	}
	t.Logf("namespace %s holds %d pods (%d Running) before deletion", ns, len(pods.Items), running)

	began := time.Now()
	if err := e.c.KubeClient().CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	var phase corev1.NamespacePhase
	var conditions []corev1.NamespaceCondition
	pollFor(t, "namespace "+ns+" to be deleted", deletionDeadline, func(ctx context.Context) (bool, error) {
		n, err := e.c.KubeClient().CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		phase, conditions = n.Status.Phase, n.Status.Conditions
		return false, nil
	})
	t.Logf("namespace with %d pods deleted in %s (last seen %s %+v)", len(pods.Items), time.Since(began).Round(time.Millisecond), phase, conditions)
	if kill.count() < running {
		t.Errorf("%d pods seen terminated (Failed, exit code 137) before removal, want every one of the %d Running pods", kill.count(), running)
	}
	for _, kind := range []string{"deployments", "replicasets", "daemonsets", "jobs", "cronjobs", "horizontalpodautoscalers"} {
		list, err := e.client.ExperimentalV1alpha1().RESTClient().Get().Namespace(ns).Resource(kind).Do(ctx).Get()
		if err != nil {
			t.Errorf("listing %s: %v", kind, err)
			continue
		}
		if n := meta.LenList(list); n != 0 {
			t.Errorf("%d %s left in the deleted namespace", n, kind)
		}
	}
}

// TestJobDeletionReleasesTrackingFinalizers: a Job whose pods are replaced
// only once Failed, deleted while its pods run, with foreground and with
// background propagation, leaves no pod behind and none with the tracking
// finalizer.
func TestJobDeletionReleasesTrackingFinalizers(t *testing.T) {
	t.Parallel()
	for _, policy := range []metav1.DeletionPropagation{metav1.DeletePropagationForeground, metav1.DeletePropagationBackground} {
		t.Run(string(policy), func(t *testing.T) {
			t.Parallel()
			e := sharedEnv(t)
			ns := e.namespace(t, "job-propagation")
			ctx := context.Background()
			kill := &killedPods{killed: map[string]bool{}}
			e.watchPods(t, ns, kill.observe)

			job := newJob("long", 3, 3, succeedAfter("1h"))
			job.Spec.PodReplacementPolicy = ptr.To(v1alpha1.Failed)
			job = e.createJob(t, ns, job)
			e.trackedRunningPods(t, job, 3)

			began := time.Now()
			if err := e.client.ExperimentalV1alpha1().Jobs(ns).Delete(ctx, job.Name, metav1.DeleteOptions{PropagationPolicy: ptr.To(policy)}); err != nil {
				t.Fatal(err)
			}
			var left []corev1.Pod
			pollFor(t, "the Job and its pods to be gone", deletionDeadline, func(ctx context.Context) (bool, error) {
				_, err := e.getJob(ctx, ns, job.Name)
				if err != nil && !apierrors.IsNotFound(err) {
					return false, err
				}
				jobGone := apierrors.IsNotFound(err)
				left, err = e.ownedPods(ctx, ns, job.UID)
				return jobGone && len(left) == 0, err
			})
			t.Logf("%s deletion of a Job with 3 running pods done in %s", policy, time.Since(began).Round(time.Millisecond))
			e.expectNoTrackingFinalizers(t, ns)
			if kill.count() != 3 {
				t.Errorf("%d pods seen terminated (Failed, exit code 137) before removal, want 3", kill.count())
			}
		})
	}
}
