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
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/transport"
)

// The production topology (DESIGN.md): workloads-apiserver replicas behind a
// Service over a TLS etcd cluster, and leader-elected controller managers.
// Each instance is its own component, named <component>-<index>.

// WorkloadsEtcdMemberComponent, WorkloadsAPIServerReplicaComponent and
// WorkloadsControllerManagerComponent name instance i of a replicated
// component (its log is LogPath(name)).
func WorkloadsEtcdMemberComponent(i int) string {
	return fmt.Sprintf("%s-%d", ComponentWorkloadsEtcd, i)
}

// WorkloadsAPIServerReplicaComponent names replica i.
func WorkloadsAPIServerReplicaComponent(i int) string {
	return fmt.Sprintf("%s-%d", ComponentWorkloadsAPIServer, i)
}

// WorkloadsControllerManagerComponent names controller manager i.
func WorkloadsControllerManagerComponent(i int) string {
	return fmt.Sprintf("%s-%d", ComponentWorkloadsControllerManager, i)
}

// HAShutdownArgs are graceful-termination flags for replicas behind the
// test LoadBalancer: on SIGTERM a replica keeps serving while it reports not
// ready until the balancer has taken it out of rotation (a shutdown delay of
// a few probe intervals; the balancer probes every 500ms, so 3s instead of
// the server's 5s default), answers requests that still arrive with 429 and
// Retry-After so clients retry elsewhere, then ends its watches cleanly so
// watchers resume on another replica. At the end of the delay each HTTP/2
// connection gets a first GOAWAY that refuses nothing, so kube-apiserver's
// aggregation proxy moves to a new connection (another replica) before the
// final one.
//
// --goaway-chance stays 0. workloads-apiserver's GOAWAY refuses nothing,
// but kube-apiserver's HTTP/2 client has a race of its own: a request it
// has just assigned to a connection when a GOAWAY arrives fails, as its
// transport closes the request body and its reverse proxy cannot replay it.
// With --goaway-chance=0.01 two of ten rolling restarts saw one such
// failure; with 0, none of ten.
var HAShutdownArgs = []string{
	"--shutdown-delay-duration=3s",
	"--shutdown-send-retry-after=true",
	"--shutdown-watch-termination-grace-period=5s",
}

// haPorts are the extra ports of the replicated components.
type haPorts struct {
	etcdClient, etcdPeer, etcdMetrics []int
	replicas                          []int
	controllerManagers                []int
}

func (o *Options) haPortCount() int {
	n := 0
	if o.WorkloadsEtcdMembers > 1 {
		n += 3 * o.WorkloadsEtcdMembers
	}
	if o.WorkloadsAPIServerReplicas > 1 {
		n += o.WorkloadsAPIServerReplicas
	}
	if o.WorkloadsControllerManagers > 1 {
		n += o.WorkloadsControllerManagers
	}
	return n
}

func (o *Options) splitHAPorts(ports []int) haPorts {
	var h haPorts
	take := func(n int) []int {
		out := ports[:n]
		ports = ports[n:]
		return out
	}
	if m := o.WorkloadsEtcdMembers; m > 1 {
		h.etcdClient, h.etcdPeer, h.etcdMetrics = take(m), take(m), take(m)
	}
	if r := o.WorkloadsAPIServerReplicas; r > 1 {
		h.replicas = take(r)
	}
	if n := o.WorkloadsControllerManagers; n > 1 {
		h.controllerManagers = take(n)
	}
	return h
}

func (o *Options) validateHA() error {
	if o.WorkloadsEmbeddedEtcd && (o.WorkloadsEtcdMembers > 1 || o.WorkloadsAPIServerReplicas > 1) {
		return errors.New("WorkloadsEmbeddedEtcd cannot be combined with WorkloadsEtcdMembers > 1 or WorkloadsAPIServerReplicas > 1")
	}
	if (o.WorkloadsEtcdMembers > 1 || o.WorkloadsAPIServerReplicas > 1) && !o.WorkloadsAPIServer {
		return errors.New("WorkloadsEtcdMembers and WorkloadsAPIServerReplicas require WorkloadsAPIServer")
	}
	return nil
}

