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
	"math"
	"net"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const (
	// podDeletionCostAnnotation is the annotation with the cost of deleting
	// a pod of a ReplicaSet relative to the other pods; it must be an int32.
	podDeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost"
	// maxDNSNameservers is the maximum number of nameservers in a dnsConfig.
	maxDNSNameservers = 3
	// maxDNSSearchPaths is the maximum number of search paths in a dnsConfig.
	maxDNSSearchPaths = 32
)

var (
	supportedRestartPolicies = []corev1.RestartPolicy{
		corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever,
	}
	supportedContainerRestartPolicies = []corev1.ContainerRestartPolicy{
		corev1.ContainerRestartPolicyAlways, corev1.ContainerRestartPolicyOnFailure, corev1.ContainerRestartPolicyNever,
	}
	supportedDNSPolicies = []corev1.DNSPolicy{
		corev1.DNSClusterFirstWithHostNet, corev1.DNSClusterFirst, corev1.DNSDefault, corev1.DNSNone,
	}
	supportedPullPolicies = []corev1.PullPolicy{
		corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever,
	}
	supportedPortProtocols = []corev1.Protocol{
		corev1.ProtocolSCTP, corev1.ProtocolTCP, corev1.ProtocolUDP,
	}
	supportedTerminationMessagePolicies = []corev1.TerminationMessagePolicy{
		corev1.TerminationMessageReadFile, corev1.TerminationMessageFallbackToLogsOnError,
	}
	supportedTolerationOperators = []corev1.TolerationOperator{
		corev1.TolerationOpEqual, corev1.TolerationOpExists,
	}
	supportedTaintEffects = []corev1.TaintEffect{
		corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute,
	}
	supportedPreemptionPolicies = []corev1.PreemptionPolicy{
		corev1.PreemptLowerPriority, corev1.PreemptNever,
	}
	supportedOSNames                        = []corev1.OSName{corev1.Linux, corev1.Windows}
	supportedHTTPSchemes                    = []corev1.URIScheme{corev1.URISchemeHTTP, corev1.URISchemeHTTPS}
	supportedUnsatisfiableConstraintActions = []corev1.UnsatisfiableConstraintAction{
		corev1.DoNotSchedule, corev1.ScheduleAnyway,
	}
	supportedNodeSelectorOperators = []corev1.NodeSelectorOperator{
		corev1.NodeSelectorOpDoesNotExist, corev1.NodeSelectorOpExists, corev1.NodeSelectorOpGt,
		corev1.NodeSelectorOpIn, corev1.NodeSelectorOpLt, corev1.NodeSelectorOpNotIn,
	}
)

// oneOf reports whether value is one of supported.
func oneOf[T comparable](value T, supported []T) bool {
	for _, s := range supported {
		if value == s {
			return true
		}
	}
	return false
}

// validateOptionalEnum returns a NotSupported error when value is set and not
// one of supported. An empty value is accepted because it is defaulted.
func validateOptionalEnum[T ~string](value T, supported []T, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if value != "" && !oneOf(value, supported) {
		allErrs = append(allErrs, field.NotSupported(fldPath, value, supported))
	}
	return allErrs
}

// validatePodTemplateSpec validates a pod template of a workload: its labels
// and annotations and its pod spec. Ephemeral containers are forbidden in a
// template.
func validatePodTemplateSpec(template *corev1.PodTemplateSpec, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if template == nil {
		return append(allErrs, field.Required(fldPath, ""))
	}
	allErrs = append(allErrs, metav1validation.ValidateLabels(template.Labels, fldPath.Child("labels"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateAnnotations(template.Annotations, fldPath.Child("annotations"))...)
	allErrs = append(allErrs, validatePodSpecificAnnotations(template.Annotations, fldPath.Child("annotations"))...)
	allErrs = append(allErrs, validatePodSpec(&template.Spec, fldPath.Child("spec"))...)
	if len(template.Spec.EphemeralContainers) > 0 {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("spec", "ephemeralContainers"), "ephemeral containers not allowed in pod template"))
	}
	return allErrs
}

// validatePodSpecificAnnotations validates the annotations that have a
// meaning for pods.
func validatePodSpecificAnnotations(annotations map[string]string, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if value, ok := annotations[podDeletionCostAnnotation]; ok {
		if _, err := strconv.ParseInt(value, 10, 32); err != nil {
			allErrs = append(allErrs, field.Invalid(fldPath.Key(podDeletionCostAnnotation), value, "must be a 32bit integer"))
		}
	}
	return allErrs
}

