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

package replicaset

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	kubeinformers "k8s.io/client-go/informers"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned/fake"
	informers "github.com/kube-experimental/workloads-apiserver/pkg/generated/informers/externalversions"
)

// BenchmarkSyncUnrelatedPods measures a steady-state sync of a ReplicaSet
// with 100 ready pods (nothing to create, delete or write) with no other
// pods in the namespace and with 10 000 pods of 100 other ReplicaSets
// carrying the same labels. With the controller index the two cost the
// same; a sync that lists the namespace grows with the unrelated pods.
//
//	go test ./pkg/controllers/replicaset/ -run '^$' -bench BenchmarkSyncUnrelatedPods -count 5
func BenchmarkSyncUnrelatedPods(b *testing.B) {
	for _, unrelated := range []int{0, 10000} {
		b.Run(fmt.Sprintf("unrelated=%d", unrelated), func(b *testing.B) {
			ctx := klog.NewContext(b.Context(), klog.Background())
			rs := newRS("web", 100)
			client := fake.NewClientset(rs)
			kubeInformers := kubeinformers.NewSharedInformerFactory(kubefake.NewClientset(), 0)
			ourInformers := informers.NewSharedInformerFactory(client, 0)
			c, err := NewController(ctx, ourInformers.Experimental().V1alpha1().ReplicaSets(), kubeInformers.Core().V1().Pods(),
				kubefake.NewClientset(), client, record.NewFakeRecorder(10), clocktesting.NewFakeClock(now))
			if err != nil {
				b.Fatal(err)
			}
			rsStore := ourInformers.Experimental().V1alpha1().ReplicaSets().Informer().GetIndexer()
			podStore := kubeInformers.Core().V1().Pods().Informer().GetIndexer()
			if err := rsStore.Add(rs); err != nil {
				b.Fatal(err)
			}
			add := func(p *corev1.Pod) {
				if err := podStore.Add(p); err != nil {
					b.Fatal(err)
				}
			}
			for i := range 100 {
				add(newPod(fmt.Sprintf("web-%d", i), rs, onNode(fmt.Sprintf("n%d", i)), readySince(now.Add(-time.Hour))))
			}
			for i := range unrelated {
				owner := &v1alpha1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("other-%d", i/100),
					UID: types.UID(fmt.Sprintf("other-%d-uid", i/100))}}
				add(newPod(fmt.Sprintf("other-%d", i), owner, onNode(fmt.Sprintf("n%d", i%100)), readySince(now.Add(-time.Hour))))
			}
			// A first sync writes the status; the cache then holds it, so the
			// measured syncs make no API call.
			if err := c.sync(ctx, key(rs)); err != nil {
				b.Fatal(err)
			}
			stored, err := client.ExperimentalV1alpha1().ReplicaSets(rs.Namespace).Get(ctx, rs.Name, metav1.GetOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if err := rsStore.Update(stored); err != nil {
				b.Fatal(err)
			}
			client.ClearActions()
			for b.Loop() {
				if err := c.sync(ctx, key(rs)); err != nil {
					b.Fatal(err)
				}
			}
			if n := len(client.Actions()); n != 0 {
				b.Fatalf("steady-state syncs made %d API calls, want none", n)
			}
		})
	}
}
