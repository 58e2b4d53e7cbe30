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

package apiserver

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestRuntimeConfig(t *testing.T) {
	t.Run("off by default", func(t *testing.T) {
		s := startServer(t, nil)
		_, err := s.Client.Discovery().ServerResourcesForGroupVersion("experimental/v1alpha1")
		if !apierrors.IsNotFound(err) {
			t.Fatalf("discovery of experimental/v1alpha1: expected NotFound, got %v", err)
		}
		_, err = s.Client.ExperimentalV1alpha1().Deployments("default").List(context.Background(), metav1.ListOptions{})
		if !apierrors.IsNotFound(err) {
			t.Fatalf("listing deployments: expected NotFound, got %v", err)
		}
	})
}

func TestRuntimeConfigPerResource(t *testing.T) {
	s := startServer(t, map[string]string{
		"experimental/v1alpha1":      "true",
		"experimental/v1alpha1/jobs": "false",
	})
	list, err := s.Client.Discovery().ServerResourcesForGroupVersion("experimental/v1alpha1")
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	served := map[string]metav1.APIResource{}
	for _, r := range list.APIResources {
		served[r.Name] = r
	}
	if _, ok := served["jobs"]; ok {
		t.Errorf("jobs served although disabled")
	}
	want := map[string]string{
		"daemonsets": "xds", "replicasets": "xrs", "deployments": "xdeploy",
		"cronjobs": "xcj", "horizontalpodautoscalers": "xhpa",
	}
	for name, short := range want {
		r, ok := served[name]
		if !ok {
			t.Errorf("%s not served", name)
			continue
		}
		if len(r.ShortNames) != 1 || r.ShortNames[0] != short {
			t.Errorf("%s short names = %v, want [%s]", name, r.ShortNames, short)
		}
		if _, ok := served[name+"/status"]; !ok {
			t.Errorf("%s/status not served", name)
		}
	}
	for _, sub := range []string{"deployments/scale", "replicasets/scale", "deployments/rollback", "deployments/promote"} {
		if _, ok := served[sub]; !ok {
			t.Errorf("%s not served", sub)
		}
	}
	// cronjobs/trigger creates Jobs: without jobs it is not served.
	if _, ok := served["cronjobs/trigger"]; ok {
		t.Errorf("cronjobs/trigger served although jobs are disabled")
	}
	if got := served["deployments"].Categories; len(got) != 2 || got[0] != "all" || got[1] != "experimental" {
		t.Errorf("deployments categories = %v", got)
	}
	if _, err := s.Client.ExperimentalV1alpha1().Jobs("default").List(context.Background(), metav1.ListOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("listing disabled jobs: expected NotFound, got %v", err)
	}
}
