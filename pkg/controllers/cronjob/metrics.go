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

package cronjob

import (
	"sync"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

// jobCreationSkew observes the schedule lag: the time from a Job's scheduled
// time to its successful creation by the controller (measured on the
// controller's clock, so it resolves below the second that creation
// timestamps have). It is served as
// workloads_cronjob_controller_job_creation_skew_seconds.
var jobCreationSkew = metrics.NewHistogram(&metrics.HistogramOpts{
	Namespace:      "workloads",
	Subsystem:      "cronjob_controller",
	Name:           "job_creation_skew_seconds",
	Help:           "Time between when a CronJob is scheduled to run and when the controller created the corresponding Job.",
	Buckets:        metrics.ExponentialBuckets(0.01, 2, 17),
	StabilityLevel: metrics.ALPHA,
})

var registerOnce sync.Once

// registerMetrics registers the CronJob controller's metrics in the legacy
// registry (served on /metrics); it is safe to call more than once.
func registerMetrics() {
	registerOnce.Do(func() {
		legacyregistry.MustRegister(jobCreationSkew)
	})
}
