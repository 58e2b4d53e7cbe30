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

// Command apibench starts a local cluster with workloads-apiserver and
// measures Deployments side by side: apps/v1 served by kube-apiserver, a CRD
// with the same schema, and experimental/v1alpha1 through the aggregation
// proxy and straight from workloads-apiserver. It prints a table with ratios
// to apps/v1 and writes it as markdown (see bench/README.md).
package main

import (
	"context"
	"errors"
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

	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	benchapi "github.com/kube-experimental/workloads-apiserver/bench/api"
	"github.com/kube-experimental/workloads-apiserver/bench/internal/cpuprofile"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

type options struct {
	cfg          benchapi.Config
	listSizes    string
	qps          float64
	burst        int
	out          string
	runDir       string
	keepRunDir   bool
	timeout      time.Duration
	startTimeout time.Duration
	targets      string
	rounds       int
	workloadArgs stringList
	kubeArgs     stringList
	fanout       string
	profileDir   string
	profileChunk time.Duration
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// allTargets are the target keys in table order.
var allTargets = []string{
	benchapi.KeyNative, benchapi.KeyNative + benchapi.SuffixEditor, benchapi.KeyNative + benchapi.SuffixProtobuf,
	benchapi.KeyCRD, benchapi.KeyCRD + benchapi.SuffixEditor,
	benchapi.KeyAggregated, benchapi.KeyAggregated + benchapi.SuffixEditor, benchapi.KeyAggregated + benchapi.SuffixProtobuf,
	benchapi.KeyDirect, benchapi.KeyDirect + benchapi.SuffixEditor,
	// Opt-in (not in the default run): the editor speaking protobuf.
	benchapi.KeyNative + benchapi.SuffixEditor + benchapi.SuffixProtobuf,
	benchapi.KeyAggregated + benchapi.SuffixEditor + benchapi.SuffixProtobuf,
}

// defaultTargets are the targets of a run without --targets.
var defaultTargets = allTargets[:len(allTargets)-2]

func main() {
	var o options
	fs := flag.CommandLine
	fs.IntVar(&o.cfg.Ops, "ops", 1000, "measured creates, gets and updates per target")
	fs.IntVar(&o.cfg.ListOps, "list-ops", 10, "measured lists per target and list size")
	fs.StringVar(&o.listSizes, "list-sizes", "1000,5000", "comma-separated object counts at which lists are measured (ascending; the smallest must be at least ops)")
	fs.IntVar(&o.cfg.Concurrency, "concurrency", 8, "workers issuing requests at once, per target")
	fs.IntVar(&o.cfg.Warmup, "warmup", 50, "unmeasured create, get, list and delete rounds per target before measuring")
	fs.DurationVar(&o.cfg.WatchTimeout, "watch-timeout", time.Minute, "how long to wait for the last watch events")
	fs.Float64Var(&o.qps, "qps", 5000, "client-side QPS limit of every client")
	fs.IntVar(&o.burst, "burst", 10000, "client-side burst of every client")
	fs.StringVar(&o.out, "out", filepath.Join("_output", "bench", "api.md"), "markdown report (a relative path is relative to the repository root)")
	fs.StringVar(&o.runDir, "run-dir", "", "cluster run directory (default: a new temporary directory)")
	fs.BoolVar(&o.keepRunDir, "keep-run-dir", false, "keep the cluster's run directory (certificates, logs) after the run")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Minute, "bound on the whole run")
	fs.DurationVar(&o.startTimeout, "start-timeout", 0, "bound on each wait while the cluster starts (0: the framework's default)")
	fs.IntVar(&o.rounds, "rounds", 1, "rounds, each on a fresh cluster; the report shows the median of every figure")
	fs.StringVar(&o.targets, "targets", strings.Join(defaultTargets, ","), "comma-separated target keys to measure, in table order")
	fs.DurationVar(&o.cfg.Settle, "settle", 10*time.Second, "wait after filling to a list size before reading the servers' steady memory")
	fs.Var(&o.workloadArgs, "workloads-apiserver-arg", "extra workloads-apiserver flag, e.g. --workloads-apiserver-arg=--authorization-webhook-cache-authorized-ttl=1m (repeatable; named in the report)")
	fs.Var(&o.kubeArgs, "kube-apiserver-arg", "extra kube-apiserver flag (repeatable; named in the report)")
	fs.StringVar(&o.fanout, "fanout-targets", benchapi.KeyNative+","+benchapi.KeyAggregated, "comma-separated target keys measured with the watch fan-out (empty: none)")
	fs.IntVar(&o.cfg.Fanout.Watchers, "fanout-watchers", 1000, "watchers of one namespace in the watch fan-out")
	fs.IntVar(&o.cfg.Fanout.Writes, "fanout-writes", 1000, "creates issued during the watch fan-out")
	fs.Float64Var(&o.cfg.Fanout.Rate, "fanout-rate", 100, "creates per second during the watch fan-out")
	fs.DurationVar(&o.cfg.Fanout.Timeout, "fanout-timeout", time.Minute, "how long to wait for the last fan-out deliveries")
	fs.StringVar(&o.profileDir, "cpu-profile-dir", "", "record CPU profiles of kube-apiserver and workloads-apiserver over every measured row into this directory (<target>-<operation>-<process>-<n>.pprof; `go tool pprof` merges the files given); profiling costs the servers some of the CPU the rows report")
	fs.DurationVar(&o.profileChunk, "cpu-profile-chunk", 2*time.Second, "length of one CPU profile file with --cpu-profile-dir (whole seconds); a row's last chunk may run past the row")
	klog.InitFlags(fs)
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "apibench: unexpected arguments %v\n", flag.Args())
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	logger := klog.Background()
	ctx = klog.NewContext(ctx, logger)
	err := run(ctx, o)
	stop()
	klog.Flush()
	if err != nil {
		fmt.Fprintf(os.Stderr, "apibench: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	logger := klog.FromContext(ctx)
	sizes, err := parseSizes(o.listSizes)
	if err != nil {
		return err
	}
	o.cfg.ListSizes = sizes
	for _, k := range strings.Split(o.fanout, ",") {
		if k = strings.TrimSpace(k); k != "" {
			o.cfg.Fanout.Targets = append(o.cfg.Fanout.Targets, k)
		}
	}
	if err := o.cfg.Validate(); err != nil {
		return err
	}
	root, err := framework.RepoRoot()
	if err != nil {
		return err
	}
	out := o.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}

	keys := map[string]bool{}
	for _, k := range strings.Split(o.targets, ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if !slices.Contains(allTargets, k) {
			return fmt.Errorf("--targets: unknown target %q (known: %s)", k, strings.Join(allTargets, ","))
		}
		keys[k] = true
	}
	var editorNamespaces []string
	for _, k := range allTargets {
		if keys[k] && strings.Contains(k, benchapi.SuffixEditor) {
			editorNamespaces = append(editorNamespaces, "bench-"+k)
		}
	}

	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	var rounds [][]benchapi.Result
	var memory []benchapi.MemoryReading
	var kubeVersion string
	began := time.Now()
	for i := range o.rounds {
		logger.Info("Starting a round on a fresh cluster", "round", i+1, "of", o.rounds)
		results, mem, version, err := runRound(ctx, o, root, keys, editorNamespaces)
		if err != nil {
			return fmt.Errorf("round %d: %w", i+1, err)
		}
		rounds = append(rounds, results)
		memory, kubeVersion = mem, version
		if o.rounds > 1 {
			r := &benchapi.Report{Results: results, Memory: mem}
			fmt.Printf("\nround %d of %d:\n", i+1, o.rounds)
			if err := r.WriteText(os.Stdout); err != nil {
				return err
			}
		}
	}
	took := time.Since(began)
	results := benchapi.MedianResults(rounds)
	aggregation := "one round"
	if o.rounds > 1 {
		aggregation = fmt.Sprintf("median of %d rounds, each on a fresh cluster (ops/s, p50, p99 and CPU per row are medians; memory from the last round)", o.rounds)
	}

	report := &benchapi.Report{
		Title: "API benchmark: Deployments",
		Notes: []string{
			fmt.Sprintf("run %s, took %s; %s", began.UTC().Format(time.RFC3339), took.Round(time.Second), aggregation),
			fmt.Sprintf("kube-apiserver %s, %d CPUs, %s", kubeVersion, runtime.NumCPU(), runtime.Version()),
			fmt.Sprintf("ops=%d per target (create, get, update), list-ops=%d per size, concurrency=%d, warmup=%d, client QPS/burst %.0f/%d; JSON unless the target says protobuf",
				o.cfg.Ops, o.cfg.ListOps, o.cfg.Concurrency, o.cfg.Warmup, o.qps, o.burst),
			fmt.Sprintf("admin: the framework's system:masters client certificate; editor (-sa): a token of ServiceAccount %s/%s bound to the aggregated edit ClusterRole (apps, experimental) and a Role for the CRD in its namespace",
				benchapi.IdentityNamespace, benchapi.IdentityServiceAccount),
			fmt.Sprintf("extra flags: workloads-apiserver [%s], kube-apiserver [%s]", o.workloadArgs.String(), o.kubeArgs.String()),
			"CPU: utime+stime from /proc/<pid>/stat of each server process before and after each row's operations (10 ms resolution; includes each process's background work during the row)",
			"watch: time from a write's response (the creates and updates above) to its event at a separate watch connection; ops/s not applicable",
			fmt.Sprintf("%s: %d raw JSON watches of the target's namespace (one HTTP client; the events are scanned for the object name, not decoded), %d creates paced at %.0f/s; time from each create's start to its ADDED event at every watcher; CPU per 1000 deliveries; for targets %v",
				benchapi.OpFanout, o.cfg.Fanout.Watchers, o.cfg.Fanout.Writes, o.cfg.Fanout.Rate, o.cfg.Fanout.Targets),
			"list: whole namespace, no limit, time to the last byte of the response (JSON, or protobuf for -pb; gzip on the wire as client-go negotiates it; not decoded)",
		},
		Results: results,
		Memory:  memory,
	}
	if o.profileDir != "" {
		report.Notes = append(report.Notes, fmt.Sprintf("CPU profiles of kube-apiserver (run with --profiling=true) and workloads-apiserver over every row in %s; the rows' CPU includes the cost of profiling", o.profileDir))
	}
	fmt.Println()
	if err := report.WriteText(os.Stdout); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("creating the report directory: %w", err)
	}
	if err := os.WriteFile(out, []byte(report.Markdown()), 0o644); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	fmt.Printf("\nmarkdown report: %s\n", out)
	return nil
}

