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
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	aggregatorclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"
)

// Logger receives progress messages. *testing.T and *testing.B satisfy it.
type Logger interface {
	Logf(format string, args ...any)
}

// LoggerFunc adapts a printf-like function (e.g. log.Printf) to Logger.
type LoggerFunc func(format string, args ...any)

// Logf implements Logger.
func (f LoggerFunc) Logf(format string, args ...any) { f(format, args...) }

// Component names, also the names of their log files (<name>.log).
const (
	ComponentEtcd                       = "etcd"
	ComponentKubeAPIServer              = "kube-apiserver"
	ComponentKubeControllerManager      = "kube-controller-manager"
	ComponentKubeScheduler              = "kube-scheduler"
	ComponentKwok                       = "kwok"
	ComponentMetricsServer              = "metrics-server"
	ComponentWorkloadsEtcd              = "workloads-etcd"
	ComponentWorkloadsAPIServer         = "workloads-apiserver"
	ComponentWorkloadsControllerManager = "workloads-controller-manager"
)

// Cluster is a running local control plane. Fields are read-only.
type Cluster struct {
	// RepoRoot is the repository root (the directory holding go.mod).
	RepoRoot string
	// BinDir holds the binaries that were started.
	BinDir string
	// RunDir holds certificates, kubeconfig, data dirs and logs.
	RunDir string
	// LogDir holds one <component>.log per component.
	LogDir string
	// PKI lists the certificate and key files.
	PKI *PKI
	// KubeconfigPath is an admin (system:masters) kubeconfig for kube-apiserver.
	KubeconfigPath string
	// KubeAPIServerURL is https://127.0.0.1:<port>.
	KubeAPIServerURL string
	// EtcdURL is the client URL of kube-apiserver's etcd.
	EtcdURL string
	// WorkloadsEtcdURL is the client URL of workloads-apiserver's dedicated
	// etcd ("" when it uses its embedded etcd or is not started).
	WorkloadsEtcdURL string
	// WorkloadsEtcdDataDir is the data dir of that etcd, or of the embedded one
	// (with several members: the parent of one data dir per member).
	WorkloadsEtcdDataDir string
	// WorkloadsEtcdURLs are the https:// client URLs of the members of the
	// workloads etcd cluster (Options.WorkloadsEtcdMembers > 1), else empty.
	WorkloadsEtcdURLs []string
	// WorkloadsAPIServerReplicaURLs are where each replica serves
	// (Options.WorkloadsAPIServerReplicas > 1), else empty; then
	// WorkloadsAPIServerPort and WorkloadsAPIServerURL are the balancer's.
	WorkloadsAPIServerReplicaURLs []string
	// WorkloadsControllerManagerPorts are the secure ports of the
	// controller managers (Options.WorkloadsControllerManagers > 1), else
	// empty.
	WorkloadsControllerManagerPorts []int
	// WorkloadsAPIServerPort and WorkloadsAPIServerURL are where
	// workloads-apiserver serves (https://127.0.0.1:<port>). The port is
	// reserved even when the server is not started by the framework, so a test
	// can run the server itself and call RegisterWorkloadsAPIService.
	WorkloadsAPIServerPort int
	WorkloadsAPIServerURL  string
	// WorkloadsControllerManagerPort is the secure port (health, metrics)
	// workloads-controller-manager serves on 127.0.0.1, when started.
	WorkloadsControllerManagerPort int
	// MetricsServerURL is where metrics-server serves ("" unless started).
	MetricsServerURL string
	// KwokPort is kwok's kubelet/metrics port on 127.0.0.1.
	KwokPort int

	opts       Options
	logger     *safeLogger
	tempRunDir bool
	ctx        context.Context
	cancel     context.CancelFunc
	spawner    *spawner

	workloadsEtcdMetricsURLs []string
	balancer                 *LoadBalancer

	restConfig       *rest.Config
	kubeClient       kubernetes.Interface
	aggregatorClient aggregatorclient.Interface

	mu         sync.Mutex
	procs      map[string]*process
	order      []string // start order; Stop goes in reverse
	nodeSeq    int
	stopOnce   sync.Once
	stopErr    error
	unexpected []string // components that exited on their own
}

// safeLogger drops messages once the cluster is stopped: a testing.T must not
// be used after its test completed.
type safeLogger struct {
	mu     sync.Mutex
	l      Logger
	closed bool
}

func (s *safeLogger) Logf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.l == nil {
		return
	}
	s.l.Logf(format, args...)
}

func (s *safeLogger) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

