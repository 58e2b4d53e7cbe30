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
