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

// Package controllers measures workloads-controller-manager against
// kube-controller-manager's apps/v1 controllers on the same cluster in the
// same run: time until every pod is available and API writes per pod.
package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/bench/internal/cpuprofile"
	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
)

// Implementation names the side of a comparison.
type Implementation string

const (
	Upstream Implementation = "kube-controller-manager"
	Ours     Implementation = "workloads-controller-manager"
)

// Target is one implementation's workload API: create the workload, report
// whether it has converged, change its template, delete it.
type Target struct {
	Implementation Implementation
	// Agent matches the user agents of this implementation's controllers.
	Agent func(userAgent string) bool

	create func(ctx context.Context, ns string) error
	// done reports whether the workload has converged and, either way, how
	// far it got (e.g. "available 1253/5000").
	done     func(ctx context.Context, ns string) (bool, string, error)
	rollout  func(ctx context.Context, ns string) error
	delete   func(ctx context.Context, ns string) error
	hasRoll  bool
	workload string
	// podSelector selects the workload's pods (other pods may share the
	// namespace).
	podSelector string
}

const workloadName = "bench"

// podTemplate is the same realistic template for every workload.
func podTemplate() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{
			Labels:      map[string]string{"app": workloadName, "tier": "backend"},
			Annotations: map[string]string{"bench.workloads.experimental.test/revision": "1"},
		},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name:  "app",
				Image: "registry.example/bench/app:1.0",
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
				Env:   []corev1.EnvVar{{Name: "MODE", Value: "bench"}},
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
					corev1.ResourceCPU:    resource.MustParse("10m"),
					corev1.ResourceMemory: resource.MustParse("16Mi"),
				}},
			}},
		},
	}
}

func daemonSetProgress(available, n int32) string {
	return fmt.Sprintf("available %d/%d", available, n)
}

func deploymentProgress(updated, available, replicas, n int32) string {
	return fmt.Sprintf("updated %d/%d, available %d/%d, replicas %d", updated, n, available, n, replicas)
}

var selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": workloadName}}

var rolloutPatch = []byte(`{"spec":{"template":{"metadata":{"annotations":{"bench.workloads.experimental.test/revision":"2"}}}}}`)

