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

// Package controllerutil holds the machinery the workload controllers share:
// an informer index of objects by controller (so a sync reads its own pods
// and the orphans it may adopt, never a whole namespace), owner resolution,
// expectations, ControllerRef adoption and release, pod creation and deletion
// with events, slow-start batching, victim ranking for scale-down, pod
// readiness and availability helpers, rate-limited workqueues with a retry
// cap, and per-controller sync metrics.
//
// It is modelled on the behaviour of kube-controller-manager's
// pkg/controller, written for experimental/v1alpha1 owners.
package controllerutil
