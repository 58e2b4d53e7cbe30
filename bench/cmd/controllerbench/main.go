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
	"flag"
	"fmt"
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
	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/bench/controllers"
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
	out             string
	runDir          string
	auditLog        string
	keepRunDir      bool
	phaseTimeout    time.Duration
	timeout         time.Duration
}

func main() {
	var o options
	fs := flag.CommandLine
	fs.IntVar(&o.nodes, "nodes", 500, "kwok nodes (the DaemonSet runs a pod on each)")
	fs.IntVar(&o.replicas, "replicas", 500, "Deployment replicas")
	fs.IntVar(&o.qps, "kube-api-qps", 200, "client QPS of both controller managers")
	fs.IntVar(&o.burst, "kube-api-burst", 400, "client burst of both controller managers")
	fs.IntVar(&o.schedulerQPS, "scheduler-qps", 1000, "kube-scheduler's client QPS (burst twice that), so binding pods does not bound the measurement")
	fs.StringVar(&o.scenarios, "scenarios", "daemonset,deployment,job,cronjob", "comma-separated scenarios to run: daemonset, deployment, job, cronjob")
	fs.IntVar(&o.jobCompletions, "job-completions", 1000, "completions of the Job (pods succeed a second after they start)")
	fs.IntVar(&o.jobParallelism, "job-parallelism", 100, "parallelism of the Job")
	fs.IntVar(&o.cronJobs, "cronjobs", 500, "CronJobs firing every minute (their Jobs are created suspended)")
	fs.Func("ours-arg", "an extra workloads-controller-manager flag, e.g. --ours-arg=--concurrent-cron-job-syncs=10 (repeatable; the report says which were given)", func(v string) error {
		o.oursArgs = append(o.oursArgs, v)
		return nil
	})
	fs.IntVar(&o.rounds, "rounds", 2, "rounds of every comparison; the order alternates, times are averaged and writes summed")
	fs.StringVar(&o.out, "out", filepath.Join("_output", "bench", "controllers.md"), "markdown report (relative to the repository root unless absolute)")
	fs.StringVar(&o.runDir, "run-dir", "", "cluster run directory (default: a new temporary directory)")
	fs.BoolVar(&o.keepRunDir, "keep-run-dir", false, "keep the cluster's run directory (certificates, logs)")
	fs.StringVar(&o.auditLog, "audit-log", "", "where kube-apiserver writes the audit log of the run's writes (default: a temporary file, removed)")
	fs.DurationVar(&o.phaseTimeout, "phase-timeout", 10*time.Minute, "bound on each measured phase")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Minute, "bound on the whole run")
	klog.InitFlags(fs)
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "controllerbench: unexpected arguments %v\n", flag.Args())
		os.Exit(2)
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

func run(ctx context.Context, o options) error {
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
	logf := func(format string, args ...any) { logger.Info(fmt.Sprintf(format, args...)) }
	c, stopCluster, err := framework.Start(ctx, framework.Options{
		RunDir:     o.runDir,
		KeepRunDir: o.keepRunDir,
		Verbosity:  -1,
		Nodes:      o.nodes,
		Controllers: append(slices.Clone(framework.DefaultControllers),
			"daemonset", "deployment", "replicaset", "job", "cronjob"),
		KubeControllerManagerArgs: clientFlags,
		// kube-scheduler binds every pod of both sides; at its default 50 QPS
		// binding 500 pods takes 8 s whichever controller created them, so
		// it is raised to keep the controllers the thing measured.
		KubeSchedulerArgs: []string{"--kube-api-qps=" + strconv.Itoa(o.schedulerQPS), "--kube-api-burst=" + strconv.Itoa(2*o.schedulerQPS)},
		KubeAPIServerArgs: []string{
			"--audit-policy-file=" + policy,
			"--audit-log-path=" + audit.Path,
			"--audit-log-format=json",
			"--audit-log-mode=blocking",
		},
		WorkloadsAPIServer:         true,
		WorkloadsControllerManager: true,
		WorkloadsControllerManagerArgs: append(append(slices.Clone(clientFlags),
			"--controllers=daemonset,deployment,replicaset,job,cronjob", "--leader-elect=false"), o.oursArgs...),
		StartTimeout: 5 * time.Minute,
	}, framework.LoggerFunc(logf))
	if err != nil {
		return fmt.Errorf("starting the cluster: %w", err)
	}
	defer func() {
		if err := stopCluster(); err != nil {
			logger.Error(err, "Stopping the cluster")
		}
	}()
	ours, err := clientset.NewForConfig(c.RestConfig())
	if err != nil {
		return err
	}
	kube := c.KubeClient()
	runner := &controllers.Runner{Kube: kube, Audit: audit, Timeout: o.phaseTimeout, Logf: logf}

	var ms []controllers.Measurement
	began := time.Now()
	run := sets.New(strings.Split(o.scenarios, ",")...)
	var lags []controllers.LagMeasurement
	// Each round runs every pair; odd rounds run ours first, so neither side
	// always meets a warmer cluster.
	for round := range o.rounds {
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
			for i, t := range pair.targets {
				m, err := runner.Run(ctx, t, fmt.Sprintf("bench-%s-%d-%d", pair.name, round, i), pair.pods)
				if err != nil {
					return err
				}
				ms = append(ms, m...)
			}
		}
		if run.Has("cronjob") {
			targets := controllers.CronJobTargets(kube, ours)
			if round%2 == 1 {
				slices.Reverse(targets)
			}
			for i, t := range targets {
				m, err := runner.RunCronJobs(ctx, t, fmt.Sprintf("bench-cronjob-%d-%d", round, i), o.cronJobs)
				if err != nil {
					return err
				}
				lags = append(lags, m)
			}
		}
	}
	kubeVersion := "unknown"
	if v, err := kube.Discovery().ServerVersion(); err == nil {
		kubeVersion = v.GitVersion
	}
	header := fmt.Sprintf("# Controller benchmark\n\nrun %s, took %s; kube %s, %d CPUs, %s; %d kwok nodes, %d Deployment replicas, a Job of %d completions at parallelism %d, %d CronJobs; both controller managers at %d QPS / %d burst (kube-scheduler %d QPS); %d rounds, alternating which runs first; times are means, writes per pod are over all rounds.",
		began.UTC().Format(time.RFC3339), time.Since(began).Round(time.Second), kubeVersion, runtime.NumCPU(), runtime.Version(),
		o.nodes, o.replicas, o.jobCompletions, o.jobParallelism, o.cronJobs, o.qps, o.burst, o.schedulerQPS, o.rounds)
	if len(o.oursArgs) > 0 {
		header += fmt.Sprintf(" workloads-controller-manager was given %v.", o.oursArgs)
	}
	report := controllers.Markdown(controllers.Rows(ms), header)
	if len(lags) > 0 {
		report += "\n" + controllers.LagMarkdown(lags)
	}
	fmt.Println()
	fmt.Println(report)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(out, []byte(report), 0o644); err != nil {
		return err
	}
	fmt.Printf("markdown report: %s\n", out)
	return nil
}
