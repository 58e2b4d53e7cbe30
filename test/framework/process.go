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
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGracePeriod is how long a component gets to exit after SIGTERM before
// its process group is killed.
const stopGracePeriod = 10 * time.Second

// spawner starts every child process from one goroutine locked to one OS
// thread. On Linux the children carry Pdeathsig, which fires when the thread
// that forked them exits; pinning the forks to a thread that lives as long as
// the cluster ties the children's lifetime to the cluster (and to the test
// binary, should it be killed).
type spawner struct {
	reqs chan spawnRequest
	quit chan struct{}
	once sync.Once
}

type spawnRequest struct {
	cmd  *exec.Cmd
	errc chan error
}

func newSpawner() *spawner {
	s := &spawner{reqs: make(chan spawnRequest), quit: make(chan struct{})}
	go func() {
		// Never unlocked: when this goroutine returns the thread is discarded.
		runtime.LockOSThread()
		for {
			select {
			case r := <-s.reqs:
				r.errc <- r.cmd.Start()
			case <-s.quit:
				return
			}
		}
	}()
	return s
}

func (s *spawner) start(cmd *exec.Cmd) error {
	r := spawnRequest{cmd: cmd, errc: make(chan error, 1)}
	select {
	case s.reqs <- r:
		return <-r.errc
	case <-s.quit:
		return errors.New("cluster is stopped")
	}
}

func (s *spawner) close() { s.once.Do(func() { close(s.quit) }) }

// process is one component of the cluster. It can be stopped and started again
// with the same arguments; every run appends to the same log file.
type process struct {
	name    string
	path    string
	args    []string
	env     []string // nil: inherit
	logPath string
	spawner *spawner
	// onExit is called when the process exits without being asked to.
	onExit func(name string, err error)

	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{}
	exitErr  error
	stopping bool
	logFile  *os.File
}

func (p *process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		select {
		case <-p.done:
		default:
			return fmt.Errorf("%s is already running", p.name)
		}
	}
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "=== %s: %s %s\n", time.Now().Format(time.RFC3339Nano), p.path, strings.Join(p.args, " "))
	cmd := exec.Command(p.path, p.args...)
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.Stdin = nil
	cmd.Env = p.env
	cmd.SysProcAttr = childSysProcAttr()
	if err := p.spawner.start(cmd); err != nil {
		f.Close()
		return fmt.Errorf("starting %s: %w", p.name, err)
	}
	p.cmd, p.logFile, p.stopping, p.exitErr = cmd, f, false, nil
	done := make(chan struct{})
	p.done = done
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.exitErr = err
		stopping := p.stopping
		f.Close()
		p.mu.Unlock()
		// Reap anything the component left behind in its process group.
		killGroup(cmd.Process.Pid, syscall.SIGKILL)
		close(done)
		if !stopping && p.onExit != nil {
			p.onExit(p.name, err)
		}
	}()
	return nil
}

// running reports whether the process is alive.
func (p *process) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// exited returns a channel closed when the current run exits, and its error.
func (p *process) exited() (<-chan struct{}, func() error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	done := p.done
	return done, func() error {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.exitErr
	}
}

// stop sends SIGTERM to the process group, waits up to grace, then kills the
// group. It is a no-op when the process is not running.
func (p *process) stop(grace time.Duration) {
	p.mu.Lock()
	if p.cmd == nil {
		p.mu.Unlock()
		return
	}
	p.stopping = true
	pid, done := p.cmd.Process.Pid, p.done
	p.mu.Unlock()

	select {
	case <-done:
		return
	default:
	}
	if grace > 0 {
		killGroup(pid, syscall.SIGTERM)
		select {
		case <-done:
			return
		case <-time.After(grace):
		}
	}
	killGroup(pid, syscall.SIGKILL)
	<-done
}

func killGroup(pid int, sig syscall.Signal) {
	if pid <= 0 {
		return
	}
	// The child is the leader of its own process group (Setpgid).
	_ = syscall.Kill(-pid, sig)
}

// tail returns the last n lines of the log file.
func (p *process) tail(n int) string {
	return tailFile(p.logPath, n)
}

func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const maxRead = 64 << 10
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	off := st.Size() - maxRead
	if off < 0 {
		off = 0
	}
	buf, err := io.ReadAll(io.NewSectionReader(f, off, st.Size()-off))
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimRight(buf, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
