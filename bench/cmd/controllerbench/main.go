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

// Command controllerbench starts one local cluster with kwok nodes, runs
// kube-controller-manager's apps/v1 DaemonSet, Deployment and ReplicaSet
// controllers next to workloads-controller-manager (same client QPS and
// burst), and measures both on the same workloads: a DaemonSet over every
// node, and a Deployment created and then rolled out. It reports time until
// every pod is available and API writes per pod, counted from
// kube-apiserver's audit log by user agent, with the ratios.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/bench/controllers"
	"github.com/kube-experimental/workloads-apiserver/bench/internal/cpuprofile"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

type options struct {
	nodes, replicas int
	qps, burst      int
	schedulerQPS    int
	rounds          int
	scenarios       string
	oursArgs        []string
	jobCompletions  int
	jobParallelism  int
	cronJobs        int
	unrelatedPods   int
	cheapNodes      bool
	nodeLease       time.Duration
	nodeGrace       time.Duration
	scale           bool
	cronCreate      time.Duration
	out             string
	runDir          string
	auditLog        string
	keepRunDir      bool
	cpuProfileDir   string
	phaseTimeout    time.Duration
	timeout         time.Duration
}

// Full scale (tracker issue 16): what --scale sets unless a flag says
// otherwise.
const (
	scaleNodes          = 5000
	scaleReplicas       = 10000
	scaleJobCompletions = 10000
	scaleJobParallelism = 1000
	scaleCronJobs       = 5000
	scaleUnrelatedPods  = 10000
)

// applyScale sets the --scale defaults on every option whose flag was not
// given.
func applyScale(o *options, given map[string]bool) {
	set := func(name string, apply func()) {
		if !given[name] {
			apply()
		}
	}
	set("nodes", func() { o.nodes = scaleNodes })
	set("replicas", func() { o.replicas = scaleReplicas })
	set("job-completions", func() { o.jobCompletions = scaleJobCompletions })
	set("job-parallelism", func() { o.jobParallelism = scaleJobParallelism })
	set("cronjobs", func() { o.cronJobs = scaleCronJobs })
	set("unrelated-pods", func() { o.unrelatedPods = scaleUnrelatedPods })
	set("cheap-nodes", func() { o.cheapNodes = true })
	set("rounds", func() { o.rounds = 1 })
	set("timeout", func() { o.timeout = 3 * time.Hour })
}

// reducedScale lists how a --scale run differs from the full size.
func reducedScale(o options) []string {
	var out []string
	for _, c := range []struct {
		name      string
		got, full int
	}{
		{"nodes", o.nodes, scaleNodes},
		{"replicas", o.replicas, scaleReplicas},
		{"job-completions", o.jobCompletions, scaleJobCompletions},
		{"job-parallelism", o.jobParallelism, scaleJobParallelism},
		{"cronjobs", o.cronJobs, scaleCronJobs},
		{"unrelated-pods", o.unrelatedPods, scaleUnrelatedPods},
	} {
		if c.got != c.full {
			out = append(out, fmt.Sprintf("--%s=%d (full: %d)", c.name, c.got, c.full))
		}
	}
	for _, sc := range []string{"daemonset", "deployment", "job", "cronjob"} {
		if !slices.Contains(strings.Split(o.scenarios, ","), sc) {
			out = append(out, "scenario "+sc+" left out")
		}
	}
	return out
}

