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
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

// jobPodTemplate is a pod that the local cluster's kwok stages complete
// after a second.
func jobPodTemplate() corev1.PodTemplateSpec {
	t := podTemplate()
	t.Labels = map[string]string{"app": workloadName + "-job"}
	t.Annotations = map[string]string{framework.AnnotationSucceedAfter: "1s"}
	t.Spec.RestartPolicy = corev1.RestartPolicyNever
	return t
}

func jobProgress(succeeded, active, completions int32) string {
	return fmt.Sprintf("succeeded %d/%d, active %d", succeeded, completions, active)
}

func jobFinished(conds []batchv1.JobCondition) bool {
	for _, c := range conds {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// JobTargets are the two Job implementations: one Job of completions pods,
// parallelism at a time; done when the Job is Complete.
func JobTargets(kube kubernetes.Interface, ours clientset.Interface, completions, parallelism int) []Target {
	c, p := int32(completions), int32(parallelism)
	return []Target{{
		Implementation: Upstream,
		Agent:          UpstreamAgent("job-controller"),
		workload:       "Job",
		podSelector:    "app=" + workloadName + "-job",
		create: func(ctx context.Context, ns string) error {
			_, err := kube.BatchV1().Jobs(ns).Create(ctx, &batchv1.Job{
				ObjectMeta: metav1.ObjectMeta{Name: workloadName},
				Spec: batchv1.JobSpec{Completions: ptr.To(c), Parallelism: ptr.To(p), BackoffLimit: ptr.To[int32](100),
					Template: jobPodTemplate()},
			}, metav1.CreateOptions{})
			return err
		},
		done: func(ctx context.Context, ns string) (bool, string, error) {
			j, err := kube.BatchV1().Jobs(ns).Get(ctx, workloadName, metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			return jobFinished(j.Status.Conditions), jobProgress(j.Status.Succeeded, j.Status.Active, c), nil
		},
		delete: func(ctx context.Context, ns string) error {
			return kube.BatchV1().Jobs(ns).Delete(ctx, workloadName, metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)})
		},
	}, {
		Implementation: Ours,
		Agent:          OurAgent("job"),
		workload:       "Job",
		podSelector:    "app=" + workloadName + "-job",
		create: func(ctx context.Context, ns string) error {
			_, err := ours.ExperimentalV1alpha1().Jobs(ns).Create(ctx, &v1alpha1.Job{
				ObjectMeta: metav1.ObjectMeta{Name: workloadName},
				Spec: v1alpha1.JobSpec{Completions: ptr.To(c), Parallelism: ptr.To(p), BackoffLimit: ptr.To[int32](100),
					Template: jobPodTemplate()},
			}, metav1.CreateOptions{})
			return err
		},
		done: func(ctx context.Context, ns string) (bool, string, error) {
			j, err := ours.ExperimentalV1alpha1().Jobs(ns).Get(ctx, workloadName, metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			progress := jobProgress(j.Status.Succeeded, j.Status.Active, c)
			for _, cond := range j.Status.Conditions {
				if (cond.Type == v1alpha1.JobComplete || cond.Type == v1alpha1.JobFailed) && cond.Status == corev1.ConditionTrue {
					return true, progress, nil
				}
			}
			return false, progress, nil
		},
		delete: func(ctx context.Context, ns string) error {
			return ours.ExperimentalV1alpha1().Jobs(ns).Delete(ctx, workloadName, metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)})
		},
	}}
}

// CronTarget is one CronJob implementation for the schedule-lag scenario.
type CronTarget struct {
	Implementation Implementation
	// Agent matches the user agent that creates the Jobs.
	Agent func(userAgent string) bool
	// create makes CronJob name firing every minute; its Jobs are created
	// suspended, so only the CronJob controller is measured.
	create func(ctx context.Context, ns, name string) error
	// suspend stops CronJob name from firing again.
	suspend func(ctx context.Context, ns, name string) error
	// listJobs returns the resourceVersion of a list of the Jobs in ns.
	listJobs func(ctx context.Context, ns string) (string, error)
	// watchJobs watches the Jobs in ns.
	watchJobs func(ctx context.Context, ns string, opts metav1.ListOptions) (watch.Interface, error)
}

var suspendPatch = []byte(`{"spec":{"suspend":true}}`)

