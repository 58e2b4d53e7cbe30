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

package controllers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

const auditLines = `{"stage":"ResponseComplete","verb":"create","userAgent":"kube-controller-manager/v1.37.2 (linux/amd64) kubernetes/abc/daemon-set-controller","objectRef":{"resource":"pods"}}
{"stage":"ResponseComplete","verb":"update","userAgent":"kube-controller-manager/v1.37.2 (linux/amd64) kubernetes/abc/daemon-set-controller","objectRef":{"resource":"daemonsets","subresource":"status","apiGroup":"apps"}}
{"stage":"ResponseComplete","verb":"get","userAgent":"kube-controller-manager/v1.37.2 (linux/amd64) kubernetes/abc/daemon-set-controller","objectRef":{"resource":"pods"}}
{"stage":"ResponseComplete","verb":"create","userAgent":"kube-controller-manager/v1.37.2 (linux/amd64) kubernetes/abc/generic-garbage-collector","objectRef":{"resource":"pods"}}
{"stage":"ResponseComplete","verb":"create","userAgent":"workloads-controller-manager/daemonset","objectRef":{"resource":"pods"}}
{"stage":"ResponseComplete","verb":"create","userAgent":"workloads-controller-manager/events","objectRef":{"resource":"events"}}
{"stage":"ResponseComplete","verb":"patch","userAgent":"workloads-controller-manager/deployment","objectRef":{"resource":"deployments","apiGroup":"experimental"}}
{"stage":"ResponseStarted","verb":"create","userAgent":"workloads-controller-manager/daemonset","objectRef":{"resource":"pods"}}
{"stage":"ResponseComplete","verb":"create","userAgent":"workloads-controller-manager/daemonset","objectRef":{"res`

func TestCountWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(path, []byte(auditLines), 0o600); err != nil {
		t.Fatal(err)
	}
	log := AuditLog{Path: path}
	end, err := log.Offset()
	if err != nil {
		t.Fatal(err)
	}
	up, err := log.CountWrites(0, end, UpstreamAgent("daemon-set-controller"))
	if err != nil {
		t.Fatal(err)
	}
	if up["pods"] != 1 || up["apps/daemonsets/status"] != 1 || up.Total() != 2 {
		t.Errorf("upstream writes = %v, want one pod create and one status update (not the get, not the garbage collector)", up)
	}
	ours, err := log.CountWrites(0, end, OurAgent("daemonset"))
	if err != nil {
		t.Fatal(err)
	}
	if ours["pods"] != 1 || ours["events"] != 1 || ours.Total() != 2 {
		t.Errorf("our writes = %v, want one pod and one event (not the deployment controller, not the unfinished line or stage)", ours)
	}
	// A window that starts after the first line excludes it.
	first := int64(strings.Index(auditLines, "\n") + 1)
	up, err = log.CountWrites(first, end, UpstreamAgent("daemon-set-controller"))
	if err != nil {
		t.Fatal(err)
	}
	if up.Total() != 1 {
		t.Errorf("windowed upstream writes = %v, want only the status update", up)
	}
}

func TestRowsAverageRounds(t *testing.T) {
	ms := []Measurement{
		{Workload: "Deployment", Phase: "create", Implementation: Ours, Pods: 10, Duration: 4 * time.Second, Writes: Writes{"pods": 10}},
		{Workload: "Deployment", Phase: "create", Implementation: Upstream, Pods: 10, Duration: 3 * time.Second, Writes: Writes{"pods": 10}},
		{Workload: "Deployment", Phase: "create", Implementation: Upstream, Pods: 10, Duration: 5 * time.Second, Writes: Writes{"pods": 30}},
		{Workload: "Deployment", Phase: "create", Implementation: Ours, Pods: 10, Duration: 2 * time.Second, Writes: Writes{"pods": 20}},
	}
	rows := Rows(ms)
	if len(rows) != 1 {
		t.Fatalf("rows = %+v", rows)
	}
	r := rows[0]
	if r.Upstream.Duration != 4*time.Second || r.Ours.Duration != 3*time.Second {
		t.Errorf("mean durations = %s / %s, want 4s / 3s", r.Upstream.Duration, r.Ours.Duration)
	}
	if r.Upstream.WritesPerPod() != 2 || r.Ours.WritesPerPod() != 1.5 {
		t.Errorf("writes per pod over rounds = %v / %v, want 2 / 1.5", r.Upstream.WritesPerPod(), r.Ours.WritesPerPod())
	}
}

