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
