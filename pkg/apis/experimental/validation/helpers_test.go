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
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

// wantErr is an expected validation error: its type and field path.
type wantErr struct {
	typ   field.ErrorType
	field string
}

func (w wantErr) String() string { return fmt.Sprintf("%s %s", w.field, w.typ) }

// Shorthands for expected errors.
func invalid(path string) wantErr      { return wantErr{field.ErrorTypeInvalid, path} }
func required(path string) wantErr     { return wantErr{field.ErrorTypeRequired, path} }
func notSupported(path string) wantErr { return wantErr{field.ErrorTypeNotSupported, path} }
func forbidden(path string) wantErr    { return wantErr{field.ErrorTypeForbidden, path} }
func duplicate(path string) wantErr    { return wantErr{field.ErrorTypeDuplicate, path} }
func notFound(path string) wantErr     { return wantErr{field.ErrorTypeNotFound, path} }
func tooMany(path string) wantErr      { return wantErr{field.ErrorTypeTooMany, path} }
func tooLong(path string) wantErr      { return wantErr{field.ErrorTypeTooLong, path} }

// expectErrors fails the test unless errs holds exactly the wanted errors
// (by type and field path, in any order).
func expectErrors(t *testing.T, errs field.ErrorList, want ...wantErr) {
	t.Helper()
	got := make([]string, 0, len(errs))
	for _, e := range errs {
		got = append(got, wantErr{e.Type, e.Field}.String())
	}
	exp := make([]string, 0, len(want))
	for _, w := range want {
		exp = append(exp, w.String())
	}
	sort.Strings(got)
	sort.Strings(exp)
	if strings.Join(got, "\n") != strings.Join(exp, "\n") {
		t.Errorf("unexpected errors\n got: %q\nwant: %q\nfull: %v", got, exp, errs)
	}
}

// expectErrorMessage fails the test unless one error renders exactly as msg.
func expectErrorMessage(t *testing.T, errs field.ErrorList, msg string) {
	t.Helper()
	for _, e := range errs {
		if e.Error() == msg {
			return
		}
	}
	t.Errorf("no error %q in %v", msg, errs)
}

func testSelector() *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
}

func testMeta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "default", ResourceVersion: "1"}
}

func intOrStr(v intstr.IntOrString) *intstr.IntOrString { return &v }

func qty(s string) resource.Quantity { return resource.MustParse(s) }

// validPodTemplate returns a valid, defaulted pod template with the given
// restart policy.
func validPodTemplate(restartPolicy corev1.RestartPolicy) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{
			RestartPolicy:                 restartPolicy,
			DNSPolicy:                     corev1.DNSClusterFirst,
			TerminationGracePeriodSeconds: ptr.To[int64](30),
			Containers: []corev1.Container{{
				Name:                     "main",
				Image:                    "nginx:1.27",
				ImagePullPolicy:          corev1.PullIfNotPresent,
				TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			}},
		},
	}
}

func validDaemonSet() *experimental.DaemonSet {
	return &experimental.DaemonSet{
		ObjectMeta: testMeta("ds"),
		Spec: experimental.DaemonSetSpec{
			Selector: testSelector(),
			Template: validPodTemplate(corev1.RestartPolicyAlways),
			UpdateStrategy: experimental.DaemonSetUpdateStrategy{
				Type: experimental.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &experimental.RollingUpdateDaemonSet{
					MaxUnavailable: intOrStr(intstr.FromInt32(1)),
					MaxSurge:       intOrStr(intstr.FromInt32(0)),
				},
			},
			RevisionHistoryLimit: ptr.To[int32](10),
		},
	}
}

func validReplicaSet() *experimental.ReplicaSet {
	return &experimental.ReplicaSet{
		ObjectMeta: testMeta("rs"),
		Spec: experimental.ReplicaSetSpec{
			Replicas: ptr.To[int32](3),
			Selector: testSelector(),
			Template: validPodTemplate(corev1.RestartPolicyAlways),
		},
	}
}

func validDeployment() *experimental.Deployment {
	return &experimental.Deployment{
		ObjectMeta: testMeta("web"),
		Spec: experimental.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Selector: testSelector(),
			Template: validPodTemplate(corev1.RestartPolicyAlways),
			Strategy: experimental.DeploymentStrategy{
				Type: experimental.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &experimental.RollingUpdateDeployment{
					MaxUnavailable: intOrStr(intstr.FromString("25%")),
					MaxSurge:       intOrStr(intstr.FromString("25%")),
				},
			},
			RevisionHistoryLimit:    ptr.To[int32](10),
			ProgressDeadlineSeconds: ptr.To[int32](600),
		},
	}
}

// validJob returns a valid Job whose selector was generated from its UID.
func validJob() *experimental.Job {
	template := validPodTemplate(corev1.RestartPolicyNever)
	template.Labels = map[string]string{
		"controller-uid": "uid-1", "job-name": "job",
		"batch.kubernetes.io/controller-uid": "uid-1", "batch.kubernetes.io/job-name": "job",
	}
	return &experimental.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "job", Namespace: "default", ResourceVersion: "1", UID: "uid-1"},
		Spec: experimental.JobSpec{
			Parallelism:  ptr.To[int32](1),
			Completions:  ptr.To[int32](1),
			BackoffLimit: ptr.To[int32](6),
			Selector:     &metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/controller-uid": "uid-1"}},
			Template:     template,
		},
	}
}

func validCronJob() *experimental.CronJob {
	return &experimental.CronJob{
		ObjectMeta: testMeta("nightly"),
		Spec: experimental.CronJobSpec{
			Schedule:          "*/5 * * * *",
			ConcurrencyPolicy: experimental.AllowConcurrent,
			JobTemplate: experimental.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"team": "a"}},
				Spec: experimental.JobSpec{
					BackoffLimit: ptr.To[int32](3),
					Template:     validPodTemplate(corev1.RestartPolicyOnFailure),
				},
			},
			SuccessfulJobsHistoryLimit: ptr.To[int32](3),
			FailedJobsHistoryLimit:     ptr.To[int32](1),
		},
	}
}

func validHPA() *experimental.HorizontalPodAutoscaler {
	return &experimental.HorizontalPodAutoscaler{
		ObjectMeta: testMeta("web"),
		Spec: experimental.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: experimental.CrossVersionObjectReference{Kind: "Deployment", Name: "web", APIVersion: "experimental/v1alpha1"},
			MinReplicas:    ptr.To[int32](1),
			MaxReplicas:    5,
			Metrics: []experimental.MetricSpec{{
				Type: experimental.ResourceMetricSourceType,
				Resource: &experimental.ResourceMetricSource{
					Name:   corev1.ResourceCPU,
					Target: experimental.MetricTarget{Type: experimental.UtilizationMetricType, AverageUtilization: ptr.To[int32](80)},
				},
			}},
		},
	}
}
