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
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

const (
	tplSpec = "spec.template.spec"
	ctr0    = tplSpec + ".containers[0]"
	ctr1    = tplSpec + ".containers[1]"
)

func sidecar(name string) corev1.Container {
	return corev1.Container{Name: name, Image: "busybox", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)}
}

func TestValidatePodTemplateSpec(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*corev1.PodTemplateSpec)
		want   []wantErr
	}{
		{name: "valid", mutate: func(*corev1.PodTemplateSpec) {}},
		{name: "valid with undefaulted policies", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.RestartPolicy, p.Spec.DNSPolicy, p.Spec.TerminationGracePeriodSeconds = "", "", nil
			p.Spec.Containers[0].ImagePullPolicy, p.Spec.Containers[0].TerminationMessagePolicy = "", ""
		}},

		// metadata
		{name: "invalid label key", mutate: func(p *corev1.PodTemplateSpec) { p.Labels["bad key"] = "v" },
			want: []wantErr{invalid("spec.template.labels")}},
		{name: "invalid label value", mutate: func(p *corev1.PodTemplateSpec) { p.Labels["ok"] = "bad value" },
			want: []wantErr{invalid("spec.template.labels")}},
		{name: "invalid annotation key", mutate: func(p *corev1.PodTemplateSpec) { p.Annotations = map[string]string{"a/b/c": "v"} },
			want: []wantErr{invalid("spec.template.annotations")}},
		{name: "valid pod deletion cost", mutate: func(p *corev1.PodTemplateSpec) {
			p.Annotations = map[string]string{podDeletionCostAnnotation: "-10"}
		}},
		{name: "invalid pod deletion cost", mutate: func(p *corev1.PodTemplateSpec) {
			p.Annotations = map[string]string{podDeletionCostAnnotation: "lots"}
		}, want: []wantErr{invalid("spec.template.annotations[controller.kubernetes.io/pod-deletion-cost]")}},

		// containers and names
		{name: "no containers", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.Containers = nil },
			want: []wantErr{required(tplSpec + ".containers")}},
		{name: "missing container name", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.Containers[0].Name = "" },
			want: []wantErr{required(ctr0 + ".name")}},
		{name: "container name not a DNS label", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.Containers[0].Name = "Main_1" },
			want: []wantErr{invalid(ctr0 + ".name")}},
		{name: "unique container names", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "helper", Image: "busybox"})
			p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox"}}
		}},
		{name: "duplicate container names", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "main", Image: "busybox"})
		}, want: []wantErr{duplicate(ctr1 + ".name")}},
		{name: "init container name clashes with container", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.InitContainers = []corev1.Container{{Name: "main", Image: "busybox"}}
		}, want: []wantErr{duplicate(tplSpec + ".initContainers[0].name")}},
		{name: "ephemeral containers forbidden", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "busybox"}}}
		}, want: []wantErr{forbidden(tplSpec + ".ephemeralContainers")}},
		{name: "ephemeral container name clashes", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "main", Image: "busybox"}}}
		}, want: []wantErr{forbidden(tplSpec + ".ephemeralContainers"), duplicate(tplSpec + ".ephemeralContainers[0].name")}},

		// image and policies
		{name: "missing image", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.Containers[0].Image = "" },
			want: []wantErr{required(ctr0 + ".image")}},
		{name: "image with whitespace", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.Containers[0].Image = " nginx" },
			want: []wantErr{invalid(ctr0 + ".image")}},
		{name: "valid image pull policy", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.Containers[0].ImagePullPolicy = corev1.PullNever }},
		{name: "invalid image pull policy", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.Containers[0].ImagePullPolicy = "Sometimes" },
			want: []wantErr{notSupported(ctr0 + ".imagePullPolicy")}},
		{name: "invalid termination message policy", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.Containers[0].TerminationMessagePolicy = "Stdout" },
			want: []wantErr{notSupported(ctr0 + ".terminationMessagePolicy")}},
		{name: "valid restart policy", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.RestartPolicy = corev1.RestartPolicyOnFailure }},
		{name: "invalid restart policy", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.RestartPolicy = "Sometimes" },
			want: []wantErr{notSupported(tplSpec + ".restartPolicy")}},
		{name: "invalid DNS policy", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.DNSPolicy = "Public" },
			want: []wantErr{notSupported(tplSpec + ".dnsPolicy")}},
		{name: "DNS policy None with nameserver", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.DNSPolicy = corev1.DNSNone
			p.Spec.DNSConfig = &corev1.PodDNSConfig{Nameservers: []string{"10.0.0.10"}, Searches: []string{"svc.cluster.local."}}
		}},
		{name: "DNS policy None without dnsConfig", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.DNSPolicy = corev1.DNSNone },
			want: []wantErr{required(tplSpec + ".dnsConfig")}},
		{name: "invalid nameserver", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.DNSConfig = &corev1.PodDNSConfig{Nameservers: []string{"dns.example.com"}}
		}, want: []wantErr{invalid(tplSpec + ".dnsConfig.nameservers[0]")}},
		{name: "zero termination grace period", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](0) }},
		{name: "negative termination grace period", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](-1) },
			want: []wantErr{invalid(tplSpec + ".terminationGracePeriodSeconds")}},
		{name: "positive active deadline", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](10) }},
		{name: "zero active deadline", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](0) },
			want: []wantErr{invalid(tplSpec + ".activeDeadlineSeconds")}},
		{name: "valid node selector", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.NodeSelector = map[string]string{"kubernetes.io/os": "linux"} }},
		{name: "invalid node selector", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.NodeSelector = map[string]string{"kubernetes.io/os": "linux!"} },
			want: []wantErr{invalid(tplSpec + ".nodeSelector")}},
		{name: "invalid service account name", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.ServiceAccountName = "Robot" },
			want: []wantErr{invalid(tplSpec + ".serviceAccountName")}},
		{name: "invalid hostname", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.Hostname = "a.b" },
			want: []wantErr{invalid(tplSpec + ".hostname")}},

		// ports
		{name: "valid ports", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{
				{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
				{Name: "sctp", ContainerPort: 9000, HostPort: 9000, Protocol: corev1.ProtocolSCTP},
			}
		}},
		{name: "missing container port", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.Containers[0].Ports = []corev1.ContainerPort{{}} },
			want: []wantErr{required(ctr0 + ".ports[0].containerPort")}},
		{name: "container port out of range", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 70000}}
		}, want: []wantErr{invalid(ctr0 + ".ports[0].containerPort")}},
		{name: "host port out of range", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 65536}}
		}, want: []wantErr{invalid(ctr0 + ".ports[0].hostPort")}},
		{name: "unsupported protocol", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, Protocol: "HTTP"}}
		}, want: []wantErr{notSupported(ctr0 + ".ports[0].protocol")}},
		{name: "invalid port name", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http_port", ContainerPort: 80}}
		}, want: []wantErr{invalid(ctr0 + ".ports[0].name")}},
		{name: "duplicate port name in container", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 80}, {Name: "http", ContainerPort: 81}}
		}, want: []wantErr{duplicate(ctr0 + ".ports[1].name")}},
		{name: "same port name in two containers", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "metrics", ContainerPort: 80}}
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "side", Image: "busybox", Ports: []corev1.ContainerPort{{Name: "metrics", ContainerPort: 81}}})
		}},
		{name: "host port conflict", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080}}
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "side", Image: "busybox", Ports: []corev1.ContainerPort{{ContainerPort: 81, HostPort: 8080}}})
		}, want: []wantErr{duplicate(ctr1 + ".ports[0].hostPort")}},

		// resources
		{name: "valid resources", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Resources = corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: qty("500m"), corev1.ResourceMemory: qty("64Mi"), "example.com/gpu": qty("1")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: qty("1"), corev1.ResourceMemory: qty("64Mi"), "example.com/gpu": qty("1"), "hugepages-2Mi": qty("4Mi")},
			}
		}},
		{name: "requests above limits", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Resources = corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: qty("2")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: qty("1")},
			}
		}, want: []wantErr{invalid(ctr0 + ".resources.requests")}},
		{name: "negative quantity", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceMemory: qty("-1")}
		}, want: []wantErr{invalid(ctr0 + ".resources.requests[memory]")}},
		{name: "unknown standard resource", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{"gpu": qty("1")}
		}, want: []wantErr{invalid(ctr0 + ".resources.limits[gpu]")}},
		{name: "fractional extended resource", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{"example.com/gpu": qty("500m")}
		}, want: []wantErr{invalid(ctr0 + ".resources.limits[example.com/gpu]")}},
		{name: "extended resource request without limit", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{"example.com/gpu": qty("1")}
		}, want: []wantErr{required(ctr0 + ".resources.limits")}},
		{name: "extended resource request below limit", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Resources = corev1.ResourceRequirements{
				Requests: corev1.ResourceList{"example.com/gpu": qty("1")},
				Limits:   corev1.ResourceList{"example.com/gpu": qty("2")},
			}
		}, want: []wantErr{invalid(ctr0 + ".resources.requests")}},
		{name: "huge pages without cpu or memory", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{"hugepages-2Mi": qty("4Mi")}
		}, want: []wantErr{forbidden(ctr0 + ".resources")}},
		{name: "huge pages not a multiple of the page size", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceCPU: qty("1"), "hugepages-2Mi": qty("3Mi")}
		}, want: []wantErr{invalid(ctr0 + ".resources.limits[hugepages-2Mi]")}},
		{name: "valid resource claim", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.ResourceClaims = []corev1.PodResourceClaim{{Name: "gpu", ResourceClaimTemplateName: ptr.To("gpu-template")}}
			p.Spec.Containers[0].Resources.Claims = []corev1.ResourceClaim{{Name: "gpu"}}
		}},
		{name: "unknown resource claim", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Resources.Claims = []corev1.ResourceClaim{{Name: "gpu"}}
		}, want: []wantErr{notFound(ctr0 + ".resources.claims[0]")}},
		{name: "pod resource claim without source", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.ResourceClaims = []corev1.PodResourceClaim{{Name: "gpu"}}
		}, want: []wantErr{invalid(tplSpec + ".resourceClaims[0]")}},
		{name: "pod level requests above limits", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Resources = &corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceMemory: qty("2Gi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: qty("1Gi")},
			}
		}, want: []wantErr{invalid(tplSpec + ".resources.requests")}},
		{name: "negative overhead", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Overhead = corev1.ResourceList{corev1.ResourceCPU: qty("-1")}
		}, want: []wantErr{invalid(tplSpec + ".overhead[cpu]")}},

		// env
		{name: "valid env", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Env = []corev1.EnvVar{
				{Name: "1_relaxed.name-ok", Value: "x"},
				{Name: "POD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
				{Name: "CFG", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Key: "k"}}},
			}
		}},
		{name: "missing env name", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.Containers[0].Env = []corev1.EnvVar{{Value: "x"}} },
			want: []wantErr{required(ctr0 + ".env[0].name")}},
		{name: "env name with equals sign", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A=B"}} },
			want: []wantErr{invalid(ctr0 + ".env[0].name")}},
		{name: "env name with non-printable character", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A\tB"}} },
			want: []wantErr{invalid(ctr0 + ".env[0].name")}},
		{name: "valueFrom without source", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A", ValueFrom: &corev1.EnvVarSource{}}}
		}, want: []wantErr{invalid(ctr0 + ".env[0].valueFrom")}},
		{name: "valueFrom with two sources", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A", ValueFrom: &corev1.EnvVarSource{
				FieldRef:        &corev1.ObjectFieldSelector{FieldPath: "metadata.name"},
				SecretKeyRef:    &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "k"},
				ConfigMapKeyRef: nil,
			}}}
		}, want: []wantErr{invalid(ctr0 + ".env[0].valueFrom")}},
		{name: "valueFrom with value", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A", Value: "x", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}
		}, want: []wantErr{invalid(ctr0 + ".env[0].valueFrom")}},
		{name: "configMapKeyRef without key", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}}}
		}, want: []wantErr{required(ctr0 + ".env[0].valueFrom.configMapKeyRef.key")}},
		{name: "valid envFrom", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{Prefix: "CFG_", ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}}
		}},
		{name: "envFrom without source", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{}} },
			want: []wantErr{invalid(ctr0 + ".envFrom[0]")}},
		{name: "envFrom with invalid prefix", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{Prefix: "A=", SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}}}}
		}, want: []wantErr{invalid(ctr0 + ".envFrom[0].prefix")}},

		// volumes and mounts
		{name: "valid volumes and mounts", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Volumes = []corev1.Volume{
				{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Items: []corev1.KeyToPath{{Key: "a", Path: "conf/a"}}}}},
			}
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}, {Name: "cfg", MountPath: "/etc/cfg", SubPath: "conf"}}
		}},
		{name: "missing volume name", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Volumes = []corev1.Volume{{VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
		}, want: []wantErr{required(tplSpec + ".volumes[0].name")}},
		{name: "volume name not a DNS label", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Volumes = []corev1.Volume{{Name: "Data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
		}, want: []wantErr{invalid(tplSpec + ".volumes[0].name")}},
		{name: "duplicate volume names", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Volumes = []corev1.Volume{
				{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			}
		}, want: []wantErr{duplicate(tplSpec + ".volumes[1].name")}},
		{name: "volume without source", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.Volumes = []corev1.Volume{{Name: "data"}} },
			want: []wantErr{required(tplSpec + ".volumes[0]")}},
		{name: "volume with two sources", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
				EmptyDir:  &corev1.EmptyDirVolumeSource{},
				ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}},
			}}}
		}, want: []wantErr{forbidden(tplSpec + ".volumes[0].configMap")}},
		{name: "secret volume without secret name", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Volumes = []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{}}}}
		}, want: []wantErr{required(tplSpec + ".volumes[0].secret.secretName")}},
		{name: "config map item escaping the volume", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Volumes = []corev1.Volume{{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Items: []corev1.KeyToPath{{Key: "a", Path: "../a"}},
			}}}}
		}, want: []wantErr{invalid(tplSpec + ".volumes[0].configMap.items[0].path")}},
		{name: "mount of unknown volume", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
		}, want: []wantErr{notFound(ctr0 + ".volumeMounts[0].name")}},
		{name: "mount without path", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data"}}
		}, want: []wantErr{required(ctr0 + ".volumeMounts[0].mountPath")}},
		{name: "duplicate mount path", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Volumes = []corev1.Volume{
				{Name: "a", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "b", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			}
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "a", MountPath: "/data"}, {Name: "b", MountPath: "/data"}}
		}, want: []wantErr{invalid(ctr0 + ".volumeMounts[1].mountPath")}},
		{name: "absolute sub path", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data", SubPath: "/etc"}}
		}, want: []wantErr{invalid(ctr0 + ".volumeMounts[0].subPath")}},

		// probes and lifecycle
		{name: "valid probes", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}}, SuccessThreshold: 1}
			p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(80)}}, SuccessThreshold: 3}
			p.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 5}}}
		}},
		{name: "probe without handler", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.Containers[0].LivenessProbe = &corev1.Probe{} },
			want: []wantErr{required(ctr0 + ".livenessProbe")}},
		{name: "probe with two handlers", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
				Exec: &corev1.ExecAction{Command: []string{"true"}}, TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(80)},
			}}
		}, want: []wantErr{forbidden(ctr0 + ".readinessProbe.tcpSocket")}},
		{name: "liveness success threshold above 1", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090}}, SuccessThreshold: 2}
		}, want: []wantErr{invalid(ctr0 + ".livenessProbe.successThreshold")}},
		{name: "negative probe period", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090}}, PeriodSeconds: -1}
		}, want: []wantErr{invalid(ctr0 + ".startupProbe.periodSeconds")}},
		{name: "sleep longer than grace period", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 60}}}
		}, want: []wantErr{invalid(ctr0 + ".lifecycle.preStop.sleep")}},
		{name: "probe on init container", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox", LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090}}}}}
		}, want: []wantErr{forbidden(tplSpec + ".initContainers[0].livenessProbe")}},
		{name: "probe on sidecar init container", mutate: func(p *corev1.PodTemplateSpec) {
			c := sidecar("proxy")
			c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090}}}
			p.Spec.InitContainers = []corev1.Container{c}
		}},
		{name: "init container restart policy other than Always", mutate: func(p *corev1.PodTemplateSpec) {
			c := sidecar("proxy")
			c.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyNever)
			p.Spec.InitContainers = []corev1.Container{c}
		}, want: []wantErr{notSupported(tplSpec + ".initContainers[0].restartPolicy")}},

		// scheduling
		{name: "valid tolerations", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Tolerations = []corev1.Toleration{
				{Operator: corev1.TolerationOpExists},
				{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "gpu", Effect: corev1.TaintEffectNoSchedule},
				{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](30)},
			}
		}},
		{name: "unsupported toleration operator", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: "Like"}}
		}, want: []wantErr{notSupported(tplSpec + ".tolerations[0].operator")}},
		{name: "Exists toleration with value", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists, Value: "v"}}
		}, want: []wantErr{invalid(tplSpec + ".tolerations[0].operator")}},
		{name: "toleration without key must use Exists", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpEqual}}
		}, want: []wantErr{invalid(tplSpec + ".tolerations[0].operator")}},
		{name: "unsupported toleration effect", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists, Effect: "NoRun"}}
		}, want: []wantErr{notSupported(tplSpec + ".tolerations[0].effect")}},
		{name: "toleration seconds without NoExecute", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule, TolerationSeconds: ptr.To[int64](1)}}
		}, want: []wantErr{invalid(tplSpec + ".tolerations[0].effect")}},
		{name: "duplicate scheduling gates", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/gate"}, {Name: "example.com/gate"}}
		}, want: []wantErr{duplicate(tplSpec + ".schedulingGates[1]")}},
		{name: "unsupported node selector operator", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: "Near"}}}},
			}}}
		}, want: []wantErr{notSupported(tplSpec + ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator")}},
		{name: "pod affinity term without topology key", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			}}}}
		}, want: []wantErr{required(tplSpec + ".affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey")}},
		{name: "valid topology spread constraint", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: corev1.DoNotSchedule}}
		}},
		{name: "invalid topology spread constraint", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{TopologyKey: "zone", WhenUnsatisfiable: "Maybe"}}
		}, want: []wantErr{invalid(tplSpec + ".topologySpreadConstraints[0].maxSkew"), notSupported(tplSpec + ".topologySpreadConstraints[0].whenUnsatisfiable")}},
		{name: "invalid host alias IP", mutate: func(p *corev1.PodTemplateSpec) {
			p.Spec.HostAliases = []corev1.HostAlias{{IP: "localhost", Hostnames: []string{"db"}}}
		}, want: []wantErr{invalid(tplSpec + ".hostAliases[0].ip")}},
		{name: "unsupported OS", mutate: func(p *corev1.PodTemplateSpec) { p.Spec.OS = &corev1.PodOS{Name: "plan9"} },
			want: []wantErr{notSupported(tplSpec + ".os.name")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			template := validPodTemplate(corev1.RestartPolicyAlways)
			tc.mutate(&template)
			errs := validatePodTemplateSpec(&template, field.NewPath("spec", "template"))
			expectErrors(t, errs, tc.want...)
		})
	}
}

