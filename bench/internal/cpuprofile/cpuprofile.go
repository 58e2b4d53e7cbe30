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

// Package cpuprofile records CPU profiles of the cluster's processes while a
// benchmark phase runs, from their /debug/pprof/profile endpoints.
package cpuprofile

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// Profiler records CPU profiles of processes while a phase runs, from their
// /debug/pprof/profile endpoints (kube-apiserver, workloads-apiserver and
// both controller managers serve them with --profiling). That endpoint
// profiles for a fixed number of seconds, and a phase's length is not known
// in advance, so the profiler fetches back-to-back chunks of Chunk until the
// phase ends and keeps each as a file; `go tool pprof` merges the files it
// is given.
type Profiler struct {
	// Dir receives <label>-<process>-<n>.pprof.
	Dir string
	// Endpoints are the processes that can be profiled, by name.
	Endpoints map[string]Endpoint
	// Chunk is the length of one profile (default 10 s; whole seconds).
	Chunk time.Duration
	Logf  func(format string, args ...any)
}

// Endpoint is where one process serves /debug/pprof.
type Endpoint struct {
	// URL is the base URL (https://host:port).
	URL string
	// Client presents credentials the process authorizes for /debug/pprof.
	Client *http.Client
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Start profiles process until the returned function is called; that
// function waits for the chunk in flight, so the end of the phase is
// covered, and returns the files written. A nil profiler, or a process
// without an endpoint, records nothing.
func (p *Profiler) Start(ctx context.Context, process, label string) func() []string {
	if p == nil || p.Endpoints[process].URL == "" {
		return func() []string { return nil }
	}
	ep := p.Endpoints[process]
	chunk := max(p.Chunk.Round(time.Second), time.Second)
	if p.Chunk <= 0 {
		chunk = 10 * time.Second
	}
	prefix := filepath.Join(p.Dir, unsafeFileChars.ReplaceAllString(label+"-"+process, "_"))
	stop := make(chan struct{})
	var files []string
	var wg sync.WaitGroup
	wg.Go(func() {
		for n := 0; ; n++ {
			file := fmt.Sprintf("%s-%d.pprof", prefix, n)
			if err := fetch(ctx, ep, chunk, file); err != nil {
				p.Logf("CPU profile of %s (%s): %v", process, label, err)
				return
			}
			files = append(files, file)
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			default:
			}
		}
	})
	return func() []string {
		close(stop)
		wg.Wait()
		return files
	}
}

func fetch(ctx context.Context, ep Endpoint, chunk time.Duration, file string) error {
	url := ep.URL + "/debug/pprof/profile?seconds=" + strconv.Itoa(int(chunk.Seconds()))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := ep.Client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: HTTP %d: %s", url, resp.StatusCode, body)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return f.Close()
}
