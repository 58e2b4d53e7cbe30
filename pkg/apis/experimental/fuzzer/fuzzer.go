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

// Package fuzzer provides fuzzer functions for round-trip testing the
// experimental API group.
//
// Round-trip tests fuzz an internal object, convert and encode it to
// v1alpha1, then decode it again, which applies defaulting. The functions
// here therefore produce objects that are already fully defaulted (every
// field that defaulting would fill is set), in addition to keeping values
// valid where a random value could not survive serialization.
package fuzzer

import (
	"fmt"
	"reflect"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeserializer "k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/randfill"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

// Funcs returns the fuzzer functions for the experimental API group and for
// the core/v1 types embedded in its pod templates. Quantities, int-or-strings,
// times and object metadata are left to the apimachinery meta fuzzer
// functions (metafuzzer.Funcs), which the round-trip helpers merge in.
var Funcs = func(codecs runtimeserializer.CodecFactory) []interface{} {
	return append(workloadFuncs(), podTemplateFuncs()...)
}

func pick[T any](c randfill.Continue, values ...T) T {
	return values[c.Rand.Intn(len(values))]
}

func ptrTo[T any](v T) *T { return &v }

// intOrPercent returns a random absolute number or percentage.
func intOrPercent(c randfill.Continue) *intstr.IntOrString {
	if c.Bool() {
		return ptrTo(intstr.FromInt32(c.Int31()))
	}
	return ptrTo(intstr.FromString(fmt.Sprintf("%d%%", c.Int31n(101))))
}

func workloadFuncs() []interface{} {
	return []interface{}{
		// DaemonSet.
		func(s *experimental.DaemonSetSpec, c randfill.Continue) {
			c.FillNoCustom(s)
			s.RevisionHistoryLimit = ptrTo(c.Int31())
		},
		func(s *experimental.DaemonSetUpdateStrategy, c randfill.Continue) {
			s.Type = pick(c, experimental.RollingUpdateDaemonSetStrategyType, experimental.OnDeleteDaemonSetStrategyType)
			s.RollingUpdate = nil
			if s.Type == experimental.RollingUpdateDaemonSetStrategyType {
				s.RollingUpdate = &experimental.RollingUpdateDaemonSet{
					MaxUnavailable: intOrPercent(c),
					MaxSurge:       intOrPercent(c),
				}
			}
		},

		// ReplicaSet.
		func(s *experimental.ReplicaSetSpec, c randfill.Continue) {
			c.FillNoCustom(s)
			s.Replicas = ptrTo(c.Int31())
		},

		// Deployment.
		func(s *experimental.DeploymentSpec, c randfill.Continue) {
			c.FillNoCustom(s)
			s.Replicas = ptrTo(c.Int31())
			s.RevisionHistoryLimit = ptrTo(c.Int31())
			s.ProgressDeadlineSeconds = ptrTo(c.Int31())
		},
		func(s *experimental.DeploymentStrategy, c randfill.Continue) {
			s.Type = pick(c, experimental.RollingUpdateDeploymentStrategyType, experimental.RecreateDeploymentStrategyType)
			s.RollingUpdate = nil
			if s.Type == experimental.RollingUpdateDeploymentStrategyType {
				s.RollingUpdate = &experimental.RollingUpdateDeployment{
					MaxUnavailable: intOrPercent(c),
					MaxSurge:       intOrPercent(c),
				}
				if c.Bool() {
					s.Canary = &experimental.CanaryStrategy{Steps: []experimental.CanaryStep{
						{Replicas: intOrPercent(c)},
						{Pause: &experimental.CanaryPause{}},
						{Pause: &experimental.CanaryPause{Duration: &metav1.Duration{Duration: time.Duration(c.Int63())}}},
					}}
				}
			}
		},

		// Job and CronJob.
		func(j *experimental.Job, c randfill.Continue) {
			c.FillNoCustom(j)
			// Defaulting copies the template labels to an unlabeled Job.
			if len(j.Labels) == 0 {
				j.Labels = j.Spec.Template.Labels
			}
		},
		func(s *experimental.JobSpec, c randfill.Continue) {
			c.FillNoCustom(s)
			// Completions may stay unset once parallelism is set.
			s.Parallelism = ptrTo(c.Int31())
			s.BackoffLimit = ptrTo(c.Int31())
			s.CompletionMode = ptrTo(pick(c, experimental.NonIndexedCompletion, experimental.IndexedCompletion))
			s.Suspend = ptrTo(c.Bool())
			s.ManualSelector = ptrTo(c.Bool())
			s.PodReplacementPolicy = ptrTo(pick(c, experimental.TerminatingOrFailed, experimental.Failed))
		},
		func(p *experimental.PodFailurePolicyOnPodConditionsPattern, c randfill.Continue) {
			c.FillNoCustom(p)
			p.Status = pick(c, corev1.ConditionTrue, corev1.ConditionFalse, corev1.ConditionUnknown)
		},
		func(a *experimental.PodFailurePolicyAction, c randfill.Continue) {
			*a = pick(c, experimental.PodFailurePolicyActionFailJob, experimental.PodFailurePolicyActionFailIndex,
				experimental.PodFailurePolicyActionIgnore, experimental.PodFailurePolicyActionCount)
		},
		func(o *experimental.PodFailurePolicyOnExitCodesOperator, c randfill.Continue) {
			*o = pick(c, experimental.PodFailurePolicyOnExitCodesOpIn, experimental.PodFailurePolicyOnExitCodesOpNotIn)
		},
		func(s *experimental.CronJobSpec, c randfill.Continue) {
			c.FillNoCustom(s)
			s.Suspend = ptrTo(c.Bool())
			s.SuccessfulJobsHistoryLimit = ptrTo(c.Int31())
			s.FailedJobsHistoryLimit = ptrTo(c.Int31())
		},
		func(p *experimental.ConcurrencyPolicy, c randfill.Continue) {
			*p = pick(c, experimental.AllowConcurrent, experimental.ForbidConcurrent, experimental.ReplaceConcurrent)
		},

		// HorizontalPodAutoscaler.
		func(s *experimental.HorizontalPodAutoscalerSpec, c randfill.Continue) {
			c.FillNoCustom(s)
			s.MinReplicas = ptrTo(c.Int31())
			if len(s.Metrics) == 0 {
				s.Metrics = make([]experimental.MetricSpec, 1)
				c.Fill(&s.Metrics[0])
			}
			if s.Behavior != nil {
				// Defaulting fills both directions of a set behavior.
				if s.Behavior.ScaleUp == nil {
					s.Behavior.ScaleUp = &experimental.HPAScalingRules{}
					c.Fill(s.Behavior.ScaleUp)
				}
				if s.Behavior.ScaleDown == nil {
					s.Behavior.ScaleDown = &experimental.HPAScalingRules{}
					c.Fill(s.Behavior.ScaleDown)
				}
				// Only the scale-up rules have a default stabilization window.
				if s.Behavior.ScaleUp.StabilizationWindowSeconds == nil {
					s.Behavior.ScaleUp.StabilizationWindowSeconds = ptrTo(c.Int31n(3601))
				}
			}
		},
		func(r *experimental.HPAScalingRules, c randfill.Continue) {
			c.FillNoCustom(r)
			r.SelectPolicy = ptrTo(pick(c, experimental.MaxChangePolicySelect, experimental.MinChangePolicySelect, experimental.DisabledPolicySelect))
			// An empty policy list is not serialized and would be defaulted.
			if len(r.Policies) == 0 {
				r.Policies = make([]experimental.HPAScalingPolicy, 1)
				c.Fill(&r.Policies[0])
			}
		},
		func(p *experimental.HPAScalingPolicyType, c randfill.Continue) {
			*p = pick(c, experimental.PodsScalingPolicy, experimental.PercentScalingPolicy)
		},
		func(m *experimental.MetricSpec, c randfill.Continue) {
			*m = experimental.MetricSpec{}
			m.Type = pick(c, experimental.ObjectMetricSourceType, experimental.PodsMetricSourceType,
				experimental.ResourceMetricSourceType, experimental.ContainerResourceMetricSourceType,
				experimental.ExternalMetricSourceType)
			switch m.Type {
			case experimental.ObjectMetricSourceType:
				m.Object = &experimental.ObjectMetricSource{}
				c.Fill(m.Object)
			case experimental.PodsMetricSourceType:
				m.Pods = &experimental.PodsMetricSource{}
				c.Fill(m.Pods)
			case experimental.ResourceMetricSourceType:
				m.Resource = &experimental.ResourceMetricSource{}
				c.Fill(m.Resource)
			case experimental.ContainerResourceMetricSourceType:
				m.ContainerResource = &experimental.ContainerResourceMetricSource{}
				c.Fill(m.ContainerResource)
			case experimental.ExternalMetricSourceType:
				m.External = &experimental.ExternalMetricSource{}
				c.Fill(m.External)
			}
		},
		func(t *experimental.MetricTarget, c randfill.Continue) {
			c.FillNoCustom(t)
			t.Type = pick(c, experimental.UtilizationMetricType, experimental.ValueMetricType, experimental.AverageValueMetricType)
		},
	}
}

// podTemplateFuncs keep the core/v1 types of pod templates in the shape
// defaulting leaves them in.
func podTemplateFuncs() []interface{} {
	return []interface{}{
		func(s *corev1.PodSpec, c randfill.Continue) {
			c.FillNoCustom(s)
			s.TerminationGracePeriodSeconds = ptrTo(int64(30))
			if c.Bool() {
				s.TerminationGracePeriodSeconds = ptrTo(int64(c.Uint32()))
			}
			s.DeprecatedServiceAccount = s.ServiceAccountName
			if s.SecurityContext == nil {
				s.SecurityContext = &corev1.PodSecurityContext{}
			}
			if s.SchedulerName == "" {
				s.SchedulerName = corev1.DefaultSchedulerName
			}
		},
		func(p *corev1.RestartPolicy, c randfill.Continue) {
			*p = pick(c, corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever)
		},
		func(p *corev1.DNSPolicy, c randfill.Continue) {
			*p = pick(c, corev1.DNSClusterFirst, corev1.DNSClusterFirstWithHostNet, corev1.DNSDefault, corev1.DNSNone)
		},
		func(p *corev1.PullPolicy, c randfill.Continue) {
			*p = pick(c, corev1.PullAlways, corev1.PullNever, corev1.PullIfNotPresent)
		},
		func(p *corev1.Protocol, c randfill.Continue) {
			*p = pick(c, corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP)
		},
		func(p *corev1.TerminationMessagePolicy, c randfill.Continue) {
			*p = pick(c, corev1.TerminationMessageReadFile, corev1.TerminationMessageFallbackToLogsOnError)
		},
		func(ct *corev1.Container, c randfill.Continue) {
			c.FillNoCustom(ct)
			ct.TerminationMessagePath = "/" + ct.TerminationMessagePath
		},
		func(ct *corev1.EphemeralContainer, c randfill.Continue) {
			c.FillNoCustom(ct)
			ct.TerminationMessagePath = "/" + ct.TerminationMessagePath
		},
		func(p *corev1.Probe, c randfill.Continue) {
			c.FillNoCustom(p)
			// Zero means "use the default" for these fields.
			p.TimeoutSeconds = 1 + c.Int31n(60)
			p.PeriodSeconds = 1 + c.Int31n(60)
			p.SuccessThreshold = 1 + c.Int31n(10)
			p.FailureThreshold = 1 + c.Int31n(10)
		},
		func(h *corev1.HTTPGetAction, c randfill.Continue) {
			c.FillNoCustom(h)
			h.Path = "/" + h.Path
			h.Scheme = pick(c, corev1.URISchemeHTTP, corev1.URISchemeHTTPS)
		},
		func(g *corev1.GRPCAction, c randfill.Continue) {
			c.FillNoCustom(g)
			if g.Service == nil {
				g.Service = ptrTo("")
			}
		},
		func(s *corev1.ObjectFieldSelector, c randfill.Continue) {
			c.FillNoCustom(s)
			s.APIVersion = pick(c, "v1", "apps/v1", "example.com/v2")
		},
		func(s *corev1.FileKeySelector, c randfill.Continue) {
			c.FillNoCustom(s)
			s.Optional = ptrTo(c.Bool())
		},

		// Volumes.
		func(vs *corev1.VolumeSource, c randfill.Continue) {
			// Exactly one source is set in a valid volume.
			*vs = corev1.VolumeSource{}
			v := reflect.ValueOf(vs).Elem()
			field := v.Field(c.Rand.Intn(v.NumField()))
			field.Set(reflect.New(field.Type().Elem()))
			c.Fill(field.Interface())
		},
		func(s *corev1.HostPathVolumeSource, c randfill.Continue) {
			c.FillNoCustom(s)
			s.Type = ptrTo(pick(c, corev1.HostPathUnset, corev1.HostPathDirectoryOrCreate, corev1.HostPathDirectory,
				corev1.HostPathFileOrCreate, corev1.HostPathFile, corev1.HostPathSocket, corev1.HostPathCharDev,
				corev1.HostPathBlockDev))
		},
		func(s *corev1.SecretVolumeSource, c randfill.Continue) {
			c.FillNoCustom(s)
			s.DefaultMode = ptrTo(c.Int31n(0o1000))
		},
		func(s *corev1.ConfigMapVolumeSource, c randfill.Continue) {
			c.FillNoCustom(s)
			s.DefaultMode = ptrTo(c.Int31n(0o1000))
		},
		func(s *corev1.DownwardAPIVolumeSource, c randfill.Continue) {
			c.FillNoCustom(s)
			s.DefaultMode = ptrTo(c.Int31n(0o1000))
		},
		func(s *corev1.ProjectedVolumeSource, c randfill.Continue) {
			c.FillNoCustom(s)
			s.DefaultMode = ptrTo(c.Int31n(0o1000))
		},
		func(s *corev1.ServiceAccountTokenProjection, c randfill.Continue) {
			c.FillNoCustom(s)
			s.ExpirationSeconds = ptrTo(600 + c.Int63n(86400))
		},
		func(s *corev1.PersistentVolumeClaimSpec, c randfill.Continue) {
			c.FillNoCustom(s)
			s.VolumeMode = ptrTo(pick(c, corev1.PersistentVolumeFilesystem, corev1.PersistentVolumeBlock))
		},
		func(s *corev1.ISCSIVolumeSource, c randfill.Continue) {
			c.FillNoCustom(s)
			if s.ISCSIInterface == "" {
				s.ISCSIInterface = "default"
			}
		},
		func(s *corev1.RBDVolumeSource, c randfill.Continue) {
			c.FillNoCustom(s)
			if s.RBDPool == "" {
				s.RBDPool = "rbd"
			}
			if s.RadosUser == "" {
				s.RadosUser = "admin"
			}
			if s.Keyring == "" {
				s.Keyring = "/etc/ceph/keyring"
			}
		},
		func(s *corev1.AzureDiskVolumeSource, c randfill.Continue) {
			c.FillNoCustom(s)
			s.CachingMode = ptrTo(pick(c, corev1.AzureDataDiskCachingNone, corev1.AzureDataDiskCachingReadOnly, corev1.AzureDataDiskCachingReadWrite))
			s.Kind = ptrTo(pick(c, corev1.AzureSharedBlobDisk, corev1.AzureDedicatedBlobDisk, corev1.AzureManagedDisk))
			if s.FSType == nil {
				s.FSType = ptrTo("ext4")
			}
			if s.ReadOnly == nil {
				s.ReadOnly = ptrTo(false)
			}
		},
		func(s *corev1.ScaleIOVolumeSource, c randfill.Continue) {
			c.FillNoCustom(s)
			if s.StorageMode == "" {
				s.StorageMode = "ThinProvisioned"
			}
			if s.FSType == "" {
				s.FSType = "xfs"
			}
		},
	}
}