// validatePodSpec validates the spec of a pod template.
func validatePodSpec(spec *corev1.PodSpec, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}

	volumes, volumeErrs := validateVolumes(spec.Volumes, fldPath.Child("volumes"))
	allErrs = append(allErrs, volumeErrs...)
	claimNames, claimErrs := validatePodResourceClaims(spec.ResourceClaims, fldPath.Child("resourceClaims"))
	allErrs = append(allErrs, claimErrs...)

	gracePeriod := spec.TerminationGracePeriodSeconds
	allErrs = append(allErrs, validateContainers(spec.Containers, volumes, claimNames, gracePeriod, fldPath.Child("containers"))...)
	allErrs = append(allErrs, validateInitContainers(spec.InitContainers, spec.Containers, volumes, claimNames, gracePeriod, fldPath.Child("initContainers"))...)
	allErrs = append(allErrs, validateEphemeralContainerNames(spec.EphemeralContainers, spec.Containers, spec.InitContainers, fldPath.Child("ephemeralContainers"))...)

	allErrs = append(allErrs, validateOptionalEnum(spec.RestartPolicy, supportedRestartPolicies, fldPath.Child("restartPolicy"))...)
	allErrs = append(allErrs, validateOptionalEnum(spec.DNSPolicy, supportedDNSPolicies, fldPath.Child("dnsPolicy"))...)
	allErrs = append(allErrs, validatePodDNSConfig(spec.DNSConfig, spec.DNSPolicy, fldPath.Child("dnsConfig"))...)
	allErrs = append(allErrs, metav1validation.ValidateLabels(spec.NodeSelector, fldPath.Child("nodeSelector"))...)

	if spec.TerminationGracePeriodSeconds != nil {
		allErrs = append(allErrs, validateNonnegativeField(*spec.TerminationGracePeriodSeconds, fldPath.Child("terminationGracePeriodSeconds"))...)
	}
	if spec.ActiveDeadlineSeconds != nil {
		if value := *spec.ActiveDeadlineSeconds; value < 1 || value > math.MaxInt32 {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("activeDeadlineSeconds"), value, utilvalidation.InclusiveRangeError(1, math.MaxInt32)))
		}
	}

	if len(spec.ServiceAccountName) > 0 {
		allErrs = append(allErrs, validateDNS1123Subdomain(spec.ServiceAccountName, fldPath.Child("serviceAccountName"))...)
	}
	// DeprecatedServiceAccount must agree with ServiceAccountName when both are set.
	if sa := spec.DeprecatedServiceAccount; len(sa) > 0 && len(spec.ServiceAccountName) > 0 && sa != spec.ServiceAccountName {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("serviceAccount"), sa, fmt.Sprintf("must be the same as serviceAccountName: %q", spec.ServiceAccountName)))
	}
	if len(spec.NodeName) > 0 {
		allErrs = append(allErrs, validateDNS1123Subdomain(spec.NodeName, fldPath.Child("nodeName"))...)
	}
	if len(spec.Hostname) > 0 {
		allErrs = append(allErrs, validateDNS1123Label(spec.Hostname, fldPath.Child("hostname"))...)
	}
	if len(spec.Subdomain) > 0 {
		allErrs = append(allErrs, validateDNS1123Label(spec.Subdomain, fldPath.Child("subdomain"))...)
	}
	if len(spec.PriorityClassName) > 0 {
		allErrs = append(allErrs, validateDNS1123Subdomain(spec.PriorityClassName, fldPath.Child("priorityClassName"))...)
	}
	if spec.RuntimeClassName != nil {
		allErrs = append(allErrs, validateDNS1123Subdomain(*spec.RuntimeClassName, fldPath.Child("runtimeClassName"))...)
	}
	if spec.PreemptionPolicy != nil {
		allErrs = append(allErrs, validateOptionalEnum(*spec.PreemptionPolicy, supportedPreemptionPolicies, fldPath.Child("preemptionPolicy"))...)
	}
	if spec.OS != nil && !oneOf(spec.OS.Name, supportedOSNames) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("os", "name"), spec.OS.Name, supportedOSNames))
	}

	allErrs = append(allErrs, validateTolerations(spec.Tolerations, fldPath.Child("tolerations"))...)
	allErrs = append(allErrs, validateSchedulingGates(spec.SchedulingGates, fldPath.Child("schedulingGates"))...)
	allErrs = append(allErrs, validateReadinessGates(spec.ReadinessGates, fldPath.Child("readinessGates"))...)
	allErrs = append(allErrs, validateAffinity(spec.Affinity, fldPath.Child("affinity"))...)
	allErrs = append(allErrs, validateTopologySpreadConstraints(spec.TopologySpreadConstraints, fldPath.Child("topologySpreadConstraints"))...)
	allErrs = append(allErrs, validateHostAliases(spec.HostAliases, fldPath.Child("hostAliases"))...)
	if spec.Overhead != nil {
		allErrs = append(allErrs, validateResourceList(spec.Overhead, validateContainerResourceName, fldPath.Child("overhead"))...)
	}
	if spec.Resources != nil {
		resourcesPath := fldPath.Child("resources")
		if len(spec.Resources.Claims) > 0 {
			allErrs = append(allErrs, field.Forbidden(resourcesPath.Child("claims"), "claims may not be set for Resources at pod-level"))
		}
		allErrs = append(allErrs, validateResourceRequirements(&corev1.ResourceRequirements{Limits: spec.Resources.Limits, Requests: spec.Resources.Requests}, nil, resourcesPath)...)
	}
	return allErrs
}