// Start brings up a cluster as selected by opts and returns it with its stop
// function (the same as Cluster.Stop). ctx bounds the start-up only; the
// cluster runs until stopped. On error everything started so far is stopped
// and the run dir is kept, so its logs can be inspected (the path is in the
// error).
func Start(ctx context.Context, opts Options, logger Logger) (*Cluster, func() error, error) {
	c := &Cluster{}
	if err := c.start(ctx, opts, logger); err != nil {
		return nil, nil, err
	}
	return c, c.Stop, nil
}

func (c *Cluster) start(ctx context.Context, opts Options, logger Logger) (retErr error) {
	began := time.Now()
	opts = opts.withDefaults()
	c.opts, c.logger, c.procs = opts, &safeLogger{l: logger}, map[string]*process{}
	if err := opts.validateHA(); err != nil {
		return err
	}

	root, err := RepoRoot()
	if err != nil {
		return err
	}
	c.RepoRoot = root
	c.BinDir = opts.BinDir
	if c.BinDir == "" {
		c.BinDir = filepath.Join(root, "_output", "bin")
	}
	if err := c.checkBinaries(); err != nil {
		return err
	}

	c.RunDir = opts.RunDir
	if c.RunDir == "" {
		dir, err := os.MkdirTemp("", "workloads-cluster-")
		if err != nil {
			return err
		}
		c.RunDir, c.tempRunDir = dir, true
	} else if err := os.MkdirAll(c.RunDir, 0o755); err != nil {
		return err
	}
	c.LogDir = filepath.Join(c.RunDir, "logs")
	if err := os.MkdirAll(c.LogDir, 0o755); err != nil {
		return err
	}

	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.spawner = newSpawner()
	defer func() {
		if retErr != nil {
			keep := c.opts.KeepRunDir
			c.opts.KeepRunDir = true // keep logs for the caller to inspect
			_ = c.Stop()
			c.opts.KeepRunDir = keep
			retErr = fmt.Errorf("%w (logs in %s)", retErr, c.LogDir)
		}
	}()
	stopWatch := context.AfterFunc(ctx, c.cancel)
	defer stopWatch()

	c.PKI, err = generatePKI(filepath.Join(c.RunDir, "pki"), opts.WorkloadsNamespace, WorkloadsServiceName,
		MetricsNamespace, MetricsServiceName)
	if err != nil {
		return fmt.Errorf("generating certificates: %w", err)
	}
	if opts.WorkloadsEtcdMembers > 1 {
		if err := c.PKI.generateEtcdPKI(opts.WorkloadsEtcdMembers); err != nil {
			return fmt.Errorf("generating etcd certificates: %w", err)
		}
	}

	ports, err := freePorts(11 + opts.haPortCount())
	if err != nil {
		return err
	}
	ha := opts.splitHAPorts(ports[11:])
	var (
		etcdPort, etcdPeerPort         = ports[0], ports[1]
		apiPort                        = ports[2]
		kcmPort, schedPort             = ports[3], ports[4]
		kwokPort                       = ports[5]
		metricsPort                    = ports[6]
		workloadsPort                  = ports[7]
		workloadsEtcdPort, wEtcdPeerPt = ports[8], ports[9]
		workloadsCMPort                = ports[10]
	)
	c.EtcdURL = "http://127.0.0.1:" + strconv.Itoa(etcdPort)
	c.KubeAPIServerURL = "https://127.0.0.1:" + strconv.Itoa(apiPort)
	c.KwokPort = kwokPort
	c.WorkloadsAPIServerPort = workloadsPort
	c.WorkloadsAPIServerURL = "https://127.0.0.1:" + strconv.Itoa(workloadsPort)
	c.WorkloadsControllerManagerPort = workloadsCMPort

	if err := c.writeKubeconfig(); err != nil {
		return err
	}

	// etcd (and the workloads etcd) first.
	etcd := c.etcdProcess(ComponentEtcd, filepath.Join(c.RunDir, "etcd"), etcdPort, etcdPeerPort, opts.EtcdArgs)
	if err := c.startProcess(etcd); err != nil {
		return err
	}
	var workloadsEtcd *process
	var etcdMembers []*process
	if opts.WorkloadsEtcdMembers > 1 {
		c.WorkloadsEtcdDataDir = filepath.Join(c.RunDir, "workloads-etcd")
		for i := range opts.WorkloadsEtcdMembers {
			c.WorkloadsEtcdURLs = append(c.WorkloadsEtcdURLs, "https://127.0.0.1:"+strconv.Itoa(ha.etcdClient[i]))
			c.workloadsEtcdMetricsURLs = append(c.workloadsEtcdMetricsURLs, "http://127.0.0.1:"+strconv.Itoa(ha.etcdMetrics[i]))
		}
		etcdMembers = c.etcdClusterProcesses(ha)
		for _, p := range etcdMembers {
			if err := c.startProcess(p); err != nil {
				return err
			}
		}
	} else if opts.WorkloadsAPIServer && !opts.WorkloadsEmbeddedEtcd {
		c.WorkloadsEtcdURL = "http://127.0.0.1:" + strconv.Itoa(workloadsEtcdPort)
		c.WorkloadsEtcdDataDir = filepath.Join(c.RunDir, "workloads-etcd")
		workloadsEtcd = c.etcdProcess(ComponentWorkloadsEtcd, c.WorkloadsEtcdDataDir, workloadsEtcdPort, wEtcdPeerPt, opts.EtcdArgs)
		if err := c.startProcess(workloadsEtcd); err != nil {
			return err
		}
	} else if opts.WorkloadsAPIServer {
		c.WorkloadsEtcdDataDir = filepath.Join(c.RunDir, "workloads-embedded-etcd")
	}
	if err := c.waitEtcd(etcd, c.EtcdURL); err != nil {
		return err
	}
	if workloadsEtcd != nil {
		if err := c.waitEtcd(workloadsEtcd, c.WorkloadsEtcdURL); err != nil {
			return err
		}
	}
	for i, p := range etcdMembers {
		if err := c.waitHTTP(p, c.workloadsEtcdMetricsURLs[i]+"/health"); err != nil {
			return err
		}
	}
	c.logger.Logf("framework: etcd ready (%s)", time.Since(began).Round(time.Millisecond))

	// kube-apiserver.
	api := c.kubeAPIServerProcess(apiPort, etcdPort)
	if err := c.startProcess(api); err != nil {
		return err
	}
	if err := c.initClients(); err != nil {
		return err
	}
	if err := c.waitHTTPS(api, "/readyz", c.restConfig); err != nil {
		return err
	}
	c.logger.Logf("framework: kube-apiserver ready at %s (%s)", c.KubeAPIServerURL, time.Since(began).Round(time.Millisecond))

	// Everything that only needs kube-apiserver starts together.
	var kcm, sched, kwok, metrics, workloads *process
	if !opts.DisableControllerManager {
		kcm = c.kubeControllerManagerProcess(kcmPort)
		if err := c.startProcess(kcm); err != nil {
			return err
		}
	}
	if !opts.DisableScheduler {
		sched = c.kubeSchedulerProcess(schedPort)
		if err := c.startProcess(sched); err != nil {
			return err
		}
	}
	if !opts.DisableKwok {
		if kwok, err = c.kwokProcess(kwokPort); err != nil {
			return err
		}
		if err := c.startProcess(kwok); err != nil {
			return err
		}
	}
	if opts.MetricsServer {
		c.MetricsServerURL = "https://127.0.0.1:" + strconv.Itoa(metricsPort)
		metrics = c.metricsServerProcess(metricsPort)
		if err := c.startProcess(metrics); err != nil {
			return err
		}
	}
	var replicas []*process
	if opts.WorkloadsAPIServerReplicas > 1 {
		for _, port := range ha.replicas {
			c.WorkloadsAPIServerReplicaURLs = append(c.WorkloadsAPIServerReplicaURLs, "https://127.0.0.1:"+strconv.Itoa(port))
		}
		replicas = c.workloadsAPIServerReplicaProcesses(ha)
		for _, p := range replicas {
			if err := c.startProcess(p); err != nil {
				return err
			}
		}
	} else if opts.WorkloadsAPIServer {
		workloads = c.workloadsAPIServerProcess(ComponentWorkloadsAPIServer, workloadsPort)
		if err := c.startProcess(workloads); err != nil {
			return err
		}
	}

	if kcm != nil {
		if err := c.waitHTTPS(kcm, "/healthz", insecureProbeConfig("https://127.0.0.1:"+strconv.Itoa(kcmPort))); err != nil {
			return err
		}
	}
	if sched != nil {
		if err := c.waitHTTPS(sched, "/healthz", insecureProbeConfig("https://127.0.0.1:"+strconv.Itoa(schedPort))); err != nil {
			return err
		}
	}
	if kwok != nil {
		if err := c.waitHTTP(kwok, "http://127.0.0.1:"+strconv.Itoa(kwokPort)+"/healthz"); err != nil {
			return err
		}
		if opts.Nodes > 0 {
			if _, err := c.addNodes(c.ctx, opts.Nodes, opts.NodeLabels, opts.NodeTaints); err != nil {
				return err
			}
		}
	}
	if kcm != nil {
		if err := c.waitDefaultServiceAccount(); err != nil {
			return err
		}
	}
	c.logger.Logf("framework: control plane ready (%s)", time.Since(began).Round(time.Millisecond))

	if metrics != nil {
		// Not /readyz: metrics-server is ready only once it holds metrics,
		// which kwok produces only for nodes with running pods.
		if err := c.waitHTTPS(metrics, "/livez", c.servingProbeConfig(c.MetricsServerURL)); err != nil {
			return err
		}
		if err := c.registerAPIService(c.ctx, MetricsAPIServiceName, "metrics.k8s.io", "v1beta1",
			MetricsNamespace, MetricsServiceName, metricsPort, 100, 100); err != nil {
			return err
		}
	}
	if workloads != nil {
		if err := c.waitHTTPS(workloads, "/readyz", c.servingProbeConfig(c.WorkloadsAPIServerURL)); err != nil {
			return err
		}
		if err := c.RegisterWorkloadsAPIService(c.ctx, workloadsPort); err != nil {
			return err
		}
	}
	if len(replicas) > 0 {
		for i, p := range replicas {
			if err := c.waitHTTPS(p, "/readyz", c.servingProbeConfig(c.WorkloadsAPIServerReplicaURLs[i])); err != nil {
				return err
			}
		}
		if err := c.startLoadBalancer(); err != nil {
			return err
		}
		if err := c.RegisterWorkloadsAPIService(c.ctx, workloadsPort); err != nil {
			return err
		}
	}
	if metrics != nil {
		if err := c.waitAPIServiceAvailable(c.ctx, MetricsAPIServiceName, metrics); err != nil {
			return err
		}
	}
	if workloads != nil || len(replicas) > 0 {
		if err := c.waitAPIServiceAvailable(c.ctx, WorkloadsAPIServiceName, workloads); err != nil {
			return err
		}
		c.logger.Logf("framework: workloads-apiserver available at %s (%d replicas, %d etcd members) (%s)", c.WorkloadsAPIServerURL,
			max(1, len(replicas)), max(1, len(etcdMembers)), time.Since(began).Round(time.Millisecond))
	}
	if opts.WorkloadsControllerManager {
		if !opts.WorkloadsAPIServer {
			return errors.New("WorkloadsControllerManager requires WorkloadsAPIServer")
		}
		if opts.WorkloadsControllerManagers > 1 {
			c.WorkloadsControllerManagerPorts = ha.controllerManagers
			c.WorkloadsControllerManagerPort = ha.controllerManagers[0]
			cms := c.workloadsControllerManagerProcesses(ha)
			for _, p := range cms {
				if err := c.startProcess(p); err != nil {
					return err
				}
			}
			for i, p := range cms {
				if err := c.waitHTTPS(p, "/healthz", insecureProbeConfig("https://127.0.0.1:"+strconv.Itoa(ha.controllerManagers[i]))); err != nil {
					return err
				}
			}
		} else {
			wcm := c.workloadsControllerManagerProcess(ComponentWorkloadsControllerManager, c.WorkloadsControllerManagerPort)
			if err := c.startProcess(wcm); err != nil {
				return err
			}
			if err := c.waitWorkloadsControllerManager(wcm); err != nil {
				return err
			}
		}
	}
	c.logger.Logf("framework: cluster started in %s (run dir %s)", time.Since(began).Round(time.Millisecond), c.RunDir)
	return nil
}

