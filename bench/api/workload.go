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

package api

import (
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// Label and annotation keys the workload sets.
const (
	LabelBench          = "bench.workloads.experimental.test/run"
	AnnotationRevision  = "bench.workloads.experimental.test/revision"
	updatedEnvName      = "CONFIG_REVISION"
	deploymentKind      = "Deployment"
	workloadImage       = "registry.example.test/shop/web:1.27.3"
	workloadProxyImage  = "registry.example.test/platform/proxy:2.4.0"
	workloadServiceName = "web"
)

// NewDeployment returns the benchmark's Deployment named name as an
// unstructured object of the given apiVersion (apps/v1,
// experimental/v1alpha1 or the CRD's): three replicas of a pod with an
// application container and a proxy sidecar, each with ports, environment,
// resources and probes, plus labels and annotations on the Deployment and its
// template. Every field the built-in defaulting of apps/v1 would fill in is
// set explicitly, so all targets store the same object whatever defaulting
// they implement.
func NewDeployment(apiVersion, namespace, name string) (*unstructured.Unstructured, error) {
	selector := map[string]string{
		"app.kubernetes.io/name":     workloadServiceName,
		"app.kubernetes.io/instance": name,
	}
	podLabels := map[string]string{
		"app.kubernetes.io/name":      workloadServiceName,
		"app.kubernetes.io/instance":  name,
		"app.kubernetes.io/version":   "1.27.3",
		"app.kubernetes.io/component": "frontend",
		"app.kubernetes.io/part-of":   "shop",
	}
	d := appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: namespace,
			Labels: map[string]string{
				"app.kubernetes.io/name":       workloadServiceName,
				"app.kubernetes.io/instance":   name,
				"app.kubernetes.io/part-of":    "shop",
				"app.kubernetes.io/managed-by": "apibench",
				LabelBench:                     "api",
			},
			Annotations: map[string]string{
				"shop.example.test/owner":       "team-storefront",
				"shop.example.test/runbook":     "https://runbooks.example.test/shop/web",
				"shop.example.test/change-id":   "CHG-104233",
				AnnotationRevision:              "0",
				"deployment.example.test/notes": "canary disabled; rollout gated on error budget",
			},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			Strategy: appsv1.DeploymentStrategy{
				Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{
					MaxUnavailable: ptr.To(intstr.FromInt32(0)),
					MaxSurge:       ptr.To(intstr.FromString("25%")),
				},
			},
			MinReadySeconds:         5,
			RevisionHistoryLimit:    ptr.To[int32](10),
			ProgressDeadlineSeconds: ptr.To[int32](600),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels: podLabels,
					Annotations: map[string]string{
						"prometheus.io/scrape": "true",
						"prometheus.io/port":   "9090",
					},
				},
				Spec: podSpec(),
			},
		},
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&d)
	if err != nil {
		return nil, fmt.Errorf("converting the Deployment: %w", err)
	}
	u := &unstructured.Unstructured{Object: content}
	// Leave out what the API server owns: status and the null timestamps
	// of an empty ObjectMeta.
	unstructured.RemoveNestedField(u.Object, "status")
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "spec", "template", "metadata", "creationTimestamp")
	u.SetAPIVersion(apiVersion)
	u.SetKind(deploymentKind)
	return u, nil
}