// validateContainers validates the regular containers of a pod spec: at least
// one is required and their names must be unique.
func validateContainers(containers []corev1.Container, volumes sets.Set[string], claimNames sets.Set[string], gracePeriod *int64, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if len(containers) == 0 {
		return append(allErrs, field.Required(fldPath, ""))
	}
	allNames := sets.New[string]()
	for i := range containers {
		ctr := &containers[i]
		idxPath := fldPath.Index(i)
		allErrs = append(allErrs, validateContainerCommon(ctr, volumes, claimNames, idxPath)...)
		if allNames.Has(ctr.Name) {
			allErrs = append(allErrs, field.Duplicate(idxPath.Child("name"), ctr.Name))
		} else {
			allNames.Insert(ctr.Name)
		}
		allErrs = append(allErrs, validateLifecycle(ctr.Lifecycle, gracePeriod, idxPath.Child("lifecycle"))...)
		allErrs = append(allErrs, validateProbes(ctr, idxPath)...)
		if ctr.RestartPolicy != nil {
			allErrs = append(allErrs, validateOptionalEnum(*ctr.RestartPolicy, supportedContainerRestartPolicies, idxPath.Child("restartPolicy"))...)
		}
	}
	allErrs = append(allErrs, checkHostPortConflicts(containers, fldPath)...)
	return allErrs
}

// validateInitContainers validates the init containers of a pod spec. Their
// names must be unique among the init and regular containers; lifecycle
// hooks and probes are only allowed for restartable (sidecar) init containers.
func validateInitContainers(containers, regularContainers []corev1.Container, volumes sets.Set[string], claimNames sets.Set[string], gracePeriod *int64, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	allNames := sets.New[string]()
	for i := range regularContainers {
		allNames.Insert(regularContainers[i].Name)
	}
	for i := range containers {
		ctr := &containers[i]
		idxPath := fldPath.Index(i)
		allErrs = append(allErrs, validateContainerCommon(ctr, volumes, claimNames, idxPath)...)
		if allNames.Has(ctr.Name) {
			allErrs = append(allErrs, field.Duplicate(idxPath.Child("name"), ctr.Name))
		} else if len(ctr.Name) > 0 {
			allNames.Insert(ctr.Name)
		}
		// Init containers run one by one, so host ports only conflict within one.
		allErrs = append(allErrs, checkHostPortConflicts([]corev1.Container{*ctr}, fldPath)...)

		restartable := false
		if ctr.RestartPolicy != nil {
			restartable = *ctr.RestartPolicy == corev1.ContainerRestartPolicyAlways
			if !restartable {
				allErrs = append(allErrs, field.NotSupported(idxPath.Child("restartPolicy"), *ctr.RestartPolicy, []corev1.ContainerRestartPolicy{corev1.ContainerRestartPolicyAlways}))
			}
		}
		if restartable {
			allErrs = append(allErrs, validateLifecycle(ctr.Lifecycle, gracePeriod, idxPath.Child("lifecycle"))...)
			allErrs = append(allErrs, validateProbes(ctr, idxPath)...)
			continue
		}
		const msg = "may not be set for init containers without restartPolicy=Always"
		if ctr.Lifecycle != nil {
			allErrs = append(allErrs, field.Forbidden(idxPath.Child("lifecycle"), msg))
		}
		if ctr.LivenessProbe != nil {
			allErrs = append(allErrs, field.Forbidden(idxPath.Child("livenessProbe"), msg))
		}
		if ctr.ReadinessProbe != nil {
			allErrs = append(allErrs, field.Forbidden(idxPath.Child("readinessProbe"), msg))
		}
		if ctr.StartupProbe != nil {
			allErrs = append(allErrs, field.Forbidden(idxPath.Child("startupProbe"), msg))
		}
	}
	return allErrs
}

// validateEphemeralContainerNames validates that ephemeral container names
// are DNS labels unique among all containers of the pod.
func validateEphemeralContainerNames(ephemeral []corev1.EphemeralContainer, containers, initContainers []corev1.Container, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	allNames := sets.New[string]()
	for i := range containers {
		allNames.Insert(containers[i].Name)
	}
	for i := range initContainers {
		allNames.Insert(initContainers[i].Name)
	}
	for i := range ephemeral {
		namePath := fldPath.Index(i).Child("name")
		name := ephemeral[i].Name
		switch {
		case len(name) == 0:
			allErrs = append(allErrs, field.Required(namePath, ""))
		case allNames.Has(name):
			allErrs = append(allErrs, field.Duplicate(namePath, name))
		default:
			allErrs = append(allErrs, validateDNS1123Label(name, namePath)...)
			allNames.Insert(name)
		}
	}
	return allErrs
}

