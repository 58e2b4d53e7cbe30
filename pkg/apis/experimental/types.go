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

package experimental

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ---------------------------------------------------------------------------
// DaemonSet

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// DaemonSet runs one copy of a pod on every eligible node.
type DaemonSet struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// The desired behavior of this daemon set.
	// +optional
	Spec DaemonSetSpec `json:"spec,omitempty"`

	// The current status of this daemon set. Populated by the system.
	// +optional
	Status DaemonSetStatus `json:"status,omitempty"`
}

// DaemonSetSpec is the specification of a daemon set.
type DaemonSetSpec struct {
	// A label query over pods that are managed by the daemon set. Must match
	// the pod template's labels. Immutable.
	Selector *metav1.LabelSelector `json:"selector"`

	// An object that describes the pod that will be created on every eligible node.
	Template corev1.PodTemplateSpec `json:"template"`

	// An update strategy to replace existing DaemonSet pods with new pods.
	// +optional
	UpdateStrategy DaemonSetUpdateStrategy `json:"updateStrategy,omitempty"`

	// The minimum number of seconds for which a newly created pod should be
	// ready without any of its containers crashing, for it to be considered
	// available. Defaults to 0.
	// +optional
	MinReadySeconds int32 `json:"minReadySeconds,omitempty"`

	// The number of old history to retain to allow rollback. Defaults to 10.
	// +optional
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`
}

// DaemonSetUpdateStrategyType is how a daemon set replaces its pods.
// +enum
type DaemonSetUpdateStrategyType string

const (
	// RollingUpdateDaemonSetStrategyType replaces the old daemons by new ones
	// using a rolling update, i.e. replace them on each node one after the other.
	RollingUpdateDaemonSetStrategyType DaemonSetUpdateStrategyType = "RollingUpdate"
	// OnDeleteDaemonSetStrategyType replaces the old daemons only when they are killed.
	OnDeleteDaemonSetStrategyType DaemonSetUpdateStrategyType = "OnDelete"
)

// DaemonSetUpdateStrategy indicates the strategy that the DaemonSet
// controller will use to perform updates.
type DaemonSetUpdateStrategy struct {
	// Type of daemon set update. Can be "RollingUpdate" or "OnDelete". Default is RollingUpdate.
	// +optional
	Type DaemonSetUpdateStrategyType `json:"type,omitempty"`

	// Rolling update config params. Present only if type = "RollingUpdate".
	// +optional
	RollingUpdate *RollingUpdateDaemonSet `json:"rollingUpdate,omitempty"`
}

// RollingUpdateDaemonSet controls the desired behavior of daemon set rolling update.
type RollingUpdateDaemonSet struct {
	// The maximum number of DaemonSet pods that can be unavailable during the
	// update. Absolute number or percentage of desired pods (rounded up).
	// Cannot be 0 if MaxSurge is 0. Defaults to 1.
	// +optional
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`

	// The maximum number of nodes with an existing available DaemonSet pod that
	// can have an updated DaemonSet pod during an update. Absolute number or
	// percentage of desired pods (rounded up). Cannot be 0 if MaxUnavailable is 0.
	// Defaults to 0.
	// +optional
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`

	// Partition is the number of pods that stay on their old revision: the
	// nodes that should run the daemon are sorted by name and the pods on
	// the first `partition` of them are not replaced. Absolute number or
	// percentage of the nodes that should run the daemon (rounded up, so at
	// least that share of the pods is protected). Lowering it continues the
	// rollout; pods already updated are never rolled back. Pods created on
	// nodes without a daemon pod always use the newest revision.
	// Defaults to unset, which means 0 (every pod is updated).
	// +optional
	Partition *intstr.IntOrString `json:"partition,omitempty"`

	// Paused stops replacing pods: while true, no existing pod is deleted or
	// surged for an update. Nodes without a daemon pod still get one of the
	// newest revision. Defaults to false.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// CanaryNodeSelector limits the update to the nodes whose labels match
	// it: while set, pods on other nodes keep their revision (pods created
	// on nodes without a daemon pod use the newest revision). Remove it to
	// roll out everywhere. An empty selector matches every node. Defaults to
	// unset (every node).
	// +optional
	CanaryNodeSelector *metav1.LabelSelector `json:"canaryNodeSelector,omitempty"`

	// UnreadyNodePolicy says how pods on nodes whose Ready condition is
	// False or Unknown take part in the update. "Block" (the behaviour of
	// apps/v1): such pods are replaced like any other and count against
	// maxUnavailable while they are unavailable, so a node that never comes
	// back can stop the rollout. "Skip": such pods are left alone until the
	// node is Ready again and count neither against maxUnavailable nor
	// against the rollout's completion. Defaults to unset, which means Block.
	// +optional
	UnreadyNodePolicy DaemonSetUnreadyNodePolicy `json:"unreadyNodePolicy,omitempty"`
}

// DaemonSetUnreadyNodePolicy is how a rolling update treats pods on nodes
// that are not Ready.
// +enum
type DaemonSetUnreadyNodePolicy string

const (
	// BlockUnreadyNodePolicy replaces pods on not-ready nodes like any other
	// and counts them against maxUnavailable (apps/v1 behaviour).
	BlockUnreadyNodePolicy DaemonSetUnreadyNodePolicy = "Block"
	// SkipUnreadyNodePolicy leaves pods on not-ready nodes alone and does not
	// count them against maxUnavailable or the rollout's completion.
	SkipUnreadyNodePolicy DaemonSetUnreadyNodePolicy = "Skip"
)

// DaemonSetProgressing is the condition a DaemonSet that uses partition,
// paused, canaryNodeSelector or unreadyNodePolicy reports about its rolling
// update; its reason says where the rollout stands and, when the rollout is
// stuck, its message names the nodes that block it.
const DaemonSetProgressing DaemonSetConditionType = "Progressing"

// Reasons of the DaemonSetProgressing condition.
const (
	// DaemonSetRolloutCompleteReason: every pod that may be updated is.
	DaemonSetRolloutCompleteReason = "RolloutComplete"
	// DaemonSetPartiallyRolledOutReason: every selected pod (outside the
	// partition, on a canary node, on a Ready node with Skip) is updated;
	// the others keep their revision.
	DaemonSetPartiallyRolledOutReason = "PartiallyRolledOut"
	// DaemonSetRollingUpdateReason: pods are being replaced.
	DaemonSetRollingUpdateReason = "RollingUpdate"
	// DaemonSetRolloutPausedReason: rollingUpdate.paused is set.
	DaemonSetRolloutPausedReason = "RolloutPaused"
	// DaemonSetRolloutBlockedReason: old pods remain but unavailable pods
	// use up maxUnavailable (or maxSurge); the message names their nodes.
	DaemonSetRolloutBlockedReason = "RolloutBlocked"
)

// DaemonSetStatus represents the current status of a daemon set.
type DaemonSetStatus struct {
	// The number of nodes that are running at least 1 daemon pod and are
	// supposed to run the daemon pod.
	CurrentNumberScheduled int32 `json:"currentNumberScheduled"`

	// The number of nodes that are running the daemon pod, but are not supposed
	// to run the daemon pod.
	NumberMisscheduled int32 `json:"numberMisscheduled"`

	// The total number of nodes that should be running the daemon pod
	// (including nodes correctly running the daemon pod).
	DesiredNumberScheduled int32 `json:"desiredNumberScheduled"`

	// The number of nodes that should be running the daemon pod and have one
	// or more of the daemon pod running with a Ready Condition.
	NumberReady int32 `json:"numberReady"`

	// The most recent generation observed by the daemon set controller.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// The total number of nodes that are running updated daemon pod.
	// +optional
	UpdatedNumberScheduled int32 `json:"updatedNumberScheduled,omitempty"`

	// The number of nodes that should be running the daemon pod and have one or
	// more of the daemon pod running and available (ready for at least
	// spec.minReadySeconds).
	// +optional
	NumberAvailable int32 `json:"numberAvailable,omitempty"`

	// The number of nodes that should be running the daemon pod and have none
	// of the daemon pod running and available.
	// +optional
	NumberUnavailable int32 `json:"numberUnavailable,omitempty"`

	// Count of hash collisions for the DaemonSet. The DaemonSet controller uses
	// this field as a collision avoidance mechanism when it needs to create the
	// name for the newest ControllerRevision.
	// +optional
	CollisionCount *int32 `json:"collisionCount,omitempty"`

	// Represents the latest available observations of a DaemonSet's current state.
	// +optional
	// +patchMergeKey=type
	// +patchStrategy=merge
	// +listType=map
	// +listMapKey=type
	Conditions []DaemonSetCondition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// DaemonSetConditionType defines a condition of a DaemonSet.
type DaemonSetConditionType string

// DaemonSetCondition describes the state of a DaemonSet at a certain point.
type DaemonSetCondition struct {
	// Type of DaemonSet condition.
	Type DaemonSetConditionType `json:"type"`
	// Status of the condition, one of True, False, Unknown.
	Status corev1.ConditionStatus `json:"status"`
	// Last time the condition transitioned from one status to another.
	// +optional
	LastTransitionTime metav1.Time `json:"lastTransitionTime,omitempty"`
	// The reason for the condition's last transition.
	// +optional
	Reason string `json:"reason,omitempty"`
	// A human readable message indicating details about the transition.
	// +optional
	Message string `json:"message,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// DaemonSetList is a collection of daemon sets.
type DaemonSetList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// A list of daemon sets.
	Items []DaemonSet `json:"items"`
}