// Stop terminates every component (reverse start order) and removes a
// temporary run dir unless Options.KeepRunDir. It is safe to call more than
// once.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		order := append([]string(nil), c.order...)
		c.mu.Unlock()
		var wg sync.WaitGroup
		// Stop clients of the API servers first, then the servers, then etcd
		// (replicated components are <component>-<index>).
		stages := [][]string{
			{ComponentWorkloadsControllerManager, ComponentKwok, ComponentKubeScheduler, ComponentKubeControllerManager, ComponentMetricsServer},
			{ComponentWorkloadsAPIServer, ComponentKubeAPIServer},
			{ComponentWorkloadsEtcd, ComponentEtcd},
		}
		inStage := func(name string, stage []string) bool {
			for _, s := range stage {
				if name == s || (strings.HasPrefix(name, s+"-") && isIndex(strings.TrimPrefix(name, s+"-"))) {
					return true
				}
			}
			return false
		}
		stopped := map[string]bool{}
		for n, stage := range stages {
			if n == 1 && c.balancer != nil {
				// Clients are gone; the balancer would only log the
				// replicas going away.
				_ = c.balancer.Close()
			}
			for _, name := range order {
				p := c.process(name)
				if p == nil || stopped[name] || !inStage(name, stage) {
					continue
				}
				stopped[name] = true
				wg.Add(1)
				go func() { defer wg.Done(); p.stop(stopGracePeriod) }()
			}
			wg.Wait()
		}
		for i := len(order) - 1; i >= 0; i-- {
			if p := c.process(order[i]); p != nil && !stopped[order[i]] {
				p.stop(stopGracePeriod)
			}
		}
		if c.cancel != nil {
			c.cancel()
		}
		if c.spawner != nil {
			c.spawner.close()
		}
		c.logger.close()
		if c.tempRunDir && !c.opts.KeepRunDir {
			c.stopErr = os.RemoveAll(c.RunDir)
		}
	})
	return c.stopErr
}

