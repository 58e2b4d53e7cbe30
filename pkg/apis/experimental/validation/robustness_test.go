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
	"math/rand"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/randfill"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

// kindValidators runs every exported function of one kind on a new and an
// old object.
type kindValidators struct {
	kind string
	// newObject returns the zero value of the kind.
	newObject func() any
	create    func(obj any) field.ErrorList
	update    func(obj, old any) field.ErrorList
	status    func(obj, old any) field.ErrorList
	warnings  func(obj any) []string
}

// allKinds lists the validators of all kinds; a nil object is passed as a
// typed nil pointer.
var allKinds = []kindValidators{
	{
		kind:      "DaemonSet",
		newObject: func() any { return &experimental.DaemonSet{} },
		create:    func(o any) field.ErrorList { return ValidateDaemonSet(o.(*experimental.DaemonSet)) },
		update: func(o, old any) field.ErrorList {
			return ValidateDaemonSetUpdate(o.(*experimental.DaemonSet), old.(*experimental.DaemonSet))
		},
		status: func(o, old any) field.ErrorList {
			return ValidateDaemonSetStatusUpdate(o.(*experimental.DaemonSet), old.(*experimental.DaemonSet))
		},
		warnings: func(o any) []string { return WarningsForDaemonSet(o.(*experimental.DaemonSet)) },
	},
	{
		kind:      "ReplicaSet",
		newObject: func() any { return &experimental.ReplicaSet{} },
		create:    func(o any) field.ErrorList { return ValidateReplicaSet(o.(*experimental.ReplicaSet)) },
		update: func(o, old any) field.ErrorList {
			return ValidateReplicaSetUpdate(o.(*experimental.ReplicaSet), old.(*experimental.ReplicaSet))
		},
		status: func(o, old any) field.ErrorList {
			return ValidateReplicaSetStatusUpdate(o.(*experimental.ReplicaSet), old.(*experimental.ReplicaSet))
		},
		warnings: func(o any) []string { return WarningsForReplicaSet(o.(*experimental.ReplicaSet)) },
	},
	{
		kind:      "Deployment",
		newObject: func() any { return &experimental.Deployment{} },
		create:    func(o any) field.ErrorList { return ValidateDeployment(o.(*experimental.Deployment)) },
		update: func(o, old any) field.ErrorList {
			return ValidateDeploymentUpdate(o.(*experimental.Deployment), old.(*experimental.Deployment))
		},
		status: func(o, old any) field.ErrorList {
			return ValidateDeploymentStatusUpdate(o.(*experimental.Deployment), old.(*experimental.Deployment))
		},
		warnings: func(o any) []string { return WarningsForDeployment(o.(*experimental.Deployment)) },
	},
	{
		kind:      "Job",
		newObject: func() any { return &experimental.Job{} },
		create:    func(o any) field.ErrorList { return ValidateJob(o.(*experimental.Job)) },
		update: func(o, old any) field.ErrorList {
			return ValidateJobUpdate(o.(*experimental.Job), old.(*experimental.Job))
		},
		status: func(o, old any) field.ErrorList {
			return ValidateJobStatusUpdate(o.(*experimental.Job), old.(*experimental.Job))
		},
		warnings: func(o any) []string { return WarningsForJob(o.(*experimental.Job)) },
	},
	{
		kind:      "CronJob",
		newObject: func() any { return &experimental.CronJob{} },
		create:    func(o any) field.ErrorList { return ValidateCronJob(o.(*experimental.CronJob)) },
		update: func(o, old any) field.ErrorList {
			return ValidateCronJobUpdate(o.(*experimental.CronJob), old.(*experimental.CronJob))
		},
		status: func(o, old any) field.ErrorList {
			return ValidateCronJobStatusUpdate(o.(*experimental.CronJob), old.(*experimental.CronJob))
		},
		warnings: func(o any) []string { return WarningsForCronJob(o.(*experimental.CronJob)) },
	},
	{
		kind:      "HorizontalPodAutoscaler",
		newObject: func() any { return &experimental.HorizontalPodAutoscaler{} },
		create: func(o any) field.ErrorList {
			return ValidateHorizontalPodAutoscaler(o.(*experimental.HorizontalPodAutoscaler))
		},
		update: func(o, old any) field.ErrorList {
			return ValidateHorizontalPodAutoscalerUpdate(o.(*experimental.HorizontalPodAutoscaler), old.(*experimental.HorizontalPodAutoscaler))
		},
		status: func(o, old any) field.ErrorList {
			return ValidateHorizontalPodAutoscalerStatusUpdate(o.(*experimental.HorizontalPodAutoscaler), old.(*experimental.HorizontalPodAutoscaler))
		},
		// HorizontalPodAutoscalers have no warnings.
		warnings: func(any) []string { return nil },
	},
}

