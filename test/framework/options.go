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

package framework

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// DefaultControllers are the kube-controller-manager controllers every cluster
// runs: enough for garbage collection, namespace deletion, service accounts and
// node lifecycle, and none that manage workloads.
var DefaultControllers = []string{
	"garbagecollector",
	"namespace",
	"serviceaccount",
	"serviceaccount-token",
	"nodelifecycle",
	"podgc",
}

// UpstreamWorkloadControllers are kube-controller-manager's own workload
// controllers. Benchmarks that compare against upstream add them:
//
//	opts.Controllers = append(slices.Clone(framework.DefaultControllers), framework.UpstreamWorkloadControllers...)
var UpstreamWorkloadControllers = []string{
	"deployment",
	"replicaset",
	"daemonset",
	"job",
	"cronjob",
	"horizontalpodautoscaling",
}

// Options selects what Start runs. The zero value starts etcd, kube-apiserver,
// kube-controller-manager (DefaultControllers), kube-scheduler and kwok, with no
// nodes; the workloads components and metrics-server are opt-in.
type Options struct {
	// BinDir holds the binaries (default <repo root>/_output/bin, filled by
	// hack/install-tools.sh and by building this repository's commands).
	BinDir string
	// RunDir is the directory for certificates, kubeconfig, data and logs.
	// Default: a new temporary directory, removed by Stop unless KeepRunDir.
	RunDir string
	// KeepRunDir keeps a temporary RunDir after Stop.
	KeepRunDir bool
	// StartTimeout bounds each wait during start-up (default 90s).
	StartTimeout time.Duration
	// Verbosity is the klog -v level of the Kubernetes components; 0 means the
	// default 1, a negative value means -v=0.
	Verbosity int

	// Nodes is the number of kwok nodes created and awaited Ready during start.
	Nodes int
	// NodeLabels are added to the start-up nodes (on top of the default labels).
	NodeLabels map[string]string
	// NodeTaints are set on the start-up nodes.
	NodeTaints []corev1.Taint
	// NodeCapacity is each node's capacity and allocatable
	// (default DefaultNodeCapacity).
	NodeCapacity corev1.ResourceList

	// Controllers is kube-controller-manager's --controllers list
	// (default DefaultControllers).
	Controllers []string
	// DisableControllerManager, DisableScheduler and DisableKwok leave the
	// component out.
	DisableControllerManager bool
	DisableScheduler         bool
	DisableKwok              bool
	// KwokStages are paths of more kwok Stage/Metric/ResourceUsage documents,
	// loaded after the built-in ones.
	KwokStages []string
	// KwokNodeHeartbeatWithLease replaces kwok's node-heartbeat stage (a full
	// node status update every 20 to 45 s per node) with kwok's own
	// node-heartbeat-with-lease stage (every 10 to 20 min), for clusters of
	// thousands of nodes whose liveness rests on node Leases, which kwok renews
	// every --node-lease-duration-seconds/4 (default 40 s, so 10 s; set it with
	// KwokArgs, and kube-controller-manager's --node-monitor-grace-period
	// above the renew interval with KubeControllerManagerArgs).
	KwokNodeHeartbeatWithLease bool

	// MetricsServer starts metrics-server and registers APIService
	// v1beta1.metrics.k8s.io.
	MetricsServer bool

	// WorkloadsAPIServer starts workloads-apiserver and registers APIService
	// v1alpha1.experimental.
	WorkloadsAPIServer bool
	// WorkloadsAPIServerBinary overrides <BinDir>/workloads-apiserver.
	WorkloadsAPIServerBinary string
	// WorkloadsAPIServerArgs are appended to the workloads-apiserver flags.
	WorkloadsAPIServerArgs []string
	// WorkloadsEmbeddedEtcd runs workloads-apiserver without --etcd-servers, so
	// it starts its embedded etcd in --etcd-data-dir, instead of against a
	// dedicated etcd process.
	WorkloadsEmbeddedEtcd bool
	// WorkloadsNamespace holds the workloads-apiserver Service
	// (default DefaultWorkloadsNamespace).
	WorkloadsNamespace string

	// WorkloadsEtcdMembers > 1 runs workloads-apiserver's dedicated etcd as a
	// cluster of that many members (3 for the production topology) on
	// distinct loopback ports, with client and peer TLS from the framework
	// PKI (PKI.EtcdCACert, PKI.EtcdMemberCerts, PKI.EtcdClientCert);
	// workloads-apiserver gets every member in --etcd-servers (https://) and
	// --etcd-cafile/--etcd-certfile/--etcd-keyfile. 0 or 1: one plain-HTTP
	// member. Not with WorkloadsEmbeddedEtcd.
	WorkloadsEtcdMembers int
	// WorkloadsAPIServerReplicas > 1 runs that many workloads-apiserver
	// replicas on the same etcd, behind a loopback TCP LoadBalancer (a test
	// utility playing the Service and kube-proxy) whose port is
	// WorkloadsAPIServerPort and the APIService's Service port. 0 or 1: one
	// server, no balancer. Not with WorkloadsEmbeddedEtcd.
	WorkloadsAPIServerReplicas int
	// WorkloadsAPIServerTerminationGracePeriod is how long a replica gets
	// after SIGTERM before it is killed, as terminationGracePeriodSeconds
	// (default 60s with replicas, else 10s).
	WorkloadsAPIServerTerminationGracePeriod time.Duration
	// LoadBalancerProbeInterval is how often the balancer probes each
	// replica's /readyz (default 500ms).
	LoadBalancerProbeInterval time.Duration

	// WorkloadsControllerManager starts workloads-controller-manager once the
	// APIService is available (requires WorkloadsAPIServer).
	WorkloadsControllerManager bool
	// WorkloadsControllerManagerBinary overrides
	// <BinDir>/workloads-controller-manager.
	WorkloadsControllerManagerBinary string
	// WorkloadsControllerManagerArgs are appended to its flags.
	WorkloadsControllerManagerArgs []string
	// WorkloadsControllerManagers > 1 runs that many leader-elected
	// instances (implies WorkloadsControllerManager), each on its own secure
	// port, with the Lease in WorkloadsNamespace
	// (see Cluster.WorkloadsControllerManagerLeader).
	WorkloadsControllerManagers int

	// Extra flags appended to each upstream component's command line (a flag
	// given here overrides the framework's value). kube-controller-manager
	// runs with --kube-api-qps=200 --kube-api-burst=400 unless overridden.
	EtcdArgs                  []string
	KubeAPIServerArgs         []string
	KubeControllerManagerArgs []string
	KubeSchedulerArgs         []string
	KwokArgs                  []string
	MetricsServerArgs         []string
}

