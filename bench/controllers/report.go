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

func ratio(ours, upstream float64) float64 {
	if upstream == 0 {
		return 0
	}
	return ours / upstream
}

// TimeRatio is ours / upstream time to all available.
func (r Row) TimeRatio() float64 {
	return ratio(float64(r.Ours.Duration), float64(r.Upstream.Duration))
}

// WritesRatio is ours / upstream writes per pod.
func (r Row) WritesRatio() float64 {
	return ratio(r.Ours.WritesPerPod(), r.Upstream.WritesPerPod())
}

// CPURatio is ours / upstream controller manager CPU seconds.
func (r Row) CPURatio() float64 { return ratio(r.Ours.CPUSeconds, r.Upstream.CPUSeconds) }

// RSSRatio is ours / upstream controller manager peak RSS.
func (r Row) RSSRatio() float64 { return ratio(float64(r.Ours.PeakRSS), float64(r.Upstream.PeakRSS)) }

// Rows pairs measurements by workload and phase, in first-seen order. With
// several rounds, a row holds the mean duration and CPU seconds, the highest
// peak RSS, the writes and pods summed over the rounds (so writes per pod is
// over all of them), and is timed out when any round was (Reached is the
// last timed-out round's).
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
		agg.CPUSeconds += (m.CPUSeconds - agg.CPUSeconds) / float64(n)
		agg.PeakRSS = max(agg.PeakRSS, m.PeakRSS)
		if m.TimedOut {
			agg.TimedOut, agg.Reached = true, m.Reached
		}
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

// Goals are the ours/upstream ratios a run is checked against (at most).
type Goals struct {
	Time, Writes, CPU, RSS float64
	// LagP50 and LagP99 bound the CronJob schedule lag ratios; 0 leaves
	// the check out.
	LagP50, LagP99 float64
}

// DefaultGoals are the checks of the default run.
var DefaultGoals = Goals{Time: 1.0, Writes: 1.0, CPU: 1.0, RSS: 1.0, LagP50: 1.0, LagP99: 1.0}

// ScaleGoals are the targets of the scale run (tracker issue 16).
var ScaleGoals = Goals{Time: 0.8, Writes: 1.0, CPU: 1.0, RSS: 1.0, LagP99: 0.5}

// ran reports whether a row's side was measured at all (a run that stopped
// early may have measured only one side of a phase).
func ran(m Measurement) bool { return m.Implementation != "" }

func fmtTime(m Measurement) string {
	if !ran(m) {
		return "not run"
	}
	d := m.Duration.Round(10 * time.Millisecond).String()
	if m.TimedOut {
		return fmt.Sprintf("**timeout** %s (%s)", d, m.Reached)
	}
	return d
}

func mib(b int64) string { return fmt.Sprintf("%d MiB", b>>20) }

// Markdown renders rows as a markdown table with a line per goal check.
func Markdown(rows []Row, header string, g Goals) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", header)
	b.WriteString("| workload | phase | pods | time upstream | time ours | × | writes/pod upstream | writes/pod ours | × | CPU-s upstream | CPU-s ours | × | peak RSS upstream | peak RSS ours | × |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %.2f× | %.2f | %.2f | %.2f× | %.2f | %.2f | %.2f× | %s | %s | %.2f× |\n",
			r.Workload, r.Phase, r.Pods, fmtTime(r.Upstream), fmtTime(r.Ours), r.TimeRatio(),
			r.Upstream.WritesPerPod(), r.Ours.WritesPerPod(), r.WritesRatio(),
			r.Upstream.CPUSeconds, r.Ours.CPUSeconds, r.CPURatio(),
			mib(r.Upstream.PeakRSS), mib(r.Ours.PeakRSS), r.RSSRatio())
	}
	fmt.Fprintf(&b, "\nTargets (ours/upstream): time ≤ %.1f×, writes per pod ≤ %.1f×, CPU ≤ %.1f×, peak RSS ≤ %.1f×. A phase that timed out on either side has no valid time, writes or CPU ratio (TIMEOUT).\n\n",
		g.Time, g.Writes, g.CPU, g.RSS)
	for _, r := range rows {
		if !ran(r.Upstream) || !ran(r.Ours) {
			fmt.Fprintf(&b, "- %s %s: INCOMPLETE (upstream %s, ours %s)\n", r.Workload, r.Phase, reachedOrDone(r.Upstream), reachedOrDone(r.Ours))
			continue
		}
		if r.Upstream.TimedOut || r.Ours.TimedOut {
			fmt.Fprintf(&b, "- %s %s: TIMEOUT (upstream %s, ours %s); peak RSS %s (%.3f×)\n", r.Workload, r.Phase,
				reachedOrDone(r.Upstream), reachedOrDone(r.Ours), verdict(r.RSSRatio() <= g.RSS), r.RSSRatio())
			continue
		}
		fmt.Fprintf(&b, "- %s %s: time %s (%.3f×), writes %s (%.3f×), CPU %s (%.3f×), peak RSS %s (%.3f×)\n", r.Workload, r.Phase,
			verdict(r.TimeRatio() <= g.Time), r.TimeRatio(), verdict(r.WritesRatio() <= g.Writes), r.WritesRatio(),
			verdict(r.CPURatio() <= g.CPU), r.CPURatio(), verdict(r.RSSRatio() <= g.RSS), r.RSSRatio())
	}
	b.WriteString("\nWrites by resource:\n\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "- %s %s: upstream %v; ours %v\n", r.Workload, r.Phase, map[string]int(r.Upstream.Writes), map[string]int(r.Ours.Writes))
	}
	return b.String()
}

