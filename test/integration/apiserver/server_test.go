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

// Package apiserver holds integration tests of workloads-apiserver running
// in-process on an embedded etcd, driven through the generated clientset.
package apiserver

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2/ktesting"

	"github.com/kube-experimental/workloads-apiserver/pkg/cmd/server"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

// testServer is workloads-apiserver running in this process.
type testServer struct {
	Config *rest.Config
	Client clientset.Interface
	// EtcdURL is the client URL of the server's embedded etcd.
	EtcdURL string
}

// startServer runs the server with the given --runtime-config entries on a
// fresh embedded etcd, with authentication, authorization and admission
// off (they delegate to kube-apiserver, which the e2e suite covers).
func startServer(t *testing.T, runtimeConfig map[string]string) *testServer {
	t.Helper()
	return startServerWithOptions(t, runtimeConfig, nil)
}

// startServerWithOptions is startServer with a chance to change the options
// before they are completed.
func startServerWithOptions(t *testing.T, runtimeConfig map[string]string, modify func(*server.Options)) *testServer {
	t.Helper()
	s := launchServer(t, runtimeConfig, modify)
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		result := s.Client.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx)
		var code int
		result.StatusCode(&code)
		return code == 200, nil
	})
	if err != nil {
		t.Fatalf("server not ready: %v", err)
	}
	return s
}

// launchServer is startServerWithOptions without waiting for the server to
// be ready.
func launchServer(t *testing.T, runtimeConfig map[string]string, modify func(*server.Options)) *testServer {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)

	o := server.NewOptions(os.Stdout, os.Stderr)
	o.RecommendedOptions.Authentication = nil
	o.RecommendedOptions.Authorization = nil
	o.RecommendedOptions.CoreAPI = nil
	o.RecommendedOptions.Admission = nil
	o.RecommendedOptions.Features.EnablePriorityAndFairness = false
	// Stop at once when the test ends; TestGracefulShutdownWithOpenWatch
	// covers the graceful termination defaults.
	o.ServerRun.ShutdownDelayDuration = 0
	o.EtcdDataDir = t.TempDir()
	o.RecommendedOptions.SecureServing.BindAddress = net.ParseIP("127.0.0.1")
	o.RecommendedOptions.SecureServing.ServerCert.CertDirectory = t.TempDir()
	port, err := framework.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	o.RecommendedOptions.SecureServing.BindPort = port
	for k, v := range runtimeConfig {
		o.APIEnablement.RuntimeConfig[k] = v
	}
	if modify != nil {
		modify(o)
	}

	if err := o.Complete(ctx); err != nil {
		t.Fatalf("completing options: %v", err)
	}
	if err := o.Validate(nil); err != nil {
		o.Stop()
		t.Fatalf("validating options: %v", err)
	}
	config, err := o.Config()
	if err != nil {
		o.Stop()
		t.Fatalf("building config: %v", err)
	}
	srv, err := config.Complete().New()
	if err != nil {
		o.Stop()
		t.Fatalf("building server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, srv.GenericAPIServer) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Logf("server stopped: %v", err)
			}
		case <-time.After(time.Minute):
			t.Errorf("server did not stop within a minute")
		}
		o.Stop()
	})

	restConfig := rest.CopyConfig(srv.GenericAPIServer.LoopbackClientConfig)
	restConfig.QPS, restConfig.Burst = 500, 1000
	client, err := clientset.NewForConfig(restConfig)
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{Config: restConfig, Client: client, EtcdURL: o.RecommendedOptions.Etcd.StorageConfig.Transport.ServerList[0]}
}