// DaemonSetTargets are the two DaemonSet implementations; nodes is the number
// of nodes every DaemonSet must cover.
func DaemonSetTargets(kube kubernetes.Interface, ours clientset.Interface, nodes int) []Target {
	n := int32(nodes)
	return []Target{{
		Implementation: Upstream,
		Agent:          UpstreamAgent("daemon-set-controller"),
		workload:       "DaemonSet",
		podSelector:    "app=" + workloadName,
		create: func(ctx context.Context, ns string) error {
			_, err := kube.AppsV1().DaemonSets(ns).Create(ctx, &appsv1.DaemonSet{
				ObjectMeta: metav1.ObjectMeta{Name: workloadName},
				Spec:       appsv1.DaemonSetSpec{Selector: selector, Template: podTemplate()},
			}, metav1.CreateOptions{})
			return err
		},
		done: func(ctx context.Context, ns string) (bool, string, error) {
			ds, err := kube.AppsV1().DaemonSets(ns).Get(ctx, workloadName, metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			s := ds.Status
			return s.ObservedGeneration >= ds.Generation && s.DesiredNumberScheduled == n &&
				s.UpdatedNumberScheduled == n && s.NumberAvailable == n && s.CurrentNumberScheduled == n, daemonSetProgress(s.NumberAvailable, n), nil
		},
		delete: func(ctx context.Context, ns string) error {
			return kube.AppsV1().DaemonSets(ns).Delete(ctx, workloadName, metav1.DeleteOptions{})
		},
	}, {
		Implementation: Ours,
		Agent:          OurAgent("daemonset"),
		workload:       "DaemonSet",
		podSelector:    "app=" + workloadName,
		create: func(ctx context.Context, ns string) error {
			_, err := ours.ExperimentalV1alpha1().DaemonSets(ns).Create(ctx, &v1alpha1.DaemonSet{
				ObjectMeta: metav1.ObjectMeta{Name: workloadName},
				Spec:       v1alpha1.DaemonSetSpec{Selector: selector, Template: podTemplate()},
			}, metav1.CreateOptions{})
			return err
		},
		done: func(ctx context.Context, ns string) (bool, string, error) {
			ds, err := ours.ExperimentalV1alpha1().DaemonSets(ns).Get(ctx, workloadName, metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			s := ds.Status
			return s.ObservedGeneration >= ds.Generation && s.DesiredNumberScheduled == n &&
				s.UpdatedNumberScheduled == n && s.NumberAvailable == n && s.CurrentNumberScheduled == n, daemonSetProgress(s.NumberAvailable, n), nil
		},
		delete: func(ctx context.Context, ns string) error {
			return ours.ExperimentalV1alpha1().DaemonSets(ns).Delete(ctx, workloadName, metav1.DeleteOptions{})
		},
	}}
}

// DeploymentTargets are the two Deployment implementations with replicas
// pods; both can roll out a template change.
func DeploymentTargets(kube kubernetes.Interface, ours clientset.Interface, replicas int) []Target {
	n := int32(replicas)
	return []Target{{
		Implementation: Upstream,
		Agent:          UpstreamAgent("deployment-controller", "replicaset-controller"),
		workload:       "Deployment",
		podSelector:    "app=" + workloadName,
		hasRoll:        true,
		create: func(ctx context.Context, ns string) error {
			_, err := kube.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: workloadName},
				Spec:       appsv1.DeploymentSpec{Replicas: ptr.To(n), Selector: selector, Template: podTemplate()},
			}, metav1.CreateOptions{})
			return err
		},
		done: func(ctx context.Context, ns string) (bool, string, error) {
			d, err := kube.AppsV1().Deployments(ns).Get(ctx, workloadName, metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			s := d.Status
			return s.ObservedGeneration >= d.Generation && s.Replicas == n && s.UpdatedReplicas == n && s.AvailableReplicas == n,
				deploymentProgress(s.UpdatedReplicas, s.AvailableReplicas, s.Replicas, n), nil
		},
		rollout: func(ctx context.Context, ns string) error {
			_, err := kube.AppsV1().Deployments(ns).Patch(ctx, workloadName, types.StrategicMergePatchType, rolloutPatch, metav1.PatchOptions{})
			return err
		},
		delete: func(ctx context.Context, ns string) error {
			return kube.AppsV1().Deployments(ns).Delete(ctx, workloadName, metav1.DeleteOptions{})
		},
	}, {
		Implementation: Ours,
		Agent:          OurAgent("deployment", "replicaset"),
		workload:       "Deployment",
		podSelector:    "app=" + workloadName,
		hasRoll:        true,
		create: func(ctx context.Context, ns string) error {
			_, err := ours.ExperimentalV1alpha1().Deployments(ns).Create(ctx, &v1alpha1.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: workloadName},
				Spec:       v1alpha1.DeploymentSpec{Replicas: ptr.To(n), Selector: selector, Template: podTemplate()},
			}, metav1.CreateOptions{})
			return err
		},
		done: func(ctx context.Context, ns string) (bool, string, error) {
			d, err := ours.ExperimentalV1alpha1().Deployments(ns).Get(ctx, workloadName, metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			s := d.Status
			return s.ObservedGeneration >= d.Generation && s.Replicas == n && s.UpdatedReplicas == n && s.AvailableReplicas == n,
				deploymentProgress(s.UpdatedReplicas, s.AvailableReplicas, s.Replicas, n), nil
		},
		rollout: func(ctx context.Context, ns string) error {
			_, err := ours.ExperimentalV1alpha1().Deployments(ns).Patch(ctx, workloadName, types.MergePatchType, rolloutPatch, metav1.PatchOptions{})
			return err
		},
		delete: func(ctx context.Context, ns string) error {
			return ours.ExperimentalV1alpha1().Deployments(ns).Delete(ctx, workloadName, metav1.DeleteOptions{})
		},
	}}
}

