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

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// revisionHashLabel labels daemon pods and ControllerRevisions with the
// hash of the template revision they belong to.
const revisionHashLabel = appsv1.ControllerRevisionHashLabelKey

// defaultDaemonTolerations are the tolerations every daemon pod gets, as
// upstream adds them: daemons survive taint-based eviction of not-ready and
// unreachable nodes and are placed on nodes under pressure or cordoned.
var defaultDaemonTolerations = []corev1.Toleration{
	{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
	{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
	{Key: corev1.TaintNodeDiskPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeMemoryPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodePIDPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
}

// hostNetworkToleration is added for hostNetwork daemons, which do not need
// the node's pod network.
var hostNetworkToleration = corev1.Toleration{
	Key: corev1.TaintNodeNetworkUnavailable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule,
}

// addDaemonTolerations adds the default daemon tolerations to spec. A
// toleration of the template with the same key, operator, value and effect
// is replaced by the default (which tolerates forever).
func addDaemonTolerations(spec *corev1.PodSpec) {
	defaults := defaultDaemonTolerations
	if spec.HostNetwork {
		defaults = append(append([]corev1.Toleration(nil), defaults...), hostNetworkToleration)
	}
	for _, want := range defaults {
		replaced := false
		for i := range spec.Tolerations {
			if spec.Tolerations[i].MatchToleration(&want) {
				spec.Tolerations[i] = want
				replaced = true
				break
			}
		}
		if !replaced {
			spec.Tolerations = append(spec.Tolerations, want)
		}
	}
}

// daemonPodTolerations returns the tolerations of the pods ds creates,
// without modifying ds.
func daemonPodTolerations(ds *v1alpha1.DaemonSet) []corev1.Toleration {
	spec := corev1.PodSpec{
		HostNetwork: ds.Spec.Template.Spec.HostNetwork,
		Tolerations: append([]corev1.Toleration(nil), ds.Spec.Template.Spec.Tolerations...),
	}
	addDaemonTolerations(&spec)
	return spec.Tolerations
}

// placement decides which nodes a DaemonSet runs on. Tolerations and the
// parsed required node affinity depend only on the DaemonSet, so they are
// built once per sync rather than once per node.
type placement struct {
	ds          *v1alpha1.DaemonSet
	tolerations []corev1.Toleration
	affinity    nodeaffinity.RequiredNodeAffinity
}

func newPlacement(ds *v1alpha1.DaemonSet) placement {
	return placement{
		ds:          ds,
		tolerations: daemonPodTolerations(ds),
		affinity:    nodeaffinity.NewRequiredNodeAffinity(ds.Spec.Template.Spec.NodeSelector, ds.Spec.Template.Spec.Affinity),
	}
}

// nodeShouldRun reports whether a daemon pod should be created on node
// (shouldRun) and whether an existing one may stay there
// (shouldContinueRunning): a pod tolerating every NoExecute taint of a node
// it no longer fits for NoSchedule taints keeps running.
func (p placement) nodeShouldRun(logger klog.Logger, node *corev1.Node) (shouldRun, shouldContinueRunning bool) {
	if name := p.ds.Spec.Template.Spec.NodeName; name != "" && name != node.Name {
		return false, false
	}
	// A selector that fails to parse matches nothing; validation rejects it.
	if fits, _ := p.affinity.Match(node); !fits {
		return false, false
	}
	_, untolerated := corev1helpers.FindMatchingUntoleratedTaint(logger, node.Spec.Taints, p.tolerations, func(t *corev1.Taint) bool {
		return t.Effect == corev1.TaintEffectNoExecute || t.Effect == corev1.TaintEffectNoSchedule
	}, false)
	if !untolerated {
		return true, true
	}
	_, untoleratedNoExecute := corev1helpers.FindMatchingUntoleratedTaint(logger, node.Spec.Taints, p.tolerations, func(t *corev1.Taint) bool {
		return t.Effect == corev1.TaintEffectNoExecute
	}, false)
	return false, !untoleratedNoExecute
}

// nodeNameAffinity returns affinity with its required node affinity replaced
// by one term selecting the node named nodeName through the metadata.name
// field, so the scheduler binds the pod there. The DaemonSet's own required
// node affinity already matched the node, so nothing is lost. Preferred terms
// and pod (anti-)affinity are kept. affinity is modified in place.
func nodeNameAffinity(affinity *corev1.Affinity, nodeName string) *corev1.Affinity {
	selector := &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
		MatchFields: []corev1.NodeSelectorRequirement{{
			Key:      metav1.ObjectNameField,
			Operator: corev1.NodeSelectorOpIn,
			Values:   []string{nodeName},
		}},
	}}}
	if affinity == nil {
		affinity = &corev1.Affinity{}
	}
	if affinity.NodeAffinity == nil {
		affinity.NodeAffinity = &corev1.NodeAffinity{}
	}
	affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = selector
	return affinity
}