// Context is cancelled when the cluster stops.
func (c *Cluster) Context() context.Context { return c.ctx }

// RestConfig returns a new admin rest.Config for kube-apiserver.
func (c *Cluster) RestConfig() *rest.Config { return rest.CopyConfig(c.restConfig) }

// KubeClient returns an admin clientset for kube-apiserver.
func (c *Cluster) KubeClient() kubernetes.Interface { return c.kubeClient }

// AggregatorClient returns an admin clientset for APIServices.
func (c *Cluster) AggregatorClient() aggregatorclient.Interface { return c.aggregatorClient }

// LogPath returns the log file of a component (see the Component constants).
func (c *Cluster) LogPath(component string) string {
	return filepath.Join(c.LogDir, component+".log")
}

// Running reports whether a component is running.
func (c *Cluster) Running(component string) bool {
	p := c.process(component)
	return p != nil && p.running()
}

// PID returns the process id of a running component (see the Component
// constants), e.g. to read its CPU time and memory from /proc; false when it
// is not running.
func (c *Cluster) PID(component string) (int, bool) {
	p := c.process(component)
	if p == nil || !p.running() {
		return 0, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0, false
	}
	return p.cmd.Process.Pid, true
}

// KubectlPath is the kubectl built from the pinned Kubernetes release.
func (c *Cluster) KubectlPath() string { return filepath.Join(c.BinDir, "kubectl") }