// ---------------------------------------------------------------------------
// ReplicaSet

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ReplicaSet ensures that a specified number of pod replicas are running at any given time.
type ReplicaSet struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec defines the specification of the desired behavior of the ReplicaSet.
	// +optional
	Spec ReplicaSetSpec `json:"spec,omitempty"`

	// Status is the most recently observed status of the ReplicaSet. Populated by the system.
	// +optional
	Status ReplicaSetStatus `json:"status,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ReplicaSetList is a collection of ReplicaSets.
type ReplicaSetList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// List of ReplicaSets.
	Items []ReplicaSet `json:"items"`
}

// ReplicaSetSpec is the specification of a ReplicaSet.
type ReplicaSetSpec struct {
	// Replicas is the number of desired pods. Defaults to 1.
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Minimum number of seconds for which a newly created pod should be ready
	// without any of its container crashing, for it to be considered available.
	// Defaults to 0.
	// +optional
	MinReadySeconds int32 `json:"minReadySeconds,omitempty"`

	// Selector is a label query over pods that should match the replica count.
	// It must match the pod template's labels. Immutable.
	Selector *metav1.LabelSelector `json:"selector"`

	// Template is the object that describes the pod that will be created if
	// insufficient replicas are detected.
	// +optional
	Template corev1.PodTemplateSpec `json:"template,omitempty"`
}

// ReplicaSetStatus represents the current status of a ReplicaSet.
type ReplicaSetStatus struct {
	// Replicas is the most recently observed number of non-terminating pods.
	Replicas int32 `json:"replicas"`

	// The number of non-terminating pods that have labels matching the labels
	// of the pod template of the replicaset.
	// +optional
	FullyLabeledReplicas int32 `json:"fullyLabeledReplicas,omitempty"`

	// The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`

	// The number of available non-terminating pods (ready for at least
	// minReadySeconds) for this replica set.
	// +optional
	AvailableReplicas int32 `json:"availableReplicas,omitempty"`

	// The number of terminating pods for this replica set. Terminating pods
	// have a non-null .metadata.deletionTimestamp and have not yet reached
	// either the Failed or Succeeded .status.phase.
	// +optional
	TerminatingReplicas *int32 `json:"terminatingReplicas,omitempty"`

	// ObservedGeneration reflects the generation of the most recently observed ReplicaSet.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Represents the latest available observations of a replica set's current state.
	// +optional
	// +patchMergeKey=type
	// +patchStrategy=merge
	// +listType=map
	// +listMapKey=type
	Conditions []ReplicaSetCondition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// ReplicaSetConditionType is a condition of a replica set.
type ReplicaSetConditionType string

const (
	// ReplicaSetReplicaFailure is added in a replica set when one of its pods
	// fails to be created due to insufficient quota, limit ranges, pod security
	// policy, node selectors, etc. or deleted due to kubelet being down or
	// finalizers are failing.
	ReplicaSetReplicaFailure ReplicaSetConditionType = "ReplicaFailure"
)

// ReplicaSetCondition describes the state of a replica set at a certain point.
type ReplicaSetCondition struct {
	// Type of replica set condition.
	Type ReplicaSetConditionType `json:"type"`
	// Status of the condition, one of True, False, Unknown.
	Status corev1.ConditionStatus `json:"status"`
	// The last time the condition transitioned from one status to another.
	// +optional
	LastTransitionTime metav1.Time `json:"lastTransitionTime,omitempty"`
	// The reason for the condition's last transition.
	// +optional
	Reason string `json:"reason,omitempty"`
	// A human readable message indicating details about the transition.
	// +optional
	Message string `json:"message,omitempty"`
}

// ---------------------------------------------------------------------------
// Deployment

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Deployment enables declarative updates for Pods and ReplicaSets.
type Deployment struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Specification of the desired behavior of the Deployment.
	// +optional
	Spec DeploymentSpec `json:"spec,omitempty"`

	// Most recently observed status of the Deployment.
	// +optional
	Status DeploymentStatus `json:"status,omitempty"`
}

