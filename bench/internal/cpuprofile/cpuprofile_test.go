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

package cpuprofile

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestProfilerChunksUntilStopped checks that the profiler fetches
// back-to-back chunks, keeps each as a file, and that stopping it waits
// for the chunk in flight instead of dropping the end of the phase.
func TestProfilerChunksUntilStopped(t *testing.T) {
	var served atomic.Int32
	requested := make(chan string)
	release := make(chan struct{})
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The first two chunks are answered when the test says so; any
		// later one (the profiler may start one before it sees the stop)
		// at once.
		if asked.Add(1) <= 2 {
			requested <- r.URL.String()
			<-release
		}
		fmt.Fprintf(w, "profile %d", served.Add(1))
	}))
	defer srv.Close()

	var logged []string
	p := &Profiler{Dir: t.TempDir(), Endpoints: map[string]Endpoint{"ours": {URL: srv.URL, Client: srv.Client()}},
		Logf: func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }}
	stop := p.Start(context.Background(), "ours", "Job create")

	if got := <-requested; got != "/debug/pprof/profile?seconds=10" {
		t.Errorf("first request %q, want the default 10 s chunk", got)
	}
	release <- struct{}{}
	<-requested // the second chunk is in flight
	filesCh := make(chan []string)
	go func() { filesCh <- stop() }()
	release <- struct{}{}
	files := <-filesCh

	if len(files) < 2 {
		t.Fatalf("files %v, want at least 2 (the chunk in flight at stop is kept)", files)
	}
	for i, f := range files {
		if want := filepath.Join(p.Dir, fmt.Sprintf("Job_create-ours-%d.pprof", i)); f != want {
			t.Errorf("file %d is %s, want %s", i, f, want)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("profile %d", i+1); string(data) != want {
			t.Errorf("%s holds %q, want %q", f, data, want)
		}
	}
	if len(logged) != 0 {
		t.Errorf("logged %v, want nothing", logged)
	}
}

func TestProfilerReportsRefusals(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "forbidden: User cannot get path /debug/pprof/profile", http.StatusForbidden)
	}))
	defer srv.Close()
	var logged []string
	p := &Profiler{Dir: t.TempDir(), Endpoints: map[string]Endpoint{"upstream": {URL: srv.URL, Client: srv.Client()}},
		Logf: func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }}
	if files := p.Start(context.Background(), "upstream", "x")(); len(files) != 0 {
		t.Errorf("files %v after a refusal, want none", files)
	}
	if len(logged) != 1 || !strings.Contains(logged[0], "HTTP 403") {
		t.Errorf("logged %v, want the refusal", logged)
	}
	// A process without an endpoint, or no profiler at all, records
	// nothing.
	if files := p.Start(context.Background(), "ours", "x")(); files != nil {
		t.Errorf("files %v for a process without an endpoint", files)
	}
	var none *Profiler
	if files := none.Start(context.Background(), "ours", "x")(); files != nil {
		t.Errorf("files %v from a nil profiler", files)
	}
}
