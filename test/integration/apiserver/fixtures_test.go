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

package apiserver

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	ac "github.com/kube-experimental/workloads-apiserver/pkg/generated/applyconfigurations/experimental/v1alpha1"
)

// Fixtures: one valid object per kind, the way a user would write it.

func podTemplate(app string, restartPolicy corev1.RestartPolicy) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{
			RestartPolicy: restartPolicy,
			Containers: []corev1.Container{{
				Name:  "main",
				Image: "registry.example/app:1.0",
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
			}},
		},
	}
}

func podTemplateApply(app string, restartPolicy corev1.RestartPolicy) *corev1ac.PodTemplateSpecApplyConfiguration {
	return corev1ac.PodTemplateSpec().
		WithLabels(map[string]string{"app": app}).
		WithSpec(corev1ac.PodSpec().
			WithRestartPolicy(restartPolicy).
			WithContainers(corev1ac.Container().WithName("main").WithImage("registry.example/app:1.0")))
}

func selector(app string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}
}

func newDeployment(name string) *v1alpha1.Deployment {
	return &v1alpha1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"tier": "web"}},
		Spec: v1alpha1.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Selector: selector(name),
			Template: podTemplate(name, corev1.RestartPolicyAlways),
		},
	}
}

func newReplicaSet(name string) *v1alpha1.ReplicaSet {
	return &v1alpha1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"tier": "web"}},
		Spec: v1alpha1.ReplicaSetSpec{
			Replicas: ptr.To[int32](2),
			Selector: selector(name),
			Template: podTemplate(name, corev1.RestartPolicyAlways),
		},
	}
}

func newDaemonSet(name string) *v1alpha1.DaemonSet {
	return &v1alpha1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"tier": "web"}},
		Spec: v1alpha1.DaemonSetSpec{
			Selector: selector(name),
			Template: podTemplate(name, corev1.RestartPolicyAlways),
		},
	}
}

func newJob(name string) *v1alpha1.Job {
	return &v1alpha1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"tier": "web"}},
		Spec: v1alpha1.JobSpec{
			Completions: ptr.To[int32](3),
			Parallelism: ptr.To[int32](2),
			Template:    podTemplate(name, corev1.RestartPolicyNever),
		},
	}
}

func newCronJob(name string) *v1alpha1.CronJob {
	return &v1alpha1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"tier": "web"}},
		Spec: v1alpha1.CronJobSpec{
			Schedule: "*/5 * * * *",
			JobTemplate: v1alpha1.JobTemplateSpec{
				Spec: v1alpha1.JobSpec{Template: podTemplate(name, corev1.RestartPolicyOnFailure)},
			},
		},
	}
}

func newHPA(name string) *v1alpha1.HorizontalPodAutoscaler {
	return &v1alpha1.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"tier": "web"}},
		Spec: v1alpha1.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: v1alpha1.CrossVersionObjectReference{APIVersion: "experimental/v1alpha1", Kind: "Deployment", Name: "web"},
			MinReplicas:    ptr.To[int32](2),
			MaxReplicas:    10,
		},
	}
}

func applyDeployment(name, ns string, replicas int32) *ac.DeploymentApplyConfiguration {
	return ac.Deployment(name, ns).WithSpec(ac.DeploymentSpec().
		WithReplicas(replicas).
		WithSelector(metav1ac.LabelSelector().WithMatchLabels(map[string]string{"app": name})).
		WithTemplate(podTemplateApply(name, corev1.RestartPolicyAlways)))
}
