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
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

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

	create   func(ctx context.Context, ns string) error
	done     func(ctx context.Context, ns string) (bool, error)
	rollout  func(ctx context.Context, ns string) error
	delete   func(ctx context.Context, ns string) error
	hasRoll  bool
	workload string
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
		create: func(ctx context.Context, ns string) error {
			_, err := kube.AppsV1().DaemonSets(ns).Create(ctx, &appsv1.DaemonSet{
				ObjectMeta: metav1.ObjectMeta{Name: workloadName},
				Spec:       appsv1.DaemonSetSpec{Selector: selector, Template: podTemplate()},
			}, metav1.CreateOptions{})
			return err
		},
		done: func(ctx context.Context, ns string) (bool, error) {
			ds, err := kube.AppsV1().DaemonSets(ns).Get(ctx, workloadName, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			s := ds.Status
			return s.ObservedGeneration >= ds.Generation && s.DesiredNumberScheduled == n &&
				s.UpdatedNumberScheduled == n && s.NumberAvailable == n && s.CurrentNumberScheduled == n, nil
		},
		delete: func(ctx context.Context, ns string) error {
			return kube.AppsV1().DaemonSets(ns).Delete(ctx, workloadName, metav1.DeleteOptions{})
		},
	}, {
		Implementation: Ours,
		Agent:          OurAgent("daemonset"),
		workload:       "DaemonSet",
		create: func(ctx context.Context, ns string) error {
			_, err := ours.ExperimentalV1alpha1().DaemonSets(ns).Create(ctx, &v1alpha1.DaemonSet{
				ObjectMeta: metav1.ObjectMeta{Name: workloadName},
				Spec:       v1alpha1.DaemonSetSpec{Selector: selector, Template: podTemplate()},
			}, metav1.CreateOptions{})
			return err
		},
		done: func(ctx context.Context, ns string) (bool, error) {
			ds, err := ours.ExperimentalV1alpha1().DaemonSets(ns).Get(ctx, workloadName, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			s := ds.Status
			return s.ObservedGeneration >= ds.Generation && s.DesiredNumberScheduled == n &&
				s.UpdatedNumberScheduled == n && s.NumberAvailable == n && s.CurrentNumberScheduled == n, nil
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
		hasRoll:        true,
		create: func(ctx context.Context, ns string) error {
			_, err := kube.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: workloadName},
				Spec:       appsv1.DeploymentSpec{Replicas: ptr.To(n), Selector: selector, Template: podTemplate()},
			}, metav1.CreateOptions{})
			return err
		},
		done: func(ctx context.Context, ns string) (bool, error) {
			d, err := kube.AppsV1().Deployments(ns).Get(ctx, workloadName, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			s := d.Status
			return s.ObservedGeneration >= d.Generation && s.Replicas == n && s.UpdatedReplicas == n && s.AvailableReplicas == n, nil
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
		hasRoll:        true,
		create: func(ctx context.Context, ns string) error {
			_, err := ours.ExperimentalV1alpha1().Deployments(ns).Create(ctx, &v1alpha1.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: workloadName},
				Spec:       v1alpha1.DeploymentSpec{Replicas: ptr.To(n), Selector: selector, Template: podTemplate()},
			}, metav1.CreateOptions{})
			return err
		},
		done: func(ctx context.Context, ns string) (bool, error) {
			d, err := ours.ExperimentalV1alpha1().Deployments(ns).Get(ctx, workloadName, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			s := d.Status
			return s.ObservedGeneration >= d.Generation && s.Replicas == n && s.UpdatedReplicas == n && s.AvailableReplicas == n, nil
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
	Pods           int // pods the phase brought up
	Duration       time.Duration
	Writes         Writes
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
	Kube    kubernetes.Interface
	Audit   AuditLog
	Timeout time.Duration
	Logf    func(format string, args ...any)
}

// Run creates the target's workload in namespace ns, waits until it has
// converged, then (for Deployments) rolls out a template change and waits
// again; finally it deletes the workload and waits until its pods are gone,
// so phases never overlap. pods is the number of pods the workload runs.
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
		began := time.Now()
		if err := act(ctx, ns); err != nil {
			return fmt.Errorf("%s %s: %w", name, t.workload, err)
		}
		if err := r.wait(ctx, fmt.Sprintf("%s %s of %s", t.workload, name, t.Implementation), func(ctx context.Context) (bool, error) { return t.done(ctx, ns) }); err != nil {
			return err
		}
		took := time.Since(began)
		to, err := r.Audit.Offset()
		if err != nil {
			return err
		}
		writes, err := r.Audit.CountWrites(from, to, t.Agent)
		if err != nil {
			return err
		}
		delete(writes, "coordination.k8s.io/leases")
		m := Measurement{Workload: t.workload, Phase: name, Implementation: t.Implementation, Pods: pods, Duration: took, Writes: writes}
		r.Logf("%s %s, %s: done with %d pods in %s, %d writes (%.2f per pod) %v",
			t.workload, name, t.Implementation, pods, took.Round(time.Millisecond), writes.Total(), m.WritesPerPod(), map[string]int(writes))
		out = append(out, m)
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
	err := r.wait(ctx, "the pods of namespace "+ns+" to be gone", func(ctx context.Context) (bool, error) {
		list, err := r.Kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		return len(list.Items) == 0, nil
	})
	return out, err
}

func (r *Runner) wait(ctx context.Context, what string, cond wait.ConditionWithContextFunc) error {
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, r.Timeout, true, cond); err != nil {
		return fmt.Errorf("waiting for %s: %w", what, err)
	}
	return nil
}
