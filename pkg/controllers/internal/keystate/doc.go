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

// Package keystate holds the per-key memory the workload controllers keep
// between syncs, written once:
//
//   - ConsistencyStore remembers "I wrote this object at resourceVersion N"
//     so a sync can tell that the informer cache does not show its own last
//     write yet (and not act on a stale copy): Lagging compares versions,
//     Pending only asks whether the write is still unconfirmed, for callers
//     that recognise it in the cache by its content and Clear it then.
//   - Batcher remembers when a key's last batch started so that bursts of
//     work for one key (status writes, pod events) are coalesced into one
//     per period.
//
// Both are keyed by a comparable type (usually the namespace/name queue
// key), safe for concurrent use, and have a Forget/Clear that the owning
// object's delete handler calls so that no entry outlives its object.
package keystate
