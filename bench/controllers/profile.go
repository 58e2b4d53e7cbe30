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

package controllers

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

// CPUProfiler records CPU profiles of the controller managers while a phase
// runs, from their /debug/pprof/profile endpoints (both serve them with
// --profiling). That endpoint profiles for a fixed number of seconds, and
// a phase's length is not known in advance, so the profiler fetches
// back-to-back chunks of Chunk until the phase ends and keeps each as a
// file; `go tool pprof` merges the files it is given.
type CPUProfiler struct {
	// Dir receives <label>-<implementation>-<n>.pprof.
	Dir string
	// Client reaches the endpoints: it presents a client certificate the
	// controller managers authorize for /debug/pprof.
	Client *http.Client
	// URLs are the base URLs (https://host:port) of each implementation's
	// controller manager.
	URLs map[Implementation]string
	// Chunk is the length of one profile (default 10 s).
	Chunk time.Duration
	Logf  func(format string, args ...any)
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Start profiles impl until the returned function is called; that function
// waits for the chunk in flight, so the end of the phase is covered, and
// returns the files written.
func (p *CPUProfiler) Start(ctx context.Context, impl Implementation, label string) func() []string {
	if p == nil || p.URLs[impl] == "" {
		return func() []string { return nil }
	}
	base := p.URLs[impl]
	chunk := p.Chunk
	if chunk <= 0 {
		chunk = 10 * time.Second
	}
	prefix := filepath.Join(p.Dir, unsafeFileChars.ReplaceAllString(label+"-"+string(impl), "_"))
	stop := make(chan struct{})
	var files []string
	var wg sync.WaitGroup
	wg.Go(func() {
		for n := 0; ; n++ {
			file := fmt.Sprintf("%s-%d.pprof", prefix, n)
			if err := p.fetch(ctx, base, chunk, file); err != nil {
				p.Logf("CPU profile of %s (%s): %v", impl, label, err)
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

func (p *CPUProfiler) fetch(ctx context.Context, base string, chunk time.Duration, file string) error {
	url := base + "/debug/pprof/profile?seconds=" + strconv.Itoa(int(chunk.Seconds()))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := p.Client.Do(req)
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