// CronJobTargets are the two CronJob implementations.
func CronJobTargets(kube kubernetes.Interface, ours clientset.Interface) []CronTarget {
	template := jobPodTemplate()
	return []CronTarget{{
		Implementation: Upstream,
		Agent:          UpstreamAgent("cronjob-controller"),
		create: func(ctx context.Context, ns, name string) error {
			_, err := kube.BatchV1().CronJobs(ns).Create(ctx, &batchv1.CronJob{
				ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: batchv1.CronJobSpec{Schedule: "* * * * *", JobTemplate: batchv1.JobTemplateSpec{
					Spec: batchv1.JobSpec{Suspend: ptr.To(true), Template: template}}},
			}, metav1.CreateOptions{})
			return err
		},
		suspend: func(ctx context.Context, ns, name string) error {
			_, err := kube.BatchV1().CronJobs(ns).Patch(ctx, name, types.MergePatchType, suspendPatch, metav1.PatchOptions{})
			return err
		},
		listJobs: func(ctx context.Context, ns string) (string, error) {
			l, err := kube.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return "", err
			}
			return l.ResourceVersion, nil
		},
		watchJobs: func(ctx context.Context, ns string, opts metav1.ListOptions) (watch.Interface, error) {
			return kube.BatchV1().Jobs(ns).Watch(ctx, opts)
		},
	}, {
		Implementation: Ours,
		Agent:          OurAgent("cronjob"),
		create: func(ctx context.Context, ns, name string) error {
			_, err := ours.ExperimentalV1alpha1().CronJobs(ns).Create(ctx, &v1alpha1.CronJob{
				ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: v1alpha1.CronJobSpec{Schedule: "* * * * *", JobTemplate: v1alpha1.JobTemplateSpec{
					Spec: v1alpha1.JobSpec{Suspend: ptr.To(true), Template: template}}},
			}, metav1.CreateOptions{})
			return err
		},
		suspend: func(ctx context.Context, ns, name string) error {
			_, err := ours.ExperimentalV1alpha1().CronJobs(ns).Patch(ctx, name, types.MergePatchType, suspendPatch, metav1.PatchOptions{})
			return err
		},
		listJobs: func(ctx context.Context, ns string) (string, error) {
			l, err := ours.ExperimentalV1alpha1().Jobs(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return "", err
			}
			return l.ResourceVersion, nil
		},
		watchJobs: func(ctx context.Context, ns string, opts metav1.ListOptions) (watch.Interface, error) {
			return ours.ExperimentalV1alpha1().Jobs(ns).Watch(ctx, opts)
		},
	}}
}

// LagMeasurement is the schedule lag of the Jobs one firing created: from
// the scheduled minute to the Job's ADDED event at a watch of the benchmark.
type LagMeasurement struct {
	Implementation Implementation
	CronJobs       int
	Lags           []time.Duration // sorted
	// WatchRestarts counts how often the API server closed the benchmark's
	// Job watch and it was resumed; the Jobs seen after a resume are
	// measured late.
	WatchRestarts int
	// Minutes is the number of distinct scheduled minutes the Jobs were
	// named after: 1 when every CronJob fired in the same minute.
	Minutes int
	// Duration is from the first scheduled minute to the last Job seen (or
	// to the timeout).
	Duration time.Duration
	// Writes, CPUSeconds and PeakRSS are as in Measurement, from the first
	// CronJob create to the last Job seen.
	Writes     Writes
	CPUSeconds float64
	PeakRSS    int64
	// TimedOut is set when not every CronJob created its Job within the
	// Runner's Timeout.
	TimedOut bool
}

// Percentile returns the q-th (0..1) percentile of the lags (nearest rank).
func (m LagMeasurement) Percentile(q float64) time.Duration {
	if len(m.Lags) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(m.Lags)))) - 1
	i = max(0, min(i, len(m.Lags)-1))
	return m.Lags[i]
}

// cronWorkers is how many CronJobs the benchmark creates or suspends at once.
const cronWorkers = 16

