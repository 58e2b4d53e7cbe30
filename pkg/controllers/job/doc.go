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

// Package job implements the controller of experimental/v1alpha1 Jobs. Its
// behaviour follows kube-controller-manager's batch/v1 Job controller:
// parallelism and completions (NonIndexed and Indexed), exact pod accounting
// with a tracking finalizer, backoffLimit with exponential backoff,
// backoffLimitPerIndex and maxFailedIndexes, podFailurePolicy, successPolicy,
// podReplacementPolicy, activeDeadlineSeconds, suspend, managedBy, and the
// FailureTarget/SuccessCriteriaMet then Failed/Complete conditions.
//
// Pod accounting. Every pod the controller creates carries the finalizer
// TrackingFinalizer (experimental.workloads.kube-experimental.io/job-tracking)
// so that it cannot disappear before it is counted. When a pod terminates,
// the controller first records its UID in status.uncountedTerminatedPods,
// then removes the finalizer, then moves the UID into the succeeded or
// failed counters, each step persisted before the next. Pods whose Job is
// gone or finished, and orphans, get the finalizer removed.
//
// Pacing. Pod events queue a sync after 100 ms (upstream: 1 s), so a
// finished pod is replaced about as soon as it is seen. Status tracking
// (status writes and finalizer removals) runs at most once a second per
// Job, as upstream's batching allows, except when the Job starts,
// finishes, is suspended or resumed, or is being deleted: syncs in between
// manage pods only and requeue the Job for its next tracking pass. Finished
// pods keep their finalizer until that pass, so they are counted exactly
// once.
//
// managedBy. Jobs whose spec.managedBy is unset or ManagedByValue
// ("experimental/job-controller", the value the API documents) are
// reconciled; any other value means another controller owns the Job, which
// this controller then never touches.
package job
