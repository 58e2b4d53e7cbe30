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

package ha

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	jobcontroller "github.com/kube-experimental/workloads-apiserver/pkg/controllers/job"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

// upstreamJobTrackingFinalizer is kube-controller-manager's Job tracking
// finalizer; our Job controller uses jobcontroller.TrackingFinalizer. Neither
// may be left on a pod.
const upstreamJobTrackingFinalizer = "batch.kubernetes.io/job-tracking"

// podTracker watches the pods of a namespace from the moment it starts and
// counts distinct pod UIDs, the most pods that existed at once and the most
// that were active (neither Succeeded nor Failed) at once.
type podTracker struct {
	mu        sync.Mutex
	live      map[types.UID]*corev1.Pod
	seen      map[types.UID]bool
	maxLive   int
	maxActive int
	err       error
	done      chan struct{}
}

type podWatch struct {
	client kubernetes.Interface
	ns     string
}

func (w podWatch) WatchWithContext(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	return w.client.CoreV1().Pods(w.ns).Watch(ctx, opts)
}

func trackPods(t *testing.T, ctx context.Context, client kubernetes.Interface, ns string) *podTracker {
	t.Helper()
	list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pt := &podTracker{live: map[types.UID]*corev1.Pod{}, seen: map[types.UID]bool{}, done: make(chan struct{})}
	for i := range list.Items {
		pt.observe(watch.Added, &list.Items[i])
	}
	rw, err := watchtools.NewRetryWatcherWithContext(ctx, list.ResourceVersion, podWatch{client: client, ns: ns})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(pt.done)
		defer rw.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-rw.ResultChan():
				if !ok {
					return
				}
				if ev.Type == watch.Error {
					pt.mu.Lock()
					pt.err = fmt.Errorf("pod watch: %v", ev.Object)
					pt.mu.Unlock()
					continue
				}
				if p, ok := ev.Object.(*corev1.Pod); ok {
					pt.observe(ev.Type, p)
				}
			}
		}
	}()
	return pt
}

func podActive(p *corev1.Pod) bool {
	return p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed
}

func (pt *podTracker) observe(typ watch.EventType, p *corev1.Pod) {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	switch typ {
	case watch.Added, watch.Modified:
		pt.live[p.UID] = p
		pt.seen[p.UID] = true
	case watch.Deleted:
		delete(pt.live, p.UID)
	default:
		return
	}
	active := 0
	for _, q := range pt.live {
		if podActive(q) {
			active++
		}
	}
	pt.maxLive = max(pt.maxLive, len(pt.live))
	pt.maxActive = max(pt.maxActive, active)
}

// counts returns the live pods, active pods, succeeded pods and distinct
// UIDs seen.
func (pt *podTracker) counts() (live, active, succeeded, distinct int) {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	for _, p := range pt.live {
		if podActive(p) {
			active++
		}
		if p.Status.Phase == corev1.PodSucceeded {
			succeeded++
		}
	}
	return len(pt.live), active, succeeded, len(pt.seen)
}

// failover kills the leading controller manager and returns how long the
// other one took to hold the Lease, then starts the killed one again as the
// standby.
func (e *env) failover(t *testing.T, scenario string) (killed int, took time.Duration) {
	t.Helper()
	leader, holder, _, err := e.c.WorkloadsControllerManagerLeader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := e.c.KillWorkloadsControllerManager(leader); err != nil {
		t.Fatal(err)
	}
	var newLeader int
	pollFor(t, "the standby controller manager to hold the Lease", pollTimeout, func(ctx context.Context) (bool, error) {
		i, h, _, err := e.c.WorkloadsControllerManagerLeader(ctx)
		newLeader = i
		return err == nil && h != holder && i != leader, nil
	})
	took = time.Since(start)
	result(t, scenario+"-failover", "killed", leader, "new_leader", newLeader, "lease_duration", leaseDuration,
		"renew_deadline", renewDeadline, "retry_period", retryPeriod, "standby_leads_after", took)
	if limit := leaseDuration + 5*time.Second; took > limit {
		t.Errorf("the standby led %s after the kill, want at most lease duration + 5s = %s", took, limit)
	}
	return leader, took
}

// restartControllerManager starts a killed controller manager again; it
// joins as the standby.
func (e *env) restartControllerManager(t *testing.T, i int) {
	t.Helper()
	if err := e.c.StartWorkloadsControllerManagerInstance(i); err != nil {
		t.Fatalf("starting controller manager %d again: %v", i, err)
	}
}

