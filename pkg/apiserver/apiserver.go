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

// Package apiserver builds the workloads API server: the scheme, the
// storage of every experimental resource, and the generic API server that
// serves them.
package apiserver

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/install"
	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	cronjobstorage "github.com/kube-experimental/workloads-apiserver/pkg/registry/experimental/cronjob/storage"
	daemonsetstorage "github.com/kube-experimental/workloads-apiserver/pkg/registry/experimental/daemonset/storage"
	deploymentstorage "github.com/kube-experimental/workloads-apiserver/pkg/registry/experimental/deployment/storage"
	hpastorage "github.com/kube-experimental/workloads-apiserver/pkg/registry/experimental/horizontalpodautoscaler/storage"
	jobstorage "github.com/kube-experimental/workloads-apiserver/pkg/registry/experimental/job/storage"
	replicasetstorage "github.com/kube-experimental/workloads-apiserver/pkg/registry/experimental/replicaset/storage"
)

var (
	// Scheme holds the internal and versioned experimental types.
	Scheme = runtime.NewScheme()
	// Codecs encodes and decodes the types in Scheme.
	Codecs = serializer.NewCodecFactory(Scheme)
	// OpenAPIScheme holds only the served (versioned) types; OpenAPI
	// definitions are named after it, so hub-only registrations never show
	// up as group-version-kinds in the published schema.
	OpenAPIScheme = runtime.NewScheme()
)

func init() {
	install.Install(Scheme)
	if err := v1alpha1.AddToScheme(OpenAPIScheme); err != nil {
		panic(err)
	}

	// The generic server encodes options and status objects in the
	// unversioned core group.
	metav1.AddToGroupVersion(Scheme, schema.GroupVersion{Version: "v1"})
	unversioned := schema.GroupVersion{Group: "", Version: "v1"}
	Scheme.AddUnversionedTypes(unversioned,
		&metav1.Status{},
		&metav1.APIVersions{},
		&metav1.APIGroupList{},
		&metav1.APIGroup{},
		&metav1.APIResourceList{},
	)
}

// Resources lists every resource of experimental/v1alpha1 in the order they
// are installed.
var Resources = []string{"daemonsets", "replicasets", "deployments", "jobs", "cronjobs", "horizontalpodautoscalers"}

// DefaultAPIResourceConfig returns the enablement before --runtime-config is
// applied: experimental/v1alpha1 is an alpha version, off unless enabled.
func DefaultAPIResourceConfig() *serverstorage.ResourceConfig {
	cfg := serverstorage.NewResourceConfig()
	cfg.DisableVersions(v1alpha1.SchemeGroupVersion)
	return cfg
}

// ExtraConfig holds the configuration specific to this server.
type ExtraConfig struct{}

// Config is the configuration of the workloads API server.
type Config struct {
	GenericConfig *genericapiserver.RecommendedConfig
	ExtraConfig   ExtraConfig
}

// WorkloadsServer is the running server.
type WorkloadsServer struct {
	GenericAPIServer *genericapiserver.GenericAPIServer
	// Served lists the experimental/v1alpha1 resources this server serves.
	Served []string
}

type completedConfig struct {
	GenericConfig genericapiserver.CompletedConfig
	ExtraConfig   *ExtraConfig
}

// CompletedConfig embeds a private pointer that cannot be instantiated
// outside of this package, so New is only reachable through Complete.
type CompletedConfig struct {
	*completedConfig
}

// Complete fills in any fields not set that are required to have valid data.
func (cfg *Config) Complete() CompletedConfig {
	return CompletedConfig{&completedConfig{
		GenericConfig: cfg.GenericConfig.Complete(),
		ExtraConfig:   &cfg.ExtraConfig,
	}}
}

