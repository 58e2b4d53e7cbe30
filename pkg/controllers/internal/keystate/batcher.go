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
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Batcher coalesces work per key: it remembers when the last batch of a key
// started (Mark, Observe) and tells how long the next one waits (Wait) so
// that a key is worked on at most once a period.
//
// The zero value is not usable; use NewBatcher.
type Batcher[K comparable] struct {
	period time.Duration
	clock  clock.PassiveClock

	mu   sync.Mutex
	last map[K]time.Time
}

// NewBatcher returns a Batcher of the given period on clk (the real clock
// when nil).
func NewBatcher[K comparable](period time.Duration, clk clock.PassiveClock) *Batcher[K] {
	if clk == nil {
		clk = clock.RealClock{}
	}
	return &Batcher[K]{period: period, clock: clk, last: map[K]time.Time{}}
}

// Period returns the batch period.
func (b *Batcher[K]) Period() time.Duration {
	return b.period
}

// Wait returns how long until a period has passed since the last Mark or
// Observe of key: zero when there was none or the period is over.
func (b *Batcher[K]) Wait(key K) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	last, ok := b.last[key]
	if !ok {
		return 0
	}
	return max(b.period-b.clock.Since(last), 0)
}

// Mark records now as the start of a batch of key.
func (b *Batcher[K]) Mark(key K) {
	now := b.clock.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.last[key] = now
}

// Observe records an event of key now and reports whether it follows the
// previous one within the period: it is part of a burst, and its work can
// wait a period to be done with the rest of the burst.
func (b *Batcher[K]) Observe(key K) bool {
	now := b.clock.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	last, seen := b.last[key]
	b.last[key] = now
	return seen && now.Sub(last) < b.period
}

// Forget drops what is remembered of key.
func (b *Batcher[K]) Forget(key K) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.last, key)
}

// ForgetAll drops what is remembered of every key.
func (b *Batcher[K]) ForgetAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.last)
}

// Len returns how many keys are remembered.
func (b *Batcher[K]) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.last)
}
