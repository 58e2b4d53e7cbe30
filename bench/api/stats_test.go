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
	"testing"
	"time"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = ms(i + 1)
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"single", []time.Duration{ms(7)}, 99, ms(7)},
		{"p50 of 1..100", hundred, 50, ms(50)},
		{"p99 of 1..100", hundred, 99, ms(99)},
		{"p100 of 1..100", hundred, 100, ms(100)},
		{"p1 of 1..100", hundred, 1, ms(1)},
		{"p50 of four", []time.Duration{ms(1), ms(2), ms(3), ms(4)}, 50, ms(2)},
		{"p99 of four", []time.Duration{ms(1), ms(2), ms(3), ms(4)}, 99, ms(4)},
		{"p0 clamps to the smallest", []time.Duration{ms(1), ms(2)}, 0, ms(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	// Unsorted input; Summarize must not reorder the caller's slice.
	in := []time.Duration{ms(5), ms(1), ms(3), ms(2), ms(4)}
	s := Summarize(in, 2*time.Second)
	if s.Count != 5 || s.P50 != ms(3) || s.P99 != ms(5) || s.Max != ms(5) {
		t.Errorf("Summarize = %+v", s)
	}
	if s.OpsPerSec != 2.5 {
		t.Errorf("OpsPerSec = %v, want 2.5", s.OpsPerSec)
	}
	if in[0] != ms(5) {
		t.Errorf("input reordered: %v", in)
	}
	if s := Summarize(in, 0); s.OpsPerSec != 0 {
		t.Errorf("without wall time OpsPerSec = %v, want 0", s.OpsPerSec)
	}
	if s := Summarize(nil, time.Second); s.Count != 0 || s.P50 != 0 || s.OpsPerSec != 0 {
		t.Errorf("Summarize(nil) = %+v", s)
	}
}

func TestConfigValidate(t *testing.T) {
	good := Config{Ops: 100, ListOps: 5, ListSizes: []int{1000, 5000}, Concurrency: 8, Warmup: 50}
	if err := good.Validate(); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
	for name, mutate := range map[string]func(*Config){
		"no ops":            func(c *Config) { c.Ops = 0 },
		"no workers":        func(c *Config) { c.Concurrency = 0 },
		"descending sizes":  func(c *Config) { c.ListSizes = []int{5000, 1000} },
		"size below ops":    func(c *Config) { c.ListSizes = []int{99} },
		"lists without ops": func(c *Config) { c.ListOps = 0 },
		"negative warmup":   func(c *Config) { c.Warmup = -1 },
	} {
		c := good
		c.ListSizes = append([]int(nil), good.ListSizes...)
		mutate(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted %+v", name, c)
		}
	}
}

func TestMedianResults(t *testing.T) {
	row := func(ops float64, p50 time.Duration, cpu float64) []Result {
		return []Result{{Key: KeyNative, Op: OpCreate, Stats: Stats{Count: 10, OpsPerSec: ops, P50: p50, P99: 2 * p50},
			CPU: map[string]float64{ProcKubeAPIServer: cpu}}}
	}
	got := MedianResults([][]Result{row(100, 3*time.Millisecond, 5), row(300, time.Millisecond, 1), row(200, 2*time.Millisecond, 9)})
	if len(got) != 1 {
		t.Fatalf("got %d rows", len(got))
	}
	m := got[0]
	if m.OpsPerSec != 200 || m.P50 != 2*time.Millisecond || m.P99 != 4*time.Millisecond || m.CPU[ProcKubeAPIServer] != 5 {
		t.Errorf("median = %+v", m)
	}
}