// TestControllerFailover kills the leading controller manager in the middle
// of a 300-replica Deployment scale-up and of a Job of 100 completions: the
// standby takes over within the lease duration + 5 s and exactly the desired
// pods exist at the end.
func TestControllerFailover(t *testing.T) {
	e := sharedEnv(t)
	e.requireHealthy(t)
	if e.c.WorkloadsControllerManagerCount() < 2 {
		t.Fatalf("the cluster runs %d controller managers, want 2", e.c.WorkloadsControllerManagerCount())
	}
	kube := e.c.KubeClient()

	t.Run("deployment scale-up", func(t *testing.T) {
		ns := e.namespace(t, "failover-deploy")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		pods := trackPods(t, ctx, kube, ns)

		const replicas = 300
		maxSurge := intstr.FromString("25%")
		d := &v1alpha1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "scale", Namespace: ns},
			Spec: v1alpha1.DeploymentSpec{
				Replicas: ptr.To(int32(replicas)),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "scale"}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "scale"}},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "registry.example/app:1.0"}}},
				},
				Strategy: v1alpha1.DeploymentStrategy{
					Type:          v1alpha1.RollingUpdateDeploymentStrategyType,
					RollingUpdate: &v1alpha1.RollingUpdateDeployment{MaxSurge: &maxSurge},
				},
			},
		}
		began := time.Now()
		if _, err := e.client.ExperimentalV1alpha1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		pollFor(t, "the scale-up to be under way", pollTimeout, func(context.Context) (bool, error) {
			live, _, _, _ := pods.counts()
			return live >= replicas/5, nil
		})
		liveAtKill, _, _, _ := pods.counts()
		killed, took := e.failover(t, "deployment")

		var status v1alpha1.DeploymentStatus
		pollFor(t, "the Deployment to have 300 available pods", 3*time.Minute, func(ctx context.Context) (bool, error) {
			got, err := e.client.ExperimentalV1alpha1().Deployments(ns).Get(ctx, "scale", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			status = got.Status
			live, _, _, _ := pods.counts()
			return got.Status.ObservedGeneration >= got.Generation && got.Status.Replicas == replicas &&
				got.Status.AvailableReplicas == replicas && live == replicas, nil
		})
		settled := time.Since(began)
		list, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		live, _, _, distinct := pods.counts()
		pods.mu.Lock()
		maxLive, watchErr := pods.maxLive, pods.err
		pods.mu.Unlock()
		surge, _ := intstr.GetScaledValueFromIntOrPercent(&maxSurge, replicas, true)
		result(t, "deployment-failover", "replicas", replicas, "max_surge", surge, "pods_at_kill", liveAtKill,
			"killed", killed, "standby_leads_after", took, "pods_at_end", len(list.Items), "distinct_pod_uids", distinct,
			"extra_pods_created", distinct-replicas, "max_pods_at_once", maxLive, "available", status.AvailableReplicas,
			"settled_after", settled)
		if watchErr != nil {
			t.Errorf("the pod watch failed: %v", watchErr)
		}
		if len(list.Items) != replicas || live != replicas {
			t.Errorf("%d pods exist (watch: %d), want exactly %d", len(list.Items), live, replicas)
		}
		if maxLive > replicas+surge {
			t.Errorf("%d pods existed at once, more than replicas + maxSurge = %d", maxLive, replicas+surge)
		}
		e.restartControllerManager(t, killed)
		// Free the nodes for the Job.
		if err := e.client.ExperimentalV1alpha1().Deployments(ns).Delete(ctx, "scale", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("job completions", func(t *testing.T) {
		ns := e.namespace(t, "failover-job")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		pods := trackPods(t, ctx, kube, ns)

		const completions, parallelism = 100, 20
		job := &v1alpha1.Job{
			ObjectMeta: metav1.ObjectMeta{Name: "work", Namespace: ns},
			Spec: v1alpha1.JobSpec{
				Completions: ptr.To(int32(completions)),
				Parallelism: ptr.To(int32(parallelism)),
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{framework.AnnotationSucceedAfter: "1s"}},
					Spec: corev1.PodSpec{
						RestartPolicy: corev1.RestartPolicyNever,
						Containers:    []corev1.Container{{Name: "main", Image: "registry.example/batch:1.0"}},
					},
				},
			},
		}
		began := time.Now()
		if _, err := e.client.ExperimentalV1alpha1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		pollFor(t, "the Job to be under way", pollTimeout, func(context.Context) (bool, error) {
			_, _, succeeded, _ := pods.counts()
			return succeeded >= completions/4, nil
		})
		_, _, succeededAtKill, _ := pods.counts()
		killed, took := e.failover(t, "job")

		var final *v1alpha1.Job
		pollFor(t, "the Job to complete", 3*time.Minute, func(ctx context.Context) (bool, error) {
			got, err := e.client.ExperimentalV1alpha1().Jobs(ns).Get(ctx, "work", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			final = got
			return slices.ContainsFunc(got.Status.Conditions, func(c v1alpha1.JobCondition) bool {
				return c.Type == v1alpha1.JobComplete && c.Status == corev1.ConditionTrue
			}), nil
		})
		settled := time.Since(began)
		var withFinalizer []string
		pollFor(t, "no pod to carry a job-tracking finalizer", 30*time.Second, func(ctx context.Context) (bool, error) {
			list, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, err
			}
			withFinalizer = nil
			for _, p := range list.Items {
				if slices.Contains(p.Finalizers, jobcontroller.TrackingFinalizer) || slices.Contains(p.Finalizers, upstreamJobTrackingFinalizer) {
					withFinalizer = append(withFinalizer, p.Name)
				}
			}
			return len(withFinalizer) == 0, nil
		})
		live, active, succeeded, distinct := pods.counts()
		pods.mu.Lock()
		maxActive, watchErr := pods.maxActive, pods.err
		pods.mu.Unlock()
		result(t, "job-failover", "completions", completions, "parallelism", parallelism, "succeeded_at_kill", succeededAtKill,
			"killed", killed, "standby_leads_after", took, "status_succeeded", final.Status.Succeeded,
			"succeeded_pods", succeeded, "pods_at_end", live, "distinct_pod_uids", distinct, "extra_pods_created", distinct-completions,
			"max_active_at_once", maxActive, "settled_after", settled)
		if watchErr != nil {
			t.Errorf("the pod watch failed: %v", watchErr)
		}
		if final.Status.Succeeded != completions || succeeded != completions || active != 0 {
			t.Errorf("status.succeeded=%d, succeeded pods=%d, active pods=%d; want %d, %d, 0",
				final.Status.Succeeded, succeeded, active, completions, completions)
		}
		if maxActive > parallelism {
			t.Errorf("%d pods were active at once, more than parallelism %d", maxActive, parallelism)
		}
		e.restartControllerManager(t, killed)
	})
}