// typedNil returns a nil pointer of the type of obj.
func typedNil(obj any) any {
	switch obj.(type) {
	case *experimental.DaemonSet:
		return (*experimental.DaemonSet)(nil)
	case *experimental.ReplicaSet:
		return (*experimental.ReplicaSet)(nil)
	case *experimental.Deployment:
		return (*experimental.Deployment)(nil)
	case *experimental.Job:
		return (*experimental.Job)(nil)
	case *experimental.CronJob:
		return (*experimental.CronJob)(nil)
	case *experimental.HorizontalPodAutoscaler:
		return (*experimental.HorizontalPodAutoscaler)(nil)
	}
	panic("unknown kind")
}

// runAll calls every validator of a kind, reporting panics as failures.
func runAll(t *testing.T, k kindValidators, obj, old any) (created field.ErrorList) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s: panic: %v", k.kind, r)
		}
	}()
	created = k.create(obj)
	k.update(obj, old)
	k.update(old, obj)
	k.status(obj, old)
	k.status(old, obj)
	k.warnings(obj)
	return created
}

func TestZeroAndNilObjects(t *testing.T) {
	for _, k := range allKinds {
		t.Run(k.kind, func(t *testing.T) {
			zero := k.newObject()
			nilObj := typedNil(zero)
			if errs := runAll(t, k, zero, k.newObject()); len(errs) == 0 {
				t.Errorf("expected errors for a zero %s", k.kind)
			}
			if errs := runAll(t, k, nilObj, zero); len(errs) == 0 {
				t.Errorf("expected errors for a nil %s", k.kind)
			}
			if errs := k.update(zero, nilObj); len(errs) == 0 {
				t.Errorf("expected errors for an update from a nil %s", k.kind)
			}
			if errs := k.status(nilObj, zero); len(errs) == 0 {
				t.Errorf("expected errors for a status update to a nil %s", k.kind)
			}
		})
	}
	t.Run("DeploymentRollback", func(t *testing.T) {
		if errs := ValidateDeploymentRollback(&experimental.DeploymentRollback{}); len(errs) == 0 {
			t.Error("expected errors for a zero DeploymentRollback")
		}
		if errs := ValidateDeploymentRollback(nil); len(errs) == 0 {
			t.Error("expected errors for a nil DeploymentRollback")
		}
	})
}

