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

package apps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

// promcheckReport is the JSON artifacts/monitoring/promcheck prints.
type promcheckReport struct {
	Expressions int                 `json:"expressions"`
	Alerts      []string            `json:"alerts"`
	Metrics     []string            `json:"metrics"`
	Sources     map[string][]string `json:"sources"`
	Matchers    map[string][]string `json:"matchers"`
}

// TestMonitoringArtifactsMatchExportedMetrics: every metric that the
// alerting rules and the Grafana dashboard in artifacts/monitoring select
// (as Prometheus's PromQL parser reads them, through promcheck) is exported
// by the running kube-apiserver, workloads-apiserver or
// workloads-controller-manager, with the label values the expressions
// match on; and a Deployment that misses its progress deadline shows up in
// workloads_controller_deployment_rollouts{state="stuck"}.
func TestMonitoringArtifactsMatchExportedMetrics(t *testing.T) {
	e := sharedEnv(t)
	report := runPromcheck(t)
	t.Logf("promcheck: %d expressions, %d metrics, alerts %v", report.Expressions, len(report.Metrics), report.Alerts)

	// Activity, so that the request, etcd, watch and object-count series
	// exist; and a rollout that cannot finish.
	ns := e.namespace(t, "monitoring")
	e.deployNew(t, ns, "web", 2, nil)
	e.deployWaitComplete(t, ns, "web", 2*time.Minute)
	e.deployNew(t, ns, "stuck", 1, func(d *v1alpha1.Deployment) {
		d.Spec.ProgressDeadlineSeconds = ptr.To[int32](3)
		d.Spec.Template.Annotations = map[string]string{"workloads.experimental.test/never-ready": "true"}
	})

	components := []string{framework.ComponentKubeAPIServer, framework.ComponentWorkloadsAPIServer, framework.ComponentWorkloadsControllerManager}

	// Some series appear only after the first request of a kind or the
	// first periodic update (object counts): poll until every metric is
	// there, and report what is still missing at the end.
	var missing []string
	var exported map[string][]string
	err := wait.PollUntilContextTimeout(context.Background(), pollInterval, 90*time.Second, true, func(context.Context) (bool, error) {
		// Not the poll's context: a scrape cut short by its deadline would
		// replace the list of what is missing.
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		families := map[string][]*dto.MetricFamily{}
		exported = map[string][]string{}
		missing = missing[:0]
		for _, component := range components {
			fams, err := e.c.Metrics(ctx, component)
			if err != nil {
				missing = append(missing, fmt.Sprintf("scraping %s: %v", component, err))
				return false, nil
			}
			for _, f := range fams {
				for _, series := range seriesNames(f) {
					exported[series] = append(exported[series], component)
					families[series] = append(families[series], f)
				}
			}
		}
		for _, m := range report.Metrics {
			fs, ok := families[m]
			if !ok {
				missing = append(missing, fmt.Sprintf("%s (used by %s)", m, strings.Join(report.Sources[m], "; ")))
				continue
			}
			for _, matcher := range report.Matchers[m] {
				label, value, _ := strings.Cut(matcher, "=")
				if !slices.ContainsFunc(fs, func(f *dto.MetricFamily) bool { return hasLabelValue(f, label, value) }) {
					missing = append(missing, fmt.Sprintf("%s{%s=%q} (exported by %s, but no series has that label value)", m, label, value, strings.Join(exported[m], ", ")))
				}
			}
		}
		return len(missing) == 0, nil
	})
	if err != nil {
		t.Fatalf("artifacts/monitoring selects metrics the running binaries do not export: %v\n%s", err, strings.Join(missing, "\n"))
	}
	for _, m := range report.Metrics {
		slices.Sort(exported[m])
		t.Logf("%-62s %s", m, strings.Join(exported[m], ", "))
	}

	// The stuck rollout is counted.
	pollFor(t, `workloads_controller_deployment_rollouts{state="stuck"} >= 1`, time.Minute, func(ctx context.Context) (bool, error) {
		fams, err := e.c.Metrics(ctx, framework.ComponentWorkloadsControllerManager)
		if err != nil {
			return false, err
		}
		f := fams["workloads_controller_deployment_rollouts"]
		if f == nil {
			return false, nil
		}
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if l.GetName() == "state" && l.GetValue() == "stuck" && m.GetGauge().GetValue() >= 1 {
					return true, nil
				}
			}
		}
		return false, nil
	})
}

// runPromcheck runs artifacts/monitoring/promcheck (a module of its own) on
// the artifacts and decodes its report; it fails the test when an
// expression does not parse.
func runPromcheck(t *testing.T) *promcheckReport {
	t.Helper()
	root, err := framework.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to run promcheck: %v", err)
	}
	dir := filepath.Join(root, "artifacts", "monitoring", "promcheck")
	cmd := exec.Command(goBin, "run", ".", "..")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("promcheck: %v\n%s", err, stderr.String())
	}
	var r promcheckReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("promcheck output: %v\n%s", err, out)
	}
	if len(r.Metrics) == 0 {
		t.Fatal("promcheck found no metrics")
	}
	return &r
}

// seriesNames are the sample names a family is exposed with: histograms as
// _bucket, _sum and _count, summaries as _sum and _count.
func seriesNames(f *dto.MetricFamily) []string {
	name := f.GetName()
	switch f.GetType() {
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		return []string{name + "_bucket", name + "_sum", name + "_count"}
	case dto.MetricType_SUMMARY:
		return []string{name, name + "_sum", name + "_count"}
	default:
		return []string{name}
	}
}

func hasLabelValue(f *dto.MetricFamily, label, value string) bool {
	return slices.ContainsFunc(f.Metric, func(m *dto.Metric) bool {
		return slices.ContainsFunc(m.Label, func(l *dto.LabelPair) bool { return l.GetName() == label && l.GetValue() == value })
	})
}
