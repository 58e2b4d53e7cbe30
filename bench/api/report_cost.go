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
	"fmt"
	"strings"
	"time"
)

// procOrder is the column order of the CPU and memory tables.
var procOrder = []string{ProcKubeAPIServer, ProcEtcd, ProcWorkloadsAPIServer, ProcWorkloadsEtcd}

// table is a header and rows of cells, rendered as text or markdown.
type table struct {
	title  string
	header []string
	rows   [][]string
	// left is the number of left-aligned leading columns.
	left int
}

// cpuTable: CPU seconds per 1000 operations of each process, per target and
// operation, with the total and the ratios to (a).
func (r *Report) cpuTable() *table {
	var procs []string
	for _, p := range procOrder {
		for _, res := range r.Results {
			if _, ok := res.CPU[p]; ok {
				procs = append(procs, p)
				break
			}
		}
	}
	if len(procs) == 0 {
		return nil
	}
	t := &table{title: "CPU seconds per 1000 operations", left: 2}
	t.header = append([]string{"target", "op"}, procs...)
	t.header = append(t.header, "total", "total vs (a)", "kube-apiserver vs (a)")
	for _, res := range r.Results {
		if res.CPU == nil {
			continue
		}
		row := []string{fmt.Sprintf("(%s) %s", res.Key, res.Target), res.Op}
		for _, p := range procs {
			row = append(row, formatCPU(res.CPU[p]))
		}
		total := cpuTotal(res.CPU)
		row = append(row, formatCPU(total))
		base, ok := r.find(KeyNative, res.Op)
		if ok && base.CPU != nil && cpuTotal(base.CPU) > 0 {
			row = append(row, formatRatio(total/cpuTotal(base.CPU)))
		} else {
			row = append(row, "-")
		}
		if ok && base.CPU[ProcKubeAPIServer] > 0 {
			row = append(row, formatRatio(res.CPU[ProcKubeAPIServer]/base.CPU[ProcKubeAPIServer]))
		} else {
			row = append(row, "-")
		}
		t.rows = append(t.rows, row)
	}
	return t
}

func cpuTotal(m map[string]float64) float64 {
	var s float64
	for _, v := range m {
		s += v
	}
	return s
}

