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

package storage

import (
	"maps"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	genericregistrytest "k8s.io/apiserver/pkg/registry/generic/testing"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registrytest"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registryutil"
)

const (
	namespace = "test"
	name      = "foo-daemonset"
)

var podLabels = map[string]string{"app": "foo"}

func newStorage(t *testing.T) *DaemonSetStorage {
	t.Helper()
	_, opts := registrytest.NewEtcdStorage(t, "daemonsets")
	s, err := NewStorage(registrytest.Scheme, opts)
	if err != nil {
		t.Fatalf("unexpected error from NewStorage: %v", err)
	}
	t.Cleanup(s.DaemonSet.Store.DestroyFunc)
	return &s
}

// validNewDaemonSet returns a DaemonSet that passes validation without
// defaulting.
func validNewDaemonSet() *experimental.DaemonSet {
	maxUnavailable, maxSurge := intstr.FromInt32(1), intstr.FromInt32(0)
	return &experimental.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: namespace,
			Labels:    map[string]string{"tier": "node"},
		},
		Spec: experimental.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: maps.Clone(podLabels)},
			Template: registrytest.ValidPodTemplate(podLabels, corev1.RestartPolicyAlways),
			UpdateStrategy: experimental.DaemonSetUpdateStrategy{
				Type: experimental.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &experimental.RollingUpdateDaemonSet{
					MaxUnavailable: &maxUnavailable,
					MaxSurge:       &maxSurge,
				},
			},
			RevisionHistoryLimit: ptr.To[int32](10),
		},
		Status: experimental.DaemonSetStatus{DesiredNumberScheduled: 3},
	}
}

func TestConformance(t *testing.T) {
	emptySelector := validNewDaemonSet()
	emptySelector.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{}}
	mismatchedSelector := validNewDaemonSet()
	mismatchedSelector.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}}
	never := validNewDaemonSet()
	never.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
	badStrategy := validNewDaemonSet()
	badStrategy.Spec.UpdateStrategy = experimental.DaemonSetUpdateStrategy{Type: "Bogus"}
	noContainers := validNewDaemonSet()
	noContainers.Spec.Template.Spec.Containers = nil

	registrytest.RunConformance(t, registrytest.Conformance{
		NewStorage: func(t *testing.T) (*registryutil.REST, *registryutil.StatusREST) {
			s := newStorage(t)
			return s.DaemonSet, s.Status
		},
		Valid: func() runtime.Object { return validNewDaemonSet() },
		InvalidCreates: []runtime.Object{
			emptySelector,
			mismatchedSelector,
			never,
			badStrategy,
			noContainers,
		},
		ValidUpdate: func(obj runtime.Object) runtime.Object {
			ds := obj.(*experimental.DaemonSet)
			ds.Spec.Template.Spec.Containers[0].Image = "registry.example/app:2.0"
			ds.Spec.UpdateStrategy = experimental.DaemonSetUpdateStrategy{Type: experimental.OnDeleteDaemonSetStrategyType}
			return ds
		},
		InvalidUpdates: []genericregistrytest.UpdateFunc{
			func(obj runtime.Object) runtime.Object {
				ds := obj.(*experimental.DaemonSet)
				ds.Name = ""
				return ds
			},
			func(obj runtime.Object) runtime.Object {
				ds := obj.(*experimental.DaemonSet)
				ds.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
				return ds
			},
			func(obj runtime.Object) runtime.Object {
				// The selector is immutable.
				ds := obj.(*experimental.DaemonSet)
				ds.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "foo", "extra": "label"}}
				ds.Spec.Template.Labels = map[string]string{"app": "foo", "extra": "label"}
				return ds
			},
		},
		LabelsMatch:   []labels.Set{{"tier": "node"}},
		LabelsNoMatch: []labels.Set{{"tier": "web"}, {"app": "foo"}},
		ShortNames:    []string{"xds"},
		Categories:    []string{"all", "experimental"},
		Status: registrytest.StatusConformance{
			Change: func(obj runtime.Object) {
				ds := obj.(*experimental.DaemonSet)
				ds.Spec.MinReadySeconds = 30
				ds.Spec.Template.Spec.Containers[0].Image = "registry.example/app:2.0"
				ds.Status = experimental.DaemonSetStatus{
					CurrentNumberScheduled: 3,
					DesiredNumberScheduled: 3,
					NumberReady:            2,
					NumberAvailable:        2,
					NumberUnavailable:      1,
					UpdatedNumberScheduled: 3,
					ObservedGeneration:     1,
					CollisionCount:         ptr.To[int32](1),
				}
			},
			Invalid: []registrytest.InvalidStatus{{
				// The collision count may not go down.
				Desc: "a decremented collisionCount",
				Mutate: func(obj runtime.Object) {
					obj.(*experimental.DaemonSet).Status.CollisionCount = ptr.To[int32](0)
				},
			}},
		},
	})
}
