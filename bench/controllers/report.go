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
	"fmt"
	"slices"
	"strings"
	"time"
)

// Row compares one phase of one workload across the implementations.
type Row struct {
	Workload, Phase string
	Pods            int
	Upstream, Ours  Measurement
}

// TimeRatio is ours / upstream time to all available (≤ 1 is the target).
func (r Row) TimeRatio() float64 {
	if r.Upstream.Duration == 0 {
		return 0
	}
	return float64(r.Ours.Duration) / float64(r.Upstream.Duration)
}

// WritesRatio is ours / upstream writes per pod (≤ 1 is the target).
func (r Row) WritesRatio() float64 {
	if r.Upstream.WritesPerPod() == 0 {
		return 0
	}
	return r.Ours.WritesPerPod() / r.Upstream.WritesPerPod()
}

// Rows pairs measurements by workload and phase, in first-seen order. With
// several rounds, a row holds the mean duration and the writes and pods
// summed over the rounds (so writes per pod is over all of them).
func Rows(ms []Measurement) []Row {
	var rows []Row
	index := map[string]int{}
	rounds := map[string]int{}
	for _, m := range ms {
		k := m.Workload + "/" + m.Phase
		i, ok := index[k]
		if !ok {
			i = len(rows)
			index[k] = i
			rows = append(rows, Row{Workload: m.Workload, Phase: m.Phase, Pods: m.Pods})
		}
		var agg *Measurement
		switch m.Implementation {
		case Upstream:
			agg = &rows[i].Upstream
		case Ours:
			agg = &rows[i].Ours
		default:
			continue
		}
		rk := k + "/" + string(m.Implementation)
		rounds[rk]++
		n := time.Duration(rounds[rk])
		agg.Workload, agg.Phase, agg.Implementation = m.Workload, m.Phase, m.Implementation
		agg.Duration += (m.Duration - agg.Duration) / n
		agg.Pods += m.Pods
		if agg.Writes == nil {
			agg.Writes = Writes{}
		}
		for r, v := range m.Writes {
			agg.Writes[r] += v
		}
	}
	return rows
}

// Markdown renders rows as a markdown table with a line per target check.
func Markdown(rows []Row, header string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", header)
	b.WriteString("| workload | phase | pods | kube-controller-manager | workloads-controller-manager | time ratio | writes/pod upstream | writes/pod ours | writes ratio |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %.2f× | %.2f | %.2f | %.2f× |\n",
			r.Workload, r.Phase, r.Pods, r.Upstream.Duration.Round(10*time.Millisecond), r.Ours.Duration.Round(10*time.Millisecond),
			r.TimeRatio(), r.Upstream.WritesPerPod(), r.Ours.WritesPerPod(), r.WritesRatio())
	}
	b.WriteString("\nTargets: time ≤ 1.0× upstream, writes per pod ≤ upstream.\n\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "- %s %s: time %s (%.3f×), writes %s (%.3f×)\n", r.Workload, r.Phase,
			verdict(r.TimeRatio() <= 1.0), r.TimeRatio(), verdict(r.WritesRatio() <= 1.0), r.WritesRatio())
	}
	b.WriteString("\nWrites by resource:\n\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "- %s %s: upstream %v; ours %v\n", r.Workload, r.Phase, map[string]int(r.Upstream.Writes), map[string]int(r.Ours.Writes))
	}
	return b.String()
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// LagMarkdown renders the CronJob schedule lags: per implementation, all
// firings pooled, with the ratios of ours to upstream.
func LagMarkdown(ms []LagMeasurement) string {
	pooled := map[Implementation]*LagMeasurement{}
	for _, m := range ms {
		p, ok := pooled[m.Implementation]
		if !ok {
			p = &LagMeasurement{Implementation: m.Implementation}
			pooled[m.Implementation] = p
		}
		p.CronJobs = m.CronJobs
		p.Lags = append(p.Lags, m.Lags...)
		p.WatchRestarts += m.WatchRestarts
	}
	for _, p := range pooled {
		slices.Sort(p.Lags)
	}
	var b strings.Builder
	b.WriteString("CronJob schedule lag (scheduled minute to the Job's ADDED event at a watch):\n\n")
	b.WriteString("| implementation | CronJobs | Jobs | p50 | p99 | max | watch restarts |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, impl := range []Implementation{Upstream, Ours} {
		p, ok := pooled[impl]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %s | %d |\n", impl, p.CronJobs, len(p.Lags),
			p.Percentile(0.5).Round(time.Millisecond), p.Percentile(0.99).Round(time.Millisecond), p.Percentile(1).Round(time.Millisecond), p.WatchRestarts)
	}
	b.WriteString("\nPer firing (p50 / p99):\n\n")
	for _, m := range ms {
		fmt.Fprintf(&b, "- %s: %s / %s\n", m.Implementation, m.Percentile(0.5).Round(time.Millisecond), m.Percentile(0.99).Round(time.Millisecond))
	}
	up, okU := pooled[Upstream]
	our, okO := pooled[Ours]
	if okU && okO && up.Percentile(0.5) > 0 && up.Percentile(0.99) > 0 {
		r50 := float64(our.Percentile(0.5)) / float64(up.Percentile(0.5))
		r99 := float64(our.Percentile(0.99)) / float64(up.Percentile(0.99))
		fmt.Fprintf(&b, "\n- CronJob lag p50: %s (%.3f×)\n- CronJob lag p99: %s (%.3f×)\n", verdict(r50 <= 1), r50, verdict(r99 <= 1), r99)
	}
	return b.String()
}
