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
	"strings"
	"testing"
	"time"
)

func result(key, op string, ops float64, p50, p99 time.Duration) Result {
	return Result{Key: key, Target: "target " + key, Op: op, Stats: Stats{OpsPerSec: ops, P50: p50, P99: p99}}
}

func sampleReport() *Report {
	r := &Report{
		Title: "T",
		Notes: []string{"note one"},
		Results: []Result{
			result(KeyNative, OpCreate, 200, ms(10), ms(40)),
			result(KeyCRD, OpCreate, 100, ms(20), ms(80)),
			result(KeyAggregated, OpCreate, 190, ms(11), ms(44)),
			result(KeyNative, OpUpdate, 200, ms(10), ms(40)),
			result(KeyCRD, OpUpdate, 150, ms(12), ms(50)),
			result(KeyAggregated, OpUpdate, 100, ms(20), ms(80)),
			result(KeyNative, OpWatch, 0, ms(2), ms(8)),
			result(KeyCRD, OpWatch, 0, ms(3), ms(9)),
			result(KeyAggregated, OpWatch, 0, ms(4), ms(10)),
			result(KeyNative, ListOp(1000), 5, ms(100), ms(200)),
			result(KeyCRD, ListOp(1000), 2, ms(300), ms(500)),
			result(KeyAggregated, ListOp(1000), 4, ms(130), ms(220)),
		},
	}
	for i := range r.Results {
		if r.Results[i].Op == ListOp(1000) {
			r.Results[i].ResponseBytes = 5 << 20
		}
	}
	return r
}

func TestMarkdown(t *testing.T) {
	md := sampleReport().Markdown()
	for _, want := range []string{
		"# T\n",
		"- note one\n",
		"| target | op | ops/s | p50 | p99 | ops/s vs (a) | p50 vs (a) | p99 vs (a) |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
		"| (a) target a | create | 200 | 10.0ms | 40.0ms | 1.00x | 1.00x | 1.00x |\n",
		"| (b) target b | create | 100 | 20.0ms | 80.0ms | 0.50x | 2.00x | 2.00x |\n",
		"| (c) target c | watch | - | 4.00ms | 10.0ms | - | 2.00x | 1.25x |\n",
		"| (c) target c | list-1k | 4.00 | 130ms | 220ms | 0.80x | 1.30x | 1.10x |\n",
		"- list-1k response size: (a) 5.0 MiB, (b) 5.0 MiB, (c) 5.0 MiB\n",
		"## Goals\n",
		"- PASS  (c) create throughput >= 0.9x (a): 190 vs 200 ops/s = 0.95x\n",
		"- MISS  (c) update throughput >= 0.9x (a): 100 vs 200 ops/s = 0.50x\n",
		"- MISS  (c) list-1k latency <= 1.2x (a): p50 130ms vs 100ms = 1.30x\n",
		"- PASS  (c) beats (b) on create: 190 vs 100 ops/s\n",
		"- MISS  (c) beats (b) on update: 100 vs 150 ops/s\n",
		"- MISS  (c) beats (b) on watch: p50 4.00ms vs 3.00ms\n",
		"- PASS  (c) beats (b) on list-1k: p50 130ms vs 300ms\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	// Every table row has the header's number of cells.
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "|") && strings.Count(line, " |") != 8 {
			t.Errorf("row with %d cells: %q", strings.Count(line, " |"), line)
		}
	}
}

func TestMarkdownEscapesPipes(t *testing.T) {
	r := &Report{Results: []Result{{Key: "a", Target: "x|y", Op: OpGet, Stats: Stats{OpsPerSec: 1, P50: ms(1), P99: ms(1)}}}}
	if md := r.Markdown(); !strings.Contains(md, `(a) x\|y`) {
		t.Errorf("pipe not escaped:\n%s", md)
	}
}

func TestWriteText(t *testing.T) {
	var b strings.Builder
	if err := sampleReport().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if !strings.HasPrefix(lines[0], "target") || !strings.Contains(lines[0], "p99 vs (a)") {
		t.Errorf("header = %q", lines[0])
	}
	// Columns are aligned: "op" starts at the same offset in every row.
	col := strings.Index(lines[0], "op")
	for _, l := range lines[1:13] {
		if l[col-2:col] != "  " || l[col] == ' ' {
			t.Errorf("misaligned row %q (op column at %d)", l, col)
		}
	}
	if !strings.Contains(b.String(), "PASS  (c) create throughput >= 0.9x (a)") {
		t.Errorf("checks missing:\n%s", b.String())
	}
}

func TestChecksSkipMissingResults(t *testing.T) {
	r := &Report{Results: []Result{result(KeyNative, OpCreate, 100, ms(1), ms(2))}}
	if c := r.Checks(); len(c) != 0 {
		t.Errorf("checks without (b)/(c) results: %+v", c)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                        "0",
		850 * time.Microsecond:   "850µs",
		1250 * time.Microsecond:  "1.25ms",
		12500 * time.Microsecond: "12.5ms",
		310 * time.Millisecond:   "310ms",
		1520 * time.Millisecond:  "1.52s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestListOp(t *testing.T) {
	for size, want := range map[int]string{1000: "list-1k", 5000: "list-5k", 1500: "list-1500", 200: "list-200"} {
		if got := ListOp(size); got != want {
			t.Errorf("ListOp(%d) = %q, want %q", size, got, want)
		}
	}
}

func TestFanoutLines(t *testing.T) {
	fan := func(key string, terminated int) Result {
		r := result(key, OpFanout, 0, ms(400), ms(3000))
		r.Fanout = &FanoutResult{Deliveries: 1000, Missing: 10, Resumed: 3, Terminated: terminated, WriteWall: 10 * time.Second}
		return r
	}
	r := &Report{Results: []Result{fan(KeyNative, 0), fan(KeyAggregated, 42), fan(KeyCRD, -1)}}
	lines := r.fanoutLines()
	if len(lines) != 3 {
		t.Fatalf("got %d fan-out lines, want 3: %q", len(lines), lines)
	}
	for i, want := range []string{"closed 0 watchers as too slow", "closed 42 watchers as too slow", ""} {
		if want == "" {
			if strings.Contains(lines[i], "too slow") {
				t.Errorf("line %d reports a count it could not read: %q", i, lines[i])
			}
			continue
		}
		if !strings.Contains(lines[i], want) || !strings.Contains(lines[i], "1000 deliveries expected, 10 missing") {
			t.Errorf("line %d = %q, want it to contain %q", i, lines[i], want)
		}
	}
}