func formatCPU(v float64) string {
	switch {
	case v < 0.005 && v > -0.005:
		return "0"
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

// memoryTable: RSS and peak RSS of the API servers at each reading, with the
// growth since the previous reading.
func (r *Report) memoryTable() *table {
	if len(r.Memory) == 0 {
		return nil
	}
	t := &table{title: "API server memory (RSS now / peak, growth of RSS since the previous reading)", left: 1}
	t.header = []string{"reading"}
	servers := []string{ProcKubeAPIServer, ProcWorkloadsAPIServer}
	for _, s := range servers {
		t.header = append(t.header, s+" RSS", s+" peak", s+" growth")
	}
	for i, m := range r.Memory {
		row := []string{m.Label}
		for _, s := range servers {
			cur, ok := m.Procs[s]
			if !ok {
				row = append(row, "-", "-", "-")
				continue
			}
			growth := "-"
			if i > 0 {
				if prev, ok := r.Memory[i-1].Procs[s]; ok {
					growth = formatSignedBytes(cur.RSS - prev.RSS)
				}
			}
			row = append(row, formatBytes(cur.RSS), formatBytes(cur.Peak), growth)
		}
		t.rows = append(t.rows, row)
	}
	return t
}

// idleLines describes the background CPU of each process during the quiet
// waits, which every row's CPU figure includes for its duration.
func (r *Report) idleLines() []string {
	var out []string
	for _, m := range r.Memory {
		if m.CPURate == nil {
			continue
		}
		var parts []string
		for _, p := range procOrder {
			if v, ok := m.CPURate[p]; ok {
				parts = append(parts, fmt.Sprintf("%s %.0f ms/s", p, v*1000))
			}
		}
		out = append(out, fmt.Sprintf("background CPU while idle (%s): %s", m.Label, strings.Join(parts, ", ")))
	}
	return out
}

func formatSignedBytes(n int64) string {
	if n < 0 {
		return "-" + formatBytes(-n)
	}
	return "+" + formatBytes(n)
}

// decompositionTable splits the aggregated path's cost per operation: (d)
// is our server alone, (c) - (d) the aggregation proxy hop (admin requests
// need no SubjectAccessReview), (c-sa) - (c) what a non-admin identity adds
// (token authentication at kube-apiserver, the RBAC check there and the
// SubjectAccessReview workloads-apiserver sends on an authorization cache
// miss), and (a-sa) - (a) what the same identity adds on the native path,
// for comparison. Latency is p50; CPU is CPU seconds per 1000 operations of
// kube-apiserver (kas) and workloads-apiserver (was).
func (r *Report) decompositionTable() *table {
	t := &table{
		title: "Where the aggregated path's cost goes: p50 latency, and kube-apiserver (kas) / workloads-apiserver (was) CPU s per 1000 ops",
		header: []string{"op", "(d) our server", "proxy hop (c)-(d)", "non-admin (c-sa)-(c)", "native non-admin (a-sa)-(a)",
			"kas CPU (a)", "kas CPU (c)", "kas CPU (c-sa)", "was CPU (d)", "was CPU (c)", "was CPU (c-sa)"},
		left: 1,
	}
	sa := KeyAggregated + SuffixEditor
	for _, op := range r.ops() {
		if op == OpWatch {
			continue
		}
		d, okD := r.find(KeyDirect, op)
		c, okC := r.find(KeyAggregated, op)
		cs, okCS := r.find(sa, op)
		a, okA := r.find(KeyNative, op)
		as, okAS := r.find(KeyNative+SuffixEditor, op)
		if !okC || (!okD && !okCS) {
			continue
		}
		diff := func(x, y Result, okX, okY bool) string {
			if !okX || !okY {
				return "-"
			}
			return formatSignedDuration(x.P50 - y.P50)
		}
		cpu := func(x Result, ok bool, p string) string {
			if !ok || x.CPU == nil {
				return "-"
			}
			return formatCPU(x.CPU[p])
		}
		own := "-"
		if okD {
			own = FormatDuration(d.P50)
		}
		t.rows = append(t.rows, []string{op, own, diff(c, d, okC, okD), diff(cs, c, okCS, okC), diff(as, a, okAS, okA),
			cpu(a, okA, ProcKubeAPIServer), cpu(c, okC, ProcKubeAPIServer), cpu(cs, okCS, ProcKubeAPIServer),
			cpu(d, okD, ProcWorkloadsAPIServer), cpu(c, okC, ProcWorkloadsAPIServer), cpu(cs, okCS, ProcWorkloadsAPIServer)})
	}
	if len(t.rows) == 0 {
		return nil
	}
	return t
}

func formatSignedDuration(d time.Duration) string {
	if d < 0 {
		return "-" + FormatDuration(-d)
	}
	return "+" + FormatDuration(d)
}

// issueChecks are the targets of the non-admin and protobuf paths: with the
// editor client through the aggregator (c-sa), create and update throughput
// at least 0.9x apps/v1 admin JSON (a) and get at least 0.6x, list p50
// latency at most 1.0x (a); with protobuf (c-pb, c-sa-pb) list p50 latency
// at most 0.6x (a); and workloads-apiserver's CPU per operation in (c),
// (c-sa), (c-pb) and (c-sa-pb) at most 0.8x kube-apiserver's in (a), for
// every operation.
func (r *Report) issueChecks() []Check {
	var out []Check
	sa := KeyAggregated + SuffixEditor
	pb := KeyAggregated + SuffixProtobuf
	a := func(op string) (Result, bool) { return r.find(KeyNative, op) }
	for _, g := range []struct {
		op  string
		min float64
	}{{OpCreate, 0.9}, {OpUpdate, 0.9}, {OpGet, 0.6}} {
		base, okA := a(g.op)
		c, okC := r.find(sa, g.op)
		if !okA || !okC || base.OpsPerSec == 0 {
			continue
		}
		ratio := c.OpsPerSec / base.OpsPerSec
		out = append(out, Check{
			Goal:   fmt.Sprintf("(%s) %s throughput >= %.1fx (a)", sa, g.op, g.min),
			Pass:   ratio >= g.min,
			Detail: fmt.Sprintf("%s vs %s ops/s = %s", formatRate(c.OpsPerSec), formatRate(base.OpsPerSec), formatRatio(ratio)),
		})
	}
	for _, op := range r.ops() {
		if !strings.HasPrefix(op, "list-") {
			continue
		}
		base, okA := a(op)
		if !okA || base.P50 == 0 {
			continue
		}
		for _, g := range []struct {
			key string
			max float64
		}{{sa, 1.0}, {pb, 0.6}, {sa + SuffixProtobuf, 0.6}} {
			c, ok := r.find(g.key, op)
			if !ok {
				continue
			}
			ratio := float64(c.P50) / float64(base.P50)
			out = append(out, Check{
				Goal:   fmt.Sprintf("(%s) %s latency <= %.1fx (a)", g.key, op, g.max),
				Pass:   ratio <= g.max,
				Detail: fmt.Sprintf("p50 %s vs %s = %s", FormatDuration(c.P50), FormatDuration(base.P50), formatRatio(ratio)),
			})
		}
	}
	for _, key := range []string{KeyAggregated, sa, pb, sa + SuffixProtobuf} {
		for _, op := range r.ops() {
			if op == OpWatch {
				continue
			}
			base, okA := a(op)
			c, ok := r.find(key, op)
			if !okA || !ok || base.CPU == nil || c.CPU == nil || base.CPU[ProcKubeAPIServer] <= 0 {
				continue
			}
			ours := c.CPU[ProcWorkloadsAPIServer]
			ratio := ours / base.CPU[ProcKubeAPIServer]
			out = append(out, Check{
				Goal: fmt.Sprintf("(%s) %s workloads-apiserver CPU <= 0.8x kube-apiserver CPU of (a)", key, op),
				Pass: ratio <= 0.8,
				Detail: fmt.Sprintf("%s vs %s CPU s per 1000 = %s", formatCPU(ours), formatCPU(base.CPU[ProcKubeAPIServer]),
					formatRatio(ratio)),
			})
		}
	}
	return out
}

// extraKubeCPULines report the kube-apiserver CPU an aggregated request
// costs (proxying and, for the editor, authentication and the
// SubjectAccessReviews), next to what a native request costs it.
func (r *Report) extraKubeCPULines() []string {
	var out []string
	for _, op := range r.ops() {
		a, okA := r.find(KeyNative, op)
		if !okA || a.CPU == nil {
			continue
		}
		var parts []string
		for _, key := range []string{KeyAggregated, KeyAggregated + SuffixEditor, KeyAggregated + SuffixProtobuf, KeyAggregated + SuffixEditor + SuffixProtobuf} {
			c, ok := r.find(key, op)
			if !ok || c.CPU == nil {
				continue
			}
			parts = append(parts, fmt.Sprintf("(%s) %s", key, formatCPU(c.CPU[ProcKubeAPIServer])))
		}
		if len(parts) == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("%s: kube-apiserver CPU s per 1000 aggregated requests %s; per 1000 native requests (a) %s",
			op, strings.Join(parts, ", "), formatCPU(a.CPU[ProcKubeAPIServer])))
	}
	return out
}

func (t *table) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", t.title)
	widths := make([]int, len(t.header))
	for _, row := range append([][]string{t.header}, t.rows...) {
		for i, c := range row {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for _, row := range append([][]string{t.header}, t.rows...) {
		for i, c := range row {
			pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
			if i < t.left {
				b.WriteString(c + pad)
			} else {
				b.WriteString(pad + c)
			}
			if i < len(row)-1 {
				b.WriteString("  ")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (t *table) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", t.title)
	writeMarkdownRow(&b, t.header)
	sep := make([]string, len(t.header))
	for i := range sep {
		sep[i] = "---:"
		if i < t.left {
			sep[i] = "---"
		}
	}
	writeMarkdownRow(&b, sep)
	for _, row := range t.rows {
		writeMarkdownRow(&b, row)
	}
	return b.String()
}

// extraTables are the tables after the main one, in order.
func (r *Report) extraTables() []*table {
	var out []*table
	for _, t := range []*table{r.cpuTable(), r.decompositionTable(), r.memoryTable()} {
		if t != nil {
			out = append(out, t)
		}
	}
	return out
}
