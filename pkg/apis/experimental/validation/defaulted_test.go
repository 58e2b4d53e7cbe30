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
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/install"
	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// minimalPodTemplate is the smallest pod template a user would write.
func minimalPodTemplate(restartPolicy corev1.RestartPolicy) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{
			RestartPolicy: restartPolicy,
			Containers: []corev1.Container{{
				Name: "main", Image: "nginx",
				Ports: []corev1.ContainerPort{{ContainerPort: 80}},
				LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
					Port: intstr.FromInt32(80),
				}}},
			}},
		},
	}
}

// TestMinimalObjectsAfterDefaulting checks that minimal v1alpha1 objects are
// valid once defaulted and converted to the internal version, as the API
// server does before validation.
func TestMinimalObjectsAfterDefaulting(t *testing.T) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	meta := metav1.ObjectMeta{Name: "web", Namespace: "default", UID: "uid-1"}
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}

	tests := []struct {
		versioned runtime.Object
		internal  runtime.Object
		validate  func(runtime.Object) field.ErrorList
	}{
		{
			versioned: &v1alpha1.DaemonSet{ObjectMeta: meta, Spec: v1alpha1.DaemonSetSpec{Selector: selector, Template: minimalPodTemplate("")}},
			internal:  &experimental.DaemonSet{},
			validate:  func(o runtime.Object) field.ErrorList { return ValidateDaemonSet(o.(*experimental.DaemonSet)) },
		},
		{
			versioned: &v1alpha1.ReplicaSet{ObjectMeta: meta, Spec: v1alpha1.ReplicaSetSpec{Selector: selector, Template: minimalPodTemplate("")}},
			internal:  &experimental.ReplicaSet{},
			validate:  func(o runtime.Object) field.ErrorList { return ValidateReplicaSet(o.(*experimental.ReplicaSet)) },
		},
		{
			versioned: &v1alpha1.Deployment{ObjectMeta: meta, Spec: v1alpha1.DeploymentSpec{Selector: selector, Template: minimalPodTemplate("")}},
			internal:  &experimental.Deployment{},
			validate:  func(o runtime.Object) field.ErrorList { return ValidateDeployment(o.(*experimental.Deployment)) },
		},
		{
			// The selector and labels are what the registry generates.
			versioned: func() runtime.Object {
				template := minimalPodTemplate(corev1.RestartPolicyNever)
				template.Labels = map[string]string{
					"controller-uid": "uid-1", "batch.kubernetes.io/controller-uid": "uid-1",
					"job-name": "web", "batch.kubernetes.io/job-name": "web",
				}
				return &v1alpha1.Job{ObjectMeta: meta, Spec: v1alpha1.JobSpec{
					Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/controller-uid": "uid-1"}},
					Template: template,
					PodFailurePolicy: &v1alpha1.PodFailurePolicy{Rules: []v1alpha1.PodFailurePolicyRule{{
						Action:          v1alpha1.PodFailurePolicyActionIgnore,
						OnPodConditions: []v1alpha1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget}},
					}}},
				}}
			}(),
			internal: &experimental.Job{},
			validate: func(o runtime.Object) field.ErrorList { return ValidateJob(o.(*experimental.Job)) },
		},
		{
			versioned: &v1alpha1.CronJob{ObjectMeta: meta, Spec: v1alpha1.CronJobSpec{
				Schedule:    "@daily",
				JobTemplate: v1alpha1.JobTemplateSpec{Spec: v1alpha1.JobSpec{Template: minimalPodTemplate(corev1.RestartPolicyOnFailure)}},
			}},
			internal: &experimental.CronJob{},
			validate: func(o runtime.Object) field.ErrorList { return ValidateCronJob(o.(*experimental.CronJob)) },
		},
		{
			versioned: &v1alpha1.HorizontalPodAutoscaler{ObjectMeta: meta, Spec: v1alpha1.HorizontalPodAutoscalerSpec{
				ScaleTargetRef: v1alpha1.CrossVersionObjectReference{Kind: "Deployment", Name: "web", APIVersion: "experimental/v1alpha1"},
				MaxReplicas:    3,
				Behavior:       &v1alpha1.HorizontalPodAutoscalerBehavior{ScaleDown: &v1alpha1.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](60)}},
			}},
			internal: &experimental.HorizontalPodAutoscaler{},
			validate: func(o runtime.Object) field.ErrorList {
				return ValidateHorizontalPodAutoscaler(o.(*experimental.HorizontalPodAutoscaler))
			},
		},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%T", tc.internal), func(t *testing.T) {
			scheme.Default(tc.versioned)
			if err := scheme.Convert(tc.versioned, tc.internal, nil); err != nil {
				t.Fatalf("convert: %v", err)
			}
			expectErrors(t, tc.validate(tc.internal))
		})
	}
}
