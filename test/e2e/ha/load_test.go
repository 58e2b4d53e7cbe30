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

package ha

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
)

// The load of the availability tests: writers create suspended CronJobs (no
// controller acts on them) and patch a generation label on the ones they
// created; readers list and get them; watchers follow them.

const (
	genLabel = "ha.e2e.experimental/gen"
	// writeInterval paces each writer (a create or a patch per tick).
	writeInterval = 50 * time.Millisecond
	readInterval  = 50 * time.Millisecond
	// requestTimeout bounds every request of the load.
	requestTimeout = 30 * time.Second
)

func newCronJob(name string) *v1alpha1.CronJob {
	return &v1alpha1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{genLabel: "0"}},
		Spec: v1alpha1.CronJobSpec{
			Schedule: "0 0 1 1 *",
			Suspend:  ptr.To(true),
			JobTemplate: v1alpha1.JobTemplateSpec{Spec: v1alpha1.JobSpec{Template: corev1.PodTemplateSpec{
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers:    []corev1.Container{{Name: "main", Image: "registry.example/batch:1.0"}},
				},
			}}},
		},
	}
}

// written is what a writer knows about one of its objects: the last
// generation a patch of it was acknowledged with, and the last attempted.
type written struct {
	acked, attempted int
}

// load runs writers and readers against one namespace until stopped.
type load struct {
	client clientset.Interface
	ns     string
	rec    *recorder

	mu      sync.Mutex
	objects map[string]*written // acknowledged creates

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startLoad(client clientset.Interface, ns string, writers, readers int) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{client: client, ns: ns, rec: &recorder{}, objects: map[string]*written{}, cancel: cancel}
	for w := range writers {
		l.wg.Add(1)
		go func() { defer l.wg.Done(); l.write(ctx, w) }()
	}
	for range readers {
		l.wg.Add(1)
		go func() { defer l.wg.Done(); l.read(ctx) }()
	}
	return l
}

func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}

func (l *load) write(ctx context.Context, w int) {
	cronJobs := l.client.ExperimentalV1alpha1().CronJobs(l.ns)
	tick := time.NewTicker(writeInterval)
	defer tick.Stop()
	var mine []string
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if n%2 == 0 || len(mine) == 0 {
			name := fmt.Sprintf("w%d-%d", w, n)
			err := l.rec.do("create", func() error {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
				defer cancel()
				_, err := cronJobs.Create(rctx, newCronJob(name), metav1.CreateOptions{})
				return err
			})
			if err == nil {
				mine = append(mine, name)
				l.mu.Lock()
				l.objects[name] = &written{}
				l.mu.Unlock()
			}
			continue
		}
		name := mine[n%len(mine)]
		l.mu.Lock()
		obj := l.objects[name]
		obj.attempted++
		gen := obj.attempted
		l.mu.Unlock()
		patch := fmt.Appendf(nil, `{"metadata":{"labels":{%q:%q}}}`, genLabel, strconv.Itoa(gen))
		err := l.rec.do("patch", func() error {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
			defer cancel()
			_, err := cronJobs.Patch(rctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
			return err
		})
		if err == nil {
			l.mu.Lock()
			obj.acked = gen
			l.mu.Unlock()
		}
	}
}

func (l *load) read(ctx context.Context) {
	cronJobs := l.client.ExperimentalV1alpha1().CronJobs(l.ns)
	tick := time.NewTicker(readInterval)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var names []string
		_ = l.rec.do("list", func() error {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
			defer cancel()
			list, err := cronJobs.List(rctx, metav1.ListOptions{Limit: 100})
			if err == nil {
				for _, cj := range list.Items {
					names = append(names, cj.Name)
				}
			}
			return err
		})
		if len(names) == 0 {
			continue
		}
		name := names[n%len(names)]
		_ = l.rec.do("get", func() error {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
			defer cancel()
			_, err := cronJobs.Get(rctx, name, metav1.GetOptions{})
			return err
		})
	}
}