// etcdClusterProcesses returns the members of a TLS etcd cluster.
func (c *Cluster) etcdClusterProcesses(h haPorts) []*process {
	p := c.PKI
	n := len(h.etcdClient)
	var initial []string
	for i := range n {
		initial = append(initial, fmt.Sprintf("%s=https://127.0.0.1:%d", WorkloadsEtcdMemberComponent(i), h.etcdPeer[i]))
	}
	procs := make([]*process, n)
	for i := range n {
		name := WorkloadsEtcdMemberComponent(i)
		client := "https://127.0.0.1:" + strconv.Itoa(h.etcdClient[i])
		peer := "https://127.0.0.1:" + strconv.Itoa(h.etcdPeer[i])
		args := []string{
			"--name=" + name,
			"--data-dir=" + filepath.Join(c.WorkloadsEtcdDataDir, name),
			"--listen-client-urls=" + client,
			"--advertise-client-urls=" + client,
			"--listen-peer-urls=" + peer,
			"--initial-advertise-peer-urls=" + peer,
			"--initial-cluster=" + strings.Join(initial, ","),
			"--initial-cluster-state=new",
			"--initial-cluster-token=workloads-test-etcd",
			// /health and /metrics over plain HTTP for the framework's probes.
			"--listen-metrics-urls=http://127.0.0.1:" + strconv.Itoa(h.etcdMetrics[i]),
			"--cert-file=" + p.EtcdMemberCerts[i],
			"--key-file=" + p.EtcdMemberKeys[i],
			"--trusted-ca-file=" + p.EtcdCACert,
			"--client-cert-auth",
			"--peer-cert-file=" + p.EtcdMemberCerts[i],
			"--peer-key-file=" + p.EtcdMemberKeys[i],
			"--peer-trusted-ca-file=" + p.EtcdCACert,
			"--peer-client-cert-auth",
			"--log-level=warn",
			// As for the single member: test data, no fsync (see etcdProcess).
			"--unsafe-no-fsync",
		}
		procs[i] = c.newProcess(name, c.binary("etcd"), append(args, c.opts.EtcdArgs...), nil)
	}
	return procs
}

// WorkloadsEtcdMemberCount is the number of members of the workloads etcd
// cluster (0 when it is a single plain member or embedded).
func (c *Cluster) WorkloadsEtcdMemberCount() int { return len(c.WorkloadsEtcdURLs) }

func (c *Cluster) etcdMember(i int) (*process, error) {
	if i < 0 || i >= len(c.WorkloadsEtcdURLs) {
		return nil, fmt.Errorf("no workloads etcd member %d (the cluster has %d)", i, len(c.WorkloadsEtcdURLs))
	}
	return c.process(WorkloadsEtcdMemberComponent(i)), nil
}

// StopWorkloadsEtcdMember stops member i gracefully (SIGTERM); its data is
// kept.
func (c *Cluster) StopWorkloadsEtcdMember(i int) error {
	p, err := c.etcdMember(i)
	if err != nil {
		return err
	}
	p.stop(stopGracePeriod)
	return nil
}

// KillWorkloadsEtcdMember kills member i (SIGKILL); its data is kept.
func (c *Cluster) KillWorkloadsEtcdMember(i int) error {
	p, err := c.etcdMember(i)
	if err != nil {
		return err
	}
	p.stop(0)
	return nil
}

// StartWorkloadsEtcdMember starts member i again on its data dir and waits
// until it reports healthy (it has a leader).
func (c *Cluster) StartWorkloadsEtcdMember(i int) error {
	p, err := c.etcdMember(i)
	if err != nil {
		return err
	}
	if err := p.start(); err != nil {
		return err
	}
	return c.waitHTTP(p, c.workloadsEtcdMetricsURLs[i]+"/health")
}

// WorkloadsEtcdTLS is the client TLS configuration for the workloads etcd
// cluster (its CA and the framework's etcd client certificate).
func (c *Cluster) WorkloadsEtcdTLS() (*tls.Config, error) {
	return transport.TLSConfigFor(&transport.Config{TLS: transport.TLSConfig{
		CAFile: c.PKI.EtcdCACert, CertFile: c.PKI.EtcdClientCert, KeyFile: c.PKI.EtcdClientKey,
	}})
}

// WorkloadsEtcdClient returns a client of the workloads etcd cluster (every
// member as an endpoint, client TLS); the caller closes it.
func (c *Cluster) WorkloadsEtcdClient() (*clientv3.Client, error) {
	if len(c.WorkloadsEtcdURLs) == 0 {
		return nil, errors.New("no workloads etcd cluster (WorkloadsEtcdMembers <= 1)")
	}
	tlsConfig, err := c.WorkloadsEtcdTLS()
	if err != nil {
		return nil, err
	}
	return clientv3.New(clientv3.Config{
		Endpoints:   c.WorkloadsEtcdURLs,
		TLS:         tlsConfig,
		DialTimeout: 5 * time.Second,
		Logger:      nil,
	})
}