func main() {
	var o options
	fs := flag.CommandLine
	fs.BoolVar(&o.scale, "scale", false, fmt.Sprintf("the scale run of tracker issue 16: unless given, --nodes=%d --replicas=%d --job-completions=%d --job-parallelism=%d --cronjobs=%d --unrelated-pods=%d --cheap-nodes --rounds=1 --timeout=3h; the report says which sizes differ from these",
		scaleNodes, scaleReplicas, scaleJobCompletions, scaleJobParallelism, scaleCronJobs, scaleUnrelatedPods))
	fs.IntVar(&o.nodes, "nodes", 500, "kwok nodes (the DaemonSet runs a pod on each)")
	fs.IntVar(&o.replicas, "replicas", 500, "Deployment replicas")
	fs.IntVar(&o.qps, "kube-api-qps", 200, "client QPS of both controller managers")
	fs.IntVar(&o.burst, "kube-api-burst", 400, "client burst of both controller managers")
	fs.IntVar(&o.schedulerQPS, "scheduler-qps", 1000, "kube-scheduler's client QPS (burst twice that), so binding pods does not bound the measurement")
	fs.StringVar(&o.scenarios, "scenarios", "daemonset,deployment,job,cronjob", "comma-separated scenarios to run: daemonset, deployment, job, cronjob")
	fs.IntVar(&o.jobCompletions, "job-completions", 1000, "completions of the Job (pods succeed a second after they start)")
	fs.IntVar(&o.jobParallelism, "job-parallelism", 100, "parallelism of the Job")
	fs.IntVar(&o.cronJobs, "cronjobs", 500, "CronJobs firing every minute (their Jobs are created suspended)")
	fs.IntVar(&o.unrelatedPods, "unrelated-pods", 0, "pods of unrelated owners (ConfigMaps) in the namespace of the Deployment and Job phases, which then share one namespace per round")
	fs.BoolVar(&o.cheapNodes, "cheap-nodes", false, "simulate nodes whose liveness is their Lease: kwok's node-heartbeat-with-lease stage instead of node-heartbeat, kwok --node-lease-duration-seconds from --node-lease-duration, kube-controller-manager --node-monitor-grace-period from --node-monitor-grace-period")
	fs.DurationVar(&o.nodeLease, "node-lease-duration", 10*time.Minute, "with --cheap-nodes: kwok's node Lease duration (renewed every quarter of it)")
	fs.DurationVar(&o.nodeGrace, "node-monitor-grace-period", 10*time.Minute, "with --cheap-nodes: kube-controller-manager's --node-monitor-grace-period (above the Lease renew interval)")
	fs.DurationVar(&o.cronCreate, "cronjob-create-within", 0, "start creating the CronJobs only with at least this much of the current minute left (else wait for the next one), so they all fire in the same minute (default 5s + 6ms per CronJob)")
	fs.Func("ours-arg", "an extra workloads-controller-manager flag, e.g. --ours-arg=--concurrent-cron-job-syncs=10 (repeatable; the report says which were given)", func(v string) error {
		o.oursArgs = append(o.oursArgs, v)
		return nil
	})
	fs.IntVar(&o.rounds, "rounds", 2, "rounds of every comparison; the order alternates, times are averaged and writes summed")
	fs.StringVar(&o.out, "out", filepath.Join("_output", "bench", "controllers.md"), "markdown report (relative to the repository root unless absolute)")
	fs.StringVar(&o.runDir, "run-dir", "", "cluster run directory (default: a new temporary directory)")
	fs.BoolVar(&o.keepRunDir, "keep-run-dir", false, "keep the cluster's run directory (certificates, logs)")
	fs.StringVar(&o.auditLog, "audit-log", "", "where kube-apiserver writes the audit log of the run's writes (default: a temporary file, removed)")
	fs.StringVar(&o.cpuProfileDir, "cpu-profile-dir", "", "record CPU profiles of both controller managers over every phase into this directory (<phase>-<implementation>-<n>.pprof, 10 s each; `go tool pprof` merges the files given); kube-controller-manager then runs with --profiling, as ours always does")
	fs.DurationVar(&o.phaseTimeout, "phase-timeout", 10*time.Minute, "bound on each measured phase; a phase that hits it is reported as a timeout with what it reached, and the run goes on")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Minute, "bound on the whole run (the report then holds what was measured)")
	klog.InitFlags(fs)
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "controllerbench: unexpected arguments %v\n", flag.Args())
		os.Exit(2)
	}
	if o.scale {
		given := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { given[f.Name] = true })
		applyScale(&o, given)
	}
	if o.cronCreate <= 0 {
		o.cronCreate = 5*time.Second + time.Duration(o.cronJobs)*6*time.Millisecond
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(klog.NewContext(ctx, klog.Background()), o)
	stop()
	klog.Flush()
	if err != nil {
		fmt.Fprintf(os.Stderr, "controllerbench: %v\n", err)
		os.Exit(1)
	}
}
func run(ctx context.Context, o options) (retErr error) {
	logger := klog.FromContext(ctx)
	root, err := framework.RepoRoot()
	if err != nil {
		return err
	}
	out := o.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	auditDir, err := os.MkdirTemp("", "controllerbench-audit-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(auditDir)
	policy := filepath.Join(auditDir, "policy.yaml")
	if err := os.WriteFile(policy, []byte(controllers.AuditPolicy), 0o600); err != nil {
		return err
	}
	audit := controllers.AuditLog{Path: filepath.Join(auditDir, "audit.log")}
	if o.auditLog != "" {
		audit.Path = o.auditLog
	}

	clientFlags := []string{"--kube-api-qps=" + strconv.Itoa(o.qps), "--kube-api-burst=" + strconv.Itoa(o.burst)}
	var kwokArgs, kcmArgs []string
	if o.cheapNodes {
		kwokArgs = append(kwokArgs, "--node-lease-duration-seconds="+strconv.Itoa(int(o.nodeLease.Seconds())))
		kcmArgs = append(kcmArgs, "--node-monitor-grace-period="+o.nodeGrace.String())
	}
	logf := func(format string, args ...any) { logger.Info(fmt.Sprintf(format, args...)) }
	startedCluster := time.Now()
	c, stopCluster, err := framework.Start(ctx, framework.Options{
		RunDir:     o.runDir,
		KeepRunDir: o.keepRunDir,
		Verbosity:  -1,
		Nodes:      o.nodes,
		// The upstream workload controllers run in a kube-controller-manager
		// of their own (startUpstream); this one keeps the cluster's.
		KubeControllerManagerArgs:  kcmArgs,
		KwokNodeHeartbeatWithLease: o.cheapNodes,
		KwokArgs:                   kwokArgs,
		// kube-scheduler binds every pod of both sides; at its default 50 QPS
		// binding 500 pods takes 8 s whichever controller created them, so
		// it is raised to keep the controllers the thing measured.
		KubeSchedulerArgs: []string{"--kube-api-qps=" + strconv.Itoa(o.schedulerQPS), "--kube-api-burst=" + strconv.Itoa(2*o.schedulerQPS)},
		KubeAPIServerArgs: []string{
			"--audit-policy-file=" + policy,
			"--audit-log-path=" + audit.Path,
			"--audit-log-format=json",
			"--audit-log-mode=blocking",
			// The writes of a phase are counted between two offsets of
			// one file: never rotate it (the default rotates at 100 MB,
			// which a scale run passes every few minutes).
			"--audit-log-maxsize=0",
		},
		WorkloadsAPIServer:         true,
		WorkloadsControllerManager: true,
		WorkloadsControllerManagerArgs: append(append(slices.Clone(clientFlags),
			"--controllers="+upstreamControllers, "--leader-elect=false"), o.oursArgs...),
		StartTimeout: 10 * time.Minute,
	}, framework.LoggerFunc(logf))
	if err != nil {
		return fmt.Errorf("starting the cluster: %w", err)
	}
	defer func() {
		if err := stopCluster(); err != nil {
			logger.Error(err, "Stopping the cluster")
		}
	}()
	logf("cluster with %d nodes up in %s", o.nodes, time.Since(startedCluster).Round(time.Second))
	upstream, err := startUpstream(ctx, c, o.cpuProfileDir != "", clientFlags)
	if upstream != nil {
		defer func() {
			if err := upstream.stop(); err != nil {
				logger.Error(err, "Stopping kube-controller-manager")
			}
		}()
	}
	if err != nil {
		return err
	}
	ourPID, ok := c.PID(framework.ComponentWorkloadsControllerManager)
	if !ok {
		return fmt.Errorf("workloads-controller-manager is not running")
	}
	ours, err := clientset.NewForConfig(c.RestConfig())
	if err != nil {
		return err
	}
	kube := c.KubeClient()
	runner := &controllers.Runner{Kube: kube, Audit: audit, Timeout: o.phaseTimeout, Logf: logf,
		PIDs: map[controllers.Implementation]int{controllers.Upstream: upstream.PID(), controllers.Ours: ourPID}}
	cluster := newClusterCPU(c, upstream.PID())
	if o.cpuProfileDir != "" {
		if runner.Profiler, err = newProfiler(c, o.cpuProfileDir, upstream.port, logf); err != nil {
			return err
		}
	}

	var ms []controllers.Measurement
	var lags []controllers.LagMeasurement
	began := time.Now()
	// Whatever happens, the report holds what was measured.
	defer func() {
		if err := writeReport(kube, o, out, began, ms, lags, cluster.String(), retErr); err != nil {
			retErr = errors.Join(retErr, err)
		}
	}()
	nodes := make([]string, o.nodes)
	for i := range nodes {
		nodes[i] = framework.NodeNamePrefix + strconv.Itoa(i)
	}
	run := sets.New(strings.Split(o.scenarios, ",")...)
	unrelatedDone := false
	// Each round runs every pair; odd rounds run ours first, so neither side
	// always meets a warmer cluster.
	for round := range o.rounds {
		// With unrelated pods, the Deployment and Job phases of both sides
		// share one namespace that holds them.
		shared := ""
		if o.unrelatedPods > 0 && (run.Has("deployment") || run.Has("job")) {
			shared = "bench-scale"
		}
		for _, pair := range []struct {
			name    string
			targets []controllers.Target
			pods    int
		}{
			{"daemonset", controllers.DaemonSetTargets(kube, ours, o.nodes), o.nodes},
			{"deployment", controllers.DeploymentTargets(kube, ours, o.replicas), o.replicas},
			{"job", controllers.JobTargets(kube, ours, o.jobCompletions, o.jobParallelism), o.jobCompletions},
		} {
			if !run.Has(pair.name) {
				continue
			}
			if round%2 == 1 {
				slices.Reverse(pair.targets)
			}
			if pair.name != "daemonset" && shared != "" && !unrelatedDone {
				if err := runner.CreateUnrelatedPods(ctx, shared, o.unrelatedPods, nodes); err != nil {
					return err
				}
				unrelatedDone = true
			}
			for i, t := range pair.targets {
				ns := fmt.Sprintf("bench-%s-%d-%d", pair.name, round, i)
				if pair.name != "daemonset" && shared != "" {
					ns = shared
				}
				m, err := runner.Run(ctx, t, ns, pair.pods)
				ms = append(ms, m...)
				if err != nil {
					return err
				}
			}
		}
		if run.Has("cronjob") {
			targets := controllers.CronJobTargets(kube, ours)
			if round%2 == 1 {
				slices.Reverse(targets)
			}
			for i, t := range targets {
				m, err := runner.RunCronJobs(ctx, t, fmt.Sprintf("bench-cronjob-%d-%d", round, i), o.cronJobs, o.cronCreate)
				lags = append(lags, m)
				if err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func writeReport(kube kubernetes.Interface, o options, out string, began time.Time, ms []controllers.Measurement, lags []controllers.LagMeasurement, clusterCPU string, runErr error) error {
	kubeVersion := "unknown"
	if v, err := kube.Discovery().ServerVersion(); err == nil {
		kubeVersion = v.GitVersion
	}
	title := "# Controller benchmark"
	goals := controllers.DefaultGoals
	if o.scale {
		goals = controllers.ScaleGoals
		title = "# Controller benchmark, scale run (issue 16)"
		if reduced := reducedScale(o); len(reduced) > 0 {
			title += "\n\n**REDUCED SIZE, not the full scale run:** " + strings.Join(reduced, ", ") + "."
		} else {
			title += "\n\nFull size."
		}
	}
	header := fmt.Sprintf("%s\n\nrun %s, took %s; kube %s, %d CPUs, %s; %d kwok nodes, %d Deployment replicas, a Job of %d completions at parallelism %d, %d CronJobs, %d unrelated pods; both controller managers at %d QPS / %d burst (kube-scheduler %d QPS); %d rounds, alternating which runs first; times and CPU are means, writes per pod are over all rounds, peak RSS the highest; phase bound %s.",
		title, began.UTC().Format(time.RFC3339), time.Since(began).Round(time.Second), kubeVersion, runtime.NumCPU(), runtime.Version(),
		o.nodes, o.replicas, o.jobCompletions, o.jobParallelism, o.cronJobs, o.unrelatedPods, o.qps, o.burst, o.schedulerQPS, o.rounds, o.phaseTimeout)
	if o.cheapNodes {
		header += fmt.Sprintf(" Nodes: kwok node-heartbeat-with-lease stage (status every 10 to 20 min), node Lease of %s renewed every %s, kube-controller-manager --node-monitor-grace-period=%s (see bench/README.md).",
			o.nodeLease, o.nodeLease/4, o.nodeGrace)
	}
	if len(o.oursArgs) > 0 {
		header += fmt.Sprintf(" workloads-controller-manager was given %v.", o.oursArgs)
	}
	header += "\n\nCommand: `" + strings.Join(append([]string{"controllerbench"}, os.Args[1:]...), " ") + "`"
	if clusterCPU != "" {
		header += "\n\n" + clusterCPU
	}
	if runErr != nil {
		header += fmt.Sprintf("\n\n**The run stopped early:** %v. The tables hold what was measured before.", runErr)
	}
	report := controllers.Markdown(controllers.Rows(ms), header, goals)
	if len(lags) > 0 {
		report += "\n" + controllers.LagMarkdown(lags, goals)
	}
	fmt.Println()
	fmt.Println(report)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(out, []byte(report), 0o644); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	fmt.Printf("markdown report: %s\n", out)
	return nil
}

// clusterCPU reads the CPU time the cluster's processes spent over the run,
// to show what bounded it.
type clusterCPU struct {
	pids  map[string]int
	start map[string]float64
	began time.Time
}

func newClusterCPU(c *framework.Cluster, upstreamPID int) *clusterCPU {
	cc := &clusterCPU{pids: map[string]int{}, start: map[string]float64{}, began: time.Now()}
	for _, comp := range []string{framework.ComponentKubeAPIServer, framework.ComponentEtcd, framework.ComponentKwok, framework.ComponentKubeScheduler,
		framework.ComponentKubeControllerManager, framework.ComponentWorkloadsAPIServer, framework.ComponentWorkloadsControllerManager} {
		if pid, ok := c.PID(comp); ok {
			cc.pids[comp] = pid
		}
	}
	cc.pids["kube-controller-manager (workload controllers)"] = upstreamPID
	for name, pid := range cc.pids {
		if v, err := controllers.CPUSeconds(pid); err == nil {
			cc.start[name] = v
		}
	}
	return cc
}

func (cc *clusterCPU) String() string {
	if cc == nil {
		return ""
	}
	wall := time.Since(cc.began)
	names := slices.Sorted(maps.Keys(cc.start))
	var parts []string
	for _, name := range names {
		v, err := controllers.CPUSeconds(cc.pids[name])
		if err != nil {
			continue
		}
		d := v - cc.start[name]
		parts = append(parts, fmt.Sprintf("%s %.0f s (%.0f%% of a core)", name, d, 100*d/wall.Seconds()))
	}
	return fmt.Sprintf("CPU of the cluster's processes over the measured %s: %s.", wall.Round(time.Second), strings.Join(parts, ", "))
}

// newProfiler records CPU profiles of both controller managers into dir,
// as the cluster's admin (authorized for /debug/pprof on both).
func newProfiler(c *framework.Cluster, dir string, upstreamPort int, logf func(string, ...any)) (*cpuprofile.Profiler, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p := &cpuprofile.Profiler{Dir: dir, Logf: logf, Endpoints: map[string]cpuprofile.Endpoint{}}
	for impl, port := range map[controllers.Implementation]int{controllers.Upstream: upstreamPort, controllers.Ours: c.WorkloadsControllerManagerPort} {
		cfg := c.LocalControllerManagerConfig(port)
		cfg.Timeout = 2 * time.Minute
		client, err := rest.HTTPClientFor(cfg)
		if err != nil {
			return nil, fmt.Errorf("a client for the controller manager at %s: %w", cfg.Host, err)
		}
		p.Endpoints[string(impl)] = cpuprofile.Endpoint{URL: cfg.Host, Client: client}
	}
	return p, nil
}
