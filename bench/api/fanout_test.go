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

package api

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

func TestFanoutWatcherFindsAddedObjectsByName(t *testing.T) {
	stream := strings.Join([]string{
		`{"type":"ADDED","object":{"kind":"Deployment","metadata":{"name":"fanout-00001","labels":{"app.kubernetes.io/instance":"fanout-00001"}}}}`,
		`{"type":"MODIFIED","object":{"kind":"Deployment","metadata":{"name":"fanout-00002"}}}`,
		`{"type":"ADDED","object":{"kind":"Deployment","metadata":{"name":"bench-00003"}}}`,
		`{"type":"ADDED","object":{"kind":"Deployment","metadata":{"name":"fanout-00004"}}}`,
		`{"type":"ERROR","object":{"kind":"Status","code":410}}`,
		`{"type":"ADDED","object":{"kind":"Deployment","metadata":{"name":"fanout-00005"}}}`,
	}, "\n") + "\n"
	w := &fanoutWatcher{arrivals: map[string]time.Time{}}
	w.consume(context.Background(), io.NopCloser(strings.NewReader(stream)), "1", nil)
	n, err := w.count()
	if n != 2 || w.arrivals["fanout-00001"].IsZero() || w.arrivals["fanout-00004"].IsZero() {
		t.Errorf("arrivals = %v, want fanout-00001 and fanout-00004", w.arrivals)
	}
	if err == nil || !strings.Contains(err.Error(), "410") {
		t.Errorf("err = %v, want the watch error", err)
	}
}
