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

package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
)

// UnrelatedSelector selects the pods CreateUnrelatedPods makes.
const UnrelatedSelector = "app=unrelated"

// unrelatedPerOwner is how many unrelated pods share one owner.
const unrelatedPerOwner = 100

// unrelatedTimeout bounds the wait for the unrelated pods to run (set-up,
// not a measured phase) unless the phase bound is longer.
const unrelatedTimeout = 15 * time.Minute

// CreateUnrelatedPods fills namespace ns with n pods that no benchmarked
// controller owns: each is controlled (ownerReference with controller=true)
// by one of n/100 ConfigMaps, carries labels no benchmarked selector matches
// (app=unrelated), and is bound round-robin to nodes (spec.nodeName, so
// kube-scheduler is not involved). It waits until all of them are Running
// (kwok has played them), so that their status writes do not fall into a
// measured phase. The controllers under test still see every one of them
// in their pod informers and in the namespace.
func (r *Runner) CreateUnrelatedPods(ctx context.Context, ns string, n int, nodes []string) error {
	if n == 0 {
		return nil
	}
	if len(nodes) == 0 {
		return fmt.Errorf("no nodes for %d unrelated pods", n)
	}
	if _, err := r.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	began := time.Now()
	owners := make([]*corev1.ConfigMap, (n+unrelatedPerOwner-1)/unrelatedPerOwner)
	if err := parallel(ctx, len(owners), func(ctx context.Context, i int) error {
		cm, err := r.Kube.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("unrelated-owner-%03d", i)},
		}, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("creating the owner of unrelated pods: %w", err)
		}
		owners[i] = cm
		return nil
	}); err != nil {
		return err
	}
	if err := parallel(ctx, n, func(ctx context.Context, i int) error {
		owner := owners[i/unrelatedPerOwner]
		t := podTemplate()
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Name:   fmt.Sprintf("unrelated-%05d", i),
				Labels: map[string]string{"app": "unrelated", "tier": "backend", "owner": owner.Name},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID,
					Controller: ptr.To(true)}},
			},
			Spec: t.Spec,
		}
		pod.Spec.NodeName = nodes[i%len(nodes)]
		if _, err := r.Kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating unrelated pod %s: %w", pod.Name, err)
		}
		return nil
	}); err != nil {
		return err
	}
	r.Logf("created %d unrelated pods in %s in %s; waiting until they run", n, ns, time.Since(began).Round(time.Millisecond))
	running := 0
	err := wait.PollUntilContextTimeout(ctx, 2*time.Second, max(r.Timeout, unrelatedTimeout), true, func(ctx context.Context) (bool, error) {
		list, err := r.Kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: UnrelatedSelector, ResourceVersion: "0"})
		if err != nil {
			return false, err
		}
		running = 0
		for i := range list.Items {
			if list.Items[i].Status.Phase == corev1.PodRunning {
				running++
			}
		}
		return running >= n, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for %d unrelated pods to run (%d running): %w", n, running, err)
	}
	r.Logf("%d unrelated pods running in %s after %s", n, ns, time.Since(began).Round(time.Millisecond))
	return nil
}
