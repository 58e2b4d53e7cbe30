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
	"context"
	"log"
	"os"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Shared is a cluster the tests of one package share: started by the first
// test that asks for it, stopped by the package's TestMain:
//
//	var cluster = framework.NewShared(opts)
//	func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }
type Shared struct {
	opts Options
	once sync.Once
	c    *Cluster
	stop func() error
	err  error
}

// NewShared returns a shared cluster started with opts on first use. Its
// run dir is kept until Main knows whether a test failed.
func NewShared(opts Options) *Shared {
	opts.KeepRunDir = true
	return &Shared{opts: opts}
}

// Get returns the cluster, starting it on first use; without a local
// control plane the test is skipped as by StartCluster.
func (s *Shared) Get(t testing.TB) *Cluster {
	t.Helper()
	SkipIfNoControlPlane(t)
	s.once.Do(func() {
		s.c, s.stop, s.err = Start(context.Background(), s.opts, LoggerFunc(log.Printf))
	})
	if s.err != nil {
		t.Fatalf("starting the shared cluster: %v", s.err)
	}
	return s.c
}

// Main runs the tests, then stops the cluster if one started: its run dir
// is removed when they passed and kept, with the component logs, when one
// failed. It returns the exit code for os.Exit.
func (s *Shared) Main(m *testing.M) int {
	code := m.Run()
	if s.stop == nil {
		return code
	}
	if err := s.stop(); err != nil {
		log.Printf("stopping the shared cluster: %v", err)
	}
	if code == 0 {
		_ = os.RemoveAll(s.c.RunDir)
	} else {
		log.Printf("shared cluster logs kept in %s", s.c.LogDir)
	}
	return code
}

// CreateNamespace creates the namespace name and deletes it when the test
// ends.
func (c *Cluster) CreateNamespace(t testing.TB, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := c.KubeClient().CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = c.KubeClient().CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
}