// parallel runs fn(i) for i in [0, n) on cronWorkers goroutines and returns
// the first error.
func parallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	errs := make(chan error, cronWorkers)
	var wg sync.WaitGroup
	for range min(n, cronWorkers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

// RunCronJobs creates count CronJobs firing every minute in ns, waits until
// the first firing created a Job for each, and suspends them. Each Job's lag
// is from its scheduled minute (the number its name ends in, for both
// implementations) to its ADDED event. When the current minute has less than
// createWithin left, it first waits for the next minute to begin, so that
// every CronJob is created before the same minute boundary and they all fire
// together. Not every Job within the Timeout is recorded as a timeout.
func (r *Runner) RunCronJobs(ctx context.Context, t CronTarget, ns string, count int, createWithin time.Duration) (LagMeasurement, error) {
	m := LagMeasurement{Implementation: t.Implementation, CronJobs: count}
	if _, err := r.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return m, fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	rv, err := t.listJobs(ctx, ns)
	if err != nil {
		return m, fmt.Errorf("listing Jobs: %w", err)
	}
	// A burst of events can make an API server close a watch whose
	// consumer falls behind; the retry watcher resumes from the last
	// resourceVersion it saw, so no Job is missed.
	var watches atomic.Int32
	w, err := watchtools.NewRetryWatcherWithContext(ctx, rv, &cache.ListWatch{
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			watches.Add(1)
			return t.watchJobs(ctx, ns, opts)
		},
	})
	if err != nil {
		return m, fmt.Errorf("watching Jobs: %w", err)
	}
	defer w.Stop()
	if left := time.Until(time.Now().Truncate(time.Minute).Add(time.Minute)); left < createWithin {
		r.Logf("CronJobs of %s: %s left in this minute, less than %s to create %d CronJobs; waiting for the next minute", t.Implementation, left.Round(time.Second), createWithin, count)
		timer := time.NewTimer(left)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return m, ctx.Err()
		}
	}
	names := make([]string, count)
	for i := range count {
		names[i] = fmt.Sprintf("%s-%05d", workloadName, i)
	}
	from, err := r.Audit.Offset()
	if err != nil {
		return m, err
	}
	use := r.startUsage(ctx, t.Implementation, "CronJob-firing")
	began := time.Now()
	if err := parallel(ctx, count, func(ctx context.Context, i int) error {
		if err := t.create(ctx, ns, names[i]); err != nil {
			return fmt.Errorf("creating CronJob %s: %w", names[i], err)
		}
		return nil
	}); err != nil {
		return m, err
	}
	r.Logf("CronJobs of %s: created %d in %s", t.Implementation, count, time.Since(began).Round(time.Millisecond))
	seen := map[string]bool{}
	minutes := map[string]bool{}
	var first time.Time
	timeout := time.NewTimer(r.Timeout)
	defer timeout.Stop()
wait:
	for len(seen) < count {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				return m, fmt.Errorf("the Job watch of %s closed after %d of %d Jobs", t.Implementation, len(seen), count)
			}
			if ev.Type != watch.Added {
				continue
			}
			obj, err := meta.Accessor(ev.Object)
			if err != nil || seen[obj.GetName()] {
				continue
			}
			now := time.Now()
			lag, ok := lagOf(obj.GetName(), now)
			if !ok {
				continue
			}
			seen[obj.GetName()] = true
			minutes[obj.GetName()[strings.LastIndex(obj.GetName(), "-")+1:]] = true
			if scheduled := now.Add(-lag); first.IsZero() || scheduled.Before(first) {
				first = scheduled
			}
			m.Lags = append(m.Lags, lag)
			m.Duration = now.Sub(first)
		case <-timeout.C:
			m.TimedOut = true
			if !first.IsZero() {
				m.Duration = time.Since(first)
			}
			r.Logf("WARNING: %s created %d of %d Jobs within %s; going on", t.Implementation, len(seen), count, r.Timeout)
			break wait
		case <-ctx.Done():
			return m, ctx.Err()
		}
	}
	m.CPUSeconds, m.PeakRSS = use.stop()
	to, err := r.Audit.Offset()
	if err != nil {
		return m, err
	}
	if m.Writes, err = r.Audit.CountWrites(from, to, t.Agent); err != nil {
		return m, err
	}
	delete(m.Writes, "coordination.k8s.io/leases")
	m.Minutes = len(minutes)
	if err := parallel(ctx, count, func(ctx context.Context, i int) error {
		if err := t.suspend(ctx, ns, names[i]); err != nil {
			return fmt.Errorf("suspending CronJob %s: %w", names[i], err)
		}
		return nil
	}); err != nil {
		return m, err
	}
	slices.Sort(m.Lags)
	m.WatchRestarts = max(int(watches.Load())-1, 0)
	r.Logf("CronJob firing, %s: %d Jobs in %d scheduled minute(s), lag p50 %s p99 %s, watch restarts %d, %d writes, CPU %.1f s, peak RSS %d MiB",
		t.Implementation, len(m.Lags), m.Minutes, m.Percentile(0.5), m.Percentile(0.99), m.WatchRestarts, m.Writes.Total(), m.CPUSeconds, m.PeakRSS>>20)
	return m, nil
}

// lagOf is the time from the scheduled minute a CronJob's Job is named after
// (<cronjob>-<minutes since the epoch>) to at.
func lagOf(jobName string, at time.Time) (time.Duration, bool) {
	i := strings.LastIndex(jobName, "-")
	if i < 0 {
		return 0, false
	}
	minutes, err := strconv.ParseInt(jobName[i+1:], 10, 64)
	if err != nil {
		return 0, false
	}
	return at.Sub(time.Unix(minutes*60, 0)), true
}
