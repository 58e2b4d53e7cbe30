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

// Command promcheck checks the monitoring artifacts in a directory
// (default ..): every PromQL expression of the alerting rules (rules.yaml),
// of the PrometheusRule (prometheusrule.yaml, which must hold the same
// groups) and of the Grafana dashboard (dashboard.json, with its variables
// substituted) parses with Prometheus's own rule-file loader and PromQL
// parser. It prints, as JSON, the alerts and every metric name the
// expressions select, which the end-to-end test in test/e2e/apps compares
// with what the running binaries export.
//
// It is a module of its own so that the product's go.mod does not take
// Prometheus's dependencies.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// Report is what promcheck prints.
type Report struct {
	// Expressions is the number of expressions checked.
	Expressions int `json:"expressions"`
	// Alerts are the alert names of rules.yaml.
	Alerts []string `json:"alerts"`
	// Metrics are the metric names the expressions select, sorted.
	Metrics []string `json:"metrics"`
	// Sources maps each metric name to where it is used.
	Sources map[string][]string `json:"sources"`
	// Matchers maps each metric name to the label="value" equality
	// matchers the expressions select it with (regular expressions, which
	// hold the dashboard's variables, are left out).
	Matchers map[string][]string `json:"matchers"`
}

var promql = parser.NewParser(parser.Options{})

// metricNames parses expr and returns the metric names its selectors name.
func metricNames(expr string) ([]string, error) {
	names, _, err := selectors(expr)
	return names, err
}

// selectors parses expr and returns the metric names its selectors name and,
// by name, their label="value" equality matchers.
func selectors(expr string) ([]string, map[string][]string, error) {
	node, err := promql.ParseExpr(expr)
	if err != nil {
		return nil, nil, err
	}
	var names []string
	matchers := map[string][]string{}
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		if name == "" {
			for _, m := range vs.LabelMatchers {
				if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
					name = m.Value
				}
			}
		}
		if name == "" {
			return nil
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
		for _, m := range vs.LabelMatchers {
			if m.Name != labels.MetricName && m.Type == labels.MatchEqual {
				if eq := m.Name + "=" + m.Value; !slices.Contains(matchers[name], eq) {
					matchers[name] = append(matchers[name], eq)
				}
			}
		}
		return nil
	})
	if len(names) == 0 {
		return nil, nil, fmt.Errorf("%q selects no metric by name", expr)
	}
	return names, matchers, nil
}

type checker struct {
	report Report
	errs   []error
}

func (c *checker) expr(where, expr string) {
	c.report.Expressions++
	names, matchers, err := selectors(expr)
	if err != nil {
		c.errs = append(c.errs, fmt.Errorf("%s: %w", where, err))
		return
	}
	for n, ms := range matchers {
		for _, m := range ms {
			if !slices.Contains(c.report.Matchers[n], m) {
				c.report.Matchers[n] = append(c.report.Matchers[n], m)
			}
		}
	}
	for _, n := range names {
		if !slices.Contains(c.report.Sources[n], where) {
			c.report.Sources[n] = append(c.report.Sources[n], where)
		}
	}
}

// loadRules parses a Prometheus rules file with Prometheus's own loader,
// which also parses every expression and checks labels and annotation
// templates.
func loadRules(name string, content []byte) (*rulefmt.RuleGroups, error) {
	groups, errs := rulefmt.Parse(content, false, model.UTF8Validation, promql, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: %w", name, errors.Join(errs...))
	}
	if len(groups.Groups) == 0 {
		return nil, fmt.Errorf("%s: no rule groups", name)
	}
	return groups, nil
}