// runRound starts a cluster, measures the targets once and stops it.
func runRound(ctx context.Context, o options, root string, keys map[string]bool, editorNamespaces []string) (_ []benchapi.Result, _ []benchapi.MemoryReading, kubeVersion string, retErr error) {
	logger := klog.FromContext(ctx)
	// Only what serves requests runs: no controller, scheduler or kwok
	// reacts to the objects, so the API path is all that is measured. With
	// editor targets kube-controller-manager runs its clusterrole-aggregation
	// controller, which fills the aggregated edit ClusterRole, and the
	// serviceaccount controller the framework waits for.
	kubeArgs := o.kubeArgs
	if o.profileDir != "" {
		// The framework runs kube-apiserver without /debug/pprof;
		// workloads-apiserver serves it by default.
		kubeArgs = append(slices.Clone(kubeArgs), "--profiling=true")
	}
	c, stopCluster, err := framework.Start(ctx, framework.Options{
		RunDir:                   o.runDir,
		KeepRunDir:               o.keepRunDir,
		StartTimeout:             o.startTimeout,
		WorkloadsAPIServer:       true,
		DisableControllerManager: len(editorNamespaces) == 0,
		Controllers:              []string{"clusterrole-aggregation", "serviceaccount"},
		DisableScheduler:         true,
		DisableKwok:              true,
		WorkloadsAPIServerArgs:   o.workloadArgs,
		KubeAPIServerArgs:        kubeArgs,
	}, framework.LoggerFunc(func(format string, args ...any) {
		logger.Info(fmt.Sprintf(format, args...))
	}))
	if err != nil {
		return nil, nil, "", fmt.Errorf("starting the cluster: %w", err)
	}
	defer func() {
		if err := stopCluster(); err != nil {
			logger.Error(err, "Stopping the cluster")
		}
	}()

	var editor *rest.Config
	if len(editorNamespaces) > 0 {
		// The product's aggregated ClusterRoles add the experimental
		// resources to edit, as an installation does.
		if _, stderr, err := c.Kubectl("apply", "-f", filepath.Join(root, "artifacts", "deploy", "rbac-aggregate.yaml")); err != nil {
			return nil, nil, "", fmt.Errorf("applying the aggregated ClusterRoles: %w: %s", err, stderr)
		}
		if editor, err = benchapi.SetupEditor(ctx, c.KubeClient(), c.RestConfig(), editorNamespaces); err != nil {
			return nil, nil, "", err
		}
	}
	targets, err := buildTargets(c, editor, keys, benchapi.ClientOptions{QPS: float32(o.qps), Burst: o.burst, UserAgent: "apibench"})
	if err != nil {
		return nil, nil, "", err
	}
	if o.profileDir != "" {
		if o.cfg.Profiler, err = newProfiler(c, o.profileDir, o.profileChunk); err != nil {
			return nil, nil, "", err
		}
	}
	var procs []benchapi.Process
	for _, p := range []struct{ name, component string }{
		{benchapi.ProcKubeAPIServer, framework.ComponentKubeAPIServer},
		{benchapi.ProcEtcd, framework.ComponentEtcd},
		{benchapi.ProcWorkloadsAPIServer, framework.ComponentWorkloadsAPIServer},
		{benchapi.ProcWorkloadsEtcd, framework.ComponentWorkloadsEtcd},
	} {
		if pid, ok := c.PID(p.component); ok {
			procs = append(procs, benchapi.Process{Name: p.name, PID: pid})
		}
	}
	apiext, err := apiextensionsclient.NewForConfig(c.RestConfig())
	if err != nil {
		return nil, nil, "", fmt.Errorf("apiextensions client: %w", err)
	}
	if err := benchapi.InstallCRD(ctx, apiext, time.Minute); err != nil {
		return nil, nil, "", err
	}
	if err := benchapi.CreateNamespaces(ctx, c.KubeClient(), targets); err != nil {
		return nil, nil, "", err
	}
	if err := benchapi.WaitServed(ctx, targets, time.Minute); err != nil {
		return nil, nil, "", err
	}

	kubeVersion = "unknown"
	if v, err := c.KubeClient().Discovery().ServerVersion(); err == nil {
		kubeVersion = v.GitVersion
	}
	logger.Info("Running the API benchmark", "ops", o.cfg.Ops, "listOps", o.cfg.ListOps, "listSizes", o.cfg.ListSizes,
		"concurrency", o.cfg.Concurrency, "warmup", o.cfg.Warmup)
	results, memory, err := benchapi.Run(ctx, o.cfg, targets, procs)
	if err != nil {
		return nil, nil, "", err
	}
	return results, memory, kubeVersion, nil
}

