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

// Package podautoscaler implements the controller of experimental/v1alpha1
// HorizontalPodAutoscalers. Every sync period it reads the target's replicas
// and pod selector through the /scale subresource of any kind that serves
// one (experimental Deployments and ReplicaSets, apps/v1 Deployments, ...),
// computes the desired replicas from resource metrics (metrics.k8s.io) and
// custom or external metrics, applies the scaling behavior (policies and
// stabilization windows), writes the new replica count through /scale and
// reports status, conditions and events. Its behaviour follows
// kube-controller-manager's autoscaling/v2 HorizontalPodAutoscaler
// controller, except that it names the missing metrics when it refuses to
// scale down on partial metrics (ScaleDownBlockedByMissingMetrics), scales
// to and from zero with minReplicas 0 without a feature gate (see
// computeReplicasForMetrics), and does not count surge or terminating pods
// of targets in the experimental group as load (see Options.RolloutAware).
package podautoscaler
