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
	"math"
	"slices"
	"sort"
	"time"
)

// Stats summarizes one operation on one target.
type Stats struct {
	// Count is the number of measured operations (or watch events).
	Count int
	// Wall is the time from the first operation's start to the last one's
	// end, all workers together.
	Wall time.Duration
	// OpsPerSec is Count/Wall; 0 when the measurement is not a throughput
	// (watch latency).
	OpsPerSec float64
	// P50, P99 and Max are latency percentiles (nearest rank).
	P50, P99, Max time.Duration
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value such that at least p percent of the
// values are less than or equal to it. It returns 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = max(1, min(rank, n))
	return sorted[rank-1]
}

// Summarize computes Stats from per-operation latencies and the wall time
// they took together. A zero wall time means no throughput is reported.
func Summarize(latencies []time.Duration, wall time.Duration) Stats {
	sorted := slices.Clone(latencies)
	slices.Sort(sorted)
	s := Stats{
		Count: len(sorted),
		Wall:  wall,
		P50:   Percentile(sorted, 50),
		P99:   Percentile(sorted, 99),
	}
	if len(sorted) > 0 {
		s.Max = sorted[len(sorted)-1]
	}
	if wall > 0 {
		s.OpsPerSec = float64(len(sorted)) / wall.Seconds()
	}
	return s
}

// MedianResults combines the results of several rounds of the same run
// (same targets and operations in the same order): each row takes the
// median of the rounds' ops/s, p50, p99 and per-process CPU, the count of
// the first round and the largest response size. With one round it returns
// that round.
func MedianResults(rounds [][]Result) []Result {
	if len(rounds) == 0 {
		return nil
	}
	if len(rounds) == 1 {
		return rounds[0]
	}
	out := make([]Result, 0, len(rounds[0]))
	for i, first := range rounds[0] {
		var rows []Result
		for _, r := range rounds {
			if i < len(r) && r[i].Key == first.Key && r[i].Op == first.Op {
				rows = append(rows, r[i])
			}
		}
		m := first
		m.OpsPerSec = medianOf(rows, func(r Result) float64 { return r.OpsPerSec })
		m.P50 = time.Duration(medianOf(rows, func(r Result) float64 { return float64(r.P50) }))
		m.P99 = time.Duration(medianOf(rows, func(r Result) float64 { return float64(r.P99) }))
		for _, r := range rows {
			m.ResponseBytes = max(m.ResponseBytes, r.ResponseBytes)
			if r.Fanout != nil && first.Fanout != nil {
				// The worst round's losses, not the median's.
				f := *m.Fanout
				f.Missing = max(f.Missing, r.Fanout.Missing)
				f.ClosedWatches = max(f.ClosedWatches, r.Fanout.ClosedWatches)
				f.Resumed = max(f.Resumed, r.Fanout.Resumed)
				f.Terminated = max(f.Terminated, r.Fanout.Terminated)
				m.Fanout = &f
			}
		}
		if first.CPU != nil {
			m.CPU = map[string]float64{}
			for proc := range first.CPU {
				m.CPU[proc] = medianOf(rows, func(r Result) float64 { return r.CPU[proc] })
			}
		}
		out = append(out, m)
	}
	return out
}

func medianOf(rows []Result, f func(Result) float64) float64 {
	v := make([]float64, len(rows))
	for i, r := range rows {
		v[i] = f(r)
	}
	sort.Float64s(v)
	n := len(v)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