// validateContainerCommon applies the validation shared by regular and init
// containers.
func validateContainerCommon(ctr *corev1.Container, volumes sets.Set[string], claimNames sets.Set[string], fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}

	namePath := fldPath.Child("name")
	if len(ctr.Name) == 0 {
		allErrs = append(allErrs, field.Required(namePath, ""))
	} else {
		allErrs = append(allErrs, validateDNS1123Label(ctr.Name, namePath)...)
	}

	imagePath := fldPath.Child("image")
	if len(ctr.Image) == 0 {
		allErrs = append(allErrs, field.Required(imagePath, ""))
	} else if len(strings.TrimSpace(ctr.Image)) != len(ctr.Image) {
		allErrs = append(allErrs, field.Invalid(imagePath, ctr.Image, "must not have leading or trailing whitespace"))
	}

	allErrs = append(allErrs, validateOptionalEnum(ctr.TerminationMessagePolicy, supportedTerminationMessagePolicies, fldPath.Child("terminationMessagePolicy"))...)
	allErrs = append(allErrs, validateOptionalEnum(ctr.ImagePullPolicy, supportedPullPolicies, fldPath.Child("imagePullPolicy"))...)
	allErrs = append(allErrs, validateContainerPorts(ctr.Ports, fldPath.Child("ports"))...)
	allErrs = append(allErrs, validateEnv(ctr.Env, fldPath.Child("env"))...)
	allErrs = append(allErrs, validateEnvFrom(ctr.EnvFrom, fldPath.Child("envFrom"))...)
	allErrs = append(allErrs, validateVolumeMounts(ctr.VolumeMounts, ctr.VolumeDevices, volumes, fldPath.Child("volumeMounts"))...)
	allErrs = append(allErrs, validateVolumeDevices(ctr.VolumeDevices, volumes, fldPath.Child("volumeDevices"))...)
	allErrs = append(allErrs, validateResourceRequirements(&ctr.Resources, claimNames, fldPath.Child("resources"))...)
	return allErrs
}

// validateContainerPorts validates the ports of one container: port numbers,
// protocols and names, which must be unique within the container.
func validateContainerPorts(ports []corev1.ContainerPort, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	allNames := sets.New[string]()
	for i, port := range ports {
		idxPath := fldPath.Index(i)
		if len(port.Name) > 0 {
			if msgs := utilvalidation.IsValidPortName(port.Name); len(msgs) != 0 {
				for _, msg := range msgs {
					allErrs = append(allErrs, field.Invalid(idxPath.Child("name"), port.Name, msg))
				}
			} else if allNames.Has(port.Name) {
				allErrs = append(allErrs, field.Duplicate(idxPath.Child("name"), port.Name))
			} else {
				allNames.Insert(port.Name)
			}
		}
		if port.ContainerPort == 0 {
			allErrs = append(allErrs, field.Required(idxPath.Child("containerPort"), ""))
		} else {
			for _, msg := range utilvalidation.IsValidPortNum(int(port.ContainerPort)) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("containerPort"), port.ContainerPort, msg))
			}
		}
		if port.HostPort != 0 {
			for _, msg := range utilvalidation.IsValidPortNum(int(port.HostPort)) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("hostPort"), port.HostPort, msg))
			}
		}
		allErrs = append(allErrs, validateOptionalEnum(port.Protocol, supportedPortProtocols, idxPath.Child("protocol"))...)
		if len(port.HostIP) > 0 && net.ParseIP(port.HostIP) == nil {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("hostIP"), port.HostIP, "must be a valid IP address"))
		}
	}
	return allErrs
}

// checkHostPortConflicts returns an error for every host port that is
// declared more than once across containers.
func checkHostPortConflicts(containers []corev1.Container, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	seen := sets.New[string]()
	for ci := range containers {
		for pi, port := range containers[ci].Ports {
			if port.HostPort == 0 {
				continue
			}
			protocol := port.Protocol
			if protocol == "" {
				protocol = corev1.ProtocolTCP
			}
			key := fmt.Sprintf("%s/%s/%d", protocol, port.HostIP, port.HostPort)
			if seen.Has(key) {
				allErrs = append(allErrs, field.Duplicate(fldPath.Index(ci).Child("ports").Index(pi).Child("hostPort"), key))
			} else {
				seen.Insert(key)
			}
		}
	}
	return allErrs
}

// validateEnv validates environment variables: any printable ASCII name
// except '=' and at most one source for valueFrom.
func validateEnv(vars []corev1.EnvVar, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	for i, ev := range vars {
		idxPath := fldPath.Index(i)
		if len(ev.Name) == 0 {
			allErrs = append(allErrs, field.Required(idxPath.Child("name"), ""))
		} else {
			for _, msg := range utilvalidation.IsRelaxedEnvVarName(ev.Name) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("name"), ev.Name, msg))
			}
		}
		allErrs = append(allErrs, validateEnvVarValueFrom(ev, idxPath.Child("valueFrom"))...)
	}
	return allErrs
}