func buildTargets(c *framework.Cluster, editor *rest.Config, keys map[string]bool, opts benchapi.ClientOptions) ([]*benchapi.Target, error) {
	kube := c.RestConfig()
	// Straight to workloads-apiserver: the admin client certificate (it
	// trusts the cluster CA through kube-system/extension-apiserver-authentication)
	// and the serving CA of the aggregated servers.
	direct, err := c.ComponentConfig(framework.ComponentWorkloadsAPIServer)
	if err != nil {
		return nil, err
	}
	// The editor's token straight to workloads-apiserver, which checks it
	// with a TokenReview and authorizes it with SubjectAccessReviews.
	var directEditor *rest.Config
	if editor != nil {
		directEditor = &rest.Config{
			Host:            c.WorkloadsAPIServerURL,
			BearerToken:     editor.BearerToken,
			BearerTokenFile: editor.BearerTokenFile,
			TLSClientConfig: rest.TLSClientConfig{CAFile: c.PKI.ServingCACert},
		}
	}
	experimental := schema.GroupVersionResource{Group: framework.WorkloadsGroup, Version: framework.WorkloadsVersion, Resource: "deployments"}
	apps := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	crd := schema.GroupVersionResource{Group: benchapi.CRDGroup, Version: benchapi.CRDVersion, Resource: "deployments"}
	const sa, pb = benchapi.SuffixEditor, benchapi.SuffixProtobuf
	specs := []struct {
		key, name string
		cfg       *rest.Config
		gvr       schema.GroupVersionResource
		protobuf  bool
	}{
		{benchapi.KeyNative, "apps/v1 (kube-apiserver)", kube, apps, false},
		{benchapi.KeyNative + sa, "apps/v1, editor", editor, apps, false},
		{benchapi.KeyNative + pb, "apps/v1, protobuf", kube, apps, true},
		{benchapi.KeyCRD, "CRD (kube-apiserver)", kube, crd, false},
		{benchapi.KeyCRD + sa, "CRD, editor", editor, crd, false},
		{benchapi.KeyAggregated, "experimental/v1alpha1 (aggregated)", kube, experimental, false},
		{benchapi.KeyAggregated + sa, "experimental aggregated, editor", editor, experimental, false},
		{benchapi.KeyAggregated + pb, "experimental aggregated, protobuf", kube, experimental, true},
		{benchapi.KeyDirect, "experimental/v1alpha1 (direct)", direct, experimental, false},
		{benchapi.KeyDirect + sa, "experimental direct, editor", directEditor, experimental, false},
		{benchapi.KeyNative + sa + pb, "apps/v1, editor, protobuf", editor, apps, true},
		{benchapi.KeyAggregated + sa + pb, "experimental aggregated, editor, protobuf", editor, experimental, true},
	}
	var targets []*benchapi.Target
	var errs []error
	for _, s := range specs {
		if !keys[s.key] {
			continue
		}
		o := opts
		o.Protobuf = s.protobuf
		t, err := benchapi.NewTarget(s.key, s.name, s.cfg, s.gvr, "bench-"+s.key, o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// The watch cache that serves the target's watches is in
		// workloads-apiserver for the experimental group, else in
		// kube-apiserver.
		server := framework.ComponentKubeAPIServer
		if s.gvr.Group == framework.WorkloadsGroup {
			server = framework.ComponentWorkloadsAPIServer
		}
		labels := map[string]string{"group": s.gvr.Group, "resource": s.gvr.Resource}
		t.TerminatedWatchers = func(ctx context.Context) (float64, error) {
			m, err := c.Metrics(ctx, server)
			if err != nil {
				return 0, err
			}
			return m.Sum("apiserver_terminated_watchers_total", labels), nil
		}
		targets = append(targets, t)
	}
	return targets, errors.Join(errs...)
}

// newProfiler records CPU profiles of both API servers into dir, as the
// cluster's admin (authorized for /debug/pprof on both).
func newProfiler(c *framework.Cluster, dir string, chunk time.Duration) (*cpuprofile.Profiler, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logger := klog.Background()
	p := &cpuprofile.Profiler{Dir: dir, Chunk: chunk, Endpoints: map[string]cpuprofile.Endpoint{},
		Logf: func(format string, args ...any) { logger.Info(fmt.Sprintf(format, args...)) }}
	for _, component := range []string{framework.ComponentKubeAPIServer, framework.ComponentWorkloadsAPIServer} {
		cfg, err := c.ComponentConfig(component)
		if err != nil {
			return nil, err
		}
		cfg.Timeout = chunk + time.Minute
		client, err := rest.HTTPClientFor(cfg)
		if err != nil {
			return nil, fmt.Errorf("a client for %s: %w", component, err)
		}
		p.Endpoints[component] = cpuprofile.Endpoint{URL: cfg.Host, Client: client}
	}
	return p, nil
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("--list-sizes: %q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}
