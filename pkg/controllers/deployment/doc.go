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

// Package deployment implements the controller of experimental/v1alpha1
// Deployments: it manages experimental ReplicaSets named
// <deployment>-<pod-template-hash>, rolls pods out with the RollingUpdate
// (maxSurge/maxUnavailable) or Recreate strategy, scales proportionally
// when replicas change mid-rollout, keeps revision history, performs
// rollbacks requested through spec.rollbackTo, and reports the Progressing,
// Available and ReplicaFailure conditions. Its behaviour follows
// kube-controller-manager's apps/v1 Deployment controller (and, for
// rollback, its extensions/v1beta1 predecessor).
package deployment
