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

import "testing"

func TestMetricsSum(t *testing.T) {
	m, err := ParseMetrics([]byte(`# TYPE requests_total counter
requests_total{code="200",verb="GET"} 3
requests_total{code="200",verb="PUT"} 4
requests_total{code="409",verb="PUT"} 1
# TYPE inflight gauge
inflight 2.5
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"requests_total", nil, 8},
		{"requests_total", map[string]string{"code": "200"}, 7},
		{"requests_total", map[string]string{"code": "200", "verb": "PUT"}, 4},
		{"requests_total", map[string]string{"verb": "DELETE"}, 0},
		{"requests_total", map[string]string{"missing": "label"}, 0},
		{"inflight", nil, 2.5},
		{"absent", nil, 0},
	} {
		if got := m.Sum(tc.name, tc.labels); got != tc.want {
			t.Errorf("Sum(%s, %v) = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
}
