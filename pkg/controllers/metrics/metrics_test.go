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

package metrics

import (
	"errors"
	"strings"
	"testing"
	"time"

	"k8s.io/component-base/metrics/testutil"
)

func TestInitControllerExportsZeroErrors(t *testing.T) {
	Register()
	InitController("init-test")
	want := `
# HELP workloads_controller_sync_errors_total [ALPHA] Number of syncs of an object by a workload controller that failed, by controller.
# TYPE workloads_controller_sync_errors_total counter
workloads_controller_sync_errors_total{controller="init-test"} 0
`
	if err := testutil.CollectAndCompare(SyncErrors, strings.NewReader(want), "workloads_controller_sync_errors_total"); err != nil {
		t.Error(err)
	}
	ObserveSync("init-test", time.Now(), errors.New("boom"))
	if err := testutil.CollectAndCompare(SyncErrors, strings.NewReader(strings.Replace(want, "} 0", "} 1", 1)), "workloads_controller_sync_errors_total"); err != nil {
		t.Error(err)
	}
}
