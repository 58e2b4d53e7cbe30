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
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

func TestReplicaSetScaleWithKubectl(t *testing.T) {
	e := sharedEnv(t)
	ns := e.namespace(t, "rs-scale")
	rs := e.newReplicaSet(t, ns, "web", 2)
	creations := e.watchPodCreations(t, ns)
	e.waitReplicaSetSettled(t, ns, "web", 2)

	e.kubectl(t, "-n", ns, "scale", "xrs/web", "--replicas=7")
	e.waitReplicaSetSettled(t, ns, "web", 7)
	pods, err := e.ownedPods(context.Background(), ns, rs.UID)
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]bool{}
	for _, p := range pods {
		nodes[p.Spec.NodeName] = true
		if !strings.HasPrefix(p.Name, "web-") || p.Labels["app"] != "web" {
			t.Errorf("pod %s labels %v not from the template", p.Name, p.Labels)
		}
	}
	if len(nodes) < 2 {
		t.Errorf("7 pods landed on %d node(s): %v", len(nodes), nodes)
	}

	e.kubectl(t, "-n", ns, "scale", "xrs/web", "--replicas=3")
	e.waitReplicaSetSettled(t, ns, "web", 3)
	// The columns of kubectl get follow the status.
	out := e.kubectl(t, "-n", ns, "get", "xrs", "web", "--no-headers")
	if f := strings.Fields(out); len(f) < 4 || f[1] != "3" || f[2] != "3" || f[3] != "3" {
		t.Errorf("kubectl get xrs: %q, want DESIRED CURRENT READY 3 3 3", out)
	}
	if n := creations.count(rs.UID); n != 7 {
		t.Errorf("%d pods were created for 2 → 7 → 3 replicas, want 7", n)
	}
	events := e.kubectl(t, "-n", ns, "get", "events", "--field-selector=involvedObject.kind=ReplicaSet,involvedObject.name=web", "-o", "custom-columns=REASON:.reason", "--no-headers")
	for _, want := range []string{"SuccessfulCreate", "SuccessfulDelete"} {
		if !strings.Contains(events, want) {
			t.Errorf("no %s event on the ReplicaSet; events: %s", want, events)
		}
	}
}

