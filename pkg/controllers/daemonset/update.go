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

package daemonset

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/internal/controllerutil"
)

// rollingUpdate deletes old pods (maxSurge = 0), or creates updated pods next
// to old ones (maxSurge > 0), within the bounds of the update strategy. manage
// then recreates deleted pods and removes replaced ones.
func (c *Controller) rollingUpdate(ctx context.Context, ds *v1alpha1.DaemonSet, nodeToPods map[string][]*corev1.Pod, nodes []*corev1.Node, hash string) error {
	logger := klog.FromContext(ctx)
	// Both passes below only delete an old pod or create an updated one
	// next to it: with no live pod of an old revision there is nothing to
	// do, and a DaemonSet that is not rolling out (most syncs of a large
	// one) skips the walk over every node. (Invalid bounds, which
	// validation rejects, then go unreported here as there is nothing
	// they could bound.)
	if !hasLiveOldPods(nodeToPods, hash) {
		return nil
	}
	p := newPlacement(ds)
	maxSurge, maxUnavailable, desiredNodes, err := updateBounds(logger, p, nodes, nodeToPods)
	if err != nil {
		return fmt.Errorf("DaemonSet %s/%s: %w", ds.Namespace, ds.Name, err)
	}
	desired := len(desiredNodes)
	gate, err := newRolloutGate(ds, nodes, desiredNodes)
	if err != nil {
		return fmt.Errorf("DaemonSet %s/%s: %w", ds.Namespace, ds.Name, err)
	}
	if usesProgressiveFields(ds) {
		logger.V(4).Info("Rolling update gate", "paused", gate.paused, "partitionedNodes", gate.partitioned.Len(),
			"canaryNodeSelector", gate.canary, "skipUnreadyNodes", gate.skipUnready)
	}
	now := c.clock.Now()
	available := func(pod *corev1.Pod) bool {
		return controllerutil.IsPodAvailable(pod, ds.Spec.MinReadySeconds, now)
	}
	// Visit nodes in name order, so the pods replaced first are predictable.
	nodeNames := make([]string, 0, len(nodeToPods))
	for name := range nodeToPods {
		nodeNames = append(nodeNames, name)
	}
	sort.Strings(nodeNames)

	if maxSurge == 0 {
		// Delete just enough old pods to stay within maxUnavailable; manage
		// creates their replacements. Pods being deleted do not count as
		// unavailable, so an update progresses while nodes are down.
		unavailable := 0
		var replace, candidates []*corev1.Pod
		for _, nodeName := range nodeNames {
			if gate.skipped(nodeName) {
				// unreadyNodePolicy Skip: neither replaced nor counted.
				logger.V(4).Info("Skipping not-ready node", "node", klog.KRef("", nodeName))
				continue
			}
			newPod, oldPod, ok := updatedPodsOnNode(nodeToPods[nodeName], hash)
			switch {
			case !ok:
				// manage prunes the excess first; count the node as unavailable.
				logger.V(3).Info("Excess daemon pods on node, left to the next sync", "node", klog.KRef("", nodeName))
				unavailable++
			case oldPod == nil && newPod == nil, oldPod != nil && newPod != nil:
				// manage creates or deletes a pod here.
				unavailable++
			case newPod != nil:
				if !available(newPod) {
					unavailable++
				}
			case !gate.mayReplace(nodeName):
				// Paused, partitioned or not a canary node: the old pod
				// stays, and counts as unavailable when it is.
				if !available(oldPod) {
					unavailable++
				}
			case !available(oldPod):
				// An old pod that is not available is replaced right away.
				replace = append(replace, oldPod)
				unavailable++
			case unavailable < maxUnavailable:
				candidates = append(candidates, oldPod)
			}
		}
		budget := min(max(maxUnavailable-unavailable, 0), len(candidates))
		logger.V(4).Info("Rolling update", "maxUnavailable", maxUnavailable, "unavailable", unavailable,
			"replacingUnavailable", len(replace), "replacingAvailable", budget)
		return c.syncNodes(ctx, ds, append(replace, candidates[:budget]...), nil, hash)
	}

	// Surge: create an updated pod next to an old one, at most maxSurge at a
	// time for old pods that are available (immediately for unavailable
	// ones); delete the old pod once the updated one is available.
	var toDelete, leavingNodes []*corev1.Pod
	var surgeNow, surgeCandidates []string
	surging, availableNodes := 0, 0
	for _, nodeName := range nodeNames {
		if gate.skipped(nodeName) {
			logger.V(4).Info("Skipping not-ready node", "node", klog.KRef("", nodeName))
			continue
		}
		newPod, oldPod, ok := updatedPodsOnNode(nodeToPods[nodeName], hash)
		if !ok {
			logger.V(3).Info("Excess daemon pods on node, left to the next sync", "node", klog.KRef("", nodeName))
			surging++
			continue
		}
		if (oldPod != nil && available(oldPod)) || (oldPod == nil && newPod != nil && available(newPod)) {
			availableNodes++
		}
		switch {
		case oldPod == nil:
			// Nothing old here; manage handles an empty node.
		case newPod == nil:
			shouldRun := false
			if node, err := c.nodeLister.Get(nodeName); err == nil {
				shouldRun, _ = p.nodeShouldRun(logger, node)
			}
			switch {
			case !available(oldPod) && !shouldRun:
				toDelete = append(toDelete, oldPod)
			case !gate.mayReplace(nodeName):
				// Paused, partitioned or not a canary node: no surge here.
			case !available(oldPod):
				surgeNow = append(surgeNow, nodeName)
			case !shouldRun:
				leavingNodes = append(leavingNodes, oldPod)
			case surging < maxSurge:
				surgeCandidates = append(surgeCandidates, nodeName)
			}
		default:
			if !available(newPod) {
				surging++
				continue
			}
			toDelete = append(toDelete, oldPod)
		}
	}
	// Available pods on nodes the DaemonSet is leaving are removed only while
	// more nodes are available than desired, so availability never drops.
	if extra := availableNodes - desired; extra > 0 {
		toDelete = append(toDelete, leavingNodes[:min(extra, len(leavingNodes))]...)
	}
	budget := min(max(maxSurge-surging, 0), len(surgeCandidates))
	logger.V(4).Info("Rolling update with surge", "maxSurge", maxSurge, "surging", surging,
		"surgeForUnavailable", len(surgeNow), "surgeForAvailable", budget, "deleting", len(toDelete))
	return c.syncNodes(ctx, ds, toDelete, append(surgeNow, surgeCandidates[:budget]...), hash)
}

