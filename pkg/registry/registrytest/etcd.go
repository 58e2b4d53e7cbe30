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

// Package registrytest holds what the storage tests of the experimental
// resources share: a scheme, an etcd-backed storage configuration, and
// fixtures that pass validation without defaulting.
package registrytest

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/registry/generic"
	etcd3testing "k8s.io/apiserver/pkg/storage/etcd3/testing"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/install"
	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// The storage packages are imported by pkg/apiserver, so their tests cannot
// use its scheme; this one is built the same way.
var (
	// Scheme holds the internal and versioned experimental types.
	Scheme = runtime.NewScheme()
	// Codecs encodes and decodes the types in Scheme.
	Codecs = serializer.NewCodecFactory(Scheme)
)

func init() {
	install.Install(Scheme)
	metav1.AddToGroupVersion(Scheme, schema.GroupVersion{Version: "v1"})
}

// NewEtcdStorage starts an embedded etcd for the test and returns it with
// the REST options of one experimental resource (e.g. "deployments") stored
// in it as v1alpha1. The server stops when the test ends. The options read
// and write etcd directly, without the watch cache.
func NewEtcdStorage(t *testing.T, resource string) (*etcd3testing.EtcdTestServer, generic.RESTOptions) {
	t.Helper()
	server, config := etcd3testing.NewUnsecuredEtcd3TestClientServer(t)
	config.Codec = Codecs.LegacyCodec(v1alpha1.SchemeGroupVersion)
	config.EncodeVersioner = v1alpha1.SchemeGroupVersion
	return server, generic.RESTOptions{
		StorageConfig:           config.ForResource(experimental.Resource(resource)),
		Decorator:               generic.UndecoratedStorage,
		DeleteCollectionWorkers: 1,
		ResourcePrefix:          resource,
	}
}