// DeploymentSpec is the specification of the desired behavior of the Deployment.
type DeploymentSpec struct {
	// Number of desired pods. Defaults to 1.
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Label selector for pods. Existing ReplicaSets whose pods are selected by
	// this will be the ones affected by this deployment. It must match the pod
	// template's labels. Immutable.
	Selector *metav1.LabelSelector `json:"selector"`

	// Template describes the pods that will be created.
	Template corev1.PodTemplateSpec `json:"template"`

	// The deployment strategy to use to replace existing pods with new ones.
	// +optional
	// +patchStrategy=retainKeys
	Strategy DeploymentStrategy `json:"strategy,omitempty" patchStrategy:"retainKeys"`

	// Minimum number of seconds for which a newly created pod should be ready
	// without any of its container crashing, for it to be considered available.
	// Defaults to 0.
	// +optional
	MinReadySeconds int32 `json:"minReadySeconds,omitempty"`

	// The number of old ReplicaSets to retain to allow rollback. Defaults to 10.
	// +optional
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`

	// Indicates that the deployment is paused.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// The config this deployment is rolling back to. Set by the
	// deployments/rollback subresource and cleared by the controller once the
	// rollback is done.
	// +optional
	RollbackTo *RollbackConfig `json:"rollbackTo,omitempty"`

	// The maximum time in seconds for a deployment to make progress before it
	// is considered to be failed. The deployment controller will continue to
	// process failed deployments and a condition with a
	// ProgressDeadlineExceeded reason will be surfaced in the deployment
	// status. Note that progress will not be estimated during the time a
	// deployment is paused. Defaults to 600s.
	// +optional
	ProgressDeadlineSeconds *int32 `json:"progressDeadlineSeconds,omitempty"`

	// Rolls the template back to the last revision that completed a rollout
	// when a rollout fails: when the progress deadline passes
	// (ProgressDeadlineExceeded), or when the new pods restart more than
	// maxRestarts times in total while a canary step waits. Never set by
	// default: a failed rollout then stays as it is, as in apps/v1. The
	// controller records a RolledBackOnFailure condition and an event naming
	// the failed revision and why, and never rolls the same template back
	// twice.
	// +optional
	RollbackOnFailure *DeploymentRollbackOnFailure `json:"rollbackOnFailure,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// DeploymentRollback stores the information required to rollback a deployment.
type DeploymentRollback struct {
	metav1.TypeMeta `json:",inline"`
	// Required: This must match the Name of a deployment.
	Name string `json:"name"`
	// The annotations to be updated to a deployment
	// +optional
	UpdatedAnnotations map[string]string `json:"updatedAnnotations,omitempty"`
	// The config of this deployment rollback.
	RollbackTo RollbackConfig `json:"rollbackTo"`
}

// CanaryStrategy rolls a new template out in steps.
type CanaryStrategy struct {
	// The steps, in order. A rollout is complete once every step is done
	// and all spec.replicas pods run the new template.
	// +listType=atomic
	Steps []CanaryStep `json:"steps"`
}

// CanaryStep is one step of a canary rollout: exactly one of replicas and
// pause is set.
type CanaryStep struct {
	// How many pods run the new template once this step is done: a number,
	// or a percentage of spec.replicas rounded up (as maxSurge rounds). A
	// number larger than spec.replicas means spec.replicas. The step is
	// done when that many new pods are available and the old ReplicaSets
	// hold the rest. Percentages follow spec.replicas when it is scaled
	// during the step.
	// +optional
	Replicas *intstr.IntOrString `json:"replicas,omitempty"`

	// Pause the rollout: until promoted through the deployments/promote
	// subresource when duration is not set, else for that long (or until
	// promoted).
	// +optional
	Pause *CanaryPause `json:"pause,omitempty"`
}

// CanaryPause pauses a canary rollout.
type CanaryPause struct {
	// How long to pause, e.g. "60s" or "5m". Unset: until promoted.
	// +optional
	Duration *metav1.Duration `json:"duration,omitempty"`
}

// CanaryStatus tells where a canary rollout stands.
type CanaryStatus struct {
	// The pod-template-hash of the ReplicaSet the steps are being applied
	// to. A new template starts again at step 0.
	// +optional
	PodTemplateHash string `json:"podTemplateHash,omitempty"`

	// Index of the current step in spec.strategy.canary.steps. Equal to
	// the number of steps once every step is done, was promoted past, or
	// was skipped (the first rollout of a Deployment).
	// +optional
	CurrentStepIndex int32 `json:"currentStepIndex"`

	// When the pause of the current step started; unset when the current
	// step is not a pause.
	// +optional
	PauseStartTime *metav1.Time `json:"pauseStartTime,omitempty"`

	// When the pause of the current step ends; unset for a pause that lasts
	// until promoted.
	// +optional
	PauseEndTime *metav1.Time `json:"pauseEndTime,omitempty"`
}

// DeploymentRollbackOnFailure configures automatic rollback.
type DeploymentRollbackOnFailure struct {
	// A restart budget for canary steps: when, while a canary step waits,
	// the containers of the new ReplicaSet's pods have restarted more than
	// this many times in total, the rollout has failed. Unset: restarts
	// alone never fail a rollout (the progress deadline still does).
	// +optional
	MaxRestarts *int32 `json:"maxRestarts,omitempty"`
}

// RollbackOnFailureStatus is what automatic rollback remembers.
type RollbackOnFailureStatus struct {
	// The pod-template-hash of the last ReplicaSet that completed a
	// rollout: the template a failed rollout returns to.
	// +optional
	StablePodTemplateHash string `json:"stablePodTemplateHash,omitempty"`

	// The pod-template-hash of the last template rolled back because it
	// failed. The controller never rolls that template back again; a
	// rollout of it reports its failure and stays.
	// +optional
	FailedPodTemplateHash string `json:"failedPodTemplateHash,omitempty"`

	// The revision that failed and was rolled back.
	// +optional
	FailedRevision int64 `json:"failedRevision,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// DeploymentPromote is the body of the deployments/promote subresource: it
// moves a canary rollout past its current step, or past all of them.
type DeploymentPromote struct {
	metav1.TypeMeta `json:",inline"`

	// Finish the rollout at once: skip every remaining step.
	// +optional
	Full bool `json:"full,omitempty"`
}

// RollbackConfig names the revision to roll back to.
type RollbackConfig struct {
	// The revision to rollback to. If set to 0, rollback to the last revision.
	// +optional
	Revision int64 `json:"revision,omitempty"`
}

const (
	// DefaultDeploymentUniqueLabelKey is the default key of the selector that
	// is added to existing ReplicaSets (and label key that is added to its
	// pods) to prevent the existing ReplicaSets to select new pods (and old
	// pods being select by new ReplicaSet).
	DefaultDeploymentUniqueLabelKey string = "pod-template-hash"
)

// DeploymentStrategy describes how to replace existing pods with new ones.
type DeploymentStrategy struct {
	// Type of deployment. Can be "Recreate" or "RollingUpdate". Default is RollingUpdate.
	// +optional
	Type DeploymentStrategyType `json:"type,omitempty"`

	// Rolling update config params. Present only if DeploymentStrategyType = RollingUpdate.
	// +optional
	RollingUpdate *RollingUpdateDeployment `json:"rollingUpdate,omitempty"`

	// Canary rollout steps. Only with the RollingUpdate type. When set, a new
	// template is rolled out step by step: each step either brings the new
	// ReplicaSet to a number of pods (within maxSurge and maxUnavailable)
	// and waits for them to be available, or pauses. A Deployment's first
	// rollout (no old pods) skips the steps. Unset: a plain rolling update.
	// +optional
	Canary *CanaryStrategy `json:"canary,omitempty"`
}

// DeploymentStrategyType is how a deployment replaces its pods.
// +enum
type DeploymentStrategyType string

const (
	// RecreateDeploymentStrategyType kills all existing pods before creating new ones.
	RecreateDeploymentStrategyType DeploymentStrategyType = "Recreate"
	// RollingUpdateDeploymentStrategyType replaces the old ReplicaSets by new
	// one using rolling update i.e gradually scale down the old ReplicaSets and
	// scale up the new one.
	RollingUpdateDeploymentStrategyType DeploymentStrategyType = "RollingUpdate"
)

// RollingUpdateDeployment is the spec to control the desired behavior of rolling update.
type RollingUpdateDeployment struct {
	// The maximum number of pods that can be unavailable during the update.
	// Absolute number or percentage of desired pods (rounded down). Cannot be
	// 0 if MaxSurge is 0. Defaults to 25%.
	// +optional
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`

	// The maximum number of pods that can be scheduled above the desired number
	// of pods. Absolute number or percentage of desired pods (rounded up).
	// Cannot be 0 if MaxUnavailable is 0. Defaults to 25%.
	// +optional
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`
}

// DeploymentStatus is the most recently observed status of the Deployment.
type DeploymentStatus struct {
	// The generation observed by the deployment controller.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Total number of non-terminating pods targeted by this deployment (their
	// labels match the selector).
	// +optional
	Replicas int32 `json:"replicas,omitempty"`

	// Total number of non-terminating pods targeted by this deployment that
	// have the desired template spec.
	// +optional
	UpdatedReplicas int32 `json:"updatedReplicas,omitempty"`

	// Total number of non-terminating pods targeted by this Deployment with a Ready Condition.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`

	// Total number of available non-terminating pods (ready for at least
	// minReadySeconds) targeted by this deployment.
	// +optional
	AvailableReplicas int32 `json:"availableReplicas,omitempty"`

	// Total number of unavailable pods targeted by this deployment.
	// +optional
	UnavailableReplicas int32 `json:"unavailableReplicas,omitempty"`

	// Total number of terminating pods targeted by this deployment.
	// +optional
	TerminatingReplicas *int32 `json:"terminatingReplicas,omitempty"`

	// Represents the latest available observations of a deployment's current state.
	// +optional
	// +patchMergeKey=type
	// +patchStrategy=merge
	// +listType=map
	// +listMapKey=type
	Conditions []DeploymentCondition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// Count of hash collisions for the Deployment. The Deployment controller
	// uses this field as a collision avoidance mechanism when it needs to
	// create the name for the newest ReplicaSet.
	// +optional
	CollisionCount *int32 `json:"collisionCount,omitempty"`

	// Where a canary rollout stands. Set only for a Deployment with
	// spec.strategy.canary.
	// +optional
	Canary *CanaryStatus `json:"canary,omitempty"`

	// What automatic rollback knows: the last template that completed a
	// rollout and the last template it rolled back. Set only for a
	// Deployment with spec.rollbackOnFailure.
	// +optional
	RollbackOnFailure *RollbackOnFailureStatus `json:"rollbackOnFailure,omitempty"`
}

// DeploymentConditionType is a condition of a deployment.
type DeploymentConditionType string

const (
	// DeploymentAvailable means the deployment is available, ie. at least the
	// minimum available replicas required are up and running for at least
	// minReadySeconds.
	DeploymentAvailable DeploymentConditionType = "Available"
	// DeploymentProgressing means the deployment is progressing.
	DeploymentProgressing DeploymentConditionType = "Progressing"
	// DeploymentReplicaFailure is added in a deployment when one of its pods
	// fails to be created or deleted.
	DeploymentReplicaFailure DeploymentConditionType = "ReplicaFailure"
	// DeploymentRolledBackOnFailure is added by automatic rollback
	// (spec.rollbackOnFailure): True when the controller rolled a failed
	// revision back, False when a rollout failed and there was nothing to
	// roll back to. Its reason says why the rollout failed and its message
	// names the failed and the restored revision.
	DeploymentRolledBackOnFailure DeploymentConditionType = "RolledBackOnFailure"
)

// DeploymentCondition describes the state of a deployment at a certain point.
type DeploymentCondition struct {
	// Type of deployment condition.
	Type DeploymentConditionType `json:"type"`
	// Status of the condition, one of True, False, Unknown.
	Status corev1.ConditionStatus `json:"status"`
	// The last time this condition was updated.
	// +optional
	LastUpdateTime metav1.Time `json:"lastUpdateTime,omitempty"`
	// Last time the condition transitioned from one status to another.
	// +optional
	LastTransitionTime metav1.Time `json:"lastTransitionTime,omitempty"`
	// The reason for the condition's last transition.
	// +optional
	Reason string `json:"reason,omitempty"`
	// A human readable message indicating details about the transition.
	// +optional
	Message string `json:"message,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// DeploymentList is a list of Deployments.
type DeploymentList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items is the list of Deployments.
	Items []Deployment `json:"items"`
}

// ---------------------------------------------------------------------------
// Job

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Job represents the configuration of a single job.
type Job struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Specification of the desired behavior of a job.
	// +optional
	Spec JobSpec `json:"spec,omitempty"`

	// Current status of a job.
	// +optional
	Status JobStatus `json:"status,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// JobList is a collection of jobs.
type JobList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items is the list of Jobs.
	Items []Job `json:"items"`
}

// CompletionMode specifies how Pod completions of a Job are tracked.
// +enum
type CompletionMode string

const (
	// NonIndexedCompletion is a Job completion mode. In this mode, the Job is
	// considered complete when there have been .spec.completions successfully
	// completed Pods. Pod completions are homologous to each other.
	NonIndexedCompletion CompletionMode = "NonIndexed"
	// IndexedCompletion is a Job completion mode. In this mode, the Pods of a
	// Job get an associated completion index from 0 to (.spec.completions - 1).
	// The Job is considered complete when a Pod completes for each completion index.
	IndexedCompletion CompletionMode = "Indexed"
)

// PodFailurePolicyAction specifies how a Pod failure is handled.
// +enum
type PodFailurePolicyAction string

const (
	// PodFailurePolicyActionFailJob marks the pod's job as Failed and terminates all running pods.
	PodFailurePolicyActionFailJob PodFailurePolicyAction = "FailJob"
	// PodFailurePolicyActionFailIndex marks the Job's index as failed to avoid
	// restarts within this index. Only allowed with backoffLimitPerIndex.
	PodFailurePolicyActionFailIndex PodFailurePolicyAction = "FailIndex"
	// PodFailurePolicyActionIgnore does not count the failure towards the
	// backoffLimit and creates a replacement pod.
	PodFailurePolicyActionIgnore PodFailurePolicyAction = "Ignore"
	// PodFailurePolicyActionCount handles the failure the default way: the
	// counter towards the .backoffLimit is incremented.
	PodFailurePolicyActionCount PodFailurePolicyAction = "Count"
)

// PodFailurePolicyOnExitCodesOperator is the relationship between a
// container's exit code and the specified values.
// +enum
type PodFailurePolicyOnExitCodesOperator string

const (
	// PodFailurePolicyOnExitCodesOpIn matches when the exit code is in the set of values.
	PodFailurePolicyOnExitCodesOpIn PodFailurePolicyOnExitCodesOperator = "In"
	// PodFailurePolicyOnExitCodesOpNotIn matches when the exit code is not in the set of values.
	PodFailurePolicyOnExitCodesOpNotIn PodFailurePolicyOnExitCodesOperator = "NotIn"
)

// PodReplacementPolicy specifies the policy for creating pod replacements.
// +enum
type PodReplacementPolicy string

const (
	// TerminatingOrFailed means that we recreate pods when they are
	// terminating (has a metadata.deletionTimestamp) or failed.
	TerminatingOrFailed PodReplacementPolicy = "TerminatingOrFailed"
	// Failed means to wait until a previously created Pod is fully terminated
	// (has phase Failed or Succeeded) before creating a replacement Pod.
	Failed PodReplacementPolicy = "Failed"
)

// PodFailurePolicyOnExitCodesRequirement describes the requirement for
// handling a failed pod based on its container exit codes.
type PodFailurePolicyOnExitCodesRequirement struct {
	// Restricts the check for exit codes to the container with the specified
	// name. When null, the rule applies to all containers.
	// +optional
	ContainerName *string `json:"containerName,omitempty"`

	// Represents the relationship between the container exit code(s) and the
	// specified values: In or NotIn.
	Operator PodFailurePolicyOnExitCodesOperator `json:"operator"`

	// Specifies the set of values. Each returned container exit code (might be
	// multiple in case of multiple containers) is checked against this set of
	// values with respect to the operator. The list of values must be ordered
	// and must not contain duplicates. Value '0' cannot be used for the In
	// operator. At least one element is required. At most 255 elements are allowed.
	// +listType=set
	Values []int32 `json:"values"`
}

// PodFailurePolicyOnPodConditionsPattern describes a pattern for matching an
// actual pod condition type.
type PodFailurePolicyOnPodConditionsPattern struct {
	// Specifies the required Pod condition type.
	Type corev1.PodConditionType `json:"type"`

	// Specifies the required Pod condition status. Defaults to True.
	// +optional
	Status corev1.ConditionStatus `json:"status,omitempty"`
}

// PodFailurePolicyRule describes how a pod failure is handled when the
// requirements are met. One of onExitCodes and onPodConditions, but not both,
// can be used in each rule.
type PodFailurePolicyRule struct {
	// Specifies the action taken on a pod failure when the requirements are satisfied.
	Action PodFailurePolicyAction `json:"action"`

	// Represents the requirement on the container exit codes.
	// +optional
	OnExitCodes *PodFailurePolicyOnExitCodesRequirement `json:"onExitCodes,omitempty"`

	// Represents the requirement on the pod conditions. The requirement is
	// represented as a list of pod condition patterns. The requirement is
	// satisfied if at least one pattern matches an actual pod condition. At
	// most 20 elements are allowed.
	// +listType=atomic
	// +optional
	OnPodConditions []PodFailurePolicyOnPodConditionsPattern `json:"onPodConditions,omitempty"`
}

// PodFailurePolicy describes how failed pods influence the backoffLimit.
type PodFailurePolicy struct {
	// A list of pod failure policy rules. The rules are evaluated in order.
	// Once a rule matches a Pod failure, the remaining of the rules are
	// ignored. When no rule matches the Pod failure, the default handling
	// applies - the counter of pod failures is incremented and it is checked
	// against the backoffLimit. At most 20 elements are allowed.
	// +listType=atomic
	Rules []PodFailurePolicyRule `json:"rules"`
}

// SuccessPolicy describes when a Job can be declared as succeeded based on
// the success of some indexes.
type SuccessPolicy struct {
	// rules represents the list of alternative rules for the declaring the
	// Jobs as successful before `.status.succeeded >= .spec.completions`. Once
	// any of the rules are met, the "SuccessCriteriaMet" condition is added,
	// and the lingering pods are removed. At most 20 elements are allowed.
	// +listType=atomic
	Rules []SuccessPolicyRule `json:"rules"`
}

// SuccessPolicyRule describes rule for declaring a Job as succeeded. Each rule
// must have at least one of the "succeededIndexes" or "succeededCount" specified.
type SuccessPolicyRule struct {
	// succeededIndexes specifies the set of indexes which need to be contained
	// in the actual set of the succeeded indexes for the Job. The list of
	// indexes must be within 0 to ".spec.completions-1" and must not contain
	// duplicates. At least one element is required. The indexes are
	// represented as intervals separated by commas, e.g. "1,3-5,7".
	// +optional
	SucceededIndexes *string `json:"succeededIndexes,omitempty"`

	// succeededCount specifies the minimal required size of the actual set of
	// the succeeded indexes for the Job.
	// +optional
	SucceededCount *int32 `json:"succeededCount,omitempty"`
}

// JobSpec describes how the job execution will look like.
type JobSpec struct {
	// Specifies the maximum desired number of pods the job should run at any
	// given time. Defaults to 1.
	// +optional
	Parallelism *int32 `json:"parallelism,omitempty"`

	// Specifies the desired number of successfully finished pods the job
	// should be run with. Setting to null means that the success of any pod
	// signals the success of all pods.
	// +optional
	Completions *int32 `json:"completions,omitempty"`

	// Specifies the duration in seconds relative to the startTime that the job
	// may be continuously active before the system tries to terminate it;
	// value must be positive integer.
	// +optional
	ActiveDeadlineSeconds *int64 `json:"activeDeadlineSeconds,omitempty"`

	// Specifies the policy of handling failed pods. Only allowed when the pod
	// template's restartPolicy is Never.
	// +optional
	PodFailurePolicy *PodFailurePolicy `json:"podFailurePolicy,omitempty"`

	// successPolicy specifies the policy when the Job can be declared as
	// succeeded. Only allowed for Indexed Jobs.
	// +optional
	SuccessPolicy *SuccessPolicy `json:"successPolicy,omitempty"`

	// Specifies the number of retries before marking this job failed. Defaults
	// to 6, unless backoffLimitPerIndex (only Indexed Job) is specified.
	// +optional
	BackoffLimit *int32 `json:"backoffLimit,omitempty"`

	// Specifies the limit for the number of retries within an index before
	// marking this index as failed. Only for Indexed Jobs.
	// +optional
	BackoffLimitPerIndex *int32 `json:"backoffLimitPerIndex,omitempty"`

	// Specifies the maximal number of failed indexes before marking the Job as
	// failed, when backoffLimitPerIndex is set.
	// +optional
	MaxFailedIndexes *int32 `json:"maxFailedIndexes,omitempty"`

	// A label query over pods that should match the pod count. Normally, the
	// system sets this field for you.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`

	// manualSelector controls generation of pod labels and pod selectors.
	// Leave unset unless you are certain what you are doing.
	// +optional
	ManualSelector *bool `json:"manualSelector,omitempty"`

	// Describes the pod that will be created when executing a job. The only
	// allowed template.spec.restartPolicy values are "Never" or "OnFailure".
	Template corev1.PodTemplateSpec `json:"template"`

	// ttlSecondsAfterFinished limits the lifetime of a Job that has finished
	// execution (either Complete or Failed). If set, after the Job finishes,
	// it is eligible to be automatically deleted.
	// +optional
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty"`

	// completionMode specifies how Pod completions are tracked. It can be
	// `NonIndexed` (default) or `Indexed`.
	// +optional
	CompletionMode *CompletionMode `json:"completionMode,omitempty"`

	// suspend specifies whether the Job controller should create Pods or not.
	// Defaults to false.
	// +optional
	Suspend *bool `json:"suspend,omitempty"`

	// podReplacementPolicy specifies when to create replacement Pods:
	// TerminatingOrFailed (default) or Failed (default when podFailurePolicy is used).
	// +optional
	PodReplacementPolicy *PodReplacementPolicy `json:"podReplacementPolicy,omitempty"`

	// ManagedBy field indicates the controller that manages a Job. The
	// built-in controller reconciles Jobs that have this field unset or set to
	// "experimental/job-controller"; others are skipped. Immutable.
	// +optional
	ManagedBy *string `json:"managedBy,omitempty"`
}

// JobStatus represents the current state of a Job.
type JobStatus struct {
	// The latest available observations of an object's current state. When a
	// Job fails, one of the conditions will have type "Failed" and status
	// true. When a Job is suspended, one of the conditions will have type
	// "Suspended" and status true. When a Job is completed, one of the
	// conditions will have type "Complete" and status true.
	// +optional
	// +patchMergeKey=type
	// +patchStrategy=merge
	// +listType=atomic
	Conditions []JobCondition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// Represents time when the job controller started processing a job.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// Represents time when the job was completed.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`

	// The number of pending and running pods which are not terminating.
	// +optional
	Active int32 `json:"active,omitempty"`

	// The number of pods which reached phase Succeeded.
	// +optional
	Succeeded int32 `json:"succeeded,omitempty"`

	// The number of pods which reached phase Failed.
	// +optional
	Failed int32 `json:"failed,omitempty"`

	// The number of pods which are terminating (in phase Pending or Running
	// and have a deletionTimestamp).
	// +optional
	Terminating *int32 `json:"terminating,omitempty"`

	// completedIndexes holds the completed indexes when
	// .spec.completionMode = "Indexed" in a text format, e.g. "1,3-5,7".
	// +optional
	CompletedIndexes string `json:"completedIndexes,omitempty"`

	// FailedIndexes holds the failed indexes when spec.backoffLimitPerIndex is set.
	// +optional
	FailedIndexes *string `json:"failedIndexes,omitempty"`

	// uncountedTerminatedPods holds the UIDs of Pods that have terminated but
	// the job controller hasn't yet accounted for in the status counters.
	// +optional
	UncountedTerminatedPods *UncountedTerminatedPods `json:"uncountedTerminatedPods,omitempty"`

	// The number of active pods which have a Ready condition.
	// +optional
	Ready *int32 `json:"ready,omitempty"`
}

// UncountedTerminatedPods holds UIDs of Pods that have terminated but haven't
// been accounted in Job status counters.
type UncountedTerminatedPods struct {
	// succeeded holds UIDs of succeeded Pods.
	// +listType=set
	// +optional
	Succeeded []types.UID `json:"succeeded,omitempty"`

	// failed holds UIDs of failed Pods.
	// +listType=set
	// +optional
	Failed []types.UID `json:"failed,omitempty"`
}

// JobConditionType is a valid value for JobCondition.Type.
type JobConditionType string

const (
	// JobSuspended means the job has been suspended.
	JobSuspended JobConditionType = "Suspended"
	// JobComplete means the job has completed its execution.
	JobComplete JobConditionType = "Complete"
	// JobFailed means the job has failed its execution.
	JobFailed JobConditionType = "Failed"
	// JobFailureTarget means the job is about to fail its execution.
	JobFailureTarget JobConditionType = "FailureTarget"
	// JobSuccessCriteriaMet means the Job has been succeeded.
	JobSuccessCriteriaMet JobConditionType = "SuccessCriteriaMet"
)

// JobCondition describes current state of a job.
type JobCondition struct {
	// Type of job condition, Complete or Failed.
	Type JobConditionType `json:"type"`
	// Status of the condition, one of True, False, Unknown.
	Status corev1.ConditionStatus `json:"status"`
	// Last time the condition was checked.
	// +optional
	LastProbeTime metav1.Time `json:"lastProbeTime,omitempty"`
	// Last time the condition transit from one status to another.
	// +optional
	LastTransitionTime metav1.Time `json:"lastTransitionTime,omitempty"`
	// (brief) reason for the condition's last transition.
	// +optional
	Reason string `json:"reason,omitempty"`
	// Human readable message indicating details about last transition.
	// +optional
	Message string `json:"message,omitempty"`
}

// JobTemplateSpec describes the data a Job should have when created from a template.
type JobTemplateSpec struct {
	// Standard object's metadata of the jobs created from this template.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Specification of the desired behavior of the job.
	// +optional
	Spec JobSpec `json:"spec,omitempty"`
}

// ---------------------------------------------------------------------------
// CronJob

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// CronJob represents the configuration of a single cron job.
type CronJob struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Specification of the desired behavior of a cron job, including the schedule.
	// +optional
	Spec CronJobSpec `json:"spec,omitempty"`

	// Current status of a cron job.
	// +optional
	Status CronJobStatus `json:"status,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// CronJobList is a collection of cron jobs.
type CronJobList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items is the list of CronJobs.
	Items []CronJob `json:"items"`
}

// CronJobSpec describes how the job execution will look like and when it will actually run.
type CronJobSpec struct {
	// The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.
	Schedule string `json:"schedule"`

	// The time zone name for the given schedule, see
	// https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not
	// specified, this defaults to UTC.
	// +optional
	TimeZone *string `json:"timeZone,omitempty"`

	// Optional deadline in seconds for starting the job if it misses scheduled
	// time for any reason. Missed jobs executions will be counted as failed ones.
	// +optional
	StartingDeadlineSeconds *int64 `json:"startingDeadlineSeconds,omitempty"`

	// Specifies how to treat concurrent executions of a Job. Valid values are
	// "Allow" (default), "Forbid" and "Replace".
	// +optional
	ConcurrencyPolicy ConcurrencyPolicy `json:"concurrencyPolicy,omitempty"`

	// This flag tells the controller to suspend subsequent executions, it does
	// not apply to already started executions. Defaults to false.
	// +optional
	Suspend *bool `json:"suspend,omitempty"`

	// Specifies the job that will be created when executing a CronJob.
	JobTemplate JobTemplateSpec `json:"jobTemplate"`

	// The number of successful finished jobs to retain. Value must be
	// non-negative integer. Defaults to 3.
	// +optional
	SuccessfulJobsHistoryLimit *int32 `json:"successfulJobsHistoryLimit,omitempty"`

	// The number of failed finished jobs to retain. Value must be non-negative
	// integer. Defaults to 1.
	// +optional
	FailedJobsHistoryLimit *int32 `json:"failedJobsHistoryLimit,omitempty"`

	// missedSchedulePolicy says what the controller does with schedule
	// times that passed while no run could start for them, for example
	// while the controller was not running. "RunOnce" (the behaviour of
	// batch/v1, used when unset) starts one Job for the most recent missed
	// time, however many were missed. "Skip" starts no Job for a schedule
	// time the controller handles more than 60 seconds after it: missed
	// times are skipped with a MissSchedule event and the CronJob waits
	// for its next schedule time. startingDeadlineSeconds, when set, still
	// applies under both policies. Not part of batch/v1.
	// +optional
	MissedSchedulePolicy *MissedSchedulePolicy `json:"missedSchedulePolicy,omitempty"`

	// jitterSeconds spreads the runs of many CronJobs with the same
	// schedule: every schedule time of this CronJob is delayed by a fixed
	// offset in [0, jitterSeconds) seconds, derived from the CronJob's UID,
	// so it stays the same for the CronJob's lifetime while CronJobs
	// with "0 * * * *" fire spread over the window instead of in the same
	// second. The delayed time is the scheduled time everywhere:
	// status.lastScheduleTime, status.nextScheduleTime, the Job's
	// scheduled-timestamp annotation and startingDeadlineSeconds. @every
	// schedules, which count from the CronJob's last run, are not delayed.
	// Must be between 0 and 3600; unset or 0 means no delay, as in
	// batch/v1. Not part of batch/v1.
	// +optional
	JitterSeconds *int32 `json:"jitterSeconds,omitempty"`
}

// MissedSchedulePolicy says what happens to schedule times a CronJob missed.
// +enum
type MissedSchedulePolicy string

const (
	// MissedScheduleRunOnce starts one Job for the most recent missed
	// schedule time, as batch/v1 does.
	MissedScheduleRunOnce MissedSchedulePolicy = "RunOnce"
	// MissedScheduleSkip starts no Job for missed schedule times; the next
	// run is at the next schedule time.
	MissedScheduleSkip MissedSchedulePolicy = "Skip"
)

// ConcurrencyPolicy describes how the job will be handled. Only one of the
// following concurrent policies may be specified.
// +enum
type ConcurrencyPolicy string

const (
	// AllowConcurrent allows CronJobs to run concurrently.
	AllowConcurrent ConcurrencyPolicy = "Allow"
	// ForbidConcurrent forbids concurrent runs, skipping next run if previous
	// hasn't finished yet.
	ForbidConcurrent ConcurrencyPolicy = "Forbid"
	// ReplaceConcurrent cancels currently running job and replaces it with a new one.
	ReplaceConcurrent ConcurrencyPolicy = "Replace"
)

// CronJobStatus represents the current state of a cron job.
type CronJobStatus struct {
	// A list of pointers to currently running jobs.
	// +optional
	// +listType=atomic
	Active []corev1.ObjectReference `json:"active,omitempty"`

	// Information when was the last time the job was successfully scheduled.
	// +optional
	LastScheduleTime *metav1.Time `json:"lastScheduleTime,omitempty"`

	// Information when was the last time the job successfully completed.
	// +optional
	LastSuccessfulTime *metav1.Time `json:"lastSuccessfulTime,omitempty"`

	// nextScheduleTime is when the controller will start the next Job,
	// spec.jitterSeconds included. The controller sets it on CronJobs with
	// spec.jitterSeconds (others keep the status of batch/v1); it is unset
	// while the CronJob is suspended or its schedule matches no time. Not
	// part of batch/v1.
	// +optional
	NextScheduleTime *metav1.Time `json:"nextScheduleTime,omitempty"`

	// conditions are the latest observations of the CronJob's state. The
	// controller sets RunsBlocked to True while concurrencyPolicy Forbid
	// holds back scheduled runs because a Job is still active (its message
	// names the Job and how many runs were skipped), and to False when a
	// run proceeds or no Job is active any more. Not part of batch/v1.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchMergeKey=type
	// +patchStrategy=merge
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// CronJobConditionRunsBlocked is the condition type that is True while
// concurrencyPolicy Forbid holds back scheduled runs of a CronJob.
const CronJobConditionRunsBlocked = "RunsBlocked"

// CronJobManualInstantiateAnnotation marks Jobs started outside the schedule
// (by the cronjobs/trigger subresource or kubectl create job --from) with the
// value "manual"; the key is the one kubectl uses.
const CronJobManualInstantiateAnnotation = "cronjob.kubernetes.io/instantiate"

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// CronJobTrigger is the body of a POST to cronjobs/NAME/trigger, which
// starts a Job from the CronJob's job template now, outside its schedule,
// as kubectl create job --from=cronjob/NAME does. The response is the
// created Job. The Job is annotated cronjob.kubernetes.io/instantiate:
// manual and controlled by the CronJob, so it counts in status.active and
// the history limits. concurrencyPolicy applies: Forbid refuses with 409
// Conflict while a Job of the CronJob is active, Replace deletes the
// active Jobs first.
type CronJobTrigger struct {
	metav1.TypeMeta `json:",inline"`
	// jobName is the name of the Job to create. When empty the server
	// generates one: the CronJob's name, "-manual-" and a random suffix.
	// +optional
	JobName string `json:"jobName,omitempty"`
}

// ---------------------------------------------------------------------------
// HorizontalPodAutoscaler

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// HorizontalPodAutoscaler is the configuration for a horizontal pod
// autoscaler, which automatically manages the replica count of any resource
// implementing the scale subresource based on the metrics specified.
type HorizontalPodAutoscaler struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the specification for the behaviour of the autoscaler.
	// +optional
	Spec HorizontalPodAutoscalerSpec `json:"spec,omitempty"`

	// status is the current information about the autoscaler.
	// +optional
	Status HorizontalPodAutoscalerStatus `json:"status,omitempty"`
}

// HorizontalPodAutoscalerSpec describes the desired functionality of the HorizontalPodAutoscaler.
type HorizontalPodAutoscalerSpec struct {
	// scaleTargetRef points to the target resource to scale, and is used to
	// the pods for which metrics should be collected, as well as to actually
	// change the replica count.
	ScaleTargetRef CrossVersionObjectReference `json:"scaleTargetRef"`

	// minReplicas is the lower limit for the number of replicas to which the
	// autoscaler can scale down. It defaults to 1 pod. minReplicas is allowed
	// to be 0 if at least one Object or External metric is configured.
	// +optional
	MinReplicas *int32 `json:"minReplicas,omitempty"`

	// maxReplicas is the upper limit for the number of replicas to which the
	// autoscaler can scale up. It cannot be less that minReplicas.
	MaxReplicas int32 `json:"maxReplicas"`

	// metrics contains the specifications for which to use to calculate the
	// desired replica count (the maximum replica count across all metrics will
	// be used). If not set, the default metric will be set to 80% average CPU
	// utilization.
	// +listType=atomic
	// +optional
	Metrics []MetricSpec `json:"metrics,omitempty"`

	// behavior configures the scaling behavior of the target in both Up and
	// Down directions (scaleUp and scaleDown fields respectively). If not set,
	// the default HPAScalingRules for scale up and scale down are used.
	// +optional
	Behavior *HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
}

// CrossVersionObjectReference contains enough information to let you identify the referred resource.
type CrossVersionObjectReference struct {
	// kind is the kind of the referent.
	Kind string `json:"kind"`

	// name is the name of the referent.
	Name string `json:"name"`

	// apiVersion is the API version of the referent.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`
}

