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
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"

	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

// upstreamControllers are the kube-controller-manager controllers compared
// with ours.
const upstreamControllers = "daemonset,deployment,replicaset,job,cronjob"

// upstreamProcess is a kube-controller-manager of its own running only the
// workload controllers compared, so that its CPU time and memory are theirs
// alone: the framework's kube-controller-manager keeps the garbage
// collector, node lifecycle, namespace and the other cluster controllers,
// which serve both implementations alike.
type upstreamProcess struct {
	port int
	cmd  *exec.Cmd
	log  *os.File
	done chan error
}

func startUpstream(ctx context.Context, c *framework.Cluster, profiling bool, extraArgs []string) (*upstreamProcess, error) {
	port, err := framework.FreePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{
		"--kubeconfig=" + c.KubeconfigPath,
		"--authentication-kubeconfig=" + c.KubeconfigPath,
		"--authorization-kubeconfig=" + c.KubeconfigPath,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--leader-elect=false",
		"--controllers=" + upstreamControllers,
		"--profiling=" + strconv.FormatBool(profiling),
		"-v=0",
	}, extraArgs...)
	log, err := os.Create(filepath.Join(c.LogDir, "kube-controller-manager-workloads.log"))
	if err != nil {
		return nil, fmt.Errorf("creating the log of the upstream workload controllers: %w", err)
	}
	cmd := exec.Command(filepath.Join(c.BinDir, "kube-controller-manager"), args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("starting kube-controller-manager for %s: %w", upstreamControllers, err)
	}
	p := &upstreamProcess{port: port, cmd: cmd, log: log, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()

	cfg := rest.AnonymousClientConfig(c.LocalControllerManagerConfig(port))
	cfg.Timeout = 5 * time.Second
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return p, err
	}
	url := cfg.Host + "/healthz"
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		select {
		case err := <-p.done:
			p.done <- err
			return false, fmt.Errorf("kube-controller-manager for %s exited: %w (log %s)", upstreamControllers, err, log.Name())
		default:
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		return p, fmt.Errorf("waiting for %s: %w", url, err)
	}
	return p, nil
}

// PID is the process id.
func (p *upstreamProcess) PID() int { return p.cmd.Process.Pid }

// stop terminates the process (SIGTERM, then SIGKILL after 10 s).
func (p *upstreamProcess) stop() error {
	defer p.log.Close()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping kube-controller-manager: %w", err)
	}
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	select {
	case err := <-p.done:
		return exitAfterStop(err)
	case <-timer.C:
		if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("killing kube-controller-manager: %w", err)
		}
		return exitAfterStop(<-p.done)
	}
}

// exitAfterStop is the error of a process's end after stop signalled it:
// any exit status is what stopping it does; only a failure to wait is one.
func exitAfterStop(err error) error {
	var exit *exec.ExitError
	if err == nil || errors.As(err, &exit) {
		return nil
	}
	return fmt.Errorf("waiting for kube-controller-manager to end: %w", err)
}
