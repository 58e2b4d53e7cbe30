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

// Package api is the API benchmark harness: it drives the same Deployment
// workload (create, get, update, list, watch) against several targets of one
// cluster and reports throughput and latency side by side.
//
// The targets are apps/v1 Deployments served natively by kube-apiserver, a
// CustomResourceDefinition with the same structural schema (DeploymentCRD),
// and experimental/v1alpha1 Deployments, once through kube-apiserver's
// aggregation proxy and once straight from workloads-apiserver.
//
// The pieces are independent: DeploymentSchema converts the generated OpenAPI
// definitions into a CRD schema, NewDeployment builds the workload object,
// Run executes the phases against a set of Targets, Summarize turns latency
// samples into percentiles, and Report renders the results as a text or
// markdown table together with the goal checks.
package api
