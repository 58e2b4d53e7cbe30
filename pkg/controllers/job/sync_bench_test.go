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

package job

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// BenchmarkSyncHalfway measures a sync of a Job of 10 000 completions at
// parallelism 1000 halfway through: 5000 pods succeeded and counted (their
// tracking finalizers removed, the pods still there), 1000 running. Nothing
// is to be created, deleted or written: the sync each batch of pod events
// causes while the running pods make progress.
//
//	go test ./pkg/controllers/job/ -run '^$' -bench BenchmarkSyncHalfway -benchmem -count 5
func BenchmarkSyncHalfway(b *testing.B) {
	const completions, parallelism, done = 10000, 1000, 5000
	j := newJob("big", completions, parallelism)
	j.Status.Succeeded = done
	j.Status.Active = parallelism
	j.Status.Ready = ptr.To[int32](parallelism)
	j.Status.Terminating = ptr.To[int32](0)
	j.Status.UncountedTerminatedPods = &v1alpha1.UncountedTerminatedPods{}
	pods := make([]*corev1.Pod, 0, done+parallelism)
	for i := range done {
		p := newPod(fmt.Sprintf("big-done-%05d", i), j, succeeded())
		p.Finalizers = nil
		pods = append(pods, p)
	}
	for i := range parallelism {
		pods = append(pods, newPod(fmt.Sprintf("big-run-%05d", i), j, running()))
	}
	f := newFixture(b, []*v1alpha1.Job{j}, pods)
	// Quiet logging: the fixture's test logger would format every V(4)
	// line of the measured syncs.
	f.ctx = klog.NewContext(f.ctx, klog.Background())
	f.mustSync(j)
	if w := f.writes(); len(w) != 0 {
		b.Fatalf("the settled Job writes %v", w)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := f.c.sync(f.ctx, key(j)); err != nil {
			b.Fatal(err)
		}
	}
}