func TestRowsAndMarkdown(t *testing.T) {
	ms := []Measurement{
		{Workload: "DaemonSet", Phase: "create", Implementation: Upstream, Pods: 10, Duration: 10 * time.Second, Writes: Writes{"pods": 20},
			CPUSeconds: 4, PeakRSS: 200 << 20},
		{Workload: "DaemonSet", Phase: "create", Implementation: Ours, Pods: 10, Duration: 5 * time.Second, Writes: Writes{"pods": 30},
			CPUSeconds: 2, PeakRSS: 100 << 20},
		{Workload: "Job", Phase: "create", Implementation: Upstream, Pods: 10, Duration: time.Minute, Writes: Writes{"pods": 5},
			TimedOut: true, Reached: "succeeded 5/10, active 2"},
		{Workload: "Job", Phase: "create", Implementation: Ours, Pods: 10, Duration: 30 * time.Second, Writes: Writes{"pods": 10}},
		{Workload: "Deployment", Phase: "rollout", Implementation: Upstream, Pods: 10, Duration: time.Second, Writes: Writes{"pods": 10}},
	}
	rows := Rows(ms)
	if len(rows) != 3 {
		t.Fatalf("rows = %+v", rows)
	}
	if got := rows[0].TimeRatio(); got != 0.5 {
		t.Errorf("time ratio = %v, want 0.5", got)
	}
	if got := rows[0].WritesRatio(); got != 1.5 {
		t.Errorf("writes ratio = %v, want 1.5", got)
	}
	if got := rows[0].CPURatio(); got != 0.5 {
		t.Errorf("CPU ratio = %v, want 0.5", got)
	}
	if got := rows[0].RSSRatio(); got != 0.5 {
		t.Errorf("RSS ratio = %v, want 0.5", got)
	}
	md := Markdown(rows, "# t", ScaleGoals)
	for _, want := range []string{
		"| DaemonSet | create | 10 | 10s | 5s | 0.50× | 2.00 | 3.00 | 1.50× | 4.00 | 2.00 | 0.50× | 200 MiB | 100 MiB | 0.50× |",
		"time PASS (0.500×)", "writes MISS (1.500×)", "CPU PASS (0.500×)",
		"| Job | create | 10 | **timeout** 1m0s (succeeded 5/10, active 2) | 30s |",
		"- Job create: TIMEOUT (upstream timed out at succeeded 5/10, active 2, ours done in 30s)",
		"| Deployment | rollout | 10 | 1s | not run |",
		"- Deployment rollout: INCOMPLETE (upstream done in 1s, ours not run)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestProcParsing(t *testing.T) {
	cpu, err := parseStatCPU([]byte("4242 (kube (cm)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0 100 0 0"))
	if err != nil || cpu != 3 {
		t.Errorf("parseStatCPU = %v, %v; want 3 s", cpu, err)
	}
	hwm, err := parseVmHWM([]byte("Name:\tx\nVmPeak:\t 900 kB\nVmHWM:\t  2048 kB\nVmRSS:\t 1024 kB\n"))
	if err != nil || hwm != 2<<20 {
		t.Errorf("parseVmHWM = %v, %v; want 2 MiB", hwm, err)
	}
}

func TestLagOf(t *testing.T) {
	scheduled := time.Date(2026, 11, 26, 22, 0, 0, 0, time.UTC)
	name := fmt.Sprintf("bench-0007-%d", scheduled.Unix()/60)
	lag, ok := lagOf(name, scheduled.Add(1500*time.Millisecond))
	if !ok || lag != 1500*time.Millisecond {
		t.Errorf("lagOf(%s) = %s, %v; want 1.5s", name, lag, ok)
	}
	if _, ok := lagOf("bench-manual", scheduled); ok {
		t.Error("a name without a minute suffix gave a lag")
	}
}

func TestLagMarkdown(t *testing.T) {
	ms := []LagMeasurement{
		{Implementation: Upstream, CronJobs: 4, Lags: []time.Duration{1 * time.Second, 2 * time.Second}},
		{Implementation: Ours, CronJobs: 4, Lags: []time.Duration{500 * time.Millisecond, 3 * time.Second}},
		{Implementation: Upstream, CronJobs: 4, Lags: []time.Duration{3 * time.Second, 4 * time.Second}},
		{Implementation: Ours, CronJobs: 4, Lags: []time.Duration{1 * time.Second, 1 * time.Second}, WatchRestarts: 2},
	}
	md := LagMarkdown(ms, DefaultGoals)
	// Pooled: upstream 1,2,3,4s (p50 2s, p99 4s); ours 0.5,1,1,3s (p50 1s, p99 3s).
	for _, want := range []string{
		"| " + string(Upstream) + " | 4 | 4 | 0 | 2s | 4s | 4s |",
		"| " + string(Ours) + " | 4 | 4 | 0 | 1s | 3s | 3s |",
		"- " + string(Ours) + ": 500ms / 3s\n",
		"CronJob lag p50: PASS (0.500×",
		"CronJob lag p99: PASS (0.750×",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("lag report lacks %q:\n%s", want, md)
		}
	}
	if md := LagMarkdown(ms, ScaleGoals); !strings.Contains(md, "CronJob lag p99: MISS (0.750×, target ≤ 0.5×)") || strings.Contains(md, "lag p50") {
		t.Errorf("scale lag report checks the wrong targets:\n%s", md)
	}
}