// Kubectl runs `kubectl --kubeconfig=<admin> args...`.
func (c *Cluster) Kubectl(args ...string) (stdout, stderr string, err error) {
	return c.KubectlWithInput(nil, args...)
}

// KubectlWithInput is Kubectl with stdin (e.g. for `apply -f -`).
func (c *Cluster) KubectlWithInput(stdin []byte, args ...string) (stdout, stderr string, err error) {
	cmd := exec.CommandContext(c.ctx, c.KubectlPath(), append([]string{"--kubeconfig=" + c.KubeconfigPath}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	cmd.Env = append(os.Environ(), "HOME="+filepath.Join(c.RunDir, "home"), "KUBECONFIG="+c.KubeconfigPath)
	err = cmd.Run()
	if err != nil {
		err = fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), errb.String(), err
}

// RestartWorkloadsAPIServer stops workloads-apiserver, starts it again with the
// same flags and waits until it and its APIService are available.
func (c *Cluster) RestartWorkloadsAPIServer() error {
	p := c.process(ComponentWorkloadsAPIServer)
	if p == nil {
		return errors.New("workloads-apiserver was not started by the framework")
	}
	p.stop(c.opts.WorkloadsAPIServerTerminationGracePeriod)
	return c.StartWorkloadsAPIServer()
}

// StopWorkloadsAPIServer stops workloads-apiserver (SIGTERM, then SIGKILL
// after Options.WorkloadsAPIServerTerminationGracePeriod).
func (c *Cluster) StopWorkloadsAPIServer() error {
	p := c.process(ComponentWorkloadsAPIServer)
	if p == nil {
		return errors.New("workloads-apiserver was not started by the framework")
	}
	p.stop(c.opts.WorkloadsAPIServerTerminationGracePeriod)
	return nil
}

// StartWorkloadsAPIServer starts a stopped workloads-apiserver and waits until
// it and its APIService are available.
func (c *Cluster) StartWorkloadsAPIServer() error {
	p := c.process(ComponentWorkloadsAPIServer)
	if p == nil {
		return errors.New("workloads-apiserver was not started by the framework")
	}
	if err := p.start(); err != nil {
		return err
	}
	if err := c.waitHTTPS(p, "/readyz", c.servingProbeConfig(c.WorkloadsAPIServerURL)); err != nil {
		return err
	}
	return c.waitAPIServiceAvailable(c.ctx, WorkloadsAPIServiceName, p)
}

// KillWorkloadsAPIServer kills workloads-apiserver without a grace period.
func (c *Cluster) KillWorkloadsAPIServer() error {
	p := c.process(ComponentWorkloadsAPIServer)
	if p == nil {
		return errors.New("workloads-apiserver was not started by the framework")
	}
	p.stop(0)
	return nil
}

// StopWorkloadsEtcd stops the dedicated etcd of workloads-apiserver (graceful);
// its data dir is kept.
func (c *Cluster) StopWorkloadsEtcd() error {
	p := c.process(ComponentWorkloadsEtcd)
	if p == nil {
		return errors.New("no dedicated workloads etcd (WorkloadsAPIServer off or WorkloadsEmbeddedEtcd on)")
	}
	p.stop(stopGracePeriod)
	return nil
}

// StartWorkloadsEtcd starts the stopped workloads etcd again on the same data
// dir and port and waits until it is healthy.
func (c *Cluster) StartWorkloadsEtcd() error {
	p := c.process(ComponentWorkloadsEtcd)
	if p == nil {
		return errors.New("no dedicated workloads etcd (WorkloadsAPIServer off or WorkloadsEmbeddedEtcd on)")
	}
	if err := p.start(); err != nil {
		return err
	}
	return c.waitEtcd(p, c.WorkloadsEtcdURL)
}

// StopWorkloadsControllerManager and StartWorkloadsControllerManager stop and
// restart workloads-controller-manager (e.g. to test resync after downtime).
func (c *Cluster) StopWorkloadsControllerManager() error {
	p := c.process(ComponentWorkloadsControllerManager)
	if p == nil {
		return errors.New("workloads-controller-manager was not started by the framework")
	}
	p.stop(stopGracePeriod)
	return nil
}

// StartWorkloadsControllerManager starts workloads-controller-manager again
// after StopWorkloadsControllerManager.
func (c *Cluster) StartWorkloadsControllerManager() error {
	p := c.process(ComponentWorkloadsControllerManager)
	if p == nil {
		return errors.New("workloads-controller-manager was not started by the framework")
	}
	if err := p.start(); err != nil {
		return err
	}
	return c.waitWorkloadsControllerManager(p)
}

// UnexpectedExits lists the components that exited without being stopped.
func (c *Cluster) UnexpectedExits() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.unexpected...)
}

