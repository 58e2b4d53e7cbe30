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

// Package kubectlplugin drives the kubectl-experimental plugin end to end:
// the built binary, discovered by the pinned kubectl as `kubectl
// experimental`, against experimental workloads on a local cluster of kwok
// nodes with workloads-apiserver and workloads-controller-manager.
package kubectlplugin

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

const (
	pollInterval = 250 * time.Millisecond
	pollTimeout  = 2 * time.Minute
	nodes        = 3
)

// env is the running cluster with clients.
type env struct {
	c      *framework.Cluster
	client clientset.Interface
	// pathDir holds the plugin's completion helper; it follows _output/bin
	// on PATH when kubectl runs.
	pathDir string
}

// cluster is shared by the tests of the package.
var cluster = framework.NewShared(framework.Options{
	Nodes:                          nodes,
	WorkloadsAPIServer:             true,
	WorkloadsAPIServerArgs:         []string{"--runtime-config=experimental/v1alpha1=true"},
	WorkloadsControllerManager:     true,
	WorkloadsControllerManagerArgs: []string{"--v=2"},
})

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }

var (
	pathDirOnce sync.Once
	pathDir     string
	pathDirErr  error
)

// sharedEnv returns the cluster shared by the tests, starting it on first
// use.
func sharedEnv(t *testing.T) *env {
	t.Helper()
	root, err := framework.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	plugin := filepath.Join(root, "_output", "bin", "kubectl-experimental")
	if _, err := os.Stat(plugin); err != nil {
		t.Fatalf("%s not found: run `make build` first (%v)", plugin, err)
	}
	c := cluster.Get(t)
	client, err := clientset.NewForConfig(c.RestConfig())
	if err != nil {
		t.Fatal(err)
	}
	// kubectl finds the plugin in _output/bin on PATH; the completion helper
	// shipped next to its sources gets a directory of its own.
	pathDirOnce.Do(func() {
		dir := filepath.Join(c.RunDir, "completion-helper")
		if pathDirErr = os.MkdirAll(dir, 0o755); pathDirErr != nil {
			return
		}
		helper := filepath.Join(root, "cmd", "kubectl-experimental", "kubectl_complete-experimental")
		if pathDirErr = os.Symlink(helper, filepath.Join(dir, "kubectl_complete-experimental")); pathDirErr != nil {
			return
		}
		pathDir = dir
	})
	if pathDirErr != nil {
		t.Fatalf("setting up the completion helper: %v", pathDirErr)
	}
	return &env{c: c, client: client, pathDir: pathDir}
}

// namespace creates a namespace for the test and deletes it afterwards.
func (e *env) namespace(t *testing.T, name string) string {
	t.Helper()
	e.c.CreateNamespace(t, name)
	return name
}

// kubectl runs the pinned kubectl with args as a user with the plugin
// installed: `kubectl experimental` resolves to the built plugin in
// _output/bin and completion finds its helper in pathDir.
func (e *env) kubectl(args ...string) (string, string, error) {
	return e.c.PluginKubectl(e.c.Context(), []string{e.pathDir}, args...)
}

// plugin runs `kubectl experimental -n ns args...` and fails the test on error.
func (e *env) plugin(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, errOut, err := e.pluginErr(ns, args...)
	if err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	return out
}

func (e *env) pluginErr(ns string, args ...string) (string, string, error) {
	return e.kubectl(append([]string{"experimental", "-n", ns}, args...)...)
}

func poll(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), pollInterval, pollTimeout, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func podTemplate(app, image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "main", Image: image}},
		},
	}
}

func selector(app string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}
}

// newDeployment creates a Deployment selecting app=<name> after mutate.
func (e *env) newDeployment(t *testing.T, ns, name string, replicas int32, mutate func(*v1alpha1.Deployment)) *v1alpha1.Deployment {
	t.Helper()
	d := &v1alpha1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: selector(name),
			Template: podTemplate(name, "registry.example/app:1.0"),
		},
	}
	if mutate != nil {
		mutate(d)
	}
	created, err := e.client.ExperimentalV1alpha1().Deployments(ns).Create(context.Background(), d, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating Deployment %s/%s: %v", ns, name, err)
	}
	return created
}

// newDaemonSet creates a RollingUpdate DaemonSet selecting app=<name>.
func (e *env) newDaemonSet(t *testing.T, ns, name string) *v1alpha1.DaemonSet {
	t.Helper()
	ds := &v1alpha1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.DaemonSetSpec{
			Selector:       selector(name),
			Template:       podTemplate(name, "registry.example/agent:1.0"),
			UpdateStrategy: v1alpha1.DaemonSetUpdateStrategy{Type: v1alpha1.RollingUpdateDaemonSetStrategyType},
		},
	}
	created, err := e.client.ExperimentalV1alpha1().DaemonSets(ns).Create(context.Background(), ds, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating DaemonSet %s/%s: %v", ns, name, err)
	}
	return created
}

func (e *env) getDeployment(t *testing.T, ns, name string) *v1alpha1.Deployment {
	t.Helper()
	d, err := e.client.ExperimentalV1alpha1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("getting Deployment %s/%s: %v", ns, name, err)
	}
	return d
}

// ownedReplicaSets lists the ReplicaSets the Deployment controls.
func (e *env) ownedReplicaSets(ctx context.Context, d *v1alpha1.Deployment) ([]v1alpha1.ReplicaSet, error) {
	list, err := e.client.ExperimentalV1alpha1().ReplicaSets(d.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []v1alpha1.ReplicaSet
	for _, rs := range list.Items {
		if metav1.IsControlledBy(&rs, d) {
			out = append(out, rs)
		}
	}
	return out, nil
}
