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
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Target keys. The first is the baseline every ratio refers to.
const (
	KeyNative     = "a"
	KeyCRD        = "b"
	KeyAggregated = "c"
	KeyDirect     = "d"
)

// Operation names.
const (
	OpCreate = "create"
	OpGet    = "get"
	OpUpdate = "update"
	OpWatch  = "watch"
)

// ListOp names the list operation with size objects present: "list-1k",
// "list-5k", "list-1500".
func ListOp(size int) string {
	if size >= 1000 && size%1000 == 0 {
		return fmt.Sprintf("list-%dk", size/1000)
	}
	return fmt.Sprintf("list-%d", size)
}

// Result is the measurement of one operation on one target.
type Result struct {
	// Key is the target's short key ("a" .. "d"), Target its description.
	Key, Target string
	Op          string
	Stats
	// ResponseBytes is the size of one response (uncompressed JSON or
	// protobuf), for lists; 0 when not recorded.
	ResponseBytes int64
	// Fanout holds the delivery counts of a watch fan-out row.
	Fanout *FanoutResult
	// CPU is the CPU seconds each server process (ProcKubeAPIServer, ...)
	// spent per 1000 operations of this row, read from /proc before and
	// after it; nil when not measured (watch).
	CPU map[string]float64
}

// Check is one goal with its outcome.
type Check struct {
	Goal   string
	Pass   bool
	Detail string
}

// Report holds a run's results in measurement order.
type Report struct {
	// Title heads the markdown document.
	Title string
	// Notes are printed under the title (configuration of the run).
	Notes   []string
	Results []Result
	// Memory are the API servers' memory readings of the run.
	Memory []MemoryReading
}

func (r *Report) find(key, op string) (Result, bool) {
	for _, res := range r.Results {
		if res.Key == key && res.Op == op {
			return res, true
		}
	}
	return Result{}, false
}

// row is a result with its ratios to the baseline, formatted.
type row struct {
	target, op, ops, p50, p99, opsRatio, p50Ratio, p99Ratio string
}

var header = row{"target", "op", "ops/s", "p50", "p99", "ops/s vs (a)", "p50 vs (a)", "p99 vs (a)"}

func (r *Report) rows() []row {
	var out []row
	for _, res := range r.Results {
		base, ok := r.find(KeyNative, res.Op)
		rw := row{
			target:   fmt.Sprintf("(%s) %s", res.Key, res.Target),
			op:       res.Op,
			ops:      formatRate(res.OpsPerSec),
			p50:      FormatDuration(res.P50),
			p99:      FormatDuration(res.P99),
			opsRatio: "-", p50Ratio: "-", p99Ratio: "-",
		}
		if ok {
			if res.OpsPerSec > 0 && base.OpsPerSec > 0 {
				rw.opsRatio = formatRatio(res.OpsPerSec / base.OpsPerSec)
			}
			if base.P50 > 0 {
				rw.p50Ratio = formatRatio(float64(res.P50) / float64(base.P50))
			}
			if base.P99 > 0 {
				rw.p99Ratio = formatRatio(float64(res.P99) / float64(base.P99))
			}
		}
		out = append(out, rw)
	}
	return out
}

func (rw row) cells() []string {
	return []string{rw.target, rw.op, rw.ops, rw.p50, rw.p99, rw.opsRatio, rw.p50Ratio, rw.p99Ratio}
}

// WriteText prints the results as an aligned table followed by the checks.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, rw := range append([]row{header}, r.rows()...) {
		if _, err := fmt.Fprintln(tw, strings.Join(rw.cells(), "\t")); err != nil {
			return err
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	for _, l := range r.sizeLines() {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return err
		}
	}
	for _, t := range r.extraTables() {
		if _, err := fmt.Fprintf(w, "\n%s", t.text()); err != nil {
			return err
		}
	}
	if lines := append(r.extraKubeCPULines(), r.idleLines()...); len(lines) > 0 {
		if _, err := fmt.Fprintf(w, "\n%s\n\n", strings.Join(lines, "\n")); err != nil {
			return err
		}
	}
	for _, c := range r.Checks() {
		if _, err := fmt.Fprintln(w, c.line()); err != nil {
			return err
		}
	}
	return nil
}