func reachedOrDone(m Measurement) string {
	if !ran(m) {
		return "not run"
	}
	if m.TimedOut {
		return "timed out at " + m.Reached
	}
	return "done in " + m.Duration.Round(10*time.Millisecond).String()
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// LagMarkdown renders the CronJob schedule lags: per implementation, all
// firings pooled, with the ratios of ours to upstream, and the writes, CPU
// and peak RSS of the firings.
func LagMarkdown(ms []LagMeasurement, g Goals) string {
	pooled := map[Implementation]*LagMeasurement{}
	rounds := map[Implementation]int{}
	for _, m := range ms {
		p, ok := pooled[m.Implementation]
		if !ok {
			p = &LagMeasurement{Implementation: m.Implementation, Writes: Writes{}}
			pooled[m.Implementation] = p
		}
		rounds[m.Implementation]++
		n := float64(rounds[m.Implementation])
		p.CronJobs = m.CronJobs
		p.Lags = append(p.Lags, m.Lags...)
		p.WatchRestarts += m.WatchRestarts
		p.Minutes = max(p.Minutes, m.Minutes)
		p.Duration += time.Duration((float64(m.Duration) - float64(p.Duration)) / n)
		p.CPUSeconds += (m.CPUSeconds - p.CPUSeconds) / n
		p.PeakRSS = max(p.PeakRSS, m.PeakRSS)
		p.TimedOut = p.TimedOut || m.TimedOut
		for k, v := range m.Writes {
			p.Writes[k] += v
		}
	}
	for _, p := range pooled {
		slices.Sort(p.Lags)
	}
	var b strings.Builder
	b.WriteString("CronJob schedule lag (scheduled minute to the Job's ADDED event at a watch), and what the firing cost (from the first CronJob create to the last Job seen):\n\n")
	b.WriteString("| implementation | CronJobs | Jobs | minutes | p50 | p99 | max | time | writes/Job | CPU-s | peak RSS | watch restarts |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, impl := range []Implementation{Upstream, Ours} {
		p, ok := pooled[impl]
		if !ok {
			continue
		}
		jobs := fmt.Sprintf("%d", len(p.Lags))
		if p.TimedOut {
			jobs = fmt.Sprintf("**timeout** %d/%d", len(p.Lags), p.CronJobs*rounds[impl])
		}
		perJob := 0.0
		if len(p.Lags) > 0 {
			perJob = float64(p.Writes.Total()) / float64(len(p.Lags))
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %d | %s | %s | %s | %s | %.2f | %.2f | %s | %d |\n", impl, p.CronJobs, jobs, p.Minutes,
			p.Percentile(0.5).Round(time.Millisecond), p.Percentile(0.99).Round(time.Millisecond), p.Percentile(1).Round(time.Millisecond),
			p.Duration.Round(10*time.Millisecond), perJob, p.CPUSeconds, mib(p.PeakRSS), p.WatchRestarts)
	}
	b.WriteString("\n\"minutes\" is how many distinct scheduled minutes the Jobs were named after (1: every CronJob fired in the same minute).\n\nPer firing (p50 / p99):\n\n")
	for _, m := range ms {
		fmt.Fprintf(&b, "- %s: %s / %s\n", m.Implementation, m.Percentile(0.5).Round(time.Millisecond), m.Percentile(0.99).Round(time.Millisecond))
	}
	up, okU := pooled[Upstream]
	our, okO := pooled[Ours]
	if okU && okO {
		b.WriteString("\n")
		if up.TimedOut || our.TimedOut {
			b.WriteString("- CronJob lag: TIMEOUT (not every CronJob fired within the phase bound; the percentiles are of the Jobs seen)\n")
		}
		if g.LagP50 > 0 && up.Percentile(0.5) > 0 {
			r50 := float64(our.Percentile(0.5)) / float64(up.Percentile(0.5))
			fmt.Fprintf(&b, "- CronJob lag p50: %s (%.3f×, target ≤ %.1f×)\n", verdict(r50 <= g.LagP50), r50, g.LagP50)
		}
		if g.LagP99 > 0 && up.Percentile(0.99) > 0 {
			r99 := float64(our.Percentile(0.99)) / float64(up.Percentile(0.99))
			fmt.Fprintf(&b, "- CronJob lag p99: %s (%.3f×, target ≤ %.1f×)\n", verdict(r99 <= g.LagP99), r99, g.LagP99)
		}
		fmt.Fprintf(&b, "- CronJob firing CPU: %s (%.3f×), peak RSS: %s (%.3f×)\n",
			verdict(ratio(our.CPUSeconds, up.CPUSeconds) <= g.CPU), ratio(our.CPUSeconds, up.CPUSeconds),
			verdict(ratio(float64(our.PeakRSS), float64(up.PeakRSS)) <= g.RSS), ratio(float64(our.PeakRSS), float64(up.PeakRSS)))
	}
	return b.String()
}
