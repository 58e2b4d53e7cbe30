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

package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestArtifacts: every expression of rules.yaml, prometheusrule.yaml and
// dashboard.json parses, the two rule files agree, and the alerts the
// operators' guide promises exist.
func TestArtifacts(t *testing.T) {
	report, err := Check("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, alert := range []string{
		"WorkloadsAPIServiceUnavailable",
		"WorkloadsDeploymentRolloutStuck",
		"WorkloadsCronJobScheduleLag",
		"WorkloadsControllerSyncErrors",
		"WorkloadsControllerNoLeader",
	} {
		if !slices.Contains(report.Alerts, alert) {
			t.Errorf("no alert %s; have %v", alert, report.Alerts)
		}
	}
	if report.Expressions < 20 {
		t.Errorf("only %d expressions checked", report.Expressions)
	}
	for _, m := range []string{"apiserver_request_total", "workqueue_depth", "workloads_controller_deployment_rollouts", "leader_election_master_status"} {
		if !slices.Contains(report.Metrics, m) {
			t.Errorf("metric %s not found in the expressions (%v)", m, report.Metrics)
		}
	}
}

func TestMetricNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`sum by (le) (rate(a_bucket{job="x"}[5m]))`:                 {"a_bucket"},
		`a / on (x) group_left b or vector(0)`:                      {"a", "b"},
		`{__name__="c", job="y"}`:                                   {"c"},
		`histogram_quantile(0.9, rate(d_bucket[$__rate_interval]))`: nil, // not substituted: invalid
	} {
		got, err := metricNames(expr)
		if want == nil {
			if err == nil {
				t.Errorf("%q parsed (%v), want an error", expr, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%q: %v, %v; want %v", expr, got, err, want)
		}
	}
	if _, m, err := selectors(`a{x="1", y=~"2", z!="3"} / b{x="1"} + a{w="4"}`); err != nil || !slices.Equal(m["a"], []string{"x=1", "w=4"}) || !slices.Equal(m["b"], []string{"x=1"}) {
		t.Errorf("equality matchers: %v, %v", m, err)
	}
	if got, err := metricNames(substitute(`rate(d_bucket{job=~"$job", x="${y:regex}"}[$__rate_interval])`)); err != nil || !slices.Equal(got, []string{"d_bucket"}) {
		t.Errorf("with variables substituted: %v, %v", got, err)
	}
}

// TestRejects: a broken expression, an unknown function, rules files that
// disagree, and an alert without severity are all reported.
func TestRejects(t *testing.T) {
	for name, mutate := range map[string]func(rules, operator, dashboard string) (string, string, string){
		"unbalanced parenthesis in rules.yaml": func(r, o, d string) (string, string, string) {
			return strings.Replace(r, "== 1", "== (1", 1), o, d
		},
		"unknown function in the dashboard": func(r, o, d string) (string, string, string) {
			return r, o, strings.Replace(d, "histogram_quantile(", "histogram_quantil(", 1)
		},
		"PrometheusRule differs": func(r, o, d string) (string, string, string) {
			return r, strings.Replace(o, "> 60", "> 120", 1), d
		},
		"alert without severity": func(r, o, d string) (string, string, string) {
			r = strings.Replace(r, "severity: critical", "team: platform", 1)
			o = strings.Replace(o, "severity: critical", "team: platform", 1)
			return r, o, d
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			var files [3]string
			for i, f := range []string{"rules.yaml", "prometheusrule.yaml", "dashboard.json"} {
				b, err := os.ReadFile(filepath.Join("..", f))
				if err != nil {
					t.Fatal(err)
				}
				files[i] = string(b)
			}
			r, o, d := mutate(files[0], files[1], files[2])
			if r == files[0] && o == files[1] && d == files[2] {
				t.Fatal("the mutation changed nothing")
			}
			for f, content := range map[string]string{"rules.yaml": r, "prometheusrule.yaml": o, "dashboard.json": d} {
				if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := Check(dir); err == nil {
				t.Error("Check accepted it")
			} else {
				t.Log(err)
			}
		})
	}
}
