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

package deployment

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/component-base/metrics/testutil"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	listers "github.com/kube-experimental/workloads-apiserver/pkg/generated/listers/experimental/v1alpha1"
)

func TestRolloutMetrics(t *testing.T) {
	deployment := func(name string, replicas int32, generation int64, status v1alpha1.DeploymentStatus, mutate ...func(*v1alpha1.Deployment)) *v1alpha1.Deployment {
		d := &v1alpha1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Generation: generation},
			Spec:       v1alpha1.DeploymentSpec{Replicas: ptr.To(replicas)},
			Status:     status,
		}
		for _, m := range mutate {
			m(d)
		}
		return d
	}
	done := func(n int32, gen int64) v1alpha1.DeploymentStatus {
		return v1alpha1.DeploymentStatus{ObservedGeneration: gen, Replicas: n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: n}
	}
	timedOut := func(d *v1alpha1.Deployment) {
		d.Status.Conditions = []v1alpha1.DeploymentCondition{{Type: v1alpha1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: ReasonTimedOut}}
	}
	progressingCond := func(d *v1alpha1.Deployment) {
		d.Status.Conditions = []v1alpha1.DeploymentCondition{{Type: v1alpha1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "ReplicaSetUpdated"}}
	}
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, d := range []*v1alpha1.Deployment{
		deployment("complete", 3, 2, done(3, 2)),
		deployment("scaled-to-zero", 0, 1, done(0, 1)),
		// In progress: a new generation not yet observed; old pods still
		// running; a new pod not yet available.
		deployment("new-generation", 3, 3, done(3, 2), progressingCond),
		deployment("surging", 3, 2, v1alpha1.DeploymentStatus{ObservedGeneration: 2, Replicas: 4, UpdatedReplicas: 1, AvailableReplicas: 3}),
		deployment("unavailable", 2, 1, v1alpha1.DeploymentStatus{ObservedGeneration: 1, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 1}),
		// Stuck, also when paused after the deadline passed.
		deployment("stuck", 2, 4, v1alpha1.DeploymentStatus{ObservedGeneration: 4, Replicas: 3, UpdatedReplicas: 1, AvailableReplicas: 2}, timedOut),
		deployment("stuck-paused", 2, 4, v1alpha1.DeploymentStatus{ObservedGeneration: 4, Replicas: 2, UpdatedReplicas: 1, AvailableReplicas: 2}, timedOut, func(d *v1alpha1.Deployment) { d.Spec.Paused = true }),
		// Paused mid-rollout without a deadline passed: not counted.
		deployment("paused", 2, 5, v1alpha1.DeploymentStatus{ObservedGeneration: 5, Replicas: 2, UpdatedReplicas: 1, AvailableReplicas: 2}, func(d *v1alpha1.Deployment) { d.Spec.Paused = true }),
		// Being deleted: not counted.
		deployment("deleting", 2, 1, v1alpha1.DeploymentStatus{}, func(d *v1alpha1.Deployment) { d.DeletionTimestamp = ptr.To(metav1.Now()) }),
	} {
		if err := indexer.Add(d); err != nil {
			t.Fatal(err)
		}
	}

	// A collector registers once, so each comparison gets a new one.
	compare := func(lister listers.DeploymentLister, want string) error {
		c := &rolloutCollector{}
		c.setLister(lister)
		return testutil.CustomCollectAndCompare(c, strings.NewReader(want), "workloads_controller_deployment_rollouts")
	}
	if err := compare(nil, ""); err != nil {
		t.Errorf("without a running controller: %v", err)
	}
	lister := listers.NewDeploymentLister(indexer)
	want := `
# HELP workloads_controller_deployment_rollouts [ALPHA] ` + rolloutsHelp + `
# TYPE workloads_controller_deployment_rollouts gauge
workloads_controller_deployment_rollouts{state="progressing"} 3
workloads_controller_deployment_rollouts{state="stuck"} 2
`
	if err := compare(lister, want); err != nil {
		t.Error(err)
	}

	// A stuck rollout that makes progress again (the controller sets
	// Progressing=True) moves back to progressing.
	stuck, _, _ := indexer.GetByKey("default/stuck")
	recovered := stuck.(*v1alpha1.Deployment).DeepCopy()
	progressingCond(recovered)
	if err := indexer.Update(recovered); err != nil {
		t.Fatal(err)
	}
	want = strings.Replace(strings.Replace(want, `"progressing"} 3`, `"progressing"} 4`, 1), `"stuck"} 2`, `"stuck"} 1`, 1)
	if err := compare(lister, want); err != nil {
		t.Error(err)
	}
}
