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

package v1alpha1_test

import (
	"math"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/install"
	. "github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

var (
	scheme = func() *runtime.Scheme {
		s := runtime.NewScheme()
		install.Install(s)
		return s
	}()
	codecs = serializer.NewCodecFactory(scheme)
)

// roundTrip encodes obj as v1alpha1 JSON and decodes it again the way the API
// server does: defaulting, conversion to the internal version, and conversion
// back to v1alpha1 for the response.
func roundTrip(t *testing.T, obj runtime.Object) runtime.Object {
	t.Helper()
	data, err := runtime.Encode(codecs.LegacyCodec(SchemeGroupVersion), obj)
	if err != nil {
		t.Fatalf("encoding %T: %v", obj, err)
	}
	internal, err := runtime.Decode(codecs.UniversalDecoder(experimental.SchemeGroupVersion), data)
	if err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	out, err := scheme.New(SchemeGroupVersion.WithKind(reflect.TypeOf(obj).Elem().Name()))
	if err != nil {
		t.Fatal(err)
	}
	if err := scheme.Convert(internal, out, nil); err != nil {
		t.Fatalf("converting %T to v1alpha1: %v", internal, err)
	}

	// Decoding straight to v1alpha1 must default the same way.
	direct, err := runtime.Decode(codecs.UniversalDecoder(SchemeGroupVersion), data)
	if err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	direct.GetObjectKind().SetGroupVersionKind(out.GetObjectKind().GroupVersionKind())
	if !apiequality.Semantic.DeepEqual(out, direct) {
		t.Errorf("defaulting differs between the internal and the v1alpha1 decode path: %s", cmp.Diff(out, direct))
	}
	return out
}

func expectEqual(t *testing.T, what string, got, want interface{}) {
	t.Helper()
	if !apiequality.Semantic.DeepEqual(got, want) {
		t.Errorf("%s: -got +want:\n%s", what, cmp.Diff(got, want))
	}
}

func ptr[T any](v T) *T { return &v }

func intOrStr(v intstr.IntOrString) *intstr.IntOrString { return &v }

// minimalTemplate is a pod template with only the fields users must set.
func minimalTemplate() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "web", Image: "nginx"}},
		},
	}
}

// defaultedMinimalTemplate is minimalTemplate as kube-apiserver stores it.
func defaultedMinimalTemplate() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name:                     "web",
				Image:                    "nginx",
				ImagePullPolicy:          corev1.PullAlways,
				TerminationMessagePath:   "/dev/termination-log",
				TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			}},
			RestartPolicy:                 corev1.RestartPolicyAlways,
			TerminationGracePeriodSeconds: ptr[int64](30),
			DNSPolicy:                     corev1.DNSClusterFirst,
			SecurityContext:               &corev1.PodSecurityContext{},
			SchedulerName:                 "default-scheduler",
		},
	}
}

var selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}

func TestSetDefaultsDaemonSet(t *testing.T) {
	tests := []struct {
		name string
		spec DaemonSetSpec
		want DaemonSetSpec
	}{
		{
			name: "empty",
			spec: DaemonSetSpec{Selector: selector, Template: minimalTemplate()},
			want: DaemonSetSpec{
				Selector: selector,
				Template: defaultedMinimalTemplate(),
				UpdateStrategy: DaemonSetUpdateStrategy{
					Type: RollingUpdateDaemonSetStrategyType,
					RollingUpdate: &RollingUpdateDaemonSet{
						MaxUnavailable: intOrStr(intstr.FromInt32(1)),
						MaxSurge:       intOrStr(intstr.FromInt32(0)),
					},
				},
				RevisionHistoryLimit: ptr[int32](10),
			},
		},
		{
			name: "rolling update with only maxSurge",
			spec: DaemonSetSpec{
				Selector: selector, Template: minimalTemplate(),
				UpdateStrategy: DaemonSetUpdateStrategy{
					RollingUpdate: &RollingUpdateDaemonSet{MaxSurge: intOrStr(intstr.FromString("10%"))},
				},
			},
			want: DaemonSetSpec{
				Selector: selector, Template: defaultedMinimalTemplate(),
				UpdateStrategy: DaemonSetUpdateStrategy{
					Type: RollingUpdateDaemonSetStrategyType,
					RollingUpdate: &RollingUpdateDaemonSet{
						MaxUnavailable: intOrStr(intstr.FromInt32(1)),
						MaxSurge:       intOrStr(intstr.FromString("10%")),
					},
				},
				RevisionHistoryLimit: ptr[int32](10),
			},
		},
		{
			name: "on delete gets no rolling update",
			spec: DaemonSetSpec{
				Selector: selector, Template: minimalTemplate(),
				UpdateStrategy: DaemonSetUpdateStrategy{Type: OnDeleteDaemonSetStrategyType},
			},
			want: DaemonSetSpec{
				Selector: selector, Template: defaultedMinimalTemplate(),
				UpdateStrategy:       DaemonSetUpdateStrategy{Type: OnDeleteDaemonSetStrategyType},
				RevisionHistoryLimit: ptr[int32](10),
			},
		},
		{
			name: "progressive delivery fields are kept and get no defaults",
			spec: DaemonSetSpec{
				Selector: selector, Template: minimalTemplate(),
				UpdateStrategy: DaemonSetUpdateStrategy{
					RollingUpdate: &RollingUpdateDaemonSet{
						Partition:          intOrStr(intstr.FromString("50%")),
						Paused:             true,
						CanaryNodeSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"canary": "true"}},
						UnreadyNodePolicy:  SkipUnreadyNodePolicy,
					},
				},
			},
			want: DaemonSetSpec{
				Selector: selector, Template: defaultedMinimalTemplate(),
				UpdateStrategy: DaemonSetUpdateStrategy{
					Type: RollingUpdateDaemonSetStrategyType,
					RollingUpdate: &RollingUpdateDaemonSet{
						MaxUnavailable:     intOrStr(intstr.FromInt32(1)),
						MaxSurge:           intOrStr(intstr.FromInt32(0)),
						Partition:          intOrStr(intstr.FromString("50%")),
						Paused:             true,
						CanaryNodeSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"canary": "true"}},
						UnreadyNodePolicy:  SkipUnreadyNodePolicy,
					},
				},
				RevisionHistoryLimit: ptr[int32](10),
			},
		},
		{
			name: "explicit values are kept",
			spec: DaemonSetSpec{
				Selector: selector, Template: defaultedMinimalTemplate(),
				UpdateStrategy: DaemonSetUpdateStrategy{
					Type: RollingUpdateDaemonSetStrategyType,
					RollingUpdate: &RollingUpdateDaemonSet{
						MaxUnavailable: intOrStr(intstr.FromInt32(0)),
						MaxSurge:       intOrStr(intstr.FromString("20%")),
					},
				},
				MinReadySeconds:      5,
				RevisionHistoryLimit: ptr[int32](0),
			},
			want: DaemonSetSpec{
				Selector: selector, Template: defaultedMinimalTemplate(),
				UpdateStrategy: DaemonSetUpdateStrategy{
					Type: RollingUpdateDaemonSetStrategyType,
					RollingUpdate: &RollingUpdateDaemonSet{
						MaxUnavailable: intOrStr(intstr.FromInt32(0)),
						MaxSurge:       intOrStr(intstr.FromString("20%")),
					},
				},
				MinReadySeconds:      5,
				RevisionHistoryLimit: ptr[int32](0),
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := roundTrip(t, &DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "ds"}, Spec: tc.spec}).(*DaemonSet)
			expectEqual(t, "spec", out.Spec, tc.want)
		})
	}
}

