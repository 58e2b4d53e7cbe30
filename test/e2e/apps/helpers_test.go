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

// Package apps drives the workload controllers of workloads-controller-manager
// end to end: experimental ReplicaSets (and, later, Deployments and
// DaemonSets) on kwok nodes through kube-apiserver, with kubectl and the
// generated clientset.
package apps

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

const (
	pollInterval = 250 * time.Millisecond
	pollTimeout  = 2 * time.Minute
)

// Leader-election timings shortened so failover tests take seconds.
var fastLeaderElection = []string{
	"--leader-elect-lease-duration=6s",
	"--leader-elect-renew-deadline=4s",
	"--leader-elect-retry-period=1s",
}

// clusterOptions are the options of every cluster of this package: kwok
// nodes, workloads-apiserver and workloads-controller-manager (the framework
// gives it a free secure port, so concurrent clusters never clash).
func clusterOptions(nodes int, extraArgs ...string) framework.Options {
	return framework.Options{
		Nodes:                      nodes,
		WorkloadsAPIServer:         true,
		WorkloadsAPIServerArgs:     []string{"--runtime-config=experimental/v1alpha1=true"},
		WorkloadsControllerManager: true,
		WorkloadsControllerManagerArgs: append([]string{"--v=2"},
			append(fastLeaderElection, extraArgs...)...),
	}
}

// env is a running cluster with clients.
type env struct {
	c      *framework.Cluster
	client clientset.Interface
}

// cluster is shared by the tests that leave the components running.
var cluster = framework.NewShared(clusterOptions(3))

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }

// sharedEnv returns the cluster shared by the tests that leave the
// components running, starting it on first use.
func sharedEnv(t *testing.T) *env {
	t.Helper()
	c := cluster.Get(t)
	client, err := clientset.NewForConfig(c.RestConfig())
	if err != nil {
		t.Fatal(err)
	}
	return &env{c: c, client: client}
}

// ownEnv starts a cluster for one test (for tests that stop components);
// extraArgs are added to workloads-controller-manager's flags.
func ownEnv(t *testing.T, nodes int, extraArgs ...string) *env {
	t.Helper()
	framework.SkipIfNoControlPlane(t)
	c := framework.StartCluster(t, clusterOptions(nodes, extraArgs...))
	client, err := clientset.NewForConfig(c.RestConfig())
	if err != nil {
		t.Fatal(err)
	}
	return &env{c: c, client: client}
}

// namespace creates a namespace for the test and deletes it afterwards.
func (e *env) namespace(t *testing.T, name string) string {
	t.Helper()
	e.c.CreateNamespace(t, name)
	return name
}

func (e *env) kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := e.c.Kubectl(args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func poll(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	pollFor(t, what, pollTimeout, cond)
}

func pollFor(t *testing.T, what string, timeout time.Duration, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), pollInterval, timeout, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// podTemplate is a pod template labelled app=<app>.
func podTemplate(app string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "main", Image: "registry.example/app:1.0"}},
		},
	}
}

// newReplicaSet creates a ReplicaSet selecting app=<name>.
func (e *env) newReplicaSet(t *testing.T, ns, name string, replicas int32) *v1alpha1.ReplicaSet {
	t.Helper()
	rs := &v1alpha1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.ReplicaSetSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: podTemplate(name),
		},
	}
	created, err := e.client.ExperimentalV1alpha1().ReplicaSets(ns).Create(context.Background(), rs, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating ReplicaSet %s/%s: %v", ns, name, err)
	}
	return created
}

// ownedPods lists the pods controlled by the object with uid.
func (e *env) ownedPods(ctx context.Context, ns string, uid types.UID) ([]corev1.Pod, error) {
	list, err := e.c.KubeClient().CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if ref := metav1.GetControllerOf(&p); ref != nil && ref.UID == uid {
			out = append(out, p)
		}
	}
	return out, nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// waitReplicaSetSettled waits until the ReplicaSet has exactly replicas
