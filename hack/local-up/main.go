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

// Command local-up starts a local cluster with workloads-apiserver
// registered: etcd, kube-apiserver, kube-controller-manager, kube-scheduler
// and kwok nodes, all real upstream binaries on loopback. It prints what to
// type, then runs until interrupted and tears everything down. With
// --detach it writes the kubeconfig and returns to the caller (see
// hack/local-up.sh), which leaves it running in the background.
//
// With --ha it starts the production topology instead of one server: three
// workloads-apiserver replicas behind a loopback test load balancer (playing
// the Service), a three-member etcd cluster with client and peer TLS, and two
// leader-elected controller managers.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

func main() {
	var (
		stateDir = flag.String("state-dir", "_output/local", "directory for the cluster's certificates, data, logs and kubeconfig")
		nodes    = flag.Int("nodes", 3, "number of kwok nodes")
		metrics  = flag.Bool("metrics-server", true, "also start metrics-server (needed by autoscalers)")
		ha       = flag.Bool("ha", false, "start 3 workloads-apiserver replicas behind a load balancer, a 3-member TLS etcd cluster and 2 leader-elected controller managers")
	)
	flag.Parse()
	if err := run(*stateDir, *nodes, *metrics, *ha); err != nil {
		fmt.Fprintf(os.Stderr, "local-up: %v\n", err)
		os.Exit(1)
	}
}

func run(stateDir string, nodes int, metrics, ha bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	stateDir, err := filepath.Abs(stateDir)
	if err != nil {
		return err
	}
	runDir := filepath.Join(stateDir, "run")
	// A previous run that crashed leaves its state behind: start clean.
	if err := os.RemoveAll(runDir); err != nil {
		return fmt.Errorf("removing stale state in %s: %w", runDir, err)
	}
	kubeconfig := filepath.Join(stateDir, "kubeconfig")
	_ = os.Remove(kubeconfig)

	started := time.Now()
	logger := framework.LoggerFunc(func(format string, args ...any) {
		fmt.Printf("[%5.1fs] %s\n", time.Since(started).Seconds(), fmt.Sprintf(format, args...))
	})
	opts := framework.Options{
		RunDir:                     runDir,
		KeepRunDir:                 true,
		Nodes:                      nodes,
		MetricsServer:              metrics,
		WorkloadsAPIServer:         true,
		WorkloadsAPIServerArgs:     []string{"--runtime-config=experimental/v1alpha1=true"},
		WorkloadsControllerManager: true,
		// clusterrole-aggregation folds the aggregate-to-view/edit/admin
		// roles of artifacts/deploy into view, edit and admin.
		Controllers: append(slices.Clone(framework.DefaultControllers), "clusterrole-aggregation"),
	}
	if ha {
		opts.WorkloadsEtcdMembers = 3
		opts.WorkloadsAPIServerReplicas = 3
		opts.WorkloadsAPIServerArgs = append(opts.WorkloadsAPIServerArgs, framework.HAShutdownArgs...)
		opts.WorkloadsControllerManagers = 2
	}
	cluster, stopCluster, err := framework.Start(ctx, opts, logger)
	if err != nil {
		return err
	}
	defer func() {
		fmt.Println("Stopping the cluster ...")
		if err := stopCluster(); err != nil {
			fmt.Fprintf(os.Stderr, "local-up: stopping: %v\n", err)
		}
	}()

	rbac := filepath.Join(cluster.RepoRoot, "artifacts", "deploy", "rbac-aggregate.yaml")
	logger.Logf("applying %s (view/edit/admin on experimental resources)", rbac)
	if out, errOut, err := cluster.Kubectl("apply", "-f", rbac); err != nil {
		return fmt.Errorf("applying %s: %w\n%s%s", rbac, err, out, errOut)
	}

	data, err := os.ReadFile(cluster.KubeconfigPath)
	if err != nil {
		return err
	}
	// Written last: its presence tells hack/local-up.sh --detach the cluster is ready.
	if err := os.WriteFile(kubeconfig+".tmp", data, 0o600); err != nil {
		return err
	}
	if err := os.Rename(kubeconfig+".tmp", kubeconfig); err != nil {
		return err
	}

	fmt.Printf(`
The cluster is ready (%.0fs). workloads-apiserver serves experimental/v1alpha1 at %s,
registered in kube-apiserver at %s. Logs: %s

  export KUBECONFIG=%s
  export PATH=%s:$PATH   # the kubectl built from the pinned Kubernetes release
  kubectl api-resources --api-group=experimental
  kubectl apply -f artifacts/examples/
  kubectl get experimental
  kubectl get xdeploy -o wide
  kubectl apply -f artifacts/local-demo/   # a Job, a CronJob and an autoscaler made for kwok nodes
  kubectl get xjob,xcj,xhpa,xdeploy -w

`, time.Since(started).Seconds(), cluster.WorkloadsAPIServerURL, cluster.KubeAPIServerURL, cluster.LogDir, kubeconfig, cluster.BinDir)

	if ha {
		printHA(cluster)
	}

	<-ctx.Done()
	return nil
}

// printHA lists the replicated components and where to find them.
func printHA(c *framework.Cluster) {
	fmt.Printf("HA topology (load balancer at %s, a test utility playing the Service):\n", c.LoadBalancer().Addr())
	for i, u := range c.WorkloadsAPIServerReplicaURLs {
		fmt.Printf("  workloads-apiserver-%d           %s  log %s\n", i, u, c.LogPath(framework.WorkloadsAPIServerReplicaComponent(i)))
	}
	for i, u := range c.WorkloadsEtcdURLs {
		fmt.Printf("  workloads-etcd-%d                %s  log %s\n", i, u, c.LogPath(framework.WorkloadsEtcdMemberComponent(i)))
	}
	for i, port := range c.WorkloadsControllerManagerPorts {
		fmt.Printf("  workloads-controller-manager-%d  https://127.0.0.1:%d  log %s\n", i, port, c.LogPath(framework.WorkloadsControllerManagerComponent(i)))
	}
	fmt.Printf(`  etcd client certificates: --cacert=%s --cert=%s --key=%s
  the controller-manager leader: kubectl -n %s get lease %s

`, c.PKI.EtcdCACert, c.PKI.EtcdClientCert, c.PKI.EtcdClientKey, framework.DefaultWorkloadsNamespace, framework.WorkloadsControllerManagerLeaseName)
}