func TestSetDefaultsReplicaSet(t *testing.T) {
	tests := []struct {
		name     string
		replicas *int32
		want     int32
	}{
		{name: "unset", replicas: nil, want: 1},
		{name: "zero is kept", replicas: ptr[int32](0), want: 0},
		{name: "explicit is kept", replicas: ptr[int32](5), want: 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &ReplicaSet{
				ObjectMeta: metav1.ObjectMeta{Name: "rs"},
				Spec:       ReplicaSetSpec{Replicas: tc.replicas, Selector: selector, Template: minimalTemplate()},
			}
			out := roundTrip(t, in).(*ReplicaSet)
			expectEqual(t, "spec", out.Spec, ReplicaSetSpec{
				Replicas: ptr(tc.want), Selector: selector, Template: defaultedMinimalTemplate(),
			})
		})
	}
}

func TestSetDefaultsDeployment(t *testing.T) {
	defaultRollingUpdate := DeploymentStrategy{
		Type: RollingUpdateDeploymentStrategyType,
		RollingUpdate: &RollingUpdateDeployment{
			MaxUnavailable: intOrStr(intstr.FromString("25%")),
			MaxSurge:       intOrStr(intstr.FromString("25%")),
		},
	}
	tests := []struct {
		name string
		spec DeploymentSpec
		want DeploymentSpec
	}{
		{
			name: "empty",
			spec: DeploymentSpec{Selector: selector, Template: minimalTemplate()},
			want: DeploymentSpec{
				Replicas: ptr[int32](1), Selector: selector, Template: defaultedMinimalTemplate(),
				Strategy:                defaultRollingUpdate,
				RevisionHistoryLimit:    ptr[int32](10),
				ProgressDeadlineSeconds: ptr[int32](600),
			},
		},
		{
			name: "rolling update with only maxUnavailable",
			spec: DeploymentSpec{
				Selector: selector, Template: minimalTemplate(),
				Strategy: DeploymentStrategy{
					Type:          RollingUpdateDeploymentStrategyType,
					RollingUpdate: &RollingUpdateDeployment{MaxUnavailable: intOrStr(intstr.FromInt32(0))},
				},
			},
			want: DeploymentSpec{
				Replicas: ptr[int32](1), Selector: selector, Template: defaultedMinimalTemplate(),
				Strategy: DeploymentStrategy{
					Type: RollingUpdateDeploymentStrategyType,
					RollingUpdate: &RollingUpdateDeployment{
						MaxUnavailable: intOrStr(intstr.FromInt32(0)),
						MaxSurge:       intOrStr(intstr.FromString("25%")),
					},
				},
				RevisionHistoryLimit:    ptr[int32](10),
				ProgressDeadlineSeconds: ptr[int32](600),
			},
		},
		{
			name: "recreate gets no rolling update",
			spec: DeploymentSpec{
				Selector: selector, Template: minimalTemplate(),
				Strategy: DeploymentStrategy{Type: RecreateDeploymentStrategyType},
			},
			want: DeploymentSpec{
				Replicas: ptr[int32](1), Selector: selector, Template: defaultedMinimalTemplate(),
				Strategy:                DeploymentStrategy{Type: RecreateDeploymentStrategyType},
				RevisionHistoryLimit:    ptr[int32](10),
				ProgressDeadlineSeconds: ptr[int32](600),
			},
		},
		{
			name: "explicit values are kept",
			spec: DeploymentSpec{
				Replicas: ptr[int32](0), Selector: selector, Template: defaultedMinimalTemplate(),
				Strategy: DeploymentStrategy{
					Type: RollingUpdateDeploymentStrategyType,
					RollingUpdate: &RollingUpdateDeployment{
						MaxUnavailable: intOrStr(intstr.FromString("50%")),
						MaxSurge:       intOrStr(intstr.FromInt32(2)),
					},
				},
				MinReadySeconds:         3,
				RevisionHistoryLimit:    ptr[int32](0),
				Paused:                  true,
				ProgressDeadlineSeconds: ptr[int32](30),
			},
			want: DeploymentSpec{
				Replicas: ptr[int32](0), Selector: selector, Template: defaultedMinimalTemplate(),
				Strategy: DeploymentStrategy{
					Type: RollingUpdateDeploymentStrategyType,
					RollingUpdate: &RollingUpdateDeployment{
						MaxUnavailable: intOrStr(intstr.FromString("50%")),
						MaxSurge:       intOrStr(intstr.FromInt32(2)),
					},
				},
				MinReadySeconds:         3,
				RevisionHistoryLimit:    ptr[int32](0),
				Paused:                  true,
				ProgressDeadlineSeconds: ptr[int32](30),
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := roundTrip(t, &Deployment{ObjectMeta: metav1.ObjectMeta{Name: "d"}, Spec: tc.spec}).(*Deployment)
			expectEqual(t, "spec", out.Spec, tc.want)
			if len(out.Labels) != 0 {
				t.Errorf("labels = %v, apps/v1 does not default them", out.Labels)
			}
		})
	}
}

