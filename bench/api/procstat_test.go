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

package api

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// A command name with spaces and parentheses; utime 250, stime 50 ticks.
	line := "4242 (kube (api) server) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0 100 1000 200 18446744073709551615\n"
	got, err := parseStatCPU([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if got != 3 {
		t.Errorf("cpu = %v, want 3", got)
	}
	if _, err := parseStatCPU([]byte("1 (x) S 1 2")); err == nil {
		t.Error("short line: no error")
	}
}

func TestParseStatusMemory(t *testing.T) {
	status := "Name:\tkube-apiserver\nVmPeak:\t 999 kB\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n"
	m, err := parseStatusMemory([]byte(status))
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS != 1024<<10 || m.Peak != 2048<<10 {
		t.Errorf("memory = %+v", m)
	}
}

func TestOwnProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	procs := []Process{{Name: ProcKubeAPIServer, PID: os.Getpid()}}
	before, err := sampleCPU(procs)
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(30 * time.Millisecond); time.Now().Before(end); {
	}
	after, err := sampleCPU(procs)
	if err != nil {
		t.Fatal(err)
	}
	if per := perThousand(before, after, 1000); per[ProcKubeAPIServer] < 0 {
		t.Errorf("negative CPU %v", per)
	}
	if _, err := sampleMemory("self", procs); err != nil {
		t.Fatal(err)
	}
}

func TestIssueChecks(t *testing.T) {
	cpu := func(kas, was float64) map[string]float64 {
		return map[string]float64{ProcKubeAPIServer: kas, ProcWorkloadsAPIServer: was}
	}
	r := &Report{Results: []Result{
		{Key: KeyNative, Op: OpCreate, Stats: Stats{OpsPerSec: 100}, CPU: cpu(10, 0)},
		{Key: KeyAggregated + SuffixEditor, Op: OpCreate, Stats: Stats{OpsPerSec: 95}, CPU: cpu(5, 9)},
		{Key: KeyNative, Op: "list-1k", Stats: Stats{P50: 100 * time.Millisecond}},
		{Key: KeyAggregated + SuffixProtobuf, Op: "list-1k", Stats: Stats{P50: 70 * time.Millisecond}},
	}}
	var lines []string
	for _, c := range r.issueChecks() {
		lines = append(lines, c.line())
	}
	got := strings.Join(lines, "\n")
	for _, want := range []string{
		"PASS  (c-sa) create throughput >= 0.9x (a)",
		"MISS  (c-pb) list-1k latency <= 0.6x (a)",
		"MISS  (c-sa) create workloads-apiserver CPU <= 0.8x kube-apiserver CPU of (a)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("checks lack %q:\n%s", want, got)
		}
	}
	if md := r.Markdown(); !strings.Contains(md, "CPU seconds per 1000 operations") {
		t.Errorf("markdown lacks the CPU table:\n%s", md)
	}
}