// WorkloadsEtcdLeader returns the index of the member that leads the
// workloads etcd cluster, asking each running member for its status with the
// maintenance Status API.
func (c *Cluster) WorkloadsEtcdLeader(ctx context.Context) (int, error) {
	cli, err := c.WorkloadsEtcdClient()
	if err != nil {
		return -1, err
	}
	defer cli.Close()
	var errs []error
	for i, url := range c.WorkloadsEtcdURLs {
		if !c.Running(WorkloadsEtcdMemberComponent(i)) {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		st, err := cli.Status(sctx, url)
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("member %d: %w", i, err))
			continue
		}
		if st.Leader != 0 && st.Leader == st.Header.MemberId {
			return i, nil
		}
	}
	return -1, fmt.Errorf("no member reports itself the leader: %w", errors.Join(errs...))
}

// workloadsAPIServerReplicaProcesses returns the replicas, each on its port.
func (c *Cluster) workloadsAPIServerReplicaProcesses(h haPorts) []*process {
	procs := make([]*process, len(h.replicas))
	for i, port := range h.replicas {
		procs[i] = c.workloadsAPIServerProcess(WorkloadsAPIServerReplicaComponent(i), port)
	}
	return procs
}

// WorkloadsAPIServerReplicaCount is the number of replicas behind the load
// balancer (0 for a single server).
func (c *Cluster) WorkloadsAPIServerReplicaCount() int { return len(c.WorkloadsAPIServerReplicaURLs) }

// LoadBalancer is the test balancer in front of the replicas (nil for a
// single server).
func (c *Cluster) LoadBalancer() *LoadBalancer { return c.balancer }

func (c *Cluster) replica(i int) (*process, error) {
	if i < 0 || i >= len(c.WorkloadsAPIServerReplicaURLs) {
		return nil, fmt.Errorf("no workloads-apiserver replica %d (the cluster has %d)", i, len(c.WorkloadsAPIServerReplicaURLs))
	}
	return c.process(WorkloadsAPIServerReplicaComponent(i)), nil
}

// StopWorkloadsAPIServerReplica sends SIGTERM to replica i and waits until
// it exits (killing it after Options.WorkloadsAPIServerTerminationGracePeriod).
func (c *Cluster) StopWorkloadsAPIServerReplica(i int) error {
	p, err := c.replica(i)
	if err != nil {
		return err
	}
	p.stop(c.opts.WorkloadsAPIServerTerminationGracePeriod)
	return nil
}

// KillWorkloadsAPIServerReplica kills replica i (SIGKILL).
func (c *Cluster) KillWorkloadsAPIServerReplica(i int) error {
	p, err := c.replica(i)
	if err != nil {
		return err
	}
	p.stop(0)
	return nil
}

// StartWorkloadsAPIServerReplica starts replica i again and waits until its
// /readyz answers and the load balancer has it back in rotation.
func (c *Cluster) StartWorkloadsAPIServerReplica(i int) error {
	p, err := c.replica(i)
	if err != nil {
		return err
	}
	if err := p.start(); err != nil {
		return err
	}
	if err := c.waitHTTPS(p, "/readyz", c.servingProbeConfig(c.WorkloadsAPIServerReplicaURLs[i])); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.StartTimeout)
	defer cancel()
	return c.balancer.WaitReady(ctx, i, true)
}

// WorkloadsAPIServerReplicaRunning reports whether replica i runs.
func (c *Cluster) WorkloadsAPIServerReplicaRunning(i int) bool {
	p, err := c.replica(i)
	return err == nil && p.running()
}

// WorkloadsAPIServerReplicaConfig is an admin rest.Config that talks to
// replica i directly (verified with the serving CA), bypassing kube-apiserver
// and the balancer, e.g. for /readyz and /metrics.
func (c *Cluster) WorkloadsAPIServerReplicaConfig(i int) (*rest.Config, error) {
	if _, err := c.replica(i); err != nil {
		return nil, err
	}
	return c.servingProbeConfig(c.WorkloadsAPIServerReplicaURLs[i]), nil
}

// startLoadBalancer puts the balancer on WorkloadsAPIServerPort in front of
// the replicas, probing their /readyz.
func (c *Cluster) startLoadBalancer() error {
	rt, err := rest.TransportFor(c.servingProbeConfig(c.WorkloadsAPIServerURL))
	if err != nil {
		return err
	}
	hc := &http.Client{Transport: rt}
	var addrs []string
	for _, u := range c.WorkloadsAPIServerReplicaURLs {
		addrs = append(addrs, strings.TrimPrefix(u, "https://"))
	}
	probeReadyz := func(ctx context.Context, addr string) error {
		_, err := probe(ctx, hc, "https://"+addr+"/readyz")
		return err
	}
	c.balancer, err = newLoadBalancer(c.WorkloadsAPIServerPort, addrs, probeReadyz, c.opts.LoadBalancerProbeInterval, c.logger)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.StartTimeout)
	defer cancel()
	for i := range addrs {
		if err := c.balancer.WaitReady(ctx, i, true); err != nil {
			return err
		}
	}
	return nil
}