// DefaultNodeCapacity is the capacity and allocatable of a kwok node unless
// Options.NodeCapacity says otherwise.
func DefaultNodeCapacity() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("32"),
		corev1.ResourceMemory:           resource.MustParse("256Gi"),
		corev1.ResourcePods:             resource.MustParse("110"),
		corev1.ResourceEphemeralStorage: resource.MustParse("1Ti"),
	}
}

const (
	// DefaultWorkloadsNamespace is where the workloads-apiserver Service lives.
	DefaultWorkloadsNamespace = "workloads-system"
	// WorkloadsServiceName is the ExternalName Service behind
	// APIService v1alpha1.experimental.
	WorkloadsServiceName = "workloads-apiserver"
	// WorkloadsAPIServiceName is the APIService of our API group.
	WorkloadsAPIServiceName = "v1alpha1.experimental"
	// WorkloadsGroup and WorkloadsVersion are the group/version served.
	WorkloadsGroup   = "experimental"
	WorkloadsVersion = "v1alpha1"

	// MetricsNamespace, MetricsServiceName and MetricsAPIServiceName describe
	// the metrics-server registration.
	MetricsNamespace      = "kube-system"
	MetricsServiceName    = "metrics-server"
	MetricsAPIServiceName = "v1beta1.metrics.k8s.io"

	// MetricsAdapterNamespace and MetricsAdapterServiceName name the Service
	// of the test custom and external metrics adapter (package
	// metricsadapter).
	MetricsAdapterNamespace   = "kube-system"
	MetricsAdapterServiceName = "test-metrics-adapter"

	defaultStartTimeout = 90 * time.Second
	// defaultReplicaGracePeriod is the terminationGracePeriodSeconds of a
	// workloads-apiserver replica: it covers the graceful-shutdown delays.
	defaultReplicaGracePeriod = 60 * time.Second

	// kubeControllerManagerQPS is kube-controller-manager's --kube-api-qps
	// (burst twice that); override with KubeControllerManagerArgs.
	kubeControllerManagerQPS = 200

	serviceClusterIPRange = "10.96.0.0/16"
	serviceClusterIP      = "10.96.0.1"
	kwokPodCIDR           = "10.0.0.0/16"
	serviceAccountIssuer  = "https://kubernetes.default.svc.cluster.local"
)

func (o *Options) withDefaults() Options {
	out := *o
	if out.StartTimeout <= 0 {
		out.StartTimeout = defaultStartTimeout
	}
	switch {
	case out.Verbosity == 0:
		out.Verbosity = 1
	case out.Verbosity < 0:
		out.Verbosity = 0
	}
	if out.Controllers == nil {
		out.Controllers = DefaultControllers
	}
	if out.NodeCapacity == nil {
		out.NodeCapacity = DefaultNodeCapacity()
	}
	if out.WorkloadsNamespace == "" {
		out.WorkloadsNamespace = DefaultWorkloadsNamespace
	}
	if out.WorkloadsControllerManagers > 1 {
		out.WorkloadsControllerManager = true
	}
	if out.WorkloadsAPIServerTerminationGracePeriod <= 0 {
		out.WorkloadsAPIServerTerminationGracePeriod = stopGracePeriod
		if out.WorkloadsAPIServerReplicas > 1 {
			out.WorkloadsAPIServerTerminationGracePeriod = defaultReplicaGracePeriod
		}
	}
	return out
}
