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
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// The progressive delivery fields of rollingUpdate (partition, paused,
// canaryNodeSelector, unreadyNodePolicy) only narrow which existing pods a
// rolling update replaces and what it counts. Creating pods on nodes that
// have none (manage) is never held back: such pods always use the newest
// revision, as in apps/v1.

// usesProgressiveFields reports whether ds sets any of the rolling update
// fields beyond apps/v1. Only such DaemonSets report the Progressing
// condition, so a DaemonSet ported from apps/v1 keeps an apps/v1 status.
func usesProgressiveFields(ds *v1alpha1.DaemonSet) bool {
	r := ds.Spec.UpdateStrategy.RollingUpdate
	if ds.Spec.UpdateStrategy.Type != v1alpha1.RollingUpdateDaemonSetStrategyType || r == nil {
		return false
	}
	return r.Partition != nil || r.Paused || r.CanaryNodeSelector != nil || r.UnreadyNodePolicy != ""
}

// rolloutGate decides, per node, whether the rolling update may replace the
// pod there and whether the node takes part in the update at all.
type rolloutGate struct {
	paused bool
	// partitioned are the nodes whose pods keep their revision: the first
	// `partition` of the nodes that should run the daemon, by name.
	partitioned sets.Set[string]
	// canary, when set, is the only set of nodes the update may touch.
	canary labels.Selector
	// skipUnready leaves nodes that are not Ready out of the update.
	skipUnready bool
	nodes       map[string]*corev1.Node
}

// newRolloutGate builds the gate of ds over nodes; desiredNodes are the names
// of the nodes that should run the daemon, in any order.
func newRolloutGate(ds *v1alpha1.DaemonSet, nodes []*corev1.Node, desiredNodes []string) (rolloutGate, error) {
	g := rolloutGate{nodes: make(map[string]*corev1.Node, len(nodes))}
	for _, n := range nodes {
		g.nodes[n.Name] = n
	}
	r := ds.Spec.UpdateStrategy.RollingUpdate
	if ds.Spec.UpdateStrategy.Type != v1alpha1.RollingUpdateDaemonSetStrategyType || r == nil {
		return g, nil
	}
	g.paused = r.Paused
	g.skipUnready = r.UnreadyNodePolicy == v1alpha1.SkipUnreadyNodePolicy
	if r.CanaryNodeSelector != nil {
		sel, err := metav1.LabelSelectorAsSelector(r.CanaryNodeSelector)
		if err != nil {
			return g, fmt.Errorf("invalid canaryNodeSelector: %w", err)
		}
		g.canary = sel
	}
	n, err := partitionCount(ds, len(desiredNodes))
	if err != nil {
		return g, err
	}
	if n > 0 {
		sorted := slices.Sorted(slices.Values(desiredNodes))
		g.partitioned = sets.New(sorted[:min(n, len(sorted))]...)
	}
	return g, nil
}

// partitionCount returns how many of desired pods keep their revision:
// rollingUpdate.partition, a percentage rounded up.
func partitionCount(ds *v1alpha1.DaemonSet, desired int) (int, error) {
	r := ds.Spec.UpdateStrategy.RollingUpdate
	if r == nil || r.Partition == nil {
		return 0, nil
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(r.Partition, desired, true)
	if err != nil {
		return 0, fmt.Errorf("invalid partition: %w", err)
	}
	return max(n, 0), nil
}

// selected reports whether the update targets the node: outside the
// partition and, with a canary selector, matching it.
func (g rolloutGate) selected(nodeName string) bool {
	if g.partitioned.Has(nodeName) {
		return false
	}
	if g.canary == nil {
		return true
	}
	node, ok := g.nodes[nodeName]
	return ok && g.canary.Matches(labels.Set(node.Labels))
}

// mayReplace reports whether the rolling update may replace the pod on the
// node now.
func (g rolloutGate) mayReplace(nodeName string) bool {
	return !g.paused && g.selected(nodeName)
}

// skipped reports whether the node is left out of the update because it is
// not Ready and unreadyNodePolicy is Skip.
func (g rolloutGate) skipped(nodeName string) bool {
	if !g.skipUnready {
		return false
	}
	node, ok := g.nodes[nodeName]
	return ok && nodeReadyStatus(node) != corev1.ConditionTrue
}

// nodeReadyStatus returns the status of the node's Ready condition; a node
// that has not reported one yet is Unknown.
func nodeReadyStatus(node *corev1.Node) corev1.ConditionStatus {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return corev1.ConditionUnknown
}

// describeNotReady names a node with its Ready status, as kubectl get nodes
// shows it.
func describeNotReady(node *corev1.Node) string {
	if nodeReadyStatus(node) == corev1.ConditionFalse {
		return node.Name + " (NotReady)"
	}
	return node.Name + " (Unknown)"
}

// maxListedNodes bounds how many nodes a condition message names.
const maxListedNodes = 10

func listNodes(names []string) string {
	if len(names) <= maxListedNodes {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxListedNodes], ", "), len(names)-maxListedNodes)
}

