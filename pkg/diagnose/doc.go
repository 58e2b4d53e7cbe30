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

// Package diagnose checks each link of the chain that makes the experimental
// API group work: the APIService and its Available condition, the Service it
// names and that Service's endpoints, the serving certificate against the
// APIService caBundle, the delegated authentication and authorization
// permissions of workloads-apiserver's ServiceAccount, the server's health,
// version and discovery latency, the controller manager's leader-election
// Lease and the aggregated RBAC roles.
//
// Each check yields a Result: OK, Warn or Fail with the cause, and for Warn
// and Fail the command or manifest change that fixes it. The kubectl plugin's
// `diagnose` verb prints them.
package diagnose
