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

package deployment

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	listers "github.com/kube-experimental/workloads-apiserver/pkg/generated/listers/experimental/v1alpha1"
)

// rolloutsDesc is workloads_controller_deployment_rollouts: Deployments by
// rollout state, computed from the informer cache at each scrape. Only the
// leader, whose controller runs, serves it.
var rolloutsDesc = metrics.NewDesc("workloads_controller_deployment_rollouts", rolloutsHelp,
	[]string{"state"}, nil, metrics.ALPHA, "")

const rolloutsHelp = "Deployments whose rollout is in progress (state=progressing: not every replica is updated and available for the current generation, not paused) " +
	"or stuck (state=stuck: condition Progressing=False with reason ProgressDeadlineExceeded), as the leading controller sees them."

// rolloutCollector counts the Deployments of lister by rollout state; with
// no lister (the controller is not running) it exports nothing.
type rolloutCollector struct {
	metrics.BaseStableCollector

	mu     sync.RWMutex
	lister listers.DeploymentLister
}

func (c *rolloutCollector) setLister(l listers.DeploymentLister) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lister = l
}

func (c *rolloutCollector) DescribeWithStability(ch chan<- *metrics.Desc) { ch <- rolloutsDesc }

func (c *rolloutCollector) CollectWithStability(ch chan<- metrics.Metric) {
	c.mu.RLock()
	l := c.lister
	c.mu.RUnlock()
	if l == nil {
		return
	}
	ds, err := l.List(labels.Everything())
	if err != nil {
		return
	}
	progressing, stuck := countRollouts(ds)
	ch <- metrics.NewLazyConstMetric(rolloutsDesc, metrics.GaugeValue, float64(progressing), "progressing")
	ch <- metrics.NewLazyConstMetric(rolloutsDesc, metrics.GaugeValue, float64(stuck), "stuck")
}

// countRollouts: a Deployment whose progress deadline passed is stuck (also
// when paused since, as its condition stays); otherwise one that is neither
// complete nor paused is progressing.
func countRollouts(ds []*v1alpha1.Deployment) (progressing, stuck int) {
	for _, d := range ds {
		if d.DeletionTimestamp != nil {
			continue
		}
		if cond := getCondition(d.Status, v1alpha1.DeploymentProgressing); cond != nil &&
			cond.Status == corev1.ConditionFalse && cond.Reason == ReasonTimedOut {
			stuck++
			continue
		}
		if !d.Spec.Paused && !deploymentComplete(d, &d.Status) {
			progressing++
		}
	}
	return progressing, stuck
}

var (
	rollouts             = &rolloutCollector{}
	registerRolloutsOnce sync.Once
)

// serveRolloutMetrics registers the collector (once) and points it at
// lister until the returned function is called.
func serveRolloutMetrics(lister listers.DeploymentLister) (stop func()) {
	registerRolloutsOnce.Do(func() { legacyregistry.CustomMustRegister(rollouts) })
	rollouts.setLister(lister)
	return func() { rollouts.setLister(nil) }
}
