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

// Package controllertest holds the fixtures the controller unit tests
// share: reactors that make the fake clientsets fill in on create what the
// API server would (names from generateName, UIDs, creation timestamps),
// and filters over the recorded actions (created objects, deleted names,
// status writes).
package controllertest
