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

package registrytest

import (
	"maps"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/utils/ptr"
)

// ValidPodTemplate returns a pod template with a copy of podLabels that
// passes validation as it is: storage tests run no defaulting, so every field
// validation needs is set.
func ValidPodTemplate(podLabels map[string]string, restartPolicy corev1.RestartPolicy) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: maps.Clone(podLabels)},
		Spec: corev1.PodSpec{
			RestartPolicy:                 restartPolicy,
			DNSPolicy:                     corev1.DNSClusterFirst,
			TerminationGracePeriodSeconds: ptr.To[int64](30),
			SchedulerName:                 corev1.DefaultSchedulerName,
			Containers: []corev1.Container{{
				Name:                     "main",
				Image:                    "registry.example/app:1.0",
				ImagePullPolicy:          corev1.PullIfNotPresent,
				TerminationMessagePath:   corev1.TerminationMessagePathDefault,
				TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			}},
		},
	}
}

// ExpectShortNamesAndCategories fails the test unless storage publishes
// exactly the given short names and categories in discovery.
func ExpectShortNamesAndCategories(t *testing.T, storage rest.Storage, shortNames, categories []string) {
	t.Helper()
	sn, ok := storage.(rest.ShortNamesProvider)
	if !ok {
		t.Fatalf("%T does not implement rest.ShortNamesProvider", storage)
	}
	if got := sn.ShortNames(); !reflect.DeepEqual(got, shortNames) {
		t.Errorf("short names: got %q, want %q", got, shortNames)
	}
	cp, ok := storage.(rest.CategoriesProvider)
	if !ok {
		t.Fatalf("%T does not implement rest.CategoriesProvider", storage)
	}
	if got := cp.Categories(); !reflect.DeepEqual(got, categories) {
		t.Errorf("categories: got %q, want %q", got, categories)
	}
}

// ExpectFieldError fails the test unless err is an API status error with a
// cause on the given field path, e.g. "spec.replicas".
func ExpectFieldError(t *testing.T, err error, field string) {
	t.Helper()
	status, ok := err.(apierrors.APIStatus)
	if !ok {
		t.Fatalf("expected an API status error, got %T: %v", err, err)
	}
	if details := status.Status().Details; details != nil {
		for _, cause := range details.Causes {
			if cause.Field == field {
				return
			}
		}
	}
	t.Errorf("no cause on field %q in %v", field, err)
}
