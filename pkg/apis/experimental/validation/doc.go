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

// Package validation validates the internal types of the experimental API
// group (DaemonSet, ReplicaSet, Deployment, DeploymentRollback, Job, CronJob
// and HorizontalPodAutoscaler).
//
// The rules follow the behaviour of the Kubernetes apps, batch, autoscaling
// and core validation and report errors with the same field paths and
// messages. Validation runs after defaulting and after the registry strategy
// has prepared the object (for example generated a Job selector).
//
// Pod template fields that the core API server defaults when the controllers
// create pods (restartPolicy, dnsPolicy, imagePullPolicy,
// terminationMessagePolicy, port protocol, probe successThreshold and
// terminationGracePeriodSeconds) are accepted when empty; any value that is
// set must be valid.
//
// Every function accepts any input, including nil pointers and zero values,
// without panicking.
package validation