// MetricSpec specifies how to scale based on a single metric (only `type` and
// one other matching field should be set at once).
type MetricSpec struct {
	// type is the type of metric source. It should be one of "ContainerResource",
	// "External", "Object", "Pods" or "Resource", each mapping to a matching field in the object.
	Type MetricSourceType `json:"type"`

	// object refers to a metric describing a single kubernetes object.
	// +optional
	Object *ObjectMetricSource `json:"object,omitempty"`

	// pods refers to a metric describing each pod in the current scale target.
	// +optional
	Pods *PodsMetricSource `json:"pods,omitempty"`

	// resource refers to a resource metric (such as those specified in
	// requests and limits) known to Kubernetes describing each pod in the
	// current scale target.
	// +optional
	Resource *ResourceMetricSource `json:"resource,omitempty"`

	// containerResource refers to a resource metric (such as those specified
	// in requests and limits) known to Kubernetes describing a single
	// container in each pod of the current scale target.
	// +optional
	ContainerResource *ContainerResourceMetricSource `json:"containerResource,omitempty"`

	// external refers to a global metric that is not associated with any
	// Kubernetes object.
	// +optional
	External *ExternalMetricSource `json:"external,omitempty"`
}

// HorizontalPodAutoscalerBehavior configures the scaling behavior of the
// target in both Up and Down directions.
type HorizontalPodAutoscalerBehavior struct {
	// scaleUp is scaling policy for scaling Up. If not set, the default value
	// is the higher of: increase no more than 4 pods per 15 seconds, or double
	// the number of pods per 15 seconds; no stabilization is used.
	// +optional
	ScaleUp *HPAScalingRules `json:"scaleUp,omitempty"`

	// scaleDown is scaling policy for scaling Down. If not set, the default
	// value is to allow to scale down to minReplicas pods, with a 300 second
	// stabilization window.
	// +optional
	ScaleDown *HPAScalingRules `json:"scaleDown,omitempty"`
}

