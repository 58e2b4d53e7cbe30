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

package framework

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

const (
	// NodeNamePrefix prefixes the names of the nodes the framework creates
	// (kwok-node-0, kwok-node-1, ...).
	NodeNamePrefix = "kwok-node-"
	// LabelKwokNode is set to "true" on every framework node.
	LabelKwokNode = "workloads.experimental.test/kwok-node"

	kwokKubeletVersion = "v1.37.2"
	nodeCreateWorkers  = 16
)

// AddNodes creates n more kwok nodes with the given extra labels and taints and
// waits until they are Ready (and, with kube-controller-manager running, free of
// the not-ready taint, so pods can be scheduled on them). It returns their names.
func (c *Cluster) AddNodes(n int, labels map[string]string, taints []corev1.Taint) ([]string, error) {
	return c.addNodes(c.ctx, n, labels, taints)
}

// NodeObject returns the Node the framework creates for name: capacity and
// allocatable from Options.NodeCapacity, well-known labels, and the
// annotation kwok's metrics endpoint is keyed on.
func (c *Cluster) NodeObject(name string, labels map[string]string, taints []corev1.Taint) *corev1.Node {
	l := map[string]string{
		corev1.LabelHostname:   name,
		corev1.LabelOSStable:   "linux",
		corev1.LabelArchStable: "amd64",
		LabelKwokNode:          "true",
	}
	maps.Copy(l, labels)
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:   name,
			Labels: l,
			Annotations: map[string]string{
				AnnotationNodeMetricsPath: "/metrics/nodes/" + name + "/metrics/resource",
			},
		},
		Spec: corev1.NodeSpec{Taints: slices.Clone(taints)},
		Status: corev1.NodeStatus{
			Capacity:    c.opts.NodeCapacity.DeepCopy(),
			Allocatable: c.opts.NodeCapacity.DeepCopy(),
			NodeInfo: corev1.NodeSystemInfo{
				Architecture:    "amd64",
				OperatingSystem: "linux",
				KubeletVersion:  kwokKubeletVersion,
			},
		},
	}
}

func (c *Cluster) addNodes(ctx context.Context, n int, labels map[string]string, taints []corev1.Taint) ([]string, error) {
	if c.process(ComponentKwok) == nil {
		return nil, errors.New("kwok is not running: nodes would never become Ready")
	}
	c.mu.Lock()
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s%d", NodeNamePrefix, c.nodeSeq)
		c.nodeSeq++
	}
	c.mu.Unlock()

	work := make(chan string)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range min(n, nodeCreateWorkers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range work {
				if _, err := c.kubeClient.CoreV1().Nodes().Create(ctx, c.NodeObject(name, labels, taints), metav1.CreateOptions{}); err != nil {
					errs <- fmt.Errorf("creating node %s: %w", name, err)
				}
			}
		}()
	}
	for _, name := range names {
		work <- name
	}
	close(work)
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	if err := errors.Join(all...); err != nil {
		return nil, err
	}
	if err := c.WaitForNodesReady(ctx, names...); err != nil {
		return nil, err
	}
	return names, nil
}

// WaitForNodesReady waits until the named nodes are Ready and, when
// kube-controller-manager runs, no longer carry the not-ready taint.
func (c *Cluster) WaitForNodesReady(ctx context.Context, names ...string) error {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	checkTaint := c.process(ComponentKubeControllerManager) != nil
	return c.poll(ctx, fmt.Sprintf("%d nodes Ready", len(names)), c.process(ComponentKwok), func(ctx context.Context) (bool, error) {
		list, err := c.kubeClient.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: LabelKwokNode + "=true"})
		if err != nil {
			return false, err
		}
		ready := 0
		for i := range list.Items {
			node := &list.Items[i]
			if want[node.Name] && nodeReady(node, checkTaint) {
				ready++
			}
		}
		if ready < len(want) {
			return false, fmt.Errorf("%d of %d nodes ready", ready, len(want))
		}
		return true, nil
	})
}

func nodeReady(node *corev1.Node, checkTaint bool) bool {
	ready := false
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
			ready = true
		}
	}
	if !ready {
		return false
	}
	if checkTaint {
		for _, t := range node.Spec.Taints {
			if t.Key == corev1.TaintNodeNotReady || t.Key == corev1.TaintNodeUnreachable {
				return false
			}
		}
	}
	return true
}

// SetKubeletDown stops (down) or restarts the simulated kubelet of the node
// name. A node whose kubelet is down reports Ready=False, and the pods bound
// to it at that moment are frozen: reported not Ready, their deletion never
// confirmed (they stay terminating), as on a real node that is down (the
// kwok stages testdata/stages/*-kubelet-down.yaml). It waits until the node
// is NotReady and, when kube-controller-manager runs, carries the node
// lifecycle controller's not-ready taint; or, when the kubelet comes back,
// until the node is Ready and untainted. Pods scheduled to the node while it
// is down are not frozen (the not-ready taint keeps most of them away).
func (c *Cluster) SetKubeletDown(ctx context.Context, name string, down bool) error {
	value := "null"
	if down {
		value = `"true"`
	}
	patch := []byte(fmt.Sprintf(`{"metadata":{"annotations":{%q:%s}}}`, AnnotationKubeletDown, value))
	pods, err := c.kubeClient.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + name})
	if err != nil {
		return fmt.Errorf("listing pods on node %s: %w", name, err)
	}
	// Freeze the pods before the node goes down (and thaw them after it is
	// back), so no pod is handled by a kubelet that is meant to be gone.
	patchPods := func() error {
		for _, p := range pods.Items {
			if _, err := c.kubeClient.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("annotating pod %s/%s: %w", p.Namespace, p.Name, err)
			}
		}
		return nil
	}
	if down {
		if err := patchPods(); err != nil {
			return err
		}
	}
	if _, err := c.kubeClient.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("annotating node %s: %w", name, err)
	}
	if !down {
		if err := patchPods(); err != nil {
			return err
		}
		return c.WaitForNodesReady(ctx, name)
	}
	checkTaint := c.process(ComponentKubeControllerManager) != nil
	return c.poll(ctx, fmt.Sprintf("node %s NotReady", name), c.process(ComponentKwok), func(ctx context.Context) (bool, error) {
		node, err := c.kubeClient.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		notReady := false
		for _, cond := range node.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionFalse {
				notReady = true
			}
		}
		if !notReady || !checkTaint {
			return notReady, nil
		}
		for _, t := range node.Spec.Taints {
			if t.Key == corev1.TaintNodeNotReady && t.Effect == corev1.TaintEffectNoSchedule {
				return true, nil
			}
		}
		return false, nil
	})
}