// jobTemplate is a valid Job pod template.
func jobTemplate() corev1.PodTemplateSpec {
	t := minimalTemplate()
	t.Spec.RestartPolicy = corev1.RestartPolicyNever
	return t
}

func defaultedJobTemplate() corev1.PodTemplateSpec {
	t := defaultedMinimalTemplate()
	t.Spec.RestartPolicy = corev1.RestartPolicyNever
	return t
}

// defaultedJobSpec is the spec of a Job that only sets a template.
func defaultedJobSpec() JobSpec {
	return JobSpec{
		Completions:          ptr[int32](1),
		Parallelism:          ptr[int32](1),
		BackoffLimit:         ptr[int32](6),
		Template:             defaultedJobTemplate(),
		CompletionMode:       ptr(NonIndexedCompletion),
		Suspend:              ptr(false),
		PodReplacementPolicy: ptr(TerminatingOrFailed),
		ManualSelector:       ptr(false),
	}
}

func TestSetDefaultsJob(t *testing.T) {
	tests := []struct {
		name       string
		labels     map[string]string
		spec       JobSpec
		want       func(*JobSpec)
		wantLabels map[string]string
	}{
		{
			name:       "empty",
			spec:       JobSpec{Template: jobTemplate()},
			want:       func(*JobSpec) {},
			wantLabels: map[string]string{"app": "web"},
		},
		{
			name:       "parallelism without completions leaves completions unset",
			spec:       JobSpec{Parallelism: ptr[int32](5), Template: jobTemplate()},
			want:       func(s *JobSpec) { s.Parallelism = ptr[int32](5); s.Completions = nil },
			wantLabels: map[string]string{"app": "web"},
		},
		{
			name:       "completions without parallelism",
			spec:       JobSpec{Completions: ptr[int32](3), Template: jobTemplate()},
			want:       func(s *JobSpec) { s.Completions = ptr[int32](3) },
			wantLabels: map[string]string{"app": "web"},
		},
		{
			name: "backoffLimitPerIndex makes the backoff limit unbounded",
			spec: JobSpec{
				CompletionMode:       ptr(IndexedCompletion),
				BackoffLimitPerIndex: ptr[int32](2),
				Template:             jobTemplate(),
			},
			want: func(s *JobSpec) {
				s.CompletionMode = ptr(IndexedCompletion)
				s.BackoffLimitPerIndex = ptr[int32](2)
				s.BackoffLimit = ptr[int32](math.MaxInt32)
			},
			wantLabels: map[string]string{"app": "web"},
		},
		{
			name: "pod failure policy: replacement policy Failed and condition status True",
			spec: JobSpec{
				PodFailurePolicy: &PodFailurePolicy{Rules: []PodFailurePolicyRule{{
					Action: PodFailurePolicyActionIgnore,
					OnPodConditions: []PodFailurePolicyOnPodConditionsPattern{
						{Type: corev1.DisruptionTarget},
						{Type: "Custom", Status: corev1.ConditionFalse},
					},
				}}},
				Template: jobTemplate(),
			},
			want: func(s *JobSpec) {
				s.PodFailurePolicy = &PodFailurePolicy{Rules: []PodFailurePolicyRule{{
					Action: PodFailurePolicyActionIgnore,
					OnPodConditions: []PodFailurePolicyOnPodConditionsPattern{
						{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue},
						{Type: "Custom", Status: corev1.ConditionFalse},
					},
				}}}
				s.PodReplacementPolicy = ptr(Failed)
			},
			wantLabels: map[string]string{"app": "web"},
		},
		{
			name:       "existing labels are kept",
			labels:     map[string]string{"team": "a"},
			spec:       JobSpec{Template: jobTemplate()},
			want:       func(*JobSpec) {},
			wantLabels: map[string]string{"team": "a"},
		},
		{
			name: "template without labels",
			spec: JobSpec{Template: corev1.PodTemplateSpec{Spec: jobTemplate().Spec}},
			want: func(s *JobSpec) { s.Template.Labels = nil },
		},
		{
			name: "template without restart policy gets Always, as for batch/v1",
			spec: JobSpec{Template: minimalTemplate()},
			want: func(s *JobSpec) {
				s.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways
			},
			wantLabels: map[string]string{"app": "web"},
		},
		{
			name: "explicit values are kept",
			spec: JobSpec{
				Parallelism:          ptr[int32](0),
				Completions:          ptr[int32](10),
				BackoffLimit:         ptr[int32](0),
				CompletionMode:       ptr(IndexedCompletion),
				Suspend:              ptr(true),
				PodReplacementPolicy: ptr(Failed),
				ManualSelector:       ptr(true),
				Selector:             selector,
				Template:             jobTemplate(),
			},
			want: func(s *JobSpec) {
				s.Parallelism = ptr[int32](0)
				s.Completions = ptr[int32](10)
				s.BackoffLimit = ptr[int32](0)
				s.CompletionMode = ptr(IndexedCompletion)
				s.Suspend = ptr(true)
				s.PodReplacementPolicy = ptr(Failed)
				s.ManualSelector = ptr(true)
				s.Selector = selector
			},
			wantLabels: map[string]string{"app": "web"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &Job{ObjectMeta: metav1.ObjectMeta{Name: "job", Labels: tc.labels}, Spec: tc.spec}
			out := roundTrip(t, in).(*Job)
			want := defaultedJobSpec()
			tc.want(&want)
			expectEqual(t, "spec", out.Spec, want)
			expectEqual(t, "labels", out.Labels, tc.wantLabels)
		})
	}
}