// ScalingPolicySelect is used to specify which policy should be used while scaling in a certain direction.
// +enum
type ScalingPolicySelect string

const (
	// MaxChangePolicySelect selects the policy with the highest possible change.
	MaxChangePolicySelect ScalingPolicySelect = "Max"
	// MinChangePolicySelect selects the policy with the lowest possible change.
	MinChangePolicySelect ScalingPolicySelect = "Min"
	// DisabledPolicySelect disables the scaling in this direction.
	DisabledPolicySelect ScalingPolicySelect = "Disabled"
)

// HPAScalingRules configures the scaling behavior for one direction.
type HPAScalingRules struct {
	// stabilizationWindowSeconds is the number of seconds for which past
	// recommendations should be considered while scaling up or scaling down.
	// Must be >= 0 and <= 3600 (one hour).
	// +optional
	StabilizationWindowSeconds *int32 `json:"stabilizationWindowSeconds,omitempty"`

	// selectPolicy is used to specify which policy should be used. If not set,
	// the default value Max is used.
	// +optional
	SelectPolicy *ScalingPolicySelect `json:"selectPolicy,omitempty"`

	// policies is a list of potential scaling polices which can be used during
	// scaling. If not set, use the default values.
	// +listType=atomic
	// +optional
	Policies []HPAScalingPolicy `json:"policies,omitempty"`

	// tolerance is the tolerance on the ratio between the current and desired
	// metric value under which no updates are made to the desired number of
	// replicas (e.g. 0.01 for 1%). Must be greater than or equal to zero. If
	// not set, the default tolerance of 0.1 (10%) is used.
	// +optional
	Tolerance *resource.Quantity `json:"tolerance,omitempty"`
}

