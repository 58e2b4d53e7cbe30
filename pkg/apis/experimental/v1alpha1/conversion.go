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

package v1alpha1

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
)

// Field selectors each kind supports beyond metadata.name and
// metadata.namespace. The registry's SelectableFields for each kind must
// return the same keys.
var selectableFields = map[string][]string{
	"DaemonSet":               nil,
	"ReplicaSet":              {"status.replicas"},
	"Deployment":              {"spec.paused"},
	"Job":                     {"status.successful", "spec.suspend"},
	"CronJob":                 {"spec.suspend", "spec.schedule"},
	"HorizontalPodAutoscaler": nil,
}

// SelectableFields returns the non-metadata field selectors of kind.
func SelectableFields(kind string) []string { return selectableFields[kind] }

func addConversionFuncs(scheme *runtime.Scheme) error {
	for kind, extra := range selectableFields {
		allowed := map[string]bool{"metadata.name": true, "metadata.namespace": true}
		for _, f := range extra {
			allowed[f] = true
		}
		err := scheme.AddFieldLabelConversionFunc(SchemeGroupVersion.WithKind(kind),
			func(label, value string) (string, string, error) {
				if allowed[label] {
					return label, value, nil
				}
				return "", "", fmt.Errorf("field label not supported: %s", label)
			})
		if err != nil {
			return err
		}
	}
	return nil
}