func TestReplicaSetAdoptsAndReleasesPods(t *testing.T) {
	e := sharedEnv(t)
	ns := e.namespace(t, "rs-adopt")
	ctx := context.Background()
	orphan := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "orphan", Namespace: ns, Labels: map[string]string{"app": "adopter"}},
		Spec:       podTemplate("adopter").Spec,
	}
	if _, err := e.c.KubeClient().CoreV1().Pods(ns).Create(ctx, orphan, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rs := e.newReplicaSet(t, ns, "adopter", 2)
	e.waitReplicaSetSettled(t, ns, "adopter", 2)
	got, err := e.c.KubeClient().CoreV1().Pods(ns).Get(ctx, "orphan", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the orphan was deleted instead of adopted: %v", err)
	}
	ref := metav1.GetControllerOf(got)
	if ref == nil || ref.UID != rs.UID || ref.Kind != "ReplicaSet" || ref.APIVersion != "experimental/v1alpha1" {
		t.Fatalf("orphan's controller = %+v, want the ReplicaSet", ref)
	}

	// A pod whose labels stop matching is released and replaced.
	e.kubectl(t, "-n", ns, "label", "pod", "orphan", "app=released", "--overwrite")
	poll(t, "the relabelled pod to be released", func(ctx context.Context) (bool, error) {
		p, err := e.c.KubeClient().CoreV1().Pods(ns).Get(ctx, "orphan", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return metav1.GetControllerOf(p) == nil, nil
	})
	e.waitReplicaSetSettled(t, ns, "adopter", 2)
	if _, err := e.c.KubeClient().CoreV1().Pods(ns).Get(ctx, "orphan", metav1.GetOptions{}); err != nil {
		t.Errorf("the released pod is gone: %v", err)
	}
}

func TestReplicaSetCascadingDelete(t *testing.T) {
	e := sharedEnv(t)
	ns := e.namespace(t, "rs-delete")
	rs := e.newReplicaSet(t, ns, "doomed", 4)
	e.waitReplicaSetSettled(t, ns, "doomed", 4)
	e.kubectl(t, "-n", ns, "delete", "xrs", "doomed", "--cascade=background")
	poll(t, "the ReplicaSet and its pods to be gone", func(ctx context.Context) (bool, error) {
		_, err := e.client.ExperimentalV1alpha1().ReplicaSets(ns).Get(ctx, "doomed", metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return false, nil
		}
		pods, err := e.ownedPods(ctx, ns, rs.UID)
		return err == nil && len(pods) == 0, err
	})
}

// TestControllerManagerRestartAndFailover stops workloads-controller-manager
// in the middle of a scale-up and checks the new instance finishes it
// without extra pods; then runs a second instance and checks that only the
// Lease holder acts and that the other takes over when the leader stops.
func TestControllerManagerRestartAndFailover(t *testing.T) {
	// A low client rate makes the scale-up take seconds, so the stop lands
	// in the middle of it.
	e := ownEnv(t, 2, "--kube-api-qps=8", "--kube-api-burst=8")
	ns := e.namespace(t, "rs-failover")
	ctx := context.Background()
	creations := e.watchPodCreations(t, ns)
	rs := e.newReplicaSet(t, ns, "web", 1)
	e.waitReplicaSetSettled(t, ns, "web", 1)

	e.kubectl(t, "-n", ns, "scale", "xrs/web", "--replicas=40")
	poll(t, "the scale-up to start", func(ctx context.Context) (bool, error) {
		pods, err := e.ownedPods(ctx, ns, rs.UID)
		return len(pods) > 1, err
	})
	if err := e.c.StopWorkloadsControllerManager(); err != nil {
		t.Fatal(err)
	}
	pods, err := e.ownedPods(ctx, ns, rs.UID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("controller manager stopped with %d of 40 pods", len(pods))
	if len(pods) >= 40 {
		t.Fatalf("the scale-up finished before the controller manager stopped; the restart was not exercised")
	}
	if err := e.c.StartWorkloadsControllerManager(); err != nil {
		t.Fatal(err)
	}
	e.waitReplicaSetSettled(t, ns, "web", 40)
	if n := creations.count(rs.UID); n != 40 {
		t.Fatalf("%d pods were created for 40 replicas across the restart", n)
	}

	// Leader election: the framework's instance holds the Lease.
	leaderLog := e.c.LogPath(framework.ComponentWorkloadsControllerManager)
	leader := leaderIdentity(t, leaderLog)
	poll(t, "the restarted instance to hold the Lease", func(ctx context.Context) (bool, error) {
		h, err := e.leaseHolder(ctx)
		return h == leader, err
	})
	standby := e.startExtraControllerManager(t, "workloads-controller-manager-2")
	standbyID := leaderIdentity(t, standby.logPath)
	if standbyID == leader {
		t.Fatalf("both instances use identity %s", leader)
	}
	e.kubectl(t, "-n", ns, "scale", "xrs/web", "--replicas=45")
	e.waitReplicaSetSettled(t, ns, "web", 45)
	if h, err := e.leaseHolder(ctx); err != nil || h != leader {
		t.Fatalf("Lease holder = %q (%v), want the first instance %q", h, err, leader)
	}
	if logContains(t, standby.logPath, "Became leader") || logContains(t, standby.logPath, "Started controller") {
		t.Fatalf("the standby instance started controllers while another held the Lease")
	}

	// The leader stops (releasing the Lease); the standby takes over.
	if err := e.c.StopWorkloadsControllerManager(); err != nil {
		t.Fatal(err)
	}
	poll(t, "the standby to acquire the Lease", func(ctx context.Context) (bool, error) {
		h, err := e.leaseHolder(ctx)
		return h == standbyID, err
	})
	e.kubectl(t, "-n", ns, "scale", "xrs/web", "--replicas=50")
	e.waitReplicaSetSettled(t, ns, "web", 50)
	if !logContains(t, standby.logPath, "Became leader") {
		t.Errorf("the standby reconciled without logging that it became leader")
	}
	if n := creations.count(rs.UID); n != 50 {
		t.Errorf("%d pods were created for 50 replicas across the failover", n)
	}
}