// Markdown renders the title, notes, results table and checks as a markdown
// document.
func (r *Report) Markdown() string {
	var b strings.Builder
	if r.Title != "" {
		fmt.Fprintf(&b, "# %s\n\n", r.Title)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n")
	}
	writeMarkdownRow(&b, header.cells())
	sep := make([]string, len(header.cells()))
	for i := range sep {
		if i < 2 {
			sep[i] = "---"
		} else {
			sep[i] = "---:"
		}
	}
	writeMarkdownRow(&b, sep)
	for _, rw := range r.rows() {
		writeMarkdownRow(&b, rw.cells())
	}
	if lines := r.sizeLines(); len(lines) > 0 {
		b.WriteString("\n")
		for _, l := range lines {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	for _, t := range r.extraTables() {
		b.WriteString("\n")
		b.WriteString(t.markdown())
	}
	if lines := append(r.extraKubeCPULines(), r.idleLines()...); len(lines) > 0 {
		b.WriteString("\n")
		for _, l := range lines {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	if checks := r.Checks(); len(checks) > 0 {
		b.WriteString("\n## Goals\n\n")
		for _, c := range checks {
			fmt.Fprintf(&b, "- %s\n", c.line())
		}
	}
	return b.String()
}

func writeMarkdownRow(b *strings.Builder, cells []string) {
	b.WriteString("|")
	for _, c := range cells {
		b.WriteString(" ")
		b.WriteString(strings.ReplaceAll(c, "|", `\|`))
		b.WriteString(" |")
	}
	b.WriteString("\n")
}

func (c Check) line() string {
	verdict := "MISS"
	if c.Pass {
		verdict = "PASS"
	}
	return fmt.Sprintf("%s  %s: %s", verdict, c.Goal, c.Detail)
}

// Checks evaluates the goals for the aggregated path (c): create and update
// throughput at least 0.9x the native apps/v1 (a), list latency (p50) at most
// 1.2x (a), and (c) ahead of the CRD (b) on every operation (throughput for
// writes and reads, p50 latency for lists and watch). Goals whose results are
// missing are left out.
func (r *Report) Checks() []Check {
	var out []Check
	for _, op := range []string{OpCreate, OpUpdate} {
		a, okA := r.find(KeyNative, op)
		c, okC := r.find(KeyAggregated, op)
		if !okA || !okC || a.OpsPerSec == 0 {
			continue
		}
		ratio := c.OpsPerSec / a.OpsPerSec
		out = append(out, Check{
			Goal:   fmt.Sprintf("(c) %s throughput >= 0.9x (a)", op),
			Pass:   ratio >= 0.9,
			Detail: fmt.Sprintf("%s vs %s ops/s = %s", formatRate(c.OpsPerSec), formatRate(a.OpsPerSec), formatRatio(ratio)),
		})
	}
	for _, op := range r.ops() {
		if !strings.HasPrefix(op, "list-") {
			continue
		}
		a, okA := r.find(KeyNative, op)
		c, okC := r.find(KeyAggregated, op)
		if !okA || !okC || a.P50 == 0 {
			continue
		}
		ratio := float64(c.P50) / float64(a.P50)
		out = append(out, Check{
			Goal:   fmt.Sprintf("(c) %s latency <= 1.2x (a)", op),
			Pass:   ratio <= 1.2,
			Detail: fmt.Sprintf("p50 %s vs %s = %s", FormatDuration(c.P50), FormatDuration(a.P50), formatRatio(ratio)),
		})
	}
	for _, op := range r.ops() {
		b, okB := r.find(KeyCRD, op)
		c, okC := r.find(KeyAggregated, op)
		if !okB || !okC {
			continue
		}
		chk := Check{Goal: fmt.Sprintf("(c) beats (b) on %s", op)}
		if c.OpsPerSec > 0 && b.OpsPerSec > 0 && !strings.HasPrefix(op, "list-") {
			chk.Pass = c.OpsPerSec > b.OpsPerSec
			chk.Detail = fmt.Sprintf("%s vs %s ops/s", formatRate(c.OpsPerSec), formatRate(b.OpsPerSec))
		} else {
			chk.Pass = c.P50 < b.P50
			chk.Detail = fmt.Sprintf("p50 %s vs %s", FormatDuration(c.P50), FormatDuration(b.P50))
		}
		out = append(out, chk)
	}
	return append(out, r.issueChecks()...)
}

// sizeLines describes the response sizes recorded per operation, e.g.
// "list-1k response size: (a) 5.2 MB, (b) 5.1 MB", so that a difference in
// what the targets return is visible next to their latencies.
func (r *Report) sizeLines() []string {
	var out []string
	for _, op := range r.ops() {
		var parts []string
		for _, res := range r.Results {
			if res.Op == op && res.ResponseBytes > 0 {
				parts = append(parts, fmt.Sprintf("(%s) %s", res.Key, formatBytes(res.ResponseBytes)))
			}
		}
		if len(parts) > 0 {
			out = append(out, fmt.Sprintf("%s response size: %s", op, strings.Join(parts, ", ")))
		}
	}
	return append(out, r.fanoutLines()...)
}

// fanoutLines describes each watch fan-out row: how many deliveries were
// expected, how many never came, and how long the paced writes took.
func (r *Report) fanoutLines() []string {
	var out []string
	for _, res := range r.Results {
		if res.Op != OpFanout || res.Fanout == nil {
			continue
		}
		f := res.Fanout
		line := fmt.Sprintf("%s (%s): %d deliveries expected, %d missing; watches ended by the server and resumed %d times, %d not resumable; writes took %s; delivery p50 %s, p99 %s, max %s",
			OpFanout, res.Key, f.Deliveries, f.Missing, f.Resumed, f.ClosedWatches, FormatDuration(f.WriteWall),
			FormatDuration(res.P50), FormatDuration(res.P99), FormatDuration(res.Max))
		if f.Terminated >= 0 {
			line += fmt.Sprintf("; the watch cache closed %d watchers as too slow (apiserver_terminated_watchers_total)", f.Terminated)
		}
		if f.FirstClose != "" {
			line += "; first unresumable end: " + f.FirstClose
		}
		out = append(out, line)
	}
	return out
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}

// ops lists the operations in the order they were first measured.
func (r *Report) ops() []string {
	var out []string
	seen := map[string]bool{}
	for _, res := range r.Results {
		if !seen[res.Op] {
			seen[res.Op] = true
			out = append(out, res.Op)
		}
	}
	return out
}

// FormatDuration prints a latency with three significant digits in a unit
// that suits it: "850µs", "1.25ms", "12.5ms", "310ms", "1.52s".
func FormatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

func formatRate(r float64) string {
	switch {
	case r <= 0:
		return "-"
	case r < 10:
		return fmt.Sprintf("%.2f", r)
	case r < 100:
		return fmt.Sprintf("%.1f", r)
	default:
		return fmt.Sprintf("%.0f", r)
	}
}

func formatRatio(r float64) string { return fmt.Sprintf("%.2fx", r) }

// sizeName is a list size as ListOp names it: "1k", "5k", "1500".
func sizeName(size int) string { return strings.TrimPrefix(ListOp(size), "list-") }

// Suffixes of the variant targets' keys: "a-sa" is (a) as the non-admin
// editor, "c-pb" is (c) speaking protobuf.
const (
	SuffixEditor   = "-sa"
	SuffixProtobuf = "-pb"
)
