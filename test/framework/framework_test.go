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

package framework_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

func TestCluster(t *testing.T) {
	framework.SkipIfNoControlPlane(t)

	start := time.Now()
	c := framework.StartCluster(t, framework.Options{Nodes: 3})
	t.Logf("cluster with 3 nodes started in %s", time.Since(start).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client := c.KubeClient()

	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) != 3 {
		t.Fatalf("want 3 nodes, got %d", len(nodes.Items))
	}
	for _, n := range nodes.Items {
		if n.Annotations[framework.AnnotationNodeMetricsPath] == "" {
			t.Errorf("node %s lacks the %s annotation", n.Name, framework.AnnotationNodeMetricsPath)
		}
		if cpu := n.Status.Allocatable.Cpu(); cpu.IsZero() {
			t.Errorf("node %s has no allocatable cpu", n.Name)
		}
	}

	out, _, err := c.Kubectl("version", "-o", "yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "gitVersion: v1.37.2") {
		t.Errorf("kubectl version: want v1.37.2 for client and server, got:\n%s", out)
	}

	t.Run("pod runs on a kwok node", func(t *testing.T) {
		pod := testPod("plain", nil, nil)
		created, err := client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := waitForPod(ctx, t, client, created.Name, func(p *corev1.Pod) bool {
			return p.Status.Phase == corev1.PodRunning && podReady(p)
		})
		if !strings.HasPrefix(got.Spec.NodeName, framework.NodeNamePrefix) {
			t.Errorf("pod scheduled to %q, want a kwok node", got.Spec.NodeName)
		}
		if got.Status.PodIP == "" {
			t.Errorf("pod has no IP")
		}
	})

	t.Run("job pod succeeds", func(t *testing.T) {
		pod := testPod("job-ok", jobOwner("ok"), map[string]string{framework.AnnotationSucceedAfter: "1s"})
		created, err := client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := waitForPod(ctx, t, client, created.Name, func(p *corev1.Pod) bool {
			return p.Status.Phase == corev1.PodSucceeded
		})
		cs := got.Status.ContainerStatuses
		if len(cs) != 1 || cs[0].State.Terminated == nil || cs[0].State.Terminated.ExitCode != 0 || cs[0].State.Running != nil {
			t.Errorf("unexpected container statuses: %+v", cs)
		}
	})

	t.Run("job pod fails", func(t *testing.T) {
		pod := testPod("job-fail", jobOwner("fail"), map[string]string{
			framework.AnnotationSucceedAfter: "1s",
			framework.AnnotationFailAfter:    "0s",
			framework.AnnotationExitCode:     "3",
		})
		created, err := client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := waitForPod(ctx, t, client, created.Name, func(p *corev1.Pod) bool {
			return p.Status.Phase == corev1.PodFailed
		})
		cs := got.Status.ContainerStatuses
		if len(cs) != 1 || cs[0].State.Terminated == nil || cs[0].State.Terminated.ExitCode != 3 {
			t.Errorf("unexpected container statuses: %+v", cs)
		}
	})

	t.Run("pod never ready", func(t *testing.T) {
		pod := testPod("never-ready", nil, map[string]string{framework.AnnotationNeverReady: "true"})
		created, err := client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := waitForPod(ctx, t, client, created.Name, func(p *corev1.Pod) bool {
			return p.Status.Phase == corev1.PodRunning
		})
		if podReady(got) {
			t.Errorf("pod became ready")
		}
		// It stays that way: a plain pod created now becomes Ready, this one
		// must still be not Ready afterwards.
		probe := testPod("after-never-ready", nil, nil)
		probe, err = client.CoreV1().Pods("default").Create(ctx, probe, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		waitForPod(ctx, t, client, probe.Name, podReady)
		again, err := client.CoreV1().Pods("default").Get(ctx, created.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if podReady(again) {
			t.Errorf("pod became ready")
		}
	})

	// A deleted pod is terminated as by a kubelet: Failed, containers
	// exited 137, at once, or at the end of its grace period when it ignores
	// SIGTERM. A finalizer keeps the terminal pod to look at.
	t.Run("deleted pod is terminated", func(t *testing.T) {
		const holdFinalizer = "workloads.experimental.test/hold"
		terminated := func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodFailed }
		for _, tc := range []struct {
			name        string
			annotations map[string]string
			grace       int64
			atDeadline  bool
		}{
			{name: "stops-at-once", grace: 30},
			{name: "ignores-sigterm", annotations: map[string]string{framework.AnnotationIgnoreSIGTERM: "true"}, grace: 3, atDeadline: true},
		} {
			pod := testPod(tc.name, nil, tc.annotations)
			pod.Finalizers = []string{holdFinalizer}
			created, err := client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			waitForPod(ctx, t, client, created.Name, func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
			// The grace period ends this long after the delete request. (The
			// pod's deletionTimestamp says so only until the final delete
			// with grace period 0 moves it to that moment.)
			deadline := time.Now().Add(time.Duration(tc.grace) * time.Second)
			if err := client.CoreV1().Pods("default").Delete(ctx, created.Name, metav1.DeleteOptions{GracePeriodSeconds: &tc.grace}); err != nil {
				t.Fatal(err)
			}
			got := waitForPod(ctx, t, client, created.Name, terminated)
			cs := got.Status.ContainerStatuses
			if len(cs) != 1 || cs[0].State.Terminated == nil || cs[0].State.Terminated.ExitCode != 137 || cs[0].State.Terminated.Reason != "Error" || cs[0].State.Running != nil {
				t.Errorf("%s: unexpected container statuses: %+v", tc.name, cs)
			} else {
				// Timestamps have a resolution of one second.
				finished := cs[0].State.Terminated.FinishedAt.Time
				if tc.atDeadline && finished.Before(deadline.Add(-time.Second)) {
					t.Errorf("%s: containers finished at %s, before the grace period ended at %s", tc.name, finished, deadline)
				}
				if !tc.atDeadline && !finished.Before(deadline.Add(-20*time.Second)) {
					t.Errorf("%s: containers finished at %s, not at once (grace period ends at %s)", tc.name, finished, deadline)
				}
			}
			if _, err := client.CoreV1().Pods("default").Patch(ctx, created.Name, types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("add nodes", func(t *testing.T) {
		names, err := c.AddNodes(2, map[string]string{"pool": "extra"}, []corev1.Taint{{Key: "dedicated", Value: "extra", Effect: corev1.TaintEffectNoSchedule}})
		if err != nil {
			t.Fatal(err)
		}
		if len(names) != 2 {
			t.Fatalf("got %v", names)
		}
	})
}

func testPod(name string, owner *metav1.OwnerReference, annotations map[string]string) *corev1.Pod {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: name + "-", Annotations: annotations},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "main", Image: "registry.example/test:1"}},
		},
	}
	if owner != nil {
		pod.OwnerReferences = []metav1.OwnerReference{*owner}
	}
	return pod
}

// jobOwner is an owner reference to a Job that does not exist: the garbage
// collector would delete the pod once it notices, but not before the test is
// done with it (and the stages only look at the kind).
func jobOwner(name string) *metav1.OwnerReference {
	return &metav1.OwnerReference{APIVersion: "experimental/v1alpha1", Kind: "Job", Name: name, UID: "00000000-0000-0000-0000-000000000001"}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func waitForPod(ctx context.Context, t *testing.T, client kubernetes.Interface, name string, cond func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	var last *corev1.Pod
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		p, err := client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		last = p
		return cond(p), nil
	})
	if err != nil {
		t.Fatalf("waiting for pod %s: %v; last seen: %s", name, err, describe(last))
	}
	return last
}

func describe(p *corev1.Pod) string {
	if p == nil {
		return "<none>"
	}
	return fmt.Sprintf("node=%q phase=%s conditions=%+v containers=%+v", p.Spec.NodeName, p.Status.Phase, p.Status.Conditions, p.Status.ContainerStatuses)
}