func TestSetDefaultsCronJob(t *testing.T) {
	podFailurePolicy := func(status corev1.ConditionStatus) *PodFailurePolicy {
		return &PodFailurePolicy{Rules: []PodFailurePolicyRule{{
			Action:          PodFailurePolicyActionFailJob,
			OnPodConditions: []PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: status}},
		}}}
	}
	tests := []struct {
		name string
		spec CronJobSpec
		want CronJobSpec
	}{
		{
			// Like batch/v1, the Job defaults are not applied to the job
			// template; only its pod template and pod failure policy are.
			name: "empty",
			spec: CronJobSpec{
				Schedule: "* * * * *",
				JobTemplate: JobTemplateSpec{Spec: JobSpec{
					PodFailurePolicy: podFailurePolicy(""),
					Template:         jobTemplate(),
				}},
			},
			want: CronJobSpec{
				Schedule:          "* * * * *",
				ConcurrencyPolicy: AllowConcurrent,
				Suspend:           ptr(false),
				JobTemplate: JobTemplateSpec{Spec: JobSpec{
					PodFailurePolicy: podFailurePolicy(corev1.ConditionTrue),
					Template:         defaultedJobTemplate(),
				}},
				SuccessfulJobsHistoryLimit: ptr[int32](3),
				FailedJobsHistoryLimit:     ptr[int32](1),
			},
		},
		{
			name: "explicit values are kept",
			spec: CronJobSpec{
				Schedule:                   "@hourly",
				TimeZone:                   ptr("Etc/UTC"),
				StartingDeadlineSeconds:    ptr[int64](30),
				ConcurrencyPolicy:          ForbidConcurrent,
				Suspend:                    ptr(true),
				JobTemplate:                JobTemplateSpec{Spec: JobSpec{Parallelism: ptr[int32](2), Template: defaultedJobTemplate()}},
				SuccessfulJobsHistoryLimit: ptr[int32](0),
				FailedJobsHistoryLimit:     ptr[int32](0),
			},
			want: CronJobSpec{
				Schedule:                   "@hourly",
				TimeZone:                   ptr("Etc/UTC"),
				StartingDeadlineSeconds:    ptr[int64](30),
				ConcurrencyPolicy:          ForbidConcurrent,
				Suspend:                    ptr(true),
				JobTemplate:                JobTemplateSpec{Spec: JobSpec{Parallelism: ptr[int32](2), Template: defaultedJobTemplate()}},
				SuccessfulJobsHistoryLimit: ptr[int32](0),
				FailedJobsHistoryLimit:     ptr[int32](0),
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := roundTrip(t, &CronJob{ObjectMeta: metav1.ObjectMeta{Name: "cj"}, Spec: tc.spec}).(*CronJob)
			expectEqual(t, "spec", out.Spec, tc.want)
		})
	}
}

