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

package keystate

import (
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

const period = 100 * time.Millisecond

func TestBatcherWait(t *testing.T) {
	tests := []struct {
		name  string
		mark  bool
		after time.Duration
		want  time.Duration
	}{
		{name: "never marked", want: 0},
		{name: "just marked", mark: true, want: period},
		{name: "within the period", mark: true, after: period / 4, want: period * 3 / 4},
		{name: "period over", mark: true, after: period, want: 0},
		{name: "long after", mark: true, after: 10 * period, want: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// setup
			clk := clocktesting.NewFakePassiveClock(time.Unix(1000, 0))
			b := NewBatcher[string](period, clk)
			if tc.mark {
				b.Mark("k")
			}
			clk.SetTime(clk.Now().Add(tc.after))
			// execute
			got := b.Wait("k")
			// assert
			if got != tc.want {
				t.Errorf("Wait = %v, want %v", got, tc.want)
			}
			if w := b.Wait("other"); w != 0 {
				t.Errorf("Wait of an unmarked key = %v, want 0", w)
			}
		})
	}
}

func TestBatcherObserve(t *testing.T) {
	tests := []struct {
		name string
		// gaps between successive Observe calls; the first call is at 0.
		gaps []time.Duration
		want []bool
	}{
		{name: "first event", gaps: []time.Duration{0}, want: []bool{false}},
		{name: "burst", gaps: []time.Duration{0, period / 2, period / 2}, want: []bool{false, true, true}},
		{name: "quiet period ends the burst", gaps: []time.Duration{0, period / 2, period, period / 10},
			want: []bool{false, true, false, true}},
		{name: "exactly one period apart", gaps: []time.Duration{0, period}, want: []bool{false, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := clocktesting.NewFakePassiveClock(time.Unix(1000, 0))
			b := NewBatcher[string](period, clk)
			for i, gap := range tc.gaps {
				clk.SetTime(clk.Now().Add(gap))
				if got := b.Observe("k"); got != tc.want[i] {
					t.Errorf("Observe #%d = %v, want %v", i, got, tc.want[i])
				}
			}
		})
	}
}

func TestBatcherForget(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Unix(1000, 0))
	b := NewBatcher[int](period, clk)
	b.Mark(1)
	b.Mark(2)
	b.Observe(3)
	b.Forget(1)
	if w := b.Wait(1); w != 0 {
		t.Errorf("Wait after Forget = %v, want 0", w)
	}
	if b.Observe(1) {
		t.Errorf("Observe after Forget reported a burst")
	}
	if b.Len() != 3 {
		t.Errorf("Len = %d, want 3", b.Len())
	}
	b.ForgetAll()
	if b.Len() != 0 {
		t.Errorf("Len after ForgetAll = %d, want 0", b.Len())
	}
	if b.Period() != period {
		t.Errorf("Period = %v, want %v", b.Period(), period)
	}
}

func TestNewBatcherDefaultsToTheRealClock(t *testing.T) {
	b := NewBatcher[string](time.Hour, nil)
	b.Mark("k")
	if w := b.Wait("k"); w <= 0 || w > time.Hour {
		t.Errorf("Wait on the real clock = %v, want within (0, 1h]", w)
	}
}
