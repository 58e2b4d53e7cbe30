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

// Package ha tests the production topology end to end: three
// workloads-apiserver replicas behind a Service (the framework's test load
// balancer) over a three-member etcd cluster with client and peer TLS, and
// two leader-elected workload controller managers. Clients go through
// kube-apiserver with the generated clientset while replicas are restarted
// or killed, etcd members are lost and the leading controller manager dies.
//
// Every test shares one HA cluster and leaves it whole when it ends. Figures
// are printed as "HA-RESULT scenario=... key=value ..." lines for
// tabulating:
//
//	go test ./test/e2e/ha/ -v -count=1 | grep HA-RESULT
package ha

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"

	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

const (
	pollInterval = 100 * time.Millisecond
	pollTimeout  = 2 * time.Minute
)

// Leader election of the controller managers, shortened so a failover takes
// seconds (defaults: 15s/10s/2s).
const (
	leaseDuration = 6 * time.Second
	renewDeadline = 4 * time.Second
	retryPeriod   = 1 * time.Second
)

func clusterOptions() framework.Options {
	return framework.Options{
		Nodes:                      5,
		WorkloadsAPIServer:         true,
		WorkloadsEtcdMembers:       3,
		WorkloadsAPIServerReplicas: 3,
		WorkloadsAPIServerArgs:     append([]string{"--runtime-config=experimental/v1alpha1=true"}, framework.HAShutdownArgs...),
		// 3s shutdown delay + 5s watch grace + request drain, with margin.
		WorkloadsAPIServerTerminationGracePeriod: 30 * time.Second,
		WorkloadsControllerManagers:              2,
		WorkloadsControllerManagerArgs: []string{
			"--v=2",
			"--leader-elect-lease-duration=" + leaseDuration.String(),
			"--leader-elect-renew-deadline=" + renewDeadline.String(),
			"--leader-elect-retry-period=" + retryPeriod.String(),
			// Scale-ups of hundreds of pods in seconds.
			"--kube-api-qps=100",
			"--kube-api-burst=200",
		},
	}
}

var cluster = framework.NewShared(clusterOptions())

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }

// env is the shared cluster with clients through kube-apiserver.
type env struct {
	c      *framework.Cluster
	client clientset.Interface
}

func sharedEnv(t *testing.T) *env {
	t.Helper()
	c := cluster.Get(t)
	return &env{c: c, client: newClient(t, c.RestConfig())}
}

func newClient(t *testing.T, cfg *rest.Config) clientset.Interface {
	t.Helper()
	client, err := clientset.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// namespace creates a namespace for the test and deletes it afterwards.
func (e *env) namespace(t *testing.T, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s-%s", prefix, rand.String(5))
	e.c.CreateNamespace(t, name)
	return name
}

func pollFor(t *testing.T, what string, timeout time.Duration, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), pollInterval, timeout, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// result logs one line of figures, easy to grep and tabulate.
func result(t *testing.T, scenario string, kv ...any) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "HA-RESULT scenario=%s", scenario)
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		if d, ok := v.(time.Duration); ok {
			v = d.Round(time.Millisecond)
		}
		fmt.Fprintf(&b, " %v=%v", kv[i], v)
	}
	t.Log(b.String())
}

// requireHealthy fails the test when a component of the shared cluster is
// down at its start: an earlier test left it broken.
func (e *env) requireHealthy(t *testing.T) {
	t.Helper()
	for i := range e.c.WorkloadsAPIServerReplicaCount() {
		if !e.c.WorkloadsAPIServerReplicaRunning(i) {
			t.Fatalf("replica %d is not running", i)
		}
	}
	if exits := e.c.UnexpectedExits(); len(exits) > 0 {
		t.Fatalf("components exited unexpectedly: %s", strings.Join(exits, ", "))
	}
}

// outcome is one client request.
type outcome struct {
	start, end time.Time
	op         string
	err        error
}

// recorder collects the outcome of every request of a load.
type recorder struct {
	mu       sync.Mutex
	outcomes []outcome
}

func (r *recorder) do(op string, f func() error) error {
	start := time.Now()
	err := f()
	r.mu.Lock()
	r.outcomes = append(r.outcomes, outcome{start: start, end: time.Now(), op: op, err: err})
	r.mu.Unlock()
	return err
}

// summary returns the number of requests, the failed ones, and the longest
// window in which clients saw errors: from the start of a failed request to
// the end of the last failed request before the next success.
func (r *recorder) summary() (total int, failed []outcome, window time.Duration) {
	r.mu.Lock()
	all := append([]outcome(nil), r.outcomes...)
	r.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].end.Before(all[j].end) })
	var open bool
	var first, last time.Time
	for _, o := range all {
		if o.err != nil {
			failed = append(failed, o)
			if !open {
				open, first = true, o.start
			}
			last = o.end
			continue
		}
		if open && o.start.After(last) {
			open = false
			window = max(window, last.Sub(first))
		}
	}
	if open {
		window = max(window, last.Sub(first))
	}
	return len(all), failed, window
}

// describeFailures lists failed requests (the first 20) with when they
// started and ended (UTC, to match the component logs), the HTTP code and
// what the server said.
func describeFailures(failed []outcome) string {
	var lines []string
	for i, o := range failed {
		if i == 20 {
			lines = append(lines, fmt.Sprintf("... and %d more", len(failed)-i))
			break
		}
		msg := o.err.Error()
		var code int32
		if status, ok := o.err.(apierrors.APIStatus); ok {
			code = status.Status().Code
			if d := status.Status().Details; d != nil {
				for _, c := range d.Causes {
					msg += " [" + string(c.Type) + ": " + c.Message + "]"
				}
			}
		}
		if len(msg) > 300 {
			msg = msg[:300]
		}
		lines = append(lines, fmt.Sprintf("%s-%s %s HTTP %d: %s",
			o.start.UTC().Format("15:04:05.000"), o.end.UTC().Format("15:04:05.000"), o.op, code, msg))
	}
	return strings.Join(lines, "\n")
}

// replicaGet GETs path on replica i directly (not through kube-apiserver or
// the balancer) as admin and returns the status code and body.
func (e *env) replicaGet(ctx context.Context, i int, path string) (int, []byte, error) {
	cfg, err := e.c.WorkloadsAPIServerReplicaConfig(i)
	if err != nil {
		return 0, nil, err
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return 0, nil, err
	}
	defer hc.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.Host+path, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// waitReplicasReady waits until every replica's /readyz answers 200 on the
// replica itself.
func (e *env) waitReplicasReady(t *testing.T, timeout time.Duration) {
	t.Helper()
	for i := range e.c.WorkloadsAPIServerReplicaCount() {
		pollFor(t, fmt.Sprintf("replica %d /readyz", i), timeout, func(ctx context.Context) (bool, error) {
			code, _, err := e.replicaGet(ctx, i, "/readyz")
			return err == nil && code == http.StatusOK, nil
		})
	}
}