func TestSetDefaultsHorizontalPodAutoscaler(t *testing.T) {
	target := CrossVersionObjectReference{Kind: "Deployment", Name: "web", APIVersion: "experimental/v1alpha1"}
	cpu80 := []MetricSpec{{
		Type: ResourceMetricSourceType,
		Resource: &ResourceMetricSource{
			Name:   corev1.ResourceCPU,
			Target: MetricTarget{Type: UtilizationMetricType, AverageUtilization: ptr[int32](80)},
		},
	}}
	memory := []MetricSpec{{
		Type: ResourceMetricSourceType,
		Resource: &ResourceMetricSource{
			Name:   corev1.ResourceMemory,
			Target: MetricTarget{Type: AverageValueMetricType, AverageValue: ptr(resource.MustParse("1Gi"))},
		},
	}}
	defaultScaleUp := &HPAScalingRules{
		StabilizationWindowSeconds: ptr[int32](0),
		SelectPolicy:               ptr(MaxChangePolicySelect),
		Policies: []HPAScalingPolicy{
			{Type: PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
			{Type: PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
	defaultScaleDown := &HPAScalingRules{
		SelectPolicy: ptr(MaxChangePolicySelect),
		Policies:     []HPAScalingPolicy{{Type: PercentScalingPolicy, Value: 100, PeriodSeconds: 15}},
	}
	tests := []struct {
		name string
		spec HorizontalPodAutoscalerSpec
		want HorizontalPodAutoscalerSpec
	}{
		{
			name: "empty: minReplicas and CPU metric, no behavior",
			spec: HorizontalPodAutoscalerSpec{ScaleTargetRef: target, MaxReplicas: 5},
			want: HorizontalPodAutoscalerSpec{ScaleTargetRef: target, MinReplicas: ptr[int32](1), MaxReplicas: 5, Metrics: cpu80},
		},
		{
			name: "metrics are kept",
			spec: HorizontalPodAutoscalerSpec{ScaleTargetRef: target, MinReplicas: ptr[int32](2), MaxReplicas: 5, Metrics: memory},
			want: HorizontalPodAutoscalerSpec{ScaleTargetRef: target, MinReplicas: ptr[int32](2), MaxReplicas: 5, Metrics: memory},
		},
		{
			name: "empty behavior gets both directions",
			spec: HorizontalPodAutoscalerSpec{ScaleTargetRef: target, MaxReplicas: 5, Behavior: &HorizontalPodAutoscalerBehavior{}},
			want: HorizontalPodAutoscalerSpec{
				ScaleTargetRef: target, MinReplicas: ptr[int32](1), MaxReplicas: 5, Metrics: cpu80,
				Behavior: &HorizontalPodAutoscalerBehavior{ScaleUp: defaultScaleUp, ScaleDown: defaultScaleDown},
			},
		},
		{
			name: "partial scale up rules are completed",
			spec: HorizontalPodAutoscalerSpec{
				ScaleTargetRef: target, MaxReplicas: 5,
				Behavior: &HorizontalPodAutoscalerBehavior{
					ScaleUp: &HPAScalingRules{SelectPolicy: ptr(MinChangePolicySelect)},
				},
			},
			want: HorizontalPodAutoscalerSpec{
				ScaleTargetRef: target, MinReplicas: ptr[int32](1), MaxReplicas: 5, Metrics: cpu80,
				Behavior: &HorizontalPodAutoscalerBehavior{
					ScaleUp: &HPAScalingRules{
						StabilizationWindowSeconds: ptr[int32](0),
						SelectPolicy:               ptr(MinChangePolicySelect),
						Policies:                   defaultScaleUp.Policies,
					},
					ScaleDown: defaultScaleDown,
				},
			},
		},
		{
			name: "partial scale down rules are completed",
			spec: HorizontalPodAutoscalerSpec{
				ScaleTargetRef: target, MaxReplicas: 5,
				Behavior: &HorizontalPodAutoscalerBehavior{
					ScaleDown: &HPAScalingRules{
						StabilizationWindowSeconds: ptr[int32](60),
						Policies:                   []HPAScalingPolicy{{Type: PodsScalingPolicy, Value: 1, PeriodSeconds: 60}},
						Tolerance:                  ptr(resource.MustParse("50m")),
					},
				},
			},
			want: HorizontalPodAutoscalerSpec{
				ScaleTargetRef: target, MinReplicas: ptr[int32](1), MaxReplicas: 5, Metrics: cpu80,
				Behavior: &HorizontalPodAutoscalerBehavior{
					ScaleUp: defaultScaleUp,
					ScaleDown: &HPAScalingRules{
						StabilizationWindowSeconds: ptr[int32](60),
						SelectPolicy:               ptr(MaxChangePolicySelect),
						Policies:                   []HPAScalingPolicy{{Type: PodsScalingPolicy, Value: 1, PeriodSeconds: 60}},
						Tolerance:                  ptr(resource.MustParse("50m")),
					},
				},
			},
		},
		{
			name: "explicit behavior is kept",
			spec: HorizontalPodAutoscalerSpec{
				ScaleTargetRef: target, MinReplicas: ptr[int32](3), MaxReplicas: 5, Metrics: memory,
				Behavior: &HorizontalPodAutoscalerBehavior{
					ScaleUp: &HPAScalingRules{
						StabilizationWindowSeconds: ptr[int32](10),
						SelectPolicy:               ptr(DisabledPolicySelect),
						Policies:                   []HPAScalingPolicy{{Type: PercentScalingPolicy, Value: 10, PeriodSeconds: 30}},
					},
					ScaleDown: &HPAScalingRules{
						StabilizationWindowSeconds: ptr[int32](0),
						SelectPolicy:               ptr(MinChangePolicySelect),
						Policies:                   []HPAScalingPolicy{{Type: PodsScalingPolicy, Value: 2, PeriodSeconds: 60}},
					},
				},
			},
			want: HorizontalPodAutoscalerSpec{
				ScaleTargetRef: target, MinReplicas: ptr[int32](3), MaxReplicas: 5, Metrics: memory,
				Behavior: &HorizontalPodAutoscalerBehavior{
					ScaleUp: &HPAScalingRules{
						StabilizationWindowSeconds: ptr[int32](10),
						SelectPolicy:               ptr(DisabledPolicySelect),
						Policies:                   []HPAScalingPolicy{{Type: PercentScalingPolicy, Value: 10, PeriodSeconds: 30}},
					},
					ScaleDown: &HPAScalingRules{
						StabilizationWindowSeconds: ptr[int32](0),
						SelectPolicy:               ptr(MinChangePolicySelect),
						Policies:                   []HPAScalingPolicy{{Type: PodsScalingPolicy, Value: 2, PeriodSeconds: 60}},
					},
				},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "hpa"}, Spec: tc.spec}
			out := roundTrip(t, in).(*HorizontalPodAutoscaler)
			expectEqual(t, "spec", out.Spec, tc.want)
		})
	}
}

// templateOf returns the pod template of a defaulted object of any kind.
func templateOf(obj runtime.Object) *corev1.PodTemplateSpec {
	switch o := obj.(type) {
	case *DaemonSet:
		return &o.Spec.Template
	case *ReplicaSet:
		return &o.Spec.Template
	case *Deployment:
		return &o.Spec.Template
	case *Job:
		return &o.Spec.Template
	case *CronJob:
		return &o.Spec.JobTemplate.Spec.Template
	}
	panic("no template")
}

// TestPodTemplateDefaultsForEveryKind checks that every kind with a pod
// template defaults it.
func TestPodTemplateDefaultsForEveryKind(t *testing.T) {
	objects := map[string]runtime.Object{
		"DaemonSet":  &DaemonSet{Spec: DaemonSetSpec{Template: jobTemplate()}},
		"ReplicaSet": &ReplicaSet{Spec: ReplicaSetSpec{Template: jobTemplate()}},
		"Deployment": &Deployment{Spec: DeploymentSpec{Template: jobTemplate()}},
		"Job":        &Job{Spec: JobSpec{Template: jobTemplate()}},
		"CronJob":    &CronJob{Spec: CronJobSpec{JobTemplate: JobTemplateSpec{Spec: JobSpec{Template: jobTemplate()}}}},
	}
	for kind, obj := range objects {
		t.Run(kind, func(t *testing.T) {
			out := roundTrip(t, obj)
			expectEqual(t, "template", *templateOf(out), defaultedJobTemplate())
		})
	}
}

// TestPodTemplateDefaults covers the core/v1 defaults applied to the pod
// spec of a template, using Deployments.
func TestPodTemplateDefaults(t *testing.T) {
	tests := []struct {
		name string
		spec corev1.PodSpec
		want corev1.PodSpec
	}{
		{
			name: "minimal",
			spec: minimalTemplate().Spec,
			want: defaultedMinimalTemplate().Spec,
		},
		{
			name: "explicit pod values are kept",
			spec: corev1.PodSpec{
				Containers:                    defaultedMinimalTemplate().Spec.Containers,
				RestartPolicy:                 corev1.RestartPolicyOnFailure,
				TerminationGracePeriodSeconds: ptr[int64](0),
				DNSPolicy:                     corev1.DNSDefault,
				SecurityContext:               &corev1.PodSecurityContext{RunAsUser: ptr[int64](1000)},
				SchedulerName:                 "custom",
				ServiceAccountName:            "builder",
			},
			want: corev1.PodSpec{
				Containers:                    defaultedMinimalTemplate().Spec.Containers,
				RestartPolicy:                 corev1.RestartPolicyOnFailure,
				TerminationGracePeriodSeconds: ptr[int64](0),
				DNSPolicy:                     corev1.DNSDefault,
				SecurityContext:               &corev1.PodSecurityContext{RunAsUser: ptr[int64](1000)},
				SchedulerName:                 "custom",
				ServiceAccountName:            "builder",
				DeprecatedServiceAccount:      "builder",
			},
		},
		{
			name: "deprecated serviceAccount fills serviceAccountName",
			spec: corev1.PodSpec{Containers: minimalTemplate().Spec.Containers, DeprecatedServiceAccount: "old"},
			want: func() corev1.PodSpec {
				s := defaultedMinimalTemplate().Spec
				s.ServiceAccountName, s.DeprecatedServiceAccount = "old", "old"
				return s
			}(),
		},
		{
			name: "serviceAccountName wins over serviceAccount",
			spec: corev1.PodSpec{Containers: minimalTemplate().Spec.Containers, ServiceAccountName: "new", DeprecatedServiceAccount: "old"},
			want: func() corev1.PodSpec {
				s := defaultedMinimalTemplate().Spec
				s.ServiceAccountName, s.DeprecatedServiceAccount = "new", "new"
				return s
			}(),
		},
		{
			name: "pod-only defaults are not applied",
			spec: corev1.PodSpec{
				HostNetwork: true,
				Containers: []corev1.Container{{
					Name: "web", Image: "nginx:1.25",
					Ports: []corev1.ContainerPort{{ContainerPort: 80}},
					Resources: corev1.ResourceRequirements{
						Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")},
					},
				}},
			},
			want: func() corev1.PodSpec {
				s := defaultedMinimalTemplate().Spec
				s.HostNetwork = true
				s.Containers[0].Image = "nginx:1.25"
				s.Containers[0].ImagePullPolicy = corev1.PullIfNotPresent
				// No hostPort from hostNetwork, no requests from limits, and no
				// enableServiceLinks.
				s.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, Protocol: corev1.ProtocolTCP}}
				s.Containers[0].Resources = corev1.ResourceRequirements{
					Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")},
				}
				return s
			}(),
		},
		{
			name: "containers",
			spec: corev1.PodSpec{
				InitContainers: []corev1.Container{{Name: "init", Image: "busybox:1.36"}},
				Containers: []corev1.Container{{
					Name:  "web",
					Image: "nginx:1.25",
					Ports: []corev1.ContainerPort{{ContainerPort: 80}, {ContainerPort: 53, Protocol: corev1.ProtocolUDP}},
					Env: []corev1.EnvVar{
						{Name: "POD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
						{Name: "KEY", ValueFrom: &corev1.EnvVarSource{FileKeyRef: &corev1.FileKeySelector{VolumeName: "v", Path: "p", Key: "k"}}},
					},
					Resources: corev1.ResourceRequirements{
						Requests: corev1.ResourceList{
							corev1.ResourceCPU:    resource.MustParse("0.0001"),
							corev1.ResourceMemory: resource.MustParse("1.5Ki"),
						},
					},
					LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(80)}}},
					ReadinessProbe: &corev1.Probe{
						ProbeHandler:     corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090}},
						TimeoutSeconds:   5,
						PeriodSeconds:    20,
						SuccessThreshold: 2,
						FailureThreshold: 6,
					},
					StartupProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("http")}}},
					Lifecycle: &corev1.Lifecycle{
						PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/stop", Port: intstr.FromInt32(80), Scheme: corev1.URISchemeHTTPS}},
					},
					TerminationMessagePath:   "/tmp/msg",
					TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
				}},
				EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "busybox"}}},
			},
			want: func() corev1.PodSpec {
				s := defaultedMinimalTemplate().Spec
				s.InitContainers = []corev1.Container{{
					Name: "init", Image: "busybox:1.36", ImagePullPolicy: corev1.PullIfNotPresent,
					TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: corev1.TerminationMessageReadFile,
				}}
				s.Containers = []corev1.Container{{
					Name:            "web",
					Image:           "nginx:1.25",
					ImagePullPolicy: corev1.PullIfNotPresent,
					Ports: []corev1.ContainerPort{
						{ContainerPort: 80, Protocol: corev1.ProtocolTCP},
						{ContainerPort: 53, Protocol: corev1.ProtocolUDP},
					},
					Env: []corev1.EnvVar{
						{Name: "POD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}},
						{Name: "KEY", ValueFrom: &corev1.EnvVarSource{FileKeyRef: &corev1.FileKeySelector{VolumeName: "v", Path: "p", Key: "k", Optional: ptr(false)}}},
					},
					Resources: corev1.ResourceRequirements{
						Requests: corev1.ResourceList{
							corev1.ResourceCPU:    resource.MustParse("1m"),
							corev1.ResourceMemory: resource.MustParse("1536"),
						},
					},
					LivenessProbe: &corev1.Probe{
						ProbeHandler:   corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromInt32(80), Scheme: corev1.URISchemeHTTP}},
						TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3,
					},
					ReadinessProbe: &corev1.Probe{
						ProbeHandler:   corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090, Service: ptr("")}},
						TimeoutSeconds: 5, PeriodSeconds: 20, SuccessThreshold: 2, FailureThreshold: 6,
					},
					StartupProbe: &corev1.Probe{
						ProbeHandler:   corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("http")}},
						TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3,
					},
					Lifecycle: &corev1.Lifecycle{
						PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/stop", Port: intstr.FromInt32(80), Scheme: corev1.URISchemeHTTPS}},
					},
					TerminationMessagePath:   "/tmp/msg",
					TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
				}}
				s.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
					Name: "debug", Image: "busybox", ImagePullPolicy: corev1.PullAlways,
					TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: corev1.TerminationMessageReadFile,
				}}}
				return s
			}(),
		},
		{
			name: "pod resources and overhead are rounded up to milli units",
			spec: corev1.PodSpec{
				Containers: minimalTemplate().Spec.Containers,
				Overhead:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250u")},
				Resources: &corev1.ResourceRequirements{
					Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1.0005")},
				},
			},
			want: func() corev1.PodSpec {
				s := defaultedMinimalTemplate().Spec
				s.Overhead = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1m")}
				s.Resources = &corev1.ResourceRequirements{
					Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1001m")},
				}
				return s
			}(),
		},
		{
			name: "volumes",
			spec: corev1.PodSpec{
				Containers: minimalTemplate().Spec.Containers,
				Volumes: []corev1.Volume{
					{Name: "none"},
					{Name: "secret", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s"}}},
					{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}}}},
					{Name: "cm-mode", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{DefaultMode: ptr[int32](0o400)}}},
					{Name: "downward", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
						Items: []corev1.DownwardAPIVolumeFile{{Path: "name", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
					}}},
					{Name: "projected", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
						Sources: []corev1.VolumeProjection{
							{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}},
							{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "ns", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}},
						},
					}}},
					{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/data"}}},
					{Name: "image", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "registry.example.com/data:latest"}}},
					{Name: "image-tagged", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "registry.example.com/data:v1"}}},
					{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{
						VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{Spec: corev1.PersistentVolumeClaimSpec{
							AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
							Resources: corev1.VolumeResourceRequirements{
								Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
							},
						}},
					}}},
				},
			},
			want: func() corev1.PodSpec {
				s := defaultedMinimalTemplate().Spec
				s.Volumes = []corev1.Volume{
					{Name: "none", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
					{Name: "secret", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s", DefaultMode: ptr[int32](0o644)}}},
					{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}, DefaultMode: ptr[int32](0o644)}}},
					{Name: "cm-mode", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{DefaultMode: ptr[int32](0o400)}}},
					{Name: "downward", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
						Items:       []corev1.DownwardAPIVolumeFile{{Path: "name", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}},
						DefaultMode: ptr[int32](0o644),
					}}},
					{Name: "projected", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
						Sources: []corev1.VolumeProjection{
							{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr[int64](3600)}},
							{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "ns", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}}}},
						},
						DefaultMode: ptr[int32](0o644),
					}}},
					{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/data", Type: ptr(corev1.HostPathUnset)}}},
					{Name: "image", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "registry.example.com/data:latest", PullPolicy: corev1.PullAlways}}},
					{Name: "image-tagged", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "registry.example.com/data:v1", PullPolicy: corev1.PullIfNotPresent}}},
					{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{
						VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{Spec: corev1.PersistentVolumeClaimSpec{
							AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
							Resources: corev1.VolumeResourceRequirements{
								Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
							},
							VolumeMode: ptr(corev1.PersistentVolumeFilesystem),
						}},
					}}},
				}
				return s
			}(),
		},
		{
			name: "explicit container values are kept",
			spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "web", Image: "nginx", ImagePullPolicy: corev1.PullNever,
				TerminationMessagePath: "/x", TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
			}}},
			want: func() corev1.PodSpec {
				s := defaultedMinimalTemplate().Spec
				s.Containers[0].ImagePullPolicy = corev1.PullNever
				s.Containers[0].TerminationMessagePath = "/x"
				s.Containers[0].TerminationMessagePolicy = corev1.TerminationMessageFallbackToLogsOnError
				return s
			}(),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &Deployment{Spec: DeploymentSpec{Selector: selector, Template: corev1.PodTemplateSpec{Spec: tc.spec}}}
			out := roundTrip(t, in).(*Deployment)
			expectEqual(t, "pod spec", out.Spec.Template.Spec, tc.want)
		})
	}
}