// TestWaitRetriesTransientErrors checks that a wait between phases keeps
// polling through the errors a loaded kube-apiserver gives now and then,
// reports its bound as a phase timeout naming the last of them, and still
// fails at once on any other error.
func TestWaitRetriesTransientErrors(t *testing.T) {
	slowRead := fmt.Errorf("unexpected error when reading response body. Please retry. Original error: %w", context.DeadlineExceeded)
	var logged []string
	r := &Runner{Timeout: 5 * time.Second, Logf: func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }}

	calls := 0
	err := r.wait(context.Background(), "pods to be gone", func(context.Context) (bool, error) {
		calls++
		switch calls {
		case 1:
			return false, slowRead
		case 2:
			return false, apierrors.NewTimeoutError("list", 1)
		}
		return true, nil
	})
	if err != nil || calls != 3 {
		t.Errorf("after two transient errors: err %v after %d calls, want success on the third", err, calls)
	}
	if len(logged) != 1 || !strings.Contains(logged[0], "retrying") {
		t.Errorf("logged %q, want one retry line", logged)
	}

	r.Timeout = 300 * time.Millisecond
	err = r.wait(context.Background(), "pods to be gone", func(context.Context) (bool, error) { return false, slowRead })
	if !errors.Is(err, errPhaseTimeout) || !strings.Contains(err.Error(), "reading response body") {
		t.Errorf("only transient errors until the bound: %v, want a phase timeout naming the last error", err)
	}

	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no"))
	calls = 0
	err = r.wait(context.Background(), "pods to be gone", func(context.Context) (bool, error) {
		calls++
		return false, forbidden
	})
	if !apierrors.IsForbidden(err) || calls != 1 || errors.Is(err, errPhaseTimeout) {
		t.Errorf("a forbidden list: %v after %d calls, want it returned at once", err, calls)
	}
}