// workloadsControllerManagerProcesses returns the leader-elected instances.
func (c *Cluster) workloadsControllerManagerProcesses(h haPorts) []*process {
	procs := make([]*process, len(h.controllerManagers))
	for i, port := range h.controllerManagers {
		procs[i] = c.workloadsControllerManagerProcess(WorkloadsControllerManagerComponent(i), port,
			"--leader-elect=true",
			"--leader-elect-resource-namespace="+c.opts.WorkloadsNamespace)
	}
	return procs
}

func (c *Cluster) controllerManager(i int) (*process, error) {
	if i < 0 || i >= len(c.WorkloadsControllerManagerPorts) {
		return nil, fmt.Errorf("no workloads-controller-manager %d (the cluster has %d)", i, len(c.WorkloadsControllerManagerPorts))
	}
	return c.process(WorkloadsControllerManagerComponent(i)), nil
}

// WorkloadsControllerManagerCount is the number of leader-elected
// controller managers (0 for a single one).
func (c *Cluster) WorkloadsControllerManagerCount() int {
	return len(c.WorkloadsControllerManagerPorts)
}

// KillWorkloadsControllerManager kills controller manager i (SIGKILL): it
// neither finishes its work nor releases the Lease.
func (c *Cluster) KillWorkloadsControllerManager(i int) error {
	p, err := c.controllerManager(i)
	if err != nil {
		return err
	}
	p.stop(0)
	return nil
}

// StopWorkloadsControllerManagerInstance stops controller manager i
// gracefully (it releases the Lease).
func (c *Cluster) StopWorkloadsControllerManagerInstance(i int) error {
	p, err := c.controllerManager(i)
	if err != nil {
		return err
	}
	p.stop(stopGracePeriod)
	return nil
}

// StartWorkloadsControllerManagerInstance starts controller manager i again
// and waits for its /healthz.
func (c *Cluster) StartWorkloadsControllerManagerInstance(i int) error {
	p, err := c.controllerManager(i)
	if err != nil {
		return err
	}
	if err := p.start(); err != nil {
		return err
	}
	return c.waitHTTPS(p, "/healthz", insecureProbeConfig("https://127.0.0.1:"+strconv.Itoa(c.WorkloadsControllerManagerPorts[i])))
}

// WorkloadsControllerManagerLeaseName is the leader-election Lease of the
// controller managers, in Options.WorkloadsNamespace.
const WorkloadsControllerManagerLeaseName = "workloads-controller-manager"

// leaderIdentityRE matches the log line in which an instance announces its
// leader-election identity.
var leaderIdentityRE = regexp.MustCompile(`"Leader election" identity="([^"]+)"`)

// WorkloadsControllerManagerLeader returns the index of the controller
// manager holding the Lease, with the holder identity and the Lease's
// renew time. It maps the Lease's holderIdentity to an instance by the
// identity each instance logged when it (last) started.
func (c *Cluster) WorkloadsControllerManagerLeader(ctx context.Context) (int, string, time.Time, error) {
	lease, err := c.kubeClient.CoordinationV1().Leases(c.opts.WorkloadsNamespace).Get(ctx, WorkloadsControllerManagerLeaseName, metav1.GetOptions{})
	if err != nil {
		return -1, "", time.Time{}, fmt.Errorf("getting the leader-election Lease: %w", err)
	}
	var holder string
	if lease.Spec.HolderIdentity != nil {
		holder = *lease.Spec.HolderIdentity
	}
	var renew time.Time
	if lease.Spec.RenewTime != nil {
		renew = lease.Spec.RenewTime.Time
	}
	if holder == "" {
		return -1, "", renew, errors.New("the Lease has no holder")
	}
	for i := range c.WorkloadsControllerManagerPorts {
		if id := c.controllerManagerIdentity(i); id == holder {
			return i, holder, renew, nil
		}
	}
	return -1, holder, renew, fmt.Errorf("lease holder %q is none of the running instances' identities", holder)
}

// controllerManagerIdentity is the identity instance i logged last.
func (c *Cluster) controllerManagerIdentity(i int) string {
	data, err := os.ReadFile(c.LogPath(WorkloadsControllerManagerComponent(i)))
	if err != nil {
		return ""
	}
	idx := bytes.LastIndex(data, []byte(`"Leader election" identity="`))
	if idx < 0 {
		return ""
	}
	m := leaderIdentityRE.FindSubmatch(data[idx:])
	if m == nil {
		return ""
	}
	return string(m[1])
}
