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

package controllerutil

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned/fake"
	listers "github.com/kube-experimental/workloads-apiserver/pkg/generated/listers/experimental/v1alpha1"
)

func TestResolveControllerRef(t *testing.T) {
	rsKind := v1alpha1.SchemeGroupVersion.WithKind("ReplicaSet")
	cached := &v1alpha1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "web-uid"}}
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	if err := indexer.Add(cached); err != nil {
		t.Fatal(err)
	}
	get := listers.NewReplicaSetLister(indexer).ReplicaSets("ns").Get
	ref := func(mut func(*metav1.OwnerReference)) *metav1.OwnerReference {
		r := metav1.NewControllerRef(cached, rsKind)
		if mut != nil {
			mut(r)
		}
		return r
	}
	tests := []struct {
		name string
		ref  *metav1.OwnerReference
		want *v1alpha1.ReplicaSet
	}{
		{name: "resolves", ref: ref(nil), want: cached},
		{name: "no reference", ref: nil},
		{name: "another kind", ref: ref(func(r *metav1.OwnerReference) { r.Kind = "Deployment" })},
		{name: "another group", ref: ref(func(r *metav1.OwnerReference) { r.APIVersion = "apps/v1" })},
		{name: "not in the cache", ref: ref(func(r *metav1.OwnerReference) { r.Name = "gone" })},
		{name: "re-created under the same name", ref: ref(func(r *metav1.OwnerReference) { r.UID = "old-uid" })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ResolveControllerRef(tc.ref, rsKind, get); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFreshOwnerCheckWith(t *testing.T) {
	owner := &v1alpha1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "web-uid"}}
	tests := []struct {
		name    string
		stored  *v1alpha1.ReplicaSet
		wantErr string
	}{
		{name: "same owner", stored: owner},
		{name: "gone", wantErr: "not found"},
		{name: "replaced", stored: &v1alpha1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "other"}},
			wantErr: "was replaced"},
		{name: "being deleted", stored: &v1alpha1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "web-uid",
			DeletionTimestamp: ptr.To(metav1.NewTime(t0)), Finalizers: []string{"x"}}}, wantErr: "has just been deleted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := fake.NewClientset()
			if tc.stored != nil {
				client = fake.NewClientset(tc.stored)
			}
			err := FreshOwnerCheckWith(owner, client.ExperimentalV1alpha1().ReplicaSets("ns").Get)(context.Background())
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestSelectingOwners(t *testing.T) {
	rs := func(name string, sel *metav1.LabelSelector) *v1alpha1.ReplicaSet {
		return &v1alpha1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.ReplicaSetSpec{Selector: sel}}
	}
	owners := []*v1alpha1.ReplicaSet{
		rs("web", &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}),
		rs("web-front", &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "front"}}),
		rs("db", &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}),
		rs("empty", &metav1.LabelSelector{}),
		rs("nil", nil),
		rs("invalid", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Bogus"}}}),
	}
	selectorOf := func(r *v1alpha1.ReplicaSet) *metav1.LabelSelector { return r.Spec.Selector }
	tests := []struct {
		labels map[string]string
		want   []string
	}{
		{labels: map[string]string{"app": "web", "tier": "front"}, want: []string{"web", "web-front"}},
		{labels: map[string]string{"app": "web"}, want: []string{"web"}},
		{labels: map[string]string{"app": "cache"}, want: nil},
		{labels: nil, want: nil},
	}
	for _, tc := range tests {
		var got []string
		for _, o := range SelectingOwners(owners, selectorOf, tc.labels) {
			got = append(got, o.Name)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("labels %v: got %v, want %v", tc.labels, got, tc.want)
		}
	}
}
