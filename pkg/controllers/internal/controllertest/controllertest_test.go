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

package controllertest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clocktesting "k8s.io/utils/clock/testing"
)

func TestOnCreate(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		fill Fill
		pods []*corev1.Pod
		want []metav1.ObjectMeta
	}{
		{
			name: "nothing filled",
			pods: []*corev1.Pod{{ObjectMeta: metav1.ObjectMeta{Name: "a", UID: "given"}}},
			want: []metav1.ObjectMeta{{Name: "a", UID: "given"}},
		},
		{
			name: "names from generateName, counted per reactor",
			fill: Fill{GenerateName: true},
			pods: []*corev1.Pod{
				{ObjectMeta: metav1.ObjectMeta{GenerateName: "web-"}},
				{ObjectMeta: metav1.ObjectMeta{Name: "named", GenerateName: "web-"}},
				{ObjectMeta: metav1.ObjectMeta{GenerateName: "db-"}},
			},
			want: []metav1.ObjectMeta{
				{Name: "web-1", GenerateName: "web-"},
				{Name: "named", GenerateName: "web-"},
				{Name: "db-2", GenerateName: "db-"},
			},
		},
		{
			name: "UID and creation timestamp, as the API server sets them",
			fill: Fill{GenerateName: true, UID: true, CreationTimestamp: clocktesting.NewFakePassiveClock(now)},
			pods: []*corev1.Pod{
				{ObjectMeta: metav1.ObjectMeta{GenerateName: "web-", UID: "ignored"}},
			},
			want: []metav1.ObjectMeta{
				{Name: "web-1", GenerateName: "web-", UID: types.UID("web-1-uid"), CreationTimestamp: metav1.NewTime(now)},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// setup
			c := kubefake.NewClientset()
			OnCreate(c, "pods", tc.fill)
			// execute
			var got []metav1.ObjectMeta
			for _, p := range tc.pods {
				created, err := c.CoreV1().Pods("").Create(context.Background(), p, metav1.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				// Compare what OnCreate fills in; the fake's own
				// bookkeeping (managedFields) is not its business.
				got = append(got, metav1.ObjectMeta{Name: created.Name, GenerateName: created.GenerateName,
					UID: created.UID, CreationTimestamp: created.CreationTimestamp})
			}
			// assert
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("created (-want +got):\n%s", diff)
			}
		})
	}
}

func TestActionFilters(t *testing.T) {
	ctx := context.Background()
	c := kubefake.NewClientset(
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "z"}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "y"}},
	)
	other := kubefake.NewClientset()
	mustDo := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.CoreV1().Pods("ns").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "a"}}, metav1.CreateOptions{})
	mustDo(err)
	_, err = other.CoreV1().Pods("ns").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "b"}}, metav1.CreateOptions{})
	mustDo(err)
	_, err = c.CoreV1().ConfigMaps("ns").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "cm"}}, metav1.CreateOptions{})
	mustDo(err)
	mustDo(c.CoreV1().Pods("ns").Delete(ctx, "z", metav1.DeleteOptions{}))
	mustDo(c.CoreV1().Pods("ns").Delete(ctx, "y", metav1.DeleteOptions{}))
	_, err = c.CoreV1().Pods("ns").UpdateStatus(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "a"},
		Status: corev1.PodStatus{Phase: corev1.PodRunning}}, metav1.UpdateOptions{})
	mustDo(err)
	_, err = c.CoreV1().Pods("ns").Update(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "a"}}, metav1.UpdateOptions{})
	mustDo(err)

	if n := len(Actions("create", "pods", c.Actions(), other.Actions())); n != 2 {
		t.Errorf("Actions(create, pods) = %d actions, want 2", n)
	}
	var names []string
	for _, p := range Created[*corev1.Pod]("pods", c.Actions(), other.Actions()) {
		names = append(names, p.Name)
	}
	if diff := cmp.Diff([]string{"a", "b"}, names); diff != "" {
		t.Errorf("Created pods (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"y", "z"}, DeletedNames("pods", c.Actions())); diff != "" {
		t.Errorf("DeletedNames (-want +got):\n%s", diff)
	}
	st := StatusUpdates[*corev1.Pod](c.Actions())
	if len(st) != 1 || st[0].Status.Phase != corev1.PodRunning {
		t.Errorf("StatusUpdates = %v, want the one status write", st)
	}
}