// Measurement is one timed phase of one implementation.
type Measurement struct {
	Workload       string
	Phase          string // "create" or "rollout"
	Implementation Implementation
	Pods           int // pods the phase brought up (or was meant to)
	Duration       time.Duration
	Writes         Writes
	// CPUSeconds is the user+system CPU time the implementation's controller
	// manager process spent during the phase; PeakRSS its peak resident set
	// (VmHWM, reset at the start of the phase) in bytes. Zero when unknown.
	CPUSeconds float64
	PeakRSS    int64
	// TimedOut is set when the phase hit the Runner's Timeout; Reached says
	// how far the workload got by then (e.g. "available 1253/5000").
	TimedOut bool
	Reached  string
}

// WritesPerPod is API writes divided by the pods the phase brought up.
func (m Measurement) WritesPerPod() float64 {
	if m.Pods == 0 {
		return 0
	}
	return float64(m.Writes.Total()) / float64(m.Pods)
}

// Runner runs phases against a cluster.
type Runner struct {
	Kube  kubernetes.Interface
	Audit AuditLog
	// Timeout bounds each phase (and each wait for a workload's pods to be
	// gone); a phase that hits it is recorded as timed out and the run goes
	// on.
	Timeout time.Duration
	// PIDs are the controller manager processes of each implementation,
	// whose CPU time and peak RSS every phase records.
	PIDs map[Implementation]int
	// Profiler, when set, records a CPU profile of the implementation's
	// controller manager over every phase; its endpoints are named by
	// Implementation.
	Profiler *cpuprofile.Profiler
	Logf     func(format string, args ...any)
}

// usage brackets a phase with readings of the implementation's process.
type usage struct {
	r       *Runner
	impl    Implementation
	pid     int
	cpu     float64
	reset   bool
	profile func() []string
}

// startUsage begins the readings of a phase; label names the phase in the
// profile files.
func (r *Runner) startUsage(ctx context.Context, impl Implementation, label string) *usage {
	u := &usage{r: r, impl: impl, profile: r.Profiler.Start(ctx, string(impl), label)}
	pid, ok := r.PIDs[impl]
	if !ok {
		return u
	}
	cpu, err := CPUSeconds(pid)
	if err != nil {
		r.Logf("no CPU reading of %s: %v", impl, err)
		return u
	}
	u.pid, u.cpu = pid, cpu
	if err := ResetPeakRSS(pid); err != nil {
		r.Logf("peak RSS of %s is since its start: %v", impl, err)
	} else {
		u.reset = true
	}
	return u
}

// stop returns the CPU seconds since startUsage and the peak RSS.
func (u *usage) stop() (float64, int64) {
	if files := u.profile(); len(files) > 0 {
		u.r.Logf("CPU profile of %s: %d files, %s ... (go tool pprof merges them)", u.impl, len(files), files[0])
	}
	if u.pid == 0 {
		return 0, 0
	}
	cpu, err := CPUSeconds(u.pid)
	if err != nil {
		u.r.Logf("no CPU reading of %s: %v", u.impl, err)
		return 0, 0
	}
	rss, err := PeakRSS(u.pid)
	if err != nil {
		u.r.Logf("no memory reading of %s: %v", u.impl, err)
	}
	return cpu - u.cpu, rss
}

// errPhaseTimeout marks a wait that hit the Runner's Timeout while the run's
// context was still live.
var errPhaseTimeout = errors.New("phase timed out")

