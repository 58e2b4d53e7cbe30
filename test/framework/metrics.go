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

// RawMetrics returns the Prometheus text /metrics of one of the cluster's
// components (ComponentKubeAPIServer, ComponentWorkloadsAPIServer or
// ComponentWorkloadsControllerManager), read with the admin certificate.
func (c *Cluster) RawMetrics(ctx context.Context, component string) ([]byte, error) {
	var host string
	var tlsConfig rest.TLSClientConfig
	switch component {
	case ComponentKubeAPIServer:
		return c.KubeClient().CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	case ComponentWorkloadsAPIServer:
		host = c.WorkloadsAPIServerURL
		tlsConfig = rest.TLSClientConfig{CAFile: c.PKI.ServingCACert, CertFile: c.PKI.AdminCert, KeyFile: c.PKI.AdminKey}
	case ComponentWorkloadsControllerManager:
		// Its serving certificate is self-signed.
		host = fmt.Sprintf("https://127.0.0.1:%d", c.WorkloadsControllerManagerPort)
		tlsConfig = rest.TLSClientConfig{Insecure: true, CertFile: c.PKI.AdminCert, KeyFile: c.PKI.AdminKey}
	default:
		return nil, fmt.Errorf("no /metrics is read from %q", component)
	}
	hc, err := rest.HTTPClientFor(&rest.Config{Host: host, TLSClientConfig: tlsConfig, Timeout: 10 * time.Second})
	if err != nil {
		return nil, err
	}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, host+"/metrics", nil)
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
		return nil, fmt.Errorf("reading %s/metrics: %w", host, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/metrics: HTTP %d: %s", host, resp.StatusCode, body)
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