// hasLiveOldPods reports whether a pod not being deleted runs another
// revision than hash.
func hasLiveOldPods(nodeToPods map[string][]*corev1.Pod, hash string) bool {
	for _, pods := range nodeToPods {
		for _, pod := range pods {
			if pod.DeletionTimestamp == nil && !isPodUpdated(pod, hash) {
				return true
			}
		}
	}
	return false
}

// updatedPodsOnNode returns the updated and the old pod among the pods of a
// node that are not being deleted; ok is false when there are several of
// either (manage prunes those first).
func updatedPodsOnNode(pods []*corev1.Pod, hash string) (newPod, oldPod *corev1.Pod, ok bool) {
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil {
			continue
		}
		if isPodUpdated(pod, hash) {
			if newPod != nil {
				return nil, nil, false
			}
			newPod = pod
		} else {
			if oldPod != nil {
				return nil, nil, false
			}
			oldPod = pod
		}
	}
	return newPod, oldPod, true
}

// updateBounds returns maxSurge and maxUnavailable scaled against the number
// of nodes that should run the daemon (desiredNodes), and adds every such
// node to nodeToPods (with no pods when it has none).
func updateBounds(logger klog.Logger, p placement, nodes []*corev1.Node, nodeToPods map[string][]*corev1.Pod) (maxSurge, maxUnavailable int, desiredNodes []string, err error) {
	for _, node := range nodes {
		if shouldRun, _ := p.nodeShouldRun(logger, node); !shouldRun {
			continue
		}
		desiredNodes = append(desiredNodes, node.Name)
		if _, ok := nodeToPods[node.Name]; !ok {
			nodeToPods[node.Name] = nil
		}
	}
	desired := len(desiredNodes)
	if maxUnavailable, err = unavailableCount(p.ds, desired); err != nil {
		return 0, 0, nil, fmt.Errorf("invalid maxUnavailable: %w", err)
	}
	if maxSurge, err = surgeCount(p.ds, desired); err != nil {
		return 0, 0, nil, fmt.Errorf("invalid maxSurge: %w", err)
	}
	// Both zero is rejected by validation; should it happen anyway, accept
	// one unavailable node as the default.
	if desired > 0 && maxUnavailable == 0 && maxSurge == 0 {
		logger.Info("DaemonSet allows neither surge nor unavailability, using maxUnavailable=1")
		maxUnavailable = 1
	}
	return maxSurge, maxUnavailable, desiredNodes, nil
}