// Run creates the target's workload in namespace ns, waits until it has
// converged, then (for Deployments) rolls out a template change and waits
// again; finally it deletes the workload and waits until its pods are gone,
// so phases never overlap. pods is the number of pods the workload runs. A
// phase that hits the Timeout is recorded with what it reached and the next
// one runs; an error is returned only when the API fails or the run's
// context ends.
func (r *Runner) Run(ctx context.Context, t Target, ns string, pods int) ([]Measurement, error) {
	if _, err := r.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	var out []Measurement
	phase := func(name string, act func(ctx context.Context, ns string) error) error {
		from, err := r.Audit.Offset()
		if err != nil {
			return err
		}
		use := r.startUsage(ctx, t.Implementation, t.workload+"-"+name)
		began := time.Now()
		if err := act(ctx, ns); err != nil {
			return fmt.Errorf("%s %s: %w", name, t.workload, err)
		}
		var reached string
		err = r.wait(ctx, fmt.Sprintf("%s %s of %s", t.workload, name, t.Implementation), func(ctx context.Context) (bool, error) {
			ok, progress, err := t.done(ctx, ns)
			if progress != "" {
				reached = progress
			}
			return ok, err
		})
		took := time.Since(began)
		timedOut := errors.Is(err, errPhaseTimeout)
		// A run that stops mid-phase still reports how far the phase got.
		stopped := err != nil && !timedOut && ctx.Err() != nil
		if err != nil && !timedOut && !stopped {
			return err
		}
		waitErr := err
		if stopped {
			timedOut, reached = true, reached+"; the run stopped here"
		}
		cpu, rss := use.stop()
		to, err := r.Audit.Offset()
		if err != nil {
			return err
		}
		writes, err := r.Audit.CountWrites(from, to, t.Agent)
		if err != nil {
			return err
		}
		delete(writes, "coordination.k8s.io/leases")
		m := Measurement{Workload: t.workload, Phase: name, Implementation: t.Implementation, Pods: pods, Duration: took, Writes: writes,
			CPUSeconds: cpu, PeakRSS: rss, TimedOut: timedOut, Reached: reached}
		status := "done"
		if timedOut {
			status = "TIMED OUT (" + reached + ")"
		}
		r.Logf("%s %s, %s: %s with %d pods in %s, %d writes (%.2f per pod) %v, CPU %.1f s, peak RSS %d MiB",
			t.workload, name, t.Implementation, status, pods, took.Round(time.Millisecond), writes.Total(), m.WritesPerPod(), map[string]int(writes), cpu, rss>>20)
		out = append(out, m)
		if stopped {
			return waitErr
		}
		return nil
	}
	if err := phase("create", t.create); err != nil {
		return out, err
	}
	if t.hasRoll {
		if err := phase("rollout", t.rollout); err != nil {
			return out, err
		}
	}
	if err := t.delete(ctx, ns); err != nil {
		return out, fmt.Errorf("deleting the %s: %w", t.workload, err)
	}
	err := r.wait(ctx, "the pods of "+t.podSelector+" in namespace "+ns+" to be gone", func(ctx context.Context) (bool, error) {
		list, err := r.Kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: t.podSelector, ResourceVersion: "0"})
		if err != nil {
			return false, err
		}
		return len(list.Items) == 0, nil
	})
	if errors.Is(err, errPhaseTimeout) {
		// The next phase runs in another namespace or with other pods; the
		// leftovers are noted, not fatal.
		r.Logf("WARNING: %v; going on", err)
		return out, nil
	}
	return out, err
}

func (r *Runner) wait(ctx context.Context, what string, cond wait.ConditionWithContextFunc) error {
	phaseCtx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	// The requests run on the run's context: the bound ends the wait
	// between polls, never a request (a client's rate limiter would
	// otherwise fail one early that could not finish before the deadline).
	var lastTransient error
	err := wait.PollUntilContextCancel(phaseCtx, 200*time.Millisecond, true, func(context.Context) (bool, error) {
		done, err := cond(ctx)
		if err != nil && ctx.Err() == nil && transient(err) {
			// kube-apiserver at a full core times out a large list now
			// and then; the bound, not one slow answer, ends the wait.
			if lastTransient == nil {
				r.Logf("waiting for %s: %v; retrying", what, err)
			}
			lastTransient = err
			return false, nil
		}
		return done, err
	})
	if err == nil {
		return nil
	}
	if ctx.Err() == nil && phaseCtx.Err() != nil {
		if lastTransient != nil {
			return fmt.Errorf("waiting %s for %s (last error: %v): %w", r.Timeout, what, lastTransient, errPhaseTimeout)
		}
		return fmt.Errorf("waiting %s for %s: %w", r.Timeout, what, errPhaseTimeout)
	}
	return fmt.Errorf("waiting for %s: %w", what, err)
}

// transient reports an error a loaded API server or connection gives now
// and then, which a retry may not get: timeouts (the server's, or the
// client's while reading a response), throttling and broken connections.
func transient(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) ||
		apierrors.IsTooManyRequests(err) || utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err)
}