// TestImagePullPolicyDefault covers how the default pull policy follows the
// image reference.
func TestImagePullPolicyDefault(t *testing.T) {
	digest := "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		image string
		want  corev1.PullPolicy
	}{
		{"nginx", corev1.PullAlways},
		{"nginx:latest", corev1.PullAlways},
		{"nginx:1.25", corev1.PullIfNotPresent},
		{"library/nginx", corev1.PullAlways},
		{"docker.io/library/nginx:1.25", corev1.PullIfNotPresent},
		{"registry.example.com:5000/team/app", corev1.PullAlways},
		{"registry.example.com:5000/team/app:v2", corev1.PullIfNotPresent},
		{"localhost/app", corev1.PullAlways},
		{"[::1]:5000/app:latest", corev1.PullAlways},
		{"nginx@" + digest, corev1.PullIfNotPresent},
		{"nginx:1.25@" + digest, corev1.PullIfNotPresent},
		// A ":latest" tag wins over a digest, as in kube-apiserver.
		{"nginx:latest@" + digest, corev1.PullAlways},
		// References that do not parse are treated as pinned.
		{"nginx:latest@sha256:0123", corev1.PullIfNotPresent},
		{"nginx:latest@sha256:" + "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", corev1.PullIfNotPresent},
		{"Nginx", corev1.PullIfNotPresent},
		{"Registry.Example.com/app", corev1.PullAlways},
		{"team/App", corev1.PullIfNotPresent},
		{"nginx:", corev1.PullIfNotPresent},
		{"", corev1.PullIfNotPresent},
		{"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", corev1.PullIfNotPresent},
	}
	for _, tc := range tests {
		t.Run(tc.image, func(t *testing.T) {
			in := &Deployment{Spec: DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "c", Image: tc.image}},
			}}}}
			out := roundTrip(t, in).(*Deployment)
			if got := out.Spec.Template.Spec.Containers[0].ImagePullPolicy; got != tc.want {
				t.Errorf("imagePullPolicy for %q = %q, want %q", tc.image, got, tc.want)
			}
		})
	}
}
