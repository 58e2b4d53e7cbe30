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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