// hollowPodTemplate returns a pod template whose optional structs and lists
// are set but empty, leaving every nested pointer nil.
func hollowPodTemplate() corev1.PodTemplateSpec {
	empty := corev1.Container{
		Lifecycle:      &corev1.Lifecycle{PostStart: &corev1.LifecycleHandler{}, PreStop: &corev1.LifecycleHandler{}},
		LivenessProbe:  &corev1.Probe{},
		ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{}}},
		StartupProbe:   &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{}, GRPC: &corev1.GRPCAction{}}},
		Ports:          []corev1.ContainerPort{{}, {HostPort: 1}, {HostPort: 1}},
		Env: []corev1.EnvVar{{}, {ValueFrom: &corev1.EnvVarSource{}}, {ValueFrom: &corev1.EnvVarSource{
			FieldRef: &corev1.ObjectFieldSelector{}, ResourceFieldRef: &corev1.ResourceFieldSelector{},
			ConfigMapKeyRef: &corev1.ConfigMapKeySelector{}, SecretKeyRef: &corev1.SecretKeySelector{}, FileKeyRef: &corev1.FileKeySelector{},
		}}},
		EnvFrom:         []corev1.EnvFromSource{{}, {ConfigMapRef: &corev1.ConfigMapEnvSource{}, SecretRef: &corev1.SecretEnvSource{}}},
		VolumeMounts:    []corev1.VolumeMount{{}, {MountPropagation: new(corev1.MountPropagationMode)}},
		VolumeDevices:   []corev1.VolumeDevice{{}, {}},
		Resources:       corev1.ResourceRequirements{Claims: []corev1.ResourceClaim{{}}, Requests: corev1.ResourceList{"": resource.Quantity{}, "hugepages-": resource.Quantity{}}},
		RestartPolicy:   new(corev1.ContainerRestartPolicy),
		SecurityContext: &corev1.SecurityContext{},
	}
	return corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		Volumes: []corev1.Volume{{}, {VolumeSource: corev1.VolumeSource{
			Secret: &corev1.SecretVolumeSource{Items: []corev1.KeyToPath{{}}}, ConfigMap: &corev1.ConfigMapVolumeSource{},
		}}, {VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}, {VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{}}},
			{VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{}}}},
		InitContainers:      []corev1.Container{empty, {}},
		Containers:          []corev1.Container{empty, {}},
		EphemeralContainers: []corev1.EphemeralContainer{{}},
		DNSPolicy:           corev1.DNSNone,
		DNSConfig:           &corev1.PodDNSConfig{Options: []corev1.PodDNSConfigOption{{}}},
		SecurityContext:     &corev1.PodSecurityContext{},
		Affinity: &corev1.Affinity{
			NodeAffinity: &corev1.NodeAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution:  &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchFields: []corev1.NodeSelectorRequirement{{}}}}},
				PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{}},
			},
			PodAffinity:     &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{}}, PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{}}},
			PodAntiAffinity: &corev1.PodAntiAffinity{},
		},
		Tolerations:               []corev1.Toleration{{}},
		HostAliases:               []corev1.HostAlias{{}},
		ReadinessGates:            []corev1.PodReadinessGate{{}},
		SchedulingGates:           []corev1.PodSchedulingGate{{}},
		TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{MinDomains: ptr.To[int32](0)}},
		ResourceClaims:            []corev1.PodResourceClaim{{}},
		Resources:                 &corev1.ResourceRequirements{},
		OS:                        &corev1.PodOS{},
		PreemptionPolicy:          new(corev1.PreemptionPolicy),
		RuntimeClassName:          new(string),
		Overhead:                  corev1.ResourceList{},
		ImagePullSecrets:          []corev1.LocalObjectReference{{}},
	}}
}

// hollowJobSpec returns a Job spec whose optional fields are set but empty.
func hollowJobSpec() experimental.JobSpec {
	return experimental.JobSpec{
		CompletionMode:       ptr.To(experimental.IndexedCompletion),
		ManagedBy:            new(string),
		PodReplacementPolicy: new(experimental.PodReplacementPolicy),
		MaxFailedIndexes:     new(int32),
		PodFailurePolicy: &experimental.PodFailurePolicy{Rules: []experimental.PodFailurePolicyRule{
			{}, {OnExitCodes: &experimental.PodFailurePolicyOnExitCodesRequirement{ContainerName: new(string)}}, {OnPodConditions: []experimental.PodFailurePolicyOnPodConditionsPattern{{}}},
		}},
		SuccessPolicy: &experimental.SuccessPolicy{Rules: []experimental.SuccessPolicyRule{{}, {SucceededIndexes: new(string), SucceededCount: new(int32)}}},
		Template:      hollowPodTemplate(),
	}
}