func (c *Cluster) process(name string) *process {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.procs[name]
}

func (c *Cluster) startProcess(p *process) error {
	c.mu.Lock()
	if _, ok := c.procs[p.name]; !ok {
		c.order = append(c.order, p.name)
	}
	c.procs[p.name] = p
	c.mu.Unlock()
	return p.start()
}

func (c *Cluster) newProcess(name, binary string, args []string, env []string) *process {
	return &process{
		name:    name,
		path:    binary,
		args:    args,
		env:     env,
		logPath: c.LogPath(name),
		spawner: c.spawner,
		onExit: func(name string, err error) {
			c.mu.Lock()
			c.unexpected = append(c.unexpected, name)
			c.mu.Unlock()
			c.logger.Logf("framework: %s exited unexpectedly (%v); last log lines:\n%s", name, err, tailFile(c.LogPath(name), 20))
		},
	}
}

func (c *Cluster) binary(name string) string { return filepath.Join(c.BinDir, name) }

func (c *Cluster) checkBinaries() error {
	need := []string{c.binary("etcd"), c.binary("kube-apiserver"), c.binary("kubectl")}
	if !c.opts.DisableControllerManager {
		need = append(need, c.binary("kube-controller-manager"))
	}
	if !c.opts.DisableScheduler {
		need = append(need, c.binary("kube-scheduler"))
	}
	if !c.opts.DisableKwok {
		need = append(need, c.binary("kwok"))
	}
	if c.opts.MetricsServer {
		need = append(need, c.binary("metrics-server"))
	}
	if c.opts.WorkloadsAPIServer {
		need = append(need, c.workloadsAPIServerBinary())
	}
	if c.opts.WorkloadsControllerManager {
		need = append(need, c.workloadsControllerManagerBinary())
	}
	var missing []string
	for _, b := range need {
		if _, err := os.Stat(b); err != nil {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing binaries %s: run hack/install-tools.sh (upstream tools) and build this repository's commands into _output/bin",
			strings.Join(missing, ", "))
	}
	return nil
}

func (c *Cluster) workloadsAPIServerBinary() string {
	if c.opts.WorkloadsAPIServerBinary != "" {
		return c.opts.WorkloadsAPIServerBinary
	}
	return c.binary("workloads-apiserver")
}

func (c *Cluster) workloadsControllerManagerBinary() string {
	if c.opts.WorkloadsControllerManagerBinary != "" {
		return c.opts.WorkloadsControllerManagerBinary
	}
	return c.binary("workloads-controller-manager")
}

func (c *Cluster) v() string { return "--v=" + strconv.Itoa(c.opts.Verbosity) }

