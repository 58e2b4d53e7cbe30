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

// Package daemonset implements the controller of experimental/v1alpha1
// DaemonSets: one pod on every eligible node (nodeSelector, required node
// affinity, taints and tolerations), pinned to its node with node affinity on
// metadata.name and bound by the scheduler; RollingUpdate (maxUnavailable,
// maxSurge) and OnDelete updates; revision history in apps/v1
// ControllerRevisions; per-node backoff for failed pods; and status. Its
// behaviour follows kube-controller-manager's apps/v1 DaemonSet controller.
//
// Beyond apps/v1, the optional rollingUpdate fields partition, paused,
// canaryNodeSelector and unreadyNodePolicy narrow which pods a rolling update
// replaces (progressive.go), and a DaemonSet that sets any of them reports a
// Progressing condition. Without them the controller acts as apps/v1 does.
package daemonset
