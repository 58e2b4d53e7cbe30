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

package validation

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// deprecatedNodeLabels maps deprecated node label keys to their warning.
var deprecatedNodeLabels = map[string]string{
	`beta.kubernetes.io/arch`:                       `deprecated since v1.14; use "kubernetes.io/arch" instead`,
	`beta.kubernetes.io/os`:                         `deprecated since v1.14; use "kubernetes.io/os" instead`,
	`failure-domain.beta.kubernetes.io/region`:      `deprecated since v1.17; use "topology.kubernetes.io/region" instead`,
	`failure-domain.beta.kubernetes.io/zone`:        `deprecated since v1.17; use "topology.kubernetes.io/zone" instead`,
	`beta.kubernetes.io/instance-type`:              `deprecated since v1.17; use "node.kubernetes.io/instance-type" instead`,
	`app.kubernetes.io/created-by`:                  `deprecated since v1.9`,
	`scheduler.alpha.kubernetes.io/preferAvoidPods`: `deprecated since v1.22; use Taints and Tolerations instead`,
	`node-role.kubernetes.io/master`:                `use "node-role.kubernetes.io/control-plane" instead`,
}

// deprecatedPodAnnotations maps deprecated pod annotations to their warning.
var deprecatedPodAnnotations = map[string]string{
	`scheduler.alpha.kubernetes.io/critical-pod`:  `non-functional in v1.16+; use the "priorityClassName" field instead`,
	`security.alpha.kubernetes.io/sysctls`:        `non-functional in v1.11+; use the "sysctls" field instead`,
	`security.alpha.kubernetes.io/unsafe-sysctls`: `non-functional in v1.11+; use the "sysctls" field instead`,
}

// sortedKeys returns the keys of a string map in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// warningsForPodTemplate returns warnings for deprecated or suspicious but
// valid fields of a pod template: deprecated node labels, annotations and
// volume plugins, duplicate entries that are silently merged, fractional
// byte quantities and selectors that match nothing.
func warningsForPodTemplate(template *corev1.PodTemplateSpec, fldPath *field.Path) []string {
	var warnings []string
	spec := &template.Spec
	specPath := fldPath.Child("spec")

	for _, k := range sortedKeys(spec.NodeSelector) {
		if msg, ok := deprecatedNodeLabels[k]; ok {
			warnings = append(warnings, fmt.Sprintf("%s: %s", specPath.Child("nodeSelector").Key(k), msg))
		}
	}
	if spec.Affinity != nil && spec.Affinity.NodeAffinity != nil {
		na := spec.Affinity.NodeAffinity
		if na.RequiredDuringSchedulingIgnoredDuringExecution != nil {
			termsPath := specPath.Child("affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
			for i, term := range na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
				warnings = append(warnings, warningsForNodeSelectorTerm(term, termsPath.Index(i))...)
			}
		}
		for i, pref := range na.PreferredDuringSchedulingIgnoredDuringExecution {
			prefPath := specPath.Child("affinity", "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution").Index(i).Child("preference")
			warnings = append(warnings, warningsForNodeSelectorTerm(pref.Preference, prefPath)...)
		}
	}
	for i, c := range spec.TopologySpreadConstraints {
		cPath := specPath.Child("topologySpreadConstraints").Index(i)
		if msg, ok := deprecatedNodeLabels[c.TopologyKey]; ok {
			warnings = append(warnings, fmt.Sprintf("%s: %s is %s", cPath.Child("topologyKey"), c.TopologyKey, msg))
		}
		if c.LabelSelector == nil {
			warnings = append(warnings, fmt.Sprintf("%s: a null labelSelector results in matching no pod", cPath.Child("labelSelector")))
		}
	}
	if spec.Affinity != nil {
		if pa := spec.Affinity.PodAffinity; pa != nil {
			warnings = append(warnings, warningsForPodAffinityTerms(pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution, specPath.Child("affinity", "podAffinity"))...)
		}
		if paa := spec.Affinity.PodAntiAffinity; paa != nil {
			warnings = append(warnings, warningsForPodAffinityTerms(paa.RequiredDuringSchedulingIgnoredDuringExecution, paa.PreferredDuringSchedulingIgnoredDuringExecution, specPath.Child("affinity", "podAntiAffinity"))...)
		}
	}

	for _, k := range sortedKeys(deprecatedPodAnnotations) {
		if _, ok := template.Annotations[k]; ok {
			warnings = append(warnings, fmt.Sprintf("%s: %s", fldPath.Child("metadata", "annotations").Key(k), deprecatedPodAnnotations[k]))
		}
	}

	for i, v := range spec.Volumes {
		volPath := specPath.Child("volumes").Index(i)
		switch {
		case v.PhotonPersistentDisk != nil:
			warnings = append(warnings, fmt.Sprintf("%s: deprecated in v1.11, non-functional in v1.16+", volPath.Child("photonPersistentDisk")))
		case v.GitRepo != nil:
			warnings = append(warnings, fmt.Sprintf("%s: deprecated in v1.11, and disabled by default in v1.33+", volPath.Child("gitRepo")))
		case v.ScaleIO != nil:
			warnings = append(warnings, fmt.Sprintf("%s: deprecated in v1.16, non-functional in v1.22+", volPath.Child("scaleIO")))
		case v.Flocker != nil:
			warnings = append(warnings, fmt.Sprintf("%s: deprecated in v1.22, non-functional in v1.25+", volPath.Child("flocker")))
		case v.StorageOS != nil:
			warnings = append(warnings, fmt.Sprintf("%s: deprecated in v1.22, non-functional in v1.25+", volPath.Child("storageOS")))
		case v.Quobyte != nil:
			warnings = append(warnings, fmt.Sprintf("%s: deprecated in v1.22, non-functional in v1.25+", volPath.Child("quobyte")))
		case v.Glusterfs != nil:
			warnings = append(warnings, fmt.Sprintf("%s: deprecated in v1.25, non-functional in v1.26+", volPath.Child("glusterfs")))
		case v.CephFS != nil:
			warnings = append(warnings, fmt.Sprintf("%s: deprecated in v1.28, non-functional in v1.31+", volPath.Child("cephfs")))
		case v.RBD != nil:
			warnings = append(warnings, fmt.Sprintf("%s: deprecated in v1.28, non-functional in v1.31+", volPath.Child("rbd")))
		}
	}

	pullSecrets := sets.New[string]()
	for i, s := range spec.ImagePullSecrets {
		namePath := specPath.Child("imagePullSecrets").Index(i).Child("name")
		if len(s.Name) == 0 {
			warnings = append(warnings, fmt.Sprintf("%s: invalid empty name %q", namePath, s.Name))
		} else if pullSecrets.Has(s.Name) {
			warnings = append(warnings, fmt.Sprintf("%s: duplicate name %q", namePath, s.Name))
		}
		pullSecrets.Insert(s.Name)
	}

	portNames := map[string]*field.Path{}
	visitContainers(spec, specPath, func(c *corev1.Container, cPath *field.Path) {
		warnings = append(warnings, warningsForFractionalBytes(c.Resources, cPath.Child("resources"))...)
		warnings = append(warnings, warningsForDuplicateEnv(c.Env, cPath.Child("env"))...)
		for i, port := range c.Ports {
			portPath := cPath.Child("ports").Index(i)
			if port.HostIP != "" && port.HostPort == 0 {
				warnings = append(warnings, fmt.Sprintf("%s: hostIP set without hostPort: %+v", portPath, port))
			}
			if port.Name == "" {
				continue
			}
			if other, found := portNames[port.Name]; found {
				warnings = append(warnings, fmt.Sprintf("%s: duplicate port name %q with %s, services and probes that select ports by name will use %s", portPath, port.Name, other, other))
			} else {
				portNames[port.Name] = portPath
			}
		}
	})
	return warnings
}

