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

package apiserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"

	"github.com/kube-experimental/workloads-apiserver/pkg/cmd/server"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

// serverProcess is workloads-apiserver running as a child process.
type serverProcess struct {
	cmd *exec.Cmd
	// exited is closed when the process has exited; exitErr is then set.
	exited  chan struct{}
	exitErr error
	client  clientset.Interface
}

// startServerProcess starts workloads-apiserver (see runServerProcess) on a
// fresh embedded etcd with extra flags and waits until it is ready.
func startServerProcess(t *testing.T, extraFlags ...string) *serverProcess {
	t.Helper()
	port, err := framework.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "workloads-apiserver.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", port),
		"--cert-dir=" + filepath.Join(dir, "certs"),
		"--etcd-data-dir=" + filepath.Join(dir, "etcd"),
		"--runtime-config=experimental/v1alpha1=true",
		"--enable-priority-and-fairness=false",
	}, extraFlags...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), serverProcessEnv+"=1")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the server process: %v", err)
	}
	p := &serverProcess{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.exitErr = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
		logFile.Close()
		if t.Failed() {
			if out, err := os.ReadFile(logPath); err == nil {
				t.Logf("server log:\n%s", out)
			}
		}
	})

	config := &rest.Config{
		Host:            fmt.Sprintf("https://127.0.0.1:%d", port),
		TLSClientConfig: rest.TLSClientConfig{Insecure: true},
		QPS:             100,
		Burst:           200,
	}
	p.client, err = clientset.NewForConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		select {
		case <-p.exited:
			return false, fmt.Errorf("server exited before it was ready: %w", p.exitErr)
		default:
		}
		return p.readyz(ctx) == 200, nil
	})
	if err != nil {
		t.Fatalf("server not ready: %v", err)
	}
	return p
}

// readyz returns the status code of /readyz, 0 when there is no answer.
func (p *serverProcess) readyz(ctx context.Context) int {
	var code int
	p.client.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).StatusCode(&code)
	return code
}

// TestGracefulShutdownWithOpenWatch sends SIGTERM to a server with an open
// watch and checks the default graceful termination: for the shutdown delay
// the server fails /readyz but still serves reads, writes and the watch;
// then it ends the watch and exits promptly.
func TestGracefulShutdownWithOpenWatch(t *testing.T) {
	const delay = server.DefaultShutdownDelay
	// After the delay: ending the watch, draining, the HTTP server's 2s
	// GOAWAY grace with --shutdown-send-retry-after, and stopping etcd.
	const exitBound = delay + 5*time.Second

	p := startServerProcess(t)
	ctx := t.Context()
	deployments := p.client.ExperimentalV1alpha1().Deployments(metav1.NamespaceDefault)
	created, err := deployments.Create(ctx, newDeployment("before"), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating a deployment: %v", err)
	}
	w, err := deployments.Watch(ctx, metav1.ListOptions{ResourceVersion: created.ResourceVersion})
	if err != nil {
		t.Fatalf("opening a watch: %v", err)
	}
	defer w.Stop()
	events := make(chan watch.Event, 10)
	watchClosed := make(chan time.Time, 1)
	go func() {
		for ev := range w.ResultChan() {
			events <- ev
		}
		watchClosed <- time.Now()
	}()

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("sending SIGTERM: %v", err)
	}
	sigterm := time.Now()

	// /readyz fails at once so that load balancers stop sending traffic.
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, delay/2, true, func(ctx context.Context) (bool, error) {
		return p.readyz(ctx) != 200, nil
	})
	if err != nil {
		t.Fatalf("/readyz still succeeds %s after SIGTERM", time.Since(sigterm))
	}

	// Requests are still served, and the watch still delivers events.
	if _, err := deployments.Create(ctx, newDeployment("during"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating a deployment %s after SIGTERM: %v", time.Since(sigterm), err)
	}
	list, err := deployments.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("listing deployments %s after SIGTERM: %v", time.Since(sigterm), err)
	}
	if len(list.Items) != 2 {
		t.Errorf("listed %d deployments after SIGTERM, want 2", len(list.Items))
	}
	select {
	case ev := <-events:
		if ev.Type != watch.Added {
			t.Fatalf("watch event %s %#v, want ADDED of deployment during", ev.Type, ev.Object)
		}
	case <-watchClosed:
		t.Fatalf("watch closed %s after SIGTERM, before the shutdown delay of %s", time.Since(sigterm), delay)
	case <-time.After(delay):
		t.Fatalf("no watch event for the deployment created during the shutdown delay")
	}
	if served := time.Since(sigterm); served >= delay {
		t.Fatalf("the requests during the shutdown delay took until %s after SIGTERM; the test cannot tell serving during the delay from serving after it", served)
	}

	// Then the watch is ended, so its client re-establishes it elsewhere...
	select {
	case closedAt := <-watchClosed:
		elapsed := closedAt.Sub(sigterm)
		t.Logf("watch closed %s after SIGTERM", elapsed)
		if elapsed < delay-250*time.Millisecond {
			t.Errorf("watch closed %s after SIGTERM, before the shutdown delay of %s", elapsed, delay)
		}
	case <-time.After(exitBound):
		t.Fatalf("watch still open %s after SIGTERM", time.Since(sigterm))
	}
	// ... and the process exits cleanly.
	select {
	case <-p.exited:
		err := p.exitErr
		elapsed := time.Since(sigterm)
		t.Logf("server exited %s after SIGTERM", elapsed)
		if err != nil {
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				t.Errorf("server exited with %v, want status 0", exitErr)
			} else {
				t.Errorf("waiting for the server: %v", err)
			}
		}
		if elapsed > exitBound {
			t.Errorf("server exited %s after SIGTERM, want within %s", elapsed, exitBound)
		}
	case <-time.After(exitBound + 10*time.Second):
		t.Fatalf("server still running %s after SIGTERM", time.Since(sigterm))
	}
}