// rolloutState is where the rolling update of a DaemonSet stands, for its
// Progressing condition.
type rolloutState struct {
	// selected counts the desired nodes the update targets; pending those of
	// them whose pod is not (only) updated yet.
	selected, pending int
	// held counts desired nodes outside the partition or canary selection
	// that still run an old pod.
	held int
	// skipped names not-ready nodes left out by unreadyNodePolicy Skip.
	skipped []string
	// blockedBy names not-ready nodes whose unavailable pods use up the
	// budget of the update while pods remain to be replaced.
	blockedBy []string
	budget    int
}

// computeRolloutState walks the nodes as rollingUpdate does.
func computeRolloutState(logger klog.Logger, ds *v1alpha1.DaemonSet, nodes []*corev1.Node, nodeToPods map[string][]*corev1.Pod, hash string, isAvailable func(*corev1.Pod) bool) (rolloutState, rolloutGate, error) {
	var s rolloutState
	p := newPlacement(ds)
	byNode := make(map[string][]*corev1.Pod, len(nodeToPods))
	for k, v := range nodeToPods {
		byNode[k] = v
	}
	maxSurge, maxUnavailable, desiredNodes, err := updateBounds(logger, p, nodes, byNode)
	if err != nil {
		return s, rolloutGate{}, err
	}
	g, err := newRolloutGate(ds, nodes, desiredNodes)
	if err != nil {
		return s, g, err
	}
	desired := sets.New(desiredNodes...)
	// The budget the rolling update spends, as rollingUpdate counts it:
	// without surge, nodes without an available pod against maxUnavailable;
	// with surge, nodes whose updated pod is not available yet next to an
	// old one against maxSurge.
	surge := maxSurge > 0
	s.budget = maxUnavailable
	if surge {
		s.budget = maxSurge
	}
	var unavailableNotReady []string
	unavailable := 0
	for _, nodeName := range slices.Sorted(maps.Keys(byNode)) {
		if g.skipped(nodeName) {
			if newPod, oldPod, ok := updatedPodsOnNode(byNode[nodeName], hash); !ok || oldPod != nil || newPod == nil {
				s.skipped = append(s.skipped, describeNotReady(g.nodes[nodeName]))
			}
			continue
		}
		newPod, oldPod, ok := updatedPodsOnNode(byNode[nodeName], hash)
		updated := ok && newPod != nil && oldPod == nil
		var spends bool
		switch {
		case !ok:
			spends = true
		case surge:
			spends = oldPod != nil && newPod != nil && !isAvailable(newPod)
		case oldPod == nil && newPod == nil, oldPod != nil && newPod != nil:
			spends = true
		case newPod != nil:
			spends = !isAvailable(newPod)
		default:
			spends = !isAvailable(oldPod)
		}
		if spends {
			unavailable++
			if node, exists := g.nodes[nodeName]; exists && nodeReadyStatus(node) != corev1.ConditionTrue {
				unavailableNotReady = append(unavailableNotReady, describeNotReady(node))
			}
		}
		if !desired.Has(nodeName) {
			continue
		}
		if !g.selected(nodeName) {
			if !updated && oldPod != nil {
				s.held++
			}
			continue
		}
		s.selected++
		if !updated {
			s.pending++
		}
	}
	if s.pending > 0 && len(unavailableNotReady) > 0 && unavailable >= s.budget {
		s.blockedBy = unavailableNotReady
	}
	return s, g, nil
}

// progressingCondition returns the Progressing condition for state.
func progressingCondition(s rolloutState, g rolloutGate, hash string) (corev1.ConditionStatus, string, string) {
	switch {
	case s.pending == 0 && s.held == 0 && len(s.skipped) == 0:
		return corev1.ConditionTrue, v1alpha1.DaemonSetRolloutCompleteReason,
			fmt.Sprintf("every pod runs revision %s", hash)
	case s.pending == 0:
		msg := fmt.Sprintf("%d selected pods run revision %s", s.selected, hash)
		if s.held > 0 {
			msg += fmt.Sprintf("; %d pods keep their revision (partition or canaryNodeSelector)", s.held)
		}
		if len(s.skipped) > 0 {
			msg += "; skipped not-ready nodes: " + listNodes(s.skipped)
		}
		return corev1.ConditionTrue, v1alpha1.DaemonSetPartiallyRolledOutReason, msg
	case g.paused:
		return corev1.ConditionUnknown, v1alpha1.DaemonSetRolloutPausedReason,
			fmt.Sprintf("rollingUpdate.paused is set: %d of %d selected pods wait for the update", s.pending, s.selected)
	case len(s.blockedBy) > 0:
		return corev1.ConditionFalse, v1alpha1.DaemonSetRolloutBlockedReason,
			fmt.Sprintf("%d of %d selected pods wait for the update, but unavailable pods on not-ready nodes use up the update budget (%d): %s; "+
				"set rollingUpdate.unreadyNodePolicy to Skip to roll out without them", s.pending, s.selected, s.budget, listNodes(s.blockedBy))
	default:
		return corev1.ConditionTrue, v1alpha1.DaemonSetRollingUpdateReason,
			fmt.Sprintf("%d of %d selected pods wait for the update", s.pending, s.selected)
	}
}
