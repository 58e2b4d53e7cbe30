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

package framework

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/rest"
)

// Metrics are the metric families of one /metrics scrape, by name.
type Metrics map[string]*dto.MetricFamily

// Sum adds the values of the counter, gauge and untyped series of the
// metric name that carry every label of labels; a missing metric sums to 0.
func (m Metrics) Sum(name string, labels map[string]string) float64 {
	f := m[name]
	if f == nil {
		return 0
	}
	total := 0.0
	for _, s := range f.GetMetric() {
		if !hasLabels(s, labels) {
			continue
		}
		switch {
		case s.Counter != nil:
			total += s.Counter.GetValue()
		case s.Gauge != nil:
			total += s.Gauge.GetValue()
		case s.Untyped != nil:
			total += s.Untyped.GetValue()
		}
	}
	return total
}

func hasLabels(s *dto.Metric, want map[string]string) bool {
	found := 0
	for _, l := range s.GetLabel() {
		if v, ok := want[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			found++
		}
	}
	return found == len(want)
}

// ComponentConfig returns a client configuration that reaches the secure
// port of one of the cluster's components (ComponentKubeAPIServer,
// ComponentWorkloadsAPIServer or ComponentWorkloadsControllerManager) as the
// cluster's admin, e.g. for /metrics or /debug/pprof. rest.HTTPClientFor
// makes an HTTP client of it; rest.AnonymousClientConfig drops the admin
// certificate.
func (c *Cluster) ComponentConfig(component string) (*rest.Config, error) {
	switch component {
	case ComponentKubeAPIServer:
		return c.RestConfig(), nil
	case ComponentWorkloadsAPIServer:
		return c.servingProbeConfig(c.WorkloadsAPIServerURL), nil
	case ComponentWorkloadsControllerManager:
		return c.LocalControllerManagerConfig(c.WorkloadsControllerManagerPort), nil
	default:
		return nil, fmt.Errorf("no client configuration for component %q", component)
	}
}

// LocalControllerManagerConfig returns a client configuration that reaches a
// controller manager serving on port of loopback (ours, or a
// kube-controller-manager a benchmark started) as the cluster's admin. Both
// serve a self-signed certificate, as they do without --tls-cert-file, so
// the serving certificate is not verified.
func (c *Cluster) LocalControllerManagerConfig(port int) *rest.Config {
	return &rest.Config{
		Host:            "https://127.0.0.1:" + strconv.Itoa(port),
		TLSClientConfig: rest.TLSClientConfig{Insecure: true, CertFile: c.PKI.AdminCert, KeyFile: c.PKI.AdminKey},
	}
}

// RawMetrics returns the Prometheus text /metrics of one of the cluster's
// components (see ComponentConfig), read as the admin.
func (c *Cluster) RawMetrics(ctx context.Context, component string) ([]byte, error) {
	cfg, err := c.ComponentConfig(component)
	if err != nil {
		return nil, err
	}
	cfg.Timeout = 10 * time.Second
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.Host+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading %s/metrics: %w", cfg.Host, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/metrics: HTTP %d: %s", cfg.Host, resp.StatusCode, body)
	}
	return body, nil
}

// Metrics scrapes and parses the /metrics of component (see RawMetrics).
func (c *Cluster) Metrics(ctx context.Context, component string) (Metrics, error) {
	body, err := c.RawMetrics(ctx, component)
	if err != nil {
		return nil, err
	}
	return ParseMetrics(body)
}

// ParseMetrics parses a Prometheus text exposition.
func ParseMetrics(body []byte) (Metrics, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("parsing metrics: %w", err)
	}
	return fams, nil
}