func (c *Cluster) etcdProcess(name, dataDir string, clientPort, peerPort int, extra []string) *process {
	client := "http://127.0.0.1:" + strconv.Itoa(clientPort)
	peer := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	args := []string{
		"--name=" + name,
		"--data-dir=" + dataDir,
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=" + name + "=" + peer,
		"--initial-cluster-state=new",
		"--log-level=warn",
		// Test data: durability against power loss is not needed, and fsync
		// dominates etcd latency on small machines. Process crashes and
		// restarts (StopWorkloadsEtcd) are still durable: the page cache
		// survives them.
		"--unsafe-no-fsync",
	}
	return c.newProcess(name, c.binary("etcd"), append(args, extra...), nil)
}

func (c *Cluster) kubeAPIServerProcess(port, etcdPort int) *process {
	p := c.PKI
	args := []string{
		"--etcd-servers=http://127.0.0.1:" + strconv.Itoa(etcdPort),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--endpoint-reconciler-type=none",
		"--service-cluster-ip-range=" + serviceClusterIPRange,
		"--authorization-mode=Node,RBAC",
		"--allow-privileged=true",
		"--client-ca-file=" + p.CACert,
		"--tls-cert-file=" + p.APIServerCert,
		"--tls-private-key-file=" + p.APIServerKey,
		"--service-account-issuer=" + serviceAccountIssuer,
		"--service-account-key-file=" + p.ServiceAccountPub,
		"--service-account-signing-key-file=" + p.ServiceAccountKey,
		"--requestheader-client-ca-file=" + p.FrontProxyCACert,
		"--requestheader-allowed-names=front-proxy-client",
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-uid-headers=X-Remote-Uid",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + p.FrontProxyClientCert,
		"--proxy-client-key-file=" + p.FrontProxyClientKey,
		"--enable-aggregator-routing=false",
		"--profiling=false",
		c.v(),
	}
	return c.newProcess(ComponentKubeAPIServer, c.binary("kube-apiserver"), append(args, c.opts.KubeAPIServerArgs...), nil)
}

func (c *Cluster) kubeControllerManagerProcess(port int) *process {
	args := []string{
		"--kubeconfig=" + c.KubeconfigPath,
		"--authentication-kubeconfig=" + c.KubeconfigPath,
		"--authorization-kubeconfig=" + c.KubeconfigPath,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--leader-elect=false",
		"--controllers=" + strings.Join(c.opts.Controllers, ","),
		"--service-account-private-key-file=" + c.PKI.ServiceAccountKey,
		"--root-ca-file=" + c.PKI.CACert,
		// The default 20 QPS makes node set-up (taint removal on hundreds of
		// new nodes) and upstream workload controllers crawl; a test cluster
		// has no other tenants to protect.
		"--kube-api-qps=" + strconv.Itoa(kubeControllerManagerQPS),
		"--kube-api-burst=" + strconv.Itoa(2*kubeControllerManagerQPS),
		"--profiling=false",
		c.v(),
	}
	return c.newProcess(ComponentKubeControllerManager, c.binary("kube-controller-manager"),
		append(args, c.opts.KubeControllerManagerArgs...), nil)
}

func (c *Cluster) kubeSchedulerProcess(port int) *process {
	args := []string{
		"--kubeconfig=" + c.KubeconfigPath,
		"--authentication-kubeconfig=" + c.KubeconfigPath,
		"--authorization-kubeconfig=" + c.KubeconfigPath,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--leader-elect=false",
		"--profiling=false",
		c.v(),
	}
	return c.newProcess(ComponentKubeScheduler, c.binary("kube-scheduler"), append(args, c.opts.KubeSchedulerArgs...), nil)
}

func (c *Cluster) kwokProcess(port int) (*process, error) {
	config := filepath.Join(c.RunDir, "kwok-stages.yaml")
	if err := writeKwokConfig(config, c.RepoRoot, c.binary("kwok"), c.opts.KwokStages, c.opts.KwokNodeHeartbeatWithLease); err != nil {
		return nil, err
	}
	home := filepath.Join(c.RunDir, "kwok-home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, err
	}
	args := []string{
		"--kubeconfig=" + c.KubeconfigPath,
		"--config=" + config,
		"--manage-all-nodes=true",
		"--node-ip=127.0.0.1",
		"--node-port=" + strconv.Itoa(port),
		"--server-address=127.0.0.1:" + strconv.Itoa(port),
		"--cidr=" + kwokPodCIDR,
	}
	// kwok loads ~/.kwok/kwok.yaml: give it an empty HOME.
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH")}
	return c.newProcess(ComponentKwok, c.binary("kwok"), append(args, c.opts.KwokArgs...), env), nil
}

