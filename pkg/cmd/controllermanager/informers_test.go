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

package controllermanager

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"

	experimentalv1alpha1 "github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	fakeclientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned/fake"
)

// The shared caches hold objects without managedFields, for core and
// experimental kinds alike; everything else is kept.
func TestInformerCachesDropManagedFields(t *testing.T) {
	managed := []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply, APIVersion: "v1"}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p", Labels: map[string]string{"app": "web"}, ManagedFields: managed}}
	deploy := &experimentalv1alpha1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "d", Labels: map[string]string{"app": "web"}, ManagedFields: managed}}

	kubeInformers, ourInformers := newInformerFactories(kubefake.NewClientset(pod), fakeclientset.NewClientset(deploy), 0)
	podLister := kubeInformers.Core().V1().Pods().Lister()
	deployLister := ourInformers.Experimental().V1alpha1().Deployments().Lister()
	ctx, cancel := context.WithCancel(context.Background())
	kubeInformers.Start(ctx.Done())
	ourInformers.Start(ctx.Done())
	defer func() {
		cancel()
		kubeInformers.Shutdown()
		ourInformers.Shutdown()
	}()
	for typ, synced := range kubeInformers.WaitForCacheSync(ctx.Done()) {
		if !synced {
			t.Fatalf("%v did not sync", typ)
		}
	}
	for typ, synced := range ourInformers.WaitForCacheSync(ctx.Done()) {
		if !synced {
			t.Fatalf("%v did not sync", typ)
		}
	}

	var cachedPod *corev1.Pod
	var cachedDeploy *experimentalv1alpha1.Deployment
	err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, wait.ForeverTestTimeout, true, func(context.Context) (bool, error) {
		var perr, derr error
		cachedPod, perr = podLister.Pods("ns").Get("p")
		cachedDeploy, derr = deployLister.Deployments("ns").Get("d")
		return perr == nil && derr == nil, nil
	})
	if err != nil {
		t.Fatalf("objects never reached the caches: %v", err)
	}
	if cachedPod.ManagedFields != nil || cachedDeploy.ManagedFields != nil {
		t.Errorf("cached managedFields: pod %v, deployment %v; want none", cachedPod.ManagedFields, cachedDeploy.ManagedFields)
	}
	if cachedPod.Labels["app"] != "web" || cachedDeploy.Labels["app"] != "web" {
		t.Errorf("the transform dropped more than managedFields: pod labels %v, deployment labels %v", cachedPod.Labels, cachedDeploy.Labels)
	}
}

// A tombstone is passed through untouched.
func TestDropManagedFieldsLeavesOtherObjects(t *testing.T) {
	tombstone := cache.DeletedFinalStateUnknown{Key: "ns/p"}
	got, err := dropManagedFields(tombstone)
	if err != nil || got != tombstone {
		t.Errorf("dropManagedFields(tombstone) = %v, %v; want it unchanged", got, err)
	}
}