func TestPodTemplateErrorMessages(t *testing.T) {
	template := validPodTemplate(corev1.RestartPolicyAlways)
	template.Spec.Containers[0].Image = ""
	template.Spec.Containers[0].Resources = corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")},
	}
	errs := validatePodTemplateSpec(&template, field.NewPath("spec", "template"))
	expectErrorMessage(t, errs, "spec.template.spec.containers[0].image: Required value")
	expectErrorMessage(t, errs, `spec.template.spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1`)
}

func TestWarningsForPodTemplate(t *testing.T) {
	template := validPodTemplate(corev1.RestartPolicyAlways)
	template.Annotations = map[string]string{"scheduler.alpha.kubernetes.io/critical-pod": ""}
	template.Spec.NodeSelector = map[string]string{"beta.kubernetes.io/arch": "amd64"}
	template.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "reg"}, {Name: "reg"}}
	template.Spec.Volumes = []corev1.Volume{{Name: "repo", VolumeSource: corev1.VolumeSource{GitRepo: &corev1.GitRepoVolumeSource{Repository: "r"}}}}
	template.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "A", Value: "2"}}
	template.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("100m")}
	template.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "metrics", ContainerPort: 80}}
	template.Spec.Containers = append(template.Spec.Containers, corev1.Container{Name: "side", Image: "busybox", Ports: []corev1.ContainerPort{{Name: "metrics", ContainerPort: 81}}})

	warnings := warningsForPodTemplate(&template, field.NewPath("spec", "template"))
	for _, want := range []string{
		`spec.template.metadata.annotations[scheduler.alpha.kubernetes.io/critical-pod]: non-functional in v1.16+`,
		`spec.template.spec.nodeSelector[beta.kubernetes.io/arch]: deprecated since v1.14`,
		`spec.template.spec.imagePullSecrets[1].name: duplicate name "reg"`,
		`spec.template.spec.volumes[0].gitRepo: deprecated in v1.11`,
		`spec.template.spec.containers[0].env[1]: hides previous definition of "A"`,
		`spec.template.spec.containers[0].resources.requests[memory]: fractional byte value "100m" is invalid`,
		`spec.template.spec.containers[1].ports[0]: duplicate port name "metrics"`,
	} {
		found := false
		for _, w := range warnings {
			if strings.HasPrefix(w, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("missing warning %q in %q", want, warnings)
		}
	}
	if w := warningsForPodTemplate(ptr.To(validPodTemplate(corev1.RestartPolicyAlways)), field.NewPath("spec", "template")); len(w) != 0 {
		t.Errorf("unexpected warnings for a valid template: %q", w)
	}
}