func (c *Cluster) metricsServerProcess(port int) *process {
	args := []string{
		"--kubeconfig=" + c.KubeconfigPath,
		"--authentication-kubeconfig=" + c.KubeconfigPath,
		"--authorization-kubeconfig=" + c.KubeconfigPath,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--tls-cert-file=" + c.PKI.MetricsServingCert,
		"--tls-private-key-file=" + c.PKI.MetricsServingKey,
		"--kubelet-insecure-tls",
		"--kubelet-use-node-status-port",
		"--kubelet-preferred-address-types=InternalIP",
		"--metric-resolution=10s",
		"--kubelet-request-timeout=5s",
		c.v(),
	}
	return c.newProcess(ComponentMetricsServer, c.binary("metrics-server"), append(args, c.opts.MetricsServerArgs...), nil)
}

func isIndex(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil && s != ""
}

func (c *Cluster) workloadsAPIServerProcess(name string, port int) *process {
	args := []string{
		"--secure-port=" + strconv.Itoa(port),
		"--bind-address=127.0.0.1",
		"--tls-cert-file=" + c.PKI.WorkloadsServingCert,
		"--tls-private-key-file=" + c.PKI.WorkloadsServingKey,
		"--kubeconfig=" + c.KubeconfigPath,
		"--authentication-kubeconfig=" + c.KubeconfigPath,
		"--authorization-kubeconfig=" + c.KubeconfigPath,
		"--runtime-config=" + WorkloadsGroup + "/" + WorkloadsVersion + "=true",
	}
	switch {
	case c.opts.WorkloadsEmbeddedEtcd:
		args = append(args, "--etcd-data-dir="+c.WorkloadsEtcdDataDir)
	case len(c.WorkloadsEtcdURLs) > 0:
		args = append(args,
			"--etcd-servers="+strings.Join(c.WorkloadsEtcdURLs, ","),
			"--etcd-cafile="+c.PKI.EtcdCACert,
			"--etcd-certfile="+c.PKI.EtcdClientCert,
			"--etcd-keyfile="+c.PKI.EtcdClientKey,
		)
	default:
		args = append(args, "--etcd-servers="+c.WorkloadsEtcdURL)
	}
	return c.newProcess(name, c.workloadsAPIServerBinary(), append(args, c.opts.WorkloadsAPIServerArgs...), nil)
}

// waitWorkloadsControllerManager waits until workloads-controller-manager
// answers /healthz on its secure port (self-signed; anonymous health checks).
func (c *Cluster) waitWorkloadsControllerManager(p *process) error {
	return c.waitHTTPS(p, "/healthz", insecureProbeConfig("https://127.0.0.1:"+strconv.Itoa(c.WorkloadsControllerManagerPort)))
}

func (c *Cluster) workloadsControllerManagerProcess(name string, port int, extra ...string) *process {
	args := []string{
		"--kubeconfig=" + c.KubeconfigPath,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		c.v(),
	}
	args = append(args, extra...)
	return c.newProcess(name, c.workloadsControllerManagerBinary(),
		append(args, c.opts.WorkloadsControllerManagerArgs...), nil)
}

// writeKubeconfig writes the admin kubeconfig with embedded credentials, so it
// stays valid when copied elsewhere.
func (c *Cluster) writeKubeconfig() error {
	ca, err := os.ReadFile(c.PKI.CACert)
	if err != nil {
		return err
	}
	cert, err := os.ReadFile(c.PKI.AdminCert)
	if err != nil {
		return err
	}
	key, err := os.ReadFile(c.PKI.AdminKey)
	if err != nil {
		return err
	}
	const name = "workloads-test"
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: c.KubeAPIServerURL, CertificateAuthorityData: ca}
	cfg.AuthInfos[name+"-admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name + "-admin"}
	cfg.CurrentContext = name
	c.KubeconfigPath = filepath.Join(c.RunDir, "admin.kubeconfig")
	return clientcmd.WriteToFile(*cfg, c.KubeconfigPath)
}

func (c *Cluster) initClients() error {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.KubeconfigPath)
	if err != nil {
		return err
	}
	// Tests and benchmarks create many objects quickly; client-side throttling
	// would only measure the client.
	cfg.QPS, cfg.Burst = 1000, 2000
	cfg.UserAgent = "workloads-test-framework"
	c.restConfig = cfg
	if c.kubeClient, err = kubernetes.NewForConfig(cfg); err != nil {
		return err
	}
	if c.aggregatorClient, err = aggregatorclient.NewForConfig(cfg); err != nil {
		return err
	}
	return nil
}

// RepoRoot walks up from the working directory to the directory holding the
// go.mod of this repository.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod found in %s or any parent directory", dir)
		}
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free when asked, for a
// test that starts a server of its own next to the cluster.
func FreePort() (int, error) {
	ports, err := freePorts(1)
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	return ports[0], nil
}

// freePorts reserves n distinct free TCP ports on 127.0.0.1. All listeners are
// held until every port is chosen, so the ports are distinct; they are released
// for the components to bind.
func freePorts(n int) ([]int, error) {
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