// lostWrites lists the acknowledged writes the stored objects do not hold:
// an acknowledged create that is missing, or a label older than the last
// acknowledged patch (a later, unacknowledged patch may have landed).
func (l *load) lostWrites(t *testing.T) (acked int, lost []string) {
	t.Helper()
	list, err := l.client.ExperimentalV1alpha1().CronJobs(l.ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("listing CronJobs: %v", err)
	}
	stored := map[string]int{}
	for _, cj := range list.Items {
		gen, _ := strconv.Atoi(cj.Labels[genLabel])
		stored[cj.Name] = gen
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for name, w := range l.objects {
		acked += 1 + w.acked
		gen, ok := stored[name]
		switch {
		case !ok:
			lost = append(lost, name+" (acknowledged create)")
		case gen < w.acked || gen > w.attempted:
			lost = append(lost, fmt.Sprintf("%s gen=%d, acknowledged %d, attempted %d", name, gen, w.acked, w.attempted))
		}
	}
	return acked, lost
}

// watcher follows the CronJobs of a namespace from a resourceVersion,
// resuming from the last one it saw whenever its watch ends, and keeps
// name → resourceVersion.
type watcher struct {
	mu     sync.Mutex
	state  map[string]string
	lastRV string
	events int
	err    error // a watch that could not resume (e.g. 410 Gone)
	done   chan struct{}
}

type cronJobWatch struct {
	client clientset.Interface
	ns     string
}

func (w cronJobWatch) WatchWithContext(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	opts.AllowWatchBookmarks = true
	return w.client.ExperimentalV1alpha1().CronJobs(w.ns).Watch(ctx, opts)
}

func startWatcher(ctx context.Context, client clientset.Interface, ns, rv string, initial map[string]string) (*watcher, error) {
	rw, err := watchtools.NewRetryWatcherWithContext(ctx, rv, cronJobWatch{client: client, ns: ns})
	if err != nil {
		return nil, err
	}
	w := &watcher{state: maps.Clone(initial), lastRV: rv, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		defer rw.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-rw.ResultChan():
				if !ok {
					return
				}
				w.apply(ev)
			}
		}
	}()
	return w, nil
}

func (w *watcher) apply(ev watch.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ev.Type == watch.Error {
		w.err = fmt.Errorf("watch error: %v", ev.Object)
		return
	}
	cj, ok := ev.Object.(*v1alpha1.CronJob)
	if !ok {
		return
	}
	w.lastRV = cj.ResourceVersion
	if ev.Type == watch.Bookmark {
		return
	}
	w.events++
	switch ev.Type {
	case watch.Added, watch.Modified:
		w.state[cj.Name] = cj.ResourceVersion
	case watch.Deleted:
		delete(w.state, cj.Name)
	}
}

// snapshot lists the namespace's CronJobs as name → resourceVersion.
func snapshot(ctx context.Context, client clientset.Interface, ns string) (map[string]string, string, error) {
	list, err := client.ExperimentalV1alpha1().CronJobs(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, "", err
	}
	out := map[string]string{}
	for _, cj := range list.Items {
		out[cj.Name] = cj.ResourceVersion
	}
	return out, list.ResourceVersion, nil
}

// watchersMatch waits until every watcher holds exactly what a fresh list
// holds and returns the number that never did, with a sample difference.
func watchersMatch(ctx context.Context, client clientset.Interface, ns string, watchers []*watcher, timeout time.Duration) (int, string, error) {
	want, _, err := snapshot(ctx, client, ns)
	if err != nil {
		return 0, "", err
	}
	deadline := time.Now().Add(timeout)
	for {
		bad, sample := 0, ""
		for i, w := range watchers {
			w.mu.Lock()
			equal := maps.Equal(w.state, want) && w.err == nil
			if !equal && sample == "" {
				sample = fmt.Sprintf("watcher %d: %d objects (want %d), err=%v", i, len(w.state), len(want), w.err)
				for name, rv := range want {
					if w.state[name] != rv {
						sample += fmt.Sprintf("; %s at %q, want %q", name, w.state[name], rv)
						break
					}
				}
			}
			w.mu.Unlock()
			if !equal {
				bad++
			}
		}
		if bad == 0 || time.Now().After(deadline) {
			return bad, sample, nil
		}
		select {
		case <-ctx.Done():
			return bad, sample, ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}