func (c *checker) rules(dir string) {
	plain, err := os.ReadFile(filepath.Join(dir, "rules.yaml"))
	if err != nil {
		c.errs = append(c.errs, err)
		return
	}
	groups, err := loadRules("rules.yaml", plain)
	if err != nil {
		c.errs = append(c.errs, err)
		return
	}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			where := "rules.yaml " + g.Name + "/" + r.Alert + r.Record
			c.expr(where, r.Expr)
			if r.Alert != "" {
				c.report.Alerts = append(c.report.Alerts, r.Alert)
				if r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
					c.errs = append(c.errs, fmt.Errorf("%s: an alert needs a severity label and a summary annotation", where))
				}
			}
		}
	}

	// The PrometheusRule holds the same groups under spec.
	data, err := os.ReadFile(filepath.Join(dir, "prometheusrule.yaml"))
	if err != nil {
		c.errs = append(c.errs, err)
		return
	}
	var pr struct {
		APIVersion string    `yaml:"apiVersion"`
		Kind       string    `yaml:"kind"`
		Metadata   yaml.Node `yaml:"metadata"`
		Spec       yaml.Node `yaml:"spec"`
	}
	if err := yaml.Unmarshal(data, &pr); err != nil {
		c.errs = append(c.errs, fmt.Errorf("prometheusrule.yaml: %w", err))
		return
	}
	if pr.APIVersion != "monitoring.coreos.com/v1" || pr.Kind != "PrometheusRule" {
		c.errs = append(c.errs, fmt.Errorf("prometheusrule.yaml is a %s %s, want a monitoring.coreos.com/v1 PrometheusRule", pr.APIVersion, pr.Kind))
	}
	spec, err := yaml.Marshal(&pr.Spec)
	if err != nil {
		c.errs = append(c.errs, err)
		return
	}
	operatorGroups, err := loadRules("prometheusrule.yaml spec", spec)
	if err != nil {
		c.errs = append(c.errs, err)
		return
	}
	if !reflect.DeepEqual(plainGroups(groups), plainGroups(operatorGroups)) {
		c.errs = append(c.errs, errors.New("prometheusrule.yaml and rules.yaml hold different rules"))
	}
}

// plainGroups drops what the YAML decoder records about positions.
func plainGroups(g *rulefmt.RuleGroups) string {
	b, _ := json.Marshal(g)
	return string(b)
}

// grafanaVariable matches $name, ${name} and ${name:format}.
var grafanaVariable = regexp.MustCompile(`\$\{?(\w+)(?::\w+)?\}?`)

// substitute replaces Grafana variables with values that keep the
// expression valid PromQL: ranges for the interval variables, a word for
// the others (they appear inside label matcher strings).
func substitute(expr string) string {
	return grafanaVariable.ReplaceAllStringFunc(expr, func(v string) string {
		switch grafanaVariable.FindStringSubmatch(v)[1] {
		case "__rate_interval", "__interval", "__range":
			return "5m"
		default:
			return "value"
		}
	})
}

var labelValues = regexp.MustCompile(`^label_values\((.*),\s*\w+\)$`)

func (c *checker) dashboard(dir string) {
	data, err := os.ReadFile(filepath.Join(dir, "dashboard.json"))
	if err != nil {
		c.errs = append(c.errs, err)
		return
	}
	type target struct {
		Expr string `json:"expr"`
	}
	type panel struct {
		Title   string   `json:"title"`
		Type    string   `json:"type"`
		Targets []target `json:"targets"`
		Panels  []panel  `json:"panels"`
	}
	var d struct {
		Title      string  `json:"title"`
		UID        string  `json:"uid"`
		Panels     []panel `json:"panels"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Type       string `json:"type"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		c.errs = append(c.errs, fmt.Errorf("dashboard.json: %w", err))
		return
	}
	if d.Title == "" || d.UID == "" {
		c.errs = append(c.errs, errors.New("dashboard.json: no title or uid"))
	}
	titles := map[string]bool{}
	var walk func(ps []panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if titles[p.Title] {
				c.errs = append(c.errs, fmt.Errorf("dashboard.json: two panels titled %q", p.Title))
			}
			titles[p.Title] = true
			if len(p.Targets) == 0 {
				c.errs = append(c.errs, fmt.Errorf("dashboard.json: panel %q has no query", p.Title))
			}
			for _, t := range p.Targets {
				c.expr("dashboard.json panel "+p.Title, substitute(t.Expr))
			}
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		m := labelValues.FindStringSubmatch(v.Definition)
		if m == nil {
			c.errs = append(c.errs, fmt.Errorf("dashboard.json: variable %s: %q is not label_values(selector, label)", v.Name, v.Definition))
			continue
		}
		c.expr("dashboard.json variable "+v.Name, substitute(m[1]))
	}
}

// Check checks the artifacts in dir.
func Check(dir string) (*Report, error) {
	c := &checker{report: Report{Sources: map[string][]string{}, Matchers: map[string][]string{}}}
	c.rules(dir)
	c.dashboard(dir)
	for n := range c.report.Sources {
		c.report.Metrics = append(c.report.Metrics, n)
	}
	slices.Sort(c.report.Metrics)
	return &c.report, errors.Join(c.errs...)
}

func main() {
	dir := ".."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	report, err := Check(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "promcheck:", strings.ReplaceAll(err.Error(), "\n", "\npromcheck: "))
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(report); err != nil {
		fmt.Fprintln(os.Stderr, "promcheck:", err)
		os.Exit(1)
	}
}