// hollowObjects returns one object per kind whose optional structs, lists
// and pointers are set but empty.
func hollowObjects() []any {
	return []any{
		&experimental.DaemonSet{Spec: experimental.DaemonSetSpec{
			Template:       hollowPodTemplate(),
			UpdateStrategy: experimental.DaemonSetUpdateStrategy{Type: experimental.RollingUpdateDaemonSetStrategyType, RollingUpdate: &experimental.RollingUpdateDaemonSet{}},
		}, Status: experimental.DaemonSetStatus{CollisionCount: new(int32)}},
		&experimental.ReplicaSet{Spec: experimental.ReplicaSetSpec{Template: hollowPodTemplate(), Replicas: new(int32)}},
		&experimental.Deployment{Spec: experimental.DeploymentSpec{
			Template:   hollowPodTemplate(),
			Strategy:   experimental.DeploymentStrategy{Type: experimental.RollingUpdateDeploymentStrategyType, RollingUpdate: &experimental.RollingUpdateDeployment{}},
			RollbackTo: &experimental.RollbackConfig{}, ProgressDeadlineSeconds: new(int32),
		}},
		&experimental.Job{Spec: hollowJobSpec(), Status: experimental.JobStatus{
			UncountedTerminatedPods: &experimental.UncountedTerminatedPods{Succeeded: []types.UID{""}}, FailedIndexes: new(string), Ready: new(int32), Terminating: new(int32),
		}},
		&experimental.CronJob{Spec: experimental.CronJobSpec{
			Schedule: "@every", TimeZone: new(string), StartingDeadlineSeconds: new(int64),
			JobTemplate: experimental.JobTemplateSpec{Spec: hollowJobSpec()},
		}},
		&experimental.HorizontalPodAutoscaler{Spec: experimental.HorizontalPodAutoscalerSpec{
			MinReplicas: new(int32),
			Metrics: []experimental.MetricSpec{
				{}, {Type: experimental.ObjectMetricSourceType}, {Type: experimental.PodsMetricSourceType, Pods: &experimental.PodsMetricSource{}},
				{Type: experimental.ResourceMetricSourceType, Resource: &experimental.ResourceMetricSource{}},
				{Type: experimental.ContainerResourceMetricSourceType, ContainerResource: &experimental.ContainerResourceMetricSource{}},
				{Type: experimental.ExternalMetricSourceType, External: &experimental.ExternalMetricSource{}, Object: &experimental.ObjectMetricSource{}},
			},
			Behavior: &experimental.HorizontalPodAutoscalerBehavior{ScaleUp: &experimental.HPAScalingRules{}, ScaleDown: &experimental.HPAScalingRules{
				Policies: []experimental.HPAScalingPolicy{{}}, SelectPolicy: new(experimental.ScalingPolicySelect), StabilizationWindowSeconds: new(int32), Tolerance: &resource.Quantity{},
			}},
		}, Status: experimental.HorizontalPodAutoscalerStatus{ObservedGeneration: new(int64)}},
	}
}

func TestHollowObjects(t *testing.T) {
	for i, obj := range hollowObjects() {
		k := allKinds[i]
		t.Run(k.kind, func(t *testing.T) {
			if errs := runAll(t, k, obj, k.newObject()); len(errs) == 0 {
				t.Errorf("expected errors for a hollow %s", k.kind)
			}
		})
	}
}

// TestRandomObjects validates randomly filled objects, with a high chance of
// nil pointers and empty values, checking that no validation panics.
func TestRandomObjects(t *testing.T) {
	const iterations = 150
	for _, k := range allKinds {
		t.Run(k.kind, func(t *testing.T) {
			for seed := int64(0); seed < iterations; seed++ {
				filler := randfill.NewWithSeed(seed).NilChance(0.4).NumElements(0, 2).MaxDepth(12).Funcs(
					func(q *resource.Quantity, c randfill.Continue) {
						*q = *resource.NewMilliQuantity(c.Int63n(4000)-1000, resource.DecimalSI)
					},
					func(s *string, c randfill.Continue) {
						// Mostly short or meaningful strings, so that deeper rules run.
						choices := []string{"", "a", "Always", "Never", "Indexed", "web", "0-2,5", "*/5 * * * *", "TZ=UTC", "Resource", "Utilization", "10%"}
						if c.Intn(4) == 0 {
							*s = c.String(8)
						} else {
							*s = choices[c.Intn(len(choices))]
						}
					},
				)
				obj, old := k.newObject(), k.newObject()
				filler.Fill(obj)
				filler.Fill(old)
				runAll(t, k, obj, old)
			}
		})
	}
	rng := rand.New(rand.NewSource(1))
	for range 50 {
		rollback := &experimental.DeploymentRollback{}
		randfill.NewWithSeed(rng.Int63()).NilChance(0.5).Fill(rollback)
		ValidateDeploymentRollback(rollback)
	}
}