// validateEnvVarValueFrom validates that valueFrom names exactly one source
// and is not combined with a literal value.
func validateEnvVarValueFrom(ev corev1.EnvVar, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if ev.ValueFrom == nil {
		return allErrs
	}
	from := ev.ValueFrom
	numSources := 0
	if from.FieldRef != nil {
		numSources++
		if len(from.FieldRef.FieldPath) == 0 {
			allErrs = append(allErrs, field.Required(fldPath.Child("fieldRef", "fieldPath"), ""))
		}
	}
	if from.ResourceFieldRef != nil {
		numSources++
		if len(from.ResourceFieldRef.Resource) == 0 {
			allErrs = append(allErrs, field.Required(fldPath.Child("resourceFieldRef", "resource"), ""))
		}
	}
	if from.ConfigMapKeyRef != nil {
		numSources++
		allErrs = append(allErrs, validateKeyReference(from.ConfigMapKeyRef.Name, from.ConfigMapKeyRef.Key, fldPath.Child("configMapKeyRef"))...)
	}
	if from.SecretKeyRef != nil {
		numSources++
		allErrs = append(allErrs, validateKeyReference(from.SecretKeyRef.Name, from.SecretKeyRef.Key, fldPath.Child("secretKeyRef"))...)
	}
	if from.FileKeyRef != nil {
		numSources++
		keyPath := fldPath.Child("fileKeyRef")
		if len(from.FileKeyRef.VolumeName) == 0 {
			allErrs = append(allErrs, field.Required(keyPath.Child("volumeName"), ""))
		}
		if len(from.FileKeyRef.Path) == 0 {
			allErrs = append(allErrs, field.Required(keyPath.Child("path"), ""))
		}
		if len(from.FileKeyRef.Key) == 0 {
			allErrs = append(allErrs, field.Required(keyPath.Child("key"), ""))
		}
	}
	switch {
	case numSources == 0:
		allErrs = append(allErrs, field.Invalid(fldPath, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef` or `fileKeyRef`"))
	case len(ev.Value) != 0:
		allErrs = append(allErrs, field.Invalid(fldPath, "", "may not be specified when `value` is not empty"))
	case numSources > 1:
		allErrs = append(allErrs, field.Invalid(fldPath, "", "may not have more than one field specified at a time"))
	}
	return allErrs
}

// validateKeyReference validates a reference to a key of a ConfigMap or Secret.
func validateKeyReference(name, key string, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if len(name) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("name"), ""))
	} else {
		allErrs = append(allErrs, validateDNS1123Subdomain(name, fldPath.Child("name"))...)
	}
	if len(key) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("key"), ""))
	} else {
		for _, msg := range utilvalidation.IsConfigMapKey(key) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("key"), key, msg))
		}
	}
	return allErrs
}

// validateEnvFrom validates the envFrom sources of a container.
func validateEnvFrom(sources []corev1.EnvFromSource, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	for i, ev := range sources {
		idxPath := fldPath.Index(i)
		if len(ev.Prefix) > 0 {
			for _, msg := range utilvalidation.IsRelaxedEnvVarName(ev.Prefix) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("prefix"), ev.Prefix, msg))
			}
		}
		numSources := 0
		if ev.ConfigMapRef != nil {
			numSources++
			if len(ev.ConfigMapRef.Name) == 0 {
				allErrs = append(allErrs, field.Required(idxPath.Child("configMapRef", "name"), ""))
			} else {
				allErrs = append(allErrs, validateDNS1123Subdomain(ev.ConfigMapRef.Name, idxPath.Child("configMapRef", "name"))...)
			}
		}
		if ev.SecretRef != nil {
			numSources++
			if len(ev.SecretRef.Name) == 0 {
				allErrs = append(allErrs, field.Required(idxPath.Child("secretRef", "name"), ""))
			} else {
				allErrs = append(allErrs, validateDNS1123Subdomain(ev.SecretRef.Name, idxPath.Child("secretRef", "name"))...)
			}
		}
		switch {
		case numSources == 0:
			allErrs = append(allErrs, field.Invalid(idxPath, "", "must specify one of: `configMapRef` or `secretRef`"))
		case numSources > 1:
			allErrs = append(allErrs, field.Invalid(idxPath, "", "may not have more than one field specified at a time"))
		}
	}
	return allErrs
}

// validateLifecycle validates the postStart and preStop hooks of a container.
func validateLifecycle(lifecycle *corev1.Lifecycle, gracePeriod *int64, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if lifecycle == nil {
		return allErrs
	}
	if lifecycle.PostStart != nil {
		h := lifecycle.PostStart
		allErrs = append(allErrs, validateHandler(h.Exec, h.HTTPGet, h.TCPSocket, nil, h.Sleep, gracePeriod, fldPath.Child("postStart"))...)
	}
	if lifecycle.PreStop != nil {
		h := lifecycle.PreStop
		allErrs = append(allErrs, validateHandler(h.Exec, h.HTTPGet, h.TCPSocket, nil, h.Sleep, gracePeriod, fldPath.Child("preStop"))...)
	}
	return allErrs
}

// validateProbes validates the liveness, readiness and startup probes of a
// container. A successThreshold of 0 is accepted for liveness and startup
// probes because it is defaulted to 1.
func validateProbes(ctr *corev1.Container, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if p := ctr.LivenessProbe; p != nil {
		allErrs = append(allErrs, validateProbe(p, fldPath.Child("livenessProbe"))...)
		if p.SuccessThreshold != 0 && p.SuccessThreshold != 1 {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("livenessProbe", "successThreshold"), p.SuccessThreshold, "must be 1"))
		}
	}
	if p := ctr.ReadinessProbe; p != nil {
		allErrs = append(allErrs, validateProbe(p, fldPath.Child("readinessProbe"))...)
		if p.TerminationGracePeriodSeconds != nil {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("readinessProbe", "terminationGracePeriodSeconds"), *p.TerminationGracePeriodSeconds, "must not be set for readinessProbes"))
		}
	}
	if p := ctr.StartupProbe; p != nil {
		allErrs = append(allErrs, validateProbe(p, fldPath.Child("startupProbe"))...)
		if p.SuccessThreshold != 0 && p.SuccessThreshold != 1 {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("startupProbe", "successThreshold"), p.SuccessThreshold, "must be 1"))
		}
	}
	return allErrs
}

// validateProbe validates the handler and the timing fields of a probe.
func validateProbe(probe *corev1.Probe, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	h := &probe.ProbeHandler
	allErrs = append(allErrs, validateHandler(h.Exec, h.HTTPGet, h.TCPSocket, h.GRPC, nil, nil, fldPath)...)
	allErrs = append(allErrs, validateNonnegativeField(int64(probe.InitialDelaySeconds), fldPath.Child("initialDelaySeconds"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(probe.TimeoutSeconds), fldPath.Child("timeoutSeconds"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(probe.PeriodSeconds), fldPath.Child("periodSeconds"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(probe.SuccessThreshold), fldPath.Child("successThreshold"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(probe.FailureThreshold), fldPath.Child("failureThreshold"))...)
	if probe.TerminationGracePeriodSeconds != nil && *probe.TerminationGracePeriodSeconds <= 0 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("terminationGracePeriodSeconds"), *probe.TerminationGracePeriodSeconds, "must be greater than 0"))
	}
	return allErrs
}

// validateHandler validates that exactly one handler of a probe or lifecycle
// hook is set and that it is well formed.
func validateHandler(exec *corev1.ExecAction, httpGet *corev1.HTTPGetAction, tcpSocket *corev1.TCPSocketAction, grpc *corev1.GRPCAction, sleep *corev1.SleepAction, gracePeriod *int64, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	numHandlers := 0
	count := func(set bool, name string) bool {
		if !set {
			return false
		}
		if numHandlers > 0 {
			allErrs = append(allErrs, field.Forbidden(fldPath.Child(name), "may not specify more than 1 handler type"))
			return false
		}
		numHandlers++
		return true
	}
	if count(exec != nil, "exec") && len(exec.Command) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("exec", "command"), ""))
	}
	if count(httpGet != nil, "httpGet") {
		allErrs = append(allErrs, validatePortNumOrName(httpGet.Port, fldPath.Child("httpGet", "port"))...)
		allErrs = append(allErrs, validateOptionalEnum(httpGet.Scheme, supportedHTTPSchemes, fldPath.Child("httpGet", "scheme"))...)
	}
	if count(tcpSocket != nil, "tcpSocket") {
		allErrs = append(allErrs, validatePortNumOrName(tcpSocket.Port, fldPath.Child("tcpSocket", "port"))...)
	}
	if count(grpc != nil, "grpc") {
		for _, msg := range utilvalidation.IsValidPortNum(int(grpc.Port)) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("grpc", "port"), grpc.Port, msg))
		}
	}
	if count(sleep != nil, "sleep") && gracePeriod != nil && (sleep.Seconds < 0 || sleep.Seconds > *gracePeriod) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("sleep"), sleep.Seconds, fmt.Sprintf("must be non-negative and less than terminationGracePeriodSeconds (%d)", *gracePeriod)))
	}
	if numHandlers == 0 {
		allErrs = append(allErrs, field.Required(fldPath, "must specify a handler type"))
	}
	return allErrs
}

// validatePortNumOrName validates a port given as a number or an IANA service name.
func validatePortNumOrName(port intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	switch port.Type {
	case intstr.Int:
		for _, msg := range utilvalidation.IsValidPortNum(port.IntValue()) {
			allErrs = append(allErrs, field.Invalid(fldPath, port.IntValue(), msg))
		}
	case intstr.String:
		for _, msg := range utilvalidation.IsValidPortName(port.StrVal) {
			allErrs = append(allErrs, field.Invalid(fldPath, port.StrVal, msg))
		}
	default:
		allErrs = append(allErrs, field.InternalError(fldPath, fmt.Errorf("unknown type: %v", port.Type)))
	}
	return allErrs
}

// validatePodDNSConfig validates the dnsConfig of a pod; the None DNS policy
// requires at least one nameserver.
func validatePodDNSConfig(config *corev1.PodDNSConfig, policy corev1.DNSPolicy, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if policy == corev1.DNSNone {
		if config == nil {
			return append(allErrs, field.Required(fldPath, fmt.Sprintf("must provide `dnsConfig` when `dnsPolicy` is %s", corev1.DNSNone)))
		}
		if len(config.Nameservers) == 0 {
			allErrs = append(allErrs, field.Required(fldPath.Child("nameservers"), fmt.Sprintf("must provide at least one DNS nameserver when `dnsPolicy` is %s", corev1.DNSNone)))
		}
	}
	if config == nil {
		return allErrs
	}
	if len(config.Nameservers) > maxDNSNameservers {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("nameservers"), config.Nameservers, fmt.Sprintf("must not have more than %v nameservers", maxDNSNameservers)))
	}
	for i, ns := range config.Nameservers {
		if net.ParseIP(ns) == nil {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("nameservers").Index(i), ns, "must be a valid IP address"))
		}
	}
	if len(config.Searches) > maxDNSSearchPaths {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("searches"), config.Searches, fmt.Sprintf("must not have more than %v search paths", maxDNSSearchPaths)))
	}
	for i, search := range config.Searches {
		if search == "." {
			continue
		}
		allErrs = append(allErrs, validateDNS1123Subdomain(strings.TrimSuffix(search, "."), fldPath.Child("searches").Index(i))...)
	}
	for i, option := range config.Options {
		if len(option.Name) == 0 {
			allErrs = append(allErrs, field.Required(fldPath.Child("options").Index(i), "must not be empty"))
		}
	}
	return allErrs
}

// validateTolerations validates the tolerations of a pod.
func validateTolerations(tolerations []corev1.Toleration, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	for i, t := range tolerations {
		idxPath := fldPath.Index(i)
		if len(t.Key) > 0 {
			allErrs = append(allErrs, metav1validation.ValidateLabelName(t.Key, idxPath.Child("key"))...)
		}
		if len(t.Key) == 0 && t.Operator != corev1.TolerationOpExists {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("operator"), t.Operator,
				"operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
		}
		if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("effect"), t.Effect,
				"effect must be 'NoExecute' when `tolerationSeconds` is set"))
		}
		switch t.Operator {
		case corev1.TolerationOpEqual, "":
			if errs := utilvalidation.IsValidLabelValue(t.Value); len(errs) != 0 {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("operator"), t.Value, strings.Join(errs, ";")))
			}
		case corev1.TolerationOpExists:
			if len(t.Value) > 0 {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("operator"), t.Value, "value must be empty when `operator` is 'Exists'"))
			}
		default:
			allErrs = append(allErrs, field.NotSupported(idxPath.Child("operator"), t.Operator, supportedTolerationOperators))
		}
		allErrs = append(allErrs, validateOptionalEnum(t.Effect, supportedTaintEffects, idxPath.Child("effect"))...)
	}
	return allErrs
}

// validateSchedulingGates validates that scheduling gate names are unique
// qualified names.
func validateSchedulingGates(gates []corev1.PodSchedulingGate, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	seen := sets.New[string]()
	for i, gate := range gates {
		allErrs = append(allErrs, validateQualifiedName(gate.Name, fldPath.Index(i))...)
		if seen.Has(gate.Name) {
			allErrs = append(allErrs, field.Duplicate(fldPath.Index(i), gate.Name))
		}
		seen.Insert(gate.Name)
	}
	return allErrs
}

// validateReadinessGates validates that readiness gate condition types are
// qualified names.
func validateReadinessGates(gates []corev1.PodReadinessGate, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	for i, gate := range gates {
		allErrs = append(allErrs, validateQualifiedName(string(gate.ConditionType), fldPath.Index(i).Child("conditionType"))...)
	}
	return allErrs
}

// validateAffinity validates the node selector requirements and the pod
// (anti-)affinity terms of a pod.
func validateAffinity(affinity *corev1.Affinity, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if affinity == nil {
		return allErrs
	}
	if na := affinity.NodeAffinity; na != nil {
		naPath := fldPath.Child("nodeAffinity")
		if req := na.RequiredDuringSchedulingIgnoredDuringExecution; req != nil {
			termsPath := naPath.Child("requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
			if len(req.NodeSelectorTerms) == 0 {
				allErrs = append(allErrs, field.Required(termsPath, "must have at least one node selector term"))
			}
			for i, term := range req.NodeSelectorTerms {
				allErrs = append(allErrs, validateNodeSelectorTerm(term, termsPath.Index(i))...)
			}
		}
		for i, pref := range na.PreferredDuringSchedulingIgnoredDuringExecution {
			prefPath := naPath.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i)
			if pref.Weight < 1 || pref.Weight > 100 {
				allErrs = append(allErrs, field.Invalid(prefPath.Child("weight"), pref.Weight, "must be in the range 1-100"))
			}
			allErrs = append(allErrs, validateNodeSelectorTerm(pref.Preference, prefPath.Child("preference"))...)
		}
	}
	if pa := affinity.PodAffinity; pa != nil {
		allErrs = append(allErrs, validatePodAffinityTerms(pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution, fldPath.Child("podAffinity"))...)
	}
	if paa := affinity.PodAntiAffinity; paa != nil {
		allErrs = append(allErrs, validatePodAffinityTerms(paa.RequiredDuringSchedulingIgnoredDuringExecution, paa.PreferredDuringSchedulingIgnoredDuringExecution, fldPath.Child("podAntiAffinity"))...)
	}
	return allErrs
}

// validateNodeSelectorTerm validates the match expressions and fields of a
// node selector term.
func validateNodeSelectorTerm(term corev1.NodeSelectorTerm, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	for j, req := range term.MatchExpressions {
		allErrs = append(allErrs, validateNodeSelectorRequirement(req, true, fldPath.Child("matchExpressions").Index(j))...)
	}
	for j, req := range term.MatchFields {
		allErrs = append(allErrs, validateNodeSelectorRequirement(req, false, fldPath.Child("matchFields").Index(j))...)
	}
	return allErrs
}

// validateNodeSelectorRequirement validates the operator, values and, for
// label requirements, the key of a node selector requirement.
func validateNodeSelectorRequirement(req corev1.NodeSelectorRequirement, labelKey bool, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	switch req.Operator {
	case corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn:
		if len(req.Values) == 0 {
			allErrs = append(allErrs, field.Required(fldPath.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
		}
	case corev1.NodeSelectorOpExists, corev1.NodeSelectorOpDoesNotExist:
		if len(req.Values) > 0 {
			allErrs = append(allErrs, field.Forbidden(fldPath.Child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
		}
	case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
		if len(req.Values) != 1 {
			allErrs = append(allErrs, field.Required(fldPath.Child("values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("operator"), req.Operator, supportedNodeSelectorOperators))
	}
	if labelKey {
		allErrs = append(allErrs, metav1validation.ValidateLabelName(req.Key, fldPath.Child("key"))...)
	} else if len(req.Key) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("key"), ""))
	}
	return allErrs
}

// validatePodAffinityTerms validates the required and preferred terms of a
// pod affinity or anti-affinity.
func validatePodAffinityTerms(required []corev1.PodAffinityTerm, preferred []corev1.WeightedPodAffinityTerm, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	for i, term := range required {
		allErrs = append(allErrs, validatePodAffinityTerm(term, fldPath.Child("requiredDuringSchedulingIgnoredDuringExecution").Index(i))...)
	}
	for i, weighted := range preferred {
		idxPath := fldPath.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i)
		if weighted.Weight < 1 || weighted.Weight > 100 {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("weight"), weighted.Weight, "must be in the range 1-100"))
		}
		allErrs = append(allErrs, validatePodAffinityTerm(weighted.PodAffinityTerm, idxPath.Child("podAffinityTerm"))...)
	}
	return allErrs
}

// validatePodAffinityTerm validates the selectors, namespaces and topology
// key of a pod affinity term.
func validatePodAffinityTerm(term corev1.PodAffinityTerm, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	opts := metav1validation.LabelSelectorValidationOptions{}
	allErrs = append(allErrs, metav1validation.ValidateLabelSelector(term.LabelSelector, opts, fldPath.Child("labelSelector"))...)
	allErrs = append(allErrs, metav1validation.ValidateLabelSelector(term.NamespaceSelector, opts, fldPath.Child("namespaceSelector"))...)
	for i, ns := range term.Namespaces {
		for _, msg := range apimachineryvalidation.ValidateNamespaceName(ns, false) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("namespaces").Index(i), ns, msg))
		}
	}
	if len(term.TopologyKey) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("topologyKey"), "can not be empty"))
	} else {
		allErrs = append(allErrs, metav1validation.ValidateLabelName(term.TopologyKey, fldPath.Child("topologyKey"))...)
	}
	for i, key := range term.MatchLabelKeys {
		allErrs = append(allErrs, metav1validation.ValidateLabelName(key, fldPath.Child("matchLabelKeys").Index(i))...)
	}
	for i, key := range term.MismatchLabelKeys {
		allErrs = append(allErrs, metav1validation.ValidateLabelName(key, fldPath.Child("mismatchLabelKeys").Index(i))...)
	}
	return allErrs
}

// validateTopologySpreadConstraints validates the topology spread
// constraints of a pod.
func validateTopologySpreadConstraints(constraints []corev1.TopologySpreadConstraint, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	seen := sets.New[string]()
	for i, c := range constraints {
		idxPath := fldPath.Index(i)
		if c.MaxSkew <= 0 {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("maxSkew"), c.MaxSkew, "must be greater than zero"))
		}
		if len(c.TopologyKey) == 0 {
			allErrs = append(allErrs, field.Required(idxPath.Child("topologyKey"), "can not be empty"))
		} else {
			allErrs = append(allErrs, metav1validation.ValidateLabelName(c.TopologyKey, idxPath.Child("topologyKey"))...)
		}
		if !oneOf(c.WhenUnsatisfiable, supportedUnsatisfiableConstraintActions) {
			allErrs = append(allErrs, field.NotSupported(idxPath.Child("whenUnsatisfiable"), c.WhenUnsatisfiable, supportedUnsatisfiableConstraintActions))
		}
		key := c.TopologyKey + "/" + string(c.WhenUnsatisfiable)
		if seen.Has(key) {
			allErrs = append(allErrs, field.Duplicate(idxPath, fmt.Sprintf("{%v, %v}", c.TopologyKey, c.WhenUnsatisfiable)))
		}
		seen.Insert(key)
		if c.MinDomains != nil {
			if *c.MinDomains <= 0 {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("minDomains"), *c.MinDomains, "must be greater than 0"))
			} else if c.WhenUnsatisfiable != corev1.DoNotSchedule {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("minDomains"), *c.MinDomains, fmt.Sprintf("can only use minDomains if whenUnsatisfiable=%s, not %s", corev1.DoNotSchedule, c.WhenUnsatisfiable)))
			}
		}
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(c.LabelSelector, metav1validation.LabelSelectorValidationOptions{}, idxPath.Child("labelSelector"))...)
	}
	return allErrs
}

// validateHostAliases validates the IP addresses and hostnames of host aliases.
func validateHostAliases(aliases []corev1.HostAlias, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	for i, alias := range aliases {
		idxPath := fldPath.Index(i)
		if net.ParseIP(alias.IP) == nil {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("ip"), alias.IP, "must be a valid IP address"))
		}
		for j, hostname := range alias.Hostnames {
			allErrs = append(allErrs, validateDNS1123Subdomain(hostname, idxPath.Child("hostnames").Index(j))...)
		}
	}
	return allErrs
}