// HPAScalingPolicyType is the type of the policy which could be used while making scaling decisions.
// +enum
type HPAScalingPolicyType string

const (
	// PodsScalingPolicy is a policy used to specify a change in absolute number of pods.
	PodsScalingPolicy HPAScalingPolicyType = "Pods"
	// PercentScalingPolicy is a policy used to specify a relative amount of change with respect to
	// the current number of pods.
	PercentScalingPolicy HPAScalingPolicyType = "Percent"
)

// HPAScalingPolicy is a single policy which must hold true for a specified past interval.
type HPAScalingPolicy struct {
	// type is used to specify the scaling policy.
	Type HPAScalingPolicyType `json:"type"`

	// value contains the amount of change which is permitted by the policy. It must be greater than zero.
	Value int32 `json:"value"`

	// periodSeconds specifies the window of time for which the policy should
	// hold true. PeriodSeconds must be greater than zero and less than or
	// equal to 1800 (30 min).
	PeriodSeconds int32 `json:"periodSeconds"`
}

// MetricSourceType indicates the type of metric.
// +enum
type MetricSourceType string

const (
	// ObjectMetricSourceType is a metric describing a kubernetes object.
	ObjectMetricSourceType MetricSourceType = "Object"
	// PodsMetricSourceType is a metric describing each pod in the current scale target.
	PodsMetricSourceType MetricSourceType = "Pods"
	// ResourceMetricSourceType is a resource metric known to Kubernetes.
	ResourceMetricSourceType MetricSourceType = "Resource"
	// ContainerResourceMetricSourceType is a resource metric of a single container.
	ContainerResourceMetricSourceType MetricSourceType = "ContainerResource"
	// ExternalMetricSourceType is a global metric that is not associated with any Kubernetes object.
	ExternalMetricSourceType MetricSourceType = "External"
)