// visitContainers calls visit for every init and regular container of a pod
// spec with its field path.
func visitContainers(spec *corev1.PodSpec, specPath *field.Path, visit func(*corev1.Container, *field.Path)) {
	for i := range spec.InitContainers {
		visit(&spec.InitContainers[i], specPath.Child("initContainers").Index(i))
	}
	for i := range spec.Containers {
		visit(&spec.Containers[i], specPath.Child("containers").Index(i))
	}
}

// warningsForNodeSelectorTerm warns about deprecated node labels in a node
// selector term.
func warningsForNodeSelectorTerm(term corev1.NodeSelectorTerm, fldPath *field.Path) []string {
	var warnings []string
	for i, expr := range term.MatchExpressions {
		if msg, ok := deprecatedNodeLabels[expr.Key]; ok {
			warnings = append(warnings, fmt.Sprintf("%s: %s is %s", fldPath.Child("matchExpressions").Index(i).Child("key"), expr.Key, msg))
		}
	}
	return warnings
}

// warningsForPodAffinityTerms warns about pod affinity terms without a label
// selector, which match no pod.
func warningsForPodAffinityTerms(required []corev1.PodAffinityTerm, preferred []corev1.WeightedPodAffinityTerm, fldPath *field.Path) []string {
	var warnings []string
	for i, t := range required {
		if t.LabelSelector == nil {
			warnings = append(warnings, fmt.Sprintf("%s: a null labelSelector results in matching no pod", fldPath.Child("requiredDuringSchedulingIgnoredDuringExecution").Index(i).Child("labelSelector")))
		}
	}
	for i, t := range preferred {
		if t.PodAffinityTerm.LabelSelector == nil {
			warnings = append(warnings, fmt.Sprintf("%s: a null labelSelector results in matching no pod", fldPath.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i).Child("podAffinityTerm", "labelSelector")))
		}
	}
	return warnings
}

// warningsForFractionalBytes warns about memory and ephemeral storage
// quantities that are not a whole number of bytes.
func warningsForFractionalBytes(resources corev1.ResourceRequirements, fldPath *field.Path) []string {
	var warnings []string
	for _, list := range []struct {
		name   string
		values corev1.ResourceList
	}{{"limits", resources.Limits}, {"requests", resources.Requests}} {
		for _, name := range []corev1.ResourceName{corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
			if value, ok := list.values[name]; ok && value.MilliValue()%1000 != 0 {
				warnings = append(warnings, fmt.Sprintf("%s: fractional byte value %q is invalid, must be an integer", fldPath.Child(list.name).Key(string(name)), value.String()))
			}
		}
	}
	return warnings
}

// warningsForDuplicateEnv warns about environment variables that hide a
// previous definition, which may be dropped when using apply.
func warningsForDuplicateEnv(env []corev1.EnvVar, fldPath *field.Path) []string {
	var warnings []string
	seen := sets.New[string]()
	for i, item := range env {
		if !seen.Has(item.Name) {
			seen.Insert(item.Name)
			continue
		}
		ref := fmt.Sprintf("$(%s)", item.Name)
		if item.ValueFrom != nil || item.Value == ref || !strings.Contains(item.Value, ref) {
			warnings = append(warnings, fmt.Sprintf("%s: hides previous definition of %q, which may be dropped when using apply", fldPath.Index(i), item.Name))
		}
	}
	return warnings
}