// New returns a WorkloadsServer serving the enabled experimental resources.
func (c completedConfig) New() (*WorkloadsServer, error) {
	genericServer, err := c.GenericConfig.New("workloads-apiserver", genericapiserver.NewEmptyDelegate())
	if err != nil {
		return nil, err
	}
	s := &WorkloadsServer{GenericAPIServer: genericServer}

	storage, err := NewV1alpha1Storage(c.GenericConfig.MergedResourceConfig, c.GenericConfig.RESTOptionsGetter)
	if err != nil {
		return nil, err
	}
	if len(storage) == 0 {
		klog.InfoS("API group is disabled: serving no experimental resources; enable it with --runtime-config",
			"groupVersion", v1alpha1.SchemeGroupVersion.String(),
			"flag", "--runtime-config="+v1alpha1.SchemeGroupVersion.String()+"=true")
		return s, nil
	}
	for _, r := range Resources {
		if _, ok := storage[r]; ok {
			s.Served = append(s.Served, r)
		}
	}
	klog.InfoS("Serving API group", "groupVersion", v1alpha1.SchemeGroupVersion.String(), "resources", s.Served)

	apiGroupInfo := genericapiserver.NewDefaultAPIGroupInfo(experimental.GroupName, Scheme, metav1.ParameterCodec, Codecs)
	apiGroupInfo.VersionedResourcesStorageMap[v1alpha1.SchemeGroupVersion.Version] = storage
	if err := s.GenericAPIServer.InstallAPIGroup(&apiGroupInfo); err != nil {
		return nil, err
	}
	return s, nil
}

// NewV1alpha1Storage returns the storage of every enabled experimental/v1alpha1
// resource and its subresources, keyed by path as the generic server expects
// ("deployments", "deployments/status", ...). A nil resourceConfig enables all.
func NewV1alpha1Storage(resourceConfig *serverstorage.ResourceConfig, optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	enabled := func(resource string) bool {
		return resourceConfig == nil || resourceConfig.ResourceEnabled(v1alpha1.SchemeGroupVersion.WithResource(resource))
	}
	storage := map[string]rest.Storage{}
	add := func(resource string, build func() (map[string]rest.Storage, error)) error {
		if !enabled(resource) {
			return nil
		}
		endpoints, err := build()
		if err != nil {
			return fmt.Errorf("building storage for %s: %w", resource, err)
		}
		for path, s := range endpoints {
			storage[path] = s
		}
		return nil
	}

	// cronjobs/trigger creates Jobs through the Job storage; it is served
	// when jobs are (the jobs builder runs first).
	var jobStore *genericregistry.Store
	builders := map[string]func() (map[string]rest.Storage, error){
		"daemonsets": func() (map[string]rest.Storage, error) {
			s, err := daemonsetstorage.NewStorage(Scheme, optsGetter)
			return map[string]rest.Storage{"daemonsets": s.DaemonSet, "daemonsets/status": s.Status}, err
		},
		"replicasets": func() (map[string]rest.Storage, error) {
			s, err := replicasetstorage.NewStorage(Scheme, optsGetter)
			return map[string]rest.Storage{"replicasets": s.ReplicaSet, "replicasets/status": s.Status, "replicasets/scale": s.Scale}, err
		},
		"deployments": func() (map[string]rest.Storage, error) {
			s, err := deploymentstorage.NewStorage(Scheme, optsGetter)
			return map[string]rest.Storage{"deployments": s.Deployment, "deployments/status": s.Status, "deployments/scale": s.Scale, "deployments/rollback": s.Rollback, "deployments/promote": s.Promote}, err
		},
		"jobs": func() (map[string]rest.Storage, error) {
			s, err := jobstorage.NewStorage(Scheme, optsGetter)
			if err == nil {
				jobStore = s.Job.Store
			}
			return map[string]rest.Storage{"jobs": s.Job, "jobs/status": s.Status, "jobs/scale": s.Scale}, err
		},
		"cronjobs": func() (map[string]rest.Storage, error) {
			s, err := cronjobstorage.NewStorage(Scheme, optsGetter)
			endpoints := map[string]rest.Storage{"cronjobs": s.CronJob, "cronjobs/status": s.Status}
			if err == nil && jobStore != nil {
				endpoints["cronjobs/trigger"] = cronjobstorage.NewTriggerREST(s.CronJob.Store, jobStore)
			}
			return endpoints, err
		},
		"horizontalpodautoscalers": func() (map[string]rest.Storage, error) {
			s, err := hpastorage.NewStorage(Scheme, optsGetter)
			return map[string]rest.Storage{"horizontalpodautoscalers": s.HorizontalPodAutoscaler, "horizontalpodautoscalers/status": s.Status}, err
		},
	}
	for _, r := range Resources {
		if err := add(r, builders[r]); err != nil {
			return nil, err
		}
	}
	return storage, nil
}
