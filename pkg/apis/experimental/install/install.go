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

// Package install registers the experimental API group into a scheme.
package install

import (
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// Install registers the internal and all versioned experimental types into
// scheme, with v1alpha1 as the preferred version.
func Install(scheme *runtime.Scheme) {
	utilruntime.Must(experimental.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	// The scale subresource is served as autoscaling/v1 Scale. Registering
	// the same Go type as the internal Scale makes request decoding a plain
	// copy instead of a conversion through a separate hub type.
	scheme.AddKnownTypeWithName(autoscalingv1.SchemeGroupVersion.WithKind("Scale"), &autoscalingv1.Scale{})
	scheme.AddKnownTypeWithName(schema.GroupVersionKind{Group: autoscalingv1.GroupName, Version: runtime.APIVersionInternal, Kind: "Scale"}, &autoscalingv1.Scale{})
	utilruntime.Must(scheme.SetVersionPriority(v1alpha1.SchemeGroupVersion))
}
