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
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

// TestControllerManagerEndpointsAndDiscovery runs workloads-apiserver with
// daemonsets switched off: the controller manager starts the controllers
// whose resources are served, skips the DaemonSet controller, and serves its
// health and metrics endpoints.
func TestControllerManagerEndpointsAndDiscovery(t *testing.T) {
	framework.SkipIfNoControlPlane(t)
	opts := clusterOptions(1)
	opts.WorkloadsAPIServerArgs = append(opts.WorkloadsAPIServerArgs, "--runtime-config=experimental/v1alpha1/daemonsets=false")
	c := framework.StartCluster(t, opts)
	client, err := clientset.NewForConfig(c.RestConfig())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{c: c, client: client}
	ctx := context.Background()

	ns := e.namespace(t, "manager")
	if _, err := client.ExperimentalV1alpha1().DaemonSets(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("daemonsets are switched off on the server, list gave %v", err)
	}
	e.newReplicaSet(t, ns, "served", 2)
	e.waitReplicaSetSettled(t, ns, "served", 2)

	logPath := c.LogPath(framework.ComponentWorkloadsControllerManager)
	if !logContains(t, logPath, `"Skipping controller" controller="daemonset"`) {
		t.Errorf("the log does not say the daemonset controller was skipped")
	}
	if logContains(t, logPath, `"Started controller" controller="daemonset"`) {
		t.Errorf("the daemonset controller started although daemonsets are not served")
	}

	admin, err := c.ComponentConfig(framework.ComponentWorkloadsControllerManager)
	if err != nil {
		t.Fatal(err)
	}
	admin.Timeout = 30 * time.Second
	anonymous := rest.AnonymousClientConfig(admin)
	get := func(path string, cfg *rest.Config) (int, string) {
		t.Helper()
		hc, err := rest.HTTPClientFor(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer hc.CloseIdleConnections()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.Host+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}

	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := get(path, anonymous); code != http.StatusOK {
			t.Errorf("anonymous GET %s: HTTP %d %s", path, code, body)
		}
	}
	if code, _ := get("/metrics", anonymous); code != http.StatusUnauthorized && code != http.StatusForbidden {
		t.Errorf("anonymous GET /metrics: HTTP %d, want 401 or 403", code)
	}
	code, metrics := get("/metrics", admin)
	if code != http.StatusOK {
		t.Fatalf("GET /metrics as admin: HTTP %d", code)
	}
	for _, want := range []string{
		`workqueue_adds_total{name="replicaset"}`,
		`workloads_controller_sync_duration_seconds_count{controller="replicaset",result="success"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(metrics, `name="daemonset"`) {
		t.Errorf("/metrics has a daemonset workqueue although the controller was skipped")
	}

	// --profiling (on by default, as in kube-controller-manager) serves
	// /debug/pprof behind the same authorization as /metrics.
	if code, _ := get("/debug/pprof/", anonymous); code != http.StatusUnauthorized && code != http.StatusForbidden {
		t.Errorf("anonymous GET /debug/pprof/: HTTP %d, want 401 or 403", code)
	}
	if code, body := get("/debug/pprof/goroutine?debug=1", admin); code != http.StatusOK || !strings.Contains(body, "goroutine profile:") {
		t.Errorf("GET /debug/pprof/goroutine as admin: HTTP %d, %.200s", code, body)
	}
}