func podSpec() corev1.PodSpec {
	probe := func(h corev1.ProbeHandler, initialDelay int32) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler:        h,
			InitialDelaySeconds: initialDelay,
			TimeoutSeconds:      1,
			PeriodSeconds:       10,
			SuccessThreshold:    1,
			FailureThreshold:    3,
		}
	}
	resources := func(cpuReq, memReq, cpuLim, memLim string) corev1.ResourceRequirements {
		return corev1.ResourceRequirements{
			Requests: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse(cpuReq),
				corev1.ResourceMemory: resource.MustParse(memReq),
			},
			Limits: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse(cpuLim),
				corev1.ResourceMemory: resource.MustParse(memLim),
			},
		}
	}
	return corev1.PodSpec{
		Containers: []corev1.Container{
			{
				Name:  "web",
				Image: workloadImage,
				Args:  []string{"--listen=:8080", "--metrics=:9090", "--log-format=json"},
				Ports: []corev1.ContainerPort{
					{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
					{Name: "metrics", ContainerPort: 9090, Protocol: corev1.ProtocolTCP},
				},
				Env: []corev1.EnvVar{
					{Name: "LOG_LEVEL", Value: "info"},
					{Name: "CACHE_DIR", Value: "/var/cache/web"},
					{Name: updatedEnvName, Value: "0"},
					{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{
						FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}},
					{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{
						FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}},
				},
				Resources: resources("250m", "256Mi", "1", "512Mi"),
				VolumeMounts: []corev1.VolumeMount{
					{Name: "cache", MountPath: "/var/cache/web"},
				},
				LivenessProbe: probe(corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
					Path: "/healthz", Port: intstr.FromString("http"), Scheme: corev1.URISchemeHTTP}}, 10),
				ReadinessProbe: probe(corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
					Path: "/readyz", Port: intstr.FromInt32(8080), Scheme: corev1.URISchemeHTTP}}, 2),
				TerminationMessagePath:   corev1.TerminationMessagePathDefault,
				TerminationMessagePolicy: corev1.TerminationMessageReadFile,
				ImagePullPolicy:          corev1.PullIfNotPresent,
			},
			{
				Name:  "proxy",
				Image: workloadProxyImage,
				Args:  []string{"--upstream=127.0.0.1:8080", "--listen=:15001"},
				Ports: []corev1.ContainerPort{
					{Name: "proxy", ContainerPort: 15001, Protocol: corev1.ProtocolTCP},
				},
				Env: []corev1.EnvVar{
					{Name: "PROXY_MODE", Value: "sidecar"},
					{Name: "PROXY_CONCURRENCY", Value: "2"},
				},
				Resources: resources("100m", "64Mi", "500m", "128Mi"),
				ReadinessProbe: probe(corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{
					Port: intstr.FromInt32(15001)}}, 1),
				TerminationMessagePath:   corev1.TerminationMessagePathDefault,
				TerminationMessagePolicy: corev1.TerminationMessageReadFile,
				ImagePullPolicy:          corev1.PullIfNotPresent,
			},
		},
		Volumes: []corev1.Volume{
			{Name: "cache", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		},
		RestartPolicy:                 corev1.RestartPolicyAlways,
		TerminationGracePeriodSeconds: ptr.To[int64](30),
		DNSPolicy:                     corev1.DNSClusterFirst,
		SchedulerName:                 corev1.DefaultSchedulerName,
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot: ptr.To(true),
		},
		NodeSelector: map[string]string{"kubernetes.io/os": "linux"},
	}
}

// MutateForUpdate changes obj as a rollout would: a new revision annotation
// and a new value of one environment variable of the pod template (a spec
// change, so metadata.generation moves). The change is the same on every
// target.
func MutateForUpdate(obj *unstructured.Unstructured, revision int) error {
	rev := strconv.Itoa(revision)
	ann := obj.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[AnnotationRevision] = rev
	obj.SetAnnotations(ann)

	containers, found, err := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers")
	if err != nil || !found || len(containers) == 0 {
		return fmt.Errorf("no containers in %s (found=%t): %v", obj.GetName(), found, err)
	}
	first, ok := containers[0].(map[string]any)
	if !ok {
		return fmt.Errorf("container of %s is %T", obj.GetName(), containers[0])
	}
	env, _, _ := unstructured.NestedSlice(first, "env")
	set := false
	for i, e := range env {
		m, ok := e.(map[string]any)
		if ok && m["name"] == updatedEnvName {
			m["value"] = rev
			env[i] = m
			set = true
		}
	}
	if !set {
		env = append(env, map[string]any{"name": updatedEnvName, "value": rev})
	}
	first["env"] = env
	containers[0] = first
	return unstructured.SetNestedSlice(obj.Object, containers, "spec", "template", "spec", "containers")
}
