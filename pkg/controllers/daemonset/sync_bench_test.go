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

package daemonset

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// BenchmarkSyncSteadyState measures a sync of a DaemonSet with a ready pod
// on each of 1000 and 5000 nodes: nothing to create, delete or write, the
// sync every pod event of a large DaemonSet causes once it has settled.
//
//	go test ./pkg/controllers/daemonset/ -run '^$' -bench BenchmarkSyncSteadyState -benchmem -count 5
func BenchmarkSyncSteadyState(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			ds := newDS("agent")
			hash := currentHash(ds)
			nodes := make([]*corev1.Node, n)
			pods := make([]*corev1.Pod, n)
			for i := range nodes {
				name := fmt.Sprintf("node-%05d", i)
				nodes[i] = newNode(name)
				pods[i] = newPod("agent-"+name, ds, name, bound(name), readyAt(now.Add(-time.Hour)), withHash(hash))
			}
			f := newFixture(b, []*v1alpha1.DaemonSet{ds}, nodes, pods)
			// Quiet logging: the fixture's test logger would format every
			// V(4) line of the measured syncs.
			f.ctx = klog.NewContext(f.ctx, klog.Background())
			// The first syncs write the revision and the status; then the
			// DaemonSet is settled.
			settled := false
			for range 5 {
				f.mustSync(f.ds("agent"))
				if len(f.kube.Actions())+len(f.client.Actions()) == 0 {
					settled = true
					break
				}
				f.observe()
			}
			if !settled {
				b.Fatalf("the DaemonSet over %d nodes still writes after 5 syncs", n)
			}
			ds = f.ds("agent")
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := f.c.sync(f.ctx, key(ds)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
