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

package server

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/apiserver"
)

// storageFactory stores every resource with one storage configuration,
// except that the resources named in --etcd-servers-overrides go to their
// own etcd servers. k8s.io/apiserver's SimpleStorageFactory, which the
// recommended options use, accepts the flag but ignores it.
type storageFactory struct {
	config    storagebackend.Config
	overrides map[schema.GroupResource][]string
}

var _ serverstorage.StorageFactory = &storageFactory{}

// parseEtcdServersOverrides parses --etcd-servers-overrides and checks that
// every entry names a resource of this server.
func parseEtcdServersOverrides(flag []string) (map[schema.GroupResource][]string, error) {
	parsed, err := genericoptions.ParseEtcdServersOverrides(flag)
	if err != nil {
		return nil, err
	}
	overrides := map[schema.GroupResource][]string{}
	for _, o := range parsed {
		if o.GroupResource.Group != v1alpha1.GroupName || !slices.Contains(apiserver.Resources, o.GroupResource.Resource) {
			return nil, fmt.Errorf("--etcd-servers-overrides: %q is not a resource of this server; use %s/<resource> with one of %v",
				o.GroupResource.String(), v1alpha1.GroupName, apiserver.Resources)
		}
		overrides[o.GroupResource] = o.Servers
	}
	return overrides, nil
}

func newStorageFactory(config storagebackend.Config, overrides map[schema.GroupResource][]string) *storageFactory {
	return &storageFactory{config: config, overrides: overrides}
}

// configFor returns the storage configuration of resource.
func (f *storageFactory) configFor(resource schema.GroupResource) storagebackend.Config {
	config := f.config
	if servers, ok := f.overrides[resource]; ok {
		config.Transport.ServerList = servers
	}
	return config
}

// NewConfig implements serverstorage.StorageFactory.
func (f *storageFactory) NewConfig(resource schema.GroupResource, _ runtime.Object) (*storagebackend.ConfigForResource, error) {
	config := f.configFor(resource)
	return config.ForResource(resource), nil
}

// ResourcePrefix implements serverstorage.StorageFactory. It is the one of
// SimpleStorageFactory, so keys stay where they were.
func (f *storageFactory) ResourcePrefix(resource schema.GroupResource) string {
	return resource.Group + "/" + resource.Resource
}

// Configs implements serverstorage.StorageFactory: the default
// configuration and the one of each override.
func (f *storageFactory) Configs() []storagebackend.Config {
	configs := serverstorage.Configs(f.config)
	for resource := range f.overrides {
		configs = append(configs, f.configFor(resource))
	}
	return configs
}

// Backends implements serverstorage.StorageFactory: every etcd server,
// once.
func (f *storageFactory) Backends() []serverstorage.Backend {
	seen := map[string]bool{}
	var backends []serverstorage.Backend
	add := func(config storagebackend.Config) {
		for _, b := range serverstorage.Backends(config) {
			if !seen[b.Server] {
				seen[b.Server] = true
				backends = append(backends, b)
			}
		}
	}
	add(f.config)
	for resource := range f.overrides {
		add(f.configFor(resource))
	}
	return backends
}