// ObjectMetricSource indicates how to scale on a metric describing a
// kubernetes object (for example, hits-per-second on an Ingress object).
type ObjectMetricSource struct {
	// describedObject specifies the descriptions of a object, such as kind, name apiVersion
	DescribedObject CrossVersionObjectReference `json:"describedObject"`

	// target specifies the target value for the given metric
	Target MetricTarget `json:"target"`

	// metric identifies the target metric by name and selector
	Metric MetricIdentifier `json:"metric"`
}

// PodsMetricSource indicates how to scale on a metric describing each pod in
// the current scale target. The values will be averaged together before
// being compared to the target value.
type PodsMetricSource struct {
	// metric identifies the target metric by name and selector
	Metric MetricIdentifier `json:"metric"`

	// target specifies the target value for the given metric
	Target MetricTarget `json:"target"`
}

// ResourceMetricSource indicates how to scale on a resource metric known to
// Kubernetes, as specified in requests and limits, describing each pod in the
// current scale target (e.g. CPU or memory).
type ResourceMetricSource struct {
	// name is the name of the resource in question.
	Name corev1.ResourceName `json:"name"`

	// target specifies the target value for the given metric
	Target MetricTarget `json:"target"`
}

// ContainerResourceMetricSource indicates how to scale on a resource metric
// known to Kubernetes, as specified in requests and limits, describing a
// single container in each pod of the current scale target.
type ContainerResourceMetricSource struct {
	// name is the name of the resource in question.
	Name corev1.ResourceName `json:"name"`

	// target specifies the target value for the given metric
	Target MetricTarget `json:"target"`

	// container is the name of the container in the pods of the scaling target
	Container string `json:"container"`
}

// ExternalMetricSource indicates how to scale on a metric not associated with
// any Kubernetes object (for example length of queue in cloud messaging service).
type ExternalMetricSource struct {
	// metric identifies the target metric by name and selector
	Metric MetricIdentifier `json:"metric"`

	// target specifies the target value for the given metric
	Target MetricTarget `json:"target"`
}

// MetricIdentifier defines the name and optionally selector for a metric.
type MetricIdentifier struct {
	// name is the name of the given metric
	Name string `json:"name"`

	// selector is the string-encoded form of a standard kubernetes label
	// selector for the given metric.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
}

