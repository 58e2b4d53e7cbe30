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

// Package framework starts a real local Kubernetes control plane for
// integration tests, end-to-end tests and benchmarks: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, kwok (simulated nodes and
// kubelets), optionally metrics-server, and optionally this repository's
// workloads-apiserver (registered through APIService v1alpha1.experimental)
// and workloads-controller-manager.
//
// Everything runs on 127.0.0.1 with free ports in its own run directory, so
// clusters of concurrent tests never clash. The upstream binaries come from
// _output/bin (hack/install-tools.sh builds and links them; they are cached per
// user), ours from _output/bin as built by the Makefile.
//
// In a test:
//
//	func TestSomething(t *testing.T) {
//		framework.SkipIfNoControlPlane(t)
//		c := framework.StartCluster(t, framework.Options{Nodes: 3, WorkloadsAPIServer: true})
//		client := c.KubeClient()
//		out, _, err := c.Kubectl("get", "xdeploy", "-A")
//		...
//	}
//
// Outside tests (e.g. a local-up program):
//
//	c, stop, err := framework.Start(ctx, framework.Options{...}, framework.LoggerFunc(log.Printf))
//	defer stop()
//
// Component output goes to <run dir>/logs/<component>.log. StartCluster copies
// the logs, plus a dump of the cluster's objects, to _output/logs/<TestName>/
// when the test fails. Every component runs in its own process group and, on
// Linux, dies with the test binary (Pdeathsig), so a killed test leaks nothing.
//
// # The production topology
//
// Options.WorkloadsEtcdMembers, WorkloadsAPIServerReplicas and
// WorkloadsControllerManagers start the HA topology of DESIGN.md on loopback:
//
//	framework.Options{WorkloadsAPIServer: true, WorkloadsEtcdMembers: 3,
//		WorkloadsAPIServerReplicas: 3, WorkloadsControllerManagers: 2}
//
// The etcd members use client and peer TLS from the framework PKI
// (PKI.EtcdCACert, PKI.EtcdMemberCerts, PKI.EtcdClientCert); every replica gets
// all of them in --etcd-servers. The replicas serve behind LoadBalancer, a
// test utility (not part of the product) that plays the Service and
// kube-proxy: round robin over ready replicas, with per-replica connection
// counts. Tests stop (SIGTERM), kill (SIGKILL) and start single instances
// (StopWorkloadsAPIServerReplica, KillWorkloadsEtcdMember,
// KillWorkloadsControllerManager, ...), find the etcd leader
// (WorkloadsEtcdLeader, with the maintenance Status API) and the leading
// controller manager (WorkloadsControllerManagerLeader, from the Lease).
// Instance i logs to <component>-<i>.log.
//
// # Simulated pods
//
// kwok plays the kubelet. With kwok's stages a scheduled pod becomes Running
// and Ready at once, and a deleted pod disappears. This package adds stages
// driven by pod annotations (see AnnotationSucceedAfter, AnnotationFailAfter,
// AnnotationExitCode and AnnotationNeverReady):
//
//   - workloads.experimental.test/succeed-after: "<duration>" on a pod owned by
//     a Job: Running, then Succeeded (exit code 0) after the duration.
//   - workloads.experimental.test/fail-after: "<duration>" on a pod owned by a
//     Job: Running, then Failed after the duration, exit code 1 or
//     workloads.experimental.test/exit-code.
//   - workloads.experimental.test/never-ready: any value, on any pod: Running
//     but never Ready.
//
// A deleted pod is terminated as a kubelet does it: its containers end with
// exit code 137 (reason Error), the pod goes to phase Failed, and only then is
// it removed (with grace period 0; finalizers still hold it until their owners
// remove them). This happens at once, or at the end of the grace period when
// the pod carries workloads.experimental.test/ignore-sigterm.
//
// kwok's kwok.x-k8s.io/usage-cpu and kwok.x-k8s.io/usage-memory annotations set
// the usage metrics-server reports for a pod.
package framework
