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

package autoscaling

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// jobMaxReplicas is the autoscaler's maxReplicas on the Job.
const jobMaxReplicas = 4

// testJobParallelism: an autoscaler targets an experimental Job through
// jobs/scale. Its one pod (never finishing, as kwok keeps pods without a
// succeed-after annotation Running) reports 90m of its 100m request, 90%
// against a 50% target, so the autoscaler raises spec.parallelism and the
// Job controller runs that many pods; as every pod stays at 90% it goes on
// up to maxReplicas 4 and no further.
func (e *env) testJobParallelism(t *testing.T) {
	ns := e.namespace(t, "hpa-job")
	jobs := e.client.ExperimentalV1alpha1().Jobs(ns)
	template := podTemplate("crunch", "90m")
	template.Spec.RestartPolicy = corev1.RestartPolicyNever
	_, err := jobs.Create(context.Background(), &v1alpha1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "crunch"},
		Spec: v1alpha1.JobSpec{
			Parallelism: ptr.To[int32](1),
			Completions: ptr.To[int32](100),
			Template:    template,
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating the Job: %v", err)
	}
	hpa := cpuHPA("crunch", v1alpha1.CrossVersionObjectReference{APIVersion: "experimental/v1alpha1", Kind: "Job", Name: "crunch"}, nil)
	hpa.Spec.MaxReplicas = jobMaxReplicas
	if _, err := e.client.ExperimentalV1alpha1().HorizontalPodAutoscalers(ns).Create(context.Background(), hpa, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating the HorizontalPodAutoscaler: %v", err)
	}
	start := time.Now()

	// The autoscaler writes jobs/scale: spec.parallelism rises above 1 and
	// never beyond maxReplicas.
	var parallelism int32
	var scaledUp *v1alpha1.HorizontalPodAutoscaler
	waitFor(t, "the autoscaler to raise the Job's parallelism", scaleTimeout, func(ctx context.Context) (bool, string, error) {
		j, err := jobs.Get(ctx, "crunch", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		h, err := e.getHPA(ctx, ns, "crunch")
		if err != nil {
			return false, "", err
		}
		parallelism = ptr.Deref(j.Spec.Parallelism, 1)
		state := fmt.Sprintf("job spec.parallelism=%d status.active=%d; hpa %s", parallelism, j.Status.Active, describeHPA(h))
		if parallelism > jobMaxReplicas || h.Status.DesiredReplicas > jobMaxReplicas {
			return false, state, fmt.Errorf("scaled beyond maxReplicas %d: %s", jobMaxReplicas, state)
		}
		if parallelism < 2 {
			return false, state, nil
		}
		scaledUp = h
		return true, state, nil
	})
	toScale := time.Since(start)
	t.Logf("parallelism 1 -> %d in %s after the autoscaler was created", parallelism, toScale.Round(time.Second))
	expectActive(t, scaledUp)
	if u, ok := cpuUtilization(scaledUp); !ok || u < 80 || u > 100 {
		t.Errorf("currentMetrics = %+v, want CPU utilization near 90%%", scaledUp.Status.CurrentMetrics)
	}
	e.expectRescaleEvent(t, ns, "crunch", "cpu resource utilization (percentage of request) above target")

	// The Job controller follows: as many running pods as spec.parallelism,
	// reported by jobs/scale as status.replicas.
	waitFor(t, "the Job's active pods to follow its parallelism", scaleTimeout, func(ctx context.Context) (bool, string, error) {
		j, err := jobs.Get(ctx, "crunch", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		scale, err := jobs.GetScale(ctx, "crunch", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		running, err := e.runningPods(ctx, ns, j)
		if err != nil {
			return false, "", err
		}
		p := ptr.Deref(j.Spec.Parallelism, 1)
		state := fmt.Sprintf("spec.parallelism=%d status.active=%d running pods=%d scale spec=%d status=%d",
			p, j.Status.Active, running, scale.Spec.Replicas, scale.Status.Replicas)
		if p > jobMaxReplicas {
			return false, state, fmt.Errorf("scaled beyond maxReplicas %d: %s", jobMaxReplicas, state)
		}
		return p >= 2 && j.Status.Active == p && int32(running) == p &&
			scale.Spec.Replicas == p && scale.Status.Replicas == p, state, nil
	})
	t.Logf("active pods followed the parallelism %s after the autoscaler was created", time.Since(start).Round(time.Second))

	// Every pod stays at 90%: the autoscaler keeps asking for more and is
	// held at maxReplicas, with 4 pods running.
	waitFor(t, "the Job to run 4 pods, limited by maxReplicas", scaleTimeout, func(ctx context.Context) (bool, string, error) {
		j, err := jobs.Get(ctx, "crunch", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		h, err := e.getHPA(ctx, ns, "crunch")
		if err != nil {
			return false, "", err
		}
		running, err := e.runningPods(ctx, ns, j)
		if err != nil {
			return false, "", err
		}
		p := ptr.Deref(j.Spec.Parallelism, 1)
		state := fmt.Sprintf("job spec.parallelism=%d status.active=%d running pods=%d; hpa %s", p, j.Status.Active, running, describeHPA(h))
		if p > jobMaxReplicas || running > jobMaxReplicas || h.Status.DesiredReplicas > jobMaxReplicas {
			return false, state, fmt.Errorf("scaled beyond maxReplicas %d: %s", jobMaxReplicas, state)
		}
		limited := hpaCondition(h, v1alpha1.ScalingLimited)
		return p == jobMaxReplicas && j.Status.Active == jobMaxReplicas && running == jobMaxReplicas &&
			limited != nil && limited.Status == corev1.ConditionTrue && limited.Reason == "TooManyReplicas", state, nil
	})
	t.Logf("parallelism at maxReplicas %d with %d pods running %s after the autoscaler was created",
		jobMaxReplicas, jobMaxReplicas, time.Since(start).Round(time.Second))
}

// runningPods counts the Running pods of job that are not being deleted.
func (e *env) runningPods(ctx context.Context, ns string, job *v1alpha1.Job) (int, error) {
	sel, err := metav1.LabelSelectorAsSelector(job.Spec.Selector)
	if err != nil {
		return 0, err
	}
	pods, err := e.c.KubeClient().CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			n++
		}
	}
	return n, nil
}