// MetricTarget defines the target value, average value, or average
// utilization of a specific metric.
type MetricTarget struct {
	// type represents whether the metric type is Utilization, Value, or AverageValue
	Type MetricTargetType `json:"type"`

	// value is the target value of the metric (as a quantity).
	// +optional
	Value *resource.Quantity `json:"value,omitempty"`

	// averageValue is the target value of the average of the metric across all
	// relevant pods (as a quantity).
	// +optional
	AverageValue *resource.Quantity `json:"averageValue,omitempty"`

	// averageUtilization is the target value of the average of the resource
	// metric across all relevant pods, represented as a percentage of the
	// requested value of the resource for the pods. Currently only valid for
	// Resource and ContainerResource metric source types.
	// +optional
	AverageUtilization *int32 `json:"averageUtilization,omitempty"`
}

// MetricTargetType specifies the type of metric being targeted, and should
// be either "Value", "AverageValue", or "Utilization".
// +enum
type MetricTargetType string

const (
	// UtilizationMetricType declares a MetricTarget is an AverageUtilization value
	UtilizationMetricType MetricTargetType = "Utilization"
	// ValueMetricType declares a MetricTarget is a raw value
	ValueMetricType MetricTargetType = "Value"
	// AverageValueMetricType declares a MetricTarget is an
	AverageValueMetricType MetricTargetType = "AverageValue"
)

// HorizontalPodAutoscalerStatus describes the current status of a horizontal pod autoscaler.
type HorizontalPodAutoscalerStatus struct {
	// observedGeneration is the most recent generation observed by this autoscaler.
	// +optional
	ObservedGeneration *int64 `json:"observedGeneration,omitempty"`

	// lastScaleTime is the last time the HorizontalPodAutoscaler scaled the
	// number of pods, used by the autoscaler to control how often the number
	// of pods is changed.
	// +optional
	LastScaleTime *metav1.Time `json:"lastScaleTime,omitempty"`

	// currentReplicas is current number of replicas of pods managed by this
	// autoscaler, as last seen by the autoscaler.
	// +optional
	CurrentReplicas int32 `json:"currentReplicas,omitempty"`

	// desiredReplicas is the desired number of replicas of pods managed by
	// this autoscaler, as last calculated by the autoscaler.
	DesiredReplicas int32 `json:"desiredReplicas"`

	// currentMetrics is the last read state of the metrics used by this autoscaler.
	// +listType=atomic
	// +optional
	CurrentMetrics []MetricStatus `json:"currentMetrics"`

	// conditions is the set of conditions required for this autoscaler to
	// scale its target, and indicates whether or not those conditions are met.
	// +patchMergeKey=type
	// +patchStrategy=merge
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []HorizontalPodAutoscalerCondition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// HorizontalPodAutoscalerConditionType are the valid conditions of a HorizontalPodAutoscaler.
type HorizontalPodAutoscalerConditionType string

const (
	// ScalingActive indicates that the HPA controller is able to scale if
	// necessary: it's correctly configured, can fetch the desired metrics, and
	// isn't disabled.
	ScalingActive HorizontalPodAutoscalerConditionType = "ScalingActive"
	// AbleToScale indicates a lack of transient issues which prevent scaling
	// from occurring, such as being in a backoff window, or being unable to
	// access/update the target scale.
	AbleToScale HorizontalPodAutoscalerConditionType = "AbleToScale"
	// ScalingLimited indicates that the calculated scale based on metrics
	// would be above or below the range for the HPA, and has thus been capped.
	ScalingLimited HorizontalPodAutoscalerConditionType = "ScalingLimited"
)

// HorizontalPodAutoscalerCondition describes the state of a
// HorizontalPodAutoscaler at a certain point.
type HorizontalPodAutoscalerCondition struct {
	// type describes the current condition
	Type HorizontalPodAutoscalerConditionType `json:"type"`

	// status is the status of the condition (True, False, Unknown)
	Status corev1.ConditionStatus `json:"status"`

	// lastTransitionTime is the last time the condition transitioned from one status to another
	// +optional
	LastTransitionTime metav1.Time `json:"lastTransitionTime,omitempty"`

	// reason is the reason for the condition's last transition.
	// +optional
	Reason string `json:"reason,omitempty"`

	// message is a human-readable explanation containing details about the transition
	// +optional
	Message string `json:"message,omitempty"`
}

// MetricStatus describes the last-read state of a single metric.
type MetricStatus struct {
	// type is the type of metric source. It will be one of "ContainerResource",
	// "External", "Object", "Pods" or "Resource", each corresponds to a
	// matching field in the object.
	Type MetricSourceType `json:"type"`

	// object refers to a metric describing a single kubernetes object.
	// +optional
	Object *ObjectMetricStatus `json:"object,omitempty"`

	// pods refers to a metric describing each pod in the current scale target.
	// +optional
	Pods *PodsMetricStatus `json:"pods,omitempty"`

	// resource refers to a resource metric known to Kubernetes describing each
	// pod in the current scale target.
	// +optional
	Resource *ResourceMetricStatus `json:"resource,omitempty"`

	// containerResource refers to a resource metric known to Kubernetes
	// describing a single container in each pod in the current scale target.
	// +optional
	ContainerResource *ContainerResourceMetricStatus `json:"containerResource,omitempty"`

	// external refers to a global metric that is not associated with any
	// Kubernetes object.
	// +optional
	External *ExternalMetricStatus `json:"external,omitempty"`
}

// ObjectMetricStatus indicates the current value of a metric describing a kubernetes object.
type ObjectMetricStatus struct {
	// metric identifies the target metric by name and selector
	Metric MetricIdentifier `json:"metric"`

	// current contains the current value for the given metric
	Current MetricValueStatus `json:"current"`

	// DescribedObject specifies the descriptions of a object, such as kind, name apiVersion
	DescribedObject CrossVersionObjectReference `json:"describedObject"`
}

// PodsMetricStatus indicates the current value of a metric describing each
// pod in the current scale target (for example, transactions-processed-per-second).
type PodsMetricStatus struct {
	// metric identifies the target metric by name and selector
	Metric MetricIdentifier `json:"metric"`

	// current contains the current value for the given metric
	Current MetricValueStatus `json:"current"`
}

// ResourceMetricStatus indicates the current value of a resource metric known
// to Kubernetes, as specified in requests and limits, describing each pod in
// the current scale target (e.g. CPU or memory).
type ResourceMetricStatus struct {
	// name is the name of the resource in question.
	Name corev1.ResourceName `json:"name"`

	// current contains the current value for the given metric
	Current MetricValueStatus `json:"current"`
}

// ContainerResourceMetricStatus indicates the current value of a resource
// metric known to Kubernetes, as specified in requests and limits, describing
// a single container in each pod in the current scale target.
type ContainerResourceMetricStatus struct {
	// name is the name of the resource in question.
	Name corev1.ResourceName `json:"name"`

	// current contains the current value for the given metric
	Current MetricValueStatus `json:"current"`

	// container is the name of the container in the pods of the scaling target
	Container string `json:"container"`
}

// ExternalMetricStatus indicates the current value of a global metric not
// associated with any Kubernetes object.
type ExternalMetricStatus struct {
	// metric identifies the target metric by name and selector
	Metric MetricIdentifier `json:"metric"`

	// current contains the current value for the given metric
	Current MetricValueStatus `json:"current"`
}

// MetricValueStatus holds the current value for a metric
type MetricValueStatus struct {
	// value is the current value of the metric (as a quantity).
	// +optional
	Value *resource.Quantity `json:"value,omitempty"`

	// averageValue is the current value of the average of the metric across
	// all relevant pods (as a quantity)
	// +optional
	AverageValue *resource.Quantity `json:"averageValue,omitempty"`

	// currentAverageUtilization is the current value of the average of the
	// resource metric across all relevant pods, represented as a percentage of
	// the requested value of the resource for the pods.
	// +optional
	AverageUtilization *int32 `json:"averageUtilization,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// HorizontalPodAutoscalerList is a list of horizontal pod autoscaler objects.
type HorizontalPodAutoscalerList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`

	// items is the list of horizontal pod autoscaler objects.
	Items []HorizontalPodAutoscaler `json:"items"`
}