// targetNodeName returns the node a daemon pod is for: spec.nodeName once
// bound, else the node its metadata.name affinity term selects.
func targetNodeName(pod *corev1.Pod) (string, error) {
	if pod.Spec.NodeName != "" {
		return pod.Spec.NodeName, nil
	}
	a := pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return "", fmt.Errorf("pod %s/%s is not bound and has no required node affinity", pod.Namespace, pod.Name)
	}
	for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		for _, req := range term.MatchFields {
			if req.Key != metav1.ObjectNameField || req.Operator != corev1.NodeSelectorOpIn {
				continue
			}
			if len(req.Values) != 1 {
				return "", fmt.Errorf("pod %s/%s selects %d nodes by %s, want exactly one", pod.Namespace, pod.Name, len(req.Values), metav1.ObjectNameField)
			}
			return req.Values[0], nil
		}
	}
	return "", fmt.Errorf("pod %s/%s has no node affinity on %s", pod.Namespace, pod.Name, metav1.ObjectNameField)
}

// podTemplate returns the template daemon pods are created from: the
// DaemonSet's template with the default tolerations and the revision hash
// label.
func podTemplate(ds *v1alpha1.DaemonSet, hash string) *corev1.PodTemplateSpec {
	t := ds.Spec.Template.DeepCopy()
	addDaemonTolerations(&t.Spec)
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	if hash != "" {
		t.Labels[revisionHashLabel] = hash
	}
	return t
}

// podForNode returns the template of the daemon pod for nodeName.
func podForNode(template *corev1.PodTemplateSpec, nodeName string) *corev1.PodTemplateSpec {
	t := template.DeepCopy()
	t.Spec.Affinity = nodeNameAffinity(t.Spec.Affinity, nodeName)
	return t
}

// isPodUpdated reports whether pod belongs to the template revision hash.
func isPodUpdated(pod *corev1.Pod, hash string) bool {
	return hash != "" && pod.Labels[revisionHashLabel] == hash
}

// surgeCount returns how many nodes may run an extra, updated pod while the
// old one still serves, out of desired.
func surgeCount(ds *v1alpha1.DaemonSet, desired int) (int, error) {
	r := ds.Spec.UpdateStrategy.RollingUpdate
	if ds.Spec.UpdateStrategy.Type != v1alpha1.RollingUpdateDaemonSetStrategyType || r == nil || r.MaxSurge == nil {
		return 0, nil
	}
	return intstr.GetScaledValueFromIntOrPercent(r.MaxSurge, desired, true)
}

// unavailableCount returns how many nodes may be without an available pod
// during a rolling update, out of desired.
func unavailableCount(ds *v1alpha1.DaemonSet, desired int) (int, error) {
	r := ds.Spec.UpdateStrategy.RollingUpdate
	if ds.Spec.UpdateStrategy.Type != v1alpha1.RollingUpdateDaemonSetStrategyType || r == nil || r.MaxUnavailable == nil {
		return 0, nil
	}
	return intstr.GetScaledValueFromIntOrPercent(r.MaxUnavailable, desired, true)
}

// allowsSurge reports whether ds may run two pods on a node during an update.
func allowsSurge(ds *v1alpha1.DaemonSet) bool {
	n, err := surgeCount(ds, 1)
	return err == nil && n > 0
}
