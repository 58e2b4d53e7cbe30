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

// Package metrics defines the metrics all workload controllers report,
// registered in component-base's legacy registry (served on /metrics).
package metrics

import (
	"sync"
	"time"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

const metricsSubsystem = "workloads_controller"

var (
	// SyncDuration observes how long one sync of a key took, per controller
	// and result ("success" or "error").
	SyncDuration = metrics.NewHistogramVec(&metrics.HistogramOpts{
		Subsystem:      metricsSubsystem,
		Name:           "sync_duration_seconds",
		Help:           "Duration of one sync of an object by a workload controller, by controller and result.",
		Buckets:        metrics.ExponentialBuckets(0.001, 2, 15),
		StabilityLevel: metrics.ALPHA,
	}, []string{"controller", "result"})
	// SyncErrors counts the syncs that returned an error, per controller.
	SyncErrors = metrics.NewCounterVec(&metrics.CounterOpts{
		Subsystem:      metricsSubsystem,
		Name:           "sync_errors_total",
		Help:           "Number of syncs of an object by a workload controller that failed, by controller.",
		StabilityLevel: metrics.ALPHA,
	}, []string{"controller"})

	registerOnce sync.Once
)

// Register registers the controller metrics in the legacy registry
// (served on /metrics); it is safe to call more than once.
func Register() {
	registerOnce.Do(func() {
		legacyregistry.MustRegister(SyncDuration, SyncErrors)
	})
}

// ObserveSync records one sync of controller that started at start.
// InitController exports the controller's error counter at zero before its
// first error, so that rate() and increase() over it work from the start and
// alerts can tell "no errors" from "not running".
func InitController(controller string) {
	SyncErrors.WithLabelValues(controller)
}

func ObserveSync(controller string, start time.Time, err error) {
	result := "success"
	if err != nil {
		result = "error"
		SyncErrors.WithLabelValues(controller).Inc()
	}
	SyncDuration.WithLabelValues(controller, result).Observe(time.Since(start).Seconds())
}
