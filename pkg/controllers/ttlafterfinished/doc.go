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

// Package ttlafterfinished implements the TTL-after-finished controller of
// experimental/v1alpha1 Jobs: a Job that finished (Complete or Failed) and
// sets spec.ttlSecondsAfterFinished is deleted, with its pods (background
// propagation), that many seconds after it finished. The controller
// requeues each Job at its exact expiry instead of polling, and re-reads the
// Job before deleting it so that a TTL changed meanwhile is honoured. Its
// behaviour follows kube-controller-manager's ttl-after-finished controller.
package ttlafterfinished
