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
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/bench/internal/cpuprofile"
)

// Config sets the size of a run.
type Config struct {
	// Ops is the number of measured creates, gets and updates per target.
	Ops int
	// ListOps is the number of measured lists per target and list size.
	ListOps int
	// ListSizes are the object counts at which lists are measured, ascending;
	// each target's namespace is filled up to each size in turn (the fill
	// creates are not measured).
	ListSizes []int
	// Concurrency is the number of workers issuing requests at once.
	Concurrency int
	// Warmup is the number of unmeasured create, get, list and delete rounds
	// per target before the measurements (connections, caches, handlers).
	Warmup int
	// WatchTimeout bounds the wait for the last watch events.
	WatchTimeout time.Duration
	// Settle is how long to wait after filling all targets to a list size
	// before reading the servers' steady memory.
	Settle time.Duration
	// Fanout sizes the watch fan-out measurement.
	Fanout Fanout
	// Profiler, when set, records a CPU profile of each of its endpoints'
	// processes over every measured row, in files named by target and
	// operation. Profiling costs the profiled processes some CPU, which
	// the row's CPU readings include.
	Profiler *cpuprofile.Profiler
}

// Validate reports a configuration that cannot run.
func (c Config) Validate() error {
	var errs []error
	if c.Ops < 1 {
		errs = append(errs, fmt.Errorf("ops must be positive, got %d", c.Ops))
	}
	if c.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("concurrency must be positive, got %d", c.Concurrency))
	}
	if c.Warmup < 0 {
		errs = append(errs, fmt.Errorf("warmup must not be negative, got %d", c.Warmup))
	}
	if len(c.ListSizes) > 0 && c.ListOps < 1 {
		errs = append(errs, fmt.Errorf("list ops must be positive, got %d", c.ListOps))
	}
	if !slices.IsSorted(c.ListSizes) {
		errs = append(errs, fmt.Errorf("list sizes must be ascending, got %v", c.ListSizes))
	}
	if len(c.ListSizes) > 0 && c.ListSizes[0] < c.Ops {
		errs = append(errs, fmt.Errorf("the smallest list size %d is below ops (%d objects exist before the first list)",
			c.ListSizes[0], c.Ops))
	}
	if err := c.Fanout.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Run measures every target, phase by phase (warm-up, create, get, update,
// watch latency of those writes, then list at each size), running the
// targets one after another within a phase so that all of them see the
// cluster in the same state. It returns the results in table order: by
// operation, then by target. The CPU time of procs is read before and after
// every measured operation of every target (Result.CPU), and the memory of
// the API servers at the start and after every fill.
func Run(ctx context.Context, cfg Config, targets []*Target, procs []Process) ([]Result, []MemoryReading, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	logger := klog.FromContext(ctx)
	var results []Result
	var before cpuSample
	var cpuErr error
	startCPU := func() {
		if len(procs) == 0 || cpuErr != nil {
			return
		}
		before, cpuErr = sampleCPU(procs)
	}
	add := func(t *Target, op string, s Stats) {
		res := Result{Key: t.Key, Target: t.Name, Op: op, Stats: s}
		if len(procs) > 0 && cpuErr == nil && op != OpWatch {
			var after cpuSample
			after, cpuErr = sampleCPU(procs)
			res.CPU = perThousand(before, after, s.Count)
		}
		results = append(results, res)
		logger.Info("Measured", "target", t.Key, "op", op, "count", s.Count,
			"opsPerSec", fmt.Sprintf("%.1f", s.OpsPerSec), "p50", s.P50, "p99", s.P99, "cpuPer1000", res.CPU)
	}
	// profile starts a CPU profile of every profiled process for one row;
	// the returned function waits for the profiles' last chunks.
	profile := func(t *Target, op string) func() {
		if cfg.Profiler == nil {
			return func() {}
		}
		label := t.Key + "-" + op
		var stops []func() []string
		for _, name := range slices.Sorted(maps.Keys(cfg.Profiler.Endpoints)) {
			stops = append(stops, cfg.Profiler.Start(ctx, name, label))
		}
		return func() {
			var files []string
			for _, stop := range stops {
				files = append(files, stop()...)
			}
			logger.V(2).Info("Recorded CPU profiles", "target", t.Key, "op", op, "files", files)
		}
	}
	var memory []MemoryReading
	readMemory := func(label string) error {
		if len(procs) == 0 {
			return nil
		}
		r, err := sampleMemory(label, procs)
		if err != nil {
			return err
		}
		memory = append(memory, r)
		return nil
	}
	if err := readMemory("start"); err != nil {
		return nil, nil, err
	}

	for _, t := range targets {
		if err := warmup(ctx, cfg, t); err != nil {
			return nil, nil, fmt.Errorf("target %s: warm-up: %w", t.Key, err)
		}
	}

	watchCtx, stopWatches := context.WithCancel(ctx)
	defer stopWatches()
	recorders := make(map[string]*watchRecorder, len(targets))
	for _, t := range targets {
		rec, err := startWatch(watchCtx, t)
		if err != nil {
			return nil, nil, fmt.Errorf("target %s: starting the watch: %w", t.Key, err)
		}
		recorders[t.Key] = rec
	}

	// create
	for _, t := range targets {
		objs := make([]runtime.Object, cfg.Ops)
		for i := range objs {
			obj, err := NewDeployment(t.APIVersion, t.Namespace, objectName("bench", i))
			if err != nil {
				return nil, nil, err
			}
			if objs[i], err = t.client.prepare(obj); err != nil {
				return nil, nil, err
			}
		}
		t.created = make([]runtime.Object, cfg.Ops)
		rec := recorders[t.Key]
		stopProfile := profile(t, OpCreate)
		startCPU()
		s, err := measure(ctx, cfg.Ops, cfg.Concurrency, func(ctx context.Context, i int) error {
			out, err := t.client.create(ctx, objs[i])
			if err != nil {
				return err
			}
			rec.wrote(out, time.Now())
			t.created[i] = out
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("target %s: create: %w", t.Key, err)
		}
		t.present += cfg.Ops
		add(t, OpCreate, s)
		stopProfile()
	}

	// get
	for _, t := range targets {
		names := make([]string, len(t.created))
		for i, o := range t.created {
			m, err := meta.Accessor(o)
			if err != nil {
				return nil, nil, err
			}
			names[i] = m.GetName()
		}
		stopProfile := profile(t, OpGet)
		startCPU()
		s, err := measure(ctx, cfg.Ops, cfg.Concurrency, func(ctx context.Context, i int) error {
			return t.client.get(ctx, names[i])
		})
		if err != nil {
			return nil, nil, fmt.Errorf("target %s: get: %w", t.Key, err)
		}
		add(t, OpGet, s)
		stopProfile()
	}

	// update
	for _, t := range targets {
		objs := make([]runtime.Object, cfg.Ops)
		for i, created := range t.created {
			u, err := t.client.unstructured(created)
			if err != nil {
				return nil, nil, err
			}
			if err := MutateForUpdate(u, 1); err != nil {
				return nil, nil, err
			}
			if objs[i], err = t.client.prepare(u); err != nil {
				return nil, nil, err
			}
		}
		rec := recorders[t.Key]
		stopProfile := profile(t, OpUpdate)
		startCPU()
		s, err := measure(ctx, cfg.Ops, cfg.Concurrency, func(ctx context.Context, i int) error {
			out, err := t.client.update(ctx, objs[i])
			if err != nil {
				return err
			}
			rec.wrote(out, time.Now())
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("target %s: update: %w", t.Key, err)
		}
		add(t, OpUpdate, s)
		stopProfile()
	}

	// watch latency of the creates and updates above
	for _, t := range targets {
		lat, missing, err := recorders[t.Key].latencies(ctx, cfg.WatchTimeout)
		if err != nil {
			return nil, nil, fmt.Errorf("target %s: watch: %w", t.Key, err)
		}
		if missing > 0 {
			return nil, nil, fmt.Errorf("target %s: %d of %d writes never arrived as watch events within %s",
				t.Key, missing, missing+len(lat), cfg.WatchTimeout)
		}
		add(t, OpWatch, Summarize(lat, 0))
	}
	stopWatches()

	// watch fan-out
	for _, t := range targets {
		if !slices.Contains(cfg.Fanout.Targets, t.Key) {
			continue
		}
		stopProfile := profile(t, OpFanout)
		fr, err := runFanout(ctx, cfg.Fanout, cfg.Concurrency, t, startCPU)
		if err != nil {
			return nil, nil, fmt.Errorf("target %s: watch fan-out: %w", t.Key, err)
		}
		add(t, OpFanout, fr.Stats)
		stopProfile()
		results[len(results)-1].Fanout = &fr
	}
	if err := readMemory("after create, get, update, watch"); err != nil {
		return nil, nil, err
	}

	// list
	for _, size := range cfg.ListSizes {
		for _, t := range targets {
			if err := fill(ctx, cfg, t, size); err != nil {
				return nil, nil, fmt.Errorf("target %s: filling to %d objects: %w", t.Key, size, err)
			}
			if err := readMemory(fmt.Sprintf("(%s) filled to %s", t.Key, sizeName(size))); err != nil {
				return nil, nil, err
			}
		}
		if len(procs) > 0 {
			idleBefore, err := sampleCPU(procs)
			if err != nil {
				return nil, nil, err
			}
			began := time.Now()
			select {
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			case <-time.After(cfg.Settle):
			}
			idleAfter, err := sampleCPU(procs)
			if err != nil {
				return nil, nil, err
			}
			if err := readMemory(fmt.Sprintf("all filled to %s, %s later", sizeName(size), cfg.Settle)); err != nil {
				return nil, nil, err
			}
			r := &memory[len(memory)-1]
			r.CPURate = map[string]float64{}
			for name, v := range idleAfter {
				r.CPURate[name] = (v - idleBefore[name]) / time.Since(began).Seconds()
			}
		}
		for _, t := range targets {
			var bytes atomic.Int64
			stopProfile := profile(t, ListOp(size))
			startCPU()
			s, err := measure(ctx, cfg.ListOps, cfg.Concurrency, func(ctx context.Context, _ int) error {
				n, err := t.listRaw(ctx)
				bytes.Store(n)
				return err
			})
			if err != nil {
				return nil, nil, fmt.Errorf("target %s: list: %w", t.Key, err)
			}
			add(t, ListOp(size), s)
			stopProfile()
			results[len(results)-1].ResponseBytes = bytes.Load()
		}
	}
	if cpuErr != nil {
		return nil, nil, cpuErr
	}
	return results, memory, nil
}

func objectName(prefix string, i int) string { return fmt.Sprintf("%s-%05d", prefix, i) }

func warmup(ctx context.Context, cfg Config, t *Target) error {
	if cfg.Warmup == 0 {
		return nil
	}
	_, err := measure(ctx, cfg.Warmup, cfg.Concurrency, func(ctx context.Context, i int) error {
		u, err := NewDeployment(t.APIVersion, t.Namespace, objectName("warmup", i))
		if err != nil {
			return err
		}
		obj, err := t.client.prepare(u)
		if err != nil {
			return err
		}
		if _, err := t.client.create(ctx, obj); err != nil {
			return err
		}
		if err := t.client.get(ctx, u.GetName()); err != nil {
			return err
		}
		if _, err := t.listRaw(ctx); err != nil {
			return err
		}
		return t.client.delete(ctx, u.GetName())
	})
	return err
}

// fill creates unmeasured objects until the target's namespace holds size
// objects, then checks the count with a decoded list.
func fill(ctx context.Context, cfg Config, t *Target, size int) error {
	if n := size - t.present; n > 0 {
		start := t.present
		began := time.Now()
		_, err := measure(ctx, n, cfg.Concurrency, func(ctx context.Context, i int) error {
			u, err := NewDeployment(t.APIVersion, t.Namespace, objectName("fill", start+i))
			if err != nil {
				return err
			}
			obj, err := t.client.prepare(u)
			if err != nil {
				return err
			}
			_, err = t.client.create(ctx, obj)
			return err
		})
		if err != nil {
			return err
		}
		t.present = size
		klog.FromContext(ctx).V(2).Info("Filled", "target", t.Key, "objects", size, "created", n, "took", time.Since(began))
	}
	n, _, err := t.client.list(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("namespace %s holds %d objects, want %d", t.Namespace, n, size)
	}
	return nil
}

// measure runs op for i in [0,n) on concurrency workers and returns the
// latency statistics. The first error stops the run and is returned.
func measure(ctx context.Context, n, concurrency int, op func(ctx context.Context, i int) error) (Stats, error) {
	lat, wall, err := runOps(ctx, n, concurrency, op)
	if err != nil {
		return Stats{}, err
	}
	return Summarize(lat, wall), nil
}

// runOps runs op for i in [0,n) on concurrency workers, timing each call.
func runOps(ctx context.Context, n, concurrency int, op func(ctx context.Context, i int) error) ([]time.Duration, time.Duration, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range min(concurrency, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				began := time.Now()
				if err := op(ctx, i); err != nil {
					cancel(fmt.Errorf("operation %d: %w", i, err))
					return
				}
				lat[i] = time.Since(began)
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return nil, wall, err
	}
	return lat, wall, nil
}