// owned pods, all scheduled, Running and Ready and none terminating, and its
// status reports them for the current generation.
func (e *env) waitReplicaSetSettled(t *testing.T, ns, name string, replicas int32) *v1alpha1.ReplicaSet {
	t.Helper()
	var rs *v1alpha1.ReplicaSet
	var last string
	pollFor(t, fmt.Sprintf("ReplicaSet %s/%s to settle at %d replicas", ns, name, replicas), 3*time.Minute, func(ctx context.Context) (bool, error) {
		var err error
		rs, err = e.client.ExperimentalV1alpha1().ReplicaSets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		pods, err := e.ownedPods(ctx, ns, rs.UID)
		if err != nil {
			return false, err
		}
		running := 0
		for i := range pods {
			p := &pods[i]
			if p.DeletionTimestamp == nil && p.Spec.NodeName != "" && p.Status.Phase == corev1.PodRunning && podReady(p) {
				running++
			}
		}
		s := rs.Status
		last = fmt.Sprintf("pods=%d running+ready=%d status=%+v generation=%d", len(pods), running, s, rs.Generation)
		return len(pods) == int(replicas) && running == int(replicas) &&
			s.Replicas == replicas && s.ReadyReplicas == replicas && s.AvailableReplicas == replicas &&
			s.FullyLabeledReplicas == replicas && ptr.Deref(s.TerminatingReplicas, 0) == 0 &&
			s.ObservedGeneration == rs.Generation, nil
	})
	t.Logf("ReplicaSet %s/%s settled: %s", ns, name, last)
	return rs
}

// podCreations counts the distinct pods ever seen in a namespace, per
// controller UID, from the moment it is called: extra pods that were
// created and deleted again still count.
type podCreations struct {
	mu   sync.Mutex
	uids map[types.UID]sets.Set[types.UID]
}

func (e *env) watchPodCreations(t *testing.T, ns string) *podCreations {
	t.Helper()
	pc := &podCreations{uids: map[types.UID]sets.Set[types.UID]{}}
	factory := informers.NewSharedInformerFactoryWithOptions(e.c.KubeClient(), 0, informers.WithNamespace(ns))
	record := func(obj any) {
		p, ok := obj.(*corev1.Pod)
		if !ok {
			return
		}
		ref := metav1.GetControllerOf(p)
		if ref == nil {
			return
		}
		pc.mu.Lock()
		defer pc.mu.Unlock()
		if pc.uids[ref.UID] == nil {
			pc.uids[ref.UID] = sets.New[types.UID]()
		}
		pc.uids[ref.UID].Insert(p.UID)
	}
	if _, err := factory.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    record,
		UpdateFunc: func(_, cur any) { record(cur) },
	}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop); factory.Shutdown() })
	factory.Start(stop)
	factory.WaitForCacheSync(stop)
	return pc
}

// count returns how many distinct pods owner has had.
func (pc *podCreations) count(owner types.UID) int {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return pc.uids[owner].Len()
}

// extraControllerManager is a second workloads-controller-manager started by
// a test, logging to the cluster's log dir.
type extraControllerManager struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
}

// startExtraControllerManager starts another workloads-controller-manager
// against the cluster with the admin kubeconfig, a free port and the same
// leader-election settings; it is stopped at cleanup.
func (e *env) startExtraControllerManager(t *testing.T, name string) *extraControllerManager {
	t.Helper()
	port, err := framework.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(e.c.LogDir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{
		"--kubeconfig=" + e.c.KubeconfigPath,
		"--secure-port=" + strconv.Itoa(port),
		"--bind-address=127.0.0.1",
		"--v=2",
	}, fastLeaderElection...)
	cmd := exec.Command(filepath.Join(e.c.BinDir, "workloads-controller-manager"), args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("starting %s: %v", name, err)
	}
	m := &extraControllerManager{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logFile.Close(); close(m.done) }()
	t.Cleanup(m.stop)
	return m
}

func (m *extraControllerManager) stop() {
	select {
	case <-m.done:
		return
	default:
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(20 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.done
	}
}

var identityRE = regexp.MustCompile(`"Leader election" identity="([^"]+)"`)

// leaderIdentity returns the leader-election identity a controller manager
// logged at start-up.
func leaderIdentity(t *testing.T, logPath string) string {
	t.Helper()
	var id string
	pollFor(t, "the leader-election identity in "+logPath, 30*time.Second, func(context.Context) (bool, error) {
		f, err := os.Open(logPath)
		if err != nil {
			return false, nil
		}
		defer f.Close()
		s := bufio.NewScanner(f)
		s.Buffer(make([]byte, 1<<20), 1<<20)
		for s.Scan() {
			if m := identityRE.FindStringSubmatch(s.Text()); m != nil {
				id = m[1]
			}
		}
		return id != "", nil
	})
	return id
}

func logContains(t *testing.T, logPath, s string) bool {
	t.Helper()
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(data), s)
}

// leaseHolder returns the holder of the controller manager's Lease.
func (e *env) leaseHolder(ctx context.Context) (string, error) {
	lease, err := e.c.KubeClient().CoordinationV1().Leases(framework.DefaultWorkloadsNamespace).Get(ctx, "workloads-controller-manager", metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	return ptr.Deref(lease.Spec.HolderIdentity, ""), nil
}
